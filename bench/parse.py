"""Verified open of a model with our reader, next to the `tflite` package, in one run.

    python bench/parse.py MODEL [MODEL ...] [--repeat N] [--synthetic-ops N] [--sparse-gib G]
    python bench/parse.py --tf-layers 3000,10000 [--repeat N]

For each model, three child processes (so peak memory is each one's own) do the same work:
  ours      mmap + full structural verify + walk every tensor (name, type, shape, buffer) and
            every operator (opcode, inputs, outputs)
  ours-lazy mmap + walk the same, no verify (what a viewer pays before the verifier finishes)
  tflite    read the file + walk the same through the `tflite` package's generated classes
            (no verification exists there)
It prints the median wall time, the peak RSS growth during the work (+MiB, above the process
after its imports), the peak RSS of the process, and the time ratio to the `tflite` package.
`--synthetic-ops N` also builds a chain model of N operators; `--sparse-gib G` also writes a
sparse file of G GiB whose constant data sits past the flatbuffer (Buffer.offset/size), the layout
of models over 2 GB, to show that opening costs the same whatever the file size.

`--tf-layers 3000,10000` builds TF-made int8 CONV_2D chains (a 4-layer Keras model through the
converter, in a child, then extended to N layers with the schema object API that ships with
ai_edge_litert: the converter needs over 20 GB for 10,000 layers), cached in
$TMPDIR/tflite-inspect-bench, and times whole processes, interleaved round by round:
`tflite-inspect summary --json`, LiteRT's `Interpreter(model_path=p).get_tensor_details()`, and
the `tflite` package's walk; it prints ours / LiteRT and ours / tflite per round and their medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CHILD = r"""
import json, resource, sys, time
which, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
if which.startswith("ours"):
    from tflite_inspect.flatbuf import ByteSource, load_schema, root, verify
    load_schema()
else:
    import tflite
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range(repeat):
    t0 = time.perf_counter()
    if which.startswith("ours"):
        src = ByteSource.open(path)
        schema = load_schema()
        if which == "ours":
            report = verify(src, schema)
            assert report.ok, report.errors[:3]
        model = root(src, schema)
        n = 0
        for sg in model.get("subgraphs"):
            for t in sg.get("tensors"):
                n += len((t.get("name"), t.get("type"), t.get("shape").tolist() if t.get("shape") is not None else None, t.get("buffer")))
            for op in sg.get("operators"):
                n += op.get("opcode_index") + len(op.get("inputs").tolist()) + len(op.get("outputs").tolist())
    else:
        with open(path, "rb") as f:
            data = f.read()
        model = tflite.Model.GetRootAs(data, 0)
        n = 0
        for s in range(model.SubgraphsLength()):
            sg = model.Subgraphs(s)
            for i in range(sg.TensorsLength()):
                t = sg.Tensors(i)
                n += len((t.Name(), t.Type(), t.ShapeAsNumpy().tolist() if t.ShapeLength() else None, t.Buffer()))
            for i in range(sg.OperatorsLength()):
                op = sg.Operators(i)
                n += op.OpcodeIndex() + len(op.InputsAsNumpy().tolist()) + len(op.OutputsAsNumpy().tolist())
    times.append(time.perf_counter() - t0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"times": times, "peak_kib": peak - base, "rss_kib": peak, "items": n}))
"""


def measure(which: str, path: Path, repeat: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, which, str(path), str(repeat)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=child_env(),
    )
    if out.returncode != 0:
        raise SystemExit(f"{which} failed on {path}: {out.stderr.strip()[-400:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "median_s": statistics.median(result["times"]),
        "peak_mib": result["peak_kib"] / 1024,
        "rss_mib": result["rss_kib"] / 1024,
    }


def synthetic_chain(ops: int, directory: Path) -> Path:
    from support.tflite_builder import add_model, write_model

    path = directory / f"chain-{ops}.tflite"
    path.write_bytes(write_model(add_model(operators=ops)))
    return path


def sparse_large(gib: float, directory: Path) -> Path:
    """A valid model whose 16-byte constant sits at `gib` GiB in a sparse file."""
    from support.tflite_builder import add_model, write_model

    offset = int(gib * (1 << 30))
    model = add_model()
    model["buffers"] = [{}, {"offset": offset, "size": 16}]
    model["metadata"] = [{"name": "buffer_location", "buffer": 2}]
    model["buffers"].append({"data": b"outside flatbuffers"})
    head = write_model(model)
    path = directory / f"sparse-{gib:g}gib.tflite"
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(offset + 16)
    return path


CONVERT = r"""
import sys, numpy as np, tensorflow as tf
inp = tf.keras.Input((8, 8, 8), batch_size=1)
x = inp
for i in range(4):
    x = tf.keras.layers.Conv2D(8, 1, activation="relu", name=f"conv{i}")(x)
c = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inp, x))
c.optimizations = [tf.lite.Optimize.DEFAULT]
c.representative_dataset = lambda: ([np.random.rand(1, 8, 8, 8).astype("float32")] for _ in range(4))
c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
open(sys.argv[1], "wb").write(c.convert())
"""


def tf_chain(layers: int, cache: Path) -> Path:
    """A TF-made int8 conv chain of `layers` layers (see the module doc), cached."""
    import copy

    import flatbuffers
    import numpy as np
    from ai_edge_litert import schema_py_generated as s

    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"tf-conv-chain-{layers}.tflite"
    if path.exists():
        return path
    small = cache / "tf-conv-chain-4.tflite"
    if not small.exists():
        subprocess.run([sys.executable, "-c", CONVERT, str(small)], check=True, capture_output=True)
    m = s.ModelT.InitFromPackedBuf(small.read_bytes(), 0)
    sg = m.subgraphs[0]
    quant, conv, deq = sg.operators[0], sg.operators[1], sg.operators[-1]
    act_t, w_t, b_t = (sg.tensors[i] for i in (conv.outputs[0], conv.inputs[1], conv.inputs[2]))
    tensors = [sg.tensors[quant.inputs[0]], sg.tensors[quant.outputs[0]]]
    quant.inputs, quant.outputs = np.array([0], np.int32), np.array([1], np.int32)
    ops, prev, rng = [quant], 1, np.random.default_rng(0)
    for i in range(layers):
        w, b, a = copy.deepcopy(w_t), copy.deepcopy(b_t), copy.deepcopy(act_t)
        w.name, b.name = f"model/conv{i}/convolution".encode(), f"model/conv{i}/bias".encode()
        a.name = f"model/conv{i}/Relu;model/conv{i}/convolution".encode()
        for t, data in (
            (w, rng.integers(-127, 127, 64, dtype=np.int8).view(np.uint8)),
            (b, rng.integers(-500, 500, 8, dtype=np.int32).view(np.uint8)),
        ):
            buf = s.BufferT()
            buf.data = data
            m.buffers.append(buf)
            t.buffer = len(m.buffers) - 1
        base = len(tensors)
        tensors += [w, b, a]
        op = copy.deepcopy(conv)
        op.inputs = np.array([prev, base, base + 1], np.int32)
        op.outputs = np.array([base + 2], np.int32)
        ops.append(op)
        prev = base + 2
    tensors.append(sg.tensors[deq.outputs[0]])
    last = len(tensors) - 1
    deq.inputs, deq.outputs = np.array([prev], np.int32), np.array([last], np.int32)
    sg.tensors, sg.operators = tensors, [*ops, deq]
    sg.inputs, sg.outputs = np.array([0], np.int32), np.array([last], np.int32)
    for sd in m.signatureDefs or []:
        for tm in sd.inputs:
            tm.tensorIndex = 0
        for tm in sd.outputs:
            tm.tensorIndex = last
    builder = flatbuffers.Builder(1 << 20)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    part = path.with_suffix(".part")
    part.write_bytes(builder.Output())
    part.rename(path)
    return path


def child_env() -> dict[str, str]:
    """The children's environment: this checkout importable and its bytecode caches used. An
    installed package has them; with PYTHONDONTWRITEBYTECODE (set in some containers) every child
    would compile the package from source, 0.1-0.2 s that no user pays and LiteRT's child, whose
    package pip compiled at install, does not pay either."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    return env


def compile_package() -> None:
    import compileall

    compileall.compile_dir(ROOT / "tflite_inspect", quiet=1)


LITERT = (
    "from ai_edge_litert.interpreter import Interpreter; import sys; "
    "Interpreter(model_path=sys.argv[1]).get_tensor_details()"
)


def whole_process(argv: list[str]) -> float:
    import time

    t0 = time.perf_counter()
    subprocess.run(
        argv,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=child_env(),
    )
    return time.perf_counter() - t0


def tf_layers_bench(layer_counts: list[int], repeat: int) -> None:
    cache = Path(tempfile.gettempdir()) / "tflite-inspect-bench"
    ours_cmd = [sys.executable, "-m", "tflite_inspect", "summary", "--json"]
    try:
        import tflite  # noqa: F401

        has_tflite = True
    except ImportError:
        has_tflite = False
    for layers in layer_counts:
        path = tf_chain(layers, cache)
        r_lite, r_pkg = [], []
        for _ in range(repeat):
            ours = whole_process([*ours_cmd, str(path)])
            lite = whole_process([sys.executable, "-c", LITERT, str(path)])
            r_lite.append(ours / lite)
            line = (
                f"{layers:>6} layers  ours {ours:6.3f} s  litert {lite:6.3f} s  {ours / lite:5.2f}x"
            )
            if has_tflite:
                pkg = whole_process([sys.executable, "-c", CHILD, "tflite", str(path), "1"])
                r_pkg.append(ours / pkg)
                line += f"  tflite pkg {pkg:6.3f} s  {ours / pkg:5.2f}x"
            print(line, flush=True)
        tail = (
            f"  ours/tflite median {statistics.median(r_pkg):.2f}x"
            if r_pkg
            else "  (the tflite package is not installed)"
        )
        print(f"{layers:>6} layers  ours/litert median {statistics.median(r_lite):.2f}x{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--synthetic-ops", type=int, default=0)
    parser.add_argument("--sparse-gib", type=float, default=0)
    parser.add_argument("--tf-layers", default="", help="e.g. 3000,10000 (see above)")
    args = parser.parse_args()
    compile_package()
    if args.tf_layers:
        tf_layers_bench([int(v) for v in args.tf_layers.split(",")], args.repeat)
        if not (args.models or args.synthetic_ops or args.sparse_gib):
            return
    with tempfile.TemporaryDirectory() as tmp:
        models = list(args.models)
        if args.synthetic_ops:
            models.append(synthetic_chain(args.synthetic_ops, Path(tmp)))
        if args.sparse_gib:
            models.append(sparse_large(args.sparse_gib, Path(tmp)))
        if not models:
            parser.error("name a model, or --synthetic-ops / --sparse-gib")
        print(
            f"{'model':<28} {'bytes':>13} {'reader':<10} {'median ms':>10} {'+MiB':>7} "
            f"{'RSS MiB':>8} {'time vs tflite':>15}"
        )
        for path in models:
            size = path.stat().st_size
            rows = {w: measure(w, path, args.repeat) for w in ("ours", "ours-lazy", "tflite")}
            base = rows["tflite"]["median_s"]
            for which, r in rows.items():
                ratio = r["median_s"] / base if base else float("nan")
                print(
                    f"{path.name[:28]:<28} {size:>13,} {which:<10} {r['median_s'] * 1e3:>10.2f} "
                    f"{r['peak_mib']:>7.1f} {r['rss_mib']:>8.1f} {ratio:>14.2f}x"
                )


if __name__ == "__main__":
    main()
