"""Workers: an exclusive worker cancels only workers of its own kind. Textual's `exclusive`
cancels every worker of the node in the same group, and the group defaults to "default": the
app's statistics worker cancelled the load worker still returning after the first screen, the
Convert pane's compare cancelled a running conversion, a weights export the weights read."""

from __future__ import annotations

import ast
import time
from pathlib import Path

from textual.message import Message
from textual.worker import Worker, WorkerState
from ui.ui_testlib import fixture_path, run, wait_ready

import tflite_inspect.ui as ui_package
from tflite_inspect.ui.app import create_app
from tflite_inspect.ui.messages import GraphReady

UI = Path(ui_package.__file__).parent


def _work_calls(tree: ast.Module) -> list[tuple[str, dict[str, object], int]]:
    """(class, keyword constants, line) for every `@work(...)` on a method."""
    found: list[tuple[str, dict[str, object], int]] = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for fn in cls.body:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for deco in fn.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "work":
                    keywords: dict[str, object] = {
                        k.arg: k.value.value
                        for k in deco.keywords
                        if k.arg and isinstance(k.value, ast.Constant)
                    }
                    found.append((cls.name, keywords, deco.lineno))
    return found


def test_each_exclusive_worker_has_a_group_of_its_own() -> None:
    calls = [
        (path.relative_to(UI), *call)
        for path in sorted(UI.rglob("*.py"))
        for call in _work_calls(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert len(calls) >= 10  # the scan found the app's, the panes' and the views' workers
    groups: dict[tuple[Path, str], list[object]] = {}
    for path, cls, keywords, line in calls:
        if keywords.get("exclusive"):
            assert "group" in keywords, f"{path}:{line}: exclusive worker without a group"
            groups.setdefault((path, cls), []).append(keywords["group"])
    for (path, cls), names in groups.items():
        assert len(names) == len(set(names)), f"{path} {cls}: two exclusive workers share a group"


def test_the_statistics_do_not_cancel_the_load_still_returning() -> None:
    """The load worker posts GraphReady and then returns; the statistics start after the next
    paint. Held for a moment after its post, the load worker must still end as a success."""
    ended: list[tuple[str, WorkerState]] = []

    def hook(message: Message) -> None:
        if isinstance(message, Worker.StateChanged) and message.state in (
            WorkerState.SUCCESS,
            WorkerState.CANCELLED,
            WorkerState.ERROR,
        ):
            ended.append((message.worker.name, message.state))

    app = create_app(fixture_path("cnn.int8-io"))
    post = app.post_message

    def slow_after_graph(message: Message) -> bool:
        posted = post(message)
        if isinstance(message, GraphReady):
            time.sleep(0.5)  # the load thread, between its last post and its return
        return posted

    app.post_message = slow_after_graph  # type: ignore[method-assign]

    async def go() -> None:
        async with app.run_test(message_hook=hook) as pilot:
            await wait_ready(pilot)

    run(go())
    assert ("stats", WorkerState.SUCCESS) in ended
    assert ("load", WorkerState.SUCCESS) in ended, ended
