"""The convert package without TensorFlow: calibration rules, converter-error parsing, requests,
and the parent's handling of a child that writes a broken file or crashes (a fake child)."""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from tflite_inspect.convert import (
    ConvertEvent,
    ConvertJob,
    ConvertOptions,
    ConvertRequest,
    ConvertResult,
    InputSpec,
    OpError,
    SourceError,
    load_calibration,
    parse_variants,
    random_calibration,
)
from tflite_inspect.convert.errors import ConvertError
from tflite_inspect.convert.events import decode_child_line, encode_child_event
from tflite_inspect.convert.op_errors import op_error_from_proto_dict, op_errors_from_text

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
IMAGE = InputSpec("image", (1, 4, 4, 3), "float32")


# -- calibration ------------------------------------------------------------------------------


def test_npz_matched_by_name_and_by_position(tmp_path: Path) -> None:
    x = np.random.default_rng(0).random((5, 4, 4, 3))  # float64: cast to the input's float32
    np.savez(tmp_path / "named.npz", other=np.zeros(3), image=x)
    samples, info = load_calibration(tmp_path / "named.npz", [IMAGE])
    assert info["matched_by"] == "name" and info["mapping"] == {"image": "image"}
    assert len(samples) == 5 and samples[0]["image"].shape == (1, 4, 4, 3)
    assert samples[0]["image"].dtype == np.float32
    np.testing.assert_allclose(samples[4]["image"][0], x[4], rtol=1e-6)

    np.savez(tmp_path / "pos.npz", x=x, y=np.arange(5))
    samples, info = load_calibration(tmp_path / "pos.npz", [IMAGE], limit=2)
    assert info["matched_by"] == "position" and info["mapping"] == {"image": "x"}
    assert len(samples) == 2 and info["available"] == 5


def test_npy_file_and_folder_of_samples(tmp_path: Path) -> None:
    np.save(tmp_path / "one.npy", np.ones((3, 1, 4, 4, 3), np.float32))  # rank+1: full tensors
    samples, _ = load_calibration(tmp_path / "one.npy", [IMAGE])
    assert len(samples) == 3 and samples[0]["image"].shape == (1, 4, 4, 3)

    folder = tmp_path / "samples"
    folder.mkdir()
    for i in range(4):  # one sample per file, without its batch axis
        np.save(folder / f"s{i:02d}.npy", np.full((4, 4, 3), i, np.float32))
    samples, info = load_calibration(folder, [IMAGE])
    assert info["matched_by"] == "files"
    assert [float(s["image"].mean()) for s in samples] == [0.0, 1.0, 2.0, 3.0]


def test_calibration_mismatches_are_one_line_errors(tmp_path: Path) -> None:
    np.savez(tmp_path / "bad.npz", x=np.zeros((2, 5, 5, 3), np.float32))
    with pytest.raises(SourceError, match="needs"):
        load_calibration(tmp_path / "bad.npz", [IMAGE])
    np.savez(tmp_path / "text.npz", x=np.array([["a"] * 3] * 2))
    with pytest.raises(SourceError):
        load_calibration(tmp_path / "text.npz", [InputSpec("v", (1, 3), "float32")])
    two = [IMAGE, InputSpec("mask", (1, 4), "int32")]
    np.savez(tmp_path / "short.npz", x=np.zeros((2, 4, 4, 3)))
    with pytest.raises(SourceError, match="do not match"):
        load_calibration(tmp_path / "short.npz", two)
    with pytest.raises(SourceError, match="not a readable numpy file"):
        (tmp_path / "junk.npy").write_bytes(b"junk")
        load_calibration(tmp_path / "junk.npy", [IMAGE])


def test_random_calibration_is_seeded_and_warns() -> None:
    inputs = [InputSpec("image", (-1, 4, 4, 3), "float32"), InputSpec("ids", (1, 7), "int32")]
    a, info = random_calibration(inputs, 3, seed=5)
    b, _ = random_calibration(inputs, 3, seed=5)
    assert info["kind"] == "random" and "RANDOM" in info["warning"]
    assert a[0]["image"].shape == (1, 4, 4, 3) and a[0]["ids"].dtype == np.int32
    np.testing.assert_array_equal(a[2]["image"], b[2]["image"])


# -- converter errors -------------------------------------------------------------------------


def test_op_error_prefers_the_users_source_line() -> None:
    data = {
        "component": "CONVERT_TF_TO_TFLITE_MODEL",
        "subcomponent": "CONVERT_GRAPHDEF",
        "error_code": "ERROR_NEEDS_FLEX_OPS",
        "error_message": "'tf.Cosh' op is neither a custom op nor a flex op",
        "operator": {"name": "tf.Cosh"},
        "location": {
            "type": "CALLSITELOC",
            "call": [
                {
                    "name": "Cosh@fn",
                    "source": {
                        "filename": "/x/site-packages/tensorflow/ops.py",
                        "line": 10,
                        "column": 1,
                    },
                },
                {"name": "fn", "source": {"filename": "/home/me/model.py", "line": 8, "column": 3}},
            ],
        },
    }
    e = op_error_from_proto_dict(data)
    assert e.op == "tf.Cosh" and e.tf_name == "Cosh"
    assert e.location == "/home/me/model.py:8:3"
    assert e.fix is not None and e.fix.flag == "--select-tf-ops"
    assert OpError.from_dict(e.to_dict()) == e


def test_op_errors_from_message_text() -> None:
    text = (
        "Some ops are not supported by the native TFLite runtime...\n"
        "TF Select ops: Angle, Exp, IRFFT\nDetails:\n\ttf.Angle(...)\n"
        "Custom ops: MyOp\nDetails:\n\ttf.MyOp(...)"
    )
    errors = op_errors_from_text(text)
    assert [(e.op, e.error_code) for e in errors] == [
        ("tf.Angle", "ERROR_NEEDS_FLEX_OPS"),
        ("tf.Exp", "ERROR_NEEDS_FLEX_OPS"),
        ("tf.IRFFT", "ERROR_NEEDS_FLEX_OPS"),
        ("tf.MyOp", "ERROR_NEEDS_CUSTOM_OPS"),
    ]
    assert op_errors_from_text("something else") == []


# -- requests and results ---------------------------------------------------------------------


def test_parse_variants() -> None:
    assert parse_variants("int8,float32, int8") == ("float32", "int8")
    assert len(parse_variants("all")) == 6
    with pytest.raises(ConvertError, match="unknown variant 'int4'"):
        parse_variants("float32,int4")


def test_retry_command_repeats_the_request() -> None:
    request = ConvertRequest(
        Path("my models/m.keras"),
        Path("out"),
        ("float32", "int8"),
        calibration=Path("c.npz"),
        options=ConvertOptions(samples=10, per_channel=False),
    )
    argv = shlex.split(request.command_line(select_tf_ops=True))
    assert argv == [
        "tflite-inspect",
        "convert",
        "my models/m.keras",
        "-o",
        "out",
        "--variant",
        "float32,int8",
        "--calibration",
        "c.npz",
        "--samples",
        "10",
        "--select-tf-ops",
        "--no-per-channel",
    ]


def test_exit_codes() -> None:
    assert ConvertResult("ok").exit_code == 0
    assert ConvertResult("conversion_failed").exit_code == 1
    assert ConvertResult("source_failed", reason="unsafe").exit_code == 2
    assert ConvertResult("source_failed", reason="internal").exit_code == 1
    assert ConvertResult("cancelled").exit_code == 130


def test_event_lines_round_trip() -> None:
    line = encode_child_event("loading", None, kind="keras")
    assert decode_child_line(line) == ("loading", None, {"kind": "keras"})
    assert decode_child_line("Saved artifact at /tmp/x") is None
    assert decode_child_line('{"event": "rm -rf"}') is None


# -- the parent with a fake child -------------------------------------------------------------

FAKE_CHILD = """#!{python}
import json, os, signal, sys
request = json.loads(sys.stdin.read())
print("noise on stderr", file=sys.stderr, flush=True)
variant = request["variants"][0]
def emit(kind, **data):
    print(json.dumps({{"event": kind, "variant": variant["name"], **data}}), flush=True)
emit("variant_started", index=0, total=1)
if {crash!r}:
    os.kill(os.getpid(), signal.SIGSEGV)
with open(variant["part"], "wb") as f:
    f.write(b"\\xf0\\x00\\x00\\x00TFL3" + b"\\x00" * 24)  # root offset past the end
emit("variant_converted", bytes=32, part=variant["part"], seconds=0.1)
"""


@pytest.mark.parametrize("crash, outcome", [(False, "verification_failed"), (True, "crashed")])
def test_broken_output_or_crash_writes_nothing(tmp_path: Path, crash: bool, outcome: str) -> None:
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_CHILD.format(python=sys.executable, crash=crash))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    out = tmp_path / "out"
    events: list[ConvertEvent] = []
    request = ConvertRequest(FIXTURES / "cnn.keras", out, ("float32",))
    result = ConvertJob(request, on_event=events.append, python=str(fake)).run()
    assert result.outcome == outcome and result.exit_code == 1
    assert result.variant == "float32"
    if crash:
        assert "signal 11" in result.message
    else:
        assert "fails verification" in result.message
    assert [e.data["line"] for e in events if e.kind == "log"] == ["noise on stderr"]
    assert sorted(p.name for p in out.iterdir()) == ["convert.log"]
    assert "noise on stderr" in (out / "convert.log").read_text()
    json.dumps(result.to_dict())
    assert os.path.exists(out / "convert.log")


def test_failures_grouped_by_class_with_one_hint() -> None:
    from tflite_inspect.convert import VariantOutcome, failure_groups
    from tflite_inspect.convert._ending import how_it_ended
    from tflite_inspect.convert.op_errors import failing_node

    def oom(variant: str, mb: int) -> VariantOutcome:
        stage, message, hint = how_it_ended("memory", -9, 60.0, 600, mb, "")
        return VariantOutcome(
            variant,
            "failed",
            message + f" while converting {variant}",
            stage,
            failure="out_of_memory",
            hint=hint or "raise --memory-mb or convert fewer variants",
        )

    outcomes = [
        VariantOutcome("float32", "written"),
        oom("dynamic", 602),
        oom("int8", 600),
        VariantOutcome(
            "int8-io",
            "failed",
            "sample 1 of 4: ...",
            "calibrate",
            failure="calibration",
            hint="fit the data",
        ),
        oom("int16x8", 600),
    ]
    groups = failure_groups(outcomes)
    assert [g.label for g in groups] == ["out of memory", "calibration failed"]
    memory = groups[0]
    assert memory.variants == ("dynamic", "int8", "int16x8")
    lines = memory.lines()
    assert lines[0].startswith(
        "dynamic: failed: out of memory: the TensorFlow process used "
        "602 MB, more than --memory-mb 600"
    )
    assert lines[1].startswith("int8: failed: ") and "600 MB" in lines[1]
    assert lines[2].startswith("int16x8: failed: ")
    assert lines[3:] == ["  hint: raise --memory-mb or convert fewer variants"]
    # a SIGKILL nobody asked for, with no limit: out of memory too, with its own hint
    stage, message, hint = how_it_ended("exited", -9, 60.0, None, 0.0, "")
    assert stage == "memory" and "SIGKILL" in message and "--memory-mb" in (hint or "")
    stage, message, hint = how_it_ended("exited", 1, 60.0, None, 0.0, "...\nMemoryError")
    assert stage == "memory" and "exited with status 1" in message
    assert how_it_ended("exited", -11, 60.0, None, 0.0, "")[:2] == (
        "crash",
        "the TensorFlow process was killed by signal 11 (SIGSEGV)",
    )
    assert failing_node(
        "reshape.cc:94 x != y (5 != 0)Node number 3 (RESHAPE) failed to invoke."
    ) == ("RESHAPE", 3, "invoke", "")
