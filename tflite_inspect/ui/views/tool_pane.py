"""The shape shared by the Check, Run and Compare panes: a few form rows on top, a status line
(progress, how the last job ended), and a pane of result lines whose links jump to ops.

The long job runs in a thread worker of the pane; its progress arrives as `Status` messages
(posted from the thread), its result as a pane-specific message. Workers are cancelled when the
pane is unmounted (the app closing), so no interpreter child outlives the UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select
from textual.worker import Worker

from ..history import Location
from ..messages import Navigate, ReportsWorkerErrors
from ..session import Session
from ..widgets.link_list import Line, LinkList

__all__ = ["Status", "ToolPane", "plain_lines", "progress_text"]


@dataclass
class Status(Message):
    """New text for the pane's status line (`busy`: a job is running)."""

    text: str
    busy: bool = True


def progress_text(phase: str, done: int, total: int) -> str:
    """'loading 2/8…' as the runtime's `progress(phase, done, total)` calls describe it."""
    count = f" {done}/{total}" if total else ""
    return f"{phase}{count}…"


def plain_lines(text: str | Iterable[str], *, style: str = "", no_wrap: bool = True
                ) -> list[Line]:
    """Lines of text (CLI renderings) as link-less lines; tables keep their columns (no wrap:
    the pane scrolls sideways with left/right)."""
    rows = text.splitlines() if isinstance(text, str) else list(text)
    out = []
    for row in rows:
        t = Text(row, style=style)
        t.no_wrap = no_wrap
        out.append(Line(t))
    return out


def heading(text: str) -> Line:
    return Line(Text(text, style="bold"))


class ToolPane(ReportsWorkerErrors, Vertical):
    """Base of the Check, Run and Compare panes (see module docstring)."""

    view_id: ClassVar[str] = ""

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="tool-pane")
        self.session = session

    # -- parts -----------------------------------------------------------------------------

    @property
    def results(self) -> LinkList:
        return self.query_one(f"#{self.view_id}-results", LinkList)

    def set_status(self, text: str, *, busy: bool = False) -> None:
        label = self.query_one(f"#{self.view_id}-status", Label)
        label.update(text)
        label.set_class(busy, "-busy")

    @on(Status)
    def _status(self, message: Status) -> None:
        message.stop()
        self.set_status(message.text, busy=message.busy)

    def on_unmount(self) -> None:
        self.workers.cancel_node(self)

    # -- the job ---------------------------------------------------------------------------

    def action_cancel(self) -> None:
        """Cancels the running job (the panes that run one bind escape to this)."""
        if self.workers.cancel_node(self):
            self.set_status("cancelling…", busy=True)

    def progress_callback(self, worker: Worker[Any]) -> Callable[[str, int, int], None]:
        """The runtime's `progress(phase, done, total)` for a job running in `worker` (a thread):
        Status messages, none once the job is cancelled."""

        def progress(phase: str, done: int, total: int) -> None:
            if not worker.is_cancelled:
                self.post_message(Status(progress_text(phase, done, total)))

        return progress

    # -- location --------------------------------------------------------------------------

    def location(self) -> Location:
        return Location(self.view_id)

    def go(self, location: Location) -> None:
        """Focus on the results once there are some, else on the start button (not a text
        field: the number keys must still switch views)."""
        if self.results.lines:
            self.results.focus()
        else:
            self.first_control().focus()

    def first_control(self) -> Widget:
        found = self.query(Button)
        return found.first() if found else self.results

    def show_results(self, lines: list[Line]) -> None:
        """Replaces the results; the focus moves to them from the pane's buttons (not from a
        field the user is typing in, nor from another view)."""
        self.results.set_lines(lines)
        focused = self.app.focused
        here = focused is not None and self in focused.ancestors
        if here and not isinstance(focused, (Input, Select)):
            self.results.focus()

    # -- links -----------------------------------------------------------------------------

    @on(LinkList.LinkSelected)
    def _link_selected(self, event: LinkList.LinkSelected) -> None:
        event.stop()
        if isinstance(event.link, Location):
            self.post_message(Navigate(event.link))

    def op_location(self, subgraph: int | None, op: int | None) -> Location | None:
        """The Operators view on `op` of the open model, when it exists."""
        if op is None or self.session.op(subgraph or 0, op) is None:
            return None
        return Location("ops", subgraph or 0, op)
