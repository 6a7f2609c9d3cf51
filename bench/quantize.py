"""Quantize plus per-layer comparison, against litert-quantizer's own quantize and validate().

    python bench/quantize.py [MODEL ...] [--samples N] [--repeat R]

Defaults: fixtures/cnn.float32.tflite (calibrated on fixtures/cnn_calib.npz) and the corpus's
basic_pitch.nmp.tflite (a real audio model of 222 ops, seeded uniform samples), when present.
The same samples calibrate and are compared. Timed, each in a fresh process or in children:

  lq quantize     a plain script: litert_quantizer.Quantizer, static int8 (a8w8), calibrate,
                  quantize (its own process, whole wall time)
  lq validate     the same script's validate() on the same samples: every tensor of the quantized
                  model against the float one, MSE, on XNNPACK (what the quantizer offers)
  ours quantize   `tflite-inspect quantize MODEL -r static-int8 --calibration data.npz` (the
                  CLI process: the child, the recipe, the output written, verified and run once)
  ours compare    compare_models(CompareRequest(float, quantized, per_layer=True)): accumulated and
                  isolated per-layer error (three children; one one-op model per layer)
  ours accumulated  the same with isolated=False (two children)

Each is run --repeat times and the fastest kept. Ratios are ours over litert-quantizer, in this
one run. The figures are not equal in content: validate() gives one MSE per tensor from a whole-
model run (accumulated); ours gives the debugger's metric set, SQNR and cosine, both kinds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tflite_inspect.runtime import CompareRequest, compare_models  # noqa: E402

LQ = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from litert_quantizer import Quantizer, qtyping
model, data_path, out = sys.argv[1:4]
x = np.load(data_path)["x"]
q = Quantizer(model)
sig = "serving_default"
from ai_edge_litert.interpreter import Interpreter
runner = Interpreter(model_path=model).get_signature_runner(sig)
name = list(runner.get_input_details())[0]
samples = [{name: x[i:i + 1]} for i in range(len(x))]
q.add_static_config(".*", qtyping.TFLOperationName.ALL_SUPPORTED, 8, 8)
t1 = time.perf_counter()
calibration = q.calibrate({sig: samples}, num_threads=1)
result = q.quantize(calibration, enable_progress_bar=False, enable_progress_report=False)
result.export_model(out, overwrite=True)
t2 = time.perf_counter()
v = q.validate(test_data={sig: samples}, num_threads=1)
t3 = time.perf_counter()
print(json.dumps({"quantize_s": t2 - t0, "validate_s": t3 - t2}))
"""


def _fastest(fn, repeat: int):
    best = None
    for _ in range(repeat):
        value = fn()
        if best is None or value[0] < best[0]:
            best = value
    return best


def lq(model: Path, data: Path, folder: Path) -> tuple[float, float, float]:
    """(process wall seconds to quantized file, quantize in-process s, validate s)."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", LQ, str(model), str(data), str(folder / "lq.tflite")],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"litert-quantizer script failed: {out.stderr[-2000:]}")
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    return wall - doc["validate_s"], doc["quantize_s"], doc["validate_s"]


def ours_quantize(model: Path, data: Path, folder: Path) -> tuple[float, Path]:
    target = folder / "ours"
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tflite_inspect",
            "quantize",
            str(model),
            "-o",
            str(target),
            "-r",
            "static-int8",
            "--calibration",
            str(data),
            "--force",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"tflite-inspect quantize failed: {proc.stderr[-2000:]}")
    return wall, Path(json.loads(proc.stdout)["results"][0]["path"])


def ours_compare(model: Path, quantized: Path, data: Path, isolated: bool) -> tuple[float, int]:
    start = time.perf_counter()
    report = compare_models(
        CompareRequest(model, quantized, inputs=data, per_layer=True, runs=0, isolated=isolated)
    )
    elapsed = time.perf_counter() - start
    if report.failed is not None:
        raise SystemExit(f"compare failed: {report.failed.outcome.line()}")
    return elapsed, sum(1 for r in report.layers if r.isolated is not None)


def dataset(model: Path, count: int, folder: Path) -> Path:
    calib = ROOT / "fixtures/cnn_calib.npz"
    if model.parent == ROOT / "fixtures" and calib.exists():
        with np.load(calib) as d:
            x = d["x"]
        x = np.concatenate([x] * (count // len(x) + 1))[:count]
    else:
        from ai_edge_litert.interpreter import Interpreter

        shape = Interpreter(model_path=str(model)).get_input_details()[0]["shape"]
        x = np.random.default_rng(0).random((count, *shape[1:]), dtype=np.float32)
    path = folder / f"{model.stem}.x{count}.npz"
    np.savez(path, x=x)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    models = args.models or [
        p
        for p in (ROOT / "fixtures/cnn.float32.tflite", ROOT / ".corpus/basic_pitch.nmp.tflite")
        if p.exists()
    ]
    print(
        f"{'model':28} {'lq quantize':>12} {'ours quant':>11} {'ratio':>6} "
        f"{'lq validate':>12} {'ours compare':>13} {'ratio':>6} {'accum only':>11} "
        f"{'isolated ops':>12}"
    )
    for model in models:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            data = dataset(model, args.samples, folder)
            lq_wall, _, lq_val = _fastest(partial(lq, model, data, folder), args.repeat)
            q_wall, quantized = _fastest(partial(ours_quantize, model, data, folder), args.repeat)
            c_time, iso = _fastest(partial(ours_compare, model, quantized, data, True), args.repeat)
            a_time, _ = _fastest(partial(ours_compare, model, quantized, data, False), args.repeat)
            print(
                f"{model.name[:28]:28} {lq_wall:11.2f}s {q_wall:10.2f}s "
                f"{q_wall / lq_wall:6.2f} {lq_val:11.2f}s {c_time:12.2f}s {c_time / lq_val:6.2f} {a_time:10.2f}s "
                f"{iso:12d}"
            )
    print(
        f"{args.samples} samples each; fastest of {args.repeat}; lq = litert-quantizer "
        "in a plain script (quantize: its process wall time up to the written file)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
