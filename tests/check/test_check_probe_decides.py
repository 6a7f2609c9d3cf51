"""Where a runtime probe ran, its outcome decides the verdict (issue 11, part 2): the TFLite Micro
hello-world model and a Keras-style -1 batch model fit micro exactly when TFLM allocates them in
the given arena; a MediaPipe model with a custom op the XNNPACK delegate takes fits litert when
LiteRT loads it; a model the probe cannot load fails. Real interpreters in child processes."""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

import pytest
from check.check_testlib import ADD, CUSTOM, opcode, write

from support.tflite_builder import add_model, placeholder_conv_model, write_model
from tflite_inspect.check import check_targets, installed_runtimes
from tflite_inspect.check.data import InstalledRuntime
from tflite_inspect.check.probe import ProbeResult
from tflite_inspect.check.report import OpCheck
from tflite_inspect.check.targets import litert_target
from tflite_inspect.cli import main
from tflite_inspect.model import open_model

CORPUS = Path(__file__).resolve().parents[2] / ".corpus"
LITERT = InstalledRuntime("ai-edge-litert", "2.3.0", "ai_edge_litert", "2.22.0", False)

needs_micro = pytest.mark.skipif(
    importlib.util.find_spec("tflite_micro") is None,
    reason="the tflite-micro wheel is not installed",
)


def _needs_litert() -> None:
    if not any(r.name == "ai-edge-litert" for r in installed_runtimes()):
        pytest.skip("ai-edge-litert is not installed")


def sine_model() -> Path:
    """The TFLite Micro hello-world model the tflite-micro wheel ships ([-1, 1] signatures)."""
    path = resources.files("tflite_micro").joinpath("python", "tflite_micro", "sine_float.tflite")
    if not path.is_file():
        pytest.skip("the tflite-micro wheel ships no sine_float.tflite")
    return Path(str(path))


def keras_batch_model(tmp_path: Path) -> Path:
    """out = in + const, float32 [1, 4] stored, [-1, 4] in shape_signature as Keras writes it."""
    m = add_model(operators=2)
    for t in m["subgraphs"][0]["tensors"]:
        if t["name"] != "const":
            t["shape_signature"] = [-1, 4]
    return write(tmp_path, m, "keras_batch.tflite")


def _micro_arena_used(path: Path) -> int:
    report = check_targets(open_model(path), ["micro"])
    v = report.targets["micro"]
    assert v.fits, [f.message for f in v.findings]
    probe: ProbeResult
    (probe,) = [p for p in report.probes if p.runtime == "tflite-micro"]
    assert probe.ok and probe.arena is not None
    return probe.arena.total


def _exit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, out


@needs_micro
@pytest.mark.parametrize("which", ["sine", "keras"])
def test_micro_fits_exactly_when_tflm_allocates_in_the_arena(
    which: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sine_model() if which == "sine" else keras_batch_model(tmp_path)
    used = _micro_arena_used(path)
    report = check_targets(open_model(path), ["micro"])
    v = report.targets["micro"]
    # the -1 batch is one line of information, not an error per tensor
    sig = [f for f in v.findings if f.rule == "shape_signature"]
    assert len(sig) == 1 and sig[0].severity == "info" and not v.errors
    assert "tflite-micro" in v.decided_by and "allocated" in v.decided_by
    assert "invoked once on zeros" in v.decided_by  # load, allocate and one invoke, as said

    code, out = _exit(
        capsys, "check", str(path), "--target", "micro", "--arena-size", str(4 * used)
    )
    assert code == 0, out
    assert "verdict: fits micro (decided by the tflite-micro" in out
    code, out = _exit(
        capsys, "check", str(path), "--target", "micro", "--arena-size", str(used // 2)
    )
    assert code == 1, out
    assert "verdict: does not fit micro (decided by the tflite-micro" in out
    assert "is too small" in out


@needs_micro
def test_micro_model_tflm_cannot_register_fails(tmp_path: Path) -> None:
    m = add_model()
    m["operator_codes"] = [opcode(CUSTOM, custom="NoSuchKernel")]
    report = check_targets(open_model(write(tmp_path, m)), ["micro"], arena_limit=10_000_000)
    v = report.targets["micro"]
    assert not v.fits and "tflite-micro" in v.decided_by
    assert any(f.rule.startswith("probe") and f.severity == "error" for f in v.findings)


def test_litert_selfie_segmentation_fits_when_the_probe_allocates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = CORPUS / "mediapipe.selfie_segmentation.tflite"
    if not path.is_file():
        pytest.skip(f"{path} is absent (make corpus)")
    _needs_litert()
    report = check_targets(open_model(path), ["litert"], runtimes=["ai-edge-litert"])
    (probe,) = report.probes
    v = report.targets["litert"]
    assert v.fits == probe.ok, (probe.message, [f.message for f in v.errors])
    assert v.decided_by == f"the {probe.label} probe: {probe.message}"
    code, out = _exit(capsys, "check", str(path), "--target", "litert")
    assert code == (0 if probe.ok else 1), out
    assert f"(decided by the {probe.label} probe" in out


def test_litert_model_the_probe_cannot_load_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs_litert()
    m = add_model()
    m["operator_codes"] = [opcode(ADD, version=99)]  # no error from the static table (unknown)
    path = write(tmp_path, m)
    report = check_targets(open_model(path), ["litert"], runtimes=["ai-edge-litert"])
    v = report.targets["litert"]
    assert not v.fits and v.decided_by.startswith("the ai-edge-litert")
    assert [f.rule for f in v.errors] == ["probe_op_version"]
    code, out = _exit(capsys, "check", str(path), "--target", "litert")
    assert code == 1 and "verdict: does not fit litert (decided by the ai-edge-litert" in out


def test_without_a_probe_the_static_rules_decide_and_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = keras_batch_model(tmp_path)
    code, out = _exit(
        capsys, "check", str(path), "--target", "micro", "--target", "litert", "--no-probe"
    )
    assert code == 0, out
    assert "verdict: fits micro (decided by static rules (no TFLite Micro probe ran))" in out
    assert "verdict: fits litert (decided by static rules (" in out


# -- the decision itself, on the plain data a probe returns --------------------------------------


_CUSTOM = OpCheck(0, 0, "MyOp", "custom", 1, None)


def test_a_probe_that_loaded_overrules_a_static_error() -> None:
    ok = ProbeResult("ai-edge-litert", "2.3.0", "ok", "loaded and allocated")
    v = litert_target([_CUSTOM], [LITERT], [ok])
    assert v.fits and v.decided_by == "the ai-edge-litert 2.3.0 probe: loaded and allocated"
    (custom,) = [f for f in v.findings if f.rule == "custom_op"]
    assert custom.severity == "info"
    assert custom.message.startswith("the static rule says custom op MyOp")
    assert custom.message.endswith(
        "the ai-edge-litert 2.3.0 probe ran it (loaded and allocated), which decides"
    )


def test_a_probe_that_settled_nothing_leaves_the_static_rules_deciding() -> None:
    late = ProbeResult("ai-edge-litert", "2.3.0", "timeout", "no answer within 1 s")
    v = litert_target([_CUSTOM], [LITERT], [late])
    assert not v.fits and v.decided_by.startswith(
        "static rules (the ai-edge-litert 2.3.0 probe settled nothing"
    )
    failed = ProbeResult("ai-edge-litert", "2.3.0", "crashed", "killed by SIGSEGV")
    v = litert_target([], [LITERT], [failed])
    assert not v.fits and v.decided_by == "the ai-edge-litert 2.3.0 probe: killed by SIGSEGV"


def test_every_remaining_static_finding_names_its_rule_source(tmp_path: Path) -> None:
    m = add_model()
    m["subgraphs"][0]["tensors"][0]["shape"] = [-1, 4]
    m["operator_codes"] = [opcode(CUSTOM, custom="NoSuchKernel")]
    report = check_targets(open_model(write(tmp_path, m)), ["litert", "micro"], probe=False)
    for v in report.targets.values():
        assert v.errors
        for f in v.findings:
            assert f.source and f.source in v.sources or f.source.startswith("runtime probe"), f


def test_tflm_arena_messages_read_as_arena_too_small() -> None:
    from tflite_inspect.check import parse_errors

    for text in (
        "Failed to allocate temp memory. Requested: 64, available 8, missing: 56",
        "Failed to resize buffer. Requested: 1572864, available 1028752, missing: 544112",
        "Too many buffers (max is 0)",
    ):
        assert [f.kind for f in parse_errors(f"TFLM failed to allocate tensors: {text}")] == [
            "arena"
        ], text


def test_a_failure_at_a_placeholder_shape_settles_nothing_and_inputs_settle_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model LiteRT cannot prepare at its stored input shape [1, 1, 1, 1], which its signature
    [1, -1, -1, 1] says is a placeholder: the probe is "unsettled" (not "does not fit") and says
    how to settle it; with --inputs at [1, 5, 5, 1] the probe runs it and decides."""
    import numpy as np

    _needs_litert()
    path = tmp_path / "placeholder.tflite"
    path.write_bytes(write_model(placeholder_conv_model()))
    with open_model(path) as model:
        report = check_targets(model, ["litert"], runtimes=["ai-edge-litert"])
        (probe,) = report.probes
        assert probe.status == "unsettled", probe
        assert "stored shape of dynamic input image [1, 1, 1, 1]" in probe.message
        assert "check --inputs FILE" in probe.message
        assert report.targets["litert"].decided_by.startswith("static rules (")
        data = tmp_path / "x.npz"
        np.savez(data, image=np.ones((1, 1, 5, 5, 1), np.float32))
        report = check_targets(model, ["litert"], runtimes=["ai-edge-litert"], inputs=data)
        (probe,) = report.probes
        assert probe.ok and probe.message.endswith("first sample of x.npz"), probe
        assert report.targets["litert"].decided_by.startswith("the ai-edge-litert")
    assert main(["check", str(path), "--inputs", str(data)]) == 0
    capsys.readouterr()
    assert main(["check", str(path), "--no-probe", "--inputs", str(data)]) == 2
    assert "--inputs feeds the litert probe" in capsys.readouterr().err
    bad = tmp_path / "bad.npz"
    np.savez(bad, image=np.ones((1, 3), np.float32))
    assert main(["check", str(path), "--inputs", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "image" in err, err
