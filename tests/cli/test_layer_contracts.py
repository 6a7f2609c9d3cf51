"""The layer contracts in pyproject.toml are live: they pass on the tree and fail as soon as a
UI module imports the CLI (checked on a copy of the package, with import-linter itself)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(where)},
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not LINT.exists():
        pytest.skip("import-linter is not installed")
    where = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "tflite_inspect",
        where / "tflite_inspect",
        ignore=shutil.ignore_patterns("__pycache__"),
        symlinks=True,
    )
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    proc = _lint(tree)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_a_ui_module_importing_the_cli_breaks_the_layers(tree: Path) -> None:
    bad = tree / "tflite_inspect" / "ui" / "reaches_up.py"
    bad.write_text("from ..cli.common import render_table  # noqa\n")
    try:
        proc = _lint(tree)
    finally:
        bad.unlink()
    assert proc.returncode != 0
    assert "tflite_inspect.ui.reaches_up -> tflite_inspect.cli.common" in proc.stdout


def test_textual_in_the_ui_data_breaks_its_contract(tree: Path) -> None:
    bad = tree / "tflite_inspect" / "ui" / "data" / "draws.py"
    bad.write_text("from textual.widgets import Label  # noqa\n")
    try:
        proc = _lint(tree)
    finally:
        bad.unlink()
    assert proc.returncode != 0
    assert "tflite_inspect.ui.data.draws -> textual (l.1)" in proc.stdout


def _cycles(package_root: Path) -> list[list[str]]:
    """The import cycles among the package's modules (strongly connected groups of more than one
    module), every import counted, those under TYPE_CHECKING and inside functions too."""
    pytest.importorskip("grimp")
    # In a child whose first path entry is `package_root`: in this process the name
    # tflite_inspect is already the installed package, whatever sys.path says.
    script = (
        "import grimp, json\n"
        "g = grimp.build_graph('tflite_inspect', cache_dir=None)\n"
        "print(json.dumps({m: sorted(g.find_modules_directly_imported_by(m))"
        " for m in g.modules}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=package_root,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(package_root)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    imports: dict[str, list[str]] = json.loads(proc.stdout)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative (the package is deep)
        work = [(start, iter(imports[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(imports[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_inside_the_package() -> None:
    assert _cycles(ROOT) == []


def test_the_cycle_check_finds_a_cycle(tree: Path) -> None:
    a = tree / "tflite_inspect" / "model" / "cycle_a.py"
    b = tree / "tflite_inspect" / "model" / "cycle_b.py"
    a.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import cycle_b\n")
    b.write_text("def f():\n    from . import cycle_a\n")
    try:
        assert ["tflite_inspect.model.cycle_a", "tflite_inspect.model.cycle_b"] in _cycles(tree)
    finally:
        a.unlink()
        b.unlink()
