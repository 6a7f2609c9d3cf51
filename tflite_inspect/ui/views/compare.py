"""The Compare pane: the same inputs through A (the reference) and B (the model under test), as
`tflite-inspect compare A B` does.

The open model is A and the other one B until `s` swaps them. The other one is a sibling variant
(another .tflite file in the same folder; by default the closest of the other precision, see
`ui.siblings`) or any path typed in. Inputs are N seeded random samples (8 unless told) or a .npz
with `x` (all its samples unless told; labels `y` give the accuracy). With per-layer on, every
matched intermediate tensor is compared; its rows are sorted worst first, the layer where the
error first jumps is marked "^ first jump", and enter on a row jumps to the op of the open model
that produces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select
from textual.worker import get_current_worker

from ...text.run import (
    ISOLATED_LEGEND,
    LAYER_LEGEND,
    backend_change,
    compare_text,
    num,
)
from ..data.history import Place
from ..data.siblings import counterpart, describe, siblings
from ..widgets.link_list import Line, LinkList
from ..widgets.marked_checkbox import MarkedCheckbox
from .run import outcome_lines, parse_count, table_aware_lines
from .tool_pane import ToolPane, heading

if TYPE_CHECKING:
    from ...analysis.layers import LayerRow
    from ...runtime import CompareReport
    from ...runtime.request import CompareRequest

__all__ = ["CompareView", "siblings"]

RANDOM_SAMPLES = 8
"""Random samples when no inputs file is given (the CLI's default)."""


@dataclass
class CounterpartChosen(Message):
    """The worker found the sibling to compare with by default (None: no related sibling opens)."""

    path: Path | None
    why: str = ""


@dataclass
class CompareDone(Message):
    """The worker's comparison ended: `report` or `error`."""

    report: CompareReport | None = None
    error: str = ""
    b: str = ""


class CompareView(ToolPane):
    """Compares the open model with another (see module docstring)."""

    view_id: ClassVar[str] = "compare"
    ask_before_quit: ClassVar[bool] = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start", "Compare", id="compare.start", tooltip="Compare A with B"),
        Binding(
            "s",
            "swap",
            "Swap A/B",
            id="compare.swap",
            tooltip="Exchange A (the reference) and B (the model under test)",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            show=False,
            id="compare.cancel",
            tooltip="Stop the running comparison",
        ),
    ]
    """Start a comparison (the button or ^r; enter in a field only moves on), swap A and B,
    cancel."""

    def __init__(self, session: Any, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        path = session.model.path
        self.model_path = Path(path) if path is not None else None
        self.variants = siblings(self.model_path)
        self.swapped = False  # True: the open model is B
        self.report: CompareReport | None = None  # the last one
        self._last_backend: dict[str, Any] | None = None  # A's interpreter in the last run

    def compose(self) -> ComposeResult:
        options = [(p.name, str(p)) for p in self.variants]
        with Horizontal(classes="form-row"):
            yield Label("B", classes="form-label", id="compare-other-role")
            yield Select(
                options,
                prompt="(no sibling .tflite files)" if not options else "sibling variant",
                compact=True,
                id="compare-sibling",
            )
        with Horizontal(classes="form-row"):
            yield Label("or path", classes="form-label")
            yield Input(
                placeholder="any .tflite path (overrides the list)",
                compact=True,
                id="compare-path",
                classes="path",
            )
        with Horizontal(classes="form-row"):
            yield Label("inputs", classes="form-label")
            yield Input(
                placeholder=".npz x/y (empty: random)",
                compact=True,
                id="compare-inputs",
                classes="path",
            )
            yield Label("N", classes="form-label-short")
            yield Input(
                placeholder=f"{RANDOM_SAMPLES}/all",
                compact=True,
                id="compare-samples",
                classes="number",
                type="integer",
                valid_empty=True,
            )
            yield MarkedCheckbox("per-layer", compact=True, id="compare-per-layer")
            yield Button("Go ^r", compact=True, id="compare-start")
        yield Label(self.roles(), id="compare-status", classes="status", markup=False)
        yield LinkList(id="compare-results", classes="results")

    def on_mount(self) -> None:
        if self.model_path is not None and self.variants:
            self.set_status("choosing B: the closest sibling of the other precision…", busy=True)
            self._choose(self.model_path)

    def roles(self) -> str:
        return f"{'B' if self.swapped else 'A'} is the open model; s swaps A and B, ^r compares"

    # -- the default B ---------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="counterpart",
        group="counterpart",
        description="Choosing the sibling to compare with",
    )
    def _choose(self, path: Path) -> None:
        found = counterpart(self.session.model, path, self.variants)
        self.post_message(
            CounterpartChosen(found.path if found else None, describe(found) if found else "")
        )

    @on(CounterpartChosen)
    def _chosen(self, message: CounterpartChosen) -> None:
        message.stop()
        select = self.query_one("#compare-sibling", Select)
        # a B chosen meanwhile (by the user, the Convert or Quantize pane) stays
        if message.path is not None and select.value is Select.NULL:
            select.value = str(message.path)
            self.set_status(f"A open model, B {message.why}; s swaps")
        elif message.path is None:
            self.set_status("A open model; no sibling has its input and output shapes: pick B")
        else:
            self.set_status(self.roles())

    def action_swap(self) -> None:
        """A and B change places (the next comparison's ratios are the inverse)."""
        self.swapped = not self.swapped
        self.query_one("#compare-other-role", Label).update("A" if self.swapped else "B")
        self.set_status(f"swapped: {self.roles()}")

    # -- starting --------------------------------------------------------------------------

    def b_path(self) -> str | None:
        typed = self.query_one("#compare-path", Input).value.strip()
        if typed:
            return typed
        value = self.query_one("#compare-sibling", Select).value
        return value if isinstance(value, str) else None

    @on(Input.Submitted)
    def _field_done(self, event: Input.Submitted) -> None:
        """Enter in a field moves on to the next control; only the button or ^r compares."""
        event.stop()
        self.screen.focus_next()

    @on(Button.Pressed, "#compare-start")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_start()

    def a_and_b(self, other: str) -> tuple[str, str]:
        mine = str(self.model_path)
        return (other, mine) if self.swapped else (mine, other)

    def action_start(self) -> None:
        from ...runtime import CompareRequest

        if self.model_path is None:
            self.set_status("! the open model has no file to run")
            return
        other = self.b_path()
        role = "A" if self.swapped else "B"
        if not other:
            self.set_status(f"! choose {role}: a sibling variant or a path")
            return
        if not Path(other).is_file():
            self.set_status(f"! {other}: no such file")
            return
        inputs = self.query_one("#compare-inputs", Input).value.strip() or None
        a, b = self.a_and_b(other)
        try:
            request = CompareRequest(
                a,
                b,
                inputs=inputs,
                # all the samples of an inputs file unless told, as the CLI does
                samples=parse_count(
                    self.query_one("#compare-samples", Input).value,
                    "N",
                    minimum=1,
                    default=None if inputs else RANDOM_SAMPLES,
                ),
                per_layer=self.query_one("#compare-per-layer", Checkbox).value,
            )
        except (ValueError, OSError) as err:
            self.set_status(f"! {err}")
            return
        self.set_status(f"comparing {Path(a).name} (A) with {Path(b).name} (B)…", busy=True)
        self._compare(request)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="compare",
        group="compare",
        description="Comparing two models",
    )
    def _compare(self, request: CompareRequest) -> None:
        from ...runtime import InputError, compare_models

        worker = get_current_worker()
        progress = self.progress_callback(worker)
        b = str(request.b)
        try:
            report = compare_models(request, progress=progress, cancel=worker.cancelled_event)
        except (InputError, OSError) as err:
            self.post_message(CompareDone(error=str(err), b=b))
            return
        self.post_message(CompareDone(report, b=b))

    @on(CompareDone)
    def _done(self, message: CompareDone) -> None:
        message.stop()
        if message.report is None:
            self.set_status(f"! {message.error}")
            return
        report = self.report = message.report
        failed = report.failed
        if failed is not None:
            self.set_status(f"! {failed.label}: {failed.outcome.status}: {failed.outcome.line()}")
        else:
            self.set_status(
                f"{Path(report.a.file['path']).name} (A) vs "
                f"{Path(report.b.file['path']).name} (B): {report.samples} samples"
                + (f", {len(report.layers)} layers" if report.per_layer else "")
            )
        lines = self.compare_lines(report)
        if failed is None:
            change = self.interpreter_change(report)
            if change:
                lines[:0] = [Line(Text(change, style="bold")), Line(Text(""))]
        self.show_results(lines)

    def interpreter_change(self, report: CompareReport) -> str | None:
        """The sentence saying that this run's interpreter (resolver, delegate) differs from
        the last run's, or A's from B's; None when nothing changed."""
        before, self._last_backend = self._last_backend, dict(report.a.backend)
        said = [
            backend_change(before, report.a.backend, per_layer=report.per_layer)
            if before is not None
            else None,
            backend_change(
                report.a.backend, report.b.backend, per_layer=report.per_layer, between=("A", "B")
            ),
        ]
        return "\n".join(x for x in said if x) or None

    # -- lines -----------------------------------------------------------------------------

    def compare_lines(self, report: CompareReport) -> list[Line]:
        failed = report.failed
        if failed is not None:
            lines = outcome_lines(failed.outcome, f"{failed.label} ")
            lines.append(Line(Text(f"A  {report.a.file['path']}")))
            lines.append(Line(Text(f"B  {report.b.file['path']}")))
            return lines
        # the layers come below, as links
        lines = table_aware_lines(compare_text(report, 0, layers=False))
        if report.per_layer:
            lines.append(Line(Text("")))
            lines += self.layer_lines(report)
        return lines

    def layer_lines(self, report: CompareReport) -> list[Line]:
        from ...analysis.layers import isolated_first

        t = report.tensors
        lines = [
            heading(
                f"per-layer: {t.get('matched', 0)} of {t.get('test_activations', 0)} "
                "tensors of B matched, worst first (enter: op in Operators)"
            )
        ]
        jump = next((r for r in report.layers if r.jump), None)
        if jump is not None:
            lines.append(
                Line(
                    Text.assemble(
                        ("first jump: ", "bold"),
                        f"{jump.op_name} tensor {jump.tensor_idx} {jump.tensor_name[:40]}",
                    ),
                    self.layer_location(jump),
                )
            )
        else:
            lines.append(
                Line(Text("first jump: none (no layer's SQNR drops 10 dB below its inputs')"))
            )
        isolated = any(r.isolated is not None for r in report.layers)
        rows = sorted(report.layers, key=isolated_first) if isolated else report.layers
        if isolated:
            lines.append(Line(Text(ISOLATED_LEGEND, style="dim")))
            head = Text(
                f"{'mark':<6}{'op':<16}{'tensor':>6} {'iso dB':>8} {'acc dB':>8} "
                f"{'iso max':>9} {'acc max':>9}  name",
                style="dim",
            )
        else:
            head = Text(
                f"{'mark':<6}{'op':<16}{'tensor':>6} {'sqnr_db':>8} {'cosine':>8} "
                f"{'max_abs':>9} {'rmse/sc':>7}  name",
                style="dim",
            )
        head.no_wrap = True
        lines.append(Line(head))
        for row in rows:
            iso, acc = row.isolated, row.metrics
            flagged = (iso is not None and iso.flagged) if isolated else acc.flagged
            mark = ("^jump" if row.jump else "") + ("*" if flagged else "")
            if isolated:
                cells = (
                    f"{num(iso.sqnr_db if iso else None, 4):>8} {num(acc.sqnr_db, 4):>8} "
                    f"{num(iso.max_abs_error if iso else None, 3):>9} "
                    f"{num(acc.max_abs_error, 3):>9}"
                )
            else:
                cells = (
                    f"{num(acc.sqnr_db, 4):>8} {num(acc.cosine, 6):>8} "
                    f"{num(acc.max_abs_error, 3):>9} {num(acc.rmse_scale, 3):>7}"
                )
            text = Text(
                f"{mark:<6}{row.op_name[:15]:<16}{row.tensor_idx:>6} {cells}  {row.tensor_name}",
                style="bold" if row.jump else "",
            )
            text.no_wrap = True
            lines.append(Line(text, self.layer_location(row)))
        lines.append(Line(Text(LAYER_LEGEND.replace("^ first", "^jump first"), style="dim")))
        if t.get("unmatched"):
            names = ", ".join(n or "(unnamed)" for n in t["unmatched"][:8])
            lines.append(Line(Text(f"unmatched in B: {names}", style="dim")))
        return lines

    def layer_location(self, row: LayerRow) -> Place | None:
        """The op of the open model that produces the row's tensor of that model (A's
        reference tensor, B's when swapped; matched by index, then by name); the tensor itself
        when no op produces it (an input)."""
        sg = self.session.subgraph(0)
        if sg is None:
            return None
        # the open model is A (the reference) unless swapped
        index, name = row.index("test" if self.swapped else "reference")
        tensor = sg.tensor(index)
        if tensor is None or (name and tensor.name != name):
            tensor = next((x for x in sg.tensors if name and x.name == name), tensor)
        if tensor is None:
            return None
        producer = next((op for op in sg.operators if tensor.index in op.outputs), None)
        if producer is not None:
            return Place("ops", 0, producer.index)
        return Place("tensors", 0, tensor.index)
