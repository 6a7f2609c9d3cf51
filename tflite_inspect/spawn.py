"""The child processes (interpreter, converter, quantizer, probes, the tests' oracle): how they
are started, killed and made to die with their parent, written once.

A child runs code that reads files we do not trust, so it starts isolated: `python -I` ignores
PYTHON* variables and the user site folder, and puts neither the working directory nor a script
folder on the module path, so a `json.py` in the folder the user runs the tool from is never
imported. Our own package is found through its real location, passed as an argument (the only
entry the bootstrap adds to sys.path). `-X faulthandler` dumps the Python stack on a fatal signal.

    proc = start(python_module("tflite_inspect.runtime._child"), env={...})  # parent side
    kill_group(proc)                        # SIGKILL to the child's whole group, then reap it
    done = run(argv, timeout=30.0)          # start, wait, kill the group on a timeout
    die_with_parent()                       # child side, first thing in its main()

Every child starts in a session of its own (its pid is its process group id, so one killpg
reaches what it started too), with no descriptor of ours but the three standard ones, and
with our environment plus `env`; `PARENT_VARIABLE` tells it whose child it is. Each parent's
temporary folder records its pid, so a killed run's folder is swept.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING

# Every child imports this module first thing (die_with_parent); what only a parent needs
# (subprocess, pathlib, tempfile, shutil, re) is imported where it is used, a child's start-up
# being the fixed cost of every run and compare.
if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

__all__ = [
    "PACKAGE_ROOT",
    "PARENT_VARIABLE",
    "TMP_PREFIX",
    "Finished",
    "child_env",
    "die_with_parent",
    "kill_group",
    "make_tmpdir",
    "python_code",
    "python_module",
    "run",
    "start",
    "sweep_stale_tmpdirs",
]

# the folder holding tflite_inspect/ (os.path: pathlib is not imported in a child)
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); import runpy; "
    "runpy.run_module(sys.argv.pop(1), run_name='__main__', alter_sys=True)"
)


def python_module(module: str, *args: str, unbuffered: bool = False) -> list[str]:
    """`python -m module args`, isolated; `module` is one of ours. `unbuffered`: `-u` (the
    PYTHONUNBUFFERED variable is ignored in isolated mode)."""
    flags = ["-I", "-X", "faulthandler", *(["-u"] if unbuffered else [])]
    return [sys.executable, *flags, "-c", _BOOT, PACKAGE_ROOT, module, *args]


def python_code(code: str, *args: str) -> list[str]:
    """`python -c code args`, isolated (the code imports installed packages only)."""
    return [sys.executable, "-I", "-X", "faulthandler", "-c", code, *args]


# -- starting, killing, dying with the parent ------------------------------------------------

PARENT_VARIABLE = "TFLITE_INSPECT_PARENT_PID"  # set by start(): the pid the child belongs to


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Our environment for a child, `extra` on top, and the parent's pid."""
    env = {**os.environ, **(extra or {})}
    env[PARENT_VARIABLE] = str(os.getpid())
    return env


Stream = int | IO[bytes] | None
PIPE = -1  # subprocess.PIPE and subprocess.DEVNULL, without importing subprocess here
DEVNULL = -3


def start(
    argv: Sequence[str],
    *,
    stdin: Stream = DEVNULL,
    stdout: Stream = PIPE,
    stderr: Stream = PIPE,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> subprocess.Popen[bytes]:
    """Starts `argv` in a session of its own (pid = process group id), with no descriptor of
    ours but the three given, in `child_env(env)`. Byte streams; the caller reaps it."""
    import subprocess

    return subprocess.Popen(
        list(argv),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        env=child_env(env),
        cwd=cwd,
        start_new_session=True,
        close_fds=True,
    )


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILLs the child's whole process group (unless it was reaped: then the group id may be
    someone else's) and reaps the child. Safe to call twice."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


class Finished:
    """What `run` saw: the exit status (negative: the signal; None: killed on the timeout) and
    everything the child wrote."""

    __slots__ = ("returncode", "stdout", "stderr")

    def __init__(self, returncode: int | None, stdout: bytes, stderr: bytes) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return (
            f"Finished(returncode={self.returncode!r}, {len(self.stdout)}+{len(self.stderr)} bytes)"
        )

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Finished:
    """Starts `argv` as `start` does, feeds it `input`, waits at most `timeout` seconds; past
    that its whole group is killed (what it wrote until then is kept)."""
    import subprocess

    proc = start(
        argv,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        env=env,
        cwd=cwd,
    )
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        return Finished(None, out or b"", err or b"")
    except BaseException:
        kill_group(proc)
        raise
    return Finished(proc.returncode, out, err)


def die_with_parent(*, kernel: bool = False, exit_code: int = 1) -> None:
    """Child side: leaves when the parent that started us is gone, so no orphan keeps loading,
    converting or hanging. A watchdog thread notices re-parenting within half a second and
    kills our own group (grandchildren included) when we lead it; exits at once if the parent
    is already gone. `kernel`: on Linux, also asks the kernel to SIGKILL us when the parent's
    starting thread ends (PR_SET_PDEATHSIG), for children whose native code holds the GIL for
    minutes (the converter); only for parents whose starting thread outlives the child. That
    SIGKILL leaves no time to kill the group: what the child started itself is orphaned."""
    if kernel and sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    expected = os.environ.get(PARENT_VARIABLE, "")
    parent = int(expected) if expected.isdigit() else os.getppid()

    def leave() -> None:
        if os.getpgrp() == os.getpid():  # our own session (start() made it): take all of it
            os.killpg(0, signal.SIGKILL)
        os._exit(exit_code)

    if os.getppid() != parent:
        leave()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                leave()

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


# -- temporary folders -------------------------------------------------------------------------
# A session's folder is named tflite-inspect-PID-XXXXXXXX after the process that made it, so a
# folder left by a run that was SIGKILLed (no `finally` ran) is recognised and removed the next
# time any run makes one: its owner pid is dead and the folder is ours.

TMP_PREFIX = "tflite-inspect-"
_TMP_NAME = r"tflite-inspect-(\d+)-[A-Za-z0-9_]+\Z"


def make_tmpdir() -> Path:
    """A new private (0700) folder for one run, after removing stale ones."""
    import tempfile
    from pathlib import Path

    sweep_stale_tmpdirs()
    return Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def sweep_stale_tmpdirs(folder: str | None = None) -> list[Path]:
    """Removes the session folders in `folder` (the temporary folder) whose owner process is
    gone; only real folders (not links) owned by this user. Returns what it removed."""
    import re
    import shutil
    import stat
    import tempfile
    from pathlib import Path

    base = Path(folder or tempfile.gettempdir())
    name = re.compile(_TMP_NAME)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        m = name.match(entry.name)
        if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            continue
        shutil.rmtree(entry.path, ignore_errors=True)  # fd-based: never follows a link inside
        removed.append(Path(entry.path))
    return removed
