"""Writing files the user asked for without ever losing what was there.

Data goes to a temporary file in the target's folder, is flushed to disk, and is renamed into
place; an existing file is replaced only when the caller passes `force=True`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["FileExistsRefusal", "write_bytes_safely", "write_with"]


class FileExistsRefusal(FileExistsError):
    """The target exists and the caller did not ask to overwrite it."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; pass --force to overwrite it")
        self.path = path


def write_with(path: str | os.PathLike[str], writer: Callable[[BinaryIO], object], *,
               force: bool = False) -> Path:
    """Calls `writer(f)` on a temporary file beside `path`, then renames it into place."""
    target = Path(path)
    if target.exists() and not force:
        raise FileExistsRefusal(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a written file gets the usual mode
    try:
        with os.fdopen(fd, "wb") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        if not force and target.exists():
            raise FileExistsRefusal(target)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_bytes_safely(path: str | os.PathLike[str], data: bytes, *, force: bool = False) -> Path:
    return write_with(path, lambda f: f.write(data), force=force)
