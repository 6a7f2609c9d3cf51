"""Asks where to export a tensor as `.npy`, and which values (stored or real)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet

__all__ = ["ExportDialog"]


class ExportDialog(ModalScreen[tuple[str, str] | None]):
    """Returns (path, "raw" or "values"), None on escape. `values_label` names the real values
    ("dequantized", "float32"); without one only the stored values can be exported."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "save", "Save", id="export.save"),
    ]

    def __init__(self, default_path: str, values_label: str = "") -> None:
        super().__init__()
        self._path = default_path
        self._values_label = values_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                "Export tensor as .npy (an existing file is never overwritten without asking)",
                classes="dialog-title",
            )
            yield Input(self._path, id="export-path")
            with RadioSet(id="export-kind"):
                yield RadioButton("stored values (as in the file)", value=True, id="kind-raw")
                if self._values_label:
                    yield RadioButton(f"{self._values_label} values (float32)", id="kind-values")
            yield Label(
                "enter (in the path) or ctrl+s saves · tab moves · escape cancels",
                classes="dialog-hint",
            )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        path = self.query_one(Input).value.strip()
        if not path:
            return
        pressed = self.query_one(RadioSet).pressed_button
        kind = "values" if pressed is not None and pressed.id == "kind-values" else "raw"
        self.dismiss((path, kind))
