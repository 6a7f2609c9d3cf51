"""Messages shared across the UI: loading, statistics, navigation and worker failures."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from textual.message import Message
from textual.worker import Worker, WorkerState

from .data.history import Place
from .data.session import Session
from .data.stats import ModelStats

__all__ = [
    "GraphReady",
    "LoadProgress",
    "ModelLoaded",
    "Navigate",
    "ReportsWorkerErrors",
    "StatsReady",
    "WorkerFailed",
]


@dataclass
class LoadProgress(Message):
    """The load worker started stage `done` of `total` (`what` names it)."""

    done: int
    total: int
    what: str


@dataclass
class ModelLoaded(Message):
    """The model is open and what the first screen shows is read (not yet the subgraphs). The
    App sets `painted` once that screen is up; the load worker waits for it, then builds them."""

    session: Session
    painted: threading.Event


@dataclass
class GraphReady(Message):
    """The session's subgraphs, operators and tensors are built."""

    session: Session


@dataclass
class StatsReady(Message):
    """The model-wide statistics are computed (`Session.stats` is set too)."""

    stats: ModelStats


@dataclass
class Navigate(Message):
    """Go to `location`; `record` keeps the current place in the back history."""

    location: Place
    record: bool = True


@dataclass
class WorkerFailed(Message):
    """A worker raised: `worker` is its name, `title` says what it was doing, `error` is what
    it raised."""

    worker: str
    title: str
    error: BaseException


class ReportsWorkerErrors:
    """Mixin for widgets that run workers: a worker that ends in ERROR becomes one bubbling
    `WorkerFailed` message, which the App turns into an error dialog (one handler for all)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR and worker.error is not None:
            title = worker.description or worker.name or "background work"
            self.post_message(WorkerFailed(worker.name, title, worker.error))  # type: ignore[attr-defined]
