"""The FlatBuffers layer on a small generic schema: reads, the verifier's verdicts and limits."""

from __future__ import annotations

import struct

import flatbuffers
import pytest

from tflite_inspect.flatbuf import (
    ByteSource,
    FlatBufError,
    SchemaError,
    VerifyOptions,
    parse_schema,
    root,
    table_layout,
    verify,
)

SCHEMA = parse_schema(
    """
    namespace t;
    file_identifier "TEST";
    enum Color : byte { Red = 0, Green, Blue = 5 }
    table Leaf { v:int = 7; name:string; }
    union Any { Leaf }
    table Node {
      child:Node;
      leaves:[Leaf];
      data:[ubyte] (force_align: 16);
      names:[string];
      color:Color = Green;
      any:Any;
      x:long;
      old:string (deprecated);
    }
    root_type Node;
    """
)


def build(depth: int = 0, leaves: int = 3, shared: bool = True, name: str = "hello") -> bytes:
    """A Node with `leaves` Leaf tables (all one table when shared) and a chain of `depth` children."""
    b = flatbuffers.Builder(0)
    s = b.CreateString(name)

    def leaf() -> int:
        b.StartObject(2)
        b.PrependInt32Slot(0, 42, 7)
        b.PrependUOffsetTRelativeSlot(1, s, 0)
        return int(b.EndObject())

    one = leaf()
    items = [one] * leaves if shared else [leaf() for _ in range(leaves)]
    b.StartVector(4, len(items), 4)
    for item in reversed(items):
        b.PrependUOffsetTRelative(item)
    vec = b.EndVector()
    child = 0
    for _ in range(depth):
        b.StartObject(8)
        if child:
            b.PrependUOffsetTRelativeSlot(0, child, 0)
        child = b.EndObject()
    b.StartObject(8)
    if child:
        b.PrependUOffsetTRelativeSlot(0, child, 0)
    b.PrependUOffsetTRelativeSlot(1, vec, 0)
    b.PrependInt8Slot(4, 5, 1)
    b.PrependUint8Slot(5, 1, 0)
    b.PrependUOffsetTRelativeSlot(6, one, 0)
    b.PrependInt64Slot(7, -3, 0)
    top = b.EndObject()
    b.Finish(top, b"TEST")
    return bytes(b.Output())


def codes(data: bytes, **opts: object) -> list[str]:
    report = verify(ByteSource(data), SCHEMA, VerifyOptions(**opts))  # type: ignore[arg-type]
    return [d.code for d in report.errors]


def test_reads_every_kind_of_field() -> None:
    src = ByteSource(build())
    node = root(src, SCHEMA)
    assert node.get("color") == 5
    assert node.get("x") == -3
    assert node.get("child") is None
    assert node.get("names") is None
    leaves = node.get("leaves")
    assert [leaf.get("v") for leaf in leaves] == [42, 42, 42]
    assert leaves[1].get("name") == "hello"
    assert leaves[1].path == "leaves[1]"
    member, table, raw_type = node.union("any")
    assert (member, raw_type) == ("Leaf", 1)
    assert table is not None and table.get("name") == "hello"


def test_defaults_for_absent_fields() -> None:
    b = flatbuffers.Builder(0)
    b.StartObject(2)
    leaf = b.EndObject()
    b.Finish(leaf, b"TEST")
    schema = parse_schema(
        'file_identifier "TEST"; table Leaf { v:int = 7; name:string; } root_type Leaf;'
    )
    table = root(ByteSource(bytes(b.Output())), schema)
    assert table.get("v") == 7
    assert table.get("name") is None


def test_valid_buffer_verifies_and_counts_visits_like_cpp() -> None:
    report = verify(ByteSource(build(leaves=3)), SCHEMA)
    assert report.ok, report.diagnostics
    # root + 3 visits of one shared leaf + the union's visit of the same leaf
    assert report.tables_visited == 5
    assert report.unique_tables == 2


def test_depth_limit_is_enforced_without_recursion() -> None:
    # the root is at depth 1, so a chain of 63 children reaches the limit of 64 exactly
    assert codes(build(depth=63)) == []
    assert codes(build(depth=64)) == ["DEPTH_LIMIT"]
    assert codes(build(depth=300), max_depth=1000) == []  # no RecursionError either


def test_table_budget_rejects_a_dag_bomb_quickly() -> None:
    data = build(leaves=200_000, shared=True)
    assert codes(data) == []
    assert codes(data, max_tables=150_000) == ["TABLE_LIMIT"]


def test_shared_subtrees_are_counted_at_every_visit() -> None:
    data = build(depth=3, leaves=10, shared=True)
    report = verify(ByteSource(data), SCHEMA)
    assert report.ok
    # 1 root + 3 chained nodes, 10 vector entries + 1 union member, all the same leaf
    assert report.tables_visited == 4 + 11


def patch(data: bytes, pos: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, pos, value)
    return bytes(out)


def test_wrong_identifier_and_short_files() -> None:
    data = build()
    assert codes(data[:4] + b"NOPE" + data[8:]) == ["BAD_IDENTIFIER"]
    assert codes(b"") == ["FILE_TOO_SHORT"]
    assert codes(data[:11]) == ["FILE_TOO_SHORT"]
    assert codes(b"PK\x03\x04" + bytes(40)) == ["NOT_TFLITE"]


@pytest.mark.parametrize(
    ("root_offset", "code"),
    [
        (0, "BAD_OFFSET"),
        (0xFFFFFFFF, "BAD_OFFSET"),
        (0x7FFFFFF0, "OFFSET_OUT_OF_RANGE"),
        (6, "MISALIGNED"),
    ],
)
def test_bad_root_offsets(root_offset: int, code: str) -> None:
    assert codes(patch(build(), 0, "I", root_offset))[:1] == [code]


def test_vtable_errors() -> None:
    data = build()
    node = root(ByteSource(data), SCHEMA)
    assert codes(patch(data, node.pos, "i", node.pos + 100)) == ["VTABLE_OUT_OF_RANGE"]
    assert codes(patch(data, node.pos, "i", -0x10000)) == ["VTABLE_OUT_OF_RANGE"]
    assert codes(patch(data, node.vtable, "H", 7)) == ["VTABLE_BAD_SIZE"]
    assert codes(patch(data, node.vtable, "H", 0xFFFE)) == ["VTABLE_OUT_OF_RANGE"]


def test_vector_and_string_errors() -> None:
    data = build(leaves=1)
    node = root(ByteSource(data), SCHEMA)
    leaves = node.get("leaves")
    assert codes(patch(data, leaves.pos, "I", 0xFFFFFFFF)) == ["VECTOR_TOO_LONG"]
    assert codes(patch(data, leaves.pos, "I", 1000)) == ["VECTOR_OUT_OF_RANGE"]
    name_pos = leaves[0].field_pos("name")
    assert name_pos is not None
    string_pos = name_pos + struct.unpack_from("<I", data, name_pos)[0]
    no_nul = patch(data, string_pos + 4 + 5, "B", ord("!"))
    assert codes(no_nul) == ["STRING_NO_NUL"]
    with pytest.raises(FlatBufError) as err:
        root(ByteSource(patch(data, leaves.pos, "I", 1000)), SCHEMA).get("leaves")
    assert err.value.code == "VECTOR_OUT_OF_RANGE"
    assert err.value.path == "leaves"


def test_invalid_utf8_is_a_warning_only() -> None:
    data = build(name="abcde")
    data = data.replace(b"abcde", b"ab\xffde")
    report = verify(ByteSource(data), SCHEMA)
    assert report.ok
    assert [w.code for w in report.warnings] == ["BAD_UTF8"]
    assert root(ByteSource(data), SCHEMA).get("leaves")[0].get("name") == "ab\ufffdde"


def test_unknown_union_type_is_never_dereferenced() -> None:
    data = build()
    node = root(ByteSource(data), SCHEMA)
    type_pos = node.field_pos("any_type")
    assert type_pos is not None
    bad = patch(data, type_pos, "B", 9)
    report = verify(ByteSource(bad), SCHEMA)
    assert report.ok
    assert [w.code for w in report.warnings] == ["UNKNOWN_UNION_TYPE"]
    assert root(ByteSource(bad), SCHEMA).union("any") == (None, None, 9)


def test_negative_positions_are_rejected_by_the_choke_point() -> None:
    src = ByteSource(b"abcdefgh")
    with pytest.raises(FlatBufError) as err:
        src.u32(-4)
    assert err.value.code == "OUT_OF_RANGE"
    with pytest.raises(FlatBufError):
        src.slice(6, 4)
    with pytest.raises(FlatBufError):
        src.scalars("i", 4, 0, 2**40)


def test_tolerant_mode_collects_every_error() -> None:
    data = build(leaves=2, shared=False)
    node = root(ByteSource(data), SCHEMA)
    leaves = node.get("leaves")
    bad = patch(data, leaves[0].pos, "i", 0x100000)
    bad = patch(bad, leaves[1].pos, "i", 0x100000)
    tolerant = verify(ByteSource(bad), SCHEMA)
    assert [d.path for d in tolerant.errors] == ["leaves[0]", "leaves[1]"]
    strict = verify(ByteSource(bad), SCHEMA, tolerant=False)
    assert len(strict.errors) == 1


def test_raw_layout_shows_slots_offsets_and_values() -> None:
    node = root(ByteSource(build()), SCHEMA)
    layout = table_layout(node)
    assert layout.offset == node.pos and layout.vtable_offset == node.vtable
    by_name = {f.name: f for f in layout.fields}
    assert by_name["color"].value == "5 (Blue)"
    assert by_name["any_type"].value == "1 (Leaf)"
    assert by_name["leaves"].value.startswith("[Leaf] x3")
    assert by_name["child"].present is False
    assert by_name["old"].deprecated


@pytest.mark.parametrize(
    "text",
    [
        "table A { x:int }",  # missing ;
        "table A { x:Unknown; } root_type A;",
        "root_type Missing;",
        "enum E : string { A }",
    ],
)
def test_schema_errors_name_the_problem(text: str) -> None:
    with pytest.raises(SchemaError):
        parse_schema(text)
