"""The package as users get it: `python -m build` makes an sdist and a wheel (from the sdist); the
wheel, installed with its core dependencies resolved from the package index into a fresh venv
outside the checkout, runs `summary`, `verify`, `completion` and the UI's first screen on a model
copied outside the repository (the headless commands import neither TensorFlow, LiteRT nor
Textual); with the `run` extra, `run` works on LiteRT."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "tflite_inspect"
HEAVY = ("tensorflow", "ai_edge_litert", "keras", "textual", "rich")
# Prints which heavy modules one headless command imported (run inside the venv under test).
PROBE = (
    "import sys\nfrom tflite_inspect.cli import main\ncode = main(sys.argv[1:])\n"
    f"print('IMPORTED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    "raise SystemExit(code)\n"
)

pytestmark = pytest.mark.slow


def _run(argv: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = _run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], out)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the wheel and the core dependencies only."""
    where = tmp_path_factory.mktemp("venv") / "v"
    done = _run([sys.executable, "-m", "venv", str(where)], where.parent)
    assert done.returncode == 0, done.stderr
    [wheel] = dist.glob("*.whl")
    done = _run(
        [
            str(where / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        where.parent,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return where


def test_build_makes_an_sdist_and_a_wheel_with_the_data_files(dist: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")
    assert sdist.name.startswith("tflite_inspect-") and wheel.name.endswith("-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("schemas", "data"):
        files = sorted(p.name for p in (PACKAGE / folder).iterdir() if p.is_file())
        assert files, folder
        missing = [f for f in files if f"tflite_inspect/{folder}/{f}" not in names]
        assert missing == [], f"{folder}/ files missing from the wheel: {missing}"
    assert "tflite_inspect/ui/app.tcss" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tflite-inspect = tflite_inspect.cli:run" in zipfile.ZipFile(wheel).read(entry).decode()


def test_the_installed_wheel_runs_outside_the_checkout(venv: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.tflite"
    shutil.copy(REPO / "fixtures" / "cnn.int8-io.tflite", model)
    exe = str(venv / "bin" / "tflite-inspect")
    summary = _run([exe, "summary", str(model), "--json"], tmp_path, 120)
    assert summary.returncode == 0, summary.stderr
    doc = json.loads(summary.stdout)
    assert doc["kind"] == "summary" and doc["quantization"]["mode"] == "full integer"
    verify = _run([exe, "verify", str(model)], tmp_path, 120)
    assert verify.returncode == 0, verify.stderr
    assert "valid" in verify.stdout
    where = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import tflite_inspect; print(tflite_inspect.__file__)",
        ],
        tmp_path,
        60,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)  # the wheel, not the checkout
    completion = _run(
        [
            "bash",
            "--norc",
            "-c",
            f"source <('{exe}' completion bash) && complete -p tflite-inspect",
        ],
        tmp_path,
        60,
    )
    assert completion.returncode == 0, completion.stderr


def test_the_core_install_has_no_runtime_and_summary_imports_none(
    venv: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model.tflite"
    shutil.copy(REPO / "fixtures" / "cnn.float32.tflite", model)
    python = str(venv / "bin" / "python")
    listed = _run([python, "-m", "pip", "list", "--format", "json"], tmp_path, 60)
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert not installed & {"tensorflow", "ai-edge-litert", "tflite-micro", "litert-quantizer"}
    for exe in (python, sys.executable):  # the core venv, and the full dev venv
        done = _run([exe, "-c", PROBE, "summary", str(model)], tmp_path, 120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "IMPORTED []", exe


# The UI's first screen from the installed wheel: the app run headless, the Overview read back.
UI_PROBE = """
import asyncio, sys
from tflite_inspect.ui.app import InspectApp

async def main() -> None:
    app = InspectApp(sys.argv[1])
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            await pilot.pause(0.1)
            text = " ".join(str(w.render()) for w in app.screen.query("*")
                            if hasattr(w, "render"))
            if "full integer" in text:
                print("FIRST SCREEN OK")
                return
    print("NO OVERVIEW")

asyncio.run(main())
"""


def test_the_installed_wheel_opens_the_ui_first_screen(venv: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.tflite"
    shutil.copy(REPO / "fixtures" / "cnn.int8-io.tflite", model)
    done = _run([str(venv / "bin" / "python"), "-c", UI_PROBE, str(model)], tmp_path, 300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "FIRST SCREEN OK", done.stdout[-2000:]


def test_the_run_extra_installs_and_runs_the_model(dist: Path, tmp_path: Path) -> None:
    """`pip install 'tflite-inspect[run]'` from the wheel: LiteRT comes with it, `run` works."""
    where = tmp_path / "v"
    assert _run([sys.executable, "-m", "venv", str(where)], tmp_path).returncode == 0
    [wheel] = dist.glob("*.whl")
    done = _run(
        [
            str(where / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"{wheel}[run]",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    model = tmp_path / "model.tflite"
    shutil.copy(REPO / "fixtures" / "cnn.int8-io.tflite", model)
    ran = _run(
        [str(where / "bin" / "tflite-inspect"), "run", str(model), "--runs", "2", "--json"],
        tmp_path,
        300,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    doc = json.loads(ran.stdout)
    assert doc["kind"] == "run" and doc["outcome"]["status"] == "ok"
    assert doc["outcome"]["backend"] == "ai_edge_litert"
