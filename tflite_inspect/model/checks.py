"""Semantic checks of a TFLite model: `check_model(model) -> list[Finding]`.

They re-implement TFLite's semantic verifier (`tflite/core/tools/verifier.cc`, which no Python
API runs) and add the checks it lacks but the interpreter or a crafted model needs: tensor index
ranges, an op reading its own output, subgraph indices in options and call-graph cycles,
signature and metadata ranges, quantization values, negative dims, unknown enum values,
inconsistent op codes, and external buffer ranges checked against the real file size with
overflow-free (subtraction form) arithmetic. Each finding has a stable code; its message says
what, where and which rule. Checks never raise: a read that fails becomes a READ_ERROR finding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..flatbuf import FlatBufError
from .associated import support_findings
from .callgraph import call_graph, find_call_cycles
from .errors import Finding, Location, ModelError, finding_from_flatbuf
from .model import Model
from .op_checks import check_subgraphs
from .types import CUSTOM_OPCODE, PLACEHOLDER_FOR_GREATER_OP_CODES

__all__ = ["CHECK_CODES", "check_model", "call_graph", "find_call_cycles"]

# Every code check_model can emit (tests make sure each one can be triggered).
CHECK_CODES = frozenset(
    {
        "VERSION_UNSUPPORTED",
        "NO_SUBGRAPHS",
        "NO_BUFFERS",
        "BUFFER0_NOT_EMPTY",
        "UNKNOWN_BUILTIN_OPERATOR",
        "DEPRECATED_BUILTIN_CODE_MISMATCH",
        "CUSTOM_CODE_MISSING",
        "NO_OPERATORS",
        "OP_MISSING_INPUTS",
        "OP_MISSING_OUTPUTS",
        "OPCODE_INDEX_OUT_OF_RANGE",
        "TENSOR_INDEX_OUT_OF_RANGE",
        "OP_INPUT_IS_OUTPUT",
        "INPUT_NOT_PRODUCED",
        "OUTPUT_IS_CONSTANT",
        "OUTPUT_IS_VARIABLE",
        "OUTPUT_IS_SUBGRAPH_INPUT",
        "OUTPUT_PRODUCED_TWICE",
        "OPTIONS_TYPE_UNKNOWN",
        "SUBGRAPH_INDEX_OUT_OF_RANGE",
        "SUBGRAPH_CALL_CYCLE",
        "LARGE_CUSTOM_OPTIONS_OUT_OF_RANGE",
        "EXTERNAL_BUFFER_OUT_OF_RANGE",
        "BUFFER_DATA_AND_OFFSET",
        "EXTERNAL_BUFFERS_OVERLAP",
        "SIGNATURE_SUBGRAPH_OUT_OF_RANGE",
        "SIGNATURE_TENSOR_OUT_OF_RANGE",
        "SIGNATURE_KEY_MISSING",
        "OPTION_VALUE_UNKNOWN",
        "METADATA_BUFFER_OUT_OF_RANGE",
        "METADATA_NAME_MISSING",
        "METADATA_UNDECODABLE",
        "APPENDED_FILES_UNREADABLE",
        "ASSOCIATED_FILE_MISSING",
        "UNKNOWN_TENSOR_TYPE",
        "NEGATIVE_DIMENSION",
        "DIMENSION_OVERFLOW",
        "SHAPE_SIGNATURE_MISMATCH",
        "EXTERNAL_BUFFER_UNKNOWN",
        "BUFFER_INDEX_OUT_OF_RANGE",
        "VARIABLE_WITH_BUFFER",
        "STRING_BUFFER_INVALID",
        "STRING_OFFSETS_NOT_MONOTONIC",
        "SPARSITY_INVALID",
        "INVALID_TYPE",
        "BUFFER_SIZE_MISMATCH",
        "QUANT_DETAILS_UNKNOWN",
        "QUANT_DETAILS_INVALID",
        "QUANT_SCALE_INVALID",
        "QUANT_ZERO_POINT_COUNT",
        "QUANT_ZERO_POINT_RANGE",
        "QUANT_DIMENSION_OUT_OF_RANGE",
        "QUANT_SCALE_COUNT",
        "READ_ERROR",
        "CHECK_FAILED",
        "TABLE_BUDGET",
    }
)


class _Collector:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, severity: str, code: str, message: str, **where: Any) -> None:
        self.findings.append(Finding(severity, code, message, Location(**where)))

    def bound(self, **fixed: Any) -> Callable[..., None]:
        def report(severity: str, code: str, message: str, **where: Any) -> None:
            self.add(severity, code, message, **{**fixed, **where})

        return report


def check_model(model: Model) -> list[Finding]:
    """All semantic findings, in the order the checks run (model fields, operator codes,
    subgraphs with their operators and tensors, call graph, buffers, signatures, metadata),
    followed by the reads that failed while the model was built. Never raises."""
    out = _Collector()
    for check in (
        _check_model_fields,
        _check_operator_codes,
        check_subgraphs,
        _check_call_graph,
        _check_buffers,
        _check_signatures,
        _check_metadata,
    ):
        name = check.__name__.lstrip("_")
        try:
            check(model, out)
        except FlatBufError as err:
            out.findings.append(finding_from_flatbuf(err, f"the model ({name})"))
        except ModelError as err:
            out.add("error", "READ_ERROR", err.message, path=err.path, start=err.start, end=err.end)
        except Exception as err:  # noqa: BLE001 - one broken check must not hide the others
            out.add(
                "error",
                "CHECK_FAILED",
                f"the {name} check stopped on unexpected data ({type(err).__name__}: {err}); "
                "the findings of this check may be incomplete",
            )
    seen = {(f.code, f.message) for f in out.findings}
    for f in model.read_findings:
        if (f.code, f.message) not in seen:
            out.findings.append(f)
    return _said_once(model, out.findings)


# -- nothing twice, nothing from an unreadable part ------------------------------------------------


def _ancestors(path: str) -> list[str]:
    """`a.b[2].c` -> ["a", "a.b", "a.b[2]", "a.b[2].c"]: the path and every enclosing one."""
    cuts = [i for i, ch in enumerate(path) if ch in ".[" and i]
    return [path[:i] for i in cuts] + [path]


class _Unreadable:
    """Field paths that could not be read. `touches(path)` is true when the part at `path`
    encloses one of them, is one of them, or lies inside one."""

    def __init__(self, paths: set[str]) -> None:
        self.paths = {p for p in paths if p}
        self.inside = {a for p in self.paths for a in _ancestors(p)}

    def __bool__(self) -> bool:
        return bool(self.paths)

    def touches(self, path: str) -> bool:
        return path in self.inside or any(a in self.paths for a in _ancestors(path))


# Beyond its own location, what each check read: a finding is not reported when one of these
# parts is unreadable (an unreadable operator_codes vector reads as none, and every op would
# be "out of range"). "{sg}" is the finding's subgraph.
_READS: dict[str, tuple[str, ...]] = {
    "VERSION_UNSUPPORTED": ("version",),
    "NO_SUBGRAPHS": ("subgraphs",),
    "NO_BUFFERS": ("buffers",),
    "OPCODE_INDEX_OUT_OF_RANGE": ("operator_codes",),
    "INPUT_NOT_PRODUCED": ("subgraphs[{sg}]", "buffers", "external_buffers"),
    "TENSOR_INDEX_OUT_OF_RANGE": ("subgraphs[{sg}].tensors",),
    "SIGNATURE_TENSOR_OUT_OF_RANGE": ("subgraphs[{sg}].tensors",),
    "SIGNATURE_SUBGRAPH_OUT_OF_RANGE": ("subgraphs",),
    "SUBGRAPH_INDEX_OUT_OF_RANGE": ("subgraphs",),
    "BUFFER_INDEX_OUT_OF_RANGE": ("buffers",),
    "METADATA_BUFFER_OUT_OF_RANGE": ("buffers",),
    "EXTERNAL_BUFFER_UNKNOWN": ("external_buffers",),
}


def _reads(f: Finding) -> list[str]:
    """The parts of the model finding `f` was derived from."""
    loc = f.location
    sg = loc.subgraph
    parts = [loc.path] if loc.path else []
    parts += [p.format(sg=sg) for p in _READS.get(f.code, ()) if sg is not None or "{" not in p]
    if loc.buffer is not None:
        parts.append(f"buffers[{loc.buffer}]")
    if sg is not None:
        if loc.operator is not None:
            parts.append(f"subgraphs[{sg}].operators[{loc.operator}]")
        if loc.tensor is not None:
            parts.append(f"subgraphs[{sg}].tensors[{loc.tensor}]")
    return parts


def _said_once(model: Model, findings: list[Finding]) -> list[Finding]:
    """The findings without echoes: a READ_ERROR about a part the structural verifier already
    reported (same part, one inside the other, or the same bytes) is dropped, the structural
    diagnostic wins; and a semantic finding derived from a part that cannot be read (a structural
    error, a failed read, a list cut by the table budget) is not a finding about the model."""
    structural = model.structural.errors
    broken = _Unreadable({d.path for d in structural})
    spans = {(d.start, d.end) for d in structural}
    unreadable = _Unreadable(
        {d.path for d in structural}
        | {f.location.path for f in findings if f.code in ("READ_ERROR", "TABLE_BUDGET")}
    )
    if not unreadable and not spans:
        return findings
    out = []
    for f in findings:
        loc = f.location
        if f.code == "READ_ERROR":
            if (loc.start, loc.end) in spans or (loc.path and broken.touches(loc.path)):
                continue
        elif f.code not in ("TABLE_BUDGET", "CHECK_FAILED") and any(
            unreadable.touches(p) for p in _reads(f)
        ):
            continue
        out.append(f)
    return out


# -- model ---------------------------------------------------------------------------------------


def _check_model_fields(model: Model, out: _Collector) -> None:
    if model.version != 3:
        out.add(
            "error",
            "VERSION_UNSUPPORTED",
            f"Model.version is {model.version}; TFLite only loads schema version 3 "
            "(verifier: 'Invalid model version')",
            path="version",
        )
    if model.count("subgraphs") == 0:  # None: there is a vector, but it cannot be read
        out.add(
            "error",
            "NO_SUBGRAPHS",
            "the model has no subgraphs; TFLite needs at least the main subgraph 0",
            path="subgraphs",
        )
    if not model.has_field("buffers") and any(sg.tensors for sg in model.subgraphs):
        out.add(
            "error",
            "NO_BUFFERS",
            "the model has tensors but no 'buffers' vector (verifier: Missing 'buffers' section)",
            path="buffers",
        )
    buffers = model.buffers
    if buffers and buffers[0].size:
        out.add(
            "warning",
            "BUFFER0_NOT_EMPTY",
            f"buffers[0] holds {buffers[0].size} bytes; it must be the empty sentinel that "
            "tensors without data point to",
            buffer=0,
            path="buffers[0]",
        )


def _check_operator_codes(model: Model, out: _Collector) -> None:
    names = model.schema.enums["BuiltinOperator"].names
    for oc in model.operator_codes:
        path = f"operator_codes[{oc.index}]"
        if oc.builtin_code < 0:
            continue  # unreadable, already a READ_ERROR
        if oc.builtin_code not in names:
            out.add(
                "error",
                "UNKNOWN_BUILTIN_OPERATOR",
                f"operator code {oc.index} has builtin code {oc.builtin_code}, which is not a "
                f"BuiltinOperator (0..{max(names)}); no runtime can resolve it",
                path=path + ".builtin_code",
            )
        dep, raw = oc.deprecated_builtin_code, oc.raw_builtin_code
        expected = min(raw, PLACEHOLDER_FOR_GREATER_OP_CODES)
        if (raw > 0 and dep != expected) or dep < 0:
            out.add(
                "warning",
                "DEPRECATED_BUILTIN_CODE_MISMATCH",
                f"operator code {oc.index}: deprecated_builtin_code {dep} does not match "
                f"builtin_code {raw} (expected {expected}: the code, capped at "
                f"PLACEHOLDER_FOR_GREATER_OP_CODES = 127); readers take the max, "
                f"{oc.builtin_code} ({oc.name})",
                path=path + ".deprecated_builtin_code",
            )
        if oc.builtin_code == CUSTOM_OPCODE and not oc.custom_code:
            out.add(
                "error",
                "CUSTOM_CODE_MISSING",
                f"operator code {oc.index} is CUSTOM without a custom_code name",
                path=path + ".custom_code",
            )


def _check_call_graph(model: Model, out: _Collector) -> None:
    for cycle in find_call_cycles(call_graph(model)):
        chain = " -> ".join(str(s) for s in cycle)
        out.add(
            "error",
            "SUBGRAPH_CALL_CYCLE",
            f"subgraphs call each other in a cycle ({chain}); control-flow ops must not "
            "recurse (CVE-2021-29591: unbounded recursion)",
            subgraph=cycle[0],
        )


# -- buffers, signatures, metadata ------------------------------------------------------------------


def _check_buffers(model: Model, out: _Collector) -> None:
    size = model.file_size
    ranges: list[tuple[int, int, int]] = []
    for buf in model.buffers:
        path = f"buffers[{buf.index}]"
        off, length = buf.external_offset, buf.external_size
        if buf.in_flatbuffer and buf.size and off > 1:
            out.add(
                "warning",
                "BUFFER_DATA_AND_OFFSET",
                f"buffer {buf.index} has both {buf.size} bytes of data and an external offset "
                f"{off}; TFLite uses the data and ignores the offset",
                buffer=buf.index,
                path=path,
            )
        if off > 1 and not buf.in_flatbuffer:
            if length > size or off > size - length:
                out.add(
                    "error",
                    "EXTERNAL_BUFFER_OUT_OF_RANGE",
                    f"buffer {buf.index}: {length} bytes at offset {off} run past the end of "
                    f"the {size}-byte file (checked as size > file or offset > file - size; "
                    "TFLite's offset + size can wrap around)",
                    buffer=buf.index,
                    path=path + ".offset",
                )
            elif length:
                ranges.append((off, off + length, buf.index))
    ranges.sort()
    for (s1, e1, b1), (s2, e2, b2) in zip(ranges, ranges[1:], strict=False):
        if s2 < e1 and (s1, e1) != (s2, e2):
            out.add(
                "warning",
                "EXTERNAL_BUFFERS_OVERLAP",
                f"external data of buffers {b1} [{s1}, {e1}) and {b2} [{s2}, {e2}) overlap "
                "without being identical (shared data has equal ranges)",
                buffer=b2,
                path=f"buffers[{b2}].offset",
            )


def _check_signatures(model: Model, out: _Collector) -> None:
    n_sg = len(model.subgraphs)
    for sig in model.signatures:
        base = f"signature_defs[{sig.index}]"
        if not sig.has_key:
            out.add(
                "error",
                "SIGNATURE_KEY_MISSING",
                f"signature_defs[{sig.index}] has no signature_key (LiteRT refuses the model: "
                "Missing exported method name for SignatureDef)",
                path=base + ".signature_key",
            )
        if not 0 <= sig.subgraph_index < n_sg:
            out.add(
                "error",
                "SIGNATURE_SUBGRAPH_OUT_OF_RANGE",
                f"signature {sig.key!r} names subgraph {sig.subgraph_index}, but the model has "
                f"{n_sg} subgraphs",
                path=base + ".subgraph_index",
            )
            continue
        n = len(model.subgraphs[sig.subgraph_index].tensors)
        for field, maps in (("inputs", sig.inputs), ("outputs", sig.outputs)):
            for k, (name, ti) in enumerate(maps):
                if not 0 <= ti < n:
                    out.add(
                        "error",
                        "SIGNATURE_TENSOR_OUT_OF_RANGE",
                        f"signature {sig.key!r} {field[:-1]} {name!r} is tensor {ti}, but "
                        f"subgraph {sig.subgraph_index} has {n} tensors",
                        subgraph=sig.subgraph_index,
                        path=f"{base}.{field}[{k}].tensor_index",
                    )


def _check_metadata(model: Model, out: _Collector) -> None:
    n = len(model.buffers)
    for entry in model.metadata:
        path = f"metadata[{entry.index}]"
        if entry.name is None:
            out.add(
                "warning",
                "METADATA_NAME_MISSING",
                f"metadata entry {entry.index} has no name (TFLite's GetMinimumRuntime reads "
                "it without a null check)",
                path=path + ".name",
            )
        if not 0 <= entry.buffer < n:
            out.add(
                "error",
                "METADATA_BUFFER_OUT_OF_RANGE",
                f"metadata {entry.name!r} points to buffer {entry.buffer}, but the model has "
                f"{n} buffers",
                path=path + ".buffer",
            )
        elif entry.error:
            out.add(
                "warning",
                "METADATA_UNDECODABLE",
                f"metadata {entry.name!r} (buffer {entry.buffer}) cannot be decoded: {entry.error}",
                buffer=entry.buffer,
                path=path,
            )
    for severity, code, message in support_findings(model):  # TFLite Support's appended zip
        out.add(severity, code, message, path="appended zip")
