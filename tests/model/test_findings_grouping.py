"""Findings a person can read: one group per code with its count and first locations, the
one-line diagnosis of a truncated file, nothing said twice, nothing derived from what cannot
be read."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from support.damage import cases_for
from tflite_inspect.check.report import CheckFinding
from tflite_inspect.flatbuf import Diagnostic
from tflite_inspect.model import open_model
from tflite_inspect.model.checks import check_model
from tflite_inspect.model.errors import Finding, Location
from tflite_inspect.model.grouping import UNALIGNED_NOTE, entry, group_findings, truncation

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
SEED = FIXTURES / "cnn.float32.tflite"


def _unaligned(i: int) -> Diagnostic:
    pos = 0x104 + 0x20 * i
    return Diagnostic(
        "UNALIGNED_DATA",
        f"data starts at {pos:#x}, not on a 16-byte boundary (schema force_align 16)",
        pos,
        pos + 16,
        f"buffers[{i}].data",
        "warning",
    )


def test_a_group_counts_its_findings_and_names_the_first_locations() -> None:
    error = Diagnostic(
        "OUT_OF_RANGE",
        "field version (4 bytes at 0x1010) runs outside the 100-byte buffer",
        0x1010,
        0x1014,
        "version",
    )
    groups = group_findings([_unaligned(3), _unaligned(1), error, _unaligned(7), _unaligned(9)])
    assert [(g.severity, g.code, g.count) for g in groups] == [
        ("error", "OUT_OF_RANGE", 1),
        ("warning", "UNALIGNED_DATA", 4),
    ]  # errors first
    unaligned = groups[1]
    assert unaligned.first() == ["buffers[3].data", "buffers[1].data", "buffers[7].data"]
    assert unaligned.line() == (
        "UNALIGNED_DATA ×4: 4 buffers are not 16-byte aligned (schema force_align 16); "
        f"{UNALIGNED_NOTE}; first at buffers[3].data, buffers[1].data, buffers[7].data"
    )
    # a lone finding keeps its whole single-line form: byte range, path and message
    assert groups[0].line() == entry(error).line()
    assert "bytes 0x1010..0x1014  version: field version" in groups[0].line()
    # every instance is kept, in order
    assert [e.item for e in unaligned.entries] == [_unaligned(i) for i in (3, 1, 7, 9)]
    assert unaligned.to_dict() == {
        "severity": "warning",
        "code": "UNALIGNED_DATA",
        "count": 4,
        "summary": unaligned.summary,
        "first": unaligned.first(),
    }


def test_one_unaligned_buffer_is_said_in_the_singular_with_its_location() -> None:
    (group,) = group_findings([_unaligned(5)])
    assert group.line().startswith("UNALIGNED_DATA: 1 buffer is not 16-byte aligned")
    assert group.line().endswith("; at buffers[5].data")


def test_what_litert_does_with_unaligned_buffers_is_said_once_and_honestly() -> None:
    # interpreter_builder.cc ParseTensors passes buffer->data() to SetTensorParametersReadOnly
    # without an alignment check; XNNPACK packs static weights into its own buffers.
    assert "in place" in UNALIGNED_NOTE and "no alignment check" in UNALIGNED_NOTE
    assert "harmless for CPU" in UNALIGNED_NOTE


def test_different_messages_of_one_code_say_how_many_more_and_which_ops() -> None:
    found = [
        CheckFinding(
            "float_op", "error", f"{name} computes in float (float32)", "guide", 0, i, name
        )
        for i, name in enumerate(["CONV_2D", "CONV_2D", "SOFTMAX", "CONV_2D", "ADD"])
    ]
    (group,) = group_findings(found)
    assert group.label == "float_op ×5"
    assert group.summary == (
        "CONV_2D computes in float (float32); and 4 more (CONV_2D ×3, SOFTMAX, ADD)"
    )
    assert group.first() == ["op 0", "op 1", "op 2"]


def test_semantic_findings_group_by_code_with_their_paths() -> None:
    found = [
        Finding(
            "error",
            "INPUT_NOT_PRODUCED",
            f"op {i} input 0 is tensor {i}, which ...",
            Location(
                subgraph=0, operator=i, tensor=i, path=f"subgraphs[0].operators[{i}].inputs[0]"
            ),
        )
        for i in range(5)
    ]
    (group,) = group_findings(found)
    assert group.count == 5 and group.first(2) == [
        "subgraphs[0].operators[0].inputs[0]",
        "subgraphs[0].operators[1].inputs[0]",
    ]
    assert group.summary.startswith("op 0 input 0 is tensor 0") and "and 4 more" in group.summary


def test_a_fixture_converter_output_is_one_group_that_keeps_every_buffer() -> None:
    with open_model(FIXTURES / "cnn.int8-io.tflite") as model:
        diagnostics = model.structural.diagnostics
        (group,) = group_findings(diagnostics)
    assert group.code == "UNALIGNED_DATA" and group.count == len(diagnostics) > 1
    assert "data data" not in diagnostics[0].message
    assert diagnostics[0].message.startswith("data starts at ")


# -- truncation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.8, 0.95])
@pytest.mark.parametrize("name", ["cnn.float32", "lstm", "control_flow"])
def test_a_truncated_file_says_where_it_ends_and_what_it_needs(name: str, fraction: float) -> None:
    data = (FIXTURES / f"{name}.tflite").read_bytes()
    cut = data[: int(len(data) * fraction) & ~3]
    with open_model(cut, tolerant=True) as model:
        found = truncation(model.structural, model.source.view)
    assert found is not None and found.file_size == len(cut)
    # every reference was valid in the whole file: what they need lies inside it
    assert len(cut) < found.needed <= len(data)
    assert found.line().startswith(
        f"file ends at byte {len(cut)}; the flatbuffer needs at least {found.needed}"
    )


def test_an_intact_file_and_one_wild_offset_are_not_called_truncated() -> None:
    seed = SEED.read_bytes()
    with open_model(seed) as model:
        assert truncation(model.structural, model.source.view) is None
    case = next(c for c in cases_for(seed, "cnn") if c.name == "cnn:subgraphs_offset_past_end")
    with open_model(case.data, tolerant=True) as model:
        assert not model.structural.ok
        assert truncation(model.structural, model.source.view) is None


# -- nothing twice, nothing derived from what cannot be read ------------------------------------


def _cuts() -> list[bytes]:
    out = []
    for name in ("cnn.float32", "lstm", "control_flow", "signatures"):
        data = (FIXTURES / f"{name}.tflite").read_bytes()
        out += [data[: int(len(data) * f) & ~3] for f in (0.05, 0.2, 0.5, 0.7, 0.9, 0.98)]
    return out


def _touch(a: str, b: str) -> bool:
    return a == b or b.startswith((a + ".", a + "[")) or a.startswith((b + ".", b + "["))


@pytest.mark.parametrize("data", _cuts(), ids=lambda d: f"{len(d)}B")
def test_no_read_error_repeats_a_structural_error(data: bytes) -> None:
    with open_model(data, tolerant=True) as model:
        if model.root_table is None:
            pytest.skip("nothing readable")
        paths = [d.path for d in model.structural.errors if d.path]
        spans = {(d.start, d.end) for d in model.structural.errors}
        for f in check_model(model):
            if f.code == "READ_ERROR":
                assert (f.location.start, f.location.end) not in spans, f
                assert not any(_touch(f.location.path, p) for p in paths), f


@pytest.mark.parametrize("data", _cuts(), ids=lambda d: f"{len(d)}B")
def test_nothing_is_derived_from_an_unreadable_vector(data: bytes) -> None:
    with open_model(data, tolerant=True) as model:
        if model.root_table is None:
            pytest.skip("nothing readable")
        codes = {f.code for f in check_model(model)}
        if model.count("subgraphs") is None:
            assert "NO_SUBGRAPHS" not in codes  # the vector is there, it cannot be read
        if model.count("operator_codes") is None:
            assert "OPCODE_INDEX_OUT_OF_RANGE" not in codes
        if model.count("buffers") is None:
            assert not codes & {"BUFFER_INDEX_OUT_OF_RANGE", "METADATA_BUFFER_OUT_OF_RANGE"}
        broken = [d.path for d in model.structural.errors if d.path]
        for f in check_model(model):
            if f.location.buffer is not None and f.code != "READ_ERROR":
                assert not any(_touch(f"buffers[{f.location.buffer}]", p) for p in broken), f


def test_findings_about_readable_parts_stay_when_another_part_is_broken() -> None:
    """A const buffer of the wrong size is still said when the description string is damaged;
    only what reads a broken part goes."""
    from support.tflite_builder import add_model, write_model
    from tflite_inspect.flatbuf import ByteSource, load_schema, root

    data = bytearray(write_model(add_model(const=bytes(12))))  # [1, 4] float32 needs 16
    table = root(ByteSource(bytes(data)), load_schema())
    at = table.field_pos("description")
    assert at is not None
    desc = at + struct.unpack_from("<I", data, at)[0]
    data[desc + 4 + struct.unpack_from("<I", data, desc)[0]] = 0x41  # its NUL terminator
    with open_model(bytes(data), tolerant=True) as model:
        assert [d.code for d in model.structural.errors] == ["STRING_NO_NUL"]
        codes = [f.code for f in check_model(model)]
    assert codes == ["BUFFER_SIZE_MISMATCH"]  # and no READ_ERROR repeating STRING_NO_NUL


def test_no_subgraphs_is_still_said_when_the_vector_is_really_empty() -> None:
    from support.tflite_builder import add_model, write_model

    with open_model(write_model({**add_model(), "subgraphs": []}), tolerant=True) as model:
        assert model.count("subgraphs") == 0
        assert "NO_SUBGRAPHS" in {f.code for f in check_model(model)}


def test_an_entry_reads_the_message_and_builds_no_text_it_does_not_use() -> None:
    """str(item) is the message only of an item that has none (it is not built otherwise:
    a 10,000-layer model has 15,006 warnings)."""
    from tflite_inspect.model.grouping import entry

    class Noisy:
        severity, code, where, message = "warning", "X", "op 1", "said"

        def __str__(self) -> str:
            raise AssertionError("str() of an item with a message")

    class Silent:
        severity, code, where = "info", "Y", ""

        def __str__(self) -> str:
            return "from str"

    assert entry(Noisy()).message == "said"
    assert entry(Silent()).message == "from str"


def test_findings_about_the_whole_model_are_grouped_without_an_empty_location() -> None:
    """Probe findings locate nothing: their group said '[at ]' in the Check pane."""
    found = [
        CheckFinding("probe", "info", f"runtime {i}: loaded and allocated", "runtime probe")
        for i in range(2)
    ]
    (g,) = group_findings(found)
    assert g.count == 2 and g.first() == [] and g.locations() == ""
    assert g.line() == f"{g.label}: {g.summary}"
    mixed = group_findings([*found, CheckFinding("probe", "info", "op 3 failed", "probe", 0, 3)])
    assert mixed[0].locations() == "at op 3"
