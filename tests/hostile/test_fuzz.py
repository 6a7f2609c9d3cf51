"""The coverage-guided fuzzer runs for a bounded time (FUZZ_SECONDS, default 60) from the fixture
seeds and finds no crash: no exception other than ModelError/FlatBufError escapes open, verify
or any headless analysis. `make fuzz FUZZ_SECONDS=N` runs it for longer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUZZER = ROOT / "fuzz" / "fuzz_open.py"

pytest.importorskip("atheris")


@pytest.mark.slow
def test_the_fuzzer_finds_no_crash_in_a_bounded_run(tmp_path: Path) -> None:
    seconds = int(os.environ.get("FUZZ_SECONDS", "60"))
    crashes = tmp_path / "crashes"
    # A fixed seed makes CI's run repeatable (FUZZ_SEED picks another); `make fuzz` is random.
    seed = os.environ.get("FUZZ_SEED", "1")
    proc = subprocess.run(
        [
            sys.executable,
            str(FUZZER),
            "--seconds",
            str(seconds),
            "--corpus",
            str(tmp_path / "corpus"),
            "--crashes",
            str(crashes),
            f"-seed={seed}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 300,
        cwd=tmp_path,
    )
    log = proc.stderr
    found = sorted(p.name for p in crashes.iterdir()) if crashes.exists() else []
    assert proc.returncode == 0 and not found, (found, log[-4000:])
    assert "Uncaught Python exception" not in log
    done = re.search(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+)", log)
    assert done, log[-2000:]
    runs, cov = int(done.group(1)), int(done.group(2))
    assert runs > 100 and cov > 1000  # it really ran, instrumented, past the seeds
    print(f"fuzz: {runs} runs, cov {cov}, ft {done.group(3)}")


@pytest.mark.slow
def test_a_fuzzer_started_by_a_large_process_keeps_its_own_memory_limit(tmp_path: Path) -> None:
    """The kernel carries a process's peak RSS across fork and exec, and libFuzzer's own limit
    reads it: started by a parent 1.5 GB large with a 1 GB limit, the fuzzer would stop at its
    first input. Its limit is its own address space instead, which a real bomb still hits."""
    child = (
        "import subprocess, sys\n"
        "import numpy as np\n"
        "hog = np.ones((3 << 30) // 16)  # 1.5 GiB, touched\n"
        f"sys.exit(subprocess.run([sys.executable, {str(FUZZER)!r}, '--seconds', '10',\n"
        f"    '--rss-mb', '1024', '--corpus', {str(tmp_path / 'corpus')!r},\n"
        f"    '--crashes', {str(tmp_path / 'crashes')!r}, '-seed=1']).returncode)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    crashes = tmp_path / "crashes"
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (crashes.exists() and list(crashes.iterdir()))
    bomb = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sys\n"
                f"sys.path.insert(0, {str(FUZZER.parent)!r})\n"
                "from fuzz_open import _limit_memory\n"
                "_limit_memory(256)\n"
                "try:\n"
                "    bytearray(512 << 20)\n"
                "except MemoryError:\n"
                "    print('refused')\n"
            ),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bomb.stdout.strip() == "refused", bomb.stderr[-2000:]


def test_the_differential_mode_catches_paths_that_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--differential` reads each input by the vectorised and the scalar paths: it passes on a
    fixture and raises PathsDiffer once the column path reads a quantization differently (its
    `_quantization` maker is the column path's own; the tensor maker is shared)."""
    monkeypatch.syspath_prepend(str(FUZZER.parent))
    import fuzz_open

    from tflite_inspect.model import _vector_graph

    data = (ROOT / "fixtures" / "cnn.int8-io.tflite").read_bytes()
    monkeypatch.setattr(fuzz_open, "DIFFERENTIAL", True)
    fuzz_open.one_input(data)
    real = _vector_graph._quantization

    def shifted(**values: Any) -> object:
        return real(**{**values, "quantized_dimension": values["quantized_dimension"] + 1})

    monkeypatch.setattr(_vector_graph, "_quantization", shifted)
    with pytest.raises(fuzz_open.PathsDiffer, match="item 2 differs"):
        fuzz_open.one_input(data)
