"""Command lines for the child processes (interpreter, converter, quantizer, probes).

A child runs code that reads files we do not trust, so it starts isolated: `python -I` ignores
PYTHON* variables and the user site folder, and puts neither the working directory nor a script
folder on the module path, so a `json.py` in the folder the user runs the tool from is never
imported. Our own package is found through its real location, passed as an argument (the only
entry the bootstrap adds to sys.path). `-X faulthandler` dumps the Python stack on a fatal signal.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["PACKAGE_ROOT", "python_code", "python_module"]

PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])  # the folder holding tflite_inspect/

_BOOT = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import runpy; "
         "runpy.run_module(sys.argv.pop(1), run_name='__main__', alter_sys=True)")


def python_module(module: str, *args: str, unbuffered: bool = False) -> list[str]:
    """`python -m module args`, isolated; `module` is one of ours. `unbuffered`: `-u` (the
    PYTHONUNBUFFERED variable is ignored in isolated mode)."""
    flags = ["-I", "-X", "faulthandler", *(["-u"] if unbuffered else [])]
    return [sys.executable, *flags, "-c", _BOOT, PACKAGE_ROOT, module, *args]


def python_code(code: str, *args: str) -> list[str]:
    """`python -c code args`, isolated (the code imports installed packages only)."""
    return [sys.executable, "-I", "-X", "faulthandler", "-c", code, *args]
