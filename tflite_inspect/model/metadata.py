"""`Model.metadata` entries, with the known ones decoded.

- `min_runtime_version`: a NUL-padded version string.
- `CONVERSION_METADATA`: a nested ConversionMetadata flatbuffer (schemas/conversion_metadata.fbs).
- `buffer_location`: "outside flatbuffers" for models whose weights follow the flatbuffer.
- `TFLITE_METADATA`: the TFLite Support / MediaPipe ModelMetadata flatbuffer (identifier "M001",
  schemas/metadata_schema.fbs): `value` holds its model-level fields, `detail` the whole of it
  (support_metadata.SupportMetadata).
- anything else: size and a printable preview.

Nested flatbuffers are verified before they are read. Decoding never raises: a failure is kept
in `MetadataEntry.error`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..flatbuf import (
    ByteSource,
    FlatBufError,
    Schema,
    Table,
    Vector,
    load_schema,
    root,
    verify,
)
from .errors import ModelError
from .objects import Buffer
from .support_metadata import decode_support_metadata, support_metadata_schema

__all__ = ["MetadataEntry", "decode_conversion_metadata", "decode_tflite_metadata", "read_metadata"]

PREVIEW_BYTES = 64

# The TFLite Support schema; the name stays for the tests that build ModelMetadata buffers.
_tflite_metadata_schema = support_metadata_schema


@dataclass(frozen=True)
class MetadataEntry:
    """One `Model.metadata` entry. `kind` says how `value` was decoded: "version", "conversion",
    "string", "tflite_metadata", "bytes" (value is a printable preview) or "missing"."""

    index: int
    name: str | None
    buffer: int
    size: int
    kind: str
    value: Any = None
    error: str | None = None
    # The full decoding when there is one: a SupportMetadata for "tflite_metadata".
    detail: Any = dataclasses.field(default=None, compare=False, repr=False)


_KNOWN = {"min_runtime_version", "CONVERSION_METADATA", "TFLITE_METADATA", "buffer_location"}


def _preview(data: memoryview | bytes, size: int) -> str:
    head = bytes(data[:PREVIEW_BYTES])
    text = "".join(chr(b) if 32 <= b < 127 else "." for b in head)
    return text + ("..." if size > PREVIEW_BYTES else "")


def _table_dict(table: Table, depth: int = 0) -> dict[str, Any]:
    """A nested table as a dict: enum values by name, vectors as lists."""
    out: dict[str, Any] = {}
    for field in table.tdef.fields:
        if field.deprecated or field.type.kind in ("union", "union_type"):
            continue
        value = table.get(field.name)
        ref = field.type.ref
        if field.type.kind == "scalar" and ref in table.schema.enums:
            value = table.schema.enums[ref].names.get(int(value), f"UNKNOWN_{int(value)}")
        elif isinstance(value, Vector):
            el = value.element
            if el.kind == "table" and depth < 8:
                value = [_table_dict(t, depth + 1) for t in value]
            elif el.kind == "scalar" and el.ref in table.schema.enums:
                names = table.schema.enums[el.ref].names
                value = [names.get(int(v), f"UNKNOWN_{int(v)}") for v in value.tolist()]
            else:
                value = list(value)
        elif isinstance(value, Table):
            value = _table_dict(value, depth + 1) if depth < 8 else None
        out[field.name] = value
    return out


def _nested(data: memoryview | bytes, schema: Schema, what: str) -> dict[str, Any]:
    """Verifies then decodes a nested flatbuffer. Raises ValueError with the first problem."""
    src = ByteSource(bytes(data), name=what)
    report = verify(src, schema)
    if not report.ok:
        first = report.errors[0]
        raise ValueError(f"{what} is not a valid flatbuffer: {first.message} ({first.code})")
    try:
        return _table_dict(root(src, schema))
    except FlatBufError as err:
        raise ValueError(f"{what}: {err.message} ({err.code})") from err


def decode_conversion_metadata(data: memoryview | bytes) -> dict[str, Any]:
    """ConversionMetadata as a dict ({"environment": {...}, "options": {...}})."""
    return _nested(data, load_schema("conversion_metadata.fbs"), "CONVERSION_METADATA")


def decode_tflite_metadata(data: memoryview | bytes) -> dict[str, Any]:
    """The model-level fields of a TFLite Support ModelMetadata flatbuffer (see
    support_metadata.py for all of it). Raises ValueError naming the first problem."""
    return decode_support_metadata(data).brief()


def read_metadata(
    index: int, name: str | None, buffer: int, buffers: Sequence[Buffer]
) -> MetadataEntry:
    """Decodes one metadata entry; never raises."""
    if not 0 <= buffer < len(buffers):
        return MetadataEntry(
            index,
            name,
            buffer,
            0,
            "missing",
            error=f"buffer {buffer} is out of range ({len(buffers)} buffers)",
        )
    buf = buffers[buffer]
    try:
        view = buf.bytes_view()
    except ModelError as err:
        return MetadataEntry(index, name, buffer, buf.size, "missing", error=err.message)
    size = len(view)
    if name not in _KNOWN:
        return MetadataEntry(index, name, buffer, size, "bytes", _preview(view, size))
    data = bytes(view)
    try:
        if name == "min_runtime_version":
            text = data.split(b"\0", 1)[0].decode("utf-8", errors="replace")
            return MetadataEntry(index, name, buffer, len(data), "version", text)
        if name == "CONVERSION_METADATA":
            return MetadataEntry(
                index, name, buffer, len(data), "conversion", decode_conversion_metadata(data)
            )
        if name == "TFLITE_METADATA":
            support = decode_support_metadata(data)
            return MetadataEntry(
                index, name, buffer, len(data), "tflite_metadata", support.brief(), detail=support
            )
        if name == "buffer_location":
            text = data.split(b"\0", 1)[0].decode("utf-8", errors="replace")
            return MetadataEntry(index, name, buffer, len(data), "string", text)
    except (ValueError, FlatBufError) as err:
        return MetadataEntry(index, name, buffer, size, "bytes", _preview(view, size), str(err))
    return MetadataEntry(index, name, buffer, size, "bytes", _preview(view, size))
