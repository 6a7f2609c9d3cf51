"""How fast the Graph view draws and answers keys on a deep model, in one run.

    python bench/graph.py [--layers 10000] [--size 80x24] [--model PATH]

Builds (unless --model is given) bench/ui_open.py's int8 CONV_2D chain of `--layers` ops, then:
  draw           text.graph.graph_lines over the main subgraph (every op), and the namespace
                 blocks (text.graph_ns at its automatic depth), in this process
  cli            `tflite-inspect graph MODEL` as a whole process, and LiteRT's load plus tensor
                 details as the anchor (ours / LiteRT)
  view           the app headless: the Graph tab shown (the drawing is made in a worker for
                 large subgraphs) and, per key, wall time and our CPU time for down, pagedown,
                 end/home, `z` (blocks and back), `o` (an overlay) and a `/` search
The target is 50 ms of the UI thread's CPU per key (a drawing made in a worker keeps the UI
answering; the CPU of all threads is printed beside it). Figures are one run's, on this machine; nothing here is
asserted (see DESIGN.md).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

KEY_GOAL_MS = 50.0


def _ms(triples: list[tuple[float, float, float]]) -> str:
    wall = [w for w, _, _ in triples]
    cpu = [c for _, c, _ in triples]
    ui = [u for _, _, u in triples]
    worst = max(ui) * 1000
    return (
        f"wall {statistics.median(wall) * 1000:5.0f} ms, CPU all threads "
        f"{statistics.median(cpu) * 1000:5.0f} ms, UI thread median "
        f"{statistics.median(ui) * 1000:5.1f} max {worst:5.1f} ms"
        f"{'' if worst <= KEY_GOAL_MS else ' (over 50)'}"
    )


def draw_times(path: Path) -> None:
    from tflite_inspect.model import open_model
    from tflite_inspect.text.graph import graph_lines
    from tflite_inspect.text.graph_ns import auto_depth

    with open_model(path) as model:
        sg = model.subgraphs[0]
        t0 = time.perf_counter()
        lines = graph_lines(sg)
        t1 = time.perf_counter()
        depth = auto_depth(sg)
        blocks = graph_lines(sg, depth=depth)
        t2 = time.perf_counter()
    print(
        f"draw    {len(sg.operators):,} ops: every op {(t1 - t0) * 1000:7.1f} ms "
        f"({len(lines):,} lines, {(t1 - t0) / len(sg.operators) * 1e6:.1f} µs per op); "
        f"blocks at depth {depth} {(t2 - t1) * 1000:7.1f} ms ({len(blocks):,} lines)"
    )


def cli_times(path: Path, repeat: int) -> None:
    from parse import LITERT, whole_process  # bench/parse.py's anchor: LiteRT load + details

    ours = [
        whole_process([sys.executable, "-m", "tflite_inspect", "graph", str(path)])
        for _ in range(repeat)
    ]
    line = f"cli     tflite-inspect graph: median {statistics.median(ours):.3f} s"
    try:
        lite = [whole_process([sys.executable, "-c", LITERT, str(path)]) for _ in range(repeat)]
        line += (
            f"; LiteRT load + details {statistics.median(lite):.3f} s; ours / LiteRT "
            f"{statistics.median(ours) / statistics.median(lite):.2f}x"
        )
    except (subprocess.CalledProcessError, FileNotFoundError):
        line += "; LiteRT is not installed"
    print(line)


async def view_times(path: Path, size: tuple[int, int]) -> dict[str, Any]:
    from tflite_inspect.ui.app import create_app
    from tflite_inspect.ui.views.graph import GraphList

    out: dict[str, Any] = {}
    app = create_app(path)
    async with app.run_test(size=size) as pilot:
        while app.session is None or app.session.stats is None:
            await asyncio.sleep(0.05)
        await app.workers.wait_for_complete()
        await pilot.pause()
        t0 = time.perf_counter()
        await pilot.press("9")
        pane = app.screen.query_one("#graph-lines", GraphList)
        while not any(line.link is not None for line in pane.lines):
            await asyncio.sleep(0.01)
        await pilot.pause()
        out["shown"] = time.perf_counter() - t0
        out["lines"] = len(pane.lines)

        async def keys(*names: str) -> list[tuple[float, float, float]]:
            """(wall, CPU of every thread, CPU of the UI thread) per key, until its worker (a
            drawing in the background) is done and the screen repainted."""
            times = []
            for name in names:
                w0, c0, u0 = time.perf_counter(), time.process_time(), time.thread_time()
                await pilot.press(name)
                await app.workers.wait_for_complete()
                await pilot.pause()
                times.append(
                    (time.perf_counter() - w0, time.process_time() - c0, time.thread_time() - u0)
                )
            return times

        out["floor"] = await keys(*["f19"] * 20)
        out["down"] = await keys(*["down"] * 40)
        out["first_downs"] = [round(u * 1000, 1) for _, _, u in out["down"][:5]]
        out["pagedown"] = await keys(*["pagedown"] * 20)
        out["end"] = await keys("end", "home", "end", "home")
        out["blocks"] = await keys("z", "z")
        out["overlay"] = await keys("o", "o", "o", "o", "o")
        await pilot.press("slash")
        for ch in "CONV_2D":
            await pilot.press(ch)
        out["search"] = await keys("enter", "n", "n", "N")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=10000)
    parser.add_argument("--size", default="80x24")
    parser.add_argument("--model", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.model is None:
        from ui_open import conv_chain

        path = Path(tempfile.gettempdir()) / f"tflite-inspect-graph-bench-{args.layers}.tflite"
        if not path.exists():
            path.write_bytes(conv_chain(args.layers))
    else:
        path = args.model
    w, h = (int(v) for v in args.size.split("x"))
    print(f"{path.name}  Python {sys.version.split()[0]}")
    draw_times(path)
    cli_times(path, args.repeat)
    out = asyncio.run(view_times(path, (w, h)))
    print(f"view    Graph tab shown with its {out['lines']:,} lines in {out['shown']:.2f} s")
    print(f"  first five downs, UI thread ms: {out['first_downs']}")
    for key in ("floor", "down", "pagedown", "end", "blocks", "overlay", "search"):
        label = "unbound key (the harness)" if key == "floor" else key
        print(f"  {label:<26} {_ms(out[key])}")


if __name__ == "__main__":
    main()
