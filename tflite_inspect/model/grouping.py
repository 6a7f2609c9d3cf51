"""Findings for people: grouped by code, and the one-line diagnosis of a truncated file.

    groups = group_findings([*model.structural.diagnostics, *check_model(model)])
    for g in groups: print(g.severity, g.line())   # "UNALIGNED_DATA ×287: 287 buffers are ..."
    cut = truncation(model.structural, model.source.view)   # None unless references run past the end

A group is every finding of one (severity, code): its count, one sentence about all of them and
the first few locations, so 287 unaligned buffers are one line and a real error stays visible.
Each group keeps every instance (`entries`), for `--all`, the JSON and the UI's expandable lists.
Works on the verifier's `Diagnostic`s, the model's `Finding`s, the checker's `CheckFinding`s and
any object with `severity`, `code` (or `rule`), `message` and `where`.

Imports only the standard library: the CLI and the UI call it on their first screen.
"""

from __future__ import annotations

import re
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FIRST",
    "UNALIGNED_NOTE",
    "Entry",
    "FindingGroup",
    "Truncation",
    "entry",
    "group_findings",
    "truncation",
]

FIRST = 3  # locations a group line names

_SEVERITY_ORDER = {"error": 0, "warning": 1}

# What LiteRT does with a Buffer.data vector that is not on the schema's force_align boundary:
# InterpreterBuilder::ParseTensors (tflite/core/interpreter_builder.cc) hands `buffer->data()`
# to Subgraph::SetTensorParametersReadOnly as is (a kTfLiteMmapRo tensor; only the byte count
# is checked, never the alignment), and the XNNPACK delegate packs static weights (and unpacks
# fp16/int8 ones) into its own aligned buffers. x86 and ARM CPUs load unaligned data; only
# strict-alignment targets (some DSPs and microcontrollers) can fault or slow down on it.
UNALIGNED_NOTE = (
    "LiteRT reads them in place (no alignment check) and XNNPACK packs weights into its own "
    "buffers — harmless for CPU"
)


@dataclass(frozen=True)
class Entry:
    """One finding, flattened: `where` is a short location (a field path, "op 3"), `place` the
    full one of its single-line form (byte range and path for a structural diagnostic)."""

    severity: str
    code: str
    where: str
    place: str
    message: str
    item: Any = field(default=None, compare=False, repr=False)

    def line(self) -> str:
        """The instance as one line without its severity: `CODE  place: message`."""
        return f"{self.code:<22} {self.place}: {self.message}"


_NO_MESSAGE: Any = object()


def entry(item: Any) -> Entry:
    """Flattens a Diagnostic, Finding, CheckFinding or anything with severity/code/message/where."""
    if isinstance(item, Entry):
        return item
    severity = getattr(item, "severity", "info")
    message = getattr(item, "message", _NO_MESSAGE)
    if message is _NO_MESSAGE:  # not getattr's default: str(item) would be built every time
        message = str(item)
    rule = getattr(item, "rule", None)
    if rule is not None:  # check.CheckFinding: where names the op with its opcode
        full = item.where
        short = _check_where(item) or full
        return Entry(severity, rule, short, full or "model", message, item)
    location = getattr(item, "location", None)
    if location is not None:  # model.Finding
        full = str(location)
        return Entry(severity, item.code, location.path or full, full, message, item)
    if hasattr(item, "start") and hasattr(item, "path"):  # flatbuf.Diagnostic
        span = f"bytes {item.start:#x}..{item.end:#x}"
        return Entry(
            severity, item.code, item.path or span, f"{span}  {item.path or '-'}", message, item
        )
    where = getattr(item, "where", "") or "model"
    return Entry(severity, item.code, _short(where), where, message, item)


_SPAN = re.compile(r"^bytes 0x[0-9a-f]+\.\.0x[0-9a-f]+ +")


def _short(where: str) -> str:
    """The field path of a flattened location ("bytes 0x10..0x14 buffers[2].data", "subgraph
    0, op 3, subgraphs[0].operators[3]"), or the location as it is when it names none."""
    rest = _SPAN.sub("", where)
    if rest != where:
        return rest
    parts = where.split(", ")
    if len(parts) > 1 and " " not in parts[-1]:  # str(Location) ends with the field path
        return parts[-1]
    return where


def _check_where(item: Any) -> str:
    sg = f"subgraph {item.subgraph} " if getattr(item, "subgraph", None) else ""
    if getattr(item, "op", None) is not None:
        return f"{sg}op {item.op}"
    if getattr(item, "tensor", None) is not None:
        return f"{sg}tensor {item.tensor}"
    return ""


@dataclass(frozen=True)
class FindingGroup:
    """Every finding of one severity and code, in the order found."""

    severity: str
    code: str
    entries: tuple[Entry, ...]
    summary: str  # one sentence about all of them

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def label(self) -> str:
        """`CODE ×N` (just `CODE` for one finding)."""
        return f"{self.code} ×{self.count}" if self.count > 1 else self.code

    def first(self, n: int = FIRST) -> list[str]:
        """The first `n` distinct locations (findings without one, e.g. about the whole
        model, have none)."""
        out: list[str] = []
        for e in self.entries:
            if e.where and e.where not in out:
                out.append(e.where)
                if len(out) == n:
                    break
        return out

    def locations(self, n: int = FIRST) -> str:
        """'first at a, b, c' (or 'at a' when that is all of them); "" when no finding of the
        group has a location."""
        first = self.first(n)
        if not first:
            return ""
        distinct = len(first) < n or self.count == len(first)
        sep = "; " if any(", " in w for w in first) else ", "
        return ("at " if distinct else "first at ") + sep.join(first)

    def line(self) -> str:
        """The group as one line without its severity. A lone finding without a shared summary
        keeps its full single-line form (byte range, path, message)."""
        if self.count == 1 and self.summary == self.entries[0].message:
            return self.entries[0].line()
        where = self.locations()
        return f"{self.label}: {self.summary}" + (f"; {where}" if where else "")

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": self.code,
            "count": self.count,
            "summary": self.summary,
            "first": self.first(),
        }


def group_findings(items: Iterable[Any]) -> list[FindingGroup]:
    """One group per (severity, code): errors first, then warnings, then the rest, each in the
    order its first finding came."""
    buckets: dict[tuple[str, str], list[Entry]] = {}
    for item in items:
        e = entry(item)
        buckets.setdefault((e.severity, e.code), []).append(e)
    keys = sorted(buckets, key=lambda k: _SEVERITY_ORDER.get(k[0], 2))  # stable: first seen
    return [
        FindingGroup(sev, code, tuple(buckets[(sev, code)]), _summary(code, buckets[(sev, code)]))
        for sev, code in keys
    ]


# -- summaries ----------------------------------------------------------------------------------


def _summary(code: str, entries: Sequence[Entry]) -> str:
    special = _SUMMARIES.get(code)
    if special is not None:
        text = special(entries)
        if text:
            return text
    first = entries[0].message
    if len(entries) == 1:
        return first
    if all(e.message == first for e in entries):
        text = first
    else:
        text = f"{first}; and {len(entries) - 1} more"
    opcodes = Counter(o for e in entries if (o := getattr(e.item, "opcode", None)))
    if len(opcodes) > 1:
        top = opcodes.most_common(4)
        text += " (" + ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in top)
        text += f", {len(opcodes) - 4} more op types)" if len(opcodes) > 4 else ")"
    return text


_VECTOR = re.compile(r"([A-Za-z_]\w*)\[\d+\](?:\.\w+)?$")
_ALIGN = re.compile(r"(\d+)-byte")


def _unaligned(entries: Sequence[Entry]) -> str:
    names = {m.group(1) if (m := _VECTOR.search(e.where)) else "" for e in entries}
    noun = names.pop() if len(names) == 1 and "" not in names else "vectors"
    aligns = {m.group(1) for e in entries if (m := _ALIGN.search(e.message))}
    align = aligns.pop() if len(aligns) == 1 else ""
    n = len(entries)
    what = f"{n} {noun if n > 1 else noun.removesuffix('s')} {'are' if n > 1 else 'is'}"
    if not align:
        return f"{what} not aligned as the schema's force_align asks"
    text = f"{what} not {align}-byte aligned (schema force_align {align})"
    return text + (f"; {UNALIGNED_NOTE}" if noun == "buffers" else "")


def _read_errors(entries: Sequence[Entry]) -> str:
    if len(entries) == 1:
        return ""
    return f"{len(entries)} parts of the model cannot be read; the first: {entries[0].message}"


_BUFFER_SIZE = re.compile(r"the (\d+)-byte buffer")


def _outside(what: str) -> Callable[[Sequence[Entry]], str]:
    """A summary for many references that point outside the buffer (a cut or damaged file)."""

    def summary(entries: Sequence[Entry]) -> str:
        if len(entries) == 1:
            return ""
        m = _BUFFER_SIZE.search(entries[0].message)
        buffer = f"the {m.group(1)}-byte buffer" if m else "the buffer"
        return what.format(n=len(entries), buffer=buffer)

    return summary


_SUMMARIES: dict[str, Callable[[Sequence[Entry]], str]] = {
    "UNALIGNED_DATA": _unaligned,
    "READ_ERROR": _read_errors,
    "OUT_OF_RANGE": _outside("{n} tables or fields run outside {buffer}"),
    "OFFSET_OUT_OF_RANGE": _outside("{n} offsets point outside {buffer}"),
    "VTABLE_OUT_OF_RANGE": _outside("{n} tables have their vtable outside {buffer}"),
    "VECTOR_OUT_OF_RANGE": _outside("{n} vectors run past the end of {buffer}"),
    "STRING_OUT_OF_RANGE": _outside("{n} strings run past the end of {buffer}"),
}


# -- truncation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Truncation:
    """References in the file point past its end: `file_size` bytes are there, the references
    need at least `needed` (the furthest byte any failed reference needed, a lower bound: what
    lies behind a missing part cannot be known); `references` of them point past the end."""

    file_size: int
    needed: int
    references: int

    def line(self) -> str:
        return (
            f"file ends at byte {self.file_size}; the flatbuffer needs at least "
            f"{self.needed} ({self.references} references point past the end: the file "
            "looks truncated)"
        )

    def to_dict(self) -> dict[str, int]:
        return {"file_size": self.file_size, "needed": self.needed, "references": self.references}


_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from
_I32 = struct.Struct("<i").unpack_from
_ENDS_AT = re.compile(r"ends at (0x[0-9a-f]+)")


def truncation(report: Any, view: Any) -> Truncation | None:
    """The diagnosis of a file cut short, from a verifier report and the file's bytes: None
    unless at least two references need bytes past the end (one wild offset is damage, not a
    cut; its own finding says so)."""
    size = report.size
    needed = [
        end
        for d in report.diagnostics
        if d.severity == "error" and (end := _needed_end(d, view, size)) is not None and end > size
    ]
    if len(needed) < 2:
        return None
    return Truncation(size, max(needed), len(needed))


def _needed_end(d: Any, view: Any, size: int) -> int | None:
    """The end of the bytes the reference behind diagnostic `d` needed, re-read from the file
    where the diagnostic holds only the position of the reference (the verifier's layout of
    each code: see flatbuf/verifier.py)."""
    code = d.code
    try:
        if code == "OUT_OF_RANGE":  # [elem, elem + size) of a scalar, struct or table
            return int(d.end)
        if code == "OFFSET_OUT_OF_RANGE":  # the offset at d.start; its target starts with 4 bytes
            return int(d.start + _U32(view, d.start)[0] + 4)
        if code in ("VECTOR_OUT_OF_RANGE", "STRING_OUT_OF_RANGE"):
            m = _ENDS_AT.search(d.message)
            if m:
                return int(m.group(1), 16)
            return int(d.start + 4 + _U32(view, d.start)[0])
        if code == "VTABLE_OUT_OF_RANGE":
            if d.end - d.start == 4:  # the table at d.start points to its vtable
                vt = d.start - _I32(view, d.start)[0]
                return vt + 2 if vt >= 0 else None
            return int(d.start + _U16(view, d.start)[0])  # the vtable at d.start, its size
        if code == "STRING_NO_NUL" and d.end - d.start > 1:  # no room for the terminator
            return int(d.end + 1)
    except (struct.error, IndexError, ValueError, TypeError):
        return None
    return None
