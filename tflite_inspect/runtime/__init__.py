"""Interpreter runs, each in a spawned child process with time and memory limits.

Nothing here imports TFLite or TensorFlow in the calling process: `_child` (run as
`python -m tflite_inspect.runtime._child`) and `_interp` are the only modules that do, inside the
child. Crashes, hangs and memory exhaustion become a `RunOutcome`; the caller carries on.

- `run_model(RunRequest(path, ...)) -> RunReport`: outputs summary and latency of one model.
- `compare_models(CompareRequest(a, b, ...)) -> CompareReport`: output and per-layer error, accuracy, size and
  latency side by side.
- `ChildSession` / `RemoteInterpreter`: the building blocks, for a UI that keeps a child alive.
All long calls take `progress(phase, done, total)` and a `threading.Event` to cancel.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compare import CompareReport, Side, compare_models
    from .inputs import InputError, Samples, TensorSpec, load_samples, random_samples
    from .outcome import ChildFailure, RunOutcome
    from .remote import InterpreterConfig, Latency, RemoteInterpreter, RunResult
    from .request import CompareRequest, RequestError, RunRequest, RunSettings
    from .run import OutputSummary, RunReport, file_facts, run_model
    from .session import ChildSession, Limits, Progress

# Exported names load their module on first use: the interpreter child imports
# `runtime._child`, and with it this package, and needs none of them (compare, run, inputs and
# what they import cost it a third of its start-up).
_WHERE = {
    name: module
    for module, names in {
        "compare": ("CompareReport", "Side", "compare_models"),
        "inputs": ("InputError", "Samples", "TensorSpec", "load_samples", "random_samples"),
        "outcome": ("ChildFailure", "RunOutcome"),
        "remote": ("InterpreterConfig", "Latency", "RemoteInterpreter", "RunResult"),
        "request": ("CompareRequest", "RequestError", "RunRequest", "RunSettings"),
        "run": ("OutputSummary", "RunReport", "file_facts", "run_model"),
        "session": ("ChildSession", "Limits", "Progress"),
    }.items()
    for name in names
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ChildFailure",
    "ChildSession",
    "CompareReport",
    "CompareRequest",
    "InputError",
    "InterpreterConfig",
    "Latency",
    "Limits",
    "OutputSummary",
    "Progress",
    "RemoteInterpreter",
    "RequestError",
    "RunOutcome",
    "RunReport",
    "RunRequest",
    "RunResult",
    "RunSettings",
    "Samples",
    "Side",
    "TensorSpec",
    "compare_models",
    "file_facts",
    "load_samples",
    "random_samples",
    "run_model",
]
