"""The vectorised read of large vectors (model/_vector.py: a subgraph's tensors and operators,
the model's buffers) equals the scalar path, field by field, on every fixture, every corpus
model and damaged variants of them: the threshold is lowered so the small files take the
vectorised path too."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tflite_inspect.flatbuf import Vector
from tflite_inspect.flatbuf.schema import Table as TableDef
from tflite_inspect.model import Buffer, Finding, ModelError, Subgraph, _vector, open_model

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "fixtures").glob("*.tflite")) + sorted((ROOT / ".corpus").glob("*.tflite"))


def read(
    data: bytes, vectorised: bool, monkeypatch: pytest.MonkeyPatch, tolerant: bool = True
) -> tuple[tuple[Subgraph, ...], tuple[Buffer, ...], list[Finding]] | str:
    """(subgraphs, buffers, read findings) or the error text of a strict open, by one path."""
    monkeypatch.setattr(_vector, "VECTOR_MIN_TABLES", 1 if vectorised else 10**12)
    try:
        model = open_model(data, tolerant=tolerant)
        return model.subgraphs, model.buffers, list(model.read_findings)
    except ModelError as err:
        return str(err)


def spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, for each TableColumns.read, whether it gave columns (True) or fell back."""
    calls: list[bool] = []
    real = _vector.TableColumns.read.__func__  # type: ignore[attr-defined]

    def wrapped(
        cls: type[_vector.TableColumns], vec: Vector, n: int, tdef: TableDef
    ) -> _vector.TableColumns | None:
        got: _vector.TableColumns | None = real(cls, vec, n, tdef)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(_vector.TableColumns, "read", classmethod(wrapped))
    return calls


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_both_paths_build_equal_objects(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    scalar = read(data, False, monkeypatch)
    calls = spy(monkeypatch)
    vectorised = read(data, True, monkeypatch)
    assert calls and all(calls), "the vectorised path was not taken"
    assert not isinstance(scalar, str)
    assert not isinstance(vectorised, str)
    for sg_a, sg_b in zip(scalar[0], vectorised[0], strict=True):
        for a, b in zip(sg_a.tensors + sg_a.operators, sg_b.tensors + sg_b.operators, strict=True):
            assert a == b
    for x, y in zip(scalar[1], vectorised[1], strict=True):
        assert (x, x.data_offset, x.error) == (y, y.data_offset, y.error)
    assert vectorised == scalar


def test_the_default_threshold_keeps_small_models_scalar(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy(monkeypatch)
    assert open_model(MODELS[0]).subgraphs
    assert calls == []
    assert _vector.VECTOR_MIN_TABLES >= 1000


def _mutants(data: bytes, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        b = bytearray(data)
        for _ in range(rng.choice((1, 1, 2, 4))):
            at = rng.randrange(8, len(b))
            b[at] = rng.choice((0, 0xFF, b[at] ^ (1 << rng.randrange(8)), rng.randrange(256)))
        out.append(bytes(b))
    return out


@pytest.mark.parametrize("path", MODELS[:3], ids=lambda p: p.name)
def test_damaged_files_give_the_same_objects_findings_and_errors(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Byte flips anywhere: a failing column check hands the vector to the scalar path, a failing
    element to `_build_*`, so findings (tolerant) and errors (strict) are the scalar ones."""
    fell_back = taken = 0
    for data in _mutants(path.read_bytes(), 150, seed=len(path.name)):
        for tolerant in (True, False):
            scalar = read(data, False, monkeypatch, tolerant)
            calls = spy(monkeypatch)
            assert read(data, True, monkeypatch, tolerant) == scalar
            monkeypatch.undo()
            taken += sum(calls)
            fell_back += len(calls) - sum(calls)
    assert taken and fell_back, (taken, fell_back)


def test_gathered_scalars_keep_their_sign_and_width() -> None:
    import struct

    import numpy as np

    raw = struct.pack("<QqIhb?", 2**64 - 5, -3, 4_000_000_000, -2, -1, True) + bytes(8)
    b = np.frombuffer(raw, np.uint8)
    got = [
        _vector._gather(np, b, np.array([at]), fmt).tolist()[0]
        for at, fmt in ((0, "<Q"), (8, "<q"), (16, "<I"), (20, "<h"), (22, "<b"), (23, "<?"))
    ]
    assert got == [2**64 - 5, -3, 4_000_000_000, -2, -1, 1]
