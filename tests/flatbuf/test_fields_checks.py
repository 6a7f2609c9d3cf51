"""`Fields`, the fast reader of many fields of one table, goes through the reader's own checks:
on damaged copies it gives exactly the value or exactly the error (code, message, range, path)
that `Table.get` gives for the same field. Real fixtures, mutated."""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tflite_inspect.flatbuf import ByteSource, load_schema
from tflite_inspect.flatbuf.errors import FlatBufError
from tflite_inspect.flatbuf.fields import Fields
from tflite_inspect.flatbuf.reader import Table, root

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEEDS = [FIXTURES / "cnn.int8-io.tflite", FIXTURES / "cnn.float32.tflite"]
# Tensor fields of every kind Fields reads: scalars, a scalar vector, a string, a table
SCALARS = ("type", "buffer", "is_variable", "has_rank")
VECTORS = ("shape", "shape_signature")


def _outcome(read: Callable[[], Any]) -> tuple[str, Any]:
    try:
        value = read()
    except FlatBufError as err:
        return ("error", (err.code, str(err), err.start, err.end, err.path))
    if isinstance(value, Table):
        return ("table", (value.pos, value.path))
    if value is not None and not isinstance(value, (int, float, str, bool, tuple)):
        value = tuple(value)  # a reader Vector: its elements
    return ("value", value)


def _fast(fields: Fields, name: str) -> Any:
    if name in SCALARS:
        return fields.scalar(name)
    if name in VECTORS:
        return fields.ints(name)
    return fields.string(name) if name == "name" else fields.table(name)


def _tensors(data: bytes) -> list[Table]:
    """Every tensor table the reader can reach in a (damaged) copy."""
    out: list[Table] = []
    try:
        model = root(ByteSource(data), load_schema())
        for sg in model.get("subgraphs") or []:
            tensors = sg.get("tensors") or []
            for i in range(len(tensors)):
                try:
                    out.append(tensors[i])
                except FlatBufError:
                    continue
    except FlatBufError:
        pass
    return out


def _mutants(data: bytes, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    values = (0, 1, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, len(data), len(data) - 4)
    out = []
    for _ in range(count):
        b = bytearray(data)
        at = rng.randrange(8, len(b) - 4) & ~3
        if rng.random() < 0.5:
            b[at] = rng.choice((0, 0xFF, 0x80))
        else:
            struct.pack_into("<I", b, at, rng.choice(values))
        out.append(bytes(b))
    return out


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_fields_and_the_reader_agree_on_damaged_copies(seed: Path) -> None:
    data = seed.read_bytes()
    compared = errors = 0
    for mutant in [data, *_mutants(data, 400, seed=len(data))]:
        for tensor in _tensors(mutant):
            fields = Fields(tensor)
            for name in (*SCALARS, *VECTORS, "name", "quantization"):
                ours = _outcome(partial(_fast, fields, name))
                theirs = _outcome(partial(tensor.get, name))
                assert ours == theirs, (name, tensor.path)
                compared += 1
                errors += ours[0] == "error"
    assert compared > 1000 and errors > 0  # the sweep reached damaged fields
