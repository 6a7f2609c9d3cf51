"""A hung conversion child is killed at --timeout with its whole process group, and the variant
is marked; a crashed child or a bad file costs only its own variant; without TensorFlow,
`convert` refuses before printing or creating anything.

No TensorFlow runs here: the job starts a stand-in child (the `child` command hook) that hangs,
crashes or copies fixtures, and the refusal runs the CLI where `import tensorflow` fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tflite_inspect.convert import ConvertEvent, ConvertJob, ConvertRequest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
ALL = ["float32", "dynamic", "float16", "int8", "int8-io", "int16x8"]

# Reads the request, starts a grandchild in its own process group, reports a stage, then hangs.
HANGING_CHILD = r"""
import json, subprocess, sys, time
request = json.loads(sys.stdin.read())
sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print(f"grandchild {sleeper.pid}", file=sys.stderr, flush=True)
print(json.dumps({"event": "loading", "variant": None, "kind": request["kind"]}), flush=True)
if sys.argv[1] == "variant":
    name = request["variants"][0]["name"]
    print(json.dumps({"event": "variant_started", "variant": name, "index": 0,
                      "total": len(request["variants"])}), flush=True)
time.sleep(600)
"""


def _gone(check: Callable[..., object], deadline: float = 10.0) -> bool:
    """True once `check()` raises ProcessLookupError (no such process or group)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            check()
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("hang_in", ["variant", "loading"])
@pytest.mark.slow
def test_hung_child_is_killed_at_the_timeout_with_its_group(tmp_path: Path, hang_in: str) -> None:
    out = tmp_path / "out"
    request = ConvertRequest(FIXTURES / "cnn.keras", out, ("float32", "dynamic"), timeout=1.5)
    groups: list[int] = []
    grandchildren: list[int] = []

    def on_event(event: ConvertEvent) -> None:
        if event.kind == "started":
            groups.append(event.data["pid"])
        if event.kind == "log" and event.data["line"].startswith("grandchild "):
            grandchildren.append(int(event.data["line"].split()[1]))

    job = ConvertJob(
        request, on_event=on_event, tick=0.05, child=[sys.executable, "-c", HANGING_CHILD, hang_in]
    )
    t0 = time.monotonic()
    result = job.run()
    elapsed = time.monotonic() - t0

    assert result.outcome == "timed_out" and result.exit_code == 1
    assert [o.status for o in result.variants] == ["failed", "failed"]
    assert {o.stage for o in result.variants} == {"timeout"}
    assert all("timed out after 1.5 s" in o.message for o in result.variants)
    assert {o.failure for o in result.variants} == {"timed_out"}
    assert all("--timeout" in (o.hint or "") for o in result.variants)
    if hang_in == "variant":
        # each variant gets its own child (the second after the first was killed) and its own
        # timeout
        assert len(groups) == 2 and 3.0 <= elapsed < 20.0
        assert "while converting float32" in result.variants[0].message
    else:  # a source that hangs while loading hangs every variant: one child, one timeout
        assert len(groups) == 1 and 1.5 <= elapsed < 15.0
        assert "loading the source" in result.variants[1].message
    assert len(grandchildren) == len(groups)
    for group in groups:
        assert _gone(lambda g=group: os.killpg(g, 0)), f"process group {group} is alive"
    for pid in grandchildren:
        assert _gone(lambda p=pid: os.kill(p, 0)), f"grandchild {pid} is alive"
    assert sorted(p.name for p in out.iterdir()) == ["convert.log"]


NO_TENSORFLOW = (
    "import sys; sys.modules['tensorflow'] = None; "
    "from tflite_inspect.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize("outdir_exists", [False, True])
def test_without_tensorflow_convert_refuses_before_anything(
    tmp_path: Path, outdir_exists: bool
) -> None:
    out = tmp_path / "out"
    if outdir_exists:
        out.mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            NO_TENSORFLOW,
            "convert",
            str(FIXTURES / "cnn.keras"),
            "-o",
            str(out),
            "--variant",
            "all",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "TensorFlow" in proc.stderr, proc.stderr
    assert "pip install" in proc.stderr
    assert out.exists() == outdir_exists
    if outdir_exists:
        assert list(out.iterdir()) == []  # no convert.log left behind


# A stand-in child without TensorFlow: "converts" each variant by copying the fixture of the
# same name into its .part file, except that `dynamic` comes out as garbage and `float16`
# kills the child (as an out-of-memory kill would).
SCRIPTED_CHILD = r"""
import json, os, shutil, signal, sys
request = json.loads(sys.stdin.read())
fixtures = sys.argv[1]
def emit(event, variant=None, **data):
    print(json.dumps({**data, "event": event, "variant": variant}), flush=True)
emit("loading", kind=request["kind"])
emit("loaded", inputs=[], signature="serving_default", seconds=0.0, tensorflow="none")
for index, v in enumerate(request["variants"]):
    emit("variant_started", v["name"], index=index, total=len(request["variants"]))
    if v["name"] == "float16":
        os.kill(os.getpid(), signal.SIGKILL)
    if v["name"] == "dynamic":
        with open(v["part"], "wb") as f:
            f.write(b"\x00" * 64)
    else:
        shutil.copyfile(os.path.join(fixtures, f"cnn.{v['name']}.tflite"), v["part"])
    emit("variant_converted", v["name"], bytes=os.path.getsize(v["part"]), part=v["part"],
         seconds=0.0, strategy=None)
"""


def test_a_crash_and_a_bad_file_cost_only_their_own_variants(tmp_path: Path) -> None:
    out = tmp_path / "out"
    request = ConvertRequest(FIXTURES / "cnn.keras", out, tuple(ALL))
    starts: list[list[str]] = []
    job = ConvertJob(
        request,
        tick=0.05,
        on_event=lambda e: starts.append(e.data["variants"]) if e.kind == "started" else None,
        child=[sys.executable, "-c", SCRIPTED_CHILD, str(FIXTURES)],
    )
    result = job.run()
    assert result.exit_code == 1 and result.outcome == "verification_failed"
    status = {o.variant: (o.status, o.stage, o.message) for o in result.variants}
    assert status["dynamic"][:2] == ("failed", "verify")
    # SIGKILL is how the system's out-of-memory killer ends a process: said so, with a hint
    assert status["float16"][:2] == ("failed", "memory")
    assert "killed by signal 9" in status["float16"][2] and "float16" in status["float16"][2]
    float16 = result.variants[2]
    assert float16.failure == "out_of_memory" and "--memory-mb" in (float16.hint or "")
    written = ["float32", "int8", "int8-io", "int16x8"]
    assert [o.variant for o in result.variants if o.written] == written
    # the crash cost one variant: a new child took the rest
    assert starts == [ALL, ["int8", "int8-io", "int16x8"]]
    for name in written:
        assert (out / f"cnn.{name}.tflite").read_bytes() == (
            FIXTURES / f"cnn.{name}.tflite"
        ).read_bytes()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["convert.log", "variants.json", *(f"cnn.{n}.tflite" for n in written)]
    )
    manifest = json.loads((out / "variants.json").read_text())
    assert [v["variant"] for v in manifest["variants"]] == written
    assert [o["status"] for o in manifest["outcomes"]] == [
        "written",
        "failed",
        "failed",
        "written",
        "written",
        "written",
    ]
    # int8 weights against float32's, from the files themselves
    int8 = manifest["variants"][1]
    assert int8["variant"] == "int8" and 20.0 <= int8["weight_percent_of_float32"] <= 33.0


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--timeout", "0"], "--timeout must be a positive number of seconds"),
        (["--signature", "serving_default"], "--signature applies to a SavedModel folder only"),
    ],
)
def test_bad_timeout_or_signature_refused_before_tf_starts(
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    expected: str,
) -> None:
    from tflite_inspect.convert import _process

    def no_child(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("the conversion child must not start")

    monkeypatch.setattr(_process, "start", no_child)
    code, stdout, stderr = cli("convert", FIXTURES / "cnn.keras", "-o", tmp_path / "out", *argv)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and expected in stderr
    assert not (tmp_path / "out").exists()
