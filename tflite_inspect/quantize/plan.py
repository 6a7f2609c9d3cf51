"""What `quantize` checks before any child starts, with our own model layer: the input is a float32
model, which ops `--keep-float` names, where the outputs go and that none is in the way."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis.quantmode import quantization_summary
from ..model import open_model

__all__ = [
    "FloatOp",
    "QuantizeError",
    "float_ops",
    "output_path",
    "refuse_target",
    "resolve_keep",
    "split_worst",
]


class QuantizeError(ValueError):
    """A problem the user can fix (the CLI prints it as one line and exits 2)."""


@dataclass(frozen=True)
class FloatOp:
    """An op of the main subgraph: index, opcode name, its output and input tensor names."""

    index: int
    opcode: str
    outputs: tuple[str, ...]
    inputs: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"op {self.index} {self.opcode}"


def float_ops(path: Path) -> list[FloatOp]:
    """The main subgraph's ops of a float32 model. Raises QuantizeError when the model is
    already quantized (integer tensors with quantization parameters, or float16 weights) or has
    no subgraph; ModelError / OSError when it cannot be read."""
    with open_model(path) as model:
        summary = quantization_summary(model)
        main = model.main_subgraph
        if summary.mode != "float32":
            raise QuantizeError(
                f"{path}: already quantized ({_why(model, summary.mode)}); "
                "quantize needs the float32 model"
            )
        if main is None:
            raise QuantizeError(f"{path}: the model has no subgraph to quantize")
        repeated = _repeated_names(model)
        if repeated:
            raise QuantizeError(
                f"{path}: litert-quantizer needs every tensor name to be unique in the model, "
                f"and {repeated}; rename them in the source before converting (e.g. per "
                "branch of an IF or WHILE)"
            )

        def names(indices: Sequence[int]) -> tuple[str, ...]:
            return tuple(main.tensors[i].name for i in indices if 0 <= i < len(main.tensors))

        return [
            FloatOp(op.index, op.opcode_name, names(op.outputs), names(op.inputs))
            for op in main.operators
        ]


def _repeated_names(model: Any) -> str | None:
    """What repeats when tensor names are not unique across the model's subgraphs (what
    litert-quantizer refuses after loading it, as "Tensor name ... is not unique"), e.g.
    "'arg0' names subgraph 1 tensor 0 and subgraph 2 tensor 0 (3 names repeat)"; None when
    each is unique."""
    where: dict[str, list[tuple[int, int]]] = {}
    for sg in model.subgraphs:
        for t in sg.tensors:
            where.setdefault(t.name, []).append((sg.index, t.index))
    repeats = {name: places for name, places in where.items() if len(places) > 1}
    if not repeats:
        return None
    name, places = next(iter(repeats.items()))
    spots = [f"subgraph {g} tensor {i}" for g, i in places[:3]]
    if len(places) > 3:
        spots.append(f"{len(places) - 3} more")
    first = ", ".join(spots[:-1]) + " and " + spots[-1]
    count = f" ({len(repeats)} names repeat)" if len(repeats) > 1 else ""
    return f"{name!r} names {first}{count}"


def _why(model: object, mode: str) -> str:
    quantized = 0
    for sg in model.subgraphs:  # type: ignore[attr-defined]
        quantized += sum(
            1 for t in sg.tensors if t.quantization is not None and t.quantization.scales
        )
    if mode == "float16 weights":
        return "float16 weights dequantized at run time"
    return f"{mode}: {quantized} tensor(s) carry quantization parameters"


def resolve_keep(specs: Sequence[str], ops: Sequence[FloatOp]) -> list[int]:
    """`--keep-float` values -> op indices: an integer is an op index of the main subgraph,
    anything else a regular expression searched in the op's output tensor names. Raises
    QuantizeError for an index out of range, a bad pattern or one that matches no op."""
    kept: set[int] = set()
    for spec in (s.strip() for item in specs for s in item.split(",")):
        if not spec:
            continue
        if spec.startswith("worst:"):
            continue  # see split_worst
        if re.fullmatch(r"\d+", spec):
            index = int(spec)
            if index >= len(ops):
                raise QuantizeError(f"--keep-float {spec}: the model has ops 0..{len(ops) - 1}")
            kept.add(index)
            continue
        try:
            pattern = re.compile(spec)
        except re.error as err:
            raise QuantizeError(f"--keep-float {spec!r}: not a regular expression ({err})") from err
        matched = {op.index for op in ops if any(pattern.search(n) for n in op.outputs)}
        if not matched:
            raise QuantizeError(f"--keep-float {spec!r}: no op has an output tensor matching it")
        kept |= matched
    return sorted(kept)


def split_worst(specs: Sequence[str]) -> int | None:
    """K of `--keep-float worst:K` (None without it). Raises QuantizeError for a bad K."""
    worst = None
    for spec in (s.strip() for item in specs for s in item.split(",")):
        if spec.startswith("worst:"):
            m = re.fullmatch(r"worst:(\d+)", spec)
            if m is None or int(m.group(1)) < 1:
                raise QuantizeError(f"--keep-float {spec}: expected worst:K with K >= 1")
            worst = int(m.group(1))
    return worst


def output_path(outdir: Path, source: Path, recipe: str) -> Path:
    return outdir / f"{source.stem}.{recipe}.tflite"


def refuse_target(target: Path, force: bool) -> None:
    """Raises QuantizeError when `target` is a symlink (never written through, even with force)
    or exists and `force` is not set."""
    if os.path.islink(target):
        raise QuantizeError(f"{target} is a symbolic link; refusing to write through it")
    if target.exists() and not force:
        raise QuantizeError(f"{target} already exists; pass --force to overwrite it")
