"""Children start isolated: a module planted in the working directory is never imported.

Users run the tool inside folders they downloaded. A `json.py` there must not run when `run`,
`check` (its LiteRT and TFLM probes) or `compare` start their children."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = Path(sys.executable).parent / "tflite-inspect"
MODEL = ROOT / "fixtures" / "cnn.float32.tflite"

PLANT = "import pathlib; pathlib.Path(__file__).with_name('PLANTED-RAN').write_text('{name}')\n"

pytest.importorskip("ai_edge_litert.interpreter")


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    for name in ("json", "numpy", "selectors", "runpy"):
        (tmp_path / f"{name}.py").write_text(PLANT.format(name=name))
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["run", str(MODEL), "--runs", "1"],
        ["check", "--target", "litert", str(MODEL)],
        ["check", "--target", "micro", str(MODEL)],
        ["compare", str(MODEL), str(MODEL), "--runs", "1"],
        ["convert", str(ROOT / "fixtures" / "cnn.keras"), "-o", "OUT"],
    ],
    ids=["run", "check-litert", "check-micro", "compare", "convert"],
)
@pytest.mark.slow
def test_a_module_in_the_working_directory_never_runs(planted: Path, argv: list[str]) -> None:
    if not TOOL.exists():
        pytest.skip(f"no {TOOL} console script")
    if argv[0] == "convert":
        pytest.importorskip("tensorflow")
    argv = [str(planted / "out") if a == "OUT" else a for a in argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [str(TOOL), *argv], cwd=planted, capture_output=True, text=True, timeout=600, env=env
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    marker = planted / "PLANTED-RAN"
    assert not marker.exists(), f"{marker.read_text()}.py from the working directory ran"
