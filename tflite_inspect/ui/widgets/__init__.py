"""Reusable widgets: a virtual table, a link pane, a hex view, a histogram, a depth plot, a
loading panel.

Import them from their modules (`from .widgets.hex_view import HexView`). The package root
names them too, but loads a module only when one of its names is asked for (PEP 562): the first
screen needs the loading panel alone.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = {
    "DepthPlot": "depth_plot",
    "HexView": "hex_view",
    "Mark": "hex_view",
    "Histogram": "histogram",
    "Line": "link_list",
    "LinkList": "link_list",
    "LoadingPanel": "loading_panel",
    "Column": "virtual_table",
    "EmptyRows": "virtual_table",
    "RowSource": "virtual_table",
    "VirtualTable": "virtual_table",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
