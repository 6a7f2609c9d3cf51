"""Writes FlatBuffers from nested Python values using our compiled schema (tests only).

Tables are dicts of field name -> value; vectors are lists (or bytes for [ubyte]); unions are
(member name, dict) pairs; `Ref(offset)` re-uses an already written table or vector, so tests can
build shared tables (a DAG bomb) and damaged layouts without hand-counting bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import flatbuffers
from flatbuffers import number_types as N

from tflite_inspect.flatbuf import Schema, load_schema
from tflite_inspect.flatbuf.schema import FieldType

_FLAGS = {
    "bool": N.BoolFlags,
    "byte": N.Int8Flags,
    "ubyte": N.Uint8Flags,
    "short": N.Int16Flags,
    "ushort": N.Uint16Flags,
    "int": N.Int32Flags,
    "uint": N.Uint32Flags,
    "long": N.Int64Flags,
    "ulong": N.Uint64Flags,
    "float": N.Float32Flags,
    "double": N.Float64Flags,
}


@dataclass(frozen=True)
class Ref:
    """An offset returned by `Writer.table` / `Writer.vector`, to write it once and point twice."""

    offset: int


class Writer:
    def __init__(self, schema: Schema | None = None) -> None:
        self.schema = schema or load_schema()
        self.b = flatbuffers.Builder(1024)

    def table(self, name: str, values: dict[str, Any]) -> int:
        tdef = self.schema.tables[name]
        offsets: dict[str, int] = {}
        for key, value in values.items():
            ft = tdef.by_name[key].type
            if ft.kind == "string":
                offsets[key] = self.b.CreateString(value)
            elif ft.kind == "table":
                assert ft.ref is not None
                offsets[key] = value.offset if isinstance(value, Ref) else self.table(ft.ref, value)
            elif ft.kind == "union":
                assert ft.ref is not None
                member, inner = value
                table_name = self.schema.unions[ft.ref].member_types[member]
                offsets[key] = (
                    inner.offset if isinstance(inner, Ref) else self.table(table_name, inner)
                )
            elif ft.kind == "vector":
                assert ft.element is not None
                offsets[key] = (
                    value.offset
                    if isinstance(value, Ref)
                    else self.vector(ft.element, value, tdef.by_name[key].attributes)
                )
        b = self.b
        b.StartObject(len(tdef.fields))
        for key, value in values.items():
            field = tdef.by_name[key]
            ft = field.type
            if key in offsets:
                b.PrependUOffsetTRelativeSlot(field.slot, offsets[key], 0)
                if ft.kind == "union":
                    assert ft.ref is not None
                    member = value[0]
                    type_field = tdef.by_name[key + "_type"]
                    b.PrependSlot(
                        N.Uint8Flags,
                        type_field.slot,
                        self.schema.unions[ft.ref].values[member],
                        None,
                    )
            elif ft.kind in ("scalar", "union_type"):
                assert ft.scalar is not None
                b.PrependSlot(_FLAGS[ft.scalar], field.slot, value, None)
        return int(b.EndObject())

    def vector(self, element: FieldType, items: Any, attrs: dict[str, str] | None = None) -> int:
        b = self.b
        if element.kind == "scalar":
            if isinstance(items, (bytes, bytearray)):
                align = int((attrs or {}).get("force_align", 1))
                b.StartVector(1, len(items), align)
                b.head = b.head - len(items)
                b.Bytes[b.head : b.head + len(items)] = items
                return int(b.EndVector())
            assert element.scalar is not None
            size = element.size
            b.StartVector(size, len(items), size)
            for item in reversed(items):
                b.Prepend(_FLAGS[element.scalar], item)
            return int(b.EndVector())
        if element.kind == "string":
            offsets = [b.CreateString(s) for s in items]
        else:
            assert element.ref is not None
            offsets = [
                item.offset if isinstance(item, Ref) else self.table(element.ref, item)
                for item in items
            ]
        b.StartVector(4, len(offsets), 4)
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return int(b.EndVector())

    def finish(self, root_offset: int, identifier: bytes = b"TFL3") -> bytes:
        self.b.Finish(root_offset, identifier)
        return bytes(self.b.Output())


def tensor(
    name: str, shape: list[int], type_: int = 0, buffer: int = 0, **extra: Any
) -> dict[str, Any]:
    return {"name": name, "shape": shape, "type": type_, "buffer": buffer, **extra}


def add_model(*, const: bytes = bytes(16), operators: int = 1) -> dict[str, Any]:
    """A minimal valid model: out = in + const (float32 [1, 4]), `operators` chained ADDs."""
    tensors = [tensor("input", [1, 4]), tensor("const", [1, 4], buffer=1)]
    ops = []
    prev = 0
    for i in range(operators):
        tensors.append(tensor(f"add{i}", [1, 4]))
        ops.append(
            {
                "opcode_index": 0,
                "inputs": [prev, 1],
                "outputs": [len(tensors) - 1],
                "builtin_options": ("AddOptions", {"fused_activation_function": 0}),
            }
        )
        prev = len(tensors) - 1
    return {
        "version": 3,
        "operator_codes": [{"deprecated_builtin_code": 0, "builtin_code": 0, "version": 1}],
        "subgraphs": [
            {
                "tensors": tensors,
                "inputs": [0],
                "outputs": [prev],
                "operators": ops,
                "name": "main",
            }
        ],
        "description": "test model",
        "buffers": [{}, {"data": const}],
    }


def write_model(model: dict[str, Any]) -> bytes:
    w = Writer()
    return w.finish(w.table("Model", model))


def string_buffer(*items: bytes) -> bytes:
    """TFLite's string tensor layout: count, count+1 offsets from the buffer start, the bytes."""
    header = 4 * (len(items) + 2)
    offsets = [header]
    for s in items:
        offsets.append(offsets[-1] + len(s))
    return struct.pack(f"<{len(items) + 2}i", len(items), *offsets) + b"".join(items)


def weighted_op_model(
    code: int,
    options: tuple[str, dict[str, Any]],
    tensors: list[dict[str, Any]],
    weights: bytes,
    bias: bytes,
    description: str = "",
) -> dict[str, Any]:
    """One op of builtin `code` with these options on `tensors` = [input, weights (buffer 1),
    bias (buffer 2), output]: out = op(in, weights, bias)."""
    model: dict[str, Any] = {
        "version": 3,
        "operator_codes": [{"deprecated_builtin_code": code, "builtin_code": code, "version": 1}],
        "subgraphs": [
            {
                "tensors": tensors,
                "inputs": [0],
                "outputs": [3],
                "operators": [
                    {
                        "opcode_index": 0,
                        "inputs": [0, 1, 2],
                        "outputs": [3],
                        "builtin_options": options,
                    }
                ],
                "name": "main",
            }
        ],
        "buffers": [{}, {"data": weights}, {"data": bias}],
    }
    if description:
        model["description"] = description
    return model


def placeholder_conv_model() -> dict[str, Any]:
    """A 3x3 VALID float CONV_2D (ones, bias 0) on an image of dynamic height and width: stored
    [1, 1, 1, 1] (a placeholder, as converters write one; too small for the kernel, so LiteRT
    cannot prepare it there), signature [1, -1, -1, 1]. At [1, 5, 5, 1] of ones it gives nine 9s."""
    return weighted_op_model(
        3,  # CONV_2D
        ("Conv2DOptions", {"padding": 1, "stride_w": 1, "stride_h": 1}),  # VALID
        [
            tensor("image", [1, 1, 1, 1], shape_signature=[1, -1, -1, 1]),
            tensor("filter", [1, 3, 3, 1], buffer=1),
            tensor("bias", [1], buffer=2),
            tensor("out", [1, 1, 1, 1], shape_signature=[1, -1, -1, 1]),
        ],
        struct.pack("<9f", *([1.0] * 9)),
        struct.pack("<f", 0.0),
    )
