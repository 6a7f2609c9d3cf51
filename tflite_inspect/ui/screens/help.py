"""`?` / F1: every key binding, where it works, and its id (for keymaps)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

if TYPE_CHECKING:
    from ..keymap import Section

__all__ = ["HelpScreen"]

INTRO = (
    "tflite-inspect shows everything inside a .tflite file. Views: 1 Overview, 2 Operators, "
    "3 Tensors, 4 Weights, 5 Raw, 6 Check (will it run on a target), 7 Run (the LiteRT "
    "interpreter in a child process), 8 Compare (against another .tflite, per output and per "
    "layer), 9 Graph (the dataflow, one line per op; enter opens the op), 0 Quantize (a float model "
    "with litert-quantizer: each variant compared per layer, layers marked with space kept "
    "float by a re-run; f3 closes a variant opened from it). A SavedModel or Keras source opens on the Convert screen (f2 returns to it). In the Operators and Tensors views, enter moves into the "
    "detail pane, whose lines with a ▶ cursor are links: enter follows them (op → tensor → "
    "producer/consumer op, WHILE/IF → called subgraph); backspace goes back. ctrl+p opens the "
    "command palette: type an op or tensor name to jump to it, or 'theme' to change the theme. "
    "The mouse works too: click rows, links and tabs."
)


class HelpScreen(ModalScreen[None]):
    """Lists every binding in `sections` (ui/keymap.binding_sections), keymap applied."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss(None)", "Close", id="help.close"),
    ]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        text = Text(INTRO + "\n")
        for where, bindings in self._sections:
            text.append(f"\n{where}\n", style="bold")
            for b in bindings:
                keys = ", ".join(
                    self.app.get_key_display(Binding(k, b.action)) for k in b.key.split(",")
                )
                text.append(f"  {keys:<22}", style="bold")
                text.append(f"{b.description or b.action:<24}")
                text.append(f"{b.id or ''}\n", style="dim")
        with Vertical(classes="dialog help"):
            yield Label(
                "Keys (remap an id in ~/.config/tflite-inspect/config.toml)", classes="dialog-title"
            )
            with VerticalScroll(classes="dialog-body"):
                yield Static(text)
            yield Label("escape closes", classes="dialog-hint")
