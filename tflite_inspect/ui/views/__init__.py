"""The main views, one per tab: Overview, Operators, Tensors, Weights, Raw (Check, Run and
Compare live in check.py, run.py and compare.py, imported by the main screen)."""

from .operators import OperatorsView
from .overview import OverviewView
from .raw import RawView
from .tensors import TensorsView
from .weights import WeightsView

__all__ = ["OperatorsView", "OverviewView", "RawView", "TensorsView", "WeightsView"]
