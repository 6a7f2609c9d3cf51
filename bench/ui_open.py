"""How fast the UI opens a big model and answers keys in its tensor table, in one run.

    python bench/ui_open.py [--layers 3000] [--kind conv|add] [--size 80x24] [--model PATH]
                            [--terminal-runs 3]

Builds (unless --model is given) a model of `--layers` layers: `conv` (the default) chains int8
CONV_2D layers with per-channel quantized weights and int32 biases (3 tensors a layer); `add` is
tests/support/tflite_builder.add_model (float ADDs sharing one constant). It then runs the app
headless in a fresh process (`App.run_test`) and prints:
  first screen   from process start (before importing Textual) and from app start to the main
                 screen mounted and painted with the Overview (file, schema, metadata, findings)
  graph          when the subgraphs are built (they come after the first screen), and when the
                 statistics are done (after that)
  in a terminal  the real command, `tflite-inspect MODEL`, started in tmux: when the tab bar and
                 the quantization mode show, from the command's start (needs tmux)
  tensor table   per keypress (key + repaint): down, pagedown, end, and typing a filter
  virtualisation how many rows the table rendered, against how many it holds
Figures are one run's, on this machine; nothing here is asserted (see DESIGN.md).
"""

from __future__ import annotations

import time

T_PROCESS = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import compileall  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CONV_2D = 3
INT8, INT32 = 9, 2  # TensorType values
FIRST_SCREEN_GOAL = 2.0  # seconds


def conv_chain(layers: int, channels: int = 8) -> bytes:
    """A valid model: `layers` chained int8 1x1 CONV_2D ops with per-channel weights."""
    from support.tflite_builder import tensor, write_model

    act_q = {"scale": [0.02], "zero_point": [-128]}
    tensors = [tensor("input", [1, 8, 8, channels], INT8, quantization=act_q)]
    buffers: list[dict[str, Any]] = [{}]
    ops = []
    prev = 0
    for i in range(layers):
        w_scales = [0.001 * (1 + (i + c) % 7) for c in range(channels)]
        buffers.append({"data": bytes((i + j) % 251 for j in range(channels * channels))})
        tensors.append(
            tensor(
                f"block{i // 10}/conv{i}/weights",
                [channels, 1, 1, channels],
                INT8,
                buffer=len(buffers) - 1,
                quantization={
                    "scale": w_scales,
                    "zero_point": [0] * channels,
                    "quantized_dimension": 0,
                },
            )
        )
        buffers.append({"data": bytes(4 * channels)})
        tensors.append(
            tensor(
                f"block{i // 10}/conv{i}/bias",
                [channels],
                INT32,
                buffer=len(buffers) - 1,
                quantization={"scale": [s * 0.02 for s in w_scales], "zero_point": [0] * channels},
            )
        )
        tensors.append(
            tensor(f"block{i // 10}/conv{i}/Relu", [1, 8, 8, channels], INT8, quantization=act_q)
        )
        n = len(tensors)
        ops.append(
            {
                "opcode_index": 0,
                "inputs": [prev, n - 3, n - 2],
                "outputs": [n - 1],
                "builtin_options": (
                    "Conv2DOptions",
                    {"padding": 1, "stride_w": 1, "stride_h": 1, "fused_activation_function": 1},
                ),
            }
        )
        prev = n - 1
    return write_model(
        {
            "version": 3,
            "operator_codes": [
                {"deprecated_builtin_code": CONV_2D, "builtin_code": CONV_2D, "version": 3}
            ],
            "subgraphs": [
                {
                    "tensors": tensors,
                    "inputs": [0],
                    "outputs": [prev],
                    "operators": ops,
                    "name": "main",
                }
            ],
            "description": f"bench: {layers}-layer int8 conv chain",
            "buffers": buffers,
        }
    )


def _range(values: list[float]) -> str:
    """'median (min-max)' of seconds, or '-'."""
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def _ms(pairs: list[tuple[float, float]]) -> str:
    """'wall median/max, CPU median' of (wall, cpu) seconds per key."""
    if not pairs:
        return "-"
    wall = [w for w, _ in pairs]
    cpu = [c for _, c in pairs]
    return (
        f"wall median {statistics.median(wall) * 1000:5.0f} ms (max {max(wall) * 1000:4.0f}),"
        f" our CPU median {statistics.median(cpu) * 1000:4.0f} ms"
    )


async def measure(path: Path, size: tuple[int, int]) -> dict[str, Any]:
    """Runs in the child process: opens the app on `path` and times it (see module docstring)."""
    from tflite_inspect.ui.app import create_app
    from tflite_inspect.ui.screens.main import MainScreen

    out: dict[str, Any] = {"import": time.perf_counter() - T_PROCESS}
    painted: list[float] = []
    first_frame = asyncio.Event()
    paint = MainScreen._compositor_refresh

    def first_paint(screen: MainScreen) -> None:
        # The first frame the main screen draws (with the Overview laid out) is the first screen.
        paint(screen)
        if not painted and screen.app.screen is screen and screen.query("#view-overview"):
            painted.append(time.perf_counter())
            first_frame.set()

    MainScreen._compositor_refresh = first_paint  # type: ignore[method-assign,assignment]
    graph: list[float] = []
    show_graph = MainScreen.show_graph

    async def graph_shown(screen: MainScreen) -> None:
        await show_graph(screen)
        graph.append(time.perf_counter())

    MainScreen.show_graph = graph_shown  # type: ignore[method-assign]
    t0 = time.perf_counter()
    app = create_app(path)
    async with app.run_test(size=size) as pilot:
        # Wait on an event, not a polling loop: polling would take the GIL from the thread that
        # reads the model and slow down what is being measured.
        await first_frame.wait()
        out["first_screen_app"] = painted[0] - t0
        out["first_screen_process"] = painted[0] - T_PROCESS
        while app.session is None or app.session.stats is None:
            await asyncio.sleep(0.05)
        out["stats"] = time.perf_counter() - t0
        out["graph"] = graph[0] - t0
        await app.workers.wait_for_complete()
        await pilot.pause()

        from tflite_inspect.ui.widgets.virtual_table import VirtualTable  # not part of start-up

        await pilot.press("3")
        await pilot.pause()
        table = app.screen.query_one("#tensors-table", VirtualTable)
        calls = [0]
        cells = table.source.cells

        def counting(row: int) -> Any:
            calls[0] += 1
            return cells(row)

        table.source.cells = counting  # type: ignore[method-assign]
        table.refresh_rows()
        await pilot.pause()

        async def keys(*names: str) -> list[tuple[float, float]]:
            """(wall, CPU) seconds of each key: the press, its handling and the repaint. The
            CPU time is this process's only (other sessions on the machine do not count)."""
            times = []
            for name in names:
                w0, c0 = time.perf_counter(), time.process_time()
                await pilot.press(name)
                await pilot.pause()
                times.append((time.perf_counter() - w0, time.process_time() - c0))
            return times

        out["floor"] = await keys(*["f19"] * 20)  # unbound: the test harness's own cost
        out["down"] = await keys(*["down"] * 40)
        out["pagedown"] = await keys(*["pagedown"] * 20)
        out["end"] = await keys("end", "home", "end")
        await pilot.press("slash")
        await pilot.pause()
        out["filter"] = await keys(*"conv1", *["backspace"] * 5)
        out["rows"] = len(table.source)
        out["rendered"] = calls[0]
    return out


def _screen_shows(
    session: str, text: str | tuple[str, ...], t0: float, limit: float = 30.0
) -> float | None:
    """Seconds from t0 until the tmux pane shows `text` (any of them; polled every 10 ms), None
    at `limit`."""
    texts = (text,) if isinstance(text, str) else text
    while time.perf_counter() - t0 < limit:
        pane = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", session],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if any(t in pane for t in texts):
            return time.perf_counter() - t0
        time.sleep(0.01)
    return None


def _tmux_start(session: str, size: str, command: str) -> float:
    w, h = size.split("x")
    t0 = time.perf_counter()
    subprocess.run(
        # bytecode caches used, as in an installed package (PYTHONDONTWRITEBYTECODE, set in
        # some containers, would have the UI compile itself from source on every start)
        ["tmux", "new-session", "-d", "-s", session, "-x", w, "-y", h, "-c", str(ROOT)]
        + ["-e", "PYTHONDONTWRITEBYTECODE=", command],
        check=True,
    )
    return t0


def _tmux_quit(session: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=False)
    deadline = time.perf_counter() + 10
    while (
        time.perf_counter() < deadline
        and subprocess.run(
            ["tmux", "has-session", "-t", session], capture_output=True, check=False
        ).returncode
        == 0
    ):
        time.sleep(0.05)
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


# the first tab's label: "1 Model" at 80 columns, "1 Overview" when there is room
FIRST_TAB = ("1 Model", "1 Overview")


def in_terminal(path: Path, size: str, runs: int) -> list[dict[str, float | None]]:
    """`tflite-inspect MODEL` as a user starts it, in a tmux terminal of `size`, seconds from the
    command's start (Python's own start-up included) until: the tab bar shows (`first`), the
    Overview shows the op count (`ops`), the quantization mode (`stats`); and, in a second
    start where 3 is pressed as soon as the tab bar shows, until the Tensors table has its
    rows (`table`). Empty without tmux."""
    if shutil.which("tmux") is None:
        return []
    command = f"{shlex.quote(sys.executable)} -m tflite_inspect {shlex.quote(str(path))}"
    out = []
    for i in range(runs):
        session = f"ui-open-{os.getpid()}-{i}"
        t0 = _tmux_start(session, size, command)
        try:
            first = _screen_shows(session, FIRST_TAB, t0)
            ops = _screen_shows(session, " ops · ", t0) if first else None
            # "ops compute" follows the quantization mode once the statistics are shown.
            stats = _screen_shows(session, "ops compute", t0) if first else None
        finally:
            _tmux_quit(session)
        t0 = _tmux_start(session, size, command)
        try:
            table = None
            if _screen_shows(session, FIRST_TAB, t0) is not None:
                subprocess.run(["tmux", "send-keys", "-t", session, "3"], check=True)
                table = _screen_shows(session, "▶     0 ", t0)  # the cursor on tensor 0's row
        finally:
            _tmux_quit(session)
        out.append({"first": first, "ops": ops, "stats": stats, "table": table})
    return out


def child(path: str, size: str) -> int:
    w, h = (int(v) for v in size.split("x"))
    print(json.dumps(asyncio.run(measure(Path(path), (w, h)))))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", type=int, default=3000)
    parser.add_argument("--kind", choices=("conv", "add"), default="conv")
    parser.add_argument("--size", default="80x24", help="terminal size, WxH")
    parser.add_argument("--model", type=Path, help="measure this model instead of building one")
    parser.add_argument(
        "--terminal-runs", type=int, default=3, help="runs of the real command in tmux (0: skip)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # see _tmux_start
    compileall.compile_dir(ROOT / "tflite_inspect", quiet=1)
    if args.child:
        return child(args.child, args.size)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.model
        if path is None:
            b0 = time.perf_counter()
            path = Path(tmp) / f"{args.kind}_chain_{args.layers}.tflite"
            if args.kind == "conv":
                path.write_bytes(conv_chain(args.layers))
                tensors = 3 * args.layers + 1
            else:
                from support.tflite_builder import add_model, write_model

                path.write_bytes(write_model(add_model(operators=args.layers)))
                tensors = args.layers + 2
            print(
                f"model          {path.name}: {args.layers} layers, {tensors} tensors, "
                f"{path.stat().st_size:,} bytes (built in {time.perf_counter() - b0:.2f} s, "
                "not counted)"
            )
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(path), "--size", args.size],
            capture_output=True,
            text=True,
            check=False,
        )
        terminal = in_terminal(path, args.size, args.terminal_runs)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        return done.returncode
    r = json.loads(done.stdout.strip().splitlines()[-1])
    goal = "under" if r["first_screen_process"] < FIRST_SCREEN_GOAL else "OVER"
    load = os.getloadavg()[0]
    print(
        f"terminal       {args.size} (headless run_test); load average {load:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"first screen   {r['first_screen_process']:.2f} s from process start "
        f"({goal} the {FIRST_SCREEN_GOAL:.0f} s goal; Python imports {r['import']:.2f} s), "
        f"{r['first_screen_app']:.2f} s from app start"
    )
    print(
        f"graph          {r['graph']:.2f} s after app start: ops and tensors built, the Overview "
        "filled in, every view open"
    )
    print(
        f"statistics     done {r['stats']:.2f} s after app start (quantization mode, sizes, checks)"
    )
    if terminal:

        def seen(key: str) -> list[float]:
            return [v for run in terminal if (v := run[key]) is not None]

        firsts = seen("first")
        goal = "under" if firsts and max(firsts) < FIRST_SCREEN_GOAL else "NOT under"
        print(
            f"in a terminal  `tflite-inspect MODEL` in tmux {args.size}, {len(terminal)} runs, from "
            "the command's start, median (min-max):"
        )
        print(
            f"               first screen {_range(firsts)} s ({goal} the "
            f"{FIRST_SCREEN_GOAL:.0f} s goal), op count shown {_range(seen('ops'))} s, "
            f"statistics shown {_range(seen('stats'))} s"
        )
        print(
            f"               tensor table filled {_range(seen('table'))} s (3 pressed as soon as "
            "the tab bar shows)"
        )
    else:
        print("in a terminal  (tmux is not installed: not measured)")
    print(f"harness floor  {_ms(r['floor'])} (an unbound key: the test pilot's own cost)")
    print(f"tensor table   down      {_ms(r['down'])}")
    print(f"               pagedown  {_ms(r['pagedown'])}")
    print(f"               end/home  {_ms(r['end'])}")
    print(f"               filter    {_ms(r['filter'])} (typing 'conv1', erasing it)")
    print(
        f"virtualisation {r['rendered']:,} row renders for {r['rows']:,} rows "
        f"(only visible rows are drawn)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
