"""The vectorised proof of big vectors of tables (flatbuf/_vverify.py) never changes a report: on
every fixture, corpus and bench model, and on damaged copies of a small and of a big model, the
verdict and every diagnostic are the same with the proof forced on (threshold 1) and off."""

from __future__ import annotations

import random
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.tflite_builder import add_model, write_model
from tflite_inspect.flatbuf import ByteSource, _vverify, load_schema, verifier
from tflite_inspect.flatbuf.schema import Table as TableDef
from tflite_inspect.flatbuf.verifier import VerifyOptions, verify

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "fixtures").glob("*.tflite")) + sorted((ROOT / ".corpus").glob("*.tflite"))
BENCH = [Path(f"/tmp/tflite-inspect-bench/tf-conv-chain-{n}.tflite") for n in (3000, 10000)]
SMALL = (ROOT / "fixtures" / "cnn.int8-io.tflite").read_bytes()
BIG = write_model(add_model(operators=2000))  # 2,002 tensors, 2,000 operators and options


_Report = tuple[bool, bool, int, int, list[tuple[str, str, int, int, str, str]]]


def report(
    data: bytes, vectorised: bool, monkeypatch: pytest.MonkeyPatch, **opts: Any
) -> list[_Report]:
    """Everything a report says, by one path."""
    monkeypatch.setattr(verifier, "VECTOR_MIN_TABLES", 1 if vectorised else 10**12)
    out: list[_Report] = []
    for tolerant in (True, False):
        rep = verify(ByteSource(data), load_schema(), VerifyOptions(**opts), tolerant=tolerant)
        out.append(
            (
                rep.ok,
                rep.stopped,
                rep.tables_visited,
                rep.unique_tables,
                [(d.code, d.message, d.start, d.end, d.path, d.severity) for d in rep.diagnostics],
            )
        )
    return out


def spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Records (elements, elements proven clean) of each proof (-1 when it gave up)."""
    calls: list[tuple[int, int]] = []
    real = _vverify.prove

    def wrapped(v: Any, vec: int, n: int, tdef: TableDef, depth: int) -> _vverify.Proof | None:
        proof = real(v, vec, n, tdef, depth)
        calls.append((n, -1 if proof is None else sum(proof.ok)))
        return proof

    monkeypatch.setattr(_vverify, "prove", wrapped)
    return calls


def same(data: bytes, monkeypatch: pytest.MonkeyPatch, **opts: Any) -> None:
    assert report(data, True, monkeypatch, **opts) == report(data, False, monkeypatch, **opts)


@pytest.mark.parametrize("path", MODELS + [p for p in BENCH if p.is_file()], ids=lambda p: p.name)
def test_both_paths_give_the_same_report(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    calls = spy(monkeypatch)
    same(data, monkeypatch)
    assert calls and any(clean > 0 for _, clean in calls), "the proof was not used"


def test_the_big_model_is_proven_clean_at_the_default_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = spy(monkeypatch)
    rep = verify(ByteSource(BIG), load_schema())
    assert rep.ok and not rep.diagnostics
    assert sorted(calls) == [(2000, 2000), (2002, 2002)]  # operators (with options), tensors
    assert report(BIG, False, monkeypatch)[0][2:4] == (rep.tables_visited, rep.unique_tables)


def test_small_models_keep_the_scalar_path_and_import_no_numpy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = spy(monkeypatch)
    assert verify(ByteSource(SMALL), load_schema()).ok
    assert calls == [] and verifier.VECTOR_MIN_TABLES >= 1000
    code = (
        "import sys; from tflite_inspect.flatbuf import ByteSource, load_schema, verify;"
        f"verify(ByteSource(open({str(ROOT / 'fixtures' / 'cnn.int8-io.tflite')!r}, 'rb')"
        ".read()), load_schema()); print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "opts",
    [
        {"max_depth": 3},
        {"max_depth": 4},
        {"max_tables": 3000},
        {"max_tables": 5000},
        {"max_tables": 6004},
        {"check_alignment": False},
    ],
    ids=str,
)
def test_limits_and_options_give_the_same_report(
    opts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    same(BIG, monkeypatch, **opts)
    same(SMALL, monkeypatch, **opts)


def test_a_buffer_limit_below_the_file_size_gives_the_same_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for cut in (4, 100, len(BIG) // 2):
        same(BIG, monkeypatch, max_size=len(BIG) - cut)


def _mutants(data: bytes, count: int, seed: int) -> list[bytes]:
    """Byte flips, interesting 32-bit values on aligned words, and truncations."""
    rng = random.Random(seed)
    out = []
    values = (0, 1, 2, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, len(data), len(data) - 4)
    for k in range(count):
        b = bytearray(data)
        if k % 10 == 9:
            out.append(bytes(b[: rng.randrange(len(b))]))
            continue
        for _ in range(rng.choice((1, 1, 2, 4))):
            if rng.random() < 0.5:
                at = rng.randrange(8, len(b))
                b[at] = rng.choice((0, 0xFF, 0x80, b[at] ^ (1 << rng.randrange(8))))
            else:
                at = rng.randrange(8, len(b) - 4) & ~3
                struct.pack_into("<I", b, at, rng.choice(values))
        out.append(bytes(b))
    return out


@pytest.mark.parametrize(("name", "data"), [("small", SMALL), ("big", BIG)])
def test_damaged_copies_give_the_same_report(
    name: str, data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    for mutant in _mutants(data, 300 if name == "small" else 200, seed=len(data)):
        same(mutant, monkeypatch)


def test_shared_and_cyclic_tables_give_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """Vector elements that point at one table (a DAG) or at the wrong place, and non-ASCII
    tensor names: counted, limited and reported as the scalar path does."""
    from tflite_inspect.flatbuf import root

    model = root(ByteSource(BIG), load_schema())
    tensors = model.get("subgraphs")[0].get("tensors")
    first = tensors.pos + 4
    target = first + struct.unpack_from("<I", BIG, first)[0]
    shared = bytearray(BIG)
    for i in range(1, 50):
        at = first + 4 * i
        struct.pack_into("<I", shared, at, target - at)
    same(bytes(shared), monkeypatch)
    same(bytes(shared), monkeypatch, max_tables=4000)
    same(bytes(shared), monkeypatch, max_tables=6050, deadline_seconds=60.0)
    ops = model.get("subgraphs")[0].get("operators")
    for at, to in ((first + 4 * 7, ops.pos + 4), (first + 4 * 8, target + 4), (first, 0)):
        misplaced = bytearray(BIG)  # a tensor read at an operator, mid-table, or before itself
        struct.pack_into("<I", misplaced, at, (to - at) & 0xFFFFFFFF)
        same(bytes(misplaced), monkeypatch)
    name = BIG.find(b"add1000\x00")
    accented = bytearray(BIG)
    accented[name : name + 2] = "é".encode()
    same(bytes(accented), monkeypatch)
    accented[name] = 0xFF
    same(bytes(accented), monkeypatch)


def _unaligned_buffers(count: int) -> bytes:
    """The small fixture with `count` more buffers of 1 to 7 bytes, packed by the schema object
    API that ships with the interpreter, which does not honour force_align: most of their
    `data` vectors are off the 16-byte boundary (an UNALIGNED_DATA warning each), as in
    models other tools extend."""
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    flatbuffers = pytest.importorskip("flatbuffers")
    import numpy as np

    model = schema.ModelT.InitFromPackedBuf(bytearray(SMALL), 0)
    for i in range(count):
        buf = schema.BufferT()
        buf.data = np.arange(i % 7 + 1, dtype=np.uint8)
        model.buffers.append(buf)
    builder = flatbuffers.Builder(1 << 16)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_unaligned_data_warnings_are_proven_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one warning the proof gives itself: same diagnostics, same order, as the scalar walk,
    on the whole file and on damaged copies (where other diagnostics interleave with them)."""
    data = _unaligned_buffers(2500)
    calls = spy(monkeypatch)
    vectorised = report(data, True, monkeypatch)
    warned = [d for d in vectorised[0][4] if d[0] == "UNALIGNED_DATA"]
    assert len(warned) > 1000
    assert any(n >= 2500 and proven == n for n, proven in calls), calls  # all proven, warnings too
    assert vectorised == report(data, False, monkeypatch)
    for mutant in _mutants(data, 60, seed=7):
        same(mutant, monkeypatch)


def test_a_shared_parent_of_proven_vectors_counts_its_visits_as_the_scalar_walk_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """subgraphs[1] pointing at subgraphs[0]: the second visit takes the first's recorded visit
    count, which the proven tensors and operators vectors added to; under a table budget just
    above and below the real total, both paths give the same verdict and counts."""
    import copy

    from tflite_inspect.flatbuf import root

    m = add_model(operators=2000)
    m["subgraphs"].append(copy.deepcopy(m["subgraphs"][0]))
    data = bytearray(write_model(m))
    subgraphs = root(ByteSource(bytes(data)), load_schema()).get("subgraphs")
    first, second = subgraphs.pos + 4, subgraphs.pos + 8
    target = first + struct.unpack_from("<I", data, first)[0]
    struct.pack_into("<I", data, second, target - second)
    shared = bytes(data)
    same(shared, monkeypatch)
    total = verify(ByteSource(shared), load_schema()).tables_visited
    for limit in (total - 1, total, total + 1, total // 2 + 3):
        same(shared, monkeypatch, max_tables=limit)
