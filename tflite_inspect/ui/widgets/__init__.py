"""Reusable widgets: a virtual table, a link pane, a hex view, a histogram, a loading panel."""

from .hex_view import HexView, Mark
from .histogram import Histogram
from .link_list import Line, LinkList
from .loading_panel import LoadingPanel
from .virtual_table import Column, EmptyRows, RowSource, VirtualTable

__all__ = [
    "Column",
    "EmptyRows",
    "HexView",
    "Histogram",
    "Line",
    "LinkList",
    "LoadingPanel",
    "Mark",
    "RowSource",
    "VirtualTable",
]
