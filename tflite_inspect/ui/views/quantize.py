"""The Quantize pane: quantize the open float model with litert-quantizer, compare each variant
per layer with the float model, keep the ops that hurt float and re-run.

ctrl+r quantizes with the form's recipe (a calibration .npz for the static-* recipes; the
output folder defaults to a new one beside the model; an existing file is replaced only after
a `y`). The run and its per-layer comparison happen in a worker (child processes; esc
cancels). Each run is a row of the variants table; the layers table shows the selected
variant's layers worst first, `space` marks a layer's float op to keep float, `r` re-runs that
variant's recipe with the marked ops float. `o` opens the variant's file, `c` compares it with
the float model on the Compare pane. Beside the tables: SQNR along depth, and the selected
layer's float vs dequantized histogram with its clipped and saturated shares.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select
from textual.worker import get_current_worker

from ...quantize import BLOCK_SIZES, RECIPES, QuantizeError
from ..data.history import Place
from ..data.quantize_support import Job, Variant, default_outdir, float_refusal
from ..dialogs.confirm import ConfirmDialog
from ..widgets.depth_plot import DepthPlot
from ..widgets.histogram import Histogram
from ..widgets.virtual_table import VirtualTable
from .quantize_detail import variant_summary
from .quantize_results import QuantizeResults
from .quantize_tables import VariantSource
from .run import parse_count

__all__ = ["QuantizeView"]

START_HINT = (
    "Choose a recipe (enter opens the list; static-* need a calibration .npz) and "
    "press ctrl+r: the variant is written, then compared with this model per layer."
)


@dataclass
class QuantizeDone(Message):
    """The worker's run ended: `variant`, or `error` (nothing was written)."""

    variant: Variant | None = None
    error: str = ""


class QuantizeView(QuantizeResults):
    """The Quantize pane (see module docstring)."""

    view_id: ClassVar[str] = "quantize"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+r",
            "start",
            "Quantize",
            id="quantize.start",
            tooltip="Quantize with the form's recipe (no op kept float)",
        ),
        Binding(
            "space",
            "mark",
            "Float",
            id="quantize.mark",
            key_display="␣",
            tooltip="Mark or unmark the layer's float op to stay float in the next re-run",
        ),
        Binding(
            "r",
            "rerun",
            "Re-run",
            id="quantize.rerun",
            tooltip="Quantize the selected variant's recipe again, marked ops float",
        ),
        Binding(
            "o",
            "open",
            "Open",
            id="quantize.open",
            tooltip="Open the selected variant's file in a new model browser",
        ),
        Binding(
            "c",
            "compare",
            "Compare",
            id="quantize.compare",
            tooltip="Compare the selected variant with this model on the Compare pane",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            show=False,
            id="quantize.cancel",
            tooltip="Stop the running quantize or comparison",
        ),
    ]
    """Run, mark, re-run, open and compare (enter in a field runs too)."""

    def __init__(self, session: Any, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        path = session.model.path
        self.model_path = Path(path) if path is not None else None
        self.refusal = (
            float_refusal(session.model)
            if self.model_path is not None
            else "the open model has no file to quantize"
        )
        self.busy = False
        self.runs = 0  # variants are numbered by run, never reused

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if self.refusal:
            yield Label(f"! {self.refusal}", id="quantize-status", classes="status", markup=False)
            return
        assert self.model_path is not None
        recipes = [(name, name) for name in RECIPES]
        with Horizontal(classes="form-row"):
            yield Label("recipe", classes="form-label")
            yield Select(
                recipes, value="dynamic-int8", allow_blank=False, compact=True, id="quantize-recipe"
            )
            yield Label("block", classes="form-label-short")
            block = Select(
                [(str(b), b) for b in BLOCK_SIZES],
                value=BLOCK_SIZES[0],
                allow_blank=False,
                compact=True,
                id="quantize-block",
                disabled=True,
            )
            block.tooltip = "weight-int4's block size (FULLY_CONNECTED, EMBEDDING_LOOKUP)"
            yield block
            yield Label("calib", classes="form-label-short")
            yield Input(
                placeholder=".npz (static-* need one)",
                compact=True,
                id="quantize-calibration",
                classes="path",
            )
        with Horizontal(classes="form-row"):
            yield Label("output", classes="form-label")
            yield Input(
                str(default_outdir(self.model_path)),
                compact=True,
                id="quantize-outdir",
                classes="path",
            )
            yield Label("samples", classes="form-label-short")
            samples = Input(
                "",
                placeholder="auto",
                compact=True,
                id="quantize-samples",
                classes="number",
                type="integer",
            )
            samples.tooltip = (
                "samples compared with the float model: blank for the whole "
                "calibration set, or 8 seeded random ones without it"
            )
            yield samples
            yield Button("Quantize ^r", compact=True, id="quantize-start")
        yield Label(self._idle_hint(), id="quantize-status", classes="status", markup=False)
        with Horizontal(id="quantize-body", classes="results"):
            with Vertical(id="quantize-tables"):
                yield VirtualTable(
                    id="quantize-variants", selectable=False, empty_text="(no variant yet)"
                )
                yield Label(START_HINT, id="quantize-legend", markup=False)
                yield VirtualTable(
                    id="quantize-layers",
                    selectable=False,
                    empty_text="(the selected variant's layers show here)",
                )
            with Horizontal(id="quantize-detail"):
                with Vertical(id="quantize-depth-box"):
                    yield Label("SQNR along depth", id="quantize-depth-caption", markup=False)
                    yield DepthPlot(id="quantize-depth")
                with Vertical(id="quantize-hist-box"):
                    yield Label(
                        "float vs dequantized values", id="quantize-hist-caption", markup=False
                    )
                    yield Histogram(id="quantize-histogram")

    def _idle_hint(self) -> str:
        return "ctrl+r quantizes; tab moves through the fields and the tables; esc cancels"

    def on_mount(self) -> None:
        if not self.refusal:
            self._fit_variants()
            self.show_layer()

    def first_control(self) -> Any:
        if self.refusal:
            return self
        return self.query_one("#quantize-recipe", Select)

    def go(self, location: Place) -> None:
        if self.refusal:
            return
        table = self.query_one("#quantize-layers", VirtualTable)
        (table if self.variants else self.first_control()).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the keys that can act show in the footer."""
        if self.refusal and action in ("start", "mark", "rerun", "open", "compare"):
            return False
        if action in ("rerun", "open", "compare"):
            return self._selected() is not None
        if action == "mark":
            return self.shown is not None and self.shown.report is not None
        return True

    # -- starting --------------------------------------------------------------------------

    def _field(self, name: str) -> str:
        return self.query_one(f"#quantize-{name}", Input).value.strip()

    def _form_job(self) -> Job:
        """The form as a job; ValueError with a message for a bad field."""
        assert self.model_path is not None
        recipe = self.query_one("#quantize-recipe", Select).value
        block = self.query_one("#quantize-block", Select).value
        calibration = self._field("calibration")
        outdir = self._field("outdir") or str(default_outdir(self.model_path))
        samples = parse_count(self._field("samples"), "samples", minimum=1, default=None)
        return Job(
            self.model_path,
            Path(outdir).expanduser(),
            str(recipe),
            block if isinstance(block, int) else BLOCK_SIZES[0],
            Path(calibration).expanduser() if calibration else None,
            samples=samples,
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#quantize-start")
    def _submitted(self, event: Message) -> None:
        event.stop()
        self.action_start()

    @on(Select.Changed, "#quantize-recipe")
    def _recipe_changed(self, event: Select.Changed) -> None:
        event.stop()
        recipe = str(event.value)
        self.query_one("#quantize-block", Select).disabled = recipe != "weight-int4"
        if recipe in RECIPES and RECIPES[recipe].static and not self._field("calibration"):
            self.set_status(f"{recipe} needs a calibration .npz (calib); ctrl+r quantizes")
        elif not self.busy:
            self.set_status(self._idle_hint())

    def action_start(self) -> None:
        if self.refusal:
            return
        try:
            job = self._form_job()
        except ValueError as err:
            self.set_status(f"! {err}")
            return
        self.marked = set()
        self.submit(job)

    def action_rerun(self) -> None:
        base = self._selected()
        if base is None:
            return
        try:
            samples = parse_count(self._field("samples"), "samples", minimum=1, default=None)
        except ValueError as err:
            self.set_status(f"! {err}")
            return
        keep = tuple(sorted(self.marked))
        if keep == base.job.keep and base.written:
            self.set_status(
                "! nothing to change: mark layers with space (␣) to keep their ops float, then r"
            )
            return
        self.submit(
            Job(
                base.job.source,
                base.job.outdir,
                base.job.recipe,
                base.job.block_size,
                base.job.calibration,
                keep,
                samples=samples,
            )
        )

    def submit(self, job: Job) -> None:
        """Starts `job` once its one-line problems are ruled out and an existing target file
        is confirmed for replacing."""
        if self.busy:
            self.set_status("a run is under way; esc cancels it", busy=True)
            return
        problem = job.problem()
        if problem:
            self.set_status(f"! {problem}")
            return
        target = job.target
        if target.is_symlink():
            self.set_status(f"! {target} is a symbolic link; it is never written through")
            return
        if target.exists():

            def answer(yes: bool | None) -> None:
                if yes:
                    self._launch(replace(job, force=True))
                else:
                    self.set_status(f"kept {target.name}; nothing was written")

            self.app.push_screen(ConfirmDialog(f"{target} exists. Overwrite it?"), answer)
            return
        self._launch(job)

    def _launch(self, job: Job) -> None:
        self.busy = True
        kept = f", ops {','.join(map(str, job.keep))} float" if job.keep else ""
        self.set_status(f"{job.recipe}{kept}: starting…", busy=True)
        self.runs += 1
        self._run(self.runs, job)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="quantize",
        group="quantize",
        description="Quantizing the model",
    )
    def _run(self, number: int, job: Job) -> None:
        from ..data.quantize_support import run_variant

        worker = get_current_worker()
        try:
            variant = run_variant(
                number, job, self.progress_callback(worker), worker.cancelled_event
            )
        except QuantizeError as err:
            cancelled = "cancelled; nothing was written" if worker.is_cancelled else ""
            self.post_message(QuantizeDone(error=cancelled or str(err)))
            return
        if worker.is_cancelled:  # a cancelled run is no variant
            written = variant.result.path
            self.post_message(
                QuantizeDone(
                    error="cancelled; "
                    + (
                        f"{written.name} was written before the cancel"
                        if written
                        else "nothing was written"
                    )
                )
            )
            return
        self.post_message(QuantizeDone(variant))

    def on_worker_state_changed(self, event: Any) -> None:
        super().on_worker_state_changed(event)
        if event.worker.name == "quantize" and event.worker.is_finished:
            self.busy = False

    @on(QuantizeDone)
    def _done(self, message: QuantizeDone) -> None:
        message.stop()
        self.busy = False
        if message.variant is None:
            self.set_status(f"! {message.error}")
            return
        v = message.variant
        # a file written again replaces its old row: the old figures describe a file now gone
        self.variants = [
            x for x in self.variants if x.result.path is None or x.result.path != v.result.path
        ]
        self.variants.append(v)
        self.set_status(variant_summary(v))
        table = self.query_one("#quantize-variants", VirtualTable)
        table.set_source(VariantSource(self.variants), row=len(self.variants) - 1)
        self._fit_variants()
        self.show_variant(v)
        self.refresh_bindings()
        focused = self.app.focused
        # from the pane's own controls (a field's enter too) to the layers, to mark them
        if (
            v.report is not None
            and focused is not None
            and self in focused.ancestors
            and not (isinstance(focused, Select) and focused.expanded)
        ):
            self.query_one("#quantize-layers", VirtualTable).focus()
