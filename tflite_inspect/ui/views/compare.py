"""The Compare pane: the same inputs through the open model (A, the reference) and a second one
(B, the model under test), as `tflite-inspect compare A B` does.

B is a sibling variant (another .tflite file in the same folder) or any path typed in. Inputs are N
seeded random samples or a .npz with `x` (and labels `y` for accuracy). With per-layer on, every
matched intermediate tensor is compared; its rows are sorted worst first, the layer where the
error first jumps is marked "^ first jump", and enter on a row jumps to the op of the open model
that produces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select
from textual.worker import get_current_worker

from ...text.run import ISOLATED_LEGEND, LAYER_LEGEND, compare_text, isolated_first, num
from ..history import Location
from ..widgets.link_list import Line, LinkList
from .run import outcome_lines, parse_count, table_aware_lines
from .tool_pane import ToolPane, heading

__all__ = ["CompareView", "siblings"]


def siblings(path: Path | None) -> list[Path]:
    """The other .tflite files next to `path`, those sharing its stem's first word first."""
    if path is None:
        return []
    try:
        found = sorted(p for p in path.parent.glob("*.tflite")
                       if p.is_file() and p.resolve() != path.resolve())
    except OSError:
        return []
    stem = path.name.split(".")[0]
    return sorted(found, key=lambda p: (p.name.split(".")[0] != stem, p.name))


@dataclass
class CompareDone(Message):
    """The worker's comparison ended: `report` (a CompareReport) or `error`."""

    report: Any = None
    error: str = ""
    b: str = ""


class CompareView(ToolPane):
    """Compares the open model with another (see module docstring)."""

    view_id: ClassVar[str] = "compare"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start", "Compare", id="compare.start",
                tooltip="Compare the open model (A) with B"),
        Binding("escape", "cancel", "Cancel", show=False, id="compare.cancel",
                tooltip="Stop the running comparison"),
    ]
    """Start and cancel a comparison (enter in any field starts one too)."""

    def __init__(self, session: Any, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        path = session.model.path
        self.model_path = Path(path) if path is not None else None
        self.variants = siblings(self.model_path)

    def compose(self) -> ComposeResult:
        options = [(p.name, str(p)) for p in self.variants]
        with Horizontal(classes="form-row"):
            yield Label("B", classes="form-label")
            yield Select(options, prompt="(no sibling .tflite files)" if not options
                         else "sibling variant", value=options[0][1] if options else Select.NULL,
                         compact=True, id="compare-sibling")
        with Horizontal(classes="form-row"):
            yield Label("or path", classes="form-label")
            yield Input(placeholder="any .tflite path (overrides the list)", compact=True,
                        id="compare-path", classes="path")
        with Horizontal(classes="form-row"):
            yield Label("inputs", classes="form-label")
            yield Input(placeholder=".npz x/y (empty: random)", compact=True,
                        id="compare-inputs", classes="path")
            yield Label("N", classes="form-label-short")
            yield Input("8", compact=True, id="compare-samples", classes="number",
                        type="integer")
            yield Checkbox("per-layer", compact=True, id="compare-per-layer")
            yield Button("Go ^r", compact=True, id="compare-start")
        yield Label("A is the open model; enter or ^r compares, esc cancels",
                    id="compare-status", classes="status", markup=False)
        yield LinkList(id="compare-results", classes="results")

    # -- starting --------------------------------------------------------------------------

    def b_path(self) -> str | None:
        typed = self.query_one("#compare-path", Input).value.strip()
        if typed:
            return typed
        value = self.query_one("#compare-sibling", Select).value
        return value if isinstance(value, str) else None

    @on(Input.Submitted)
    @on(Button.Pressed, "#compare-start")
    def _submitted(self, event: Message) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        if self.model_path is None:
            self.set_status("! the open model has no file to run")
            return
        b = self.b_path()
        if not b:
            self.set_status("! choose B: a sibling variant or a path")
            return
        if not Path(b).is_file():
            self.set_status(f"! {b}: no such file")
            return
        inputs = self.query_one("#compare-inputs", Input).value.strip() or None
        try:
            samples = parse_count(self.query_one("#compare-samples", Input).value, "N",
                                  minimum=1, default=None if inputs else 8)
        except ValueError as err:
            self.set_status(f"! {err}")
            return
        per_layer = self.query_one("#compare-per-layer", Checkbox).value
        self.set_status(f"comparing with {Path(b).name}…", busy=True)
        self._compare(str(self.model_path), b, inputs, samples, per_layer)

    @work(thread=True, exclusive=True, exit_on_error=False, name="compare",
          description="Comparing two models")
    def _compare(self, a: str, b: str, inputs: str | None, samples: int | None,
                 per_layer: bool) -> None:
        from ...runtime import InputError, compare_models

        worker = get_current_worker()
        progress = self.progress_callback(worker)
        try:
            report = compare_models(a, b, inputs=inputs, samples=samples, per_layer=per_layer,
                                    progress=progress, cancel=worker.cancelled_event)
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
        report = message.report
        failed = report.failed
        if failed is not None:
            self.set_status(f"! {failed.label}: {failed.outcome.status}: {failed.outcome.line()}")
        else:
            self.set_status(f"A vs {Path(message.b).name}: {report.samples} samples"
                            + (f", {len(report.layers)} layers" if report.per_layer else ""))
        self.show_results(self.compare_lines(report))

    # -- lines -----------------------------------------------------------------------------

    def compare_lines(self, report: Any) -> list[Line]:
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

    def layer_lines(self, report: Any) -> list[Line]:
        t = report.tensors
        lines = [heading(f"per-layer: {t.get('matched', 0)} of {t.get('test_activations', 0)} "
                         "tensors of B matched, worst first (enter: op in Operators)")]
        jump = next((r for r in report.layers if r["jump"]), None)
        if jump is not None:
            lines.append(Line(Text.assemble(("first jump: ", "bold"),
                                            f"{jump['op_name']} tensor {jump['tensor_idx']} "
                                            f"{jump['tensor_name'][:40]}"),
                              self.layer_location(jump)))
        else:
            lines.append(Line(Text("first jump: none (no layer's SQNR drops 10 dB below its "
                                   "inputs')")))
        isolated = any(r.get("isolated") for r in report.layers)
        rows = sorted(report.layers, key=isolated_first) if isolated else report.layers
        if isolated:
            lines.append(Line(Text(ISOLATED_LEGEND, style="dim")))
            head = Text(f"{'mark':<6}{'op':<16}{'tensor':>6} {'iso dB':>8} {'acc dB':>8} "
                        f"{'iso max':>9} {'acc max':>9}  name", style="dim")
        else:
            head = Text(f"{'mark':<6}{'op':<16}{'tensor':>6} {'sqnr_db':>8} {'cosine':>8} "
                        f"{'max_abs':>9} {'rmse/sc':>7}  name", style="dim")
        head.no_wrap = True
        lines.append(Line(head))
        for row in rows:
            iso = row.get("isolated") or {}
            flagged = iso.get("flagged") if isolated else row["flagged"]
            mark = ("^jump" if row["jump"] else "") + ("*" if flagged else "")
            if isolated:
                cells = (f"{num(iso.get('sqnr_db'), 4):>8} {num(row['sqnr_db'], 4):>8} "
                         f"{num(iso.get('max_abs_error'), 3):>9} "
                         f"{num(row['max_abs_error'], 3):>9}")
            else:
                cells = (f"{num(row['sqnr_db'], 4):>8} {num(row['cosine'], 6):>8} "
                         f"{num(row['max_abs_error'], 3):>9} {num(row['rmse_scale'], 3):>7}")
            text = Text(f"{mark:<6}{row['op_name'][:15]:<16}{row['tensor_idx']:>6} {cells}  "
                        f"{row['tensor_name']}", style="bold" if row["jump"] else "")
            text.no_wrap = True
            lines.append(Line(text, self.layer_location(row)))
        lines.append(Line(Text(LAYER_LEGEND.replace("^ first", "^jump first"), style="dim")))
        if t.get("unmatched"):
            names = ", ".join(n or "(unnamed)" for n in t["unmatched"][:8])
            lines.append(Line(Text(f"unmatched in B: {names}", style="dim")))
        return lines

    def layer_location(self, row: dict[str, Any]) -> Location | None:
        """The op of the open model (A) that produces the row's reference tensor (matched by
        index, then by name); the tensor itself when no op produces it (an input)."""
        sg = self.session.subgraph(0)
        if sg is None:
            return None
        index = row.get("reference_idx")
        tensor = sg.tensor(index) if isinstance(index, int) else None
        name = row.get("reference_name") or row.get("tensor_name")
        if tensor is None or (name and tensor.name != name):
            tensor = next((x for x in sg.tensors if name and x.name == name), tensor)
        if tensor is None:
            return None
        producer = next((op for op in sg.operators if tensor.index in op.outputs), None)
        if producer is not None:
            return Location("ops", 0, producer.index)
        return Location("tensors", 0, tensor.index)
