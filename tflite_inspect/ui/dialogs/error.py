"""A modal dialog for something that went wrong (a failed worker, a file that cannot open)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

__all__ = ["ErrorDialog"]


class ErrorDialog(ModalScreen[None]):
    """Shows `title` and `message`; enter or escape closes it, q quits the app."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "dismiss(None)", "Close", id="dialog.close"),
        Binding("q", "app.quit", "Quit", id="dialog.quit"),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="error")
        self._title = title
        self._message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Error: {self._title}", classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body"):
                yield Static(self._message, markup=False)
            yield Label("enter/escape closes · q quits", classes="dialog-hint")
