"""The Run pane: run the open model in an interpreter child process (`tflite-inspect run`).

Inputs are seeded random samples (1 unless told) unless a .npy/.npz path is given (all its samples
unless told, as the CLI does); `runs` timed invocations give
the latency. The run happens in a worker with progress; `escape` cancels it. However the run ends
(an unresolved op, a crash, a hang) the pane shows it as one outcome line and stays usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Label
from textual.worker import get_current_worker

from ...text.run import backend_change, run_text
from ...text.units import duration, fmt_bytes
from ..widgets.link_list import Line, LinkList
from .tool_pane import ToolPane, heading, plain_lines

if TYPE_CHECKING:
    from ...runtime import RunReport
    from ...runtime.request import RunRequest

__all__ = ["RunView", "outcome_lines", "parse_count"]


def parse_count(text: str, name: str, *, minimum: int, default: int | None) -> int | None:
    """A form field as an int (blank: `default`); ValueError with a message otherwise."""
    text = text.strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
    return value


def outcome_lines(outcome: Any, who: str = "") -> list[Line]:
    """How a failed run ended: the one line the CLI prints, the op it names, the child's
    details (dimmed)."""
    head = Text.assemble(("! ", "bold"), (f"{who}{outcome.status}: ", "bold"), outcome.line())
    lines = [Line(head)]
    if outcome.op:
        lines.append(Line(Text(f"  op: {outcome.op}")))
    if outcome.backend:
        lines.append(
            Line(
                Text(
                    f"  interpreter: {outcome.backend} {outcome.backend_version or ''}"
                    f", resolver {outcome.resolver}"
                )
            )
        )
    details = (outcome.details or "").strip()
    if details and details != outcome.message:
        lines += plain_lines(details.splitlines()[-12:], style="dim", no_wrap=False)
    return lines


@dataclass
class RunDone(Message):
    """The worker's run ended: `report` or `error` (unusable inputs)."""

    report: RunReport | None = None
    error: str = ""


class RunView(ToolPane):
    """Runs the open model (see module docstring)."""

    view_id: ClassVar[str] = "run"
    ask_before_quit: ClassVar[bool] = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start", "Run", id="run.start", tooltip="Run the model"),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            show=False,
            id="run.cancel",
            tooltip="Stop the running interpreter",
        ),
    ]
    """Start a run (the button or ^r; enter in a field only moves on) and cancel it."""

    _last_backend: dict[str, Any] | None = None  # the interpreter of the last run

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("inputs", classes="form-label")
            yield Input(
                placeholder=".npy/.npz path (empty: random samples)",
                compact=True,
                id="run-inputs",
                classes="path",
            )
        with Horizontal(classes="form-row"):
            yield Label("samples", classes="form-label")
            yield Input(
                placeholder="1/all",
                compact=True,
                id="run-samples",
                classes="number",
                valid_empty=True,
                type="integer",
            )
            yield Label("seed", classes="form-label-short")
            yield Input("0", compact=True, id="run-seed", classes="number", type="integer")
            yield Label("runs", classes="form-label-short")
            yield Input("20", compact=True, id="run-runs", classes="number", type="integer")
            yield Button("Run ^r", compact=True, id="run-start")
        yield Label("^r runs; esc cancels", id="run-status", classes="status", markup=False)
        yield LinkList(id="run-results", classes="results")

    # -- starting --------------------------------------------------------------------------

    def _value(self, name: str) -> str:
        return self.query_one(f"#run-{name}", Input).value

    @on(Input.Submitted)
    def _field_done(self, event: Input.Submitted) -> None:
        """Enter in a field moves on to the next control; only the button or ^r runs."""
        event.stop()
        self.screen.focus_next()

    @on(Button.Pressed, "#run-start")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        from ...runtime import RunRequest

        path = self.session.model.path
        if path is None:
            self.set_status("! the model has no file to run")
            return
        try:
            inputs = self._value("inputs").strip() or None
            request = RunRequest(
                path,
                inputs=inputs,
                samples=parse_count(
                    self._value("samples"), "samples", minimum=1, default=None if inputs else 1
                ),
                seed=parse_count(self._value("seed"), "seed", minimum=0, default=0) or 0,
                runs=parse_count(self._value("runs"), "runs", minimum=0, default=20) or 0,
            )
        except (ValueError, OSError) as err:
            self.set_status(f"! {err}")
            return
        self.set_status("starting the interpreter…", busy=True)
        self._run(request)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="run",
        group="run",
        description="Running the model",
    )
    def _run(self, request: RunRequest) -> None:
        from ...runtime import InputError, run_model

        worker = get_current_worker()
        progress = self.progress_callback(worker)
        try:
            report = run_model(request, progress=progress, cancel=worker.cancelled_event)
        except (InputError, OSError) as err:
            self.post_message(RunDone(error=str(err)))
            return
        self.post_message(RunDone(report))

    @on(RunDone)
    def _done(self, message: RunDone) -> None:
        message.stop()
        if message.report is None:
            self.set_status(f"! {message.error}")
            return
        report = message.report
        outcome = report.outcome
        if outcome.ok:
            lat = report.latency
            timing = f", p50 {duration(lat.p50_ms)}" if lat is not None and lat.p50_ms else ""
            self.set_status(f"ok: {report.samples} sample(s){timing}")
        else:
            self.set_status(f"! {outcome.status}: {outcome.line()}")
        lines = run_lines(report)
        if outcome.ok:
            info = outcome.to_dict()
            before, self._last_backend = self._last_backend, info
            change = backend_change(before, info) if before is not None else None
            if change:
                lines[:0] = [Line(Text(change, style="bold")), Line(Text(""))]
        self.show_results(lines)


def run_lines(report: RunReport) -> list[Line]:
    """A RunReport as lines: the CLI's text when it ran, the outcome otherwise."""
    o = report.outcome
    if not o.ok:
        lines = outcome_lines(o)
        lines.append(Line(Text("")))
        lines.append(
            Line(Text(f"file     {report.model['path']}  {fmt_bytes(report.model['size'])}"))
        )
        if report.inputs:
            lines.append(heading("inputs"))
            lines += plain_lines([f"  {s.describe()}" for s in report.inputs])
        return lines
    return table_aware_lines(run_text(report))


def table_aware_lines(text: str) -> list[Line]:
    """CLI text as lines: tables (a header over a dashed rule, rows up to a blank or indented
    line) keep their columns and scroll sideways; other lines wrap."""
    rows = text.splitlines()
    tabular: set[int] = set()
    for i, row in enumerate(rows):
        if i and row.strip() and set(row.strip()) <= {"-", " "}:
            tabular.add(i - 1)
            j = i
            while j < len(rows) and rows[j].strip() and not rows[j].startswith("  "):
                tabular.add(j)
                j += 1
    out: list[Line] = []
    for i, row in enumerate(rows):
        t = Text(row)
        t.no_wrap = i in tabular
        out.append(Line(t))
    return out
