"""Helpers of the UI tests: fixture paths, tiny models, and running the app headless until it
is ready (the model open and the statistics computed)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from support.tflite_builder import add_model, write_model
from tflite_inspect.ui.app import InspectApp, create_app
from tflite_inspect.ui.screens.convert import ConvertScreen
from tflite_inspect.ui.screens.main import MainScreen
from tflite_inspect.ui.views.table_view import DETAIL_THROTTLE, TableDetailView

SETTLE_POLL = DETAIL_THROTTLE / 5
"""How often `settle` looks whether a throttled detail rebuild is still pending."""

FIXTURES = Path(
    os.environ.get("TFLITE_INSPECT_FIXTURES") or Path(__file__).resolve().parents[2] / "fixtures"
)


def fixture_path(name: str) -> Path:
    """A committed fixture model (skips the test when it is not there)."""
    path = FIXTURES / f"{name}.tflite"
    if not path.exists():
        pytest.skip(f"fixture {path.name} not built (run fixtures/make_fixtures.py)")
    return path


def tiny_model(tmp_path: Path, operators: int = 3, name: str = "tiny.tflite") -> Path:
    """An ADD chain built in code (tests/support/tflite_builder)."""
    path = tmp_path / name
    path.write_bytes(write_model(add_model(operators=operators)))
    return path


async def wait_ready(pilot: Pilot[Any], *, stats: bool = True) -> None:
    """Waits until the main screen is up (and the statistics, when `stats`), every worker has
    finished, and the screen is idle; freezes input cursors so snapshots do not blink."""
    app = pilot.app
    assert isinstance(app, InspectApp)
    for _ in range(2000):
        if isinstance(app.screen, MainScreen) and (
            not stats or (app.session is not None and app.session.stats is not None)
        ):
            break
        await asyncio.sleep(0.005)
    else:
        raise AssertionError(f"the app never got ready (screen {app.screen!r})")
    await settle(pilot)


async def settle(pilot: Pilot[Any]) -> None:
    """Lets workers finish and messages drain, and waits until no throttled detail-pane rebuild
    is pending (a condition, polled, not a fixed pause per key); stops cursor blinking."""
    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    for _ in range(int(10 / SETTLE_POLL)):
        if not any(view.detail_pending for view in app.screen.query(TableDetailView)):
            break
        await pilot.pause(SETTLE_POLL)
    else:
        raise AssertionError("a detail pane never finished its throttled rebuild")
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()  # e.g. the tab underline sliding over
    for inp in app.screen.query(Input):
        inp.cursor_blink = False


def ready(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A snap_compare `run_before`: wait until ready, press `keys`, settle again."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_ready(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@asynccontextmanager
async def running(
    path: Path, size: tuple[int, int] = (80, 24), **kwargs: Any
) -> AsyncIterator[tuple[InspectApp, Pilot[Any]]]:
    """The app on `path`, headless and ready."""
    app = create_app(path, **kwargs)
    async with app.run_test(size=size) as pilot:
        await wait_ready(pilot)
        yield app, pilot


def run(coro: Awaitable[Any]) -> Any:
    """Runs a test coroutine (the suite has no async pytest plugin)."""
    return asyncio.run(coro)  # type: ignore[arg-type]


async def until(pilot: Pilot[Any], ready: Callable[[], bool], timeout: float = 60.0) -> None:
    """Waits, polling every 0.05 s, until `ready()` holds; AssertionError after `timeout`."""
    for _ in range(int(timeout / 0.05)):
        if ready():
            await pilot.pause()
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def convert_screen(pilot: Pilot[Any]) -> ConvertScreen:
    """The Convert screen a SavedModel or Keras source opens on, once it is up."""
    await until(pilot, lambda: isinstance(pilot.app.screen, ConvertScreen), 10)
    screen = pilot.app.screen
    assert isinstance(screen, ConvertScreen)
    return screen


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Presses `keys` one by one, letting each one's work finish."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
