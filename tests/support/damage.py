"""Damaged TFLite inputs made by code from valid seeds, each with the diagnosis we expect.

Every case names the first structural error our verifier must report: its stable code and the
byte range [start, end). Positions are found with our own reader on the valid seed, so the cases
follow the seed's real layout instead of hand-counted offsets.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from support.tflite_builder import Ref, Writer, add_model
from tflite_inspect.flatbuf import ByteSource, Table, load_schema, root


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    code: str | None  # None: structurally valid (only warnings, or semantic problems)
    start: int = 0
    end: int = 0
    path: str | None = None  # the field path, where the error has one


def _patch(data: bytes, pos: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, pos, value)
    return bytes(out)


def _model(data: bytes) -> Table:
    return root(ByteSource(data), load_schema())


def _offset_field(table: Table, name: str) -> tuple[int, int]:
    """(position of the uoffset, absolute target) of a present offset field."""
    pos = table.field_pos(name)
    assert pos is not None, name
    return pos, pos + struct.unpack_from("<I", table.src.view, pos)[0]


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model.tflite", b"not really")
    return buf.getvalue()


def cases_for(seed: bytes, label: str) -> list[Case]:
    """The structural cases built on one seed model."""
    m = _model(seed)
    size = len(seed)
    out: list[Case] = []

    def add(
        name: str,
        data: bytes,
        code: str | None,
        start: int = 0,
        end: int = 0,
        path: str | None = None,
    ) -> None:
        out.append(Case(f"{label}:{name}", data, code, start, end, path))

    root_pos = m.pos
    add("wrong_identifier", seed[:4] + b"TFL2" + seed[8:], "BAD_IDENTIFIER", 4, 8)
    add("zero_identifier", seed[:4] + bytes(4) + seed[8:], "BAD_IDENTIFIER", 4, 8)
    add("size_prefixed", struct.pack("<I", size) + seed, "NOT_TFLITE", 0, 8)
    add("root_offset_zero", _patch(seed, 0, "I", 0), "BAD_OFFSET", 0, 4, "root")
    add("root_offset_negative", _patch(seed, 0, "I", 0xFFFFFFFF), "BAD_OFFSET", 0, 4, "root")
    add(
        "root_offset_past_end", _patch(seed, 0, "I", size + 64), "OFFSET_OUT_OF_RANGE", 0, 4, "root"
    )
    add(
        "root_offset_misaligned",
        _patch(seed, 0, "I", root_pos + 2),
        "MISALIGNED",
        root_pos + 2,
        root_pos + 6,
        "",
    )
    add("root_into_identifier", _patch(seed, 0, "I", 4), "VTABLE_OUT_OF_RANGE", 4, 8, "")
    add(
        "vtable_before_start",
        _patch(seed, root_pos, "i", root_pos + 8),
        "VTABLE_OUT_OF_RANGE",
        root_pos,
        root_pos + 4,
        "",
    )
    add(
        "vtable_past_end",
        _patch(seed, root_pos, "i", -(size + 16)),
        "VTABLE_OUT_OF_RANGE",
        root_pos,
        root_pos + 4,
        "",
    )
    add(
        "vtable_odd_size",
        _patch(seed, m.vtable, "H", m.vsize + 1),
        "VTABLE_BAD_SIZE",
        m.vtable,
        m.vtable + 2,
        "",
    )
    add(
        "vtable_size_huge",
        _patch(seed, m.vtable, "H", 0xFFFE),
        "VTABLE_OUT_OF_RANGE",
        m.vtable,
        m.vtable + 2,
        "",
    )
    version_slot = m.vtable + m.field_def("version").voffset
    add(
        "scalar_field_past_end",
        _patch(seed, version_slot, "H", 0xFFF0),
        "OUT_OF_RANGE",
        root_pos + 0xFFF0,
        root_pos + 0xFFF4,
        "version",
    )
    add(
        "scalar_field_misaligned",
        _patch(seed, version_slot, "H", struct.unpack_from("<H", seed, version_slot)[0] + 1),
        "MISALIGNED",
        root_pos + struct.unpack_from("<H", seed, version_slot)[0] + 1,
        root_pos + struct.unpack_from("<H", seed, version_slot)[0] + 5,
        "version",
    )

    sg_at, sg_vec = _offset_field(m, "subgraphs")
    add(
        "subgraphs_offset_zero",
        _patch(seed, sg_at, "I", 0),
        "BAD_OFFSET",
        sg_at,
        sg_at + 4,
        "subgraphs",
    )
    add(
        "subgraphs_offset_wraps",
        _patch(seed, sg_at, "I", 0xFFFFFFF0),
        "BAD_OFFSET",
        sg_at,
        sg_at + 4,
        "subgraphs",
    )
    add(
        "subgraphs_offset_past_end",
        _patch(seed, sg_at, "I", size),
        "OFFSET_OUT_OF_RANGE",
        sg_at,
        sg_at + 4,
        "subgraphs",
    )
    add(
        "subgraphs_length_huge",
        _patch(seed, sg_vec, "I", 0xFFFFFFFF),
        "VECTOR_TOO_LONG",
        sg_vec,
        sg_vec + 4,
        "subgraphs",
    )
    add(
        "subgraphs_length_wraps_2_32",
        _patch(seed, sg_vec, "I", 0x40000001),
        "VECTOR_TOO_LONG",
        sg_vec,
        sg_vec + 4,
        "subgraphs",
    )
    add(
        "subgraphs_length_past_end",
        _patch(seed, sg_vec, "I", size // 4),
        "VECTOR_OUT_OF_RANGE",
        sg_vec,
        sg_vec + 4,
        "subgraphs",
    )
    elem0 = sg_vec + 4
    add(
        "subgraph_element_past_end",
        _patch(seed, elem0, "I", size),
        "OUT_OF_RANGE",
        elem0 + size,
        elem0 + size + 4,
        "subgraphs[0]",
    )

    subgraph = m.get("subgraphs")[0]
    tensors = subgraph.get("tensors")
    t_vec = tensors.pos
    add(
        "tensors_length_past_end",
        _patch(seed, t_vec, "I", (size - t_vec) // 4),
        "VECTOR_OUT_OF_RANGE",
        t_vec,
        t_vec + 4,
        "subgraphs[0].tensors",
    )
    tensor0 = tensors[0]
    name_at, name_pos = _offset_field(tensor0, "name")
    name_len = struct.unpack_from("<I", seed, name_pos)[0]
    add(
        "tensor_name_length_past_end",
        _patch(seed, name_pos, "I", size),
        "STRING_OUT_OF_RANGE",
        name_pos,
        name_pos + 4,
        "subgraphs[0].tensors[0].name",
    )
    add(
        "tensor_name_missing_nul",
        _patch(seed, name_pos + 4 + name_len, "B", 0x41),
        "STRING_NO_NUL",
        name_pos + 4 + name_len,
        name_pos + 5 + name_len,
        "subgraphs[0].tensors[0].name",
    )
    add(
        "tensor_table_misaligned",
        _patch(seed, tensors.pos + 4, "I", struct.unpack_from("<I", seed, tensors.pos + 4)[0] + 1),
        "MISALIGNED",
        tensor0.pos + 1,
        tensor0.pos + 5,
        "subgraphs[0].tensors[0]",
    )
    shape_at, shape_vec = _offset_field(tensor0, "shape")
    add(
        "shape_length_huge",
        _patch(seed, shape_vec, "I", 0x7FFFFFFF),
        "VECTOR_TOO_LONG",
        shape_vec,
        shape_vec + 4,
        "subgraphs[0].tensors[0].shape",
    )

    desc_at, desc_pos = _offset_field(m, "description")
    add(
        "description_offset_misaligned",
        _patch(seed, desc_at, "I", desc_pos - desc_at + 1),
        "MISALIGNED",
        desc_pos + 1,
        desc_pos + 5,
        "description",
    )

    buffers = m.get("buffers")
    data_buffers = [b for b in buffers if b.has("data")]
    if data_buffers:
        buf = data_buffers[-1]
        d_at, d_vec = _offset_field(buf, "data")
        add(
            "buffer_data_length_past_end",
            _patch(seed, d_vec, "I", size),
            "VECTOR_OUT_OF_RANGE",
            d_vec,
            d_vec + 4,
            buf.path + ".data",
        )

    # Truncations at structural boundaries.
    add("truncated_to_11_bytes", seed[:11], "FILE_TOO_SHORT", 0, 11)
    if m.vtable + 2 >= 12:  # the converter puts the root vtable first: that cut is too short
        add(
            "truncated_in_root_vtable",
            seed[: m.vtable + 2],
            "VTABLE_OUT_OF_RANGE",
            m.vtable,
            m.vtable + 2,
            "",
        )

    # An unknown union type is accepted by the C++ verifier: a warning, never dereferenced.
    ops = subgraph.get("operators")
    if len(ops):
        op = ops[0]
        type_pos = op.field_pos("builtin_options_type")
        if type_pos is not None:
            add("unknown_builtin_options_type", _patch(seed, type_pos, "B", 250), None)
    return out


def not_tflite_cases() -> list[Case]:
    lfs = (
        b"version https://git-lfs.github.com/spec/v1\n"
        b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        b"size 1234567\n"
    )
    return [
        Case("empty_file", b"", "FILE_TOO_SHORT", 0, 0),
        Case("seven_bytes", b"TFL3TFL", "FILE_TOO_SHORT", 0, 7),
        Case("zip_archive", _zip_bytes(), "NOT_TFLITE", 0, 8),
        Case("gzip_file", gzip.compress(b"model bytes" * 10, mtime=0), "NOT_TFLITE", 0, 8),
        Case(
            "html_page",
            b"<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n",
            "NOT_TFLITE",
            0,
            8,
        ),
        Case(
            "json_document",
            b'{"format": "layers-model", "modelTopology": {}}\n',
            "NOT_TFLITE",
            0,
            8,
        ),
        Case("git_lfs_pointer", lfs, "NOT_TFLITE", 0, 8),
        Case(
            "random_text",
            b"this is just some text, nothing like a model at all\n",
            "BAD_IDENTIFIER",
            4,
            8,
        ),
    ]


def dag_bomb(entries: int = 1 << 20) -> Case:
    """A subgraph whose operators vector holds `entries` offsets to one Operator table."""
    w = Writer()
    model = add_model()
    op = w.table("Operator", model["subgraphs"][0]["operators"][0])
    ops = w.b
    ops.StartVector(4, entries, 4)
    for _ in range(entries):
        ops.PrependUOffsetTRelative(op)
    vec = ops.EndVector()
    subgraph = dict(model["subgraphs"][0], operators=Ref(vec))
    sg = w.table("SubGraph", subgraph)
    w.b.StartVector(4, 1, 4)
    w.b.PrependUOffsetTRelative(sg)
    sgs = w.b.EndVector()
    data = w.finish(w.table("Model", dict(model, subgraphs=Ref(sgs))))
    vec_pos = _model(data).get("subgraphs")[0].get("operators").pos
    return Case("dag_bomb", data, "TABLE_LIMIT", vec_pos, vec_pos + 4, "subgraphs[0].operators")


Builder = Callable[[], list[Case]]
