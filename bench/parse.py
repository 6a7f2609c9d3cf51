"""Verified open of a model with our reader, next to the `tflite` package, in one run.

    python bench/parse.py MODEL [MODEL ...] [--repeat N] [--synthetic-ops N] [--sparse-gib G]

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
        capture_output=True, text=True, check=False, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode != 0:
        raise SystemExit(f"{which} failed on {path}: {out.stderr.strip()[-400:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"median_s": statistics.median(result["times"]), "peak_mib": result["peak_kib"] / 1024,
            "rss_mib": result["rss_kib"] / 1024}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--synthetic-ops", type=int, default=0)
    parser.add_argument("--sparse-gib", type=float, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = list(args.models)
        if args.synthetic_ops:
            models.append(synthetic_chain(args.synthetic_ops, Path(tmp)))
        if args.sparse_gib:
            models.append(sparse_large(args.sparse_gib, Path(tmp)))
        if not models:
            parser.error("name a model, or --synthetic-ops / --sparse-gib")
        print(f"{'model':<28} {'bytes':>13} {'reader':<10} {'median ms':>10} {'+MiB':>7} "
              f"{'RSS MiB':>8} {'time vs tflite':>15}")
        for path in models:
            size = path.stat().st_size
            rows = {w: measure(w, path, args.repeat) for w in ("ours", "ours-lazy", "tflite")}
            base = rows["tflite"]["median_s"]
            for which, r in rows.items():
                ratio = r["median_s"] / base if base else float("nan")
                print(f"{path.name[:28]:<28} {size:>13,} {which:<10} {r['median_s'] * 1e3:>10.2f} "
                      f"{r['peak_mib']:>7.1f} {r['rss_mib']:>8.1f} {ratio:>14.2f}x")


if __name__ == "__main__":
    main()
