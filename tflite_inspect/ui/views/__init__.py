"""The main views, one per tab: Overview, Operators, Tensors, Weights, Raw, Graph, Quantize
(Check, Run and Compare live in check.py, run.py and compare.py, imported by the main
screen)."""

import importlib

__all__ = ["GraphView", "OperatorsView", "OverviewView", "QuantizeView", "RawView", "TensorsView",
           "WeightsView"]

_MODULES = {"GraphView": "graph", "OperatorsView": "operators", "OverviewView": "overview",
            "QuantizeView": "quantize",
            "RawView": "raw", "TensorsView": "tensors", "WeightsView": "weights"}


def __getattr__(name: str) -> object:
    """Views load on first use, so the first screen does not wait for the others' imports."""
    if name in _MODULES:
        return getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
