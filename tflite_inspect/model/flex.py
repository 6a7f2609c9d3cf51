"""Custom options: FlexBuffers, Flex ops' TensorFlow NodeDef, and a small protobuf wire decoder.

A Flex op (custom code "Flex<TFOp>") stores a FlexBuffer vector `[op_name, NodeDef bytes]`; other
custom ops with FLEXBUFFERS options store a map of attributes. Everything here reads untrusted
bytes: FlexBuffers are walked with a depth limit and a node budget (a damaged buffer can make the
`flatbuffers.flexbuffers` accessors loop over shared children exponentially), protobuf lengths
are checked against the remaining bytes before slicing, and every failure is returned as an
error string, never raised.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AttrValue",
    "CustomOptions",
    "NodeDef",
    "TF_DTYPES",
    "decode_custom_options",
    "decode_flexbuffer",
    "parse_node_def",
]

MAX_DEPTH = 64
MAX_NODES = 20_000  # values decoded one by one (typed vectors count 1 per 64 elements)

# tensorflow/core/framework/types.proto
TF_DTYPES: dict[int, str] = {
    0: "DT_INVALID",
    1: "DT_FLOAT",
    2: "DT_DOUBLE",
    3: "DT_INT32",
    4: "DT_UINT8",
    5: "DT_INT16",
    6: "DT_INT8",
    7: "DT_STRING",
    8: "DT_COMPLEX64",
    9: "DT_INT64",
    10: "DT_BOOL",
    11: "DT_QINT8",
    12: "DT_QUINT8",
    13: "DT_QINT32",
    14: "DT_BFLOAT16",
    15: "DT_QINT16",
    16: "DT_QUINT16",
    17: "DT_UINT16",
    18: "DT_COMPLEX128",
    19: "DT_HALF",
    20: "DT_RESOURCE",
    21: "DT_VARIANT",
    22: "DT_UINT32",
    23: "DT_UINT64",
    24: "DT_FLOAT8_E5M2",
    25: "DT_FLOAT8_E4M3FN",
    26: "DT_FLOAT8_E4M3FNUZ",
    27: "DT_FLOAT8_E4M3B11FNUZ",
    28: "DT_FLOAT8_E5M2FNUZ",
    29: "DT_INT4",
    30: "DT_UINT4",
    31: "DT_INT2",
    32: "DT_UINT2",
}


def _tf_dtype(value: int) -> str:
    if value > 100 and value - 100 in TF_DTYPES:
        return TF_DTYPES[value - 100] + "_REF"
    return TF_DTYPES.get(value, f"DT_UNKNOWN_{value}")


class _Budget(Exception):
    pass


# -- FlexBuffers ---------------------------------------------------------------------------------


def decode_flexbuffer(data: bytes) -> Any:
    """The Python value of a FlexBuffer (dict, list, str, bytes, int, float, bool, None).

    Raises ValueError with a short reason when the buffer is damaged or too deep/large."""
    if len(data) < 3:
        raise ValueError(f"a FlexBuffer needs at least 3 bytes, got {len(data)}")
    width = data[-1]
    if width not in (1, 2, 4, 8):
        raise ValueError(f"root byte width {width} is not 1, 2, 4 or 8")
    counter = [0, len(data)]  # values decoded so far, buffer size
    try:
        from flatbuffers import flexbuffers  # imports numpy: only when a FlexBuffer is read

        return _flex_value(flexbuffers.GetRoot(data), 0, counter)
    except _Budget as err:
        raise ValueError(str(err)) from None
    except RecursionError:
        raise ValueError("FlexBuffer nests too deeply") from None
    except Exception as err:  # noqa: BLE001 - any failure of a damaged buffer is data
        raise ValueError(f"damaged FlexBuffer ({type(err).__name__}: {err})") from None


def _flex_value(ref: Any, depth: int, counter: list[int]) -> Any:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise _Budget(f"FlexBuffer has more than {MAX_NODES} values (a shared-child bomb?)")
    if depth > MAX_DEPTH:
        raise _Budget(f"FlexBuffer nests deeper than {MAX_DEPTH}")
    if ref.IsMap:
        fmap = ref.AsMap
        keys = fmap.Keys
        values = fmap.Values
        n = len(fmap)
        if n > MAX_NODES:
            raise _Budget(f"FlexBuffer map claims {n} entries")
        out: dict[str, Any] = {}
        for i in range(n):
            key = keys[i].AsKey
            out[key] = _flex_value(values[i], depth + 1, counter)
        return out
    if ref.IsVector:
        vec = ref.AsVector
        n = len(vec)
        if n > MAX_NODES:
            raise _Budget(f"FlexBuffer vector claims {n} elements")
        return [_flex_value(vec[i], depth + 1, counter) for i in range(n)]
    if ref.IsTypedVector or ref.IsFixedTypedVector:
        vec = ref.AsTypedVector if ref.IsTypedVector else ref.AsFixedTypedVector
        n = len(vec)
        if n > counter[1]:  # each element takes at least one byte
            raise _Budget(f"FlexBuffer typed vector claims {n} elements in {counter[1]} bytes")
        counter[0] += n // 64  # unpacked in one call: cheap per element
        value = vec.Value
        if len(value) != n:
            raise ValueError("typed vector runs past the end of the buffer")
        return value
    if ref.IsBlob:
        return bytes(ref.AsBlob)
    if ref.IsString:
        raw = bytes(ref.AsStringBytes)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw  # binary payloads (a Flex op's NodeDef) are stored as strings
    value = ref.Value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


# -- protobuf wire format -------------------------------------------------------------------------


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ValueError("varint longer than 10 bytes")


def _fields(buf: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) of every field; LEN values are bytes, others ints."""
    out = []
    pos = 0
    n = len(buf)
    while pos < n:
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise ValueError("field number 0")
        value: int | bytes
        if wt == 0:
            value, pos = _varint(buf, pos)
        elif wt == 1:
            if n - pos < 8:
                raise ValueError("truncated fixed64")
            value = buf[pos : pos + 8]
            pos += 8
        elif wt == 2:
            length, pos = _varint(buf, pos)
            if length > n - pos:
                raise ValueError(f"length {length} runs past the end ({n - pos} bytes left)")
            value = buf[pos : pos + length]
            pos += length
        elif wt == 5:
            if n - pos < 4:
                raise ValueError("truncated fixed32")
            value = buf[pos : pos + 4]
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wt}")
        out.append((num, wt, value))
    return out


def _signed64(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def _packed_or_single(wt: int, value: Any, kind: str) -> list[Any]:
    """Repeated scalar field values: packed (LEN) or one unpacked element."""
    if kind == "f":
        if wt == 5:
            return [struct.unpack("<f", value)[0]]
        if wt == 2:
            if len(value) % 4:
                raise ValueError("packed floats not a multiple of 4 bytes")
            return list(struct.unpack(f"<{len(value) // 4}f", value))
        raise ValueError("float with wrong wire type")
    if wt == 0:
        return [value]
    if wt == 2:
        vals = []
        pos = 0
        while pos < len(value):
            v, pos = _varint(value, pos)
            vals.append(v)
        return vals
    raise ValueError("varint field with wrong wire type")


def _text(value: Any) -> str:
    return bytes(value).decode("utf-8", errors="replace")


def _shape(buf: bytes) -> dict[str, Any]:
    dims: list[int] = []
    unknown_rank = False
    for num, wt, value in _fields(buf):
        if num == 2 and wt == 2:  # dim { size = 1; name = 2; }
            size = 0
            for dn, dwt, dv in _fields(value):
                if dn == 1 and dwt == 0:
                    size = _signed64(dv)
            dims.append(size)
        elif num == 3 and wt == 0:
            unknown_rank = bool(value)
    return {"unknown_rank": True} if unknown_rank else {"dims": dims}


@dataclass(frozen=True)
class AttrValue:
    """One NodeDef attribute: `kind` ("s", "i", "f", "b", "type", "shape", "tensor", "list",
    "func", "placeholder") and its plain value."""

    kind: str
    value: Any

    def __str__(self) -> str:
        return f"{self.kind}={self.value!r}"


def _attr(buf: bytes) -> AttrValue:
    for num, wt, value in _fields(buf):
        if num == 2 and wt == 2:
            raw = bytes(value)
            try:
                return AttrValue("s", raw.decode("utf-8"))
            except UnicodeDecodeError:
                return AttrValue("s", raw)
        if num == 3:
            return AttrValue("i", _signed64(_packed_or_single(wt, value, "i")[0]))
        if num == 4:
            return AttrValue("f", _packed_or_single(wt, value, "f")[0])
        if num == 5:
            return AttrValue("b", bool(_packed_or_single(wt, value, "i")[0]))
        if num == 6:
            return AttrValue("type", _tf_dtype(_packed_or_single(wt, value, "i")[0]))
        if num == 7 and wt == 2:
            return AttrValue("shape", _shape(value))
        if num == 8 and wt == 2:
            return AttrValue("tensor", f"<TensorProto, {len(value)} bytes>")
        if num == 1 and wt == 2:
            return AttrValue("list", _list(value))
        if num == 10 and wt == 2:
            name = ""
            for fn, fwt, fv in _fields(value):
                if fn == 1 and fwt == 2:
                    name = _text(fv)
            return AttrValue("func", name)
        if num == 9 and wt == 2:
            return AttrValue("placeholder", _text(value))
    return AttrValue("list", {})  # an empty AttrValue: TF writes this for an empty list


def _list(buf: bytes) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for num, wt, value in _fields(buf):
        if num == 2 and wt == 2:
            out.setdefault("s", []).append(_text(value))
        elif num == 3:
            out.setdefault("i", []).extend(_signed64(v) for v in _packed_or_single(wt, value, "i"))
        elif num == 4:
            out.setdefault("f", []).extend(_packed_or_single(wt, value, "f"))
        elif num == 5:
            out.setdefault("b", []).extend(bool(v) for v in _packed_or_single(wt, value, "i"))
        elif num == 6:
            out.setdefault("type", []).extend(
                _tf_dtype(v) for v in _packed_or_single(wt, value, "i")
            )
        elif num == 7 and wt == 2:
            out.setdefault("shape", []).append(_shape(value))
        elif num == 8 and wt == 2:
            out.setdefault("tensor", []).append(f"<TensorProto, {len(value)} bytes>")
    return out


@dataclass(frozen=True)
class NodeDef:
    """The parts of a tensorflow.NodeDef an inspector shows."""

    name: str
    op: str
    inputs: tuple[str, ...] = ()
    device: str = ""
    attrs: dict[str, AttrValue] = field(default_factory=dict)


def parse_node_def(data: bytes) -> NodeDef:
    """Decodes a serialized NodeDef (fields 1 name, 2 op, 3 input, 4 device, 5 attr map).

    Raises ValueError when the wire format is damaged."""
    name = op = device = ""
    inputs: list[str] = []
    attrs: dict[str, AttrValue] = {}
    for num, wt, value in _fields(bytes(data)):
        if wt != 2:
            continue
        if num == 1:
            name = _text(value)
        elif num == 2:
            op = _text(value)
        elif num == 3:
            inputs.append(_text(value))
        elif num == 4:
            device = _text(value)
        elif num == 5:  # map entry { key = 1; value = 2; }
            key = ""
            attr = AttrValue("list", {})
            for en, ewt, ev in _fields(value):
                if en == 1 and ewt == 2:
                    key = _text(ev)
                elif en == 2 and ewt == 2:
                    attr = _attr(ev)
            attrs[key] = attr
    return NodeDef(name, op, tuple(inputs), device, attrs)


# -- custom options ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomOptions:
    """Decoded custom options: `kind` is "flex" (with `tf_op` and `node_def`), "flexbuffer"
    (`value` is the decoded FlexBuffer, usually a dict of attributes), "raw" (not decodable as
    a FlexBuffer) or "empty"; `error` says why decoding stopped."""

    kind: str
    size: int
    value: Any = None
    tf_op: str | None = None
    node_def: NodeDef | None = None
    error: str | None = None


def decode_custom_options(data: bytes | None, *, is_flex: bool, fmt: int = 0) -> CustomOptions:
    """Decodes an operator's custom options; never raises."""
    if not data:
        return CustomOptions("empty", 0)
    size = len(data)
    if fmt != 0:
        return CustomOptions("raw", size, error=f"unknown custom_options_format {fmt}")
    try:
        value = decode_flexbuffer(bytes(data))
    except ValueError as err:
        return CustomOptions("raw", size, error=str(err))
    if not is_flex:
        return CustomOptions("flexbuffer", size, value)
    if (
        not isinstance(value, list)
        or len(value) < 2
        or not isinstance(value[0], str)
        or not isinstance(value[1], str | bytes)
    ):
        return CustomOptions(
            "flexbuffer", size, value, error="Flex options are not [op_name, NodeDef bytes]"
        )
    raw = value[1].encode("utf-8") if isinstance(value[1], str) else value[1]
    try:
        node = parse_node_def(raw)
    except ValueError as err:
        return CustomOptions("flex", size, value[0], tf_op=value[0], error=f"NodeDef: {err}")
    return CustomOptions("flex", size, value[0], tf_op=node.op or value[0], node_def=node)
