"""What `run` and `compare` check with the static reader before an interpreter starts.

A file that is not a TFLite flatbuffer (empty, text, an image), a damaged one, a FIFO or a folder,
and a `--signature` the model does not have are the user's input, so they end as one line and
exit 2, worded by us rather than by LiteRT. `compare` also refuses two models whose inputs cannot
take the same samples, naming each side's inputs.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from ..flatbuf.source import SPECIAL_FILES
from .common import UserError, open_model_or_fail

__all__ = ["InputFact", "model_inputs", "regular_source", "same_inputs"]


@dataclass(frozen=True)
class InputFact:
    """One input as the interpreter will name it: the signature's name, else the tensor's."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    quantized: bool

    def __str__(self) -> str:
        return f"{self.name} [{','.join(str(d) for d in self.shape)}] {self.dtype}"

    @property
    def kind(self) -> str:
        """What a sample holds for it: text, float (a quantized input takes floats too) or int."""
        if self.dtype == "string":
            return "string"
        if self.dtype.startswith(("float", "bfloat")) or self.quantized:
            return "float"
        return "int"


def model_inputs(path: str, signature: str | None) -> list[InputFact]:
    """Opens `path` strictly (damage is UserError, exit 2), checks `signature` and returns the
    inputs of the signature the interpreter will pick (serving_default, else the first, else
    subgraph 0's inputs)."""
    with open_model_or_fail(path) as model:
        keys = [s.key for s in model.signatures]
        if signature is not None and signature not in keys:
            have = ", ".join(repr(k) for k in keys) if keys else "no signatures"
            raise UserError(
                f"{path}: the model has no signature {signature!r} (it has {have}); "
                "leave --signature out to run the default",
                2,
            )
        chosen = (
            signature
            if signature is not None
            else ("serving_default" if "serving_default" in keys else (keys[0] if keys else None))
        )
        subgraphs = model.subgraphs
        if chosen is not None:
            sig = next(s for s in model.signatures if s.key == chosen)
            pairs = sorted(sig.inputs)  # the interpreter lists a signature's inputs by name
            sub = (
                subgraphs[sig.subgraph_index] if 0 <= sig.subgraph_index < len(subgraphs) else None
            )
        else:
            sub = subgraphs[0] if subgraphs else None
            pairs = [("", i) for i in sub.inputs] if sub is not None else []
        facts = []
        for name, index in pairs:
            tensor = sub.tensor(index) if sub is not None else None
            if tensor is None:
                continue  # the interpreter reports it when it loads the model
            shape = tensor.shape_signature or tensor.shape
            quantized = bool(tensor.quantization and tensor.quantization.scales)
            facts.append(InputFact(name or tensor.name, tuple(shape), tensor.dtype, quantized))
        return facts


def _fits(a: InputFact, b: InputFact) -> bool:
    if a.kind != b.kind or len(a.shape) != len(b.shape):
        return False
    return all(x < 0 or y < 0 or x == y for x, y in zip(a.shape, b.shape, strict=True))


def same_inputs(a: list[InputFact], b: list[InputFact]) -> None:
    """Raises UserError (exit 2) when samples made for A's inputs cannot feed B: matched by name,
    else by position (as the samples are fed), each pair of one shape and kind of value."""
    by_name = {x.name: x for x in a}
    ok = len(a) == len(b)
    for j, y in enumerate(b):
        x = by_name.get(y.name) or (a[j] if ok else None)
        if x is None or not _fits(x, y):
            ok = False
            break
    if not ok:

        def side(facts: list[InputFact]) -> str:
            return ", ".join(str(f) for f in facts) or "no inputs"

        raise UserError(
            f"B's inputs do not match A's: A has {side(a)}, B has {side(b)}; "
            "compare two versions of the same model",
            2,
        )


def regular_source(
    path: str | os.PathLike[str] | None, *, folder_ok: bool = False, what: str = "a .tflite file"
) -> None:
    """Refuses at once a source that is a FIFO, a device or a socket (reading one would wait or
    never end) and, unless `folder_ok`, a folder; a missing path is left to the command."""
    if path is None:
        return
    try:
        st = os.stat(path)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode) and not folder_ok:
        raise UserError(f"{path}: is a directory; expected {what}", 2)
    kind = SPECIAL_FILES.get(stat.S_IFMT(st.st_mode))
    if kind is not None:
        raise UserError(f"{path}: {kind}, not a regular file; expected {what}", 2)
