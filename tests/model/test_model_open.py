"""open_model: strict and tolerant opening, user-facing errors, life cycle, never-crash."""

from __future__ import annotations

import struct
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from model.model_testlib import FIXTURE_NAMES, fixture_path, flex_strings, node_def, pb_int

from support.damage import Case, cases_for, not_tflite_cases
from support.tflite_builder import add_model, write_model
from tflite_inspect.model import Model, ModelError, open_model
from tflite_inspect.model.checks import check_model
from tflite_inspect.model.sizes import size_report
from tflite_inspect.model.weights import dequantize, tensor_data, weight_stats


def exercise(model: Model) -> int:
    """Touches every object and derived view a UI would show; returns a count of things seen.

    Only ModelError may come out of per-tensor weight reads (damaged data); nothing may escape
    from the object accessors, the checks or the size report."""
    seen = 0
    for name in (
        "version",
        "description",
        "operator_codes",
        "buffers",
        "signatures",
        "metadata",
        "external_buffers",
    ):
        getattr(model, name)
        seen += 1
    for sg in model.subgraphs:
        for op in sg.operators:
            _ = op.custom, op.options, op.opcode_name
            seen += 1
        for t in sg.tensors:
            seen += 1
            if t.is_constant:
                try:
                    arr = tensor_data(model, t)
                    if arr.dtype != object and arr.size:
                        weight_stats(arr, bins=4)
                    if t.is_quantized:
                        dequantize(model, t)
                except ModelError:
                    pass
    check_model(model)
    report = size_report(model)
    assert sum(report.parts.values()) == model.file_size
    return seen


def test_open_bytes_and_path(tmp_path: Path) -> None:
    data = write_model(add_model())
    m1 = open_model(data)
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    with open_model(path) as m2:
        assert m2.path == str(path)
        assert m2.file_size == len(data) == m1.file_size
        assert [t.name for t in m2.subgraphs[0].tensors] == [
            t.name for t in m1.subgraphs[0].tensors
        ]
    assert m1.path is None and m1.structural.ok


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        open_model(tmp_path / "nope.tflite")


@pytest.mark.parametrize("case", not_tflite_cases(), ids=lambda c: c.name)
def test_not_a_tflite_file_gets_a_clear_message(case: Case) -> None:
    with pytest.raises(ModelError) as info:
        open_model(case.data)
    err = info.value
    assert isinstance(err, ValueError)
    assert "not a TFLite model" in str(err)
    assert "\n" not in str(err)
    assert err.code in ("NOT_TFLITE", "NOT_FLATBUFFER", "FILE_TOO_SHORT", "BAD_IDENTIFIER")
    assert err.diagnostics


def test_damaged_model_strict_error_names_where() -> None:
    data = bytearray(write_model(add_model()))
    struct.pack_into("<I", data, 0, len(data) + 100)  # root offset past the end
    with pytest.raises(ModelError) as info:
        open_model(bytes(data))
    err = info.value
    assert err.code == "OFFSET_OUT_OF_RANGE" and (err.start, err.end) == (0, 4)
    assert "damaged TFLite model" in str(err) and "tolerant" in str(err)
    assert "\n" not in str(err)
    model = open_model(bytes(data), tolerant=True)
    assert not model.structural.ok
    assert model.subgraphs == () and model.buffers == ()
    assert [f.code for f in model.read_findings] == ["READ_ERROR"]
    exercise(model)


def _seed() -> bytes:
    model = add_model(operators=2)
    t = model["subgraphs"][0]["tensors"][1]
    t["quantization"] = {"scale": [0.5], "zero_point": [0]}
    model["operator_codes"].append(
        {"deprecated_builtin_code": 32, "builtin_code": 32, "custom_code": "FlexFoo", "version": 1}
    )
    model["subgraphs"][0]["operators"].append(
        {
            "opcode_index": 1,
            "inputs": [3],
            "outputs": [],
            "custom_options": flex_strings(b"Foo", node_def("Foo", T=pb_int(6, 1))),
        }
    )
    model["metadata"] = [{"name": "min_runtime_version", "buffer": 2}]
    model["buffers"].append({"data": b"2.3.0\0\0\0"})
    return write_model(model)


def test_seed_is_valid() -> None:
    model = open_model(_seed())
    assert exercise(model) > 10


@pytest.mark.parametrize("case", cases_for(_seed(), "seed"), ids=lambda c: c.name)
def test_damaged_cases_tolerant_never_crash(case: Case) -> None:
    model = open_model(case.data, tolerant=True)
    exercise(model)
    if case.code is not None:
        with pytest.raises(ModelError):
            open_model(case.data)


def test_every_single_byte_change_is_survived() -> None:
    """Each byte of a small model set to 0x00, 0xFF and 0x80: tolerant open and a full walk
    never raise anything but ModelError from weight reads."""
    seed = _seed()
    for pos in range(len(seed)):
        for value in (0x00, 0xFF, 0x80):
            if seed[pos] == value:
                continue
            data = bytearray(seed)
            data[pos] = value
            model = open_model(bytes(data), tolerant=True)
            try:
                exercise(model)
            except Exception as err:  # pragma: no cover - the failure message is the point
                raise AssertionError(
                    f"byte {pos} = {value:#x}: {type(err).__name__}: {err}"
                ) from err


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixtures_open_strict_and_tolerant(name: str) -> None:
    path = fixture_path(name)
    strict = open_model(path)
    assert strict.structural.ok and strict.version == 3
    tolerant = open_model(path, tolerant=True)
    assert exercise(tolerant) == exercise(strict)
    assert tolerant.read_findings == []


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixtures_truncated_tolerant_never_crash(name: str) -> None:
    data = fixture_path(name).read_bytes()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 17):
        model = open_model(data[:cut], tolerant=True)
        exercise(model)


def test_arrays_outlive_close() -> None:
    data = write_model(add_model(const=np.arange(4, dtype="<f4").tobytes()))
    model = open_model(data)
    arr = tensor_data(model, model.subgraphs[0].tensors[1])
    model.close()
    model.close()  # idempotent
    assert arr.tolist() == [[0.0, 1.0, 2.0, 3.0]]


def _findings_while_building_subgraphs() -> bytes:
    """A damaged seed whose subgraphs record read findings as they are built."""
    for case in cases_for(_seed(), "seed"):
        model = open_model(case.data, tolerant=True)
        before = len(model.read_findings)
        model.subgraphs  # noqa: B018
        if len(model.read_findings) > before:
            return case.data
    raise AssertionError("no damaged case records findings while building subgraphs")


def test_subgraphs_are_built_once_when_threads_ask_together() -> None:
    """The UI's load worker builds the subgraphs while its screen may ask for them: every
    caller gets the same objects, and each read finding is recorded once."""
    data = _findings_while_building_subgraphs()
    alone = open_model(data, tolerant=True)
    expected = alone.subgraphs
    model = open_model(data, tolerant=True)
    assert not model.subgraphs_built
    start = threading.Barrier(8)
    got: list[object] = []

    def ask() -> None:
        start.wait()
        got.append(model.subgraphs)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that unguarded builds would overlap
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert len(got) == 8 and all(g is got[0] for g in got)
    assert got[0] == expected and model.subgraphs_built
    assert model.read_findings == alone.read_findings


def test_count_reads_a_vector_length_without_building() -> None:
    model = open_model(fixture_path("cnn.int8-io"))
    assert model.count("subgraphs") == 1 and not model.subgraphs_built
    assert model.count("buffers") == len(model.buffers)
    assert model.count("signature_defs") == len(model.signatures)


def test_a_size_prefixed_model_is_named_and_told_how_to_fix_it() -> None:
    """A TFLite flatbuffer written with a 4-byte size prefix (FinishSizePrefixed): the identifier
    sits at bytes 8..12. The verifier names that from the schema's own identifier."""
    data = write_model(add_model())
    prefixed = struct.pack("<I", len(data)) + data
    with pytest.raises(ModelError) as info:
        open_model(prefixed)
    text = str(info.value)
    assert info.value.code == "NOT_TFLITE" and "not a TFLite model" in text
    assert "size-prefixed flatbuffer with the TFL3 identifier" in text
    assert "strip the 4-byte size prefix" in text


def test_verify_says_only_what_the_file_is_when_it_is_another_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tflite_inspect.cli import main

    data = write_model(add_model())
    path = tmp_path / "prefixed.tflite"
    path.write_bytes(struct.pack("<I", len(data)) + data)
    assert main(["verify", str(path)]) == 2
    out = capsys.readouterr().out
    assert "NOT_TFLITE" in out and "size-prefixed" in out
    assert (
        "VERSION_UNSUPPORTED" not in out and "NO_SUBGRAPHS" not in out
    )  # no checks of a non-model


def test_a_model_that_keeps_its_builds_freezes_them_out_of_the_collectors_walks() -> None:
    import gc

    from tflite_inspect.cli.common import open_model_or_fail

    gc.unfreeze()
    try:
        with open_model(fixture_path("cnn.int8")) as model:
            assert not model.freeze_builds
            assert model.subgraphs and gc.get_freeze_count() == 0
        with open_model_or_fail(fixture_path("cnn.int8")) as model:  # what a command does
            assert model.freeze_builds
            tensor = model.subgraphs[0].tensors[0]
            assert gc.get_freeze_count() > 0
            assert not any(tensor is obj for obj in gc.get_objects())  # frozen, not walked
    finally:
        gc.unfreeze()


def test_element_counts_are_what_the_build_holds_and_never_raise() -> None:
    """The first screen's op and tensor counts come from the vectors' lengths: on every
    fixture and corpus model they are the built subgraphs' own; damaged copies never raise."""
    root = Path(__file__).resolve().parents[2]
    paths = sorted((root / "fixtures").glob("*.tflite")) + sorted(
        (root / ".corpus").glob("*.tflite")
    )
    for path in paths:
        with open_model(path) as model:
            built = (
                sum(len(sg.operators) for sg in model.subgraphs),
                sum(len(sg.tensors) for sg in model.subgraphs),
            )
            assert model.element_counts() == built, path.name
    for case in cases_for(fixture_path("cnn.int8").read_bytes(), "cnn.int8")[:60]:
        with open_model(case.data, tolerant=True) as model:
            counts = model.element_counts()
            assert counts is None or min(counts) >= 0
