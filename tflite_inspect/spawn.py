"""Command lines for the child processes (interpreter, converter, quantizer, probes).

A child runs code that reads files we do not trust, so it starts isolated: `python -I` ignores
PYTHON* variables and the user site folder, and puts neither the working directory nor a script
folder on the module path, so a `json.py` in the folder the user runs the tool from is never
imported. Each parent's temporary folder records its pid, so a killed run's folder is swept. Our own package is found through its real location, passed as an argument (the only
entry the bootstrap adds to sys.path). `-X faulthandler` dumps the Python stack on a fatal signal.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

__all__ = [
    "PACKAGE_ROOT",
    "TMP_PREFIX",
    "make_tmpdir",
    "python_code",
    "python_module",
    "sweep_stale_tmpdirs",
]

PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])  # the folder holding tflite_inspect/

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


# -- temporary folders -------------------------------------------------------------------------
# A session's folder is named tflite-inspect-PID-XXXXXXXX after the process that made it, so a
# folder left by a run that was SIGKILLed (no `finally` ran) is recognised and removed the next
# time any run makes one: its owner pid is dead and the folder is ours.

TMP_PREFIX = "tflite-inspect-"
_TMP_NAME = re.compile(r"tflite-inspect-(\d+)-[A-Za-z0-9_]+\Z")


def make_tmpdir() -> Path:
    """A new private (0700) folder for one run, after removing stale ones."""
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
    base = Path(folder or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        m = _TMP_NAME.match(entry.name)
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
