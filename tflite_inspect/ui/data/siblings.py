"""Which sibling file is the open model's counterpart on the Compare pane (no Textual).

The siblings are the other .tflite files in the open model's folder. The counterpart is the
closest one of the other precision (a float model for a quantized one, a quantized one for a
float one): first by name once the precision words are taken out (`cnn.int8-io` and
`cnn.float32` are both `cnn`), then by graph (the same number of compute ops, the same inputs).
A model with Flex ops (it needs TensorFlow's delegate) and a file that does not open are never
chosen. Only a related sibling is: one with the same input and output shapes (a comparison
needs them; a name says little, mediapipe.hand_landmark_lite and mediapipe.iris_landmark share
most of theirs, and mediapipe.pose_detection takes the same image). With no related sibling of
the other precision, the closest related one of the same precision is; another model that
merely lies in the same folder never is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from ...analysis.quantmode import quantization_summary
from ...model import Model, open_model

__all__ = ["Candidate", "counterpart", "describe", "name_score", "precision_of", "siblings"]

FLOAT_MODES = {"float32", "float16 weights"}
PLAIN_MODES = {"float32", "full integer"}
CONVERSION_OPS = {"QUANTIZE", "DEQUANTIZE"}
MAX_OPENED = 12
"""Siblings opened to learn their precision and graph, the best named first."""

PRECISION_WORDS = re.compile(
    r"^(?:float\d*|fp\d+|f\d+|bf16|bfloat16|u?int\d+(?:x\d+)?|i\d+|w\d+a\d+|a\d+w\d+|q\d*|"
    r"quant(?:ized)?|dynamic|dyn|full|integer|io|ptq|qat|static|calibrated|"
    r"mixed|hybrid|weights?)$"
)
"""Tokens of a file name that say its precision, not what the model is."""


def siblings(path: Path | None) -> list[Path]:
    """The other .tflite files next to `path`, the best named first (see `name_score`)."""
    if path is None:
        return []
    try:
        here = path.resolve()
        found = [p for p in path.parent.glob("*.tflite") if p.is_file() and p.resolve() != here]
    except OSError:
        return []
    return sorted(found, key=lambda p: (-name_score(path, p), p.name))


def _core(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".tflite"):
        name = name[: -len(".tflite")]
    tokens = [t for t in re.split(r"[._\-\s]+", name) if t]
    kept = [t for t in tokens if not PRECISION_WORDS.match(t)]
    return " ".join(kept or tokens)


def name_score(a: Path, b: Path) -> float:
    """How alike two file names are (0..1) once their precision words are taken out."""
    return round(SequenceMatcher(None, _core(a), _core(b)).ratio(), 2)


def precision_of(mode: str) -> str:
    """ "float" for a float32 or float16-weights mode, else "quantized" (integer compute)."""
    return "float" if mode in FLOAT_MODES else "quantized"


@dataclass(frozen=True)
class Graph:
    """What two models' graphs are compared by."""

    mode: str  # analysis.quantmode's: float32, float16 weights, full integer, ...
    compute_ops: int  # ops of the main subgraph, QUANTIZE/DEQUANTIZE left out
    inputs: tuple[tuple[int, ...], ...]  # the main subgraph's input shapes
    outputs: tuple[tuple[int, ...], ...] = ()  # and its output shapes

    @classmethod
    def of(cls, model: Model) -> Graph:
        main = model.main_subgraph
        ops = 0
        inputs: tuple[tuple[int, ...], ...] = ()
        outputs: tuple[tuple[int, ...], ...] = ()
        if main is not None:
            ops = sum(op.opcode_name not in CONVERSION_OPS for op in main.operators)
            inputs, outputs = (
                tuple(tuple(t.shape) for i in ends if (t := main.tensor(i)) is not None)
                for ends in (main.inputs, main.outputs)
            )
        return cls(quantization_summary(model).mode, ops, inputs, outputs)

    def same_io(self, other: Graph) -> bool:
        """The same input and output shapes: what a comparison of the two needs."""
        return self.inputs == other.inputs and self.outputs == other.outputs

    @property
    def precision(self) -> str:
        return precision_of(self.mode)


@dataclass(frozen=True)
class Candidate:
    """A sibling that opened and has no Flex ops."""

    path: Path
    graph: Graph
    name_score: float


def _read(path: Path) -> Graph | None:
    """The graph of the model at `path`; None when it does not open or has Flex ops."""
    try:
        model = open_model(path)
    except Exception:  # noqa: BLE001 - any file that does not open is simply not a candidate
        return None
    try:
        if any(code.is_flex for code in model.operator_codes):
            return None
        return Graph.of(model)
    except Exception:  # noqa: BLE001 - nor one whose graph cannot be read
        return None
    finally:
        model.close()


def counterpart(
    model: Model, path: Path, candidates: Sequence[Path] | None = None
) -> Candidate | None:
    """The sibling to compare `model` (opened from `path`) with: the closest related one of
    the other precision (see module docstring); None when no sibling opens or none is related
    (another model in the same folder is no default B: its inputs would not even fit)."""
    found = siblings(path) if candidates is None else list(candidates)
    found.sort(key=lambda p: (-name_score(path, p), p.name))
    mine = Graph.of(model)
    usable: list[Candidate] = []
    for p in found[:MAX_OPENED]:
        graph = _read(p)
        if graph is not None:
            usable.append(Candidate(p, graph, name_score(path, p)))
    # Related: the same input and output shapes, which a comparison needs. A name alone is
    # not enough (mediapipe.hand_landmark_lite and mediapipe.iris_landmark share most of
    # theirs), nor are the inputs (mediapipe.pose_detection takes the same 224x224 image).
    related = [c for c in usable if mine.same_io(c.graph)]
    if not related:
        return None

    def rank(c: Candidate) -> tuple[object, ...]:
        # related ones share their inputs: the graph is closer by its compute ops; at a tie,
        # the plainest variant: float32 for a quantized model, full integer for a float one
        return (
            c.graph.precision == mine.precision,
            -c.name_score,
            abs(c.graph.compute_ops - mine.compute_ops),
            c.graph.mode not in PLAIN_MODES,
            c.path.name,
        )

    return min(related, key=rank)


def describe(candidate: Candidate) -> str:
    """Why it was chosen, for the status line ("the closest float32 sibling (name, graph)":
    by name first, then by graph)."""
    return f"the closest {candidate.graph.mode} sibling (name, graph)"
