"""How arrays travel between the parent and the interpreter child: the array file (`_arrays`) both
ways and what it refuses, the rows a child fills a sample at a time (`_wire.Rows`), the answer
file the parent accepts, the in-place dequantization and the chunk plan of a per-layer compare."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import pytest
from runtime.runtime_testlib import fixture_path

from tflite_inspect.allocator import keep_freed_memory
from tflite_inspect.analysis.compare import dequantize
from tflite_inspect.runtime import CompareRequest, compare_models
from tflite_inspect.runtime._arrays import MAGIC, load, save
from tflite_inspect.runtime._child import FAULT_ENV
from tflite_inspect.runtime._wire import Rows, pack
from tflite_inspect.runtime.compare import _short_last
from tflite_inspect.runtime.outcome import ChildFailure
from tflite_inspect.runtime.session import ChildSession

PLAIN: dict[str, np.ndarray] = {
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4),
    "scalar": np.array(-3, dtype=np.int8),
    "empty": np.zeros((0, 5), dtype=np.float64),
    "bytes": np.array([b"ab", b"c"]),
    "text": np.array(["x", "yz"]),
    "strided": np.arange(20, dtype=np.int64)[::3],
    "bool": np.array([True, False, True]),
    "complex": np.array([1 + 2j], dtype=np.complex64),
    "u16": np.array([[65535]], dtype=np.uint16),
    "big-endian": np.array([1.5, -2.0], dtype=">f8"),
}


def test_every_plain_array_comes_back_as_it_went(tmp_path: Path) -> None:
    save(tmp_path / "a", PLAIN)
    got = load(tmp_path / "a")
    assert list(got) == list(PLAIN)
    for key, value in PLAIN.items():
        assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
        assert np.array_equal(got[key], value), key
    assert got["f32"].flags.writeable  # as np.load's arrays: callers may work in place
    got["f32"][0, 0] = 7.0
    assert got["f32"][0, 0] == 7.0


def test_many_arrays_each_at_an_aligned_offset(tmp_path: Path) -> None:
    arrays = {f"t{i}": np.arange(i * 37, dtype=np.float32) for i in range(300)}
    save(tmp_path / "a", arrays)
    raw = (tmp_path / "a").read_bytes()
    header = json.loads(raw[16 : 16 + int.from_bytes(raw[8:16], "little")])
    assert all(offset % 64 == 0 for _, _, _, offset in header)
    got = load(tmp_path / "a")
    assert all(np.array_equal(got[k], v) for k, v in arrays.items())


def test_objects_and_records_never_travel(tmp_path: Path) -> None:
    for bad in (np.array([object()]), np.zeros(2, dtype=[("a", "i4")])):
        with pytest.raises(ValueError, match="cannot travel"):
            save(tmp_path / "a", {"x": bad})
    assert not (tmp_path / "a").exists()


def test_an_existing_file_or_link_is_never_written_through(tmp_path: Path) -> None:
    target = tmp_path / "kept"
    target.write_bytes(b"mine")
    (tmp_path / "link").symlink_to(target)
    for path in (target, tmp_path / "link"):
        with pytest.raises(FileExistsError):
            save(path, {"x": np.ones(3)})
    assert target.read_bytes() == b"mine"


def _file(entries: list[object], data: bytes = b"", length: int | None = None) -> bytes:
    header = json.dumps(entries).encode()
    size = len(header) if length is None else length
    return MAGIC + size.to_bytes(8, "little") + header + data


HEAD = len(_file([["x", "<f4", [2], 1000]]))  # where data could start in the files below

MALFORMED = {
    "empty": b"",
    "not ours": b"PK\x03\x04" + bytes(40),
    "header past the end": _file([], length=10**9),
    "header not JSON": MAGIC + (3).to_bytes(8, "little") + b"{[(",
    "header not a list": _file({"x": 1}),  # type: ignore[arg-type]
    "entry not a list": _file(["x"]),
    "object dtype": _file([["x", "|O", [1], 64]], bytes(64)),
    "record dtype": _file([["x", "V8", [1], 64]], bytes(64)),
    "unknown dtype": _file([["x", "nonsense", [1], 64]], bytes(64)),
    "negative shape": _file([["x", "<f4", [-1], 64]], bytes(64)),
    "shape not ints": _file([["x", "<f4", [1.5], 64]], bytes(64)),
    "too many dims": _file([["x", "<f4", [1] * 65, 64]], bytes(64)),
    "offset in the header": _file([["x", "<f4", [1], 0]], bytes(64)),
    "array past the end": _file([["x", "<f4", [1000], HEAD]], bytes(8)),
    "huge shape": _file([["x", "<f4", [2**40, 2**40], HEAD]], bytes(8)),
    "key twice": _file([["x", "|u1", [1], HEAD], ["x", "|u1", [1], HEAD]], bytes(8)),
}


@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_file_is_a_value_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "a").write_bytes(content)
    with pytest.raises(ValueError):
        load(tmp_path / "a")


def test_rows_pack_as_the_list_of_their_values_would() -> None:
    rng = np.random.default_rng(0)
    same = [rng.random((1, 4)).astype(np.float32) for _ in range(5)]
    ragged = [*same[:2], rng.random((1, 6)).astype(np.float32), *same[3:]]
    retyped: list[np.ndarray] = [*same[:3], same[3].astype(np.float64), same[4]]
    skipped: list[np.ndarray | None] = [same[0], None, same[2], same[3], None]
    first_missing: list[np.ndarray | None] = [None, *same[1:]]
    cases: list[list[np.ndarray | None]] = [
        list(same),
        list(ragged),
        list(retyped),
        skipped,
        first_missing,
        [],
    ]
    for values in cases:
        rows = Rows(len(values))
        for s, value in enumerate(values):
            if value is not None:
                rows.set(s, value)
        got, expected = pack({"t": rows.column()}), pack({"t": values})
        assert list(got) == list(expected)
        assert all(
            g.dtype == e.dtype and np.array_equal(g, e)
            for g, e in zip(got.values(), expected.values(), strict=True)
        )
    rows = Rows(2)
    rows.set(0, same[0])
    assert isinstance(rows.column(), list)  # a sample without a value: not one array


@pytest.mark.parametrize(
    ("shape", "scales", "zeros", "axis", "scale_shape", "zero_shape"),
    [
        ((16, 1, 14, 14, 8), [0.05], [-3], 0, (1,), (1,)),
        ((4, 3, 5), [0.1, 0.2, 0.3], [1, 2, 3], 1, (1, 3, 1), (1, 3, 1)),
        ((4, 3, 5), [0.1, 0.2, 0.3], [1], 1, (1, 3, 1), (1,)),
        ((), [0.5], [2], 0, (1,), (1,)),  # a 0-d array comes back with one axis, as before
        ((4, 1, 5), [0.1, 0.2, 0.3], [1, 2, 3], 1, (1, 3, 1), (1, 3, 1)),  # broadcast to 3
    ],
)
def test_dequantize_in_place_keeps_the_bits(
    shape: tuple[int, ...],
    scales: list[float],
    zeros: list[int],
    axis: int,
    scale_shape: tuple[int, ...],
    zero_shape: tuple[int, ...],
) -> None:
    """The same float32 steps as the one expression it was before working in place."""
    values = np.random.default_rng(1).integers(-128, 128, shape).astype(np.int8)
    scale = np.asarray(scales, dtype=np.float32).reshape(scale_shape)
    zero = np.asarray(zeros, dtype=np.float32).reshape(zero_shape)
    expected = ((values.astype(np.float32) - zero) * scale).astype(np.float32)
    got = dequantize(values, scales, zeros, axis)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.array_equal(got.view(np.uint32), expected.view(np.uint32))


def test_the_last_chunk_of_a_per_layer_compare_is_split_short() -> None:
    assert _short_last([(0, 128), (128, 256), (256, 384), (384, 512)]) == [
        (0, 128),
        (128, 256),
        (256, 384),
        (384, 480),
        (480, 512),
    ]
    assert _short_last([(0, 16), (16, 32), (32, 48), (48, 64)]) == [
        (0, 16),
        (16, 32),
        (32, 48),
        (48, 64),
    ]
    assert _short_last([(0, 100)]) == [(0, 100)]
    assert _short_last([(0, 128), (128, 140)]) == [(0, 128), (128, 140)]


def test_an_answer_outside_the_session_folder_breaks_the_protocol_and_stays(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "res1.arrays"
    save(outside, {"x": np.ones(2)})
    with ChildSession() as session:
        with pytest.raises(ChildFailure) as caught:
            session._answer_arrays(str(outside))
        assert caught.value.outcome.status == "crashed"
        assert "broke its protocol" in caught.value.outcome.message
        assert not session.alive
    assert outside.exists()  # never removed: not the session's


def test_a_malformed_answer_in_the_session_folder_breaks_the_protocol() -> None:
    with ChildSession() as session:
        bad = session.tmp / "res9.arrays"
        bad.write_bytes(b"not an array file")
        with pytest.raises(ChildFailure) as caught:
            session._answer_arrays(str(bad))
        assert "not an array file" in caught.value.outcome.message
        assert not bad.exists()


def test_a_crash_building_the_one_op_models_ends_the_compare_with_both_said() -> None:
    """The build is sent after the first chunk and read before the first isolated run: a crash
    there is told as A's (the child serves both) and the isolated figures are said stopped."""
    a, b = fixture_path("cnn.float32"), fixture_path("cnn.int8-io")
    report = compare_models(
        CompareRequest(a, b, inputs=fixture_path("cnn_eval.npz"), per_layer=True, runs=0),
        env={FAULT_ENV: "segv:isolate_prepare"},
    )
    failed = report.failed
    assert failed is not None and failed.outcome.status == "crashed"
    assert any("one-op runs stopped" in note for note in report.notes), report.notes


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt"
)
def test_freed_memory_is_kept_where_glibc_allows() -> None:
    assert keep_freed_memory() is True
    assert keep_freed_memory() is True  # once per process, the same answer after
