"""Progress on stderr for the jobs that take seconds: run, compare, check's probes, convert,
quantize. Drawn by rich, on a terminal only: with --json, or when stderr is a pipe or a file,
nothing is drawn and rich is not even imported.

It adapts the progress callbacks the jobs already have: the runtime's
`Progress(phase, done, total)` (run, compare, quantize: `callback`), convert's stage events
(`ConvertEvent` with `stage`, `done`, `total`: `convert_event`), and a job with no steps to
count (check's probes: `spinner`). Lines printed while the bar is drawn go above it (`line`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["CliProgress"]


class CliProgress:
    """One live progress display, or none. Use as a context manager; every method is safe to
    call when it is off. `console` replaces the terminal (tests pass a rich Console)."""

    def __init__(self, *, enabled: bool, console: Any = None) -> None:
        self.enabled = enabled
        self._console = console
        self._progress: Any = None
        self._task: Any = None

    @classmethod
    def for_args(cls, args: Any, stream: TextIO | None = None) -> CliProgress:
        """On when stderr (or `stream`) is a terminal and the command does not print JSON."""
        out = stream if stream is not None else sys.stderr
        tty = bool(getattr(out, "isatty", lambda: False)())
        return cls(enabled=tty and not getattr(args, "json", False))

    def __enter__(self) -> CliProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            console = self._console or Console(stderr=True)
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("starting", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    # -- the adapters ------------------------------------------------------------------------

    def update(self, description: str, done: int | None = None, total: int | None = None) -> None:
        """Shows `description`, and `done` of `total` when a total is known (else a spinner)."""
        if self._progress is None:
            return
        self._progress.update(
            self._task,
            description=description,
            total=total if total else None,
            completed=done if total else 0,
            refresh=True,
        )

    @property
    def callback(self) -> Callable[[str, int, int], None] | None:
        """The runtime's `Progress(phase, done, total)` callback; None when off, so the job
        does no work for a display nobody sees."""
        return self.phase if self.enabled else None

    def phase(self, phase: str, done: int, total: int) -> None:
        self.update(phase, done, total)

    def convert_event(self, event: Any) -> None:
        """A convert job's event: `stage` events move the bar; the rest are not progress."""
        if getattr(event, "kind", None) != "stage":
            return
        what = f"{event.stage} {event.variant}" if event.variant else str(event.stage)
        self.update(what, event.done, event.total)

    def line(self, text: str, out: TextIO | None = None) -> None:
        """A line of the job's own log: above the bar on a terminal, plain otherwise."""
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=out if out is not None else sys.stderr, flush=True)

    @contextmanager
    def spinner(self, description: str) -> Iterator[None]:
        """A job with nothing to count (check's probes): a spinner and the elapsed time."""
        with self:
            self.update(description)
            yield
