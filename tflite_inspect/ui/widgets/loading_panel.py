"""What the screen shows while the model opens: the file, the stage, and a progress bar."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar

__all__ = ["LoadingPanel"]


class LoadingPanel(Vertical):
    """A centred box with the stage being read and a progress bar."""

    def __init__(self, name: str, stages: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._file = name
        self._stages = stages

    def compose(self) -> ComposeResult:
        yield Label(f"Opening {self._file}", id="loading-title")
        yield Label("starting", id="loading-stage")
        # Determinate from the start: an indeterminate bar animates, and its frames would take
        # the GIL from the thread reading the model.
        yield ProgressBar(total=self._stages, show_eta=False, id="loading-bar")

    def show(self, done: int, total: int, what: str) -> None:
        self.query_one("#loading-stage", Label).update(f"{what} ({min(done + 1, total)}/{total})")
        self.query_one("#loading-bar", ProgressBar).update(total=total, progress=done)
