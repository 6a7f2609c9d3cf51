"""Input archives are bounded before they are read; user numbers have sane ranges."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from tflite_inspect.cli import main
from tflite_inspect.runtime import InputError, TensorSpec
from tflite_inspect.runtime.inputs import load_samples

MODEL = Path(__file__).resolve().parents[2] / "fixtures" / "cnn.float32.tflite"


def _bomb(path: Path, gib: float = 3.0) -> Path:
    """An .npz whose one member inflates to `gib` GiB of zeros (a few MB on disk)."""
    n = int(gib * (1 << 30))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("x.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": "<f4", "fortran_order": False, "shape": (n // 4,)}
            )
            chunk = bytes(1 << 24)
            for _ in range(n // len(chunk)):
                f.write(chunk)
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _bomb(tmp_path_factory.mktemp("bomb") / "bomb.npz")


@pytest.mark.slow
def test_a_zip_bomb_is_refused_before_it_is_read(bomb: Path) -> None:
    assert bomb.stat().st_size < 8 << 20
    spec = TensorSpec.from_dict({"name": "x", "index": 0, "dtype": "float32", "shape": [1, 4]})
    with pytest.raises(InputError, match=r"unpacks to \d+\.\d GiB, over the 2\.0 GiB limit"):
        load_samples(bomb, [spec])


def test_run_refuses_the_bomb_with_one_line(bomb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(MODEL), "--inputs", str(bomb)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--inputs-mb" in err


@pytest.mark.parametrize("argv", [["--memory-mb", "-5"], ["--inputs-mb", "0"]])
def test_negative_limits_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(MODEL), *argv]) == 2
    assert "must be" in capsys.readouterr().err
