"""Errors raised before a conversion starts: what the user can fix, each with its exit code."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ConvertError", "SourceError", "TargetExists"]


class ConvertError(Exception):
    """A problem with a conversion request, shown as one line. `exit_code` is what the CLI
    returns: 2 for a bad source, calibration file or output folder, 1 for a failed conversion."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class SourceError(ConvertError):
    """The source (or the calibration file, or the output folder) is missing, unreadable or of
    a kind `convert` does not take."""


class TargetExists(ConvertError):
    """An output file is already there and the request does not say `force`."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; pass --force to overwrite it "
                         "(nothing was converted or written)")
        self.path = path
