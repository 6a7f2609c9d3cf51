"""The Check pane: will the model run there? (`tflite-inspect check` in the UI.)

Choose a target (litert, micro, gpu, int8 or all). The static report (ops, the runtime the model
needs, float islands, memory, verdicts from the rules) shows at once; the runtime probe (the model
loaded by each installed interpreter in a child process) then runs in a worker, one runtime at a
time, and the verdicts are folded again with its results. Leaving the pane cancels the probe; it
starts again on return. Op rows and findings about one op are links to the Operators view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, Select, TabbedContent
from textual.worker import get_current_worker

from ...check import TARGETS, CheckReport, static_report, with_probes
from ...model.grouping import group_findings
from ...text.check import flex_lines, memory_lines, probe_lines, quant_lines
from ..widgets.link_list import Line, LinkList
from .tool_pane import Status, ToolPane, heading, plain_lines

__all__ = ["CheckView", "needed_runtimes"]

CHOICES = (*TARGETS, "all")
INTERPRETERS = ("ai-edge-litert", "tensorflow")


def chosen_targets(choice: str) -> tuple[str, ...]:
    return TARGETS if choice == "all" else (choice,)


def needed_runtimes(report: CheckReport, targets: tuple[str, ...]) -> list[Any]:
    """The installed runtimes `check_targets` would probe for `targets`."""
    return [
        r
        for r in report.installed
        if (r.name in INTERPRETERS and "litert" in targets)
        or (r.name == "tflite-micro" and "micro" in targets)
    ]


@dataclass
class Probed(Message):
    """The worker probed one runtime (`name`) and got `result`."""

    name: str
    result: Any


class CheckView(ToolPane):
    """Deployability checks of the open model (see module docstring)."""

    view_id: ClassVar[str] = "check"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "t",
            "focus_target",
            "Target",
            id="check.target",
            tooltip="Choose the target: litert, micro, gpu, int8 or all",
        ),
        Binding(
            "p",
            "probe",
            "Probe again",
            id="check.probe",
            tooltip="Load the model in each installed interpreter again",
        ),
    ]
    """Target choice and a fresh probe."""

    probe_by_default: ClassVar[bool] = True
    """Whether the pane probes the interpreters on its own (`p` probes when it does not)."""

    def __init__(self, session: Any, *, id: str | None = None, probe: bool | None = None) -> None:
        super().__init__(session, id=id)
        self.probe_enabled = self.probe_by_default if probe is None else probe
        self.choice = "litert"
        self._base: CheckReport | None = None
        self._probes: dict[str, Any] = {}
        self.report: CheckReport | None = None
        self._stopped = False

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("target", classes="form-label")
            yield Select(
                [(c, c) for c in CHOICES],
                value=self.choice,
                allow_blank=False,
                compact=True,
                id="check-target",
            )
            yield Label("", id="check-status", classes="status", markup=False)
        yield LinkList(id="check-results", classes="results")

    def on_mount(self) -> None:
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        if tabs is not None:
            self.watch(tabs, "active", self._tab_changed, init=False)
        self._base = static_report(self.session.model)
        self.show()

    # -- showing ---------------------------------------------------------------------------

    @property
    def targets(self) -> tuple[str, ...]:
        return chosen_targets(self.choice)

    def show(self, *, start_probe: bool = True, keep_scroll: bool = True) -> None:
        """The report for the chosen target with the probes done so far; starts the probe of
        the runtimes still missing. The list stays where it was (a probe's answer must not
        scroll the verdict away) unless `keep_scroll` is False (another target)."""
        assert self._base is not None
        wanted = needed_runtimes(self._base, self.targets)
        probes = [self._probes[r.name] for r in wanted if r.name in self._probes]
        self.report = with_probes(self.session.model, self._base, probes, self.targets)
        missing = [r for r in wanted if r.name not in self._probes]
        if missing and self.probe_enabled and self.session.model.path is not None:
            if start_probe:
                self._probe(missing)
        elif not self.probe_enabled:
            self.set_status("static rules only; p probes the interpreters")
        elif not wanted:
            self.set_status("no interpreter probe for this target")
        else:
            self.set_status("probe done")
        at = self.results.current_link
        self.results.set_lines(
            report_lines(self.report, self.targets, self), cursor_on=at, keep_scroll=keep_scroll
        )

    @on(Select.Changed, "#check-target")
    def _target_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.choice:
            self.choice = event.value
            self.show(keep_scroll=False)

    def _tab_changed(self, active: str) -> None:
        if active != self.view_id:
            running = [w for w in self.workers if w.node is self and not w.is_finished]
            self.workers.cancel_node(self)  # leaving the pane stops the probe
            if running:
                self._stopped = True
                self.set_status("probe stopped (it runs again when you come back)")
        elif self._stopped and self._base is not None:
            self._stopped = False
            self.show()

    # -- the probe -------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="check-probe",
        group="check-probe",
        description="Probing the installed interpreters",
    )
    def _probe(self, runtimes: list[Any]) -> None:
        from ...check import probe_model

        worker = get_current_worker()
        assert self._base is not None and self.session.model.path is not None
        arena = max(4 * self._base.memory.arena_bytes + (256 << 10), 1 << 20)
        for n, rt in enumerate(runtimes, 1):
            if worker.is_cancelled:
                return
            self.post_message(Status(f"probing {rt.label} ({n}/{len(runtimes)})…"))
            found = probe_model(
                self.session.model.path,
                runtimes=[rt],
                micro=rt.name == "tflite-micro",
                micro_arena=arena,
                cancel=worker.cancelled_event,
            )
            if worker.is_cancelled:
                return
            if found:
                self.post_message(Probed(rt.name, found[0]))

    @on(Probed)
    def _probed(self, message: Probed) -> None:
        message.stop()
        self._probes[message.name] = message.result
        self.show(start_probe=False)

    # -- actions ---------------------------------------------------------------------------

    def action_focus_target(self) -> None:
        self.query_one("#check-target", Select).focus()

    def action_probe(self) -> None:
        if not self.probe_enabled:
            self.probe_enabled = True
        self._probes.clear()
        self.show()

    def go(self, location: Any) -> None:
        self.results.focus()


# -- lines -------------------------------------------------------------------------------------


def _verdict_line(verdict: Any) -> Line:
    """The CLI's verdict text ("fits litert (decided by the ... probe: loaded and allocated)")."""
    n_err = len(verdict.errors)
    text = Text.assemble(
        (f"verdict: {verdict.line()}", "bold"),
        f", {n_err} error(s)" if n_err else "",
        (f"  {verdict.description}", "dim"),
    )
    return Line(text)


def op_row_text(o: Any) -> Text:
    sg = f"{o.subgraph}:" if o.subgraph else ""
    text = Text(
        f"{sg}{o.index:>3} {o.name[:24]:<24} {o.kind:<7} v{o.version:<2} "
        f"{o.min_runtime or '-':<8} {o.tf_op or ''}"
    )
    text.no_wrap = True
    return text


def report_lines(report: CheckReport, targets: tuple[str, ...], pane: ToolPane) -> list[Line]:
    """The report as lines: verdicts and the runtime the ops need first, then why: findings with
    their rule sources, the ops, Flex ops, the probe, quantization (float islands) and memory."""
    lines: list[Line] = [heading("verdict")]
    lines += [_verdict_line(report.targets[t]) for t in targets]
    rt = report.runtime
    declared = (
        f"; the model declares {rt.declared}"
        if rt.declared
        else "; the model declares no min_runtime_version"
    )
    lines.append(Line(Text(f"runtime  {rt.line()}{declared}")))
    if rt.unknown_ops:
        lines.append(
            Line(
                Text(
                    "         not in the table: "
                    + ", ".join(sorted({f"{o.name} v{o.version}" for o in rt.unknown_ops}))
                )
            )
        )

    for t in targets:
        v = report.targets[t]
        lines.append(heading(f"findings for {t}: {len(v.findings) or 'none'}"))
        # One line per rule (hundreds of float ops are one line), linked to its first op;
        # `tflite-inspect check --all` lists each one.
        for g in group_findings(v.findings):
            f = g.entries[0].item
            if g.count == 1:
                where = f" [{f.where}]" if f.where else ""
                text = Text.assemble((f"{f.severity}", "bold"), where, f": {f.message}")
            else:
                where = g.locations()
                text = Text.assemble(
                    (f"{g.severity} ×{g.count}", "bold"),
                    f" [{where}]" if where else "",
                    f": {g.summary}",
                )
            lines.append(Line(text, pane.op_location(f.subgraph, f.op)))
            sources = {e.item.source for e in g.entries}
            source = f.source if len(sources) == 1 else f"{f.source} (and {len(sources) - 1} more)"
            lines.append(Line(Text(f"    rule {f.rule} · {source}", style="dim")))
        for src in v.sources:
            lines.append(Line(Text(f"  rules: {src}", style="dim")))
    lines.append(Line(Text("")))

    lines.append(heading(f"ops ({len(report.ops)}; enter jumps to Operators)"))
    head = Text(f"{'#':>3} {'op':<24} {'kind':<7} {'ver':<3} {'min rt':<8} TF op", style="dim")
    head.no_wrap = True
    lines.append(Line(head))
    for o in report.ops:
        lines.append(Line(op_row_text(o), pane.op_location(o.subgraph, o.index)))

    flex = flex_lines(report)
    if flex:
        lines.append(Line(Text("")))
        lines += plain_lines(flex, no_wrap=False)
    lines.append(Line(Text("")))
    installed = (
        ", ".join(
            r.label + (f" (runtime {r.runtime_version})" if r.runtime_version else "")
            for r in report.installed
        )
        or "none"
    )
    lines.append(Line(Text(f"installed  {installed}")))
    lines += plain_lines(probe_lines(report), no_wrap=False)
    lines.append(Line(Text("")))
    lines += plain_lines(quant_lines(report), no_wrap=False)
    lines += plain_lines(memory_lines(report), no_wrap=False)
    return lines
