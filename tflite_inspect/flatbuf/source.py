"""Bytes to read from: an `mmap` of a file or any bytes-like object, behind one bounds check.

Every read of the FlatBuffers layer goes through `ByteSource.check`. It rejects negative positions
(Python slices and `struct.unpack_from` would silently read from the end) and ranges that run past
the end, using only comparisons that cannot overflow, and it never allocates from a length before
that length has been checked.
"""

from __future__ import annotations

import errno
import mmap
import os
import stat
import struct
from pathlib import Path
from typing import Any

from .errors import FlatBufError

__all__ = ["SPECIAL_FILES", "ByteSource"]

_U8 = struct.Struct("<B").unpack_from
_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from
_I32 = struct.Struct("<i").unpack_from
_STRUCTS: dict[str, Any] = {}


def _unpacker(fmt: str) -> Any:
    fn = _STRUCTS.get(fmt)
    if fn is None:
        fn = _STRUCTS[fmt] = struct.Struct("<" + fmt).unpack_from
    return fn


#: What a path that is not a regular file is, by `stat.S_IFMT` (opening one would wait or never
#: end); every refusal of such a path names it from here.
SPECIAL_FILES = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class ByteSource:
    """A read-only, zero-copy view of a buffer with bounds-checked reads.

    Open a file with `ByteSource.open(path)` (memory-mapped, so a 2 GB file costs no copy and no
    resident memory until pages are touched) or wrap bytes with `ByteSource(data)`.
    """

    __slots__ = ("view", "size", "name", "_mmap", "_closed")

    def __init__(self, data: bytes | bytearray | memoryview, name: str = "<bytes>") -> None:
        self.view = (
            memoryview(data).cast("B") if not isinstance(data, memoryview) else data.cast("B")
        )
        self.size = len(self.view)
        self.name = name
        self._mmap: mmap.mmap | None = None
        self._closed = False

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> ByteSource:
        """Maps a file read-only. Raises OSError as the OS reports it (missing, a directory, ...)."""
        path = Path(path)
        # O_NONBLOCK: opening a FIFO must not wait for a writer; only regular files are read.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb"):  # closes fd on every path
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
            if not stat.S_ISREG(st.st_mode):
                kind = SPECIAL_FILES.get(stat.S_IFMT(st.st_mode), "not a regular file")
                raise OSError(errno.EINVAL, f"{kind}, not a regular file", str(path))
            size = st.st_size
            if size == 0:
                return cls(b"", name=str(path))
            mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        src = cls(memoryview(mapped), name=str(path))
        src._mmap = mapped
        return src

    def close(self) -> None:
        """Releases the mapping. Views handed out earlier (numpy arrays) keep it alive if exported."""
        if self._closed:
            return
        self._closed = True
        self.view.release()
        if self._mmap is not None:
            try:
                self._mmap.close()
            except BufferError:
                # numpy arrays still view the mapping; it closes when they are gone.
                pass

    def __enter__(self) -> ByteSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the choke point -------------------------------------------------------------------

    def check(self, pos: int, length: int, path: str = "", what: str = "data") -> None:
        """Raises FlatBufError("OUT_OF_RANGE") unless [pos, pos+length) lies inside the buffer."""
        if self._closed:
            raise FlatBufError(
                "CLOSED",
                f"{self.name} was closed; reopen it to read",
                pos,
                pos + max(length, 0),
                path,
            )
        if pos < 0 or length < 0 or pos > self.size or length > self.size - pos:
            start = max(pos, 0)
            end = start + max(length, 0)
            raise FlatBufError(
                "OUT_OF_RANGE",
                f"{what} of {length} bytes at offset {pos} runs outside the {self.size}-byte buffer",
                start,
                end,
                path,
            )

    def in_range(self, pos: int, length: int) -> bool:
        return 0 <= pos and 0 <= length and pos <= self.size and length <= self.size - pos

    # -- typed reads -----------------------------------------------------------------------

    def u8(self, pos: int, path: str = "") -> int:
        self.check(pos, 1, path, "byte")
        return int(_U8(self.view, pos)[0])

    def u16(self, pos: int, path: str = "") -> int:
        self.check(pos, 2, path, "uint16")
        return int(_U16(self.view, pos)[0])

    def u32(self, pos: int, path: str = "") -> int:
        self.check(pos, 4, path, "uint32")
        return int(_U32(self.view, pos)[0])

    def i32(self, pos: int, path: str = "") -> int:
        self.check(pos, 4, path, "int32")
        return int(_I32(self.view, pos)[0])

    def scalar(self, fmt: str, size: int, pos: int, path: str = "") -> Any:
        """Reads one scalar of struct format `fmt` (`size` bytes) at `pos`."""
        self.check(pos, size, path, "scalar")
        return _unpacker(fmt)(self.view, pos)[0]

    def scalars(self, fmt: str, size: int, pos: int, count: int, path: str = "") -> tuple[Any, ...]:
        """Reads `count` consecutive scalars; the range is checked before anything is allocated."""
        if count < 0:
            raise FlatBufError("OUT_OF_RANGE", f"negative count {count}", pos, pos, path)
        self.check(pos, size * count, path, "vector data")
        values: tuple[Any, ...] = _unpacker(f"{count}{fmt}")(self.view, pos)
        return values

    def slice(self, pos: int, length: int, path: str = "") -> memoryview:
        """A zero-copy view of [pos, pos+length)."""
        self.check(pos, length, path)
        return self.view[pos : pos + length]
