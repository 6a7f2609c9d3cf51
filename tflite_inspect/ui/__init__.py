"""The interactive Textual UI of `tflite-inspect MODEL`.

Only `ui.app` and the widget, view and screen modules import Textual. The package root stays
lazy (PEP 562) so that the CLI can use the Textual-free helpers (`ui.loading`) on its headless
paths without paying for Textual's import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import InspectApp, create_app

__all__ = ["InspectApp", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
