"""LiteRT's own verdict on buffers, from a child process that may crash (tests only).

`Interpreter(model_path=...)` in ai-edge-litert >= 2.2 runs the C++ FlatBuffers verifier before it
builds anything; a rejection raises ValueError("... not a valid Flatbuffer buffer"). Construction
can also crash the process on structurally valid but semantically broken models, so each case
runs in a child (started by `tflite_inspect.spawn`, like every child of the tool) that reports one
line per case; after a crash the parent restarts the child at the next case and records the crash
as that case's outcome.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from tflite_inspect.spawn import python_code, run

CHILD = r"""
import os, sys, json
from ai_edge_litert.interpreter import Interpreter, OpResolverType
mode, arg, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "files":
    paths = json.loads(open(arg).read())
    def case(i):
        return paths[i], None
    total = len(paths)
else:
    seed = open(arg, "rb").read()
    values = [int(v) for v in sys.argv[4].split(",")]
    total = len(seed) * len(values)
    def case(i):
        pos, k = divmod(i, len(values))
        data = bytearray(seed); data[pos] = values[k]
        return None, bytes(data)
resolver = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
for i in range(start, total):
    path, data = case(i)
    os.write(1, f"START {i}\n".encode())
    try:
        if path is not None:
            Interpreter(model_path=path, experimental_op_resolver_type=resolver)
        else:
            Interpreter(model_content=data, experimental_op_resolver_type=resolver)
        verdict = "accepted"
    except Exception as err:
        text = str(err)
        # Load-stage refusals: the verifier, an empty allocation, the identifier check.
        load_stage = ("not a valid Flatbuffer", "allocation is null", "model identifier")
        verdict = "rejected" if any(s in text for s in load_stage) else "accepted:" + text[:200]
    os.write(1, (json.dumps([i, verdict]) + "\n").encode())
"""


def _run(args: list[str], total: int, timeout: float) -> list[str]:
    """Runs the child from case 0, restarting after crashes; returns one verdict per case."""
    verdicts: list[str | None] = [None] * total
    start = 0
    while start < total:
        done = run(python_code(CHILD, *args[:2], str(start), *args[2:]), timeout=timeout)
        if done.timed_out:
            raise TimeoutError(f"LiteRT's verdicts took over {timeout:g} s (from case {start})")
        last_started = start
        for line in done.stdout.decode("utf-8", "replace").splitlines():
            if line.startswith("START "):
                last_started = int(line.split()[1])
            elif line.startswith("["):
                i, verdict = json.loads(line)
                verdicts[i] = verdict
        if done.returncode == 0:
            break
        verdicts[last_started] = f"crashed:{done.returncode}"
        start = last_started + 1
    return [v if v is not None else "missing" for v in verdicts]


def litert_verdicts(buffers: list[bytes], timeout: float = 600) -> list[str]:
    """LiteRT's outcome for each buffer: "accepted", "rejected", "accepted:<error>", "crashed:<rc>"."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, data in enumerate(buffers):
            path = Path(tmp) / f"case{i}.tflite"
            path.write_bytes(data)
            paths.append(str(path))
        listing = Path(tmp) / "cases.json"
        listing.write_text(json.dumps(paths))
        return _run(["files", str(listing)], len(paths), timeout)


def litert_mutation_verdicts(seed: bytes, values: list[int], timeout: float = 1800) -> list[str]:
    """Verdicts for every single-byte substitution seed[pos] = value, ordered (pos, value)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.tflite"
        path.write_bytes(seed)
        values_arg = ",".join(str(v) for v in values)
        return _run(["mutations", str(path), values_arg], len(seed) * len(values), timeout)
