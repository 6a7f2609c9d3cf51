"""Region-aware mutations (Hypothesis): interesting values written over the structural fields of
a real model — table soffsets, vtable slots, uoffsets, vector lengths — then everything the tool
does with a model is run on the result. Only our own error types may escape."""

from __future__ import annotations

import struct
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tflite_inspect.analysis.report import ops_report, summary_report, tensors_report
from tflite_inspect.flatbuf import ByteSource, FlatBufError, Table, Vector, load_schema, root
from tflite_inspect.model import ModelError, check_model, open_model, size_report

SEED = (Path(__file__).resolve().parents[2] / "fixtures" / "cnn.int8-io.tflite").read_bytes()


def structural_regions(data: bytes) -> list[tuple[int, int]]:
    """(position, width) of every soffset, vtable slot, uoffset and vector length in `data`."""
    regions: list[tuple[int, int]] = [(0, 4)]
    stack: list[Table] = [root(ByteSource(data), load_schema())]
    seen: set[int] = set()
    while stack:
        t = stack.pop()
        if t.pos in seen:
            continue
        seen.add(t.pos)
        regions.append((t.pos, 4))
        regions += [(t.vtable + i, 2) for i in range(0, t.vsize, 2)]
        for field in t.tdef.fields:
            if field.deprecated or field.type.kind in ("scalar", "union_type", "struct"):
                continue
            pos = t.field_pos(field.name)
            if pos is None:
                continue
            regions.append((pos, 4))
            value = t.get(field.name)
            if isinstance(value, Table):
                stack.append(value)
            elif isinstance(value, Vector):
                regions.append((value.pos, 4))
                if value.element.kind == "table":
                    stack.extend(value[i] for i in range(len(value)))
    return sorted(set(regions))


REGIONS = structural_regions(SEED)
INTERESTING = [
    0,
    1,
    2,
    3,
    4,
    0x7F,
    0x80,
    0xFF,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFF,
    len(SEED),
    len(SEED) - 4,
    len(SEED) + 4,
    0x10000,
]


def exercise(data: bytes) -> None:
    """Everything the headless commands do with a model, in tolerant mode."""
    try:
        model = open_model(data, tolerant=True)
    except (ModelError, FlatBufError):
        return
    with model:
        summary_report(model)
        ops_report(model)
        tensors_report(model)
        check_model(model)
        size_report(model)


@settings(
    max_examples=1000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.data())
def test_structural_mutations_never_escape(data: st.DataObject) -> None:
    buf = bytearray(SEED)
    for _ in range(data.draw(st.integers(1, 3))):
        pos, width = data.draw(st.sampled_from(REGIONS))
        value = data.draw(st.sampled_from(INTERESTING)) & ((1 << (8 * width)) - 1)
        struct.pack_into("<I" if width == 4 else "<H", buf, pos, value)
    exercise(bytes(buf))


def test_regions_cover_the_structure() -> None:
    assert len(REGIONS) > 200
