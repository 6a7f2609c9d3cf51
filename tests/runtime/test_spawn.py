"""The one child-process toolkit (`tflite_inspect.spawn`): own session, no inherited descriptors,
the environment it is given, a group killed whole on a timeout, a child that leaves with its
parent. Real processes and real signals."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tflite_inspect.spawn import PARENT_VARIABLE, kill_group, python_code, run, start

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_child_has_its_own_session_our_environment_and_none_of_our_descriptors() -> None:
    r, w = os.pipe()
    os.set_inheritable(w, True)  # even an inheritable descriptor must not reach the child
    try:
        code = (
            "import os, json, sys\n"
            "print(json.dumps([os.getsid(0), os.getpid(), sorted(int(f) for f in "
            "os.listdir('/proc/self/fd')), os.environ.get('EXTRA'), "
            f"os.environ.get({PARENT_VARIABLE!r})]))\n"
        )
        done = run(python_code(code), timeout=30, env={"EXTRA": "yes"})
    finally:
        os.close(r)
        os.close(w)
    assert done.returncode == 0, done.stderr
    sid, pid, fds, extra, parent = __import__("json").loads(done.stdout)
    assert sid == pid  # a session (and process group) of its own
    assert w not in fds and set(fds) <= {0, 1, 2, 3}  # 3: listdir's own descriptor
    assert extra == "yes"
    assert parent == str(os.getpid())


def test_a_timeout_kills_the_whole_group_and_keeps_what_was_written() -> None:
    code = (
        "import subprocess, sys, time\n"
        "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print(g.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    t0 = time.monotonic()
    done = run(python_code(code), timeout=3)
    assert done.timed_out and done.returncode is None
    assert time.monotonic() - t0 < 60
    grandchild = int(done.stdout.split()[0])  # written before the timeout: kept
    assert _gone_within(grandchild, 10), "the grandchild survived the group kill"


def test_kill_group_is_safe_twice_and_after_the_child_exited() -> None:
    proc = start(python_code("import time; time.sleep(600)"))
    kill_group(proc)
    assert proc.returncode is not None and proc.returncode < 0
    kill_group(proc)  # reaped already: nothing is signalled, nothing raises
    quick = start(python_code("pass"))
    quick.wait()
    kill_group(quick)
    assert quick.returncode == 0


@pytest.mark.parametrize("kernel", [False, True])
def test_a_child_and_what_it_started_leave_when_the_parent_dies(kernel: bool) -> None:
    """The parent is SIGKILLed (no `finally` runs): its child, which called die_with_parent,
    leaves; the watchdog takes the child's own group down with it, grandchild included (the
    kernel's SIGKILL of `kernel=True` gives the child no time to, so there only the child is
    asked for)."""
    child = (
        "import subprocess, sys, time\n"
        "from tflite_inspect.spawn import die_with_parent\n"
        f"die_with_parent(kernel={kernel})\n"
        "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print(g.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = (
        "import sys, time\n"
        "from tflite_inspect.spawn import start\n"
        f"p = start([sys.executable, '-c', {child!r}], stdout=None, env={{'PYTHONPATH': {str(ROOT)!r}}})\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", parent],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    pids: list[int] = []
    try:
        assert proc.stdout is not None
        pids = [int(proc.stdout.readline()), int(proc.stdout.readline())]
    finally:
        proc.kill()
        proc.wait()
    child_pid, grandchild = pids
    try:
        assert _gone_within(child_pid, 15), "the child outlived its parent"
        if not kernel:
            assert _gone_within(grandchild, 15), "the grandchild outlived the child's parent"
    finally:
        for pid in pids:
            if _alive(pid):
                os.kill(pid, 9)


def test_a_child_imports_no_subprocess_and_the_stream_defaults_are_subprocess_own() -> None:
    """Every child imports spawn first thing: its start-up stays free of what only a parent
    uses, and the defaults it names without subprocess are subprocess's values."""
    import subprocess

    from tflite_inspect import spawn

    assert (spawn.PIPE, spawn.DEVNULL) == (subprocess.PIPE, subprocess.DEVNULL)
    code = (
        "import sys; import tflite_inspect.spawn; "
        "print(sorted(m for m in ('subprocess', 'tempfile', 'shutil') if m in sys.modules))"
    )
    done = spawn.run(
        spawn.python_code(f"import sys; sys.path.insert(0, {spawn.PACKAGE_ROOT!r}); " + code),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().strip() == "[]"
