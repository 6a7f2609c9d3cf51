"""The key-binding registry: every place with bindings, in the order the help screen lists them,
and the user's keymap (ui/data/config.py) checked against it and applied.

The help screen reads what this returns and imports neither the app nor the views, so the app
can import the help screen without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import App
from textual.binding import Binding

from .data.config import ConfigError, UserConfig

__all__ = ["Section", "apply_keymap", "binding_ids", "binding_sections"]

Section = tuple[str, list[Binding]]


def binding_sections(
    app_class: type[App[Any]], keymap: Mapping[str, str] | None = None
) -> list[Section]:
    """(where, bindings) for every place with key bindings; a binding the keymap remaps carries
    its new keys."""
    from .dialogs.export import ExportDialog
    from .screens.convert import ConvertScreen
    from .screens.main import MainScreen
    from .views.check import CheckView
    from .views.compare import CompareView
    from .views.graph import GraphView
    from .views.quantize import QuantizeView
    from .views.raw import RawView
    from .views.run import RunView
    from .views.table_view import TableDetailView
    from .views.tensors import TensorsView
    from .views.weights import WeightsView
    from .widgets.link_list import LinkList
    from .widgets.virtual_table import VirtualTable

    keymap = keymap or {}

    def own(*classes: type) -> list[Binding]:
        out: list[Binding] = []
        for cls in classes:
            for b in cls.__dict__.get("BINDINGS", []):
                if isinstance(b, Binding) and not b.system:
                    keys = keymap.get(b.id) if b.id else None
                    out.append(
                        b
                        if keys is None
                        else Binding(keys, b.action, b.description, show=b.show, id=b.id)
                    )
        return out

    everywhere = own(app_class, MainScreen)
    everywhere.append(
        Binding(
            App.COMMAND_PALETTE_BINDING,
            "command_palette",
            "Command palette",
            id="app.command-palette",
        )
    )
    return [
        ("everywhere", everywhere),
        ("Operators and Tensors views", own(TableDetailView, TensorsView)),
        ("tables", own(VirtualTable)),
        ("detail panes", own(LinkList)),
        ("Weights view", own(WeightsView)),
        ("Raw view", own(RawView)),
        ("Check pane", own(CheckView)),
        ("Run pane", own(RunView)),
        ("Compare pane", own(CompareView)),
        ("Graph view", own(GraphView)),
        ("Quantize pane", own(QuantizeView)),
        ("Convert screen", own(ConvertScreen)),
        ("export dialog", own(ExportDialog)),
    ]


def binding_ids(app_class: type[App[Any]]) -> set[str]:
    """Every binding id a keymap may name."""
    return {b.id for _, bindings in binding_sections(app_class) for b in bindings if b.id}


def apply_keymap(app: App[Any], config: UserConfig) -> None:
    """Remaps the app's bindings after `config`; an id no binding has is a ConfigError (a typo
    would otherwise be silently ignored, as Textual does)."""
    if not config.keymap:
        return
    known = binding_ids(type(app))
    for key in config.keymap:
        if key not in known:
            raise ConfigError(
                f"{config.path}: keymap entry {key!r} is no binding id; "
                "the help screen (?) lists every id"
            )
    app.set_keymap(dict(config.keymap))
