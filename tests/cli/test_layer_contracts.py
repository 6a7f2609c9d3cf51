"""The layer contracts in pyproject.toml are live: they pass on the tree and fail as soon as a
UI module imports the CLI (checked on a copy of the package, with import-linter itself)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=where, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(where)})


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    if not LINT.exists():
        pytest.skip("import-linter is not installed")
    where = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "tflite_inspect", where / "tflite_inspect",
                    ignore=shutil.ignore_patterns("__pycache__"), symlinks=True)
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where


def test_the_tree_keeps_every_contract(tree):
    proc = _lint(tree)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_a_ui_module_importing_the_cli_breaks_the_layers(tree):
    bad = tree / "tflite_inspect" / "ui" / "reaches_up.py"
    bad.write_text("from ..cli.common import render_table  # noqa\n")
    try:
        proc = _lint(tree)
    finally:
        bad.unlink()
    assert proc.returncode != 0
    assert "tflite_inspect.ui.reaches_up -> tflite_inspect.cli.common" in proc.stdout
