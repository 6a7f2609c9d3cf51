"""Writing files without ever writing through a link or losing what was there.

Every file the tool writes is created new: data goes to a `mkstemp` file in the target's folder
(O_CREAT|O_EXCL, so never an existing file or a planted link), is fsynced, and is moved into
place. Without `force` the move is a hard link, which fails when the name exists (even when it
appeared meanwhile), so nothing is replaced; with `force` it is `os.replace`, which replaces a
link itself, never what it points to. A target that is a symbolic link is refused either way.
Files a child process writes at a name we chose are opened with `open_new` (O_EXCL|O_NOFOLLOW),
logs that grow across runs with `open_log` (O_NOFOLLOW, a regular file with one link only).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "FileExistsRefusal",
    "WriteRefusal",
    "check_target",
    "open_log",
    "open_new",
    "write_bytes_safely",
    "write_with",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class WriteRefusal(OSError):
    """The tool will not write there (a link, not a regular file, no such folder): one line."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path

    def __str__(self) -> str:
        return str(self.args[0])


class FileExistsRefusal(WriteRefusal, FileExistsError):
    """The target exists and the caller did not ask to overwrite it."""

    def __init__(self, path: Path) -> None:
        OSError.__init__(self, f"{path} already exists; pass --force to overwrite it")
        self.path = path


def check_target(
    path: str | os.PathLike[str], *, force: bool = False, need_folder: bool = False
) -> Path:
    """Refuses, before any work starts, a target the write would refuse: a symbolic link, an
    existing non-regular file, an existing file without `force`, and (`need_folder`) a folder
    that does not exist."""
    target = Path(path)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise WriteRefusal(
                target,
                "is a symbolic link; the tool never writes through one "
                "(remove it or choose another name)",
            )
        if not stat.S_ISREG(st.st_mode):
            raise WriteRefusal(target, "exists and is not a regular file; choose another name")
        if not force:
            raise FileExistsRefusal(target)
    if need_folder and not target.parent.is_dir():
        raise WriteRefusal(target, f"the folder {target.parent} does not exist; create it first")
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | _CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_with(
    path: str | os.PathLike[str], writer: Callable[[BinaryIO], object], *, force: bool = False
) -> Path:
    """Calls `writer(f)` on a new temporary file beside `path`, then moves it into place."""
    target = check_target(path, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a written file gets the usual mode
    try:
        with os.fdopen(fd, "wb") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        check_target(target, force=force)
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target, follow_symlinks=False)  # fails if the name exists
            except FileExistsError:
                raise FileExistsRefusal(target) from None
            os.unlink(tmp)
        _sync_folder(target.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_bytes_safely(path: str | os.PathLike[str], data: bytes, *, force: bool = False) -> Path:
    return write_with(path, lambda f: f.write(data), force=force)


def open_new(path: str | os.PathLike[str], mode: int = 0o666) -> int:
    """A file descriptor for writing a file that did not exist (never an existing file, never
    through a link); raises FileExistsError otherwise."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode)


def open_log(path: str | os.PathLike[str]) -> int:
    """A file descriptor appending to the log at `path`, created when missing. Refuses
    (WriteRefusal) a link, a non-regular file and a file with other hard links."""
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o666)
    except OSError as err:
        if os.path.islink(target):
            raise WriteRefusal(
                target, "is a symbolic link; the log is not written through it"
            ) from err
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        raise WriteRefusal(target, "is not a plain file of its own; the log is not written there")
    return fd
