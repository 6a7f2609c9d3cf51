"""The Overview: file, schema, contents, quantization mode, quantization health (a list of
links to the tensors and ops it names: enter follows one), signatures, subgraphs, metadata, size
breakdown and findings. It is the first screen: the signatures and subgraphs say "reading…"
until the load worker has built them, the parts that need the statistics "computing…" until they
come."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Console
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import Static

from ...analysis.report import support_metadata_dict
from ...model import Subgraph
from ...model.grouping import group_findings, truncation
from ...text.health import health_lines
from ...text.support import support_rows
from ...text.units import fmt_bytes
from ..data.history import Place
from ..data.loading import GRAPH_STAGE
from ..data.present import bar_lines, metadata_text, tensor_brief
from ..data.session import Session
from ..data.stats import ModelStats, structural_findings
from ..messages import Navigate
from ..widgets.link_list import Line, LinkList

__all__ = ["OverviewView"]

KEY = 14  # width of the key column


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _row(key: str, value: str | Text, width: int = 0) -> Text:
    """A key and its value; a value longer than `width` - KEY columns (0: never) wraps under
    itself, not under the key."""
    row = Text.assemble((f"{key:<{KEY}}", "bold"), value)
    room = width - KEY
    if room < 16 or row.cell_len <= width:
        return row
    body = value if isinstance(value, Text) else Text(value)
    out = Text(f"{key:<{KEY}}", style="bold")
    for i, line in enumerate(body.wrap(_CONSOLE, room)):
        line.rstrip()
        if i:
            out.append("\n" + " " * KEY)
        out.append_text(line)
    return out


_CONSOLE = Console(width=200, color_system=None)  # measures and wraps words, never prints


class OverviewView(VerticalScroll, can_focus=True):
    """What the model is, at a glance (scroll with the arrow keys)."""

    view_id: ClassVar[str] = "overview"

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self._width = 0  # the columns a row may take before it wraps (0 until laid out)
        self._stats: ModelStats | None = None

    def on_resize(self, event: Resize) -> None:
        """Rows wrap under their value at the new width (the scrollbar's columns kept free)."""
        pad = self.styles.padding
        width = self.size.width - pad.left - pad.right - self.styles.scrollbar_size_vertical
        if width == self._width:
            return
        self._width = width
        self.query_one("#ov-head", Static).update(self._head())
        self.query_one("#ov-stats", Static).update(self._stats_text(self._stats))
        support = self._support()
        self.query_one("#ov-support", Static).update(support or "")

    def compose(self) -> ComposeResult:
        yield Static(self._head(), id="ov-head")
        yield Static(self._stats_text(None), id="ov-stats")
        health = LinkList(id="ov-health")
        health.display = False
        yield health
        yield Static(self._io(), id="ov-io")
        yield Static(self._metadata(), id="ov-metadata")
        support = self._support()
        support_static = Static(support or "", id="ov-support")
        support_static.display = support is not None
        yield support_static
        yield Static(self._sizes(None), id="ov-sizes")
        yield Static(self._findings(None), id="ov-findings")

    def location(self) -> Place:
        return Place("overview")

    def go(self, location: Place) -> None:
        self.focus()

    def show_graph(self) -> None:
        """Fills in the parts that waited for the subgraphs."""
        self.query_one("#ov-head", Static).update(self._head())
        self.query_one("#ov-io", Static).update(self._io())
        support = self._support()
        self.query_one("#ov-support", Static).update(support or "")
        self.query_one("#ov-support", Static).display = support is not None

    def show_stats(self, stats: ModelStats) -> None:
        """Fills in the parts that waited for the statistics."""
        self._stats = stats
        self.query_one("#ov-stats", Static).update(self._stats_text(stats))
        self._show_health(stats)
        self.query_one("#ov-sizes", Static).update(self._sizes(stats))
        self.query_one("#ov-findings", Static).update(self._findings(stats))

    # -- sections --------------------------------------------------------------------------

    def _show_health(self, stats: ModelStats) -> None:
        """The quantization health list (hidden for a float model): a heading, then one line
        per finding, each a link to its tensor or op."""
        pane = self.query_one("#ov-health", LinkList)
        if stats.health is None:
            why = stats.unavailable.get("quantization health")
            pane.display = why is not None
            if why:
                pane.set_lines([Line(Text.assemble(("quantization health", "bold"), f"  {why}"))])
            return
        found = health_lines(stats.health)
        lines = [
            Line(
                Text.assemble(
                    ("quantization health", "bold"),
                    "  (tab moves in; enter opens a line)" if not stats.health.clean else "",
                )
            )
        ]
        for h in found:
            text = Text(h.text, style="bold" if h.heading else "")
            link = Place(h.target[0], h.target[1], h.target[2], detail=True) if h.target else None
            lines.append(Line(text, link))
        pane.set_lines(lines)
        pane.display = True

    @on(LinkList.LinkSelected, "#ov-health")
    def _health_link(self, event: LinkList.LinkSelected) -> None:
        event.stop()
        if isinstance(event.link, Place):
            self.post_message(Navigate(event.link))

    def _head(self) -> Text:
        m = self.session.model
        lines = Text()
        errors = len(m.structural.errors)
        if errors:
            cut = truncation(m.structural, m.source.view)
            what = cut.line() if cut is not None else f"{errors} structural error(s)"
            lines.append(
                f"! damaged file: {what}; showing what could be read (findings "
                "below, raw bytes in 5 Raw)\n",
                style="bold",
            )
        lines.append(_row("file", f"{self.session.name}  {fmt_bytes(m.file_size)}", self._width))
        lines.append("\n")
        lines.append(_row("schema", f"version {m.version}", self._width))
        if m.description:
            lines.append("\n")
            lines.append(_row("description", m.description, self._width))
        lines.append("\n")
        if self.session.graph_ready:
            n_ops = sum(len(sg.operators) for sg in m.subgraphs)
            n_tensors = sum(len(sg.tensors) for sg in m.subgraphs)
            graph = (
                f"{_n(len(m.subgraphs), 'subgraph')} · {_n(n_ops, 'op')} · "
                f"{_n(n_tensors, 'tensor')}"
            )
        else:
            count = m.count("subgraphs")
            graph = _n(count, "subgraph") if count is not None else "subgraphs"
            # the counts a verified file states, while the objects are built
            counts = m.element_counts() if m.structural.ok else None
            if counts is not None:
                graph += f" · {_n(counts[0], 'op')} · {_n(counts[1], 'tensor')} (reading them…)"
            else:
                graph += " (reading their ops and tensors…)"
        lines.append(
            _row(
                "contents",
                f"{graph} · {_n(len(m.buffers), 'buffer')} · {_n(len(m.operator_codes), 'opcode')}",
                self._width,
            )
        )
        return lines

    def _stats_text(self, stats: ModelStats | None) -> Text:
        if stats is None:
            return _row("quantization", Text("computing…", style="italic"), self._width)
        q = stats.quant
        if q is None:
            why = stats.unavailable.get("quantization mode", "not available")
            return _row("quantization", why, self._width)
        io = "/".join(q.io_dtypes) or "-"
        declared = f"; converter says {', '.join(q.declared_modes)}" if q.declared_modes else ""
        text = _row(
            "quantization", Text.assemble((q.mode, "bold"), f"  ({io} I/O{declared})"), self._width
        )
        ops = ", ".join(f"{k} {v}" for k, v in sorted(q.ops_by_precision.items()))
        text.append("\n")
        text.append(_row("ops compute", ops or "-", self._width))
        if q.float_ops:
            names = sorted({p.opcode for p in q.float_ops})
            text.append("\n")
            text.append(
                _row(
                    "! float ops",
                    f"{len(q.float_ops)} op(s) still compute in float: " + ", ".join(names),
                    self._width,
                )
            )
        weights = ", ".join(f"{k} {v}" for k, v in sorted(q.weight_dtypes.items()))
        text.append("\n")
        text.append(_row("weights", weights or "-", self._width))
        return text

    def _io(self) -> Text:
        m = self.session.model
        text = Text()
        if not self.session.graph_ready:
            text.append("signatures and subgraphs\n", style="bold")
            text.append(f"  {GRAPH_STAGE}…", style="italic")
            return text
        if m.signatures:
            text.append("signatures\n", style="bold")
            for sig in m.signatures:
                sg = self.session.subgraph(sig.subgraph_index)
                text.append(
                    f"  {sig.key or '(no key)'}  → {self.session.subgraph_title(sig.subgraph_index)}\n"
                )
                for name, index in sig.inputs:
                    text.append(self._io_line(sg, "in ", name, index))
                for name, index in sig.outputs:
                    text.append(self._io_line(sg, "out", name, index))
        text.append("subgraphs\n", style="bold")
        for sg in m.subgraphs:
            text.append(
                f"  {sg.index} {sg.name or '(unnamed)'}  {_n(len(sg.operators), 'op')}, "
                f"{_n(len(sg.tensors), 'tensor')}" + (f"  ! {sg.error}" if sg.error else "") + "\n"
            )
            if not m.signatures or sg.index == 0:
                for i in sg.inputs:
                    text.append(self._io_line(sg, "in ", "", i))
                for i in sg.outputs:
                    text.append(self._io_line(sg, "out", "", i))
        text.rstrip()
        return text

    @staticmethod
    def _io_line(sg: Subgraph | None, arrow: str, name: str, index: int) -> Text:
        t = sg.tensor(index) if sg is not None else None
        if t is None:
            return Text(f"    {arrow} {name} ! tensor {index} does not exist\n")
        label = name or t.name
        return Text.assemble(f"    {arrow} ", (label, "bold"), f"  #{index} {tensor_brief(t)}\n")

    def _metadata(self) -> Text:
        entries = self.session.model.metadata
        text = Text("metadata\n", style="bold")
        if not entries:
            text.append("  (none)")
        for e in entries:
            text.append(f"  {e.name or '(unnamed)'}  ", style="bold")
            text.append(metadata_text(e) + "\n")
        text.rstrip()
        return text

    def _support(self) -> Text | None:
        """TFLite Support metadata and the appended files, None when the model has neither.
        Shown once the subgraphs are read (the zip's bounds and the tensors' names need them)."""
        if not self.session.graph_ready:
            return None
        m = self.session.model
        doc = support_metadata_dict(m)
        io_names = [
            (
                [t.name if (t := sg.tensor(i)) else None for i in sg.inputs],
                [t.name if (t := sg.tensor(i)) else None for i in sg.outputs],
            )
            for sg in m.subgraphs
        ]
        rows = support_rows(doc["support_metadata"], doc["appended_files"], io_names)
        if not rows:
            return None
        text = Text("TFLite Support metadata\n", style="bold")
        for key, value in rows:
            text.append(_row(f"  {key}" if key else "", value, self._width))
            text.append("\n")
        text.rstrip()
        return text

    def _sizes(self, stats: ModelStats | None) -> Text:
        text = Text("size\n", style="bold")
        if stats is None:
            text.append("  computing…", style="italic")
            return text
        sizes = stats.sizes
        if sizes is None:
            text.append("  " + stats.unavailable.get("size breakdown", "not available"))
            return text
        structure = sizes.file_bytes - sizes.weight_bytes
        text.append(
            f"  file {fmt_bytes(sizes.file_bytes)} = weights {fmt_bytes(sizes.weight_bytes)}"
            f" + structure and other {fmt_bytes(structure)}\n"
        )
        if sizes.by_dtype:
            text.append("  weights by dtype\n", style="bold")
            text.append("\n".join(bar_lines(sizes.by_dtype)) + "\n")
        if sizes.by_op_type:
            text.append("  weights by op type\n", style="bold")
            text.append("\n".join(bar_lines(sizes.by_op_type)))
        text.rstrip()
        return text

    def _findings(self, stats: ModelStats | None) -> Text:
        if stats is None or stats.findings is None:
            findings = structural_findings(self.session.model)
            pending = (
                "  semantic checks: computing…"
                if stats is None
                else "  semantic checks: "
                + stats.unavailable.get("semantic checks", "not available")
            )
        else:
            findings = stats.findings
            pending = ""
        errors = sum(1 for f in findings if f.severity == "error")
        warnings = sum(1 for f in findings if f.severity == "warning")
        text = Text("findings", style="bold")
        summary = (
            "no problems found"
            if not findings
            else f"{errors} error(s), {warnings} warning(s), {len(findings) - errors - warnings} note(s)"
        )
        text.append(f"  {summary}\n")
        # One line per code, however many findings (a converter output has hundreds of
        # unaligned buffers): the Raw view and `verify --all` list each one.
        for g in group_findings(findings):
            mark = "!" if g.severity == "error" else "·"
            text.append(f"  {mark} {g.severity} {g.label}", style="bold")
            if g.count == 1 and g.summary == g.entries[0].message:
                text.append(f" [{g.entries[0].place}]: {g.summary}\n")
            else:
                where = g.locations()
                text.append(f": {g.summary}" + (f"; {where}" if where else "") + "\n")
        if pending:
            text.append(pending, style="italic")
        text.rstrip()
        return text
