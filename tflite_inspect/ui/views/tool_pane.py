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
from textual import events, on
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select
from textual.worker import Worker

from ..data.history import Place
from ..data.session import Session
from ..messages import Navigate, ReportsWorkerErrors
from ..widgets.link_list import Line, LinkList

__all__ = ["FORM_WIDGETS", "Status", "ToolPane", "plain_lines", "progress_text"]

FORM_WIDGETS = (Input, Select, Checkbox)
"""The widgets a user types or chooses in: keys typed there never reach a global binding."""


@dataclass
class Status(Message):
    """New text for the pane's status line (`busy`: a job is running)."""

    text: str
    busy: bool = True


def progress_text(phase: str, done: int, total: int) -> str:
    """'loading 2/8…' as the runtime's `progress(phase, done, total)` calls describe it."""
    count = f" {done}/{total}" if total else ""
    return f"{phase}{count}…"


def plain_lines(text: str | Iterable[str], *, style: str = "", no_wrap: bool = True) -> list[Line]:
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
    title: ClassVar[str] = ""
    ask_before_quit: ClassVar[bool] = False
    """Whether quitting asks first while this pane shows results (they would be lost)."""

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="tool-pane")
        self.session = session

    # -- parts -----------------------------------------------------------------------------

    @property
    def results(self) -> LinkList:
        return self.query_one(f"#{self.view_id}-results", LinkList)

    def _results_list(self) -> LinkList | None:
        """The results list, None in a pane without one (Quantize has tables instead)."""
        return next(iter(self.query(f"#{self.view_id}-results").results(LinkList)), None)

    def _job_running(self) -> bool:
        return any(w.is_running for w in self.workers if w.node is self)

    def set_status(self, text: str, *, busy: bool = False) -> None:
        label = self.query_one(f"#{self.view_id}-status", Label)
        label.update(text)
        label.set_class(busy, "-busy")

    @on(Status)
    def _status(self, message: Status) -> None:
        message.stop()
        self.set_status(message.text, busy=message.busy)

    def on_mount(self) -> None:
        results = self._results_list()
        if results is not None:
            results.focus_when_empty = False  # no tab stop on an empty pane

    def on_unmount(self) -> None:
        self.workers.cancel_node(self)

    def results_to_lose(self) -> bool:
        """True when quitting would lose what this pane shows (or is computing)."""
        if not self.ask_before_quit:
            return False
        return self._job_running() or bool(self.results.lines)

    # -- typing in the form ----------------------------------------------------------------

    def _form_widget(self) -> Widget | None:
        """The focused form widget of this pane (an open Select's list counts as its Select)."""
        focused = self.app.focused
        if focused is None or self not in focused.ancestors:
            return None
        for node in (focused, *focused.ancestors):
            if node is self:
                return None
            if isinstance(node, FORM_WIDGETS):
                return node
        return None

    def on_key(self, event: events.Key) -> None:
        """In a form field: escape leaves it (for the results, else the start button), and a
        typed key the field does not use itself (`3`, `q`, backspace on a checkbox) stops here
        instead of switching the view or quitting."""
        field = self._form_widget()
        if field is None:
            return
        focused = self.app.focused
        expanded = isinstance(field, Select) and field.expanded
        running = self._job_running()
        if event.key == "escape" and not expanded and not running:  # running: escape cancels
            event.stop()
            event.prevent_default()
            self.leave_field()
            return
        if not (event.is_printable or event.key == "backspace"):
            return
        active = self.screen.active_bindings.get(event.key)
        owner = active.node if active is not None else None
        if (
            owner is not None
            and focused is not None
            and (owner is focused or owner in focused.ancestors)
            and (owner is field or field in owner.ancestors)
        ):
            return  # the field's own key (space on a checkbox)
        event.stop()
        event.prevent_default()

    def leave_field(self) -> None:
        """The focus goes from a form field to the results, else to the start button (a pane
        without a results list, Quantize, goes to its first control)."""
        results = self._results_list()
        if results is not None and results.lines:
            results.focus()
        else:
            self.first_control().focus()

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

    def location(self) -> Place:
        return Place(self.view_id)

    def go(self, location: Place) -> None:
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
        if isinstance(event.link, Place):
            self.post_message(Navigate(event.link))

    def op_location(self, subgraph: int | None, op: int | None) -> Place | None:
        """The Operators view on `op` of the open model, when it exists."""
        if op is None or self.session.op(subgraph or 0, op) is None:
            return None
        return Place("ops", subgraph or 0, op)
