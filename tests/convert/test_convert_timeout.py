"""A hung conversion child is killed at --timeout with its whole process group, and the variant
is marked; without TensorFlow, `convert` refuses before printing or creating anything.

No TensorFlow runs here: the job starts a child that hangs (the `child` command hook), and the
refusal runs the CLI where `import tensorflow` fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tflite_inspect.convert import ConvertJob, ConvertRequest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"

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


def _gone(check, deadline: float = 10.0) -> bool:
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
def test_hung_child_is_killed_at_the_timeout_with_its_group(tmp_path, hang_in):
    out = tmp_path / "out"
    request = ConvertRequest(FIXTURES / "cnn.keras", out, ("float32", "dynamic"), timeout=1.5)
    groups: list[int] = []
    grandchildren: list[int] = []

    def on_event(event):
        if event.kind == "started":
            groups.append(event.data["pid"])
        if event.kind == "log" and event.data["line"].startswith("grandchild "):
            grandchildren.append(int(event.data["line"].split()[1]))

    job = ConvertJob(request, on_event=on_event, tick=0.05,
                     child=[sys.executable, "-c", HANGING_CHILD, hang_in])
    t0 = time.monotonic()
    result = job.run()
    elapsed = time.monotonic() - t0

    assert result.outcome == "timed_out" and result.exit_code == 1
    assert [o.status for o in result.variants] == ["failed", "failed"]
    assert {o.stage for o in result.variants} == {"timeout"}
    assert all("timed out after 1.5 s" in o.message for o in result.variants)
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


NO_TENSORFLOW = ("import sys; sys.modules['tensorflow'] = None; "
                 "from tflite_inspect.cli import main; sys.exit(main(sys.argv[1:]))")


@pytest.mark.parametrize("outdir_exists", [False, True])
def test_without_tensorflow_convert_refuses_before_anything(tmp_path, outdir_exists):
    out = tmp_path / "out"
    if outdir_exists:
        out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", NO_TENSORFLOW, "convert", str(FIXTURES / "cnn.keras"), "-o",
         str(out), "--variant", "all"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "TensorFlow" in proc.stderr, proc.stderr
    assert "pip install" in proc.stderr
    assert out.exists() == outdir_exists
    if outdir_exists:
        assert list(out.iterdir()) == []  # no convert.log left behind
