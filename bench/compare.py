"""What per-layer comparison costs next to plain interpreter invocations of the same samples.

    python bench/compare.py [A B] [--inputs data.npz] [--samples N] [--repeat R]

Defaults: fixtures/cnn.float32.tflite vs fixtures/cnn.int8-io.tflite on fixtures/cnn_eval.npz.
The same samples (written once to a temporary .npz) go through:
  plain        one fresh Python process that loads both models with ai_edge_litert's
               delegate-free interpreter and experimental_preserve_all_tensors (what per-layer
               needs) and, per sample, quantizes the input when needed, set_tensor, invoke, and
               get_tensor of every tensor, on A then B; it reports its invoke loop and its whole
               wall time
  outputs      tflite-inspect's compare_models(CompareRequest(A, B)) without --per-layer (one child)
  per-layer    the same with per_layer=True: delegate-free resolver, preserve_all_tensors,
               every intermediate captured, shipped to the parent and compared
Each is run --repeat times and the fastest run is kept (the least disturbed by other load);
latency timing is off (runs=0) so only the comparison is measured. A second pass with 8x the
samples separates the fixed cost (process start, model load) from the cost per sample. Ratios are
per-layer over plain, measured in this one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tflite_inspect.runtime import CompareRequest, compare_models  # noqa: E402

PLAIN = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
a_path, b_path, data_path = sys.argv[1:4]
x = np.load(data_path)["x"]
models = []
for path in (a_path, b_path):
    it = Interpreter(model_path=path, experimental_preserve_all_tensors=True,
                     experimental_op_resolver_type=(
                         OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES))
    it.allocate_tensors()
    tensors = [d["index"] for d in it.get_tensor_details()]
    models.append((it, it.get_input_details()[0], tensors))
t1 = time.perf_counter()
for i in range(len(x)):
    for it, inp, tensors in models:
        v = x[i:i + 1]
        if inp["dtype"] != np.float32:
            scale, zero = inp["quantization"]
            info = np.iinfo(inp["dtype"])
            v = np.clip(np.round(v / scale) + zero, info.min, info.max).astype(inp["dtype"])
        it.set_tensor(inp["index"], v.reshape(inp["shape"]))
        it.invoke()
        for t in tensors:
            try:
                it.get_tensor(t)
            except ValueError:  # a tensor without data (an optional input)
                pass
t2 = time.perf_counter()
print(json.dumps({"invoke_loop_s": t2 - t1, "in_process_s": t2 - t0}))
"""


def plain(a: Path, b: Path, data: Path) -> tuple[float, float]:
    """(invoke loop seconds, whole process seconds including Python start) of the plain script."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PLAIN, str(a), str(b), str(data)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    wall = time.perf_counter() - start
    return json.loads(out.stdout.strip().splitlines()[-1])["invoke_loop_s"], wall


CHILDREN = [0]  # child processes the last compare started


def timed_compare(a: Path, b: Path, data: Path, per_layer: bool) -> tuple[float, int]:
    popen = subprocess.Popen
    started = [0]

    def counting(*args: object, **kwargs: object) -> object:
        started[0] += 1
        return popen(*args, **kwargs)  # type: ignore[call-overload]

    subprocess.Popen = counting  # type: ignore[assignment,misc]
    try:
        start = time.perf_counter()
        report = compare_models(CompareRequest(a, b, inputs=data, per_layer=per_layer, runs=0))
        elapsed = time.perf_counter() - start
    finally:
        subprocess.Popen = popen  # type: ignore[misc]
    CHILDREN[0] = started[0]
    if report.failed is not None:
        raise SystemExit(f"compare failed: {report.failed.outcome.line()}")
    return elapsed, len(report.layers)


def dataset(source: Path | None, a: Path, count: int, folder: Path, name: str) -> Path:
    """`count` samples as x: N x input shape (from --inputs, cycled; else seeded uniform [0, 1])."""
    if source is not None:
        with np.load(source, allow_pickle=False) as d:
            x = d["x"]
        x = np.concatenate([x] * (count // len(x) + 1))[:count]
    else:
        from ai_edge_litert.interpreter import Interpreter  # only for the input shape

        shape = Interpreter(model_path=str(a)).get_input_details()[0]["shape"]
        x = np.random.default_rng(0).random((count, *shape[1:]), dtype=np.float32)
    path = folder / name
    np.savez(path, x=x)
    return path


MULTIPLIER = 8


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a", nargs="?", type=Path, default=ROOT / "fixtures/cnn.float32.tflite")
    parser.add_argument("b", nargs="?", type=Path, default=ROOT / "fixtures/cnn.int8-io.tflite")
    parser.add_argument(
        "--inputs",
        type=Path,
        default=None,
        help="an .npz with `x` (default fixtures/cnn_eval.npz when comparing "
        "the default fixtures, else seeded random)",
    )
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    source = args.inputs
    if source is None and args.a.parent == ROOT / "fixtures":
        source = ROOT / "fixtures/cnn_eval.npz"

    with tempfile.TemporaryDirectory() as tmp:
        results: dict[int, dict[str, float]] = {}
        layers = 0
        for count in (args.samples, MULTIPLIER * args.samples):
            data = dataset(source, args.a, count, Path(tmp), f"x{count}.npz")
            runs: dict[str, list[float]] = {
                "plain_invoke": [],
                "plain_process": [],
                "outputs": [],
                "per_layer": [],
            }
            for _ in range(args.repeat):
                loop, wall = plain(args.a, args.b, data)
                runs["plain_invoke"].append(loop)
                runs["plain_process"].append(wall)
                runs["outputs"].append(timed_compare(args.a, args.b, data, False)[0])
                elapsed, layers = timed_compare(args.a, args.b, data, True)
                runs["per_layer"].append(elapsed)
            results[count] = {k: min(v) for k, v in runs.items()}

    n, n4 = args.samples, MULTIPLIER * args.samples
    print(
        f"A {args.a.name}  B {args.b.name}  {layers} per-layer rows  "
        f"best of {args.repeat} runs, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
        f"{CHILDREN[0]} child processes per per-layer compare"
    )
    print(f"{'':34}{f'{n} samples':>14}{f'{n4} samples':>14}{'per sample':>14}")
    labels = {
        "plain_invoke": "plain: invoke loop only",
        "plain_process": "plain: whole script (start+load)",
        "outputs": "compare (outputs only)",
        "per_layer": "compare --per-layer",
    }
    marginal = {}
    for key, label in labels.items():
        t1, t4 = results[n][key], results[n4][key]
        marginal[key] = (t4 - t1) / (n4 - n)
        print(f"{label:34}{t1 * 1e3:>11.1f} ms{t4 * 1e3:>11.1f} ms{marginal[key] * 1e3:>11.3f} ms")
    r = results[n]
    print()
    print(
        f"per-layer / plain whole script : {r['per_layer'] / r['plain_process']:.2f}x "
        f"({n} samples), {results[n4]['per_layer'] / results[n4]['plain_process']:.2f}x "
        f"({n4})"
    )
    print(
        f"per-layer / plain invoke loop  : {r['per_layer'] / r['plain_invoke']:.0f}x ({n} samples)"
    )
    print(
        f"per sample, per-layer / plain  : {marginal['per_layer'] / marginal['plain_invoke']:.0f}x"
        f"  (per-layer / outputs only: "
        f"{marginal['per_layer'] / marginal['outputs']:.1f}x)"
    )
    if any(v <= 0 for v in marginal.values()):
        print(
            "warning: a per-sample cost came out <= 0: the machine was busy; use --repeat 5 "
            "or more samples"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
