"""The file a request's or an answer's arrays travel in between the parent and the child.

    save(path, {"all@t3": stacked, "o0": out})   # one file, written in a few calls
    arrays = load(path)                           # one read; every array a view of it

Layout: the 8-byte magic `TFIARR1\\n`, the header's length (8 bytes, little-endian), the header
(JSON: `[[key, dtype, shape, offset], ...]`, numpy's dtype strings such as `<f4` or `|S12`), then
each array's C-ordered bytes at its offset (from the file's start, a multiple of 64).

An `.npz` does the same at a cost that grew with every chunk of a per-layer comparison: a zip
entry, a CRC-32 over every byte and a parsed `.npy` header per array on both sides, about 60 ms of
the child's 0.4 s comparing 512 samples. Nothing here unpickles or evaluates: the header is JSON,
each dtype must be a plain number, bytes or text type, and every shape and offset is checked
against the file's size before an array is made; a file that fails raises ValueError.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["MAGIC", "load", "save"]

MAGIC = b"TFIARR1\n"
_ALIGN = 64
_KINDS = "biufcSU"  # bool, integers, floats, complex, bytes, text: never objects or records
_MAX_DIMS = 64


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def save(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """Writes `arrays` to a new file at `path` (refuses one that exists). ValueError for an
    array of objects or records, which could not travel without pickling."""
    items = []
    for key, value in arrays.items():
        a = np.asarray(value)
        if a.dtype.kind not in _KINDS or a.dtype.hasobject:
            raise ValueError(f"array {key!r}: dtype {a.dtype} cannot travel (numbers, bytes, text)")
        items.append((str(key), a if a.flags.c_contiguous else a.copy(order="C")))
    relative, offset = [], 0  # each array's offset from the start of the data
    for _, a in items:
        relative.append(offset)
        offset = _aligned(offset + a.nbytes)
    start = 0  # where the data starts: after the header, whose length its offsets decide
    while True:
        entries = [
            [key, a.dtype.str, list(a.shape), start + r]
            for (key, a), r in zip(items, relative, strict=True)
        ]
        header = json.dumps(entries).encode()
        need = _aligned(16 + len(header))
        if need <= start:
            break
        start = need
    with open(path, "xb") as out:
        out.write(MAGIC + len(header).to_bytes(8, "little") + header)
        at = 16 + len(header)
        for r, (_, a) in zip(relative, items, strict=True):
            if start + r > at:
                out.write(bytes(start + r - at))
            if a.nbytes:
                out.write(a.data)
            at = start + r + a.nbytes


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The arrays of a file `save` wrote, writable views of one buffer; ValueError when the file
    is not one (cut short, a header that does not parse, a dtype that is not plain, a shape or
    an offset outside the file)."""
    with open(path, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        buf = bytearray(size)
        view, got = memoryview(buf), 0
        while got < size:
            n = src.readinto(view[got:])
            if not n:
                break
            got += n
    if got != size:
        raise ValueError(f"{path}: array file cut short")
    return _parse(buf, str(path))


def _parse(buf: bytearray, where: str) -> dict[str, np.ndarray]:
    size = len(buf)
    if size < 16 or bytes(buf[:8]) != MAGIC:
        raise ValueError(f"{where}: not an array file")
    length = int.from_bytes(buf[8:16], "little")
    if length > size - 16:
        raise ValueError(f"{where}: array file header past its end")
    try:
        entries = json.loads(bytes(buf[16 : 16 + length]))
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"{where}: array file header is not JSON") from None
    if not isinstance(entries, list):
        raise ValueError(f"{where}: array file header is not a list")
    out: dict[str, np.ndarray] = {}
    for entry in entries:
        key, array = _array(buf, entry, 16 + length, where)
        if key in out:
            raise ValueError(f"{where}: array {key!r} twice")
        out[key] = array
    return out


def _array(buf: bytearray, entry: Any, data_start: int, where: str) -> tuple[str, np.ndarray]:
    if not (isinstance(entry, list) and len(entry) == 4):
        raise ValueError(f"{where}: malformed array entry")
    key, dtype, shape, offset = entry
    if not (isinstance(key, str) and isinstance(dtype, str) and isinstance(shape, list)):
        raise ValueError(f"{where}: malformed array entry")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"{where}: array {key!r}: unknown dtype {dtype[:40]!r}") from None
    if dt.kind not in _KINDS or dt.hasobject or dt.fields is not None or dt.subdtype is not None:
        raise ValueError(f"{where}: array {key!r}: dtype {dt} is not a plain type")
    if len(shape) > _MAX_DIMS or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise ValueError(f"{where}: array {key!r}: malformed shape")
    if not (isinstance(offset, int) and not isinstance(offset, bool) and offset >= data_start):
        raise ValueError(f"{where}: array {key!r}: malformed offset")
    count = 1
    for d in shape:
        count *= d
    nbytes = count * dt.itemsize
    if offset + nbytes > len(buf):
        raise ValueError(f"{where}: array {key!r} runs past the end of the file")
    if not count:
        return key, np.empty(shape, dtype=dt)
    flat = np.frombuffer(buf, dtype=dt, count=count, offset=offset)
    return key, flat.reshape(shape)
