"""compare's per-layer table names tensors by their telling tails: a converter's names share
their start (model_1/model/...) and differ at the end, which the old cut (first 45 characters
and '...') threw away."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from tflite_inspect.analysis.layers import LayerMetrics, LayerRow
from tflite_inspect.text.run import layers_text

if TYPE_CHECKING:
    from tflite_inspect.runtime import CompareReport

SCOPE = "model_1/model/encoder/block_0/attention/query/projection/"  # 57 characters


def _row(i: int, name: str, isolated: bool) -> LayerRow:
    m = LayerMetrics(16.0, 0.1, 0.0, 0.2, 0.01, 0.99, 0.3, 30.0 - i, 0, False)
    return LayerRow(
        "CONV_2D", i, name, i, name, "name", i, (1, 4), "int8", m, 0.1, 0,
        isolated=m if isolated else None,
    )  # fmt: skip


@pytest.mark.parametrize("isolated", [False, True])
def test_layer_names_that_share_their_start_are_told_apart(isolated: bool) -> None:
    names = [SCOPE + "BiasAdd", SCOPE + "BiasAdd_dequantize", "short"]
    report = SimpleNamespace(
        tensors={}, layers=[_row(i, n, isolated) for i, n in enumerate(names)], isolated=isolated
    )
    text = "\n".join(layers_text(cast("CompareReport", report), top=10))
    shown = [ln.split()[-1] for ln in text.splitlines() if "CONV_2D" in ln]
    assert len(shown) == 3 and len(set(shown)) == 3 and "short" in shown
    for cell in shown:
        assert cell == "short" or (
            cell.startswith("…") and any(n.endswith(cell[1:]) for n in names)
        )
