"""The constant tensor an op or tensor selection stands for: what the Weights view shows when it
opens after the Operators or Tensors view (no Textual).

An op stands for its largest constant input (a convolution's filter, not its bias); a tensor
for itself when it is constant. An input that an unpacking op makes from a constant (DEQUANTIZE
of a float16 or int8 weight, DENSIFY of a sparse one) stands for that constant.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...model import Subgraph, Tensor
from ...text.graph_ns import UNPACKING
from .history import Place
from .session import Session

__all__ = ["FOLLOWED_VIEWS", "last_selection", "selection_weight"]

FOLLOWED_VIEWS = ("ops", "tensors")
"""The views whose selection the Weights view follows."""

MAX_UNPACKING = 4
"""Unpacking ops followed back from one tensor (DENSIFY then DEQUANTIZE takes two)."""


def last_selection(visited: Sequence[Place]) -> Place | None:
    """The newest place in `visited` (oldest first) that is a selection in the Operators or
    Tensors view, without its detail-pane flag."""
    for place in reversed(visited):
        if place.view in FOLLOWED_VIEWS and place.index is not None:
            return Place(place.view, place.subgraph, place.index)
    return None


def unpacked_constant(sg: Subgraph, index: int) -> Tensor | None:
    """Tensor `index` when it is constant, else the constant an unpacking op made it from."""
    t = sg.tensor(index)
    for _ in range(MAX_UNPACKING + 1):
        if t is None or t.is_constant:
            return t
        if t.producer is None or not 0 <= t.producer < len(sg.operators):
            return None
        op = sg.operators[t.producer]
        if op.opcode_name not in UNPACKING or not op.inputs:
            return None
        t = sg.tensor(op.inputs[0])
    return None


def selection_weight(session: Session, location: Place) -> Place | None:
    """The Weights location of the constant that `location` (an op or a tensor) stands for,
    None when it has none."""
    sg = session.subgraph(location.subgraph)
    if sg is None or location.index is None:
        return None
    found: Tensor | None = None
    if location.view == "tensors":
        found = unpacked_constant(sg, location.index)
    elif location.view == "ops":
        op = session.op(location.subgraph, location.index)
        inputs = op.inputs if op is not None and not op.error else ()
        for i in inputs:
            t = unpacked_constant(sg, i)
            if t is not None and (found is None or t.nbytes > found.nbytes):
                found = t
    return None if found is None else Place("weights", sg.index, found.index)
