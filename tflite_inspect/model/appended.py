"""The zip archive appended after a model's flatbuffer: the associated files of TFLite Support
metadata (labels.txt, vocab.txt, ...), as TFLite Support's MetadataPopulator and MediaPipe's
metadata writers store them. The zip's central directory is at the end of the `.tflite`, so a zip
reader opens the model file itself; LiteRT never looks at these bytes.

`read_appended(data)` reads it with Python's zipfile over the mapped file (no copy), bounded:
- at most MAX_MEMBERS members are listed;
- a member is decompressed only when it is text-like and declares at most MAX_MEMBER_BYTES,
  and reading stops at MAX_MEMBER_BYTES whatever it declares; all members together at most
  MAX_TOTAL_BYTES;
- an archive whose members declare a compression ratio above MAX_RATIO (a zip bomb) is refused:
  it is listed, nothing in it is decompressed, and `problem` says why.
Nothing is ever written to disk; member names are kept as stored (render them with
`terminal_safe`). Never raises: a damaged archive gives `problem`, one line.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass

__all__ = [
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "AppendedArchive",
    "AppendedFile",
    "read_appended",
    "terminal_safe",
]

MAX_MEMBERS = 1_000
MAX_MEMBER_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_RATIO = 200  # deflate reaches ~1000 only on degenerate data; real label files stay far below
PREVIEW_LINES = 5
_EOCD = b"PK\x05\x06"
_TEXT_SUFFIXES = (".txt", ".csv", ".json", ".vocab", ".labels", ".tsv")


def terminal_safe(text: str | None, limit: int = 200) -> str:
    """`text` with control, format and unassigned characters (escape sequences, bidi overrides)
    shown as escapes, cut to `limit` characters."""
    if text is None:
        return ""
    out = []
    for ch in text[:limit]:
        if unicodedata.category(ch)[0] == "C":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(text) > limit else "")


@dataclass(frozen=True)
class AppendedFile:
    """One member of the archive. `lines` and `first_lines` are known for text members that were
    read; `note` says why a member was not read (too large, encrypted, refused, unreadable)."""

    name: str
    offset: int  # of its local header in the model file
    size: int  # uncompressed, as declared
    compressed_size: int
    compression: str
    lines: int | None = None
    first_lines: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class AppendedArchive:
    """The appended zip: it spans [start, end) of the model file."""

    start: int
    end: int
    files: tuple[AppendedFile, ...]
    members: int  # as found in the central directory (files lists at most MAX_MEMBERS)
    problem: str | None = None
    refused: bool = False  # a zip bomb: listed, never decompressed

    @property
    def size(self) -> int:
        return self.end - self.start

    def file(self, name: str | None) -> AppendedFile | None:
        return next((f for f in self.files if f.name == name), None)


class _ViewFile(io.RawIOBase):
    """A read-only seekable file over a memoryview, so zipfile reads the mapped model in place."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        pos = base + offset
        if pos < 0:
            raise OSError("seek before the start of the file")
        self._pos = pos
        return pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._view[self._pos : self._pos + len(buffer)]
        n = len(chunk)
        memoryview(buffer).cast("B")[:n] = chunk
        self._pos += n
        return n


_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflated",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}


def has_end_record(view: memoryview) -> bool:
    """Whether the last 64 KiB + 22 bytes hold a zip end-of-central-directory signature."""
    tail = bytes(view[max(0, len(view) - 65_557) :])
    return _EOCD in tail


def _is_text(info: zipfile.ZipInfo) -> bool:
    return info.filename.lower().endswith(_TEXT_SUFFIXES) or "." not in info.filename


def _read_text(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int
) -> tuple[int, tuple[str, ...]]:
    """(line count, first lines) of a member, reading at most `budget` decompressed bytes.
    Raises ValueError when the member holds more than that."""
    with zf.open(info) as member:
        data = member.read(budget + 1)
    if len(data) > budget:
        raise ValueError(f"larger than {budget:,} bytes once decompressed")
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    return len(lines), tuple(lines[:PREVIEW_LINES])


def _members(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], refused: bool
) -> list[AppendedFile]:
    files = []
    total = 0
    for info in infos:
        method = _METHODS.get(info.compress_type, f"method {info.compress_type}")
        base = dict(
            name=info.filename,
            offset=info.header_offset,
            size=info.file_size,
            compressed_size=info.compress_size,
            compression=method,
        )
        note = None
        if refused:
            note = "not read: the archive is refused"
        elif info.is_dir() or not _is_text(info):
            files.append(AppendedFile(**base))  # type: ignore[arg-type]
            continue
        elif info.flag_bits & 0x1:
            note = "encrypted"
        elif info.compress_type not in _METHODS:
            note = f"unsupported compression ({method})"
        elif info.file_size > MAX_MEMBER_BYTES:
            note = f"not read: larger than {MAX_MEMBER_BYTES:,} bytes"
        elif total + info.file_size > MAX_TOTAL_BYTES:
            note = f"not read: the archive's text files pass {MAX_TOTAL_BYTES:,} bytes"
        if note is None:
            try:
                budget = min(MAX_MEMBER_BYTES, MAX_TOTAL_BYTES - total)
                lines, first = _read_text(zf, info, budget)
                total += info.file_size
                files.append(AppendedFile(**base, lines=lines, first_lines=first))  # type: ignore[arg-type]
                continue
            except (
                ValueError,
                OSError,
                EOFError,
                RuntimeError,
                NotImplementedError,
                zipfile.BadZipFile,
            ) as err:
                note = f"unreadable: {err}"
            except Exception as err:  # zlib.error, lzma.LZMAError: a damaged stream
                note = f"unreadable: {type(err).__name__}: {err}"
        files.append(AppendedFile(**base, note=note))  # type: ignore[arg-type]
    return files


def _bomb(infos: list[zipfile.ZipInfo]) -> str | None:
    declared = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    for info in infos:
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            return (
                f"member {terminal_safe(info.filename, 60)!r} declares {info.file_size:,} bytes "
                f"from {info.compress_size:,} (ratio above {MAX_RATIO}): a zip bomb"
            )
    if declared > MAX_RATIO * max(packed, 1) and declared > 1 << 20:
        return f"members declare {declared:,} bytes from {packed:,}: a zip bomb"
    return None


def read_appended(view: memoryview, not_before: int = 0) -> AppendedArchive | None:
    """The zip archive at the end of `view`, or None when the file ends with none.

    `not_before` is the end of the model's own data: an archive that claims to start earlier
    overlaps the model and is reported as a problem (its span is cut at `not_before`)."""
    if not has_end_record(view):
        return None
    size = len(view)
    try:
        zf = zipfile.ZipFile(_ViewFile(view))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        return AppendedArchive(size, size, (), 0, problem=f"the appended zip is unreadable: {err}")
    with zf:
        infos = zf.infolist()
        start = min([i.header_offset for i in infos] + [zf.start_dir])
        problem = None
        if start < not_before or start > size:
            problem = (
                f"the appended zip claims to start at byte {start:,}, inside the model's "
                f"data (which ends at byte {not_before:,})"
            )
            start = min(max(start, not_before), size)
        bomb = _bomb(infos)
        files = _members(zf, infos[:MAX_MEMBERS], refused=bomb is not None)
    if len(infos) > MAX_MEMBERS:
        problem = problem or f"{len(infos):,} members; the first {MAX_MEMBERS:,} are listed"
    return AppendedArchive(
        start, size, tuple(files), len(infos), problem=bomb or problem, refused=bomb is not None
    )
