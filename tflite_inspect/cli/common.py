"""What every subcommand shares: user errors, opening a model, JSON and table output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..text.jsondoc import dumps
from ..text.table import render_table

__all__ = [
    "UserError",
    "error_line",
    "exit_on_signals",
    "open_model_or_fail",
    "print_json",
    "render_table",
    "user_error_from",
]


class UserError(Exception):
    """A problem the user can fix: shown as one line, with an exit code (2 by default)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def error_line(message: str) -> str:
    """One error line; what it quotes from a file cannot reach the terminal as a control code."""
    from ..text.safe import terminal_safe

    return f"tflite-inspect: error: {terminal_safe(message)}"


def exit_on_signals() -> None:
    """SIGTERM and SIGHUP raise SystemExit(128 + signal) in the main thread, so every `finally`
    and context manager runs: child processes are killed, temporary folders and `.part` files
    removed. A second signal while cleaning up is ignored (SIGKILL still ends it)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def leave(signum: int, _frame: object) -> None:
        for s in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, leave)


def user_error_from(err: BaseException) -> UserError | None:
    """Turns the errors a user can cause into one clear line; None for anything else."""
    from ..flatbuf import FlatBufError
    from ..model import ModelError
    from ..safe_write import WriteRefusal

    if isinstance(err, WriteRefusal):
        return UserError(str(err), 2)
    if isinstance(err, ModelError):
        return UserError(str(err), 2)
    if isinstance(err, FlatBufError):
        return UserError(f"the file is damaged: {err}", 2)
    if isinstance(err, FileNotFoundError):
        return UserError(f"{err.filename}: no such file", 2)
    if isinstance(err, IsADirectoryError):
        return UserError(f"{err.filename}: is a directory, expected a .tflite file", 2)
    if isinstance(err, PermissionError):
        return UserError(f"{err.filename}: permission denied", 2)
    if isinstance(err, OSError) and err.filename:
        return UserError(f"{err.filename}: {err.strerror}", 2)
    return None


def open_model_or_fail(path: str | Path, *, tolerant: bool = False) -> Any:
    """Opens a model; errors become UserError lines (exit 2) naming the file. A command keeps
    its model until it exits: its objects are frozen out of the collector's walks once built
    (Model.freeze_builds)."""
    from ..model import open_model

    p = Path(path)
    if p.is_dir():
        raise UserError(
            f"{p}: is a directory; expected a .tflite file "
            "(to convert a SavedModel, run `tflite-inspect convert`)",
            2,
        )
    model = open_model(p, tolerant=tolerant)
    model.freeze_builds = True
    return model


def print_json(document: Any) -> None:
    # One write: json.dump would hand the stream hundreds of thousands of small pieces, each a
    # system call under PYTHONUNBUFFERED=1 (common in containers).
    sys.stdout.write(dumps(document) + "\n")
