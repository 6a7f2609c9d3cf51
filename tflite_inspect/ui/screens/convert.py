"""The Convert pane: a SavedModel folder or a Keras file to TFLite variants.

`tflite-inspect SOURCE` opens here when SOURCE is a conversion source. Three tabs:

* Setup: the variants, the converter options, the calibration file, the output folder, force;
  `ctrl+r` (or the Convert button) starts the run.
* Progress: one row per variant (pending / converting / calibrating / verifying / done /
  failed, elapsed), the stage line and a progress bar fed by the run's stage events, and what
  happened in our words; `l` shows TensorFlow's own log (hidden by default: it is also in
  convert.log); `escape` cancels (the child's process group is killed, nothing is written).
* Result: on success the variants table (`enter`/`o` opens the row in the model browser, `space`
  marks, `c` compares two); on failure the failing-op table and one key per retry (`s` with
  SELECT_TF_OPS, `a` with allow_custom_ops).

The run is a `ConvertJob` in a thread worker; its events come back as messages. TensorFlow only
ever runs in the job's child process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Footer,
    Input,
    Label,
    ProgressBar,
    RichLog,
    Select,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.selection_list import Selection
from textual.worker import Worker, WorkerState

from ...convert import (
    VARIANTS,
    ConvertError,
    ConvertEvent,
    ConvertJob,
    ConvertOptions,
    ConvertRequest,
    ConvertResult,
    detect_source_kind,
    failure_groups,
    failure_of,
)
from ...text.units import duration
from ..data.convert_support import (
    COLUMNS_FAILURES,
    COLUMNS_VARIANTS,
    RANDOM_CALIBRATION_WARNING,
    StageLine,
    default_calibration,
    default_outdir,
    failure_rows,
    retry_request,
    shown_path,
    variant_rows,
)
from ..data.view_registry import VIEWS as VIEWS_OF_MAIN
from ..messages import ReportsWorkerErrors

__all__ = ["CompareResultScreen", "ConvertScreen"]

SHORT = {
    "float32": "no optimization",
    "dynamic": "int8 weights",
    "float16": "float16 weights",
    "int8": "int8, float I/O",
    "int8-io": "int8, integer I/O",
    "int16x8": "int16 activations",
}
"""What each variant is, short enough for the 80-column selection list."""

KIND_NAMES = {"saved_model": "SavedModel", "keras": "Keras model", "h5": "Keras HDF5 model"}
RETRY_OPTIONS = {"select_tf_ops": "--select-tf-ops", "allow_custom_ops": "--allow-custom-ops"}


@dataclass
class ConvertProgress(Message):
    """One ConvertEvent from the worker thread."""

    event: ConvertEvent


@dataclass
class ConvertFinished(Message):
    """The run ended: `result` is None when it was refused before starting (`refusal` says
    why)."""

    request: ConvertRequest
    result: ConvertResult | None
    refusal: str = ""


@dataclass
class CompareFinished(Message):
    """A compare of two variants ended; `text` is the report (or the error)."""

    title: str
    text: str


async def choose_compare_b(screen: Any, b: Path) -> None:
    """Shows `screen`'s (a MainScreen's) Compare pane with `b` chosen as model B: in the
    sibling list when it is there, else typed as a path."""
    from ..data.history import Place

    await screen.go(Place("compare"))
    view = screen.query_one("#view-compare")
    try:
        select = view.query_one("#compare-sibling", Select)
        for _label, value in getattr(select, "_options", []):
            if isinstance(value, str) and Path(value).resolve() == b.resolve():
                select.value = value
                return
    except NoMatches:
        pass
    try:
        view.query_one("#compare-path", Input).value = str(b)
    except NoMatches:
        pass


class CompareResultScreen(ModalScreen[None]):
    """The compare report of two variants, as `tflite-inspect compare` prints it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "dismiss(None)", "Close", id="convert.compare-close"),
    ]
    DEFAULT_CSS = """
    CompareResultScreen { align: center middle; }
    CompareResultScreen > VerticalScroll {
        width: 100%; max-width: 120; height: 100%; max-height: 40;
        border: round $primary; padding: 0 1; background: $surface;
    }
    """

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self._title = title
        self._text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = self._title
            scroll.border_subtitle = "escape closes"
            yield Static(self._text, markup=False)


class ConvertScreen(ReportsWorkerErrors, Screen[None]):
    """Converts one source (see module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+r,f5",
            "convert",
            "Convert",
            id="convert.run",
            tooltip="Convert the selected variants",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="convert.cancel",
            tooltip="Stop the conversion; nothing is written",
        ),
        Binding(
            "s",
            "retry('select_tf_ops')",
            "Retry +TF ops",
            id="convert.retry-select",
            tooltip="Convert again with SELECT_TF_OPS (Flex)",
        ),
        Binding(
            "a",
            "retry('allow_custom_ops')",
            "Retry +custom",
            id="convert.retry-custom",
            tooltip="Convert again with allow_custom_ops",
        ),
        Binding(
            "o",
            "open",
            "Open",
            id="convert.open",
            tooltip="Open the selected variant in the model browser",
        ),
        Binding("space", "mark", "Mark", id="convert.mark", tooltip="Mark a variant for compare"),
        Binding(
            "c",
            "compare",
            "Compare",
            id="convert.compare",
            tooltip="Compare the two marked variants (or the marked one and the cursor's)",
        ),
        Binding(
            "l",
            "toggle_log",
            "Show log",
            id="convert.log",
            tooltip="Show or hide TensorFlow's own log (it is also in convert.log)",
        ),
    ]

    DEFAULT_CSS = """
    ConvertScreen { align: left top; }
    ConvertScreen #cv-body { width: 1fr; height: 1fr; }
    ConvertScreen #cv-title { height: 1; padding: 0 1; text-style: bold; }
    ConvertScreen #cv-tabs { height: 1fr; }
    ConvertScreen #cv-tabs > ContentSwitcher { height: 1fr; }
    ConvertScreen #cv-tabs TabPane { padding: 0 1; height: 1fr; }
    ConvertScreen #cv-choices { height: 8; }
    ConvertScreen #cv-variants { width: 38; height: 8; }
    ConvertScreen #cv-options { width: 1fr; height: 8; padding-left: 1; }
    ConvertScreen #cv-options Checkbox { border: none; padding: 0; height: 1; width: 1fr; }
    ConvertScreen #cv-options Label { color: $text-muted; }
    ConvertScreen .cv-row { height: 1; margin-top: 1; }
    ConvertScreen .cv-row > Label { width: 15; }
    ConvertScreen .cv-row > Input { width: 1fr; }
    ConvertScreen #cv-calib-warning { height: auto; color: $warning; padding-left: 15; }
    ConvertScreen #cv-calib-warning.-empty { display: none; }
    ConvertScreen #cv-actions { height: 1; margin-top: 1; }
    ConvertScreen #cv-actions > Button { margin-right: 2; }
    ConvertScreen #cv-status { height: auto; color: $error; padding-left: 2; width: 1fr; }
    ConvertScreen #cv-rows { height: auto; max-height: 8; }
    ConvertScreen #cv-stage-row { height: 1; margin-top: 1; }
    ConvertScreen #cv-stage { width: 1fr; }
    ConvertScreen #cv-bar { width: 40; }
    ConvertScreen #cv-log { height: 1fr; border-top: hkey $panel-lighten-2; }
    ConvertScreen #cv-raw { height: 1fr; border-top: hkey $panel-lighten-2; display: none; }
    ConvertScreen.-raw-log #cv-raw { display: block; }
    ConvertScreen #cv-result-title { height: auto; }
    ConvertScreen #cv-result-table { height: auto; max-height: 12; margin-top: 1; }
    ConvertScreen #cv-result-hint { height: auto; color: $text-muted; margin-top: 1; }
    """

    def __init__(self, source: str | Path) -> None:
        super().__init__()
        self.source = Path(source)
        try:
            self.kind: str | None = detect_source_kind(self.source)
        except ConvertError:
            self.kind = None
        self.request: ConvertRequest | None = None
        self.result: ConvertResult | None = None
        self.running = False
        self.marked: list[str] = []
        self._cancel: threading.Event | None = None
        self._started: dict[str, float] = {}
        self._ended: dict[str, float] = {}
        self.stage_line = StageLine(())

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        calibration = default_calibration(self.source)
        kind = KIND_NAMES.get(self.kind or "", "source")
        with Vertical(id="cv-body"):
            yield Static(
                f"Convert {shown_path(self.source)} ({kind}) to TFLite", id="cv-title", markup=False
            )
            with TabbedContent(initial="cv-setup", id="cv-tabs"):
                with TabPane("Setup", id="cv-setup"), VerticalScroll(id="cv-form"):
                    with Horizontal(id="cv-choices"):
                        selections = [Selection(f"{v:<8} {SHORT[v]}", v, True) for v in VARIANTS]
                        variants = SelectionList[str](*selections, id="cv-variants")
                        variants.border_title = "Variants"
                        yield variants
                        with Vertical(id="cv-options"):
                            yield Label("Options")
                            yield Checkbox("select TF ops (Flex)", id="cv-select-tf-ops")
                            yield Checkbox("allow custom ops", id="cv-allow-custom-ops")
                            yield Checkbox("per-channel weights", True, id="cv-per-channel")
                            yield Checkbox("int8-io with uint8 I/O", id="cv-uint8")
                            yield Checkbox("force: replace outputs", id="cv-force")
                    with Horizontal(classes="cv-row"):
                        yield Label("Calibration")
                        yield Input(
                            shown_path(calibration) if calibration else "",
                            placeholder=".npz / .npy / folder (empty: random data)",
                            compact=True,
                            id="cv-calibration",
                        )
                    yield Static("", id="cv-calib-warning")
                    with Horizontal(classes="cv-row"):
                        yield Label("Output folder")
                        yield Input(
                            shown_path(default_outdir(self.source)), compact=True, id="cv-outdir"
                        )
                    with Horizontal(id="cv-actions"):
                        yield Button("Convert", variant="primary", compact=True, id="cv-run")
                        yield Static("", id="cv-status", markup=False)
                with TabPane("Progress", id="cv-progress"):
                    yield DataTable(cursor_type="row", zebra_stripes=False, id="cv-rows")
                    with Horizontal(id="cv-stage-row"):
                        yield Static("", id="cv-stage", markup=False)
                        yield ProgressBar(total=None, show_eta=False, id="cv-bar")
                    yield RichLog(max_lines=1000, wrap=True, markup=False, id="cv-log")
                    yield RichLog(max_lines=5000, wrap=False, markup=False, id="cv-raw")
                with TabPane("Result", id="cv-result"):
                    yield Static(
                        "nothing converted yet (ctrl+r on Setup)",
                        id="cv-result-title",
                        markup=False,
                    )
                    yield DataTable(cursor_type="row", id="cv-result-table")
                    yield Static("", id="cv-result-hint", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        rows = self.query_one("#cv-rows", DataTable)
        for key, label in (
            ("variant", "variant"),
            ("state", "state"),
            ("elapsed", "elapsed"),
            ("bytes", "bytes"),
        ):
            rows.add_column(label, key=key)
        self._update_calibration_warning()
        if self.kind is None:
            try:
                detect_source_kind(self.source)
            except ConvertError as err:
                self._status(str(err))
        self.query_one("#cv-variants", SelectionList).focus()
        self.set_interval(0.5, self._tick)

    # -- the form ----------------------------------------------------------------------------

    def _checked(self, name: str) -> bool:
        return self.query_one(f"#cv-{name}", Checkbox).value

    def selected_variants(self) -> tuple[str, ...]:
        chosen = set(self.query_one("#cv-variants", SelectionList).selected)
        return tuple(v for v in VARIANTS if v in chosen)

    def build_request(self) -> ConvertRequest:
        """The request the form describes (no check against the file system)."""
        calibration = self.query_one("#cv-calibration", Input).value.strip()
        outdir = self.query_one("#cv-outdir", Input).value.strip()
        options = ConvertOptions(
            select_tf_ops=self._checked("select-tf-ops"),
            allow_custom_ops=self._checked("allow-custom-ops"),
            per_channel=self._checked("per-channel"),
            io_type="uint8" if self._checked("uint8") else "int8",
        )
        return ConvertRequest(
            source=self.source,
            outdir=Path(outdir) if outdir else default_outdir(self.source),
            variants=self.selected_variants(),
            calibration=Path(calibration) if calibration else None,
            options=options,
            force=self._checked("force"),
        )

    def _show_request(self, request: ConvertRequest) -> None:
        """Sets the form to `request` (after a retry changed its options)."""
        self.query_one("#cv-select-tf-ops", Checkbox).value = request.options.select_tf_ops
        self.query_one("#cv-allow-custom-ops", Checkbox).value = request.options.allow_custom_ops

    @on(Input.Changed, "#cv-calibration")
    @on(SelectionList.SelectedChanged, "#cv-variants")
    def _update_calibration_warning(self) -> None:
        calibrated = [v for v in self.selected_variants() if VARIANTS[v].calibrated]
        empty = not self.query_one("#cv-calibration", Input).value.strip()
        warning = self.query_one("#cv-calib-warning", Static)
        warning.update(f"! {RANDOM_CALIBRATION_WARNING}" if empty and calibrated else "")
        warning.set_class(not (empty and calibrated), "-empty")

    def _status(self, text: str) -> None:
        self.query_one("#cv-status", Static).update(text)

    # -- running -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        result = self.result
        if action == "convert":
            return not self.running
        if action == "cancel":
            return self.running
        if action == "retry":
            return (
                not self.running
                and result is not None
                and not result.ok
                and self._retry_wanted(str(parameters[0]))
            )
        if action in ("open", "mark", "compare"):
            return not self.running and result is not None and bool(result.summaries)
        if action == "toggle_log":
            return self.request is not None  # hidden until a run has a log to show
        return True

    def _retry_wanted(self, option: str) -> bool:
        """A retry with `option` makes sense: some failing op is allowed by it (or the failure
        named no op at all) and the last request did not already have it."""
        result, request = self.result, self.request
        if result is None or request is None or result.outcome != "conversion_failed":
            return False
        if getattr(request.options, option):
            return False
        # only when a failing op names this option as its fix: a retry cannot help otherwise
        fixes = {e.fix.option for e in result.op_errors if e.fix is not None}
        return option in fixes

    @on(Button.Pressed, "#cv-run")
    def _run_pressed(self) -> None:
        self.action_convert()

    def action_convert(self) -> None:
        if self.running:
            return
        request = self.build_request()
        if not request.variants:
            self._status("choose at least one variant")
            return
        self.start(request)

    def start(self, request: ConvertRequest) -> None:
        """Checks `request` and runs it; a refusal is shown on the Setup tab."""
        self._status("")
        try:
            job = ConvertJob(request, on_event=self._on_event, cancel=threading.Event())
            job.check()
        except ConvertError as err:
            self._status(str(err))
            self.query_one("#cv-tabs", TabbedContent).active = "cv-setup"
            return
        self.request = request
        self.result = None
        self.marked = []
        self.running = True
        self._cancel = job._cancel  # the event job.cancel() sets
        self._started.clear()
        self._ended.clear()
        rows = self.query_one("#cv-rows", DataTable)
        rows.clear()
        for v in request.variants:
            rows.add_row(v, "pending", "", "", key=v)
        log = self.query_one("#cv-log", RichLog)
        log.clear()
        log.write(f"$ {request.command_line()}")
        self.query_one("#cv-raw", RichLog).clear()
        self.stage_line = StageLine(request.variants)
        self._show_stage()
        self.query_one("#cv-result-title", Static).update("converting ...")
        self.query_one("#cv-result-table", DataTable).clear(columns=True)
        self.query_one("#cv-result-hint", Static).update("")
        self.query_one("#cv-tabs", TabbedContent).active = "cv-progress"
        rows.focus()
        self.refresh_bindings()
        self._convert(job)

    def _on_event(self, event: ConvertEvent) -> None:
        """Called on the worker thread: hands the event to the UI thread."""
        self.post_message(ConvertProgress(event))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="convert",
        group="convert",
        description="Converting",
    )
    def _convert(self, job: ConvertJob) -> None:
        try:
            result = job.run()
        except ConvertError as err:  # an output appeared while converting
            self.post_message(ConvertFinished(job.request, None, str(err)))
            return
        self.post_message(ConvertFinished(job.request, result))

    def action_cancel(self) -> None:
        if self.running and self._cancel is not None:
            self._cancel.set()
            self.query_one("#cv-log", RichLog).write("cancelling ...")

    def action_retry(self, option: str) -> None:
        if self.running or self.request is None:
            return
        request = retry_request(self.request, option)
        self._show_request(request)
        self.start(request)

    def _set_row(self, variant: str | None, state: str, size: str | None = None) -> None:
        if variant is None:
            return
        rows = self.query_one("#cv-rows", DataTable)
        try:
            rows.update_cell(variant, "state", state, update_width=True)
            if size is not None:
                rows.update_cell(variant, "bytes", size, update_width=True)
        except Exception:  # noqa: BLE001 - a row of an earlier run
            return

    def _tick(self) -> None:
        if not self.running:
            return
        rows = self.query_one("#cv-rows", DataTable)
        now = time.monotonic()
        for v, t0 in self._started.items():
            end = self._ended.get(v, now)
            try:
                rows.update_cell(v, "elapsed", duration((end - t0) * 1000), update_width=True)
            except Exception:  # noqa: BLE001
                pass

    def action_toggle_log(self) -> None:
        """Shows or hides TensorFlow's own log under our event lines."""
        self.toggle_class("-raw-log")

    def _show_stage(self) -> None:
        line = self.stage_line
        self.query_one("#cv-stage", Static).update(line.text)
        bar = self.query_one("#cv-bar", ProgressBar)
        if line.progress is None:
            bar.update(total=None)
        else:
            bar.update(total=line.total, progress=line.progress)

    @on(ConvertProgress)
    def _progress(self, message: ConvertProgress) -> None:
        e = message.event
        d = e.data
        log = self.query_one("#cv-log", RichLog)
        if self.stage_line.update(e):
            self._show_stage()
        if e.kind == "log":
            self.query_one("#cv-raw", RichLog).write(str(d.get("line", "")))
        elif e.kind == "stage":
            if e.stage == "calibrating" and e.done == 0 and e.variant:
                self._set_row(e.variant, "calibrating")
            elif e.stage == "verifying" and e.variant:
                self._set_row(e.variant, "verifying")
        elif e.kind == "started":
            log.write(
                f"started TensorFlow (pid {d.get('pid')}); log: "
                f"{shown_path(d['log']) if d.get('log') else '-'}"
            )
        elif e.kind == "loading":
            tf = f" (TensorFlow {d['tensorflow']})" if d.get("tensorflow") else ""
            log.write(f"loading the {KIND_NAMES.get(d.get('kind', ''), 'source')}{tf}")
        elif e.kind == "loaded":
            inputs = ", ".join(
                f"{i['name']} {i['shape']} {i['dtype']}" for i in d.get("inputs", [])
            )
            log.write(f"loaded in {duration(d.get('seconds', 0) * 1000)}; inputs: {inputs}")
        elif e.kind == "calibration":
            if d.get("kind") == "random":
                log.write(f"WARNING: {d.get('warning', '')}")
            log.write(f"calibration: {d.get('samples')} samples ({d.get('kind')})")
        elif e.kind == "variant_started" and e.variant:
            self._started[e.variant] = time.monotonic()
            self._set_row(e.variant, "converting")
        elif e.kind == "variant_converted":
            self._set_row(e.variant, "verifying", f"{d.get('bytes', 0):,}")
        elif e.kind == "variant_done" and e.variant:
            self._ended[e.variant] = time.monotonic()
            self._set_row(e.variant, "done", f"{d.get('bytes', 0):,}")
            self._tick_one(e.variant)
        elif e.kind == "variant_failed" and e.variant:
            self._ended[e.variant] = time.monotonic()
            kind = failure_of(d.get("stage"), d.get("failure"))
            self._set_row(e.variant, f"failed: {kind.label}")
            self._tick_one(e.variant)
            text = " ".join(str(d.get("message", "")).split())
            log.write(f"{e.variant}: failed: {text}" if text else f"{e.variant}: {kind.label}")
            if d.get("hint"):
                log.write(f"  hint: {d['hint']}")
        elif e.kind == "source_failed":
            log.write(f"the source failed: {d.get('message', '')}")
        elif e.kind == "committed":
            log.write(f"wrote {len(d.get('files', []))} file(s) and variants.json")

    def _tick_one(self, variant: str) -> None:
        t0 = self._started.get(variant)
        end = self._ended.get(variant)
        if t0 is not None and end is not None:
            try:
                self.query_one("#cv-rows", DataTable).update_cell(
                    variant, "elapsed", duration((end - t0) * 1000), update_width=True
                )
            except Exception:  # noqa: BLE001
                pass

    @on(ConvertFinished)
    def _finished(self, message: ConvertFinished) -> None:
        self.running = False
        self.result = message.result
        tabs = self.query_one("#cv-tabs", TabbedContent)
        if message.result is None:
            self._status(message.refusal)
            tabs.active = "cv-setup"
            self.refresh_bindings()
            return
        result = message.result
        rows = self.query_one("#cv-rows", DataTable)
        for v in message.request.variants:
            if v not in self._ended:
                state = (
                    "cancelled"
                    if result.outcome == "cancelled"
                    else ("not run" if v not in self._started else "stopped")
                )
                self._set_row(v, state)
        if result.outcome == "cancelled" and not result.summaries:
            self.query_one("#cv-log", RichLog).write("cancelled; nothing was written")
            self.query_one("#cv-result-title", Static).update("cancelled; nothing was written")
            rows.focus()
        else:
            self._show_result(message.request, result)
            tabs.active = "cv-result"
            self.query_one("#cv-result-table", DataTable).focus()
        self.refresh_bindings()

    def _show_result(self, request: ConvertRequest, result: ConvertResult) -> None:
        title = self.query_one("#cv-result-title", Static)
        table = self.query_one("#cv-result-table", DataTable)
        hint = self.query_one("#cv-result-hint", Static)
        table.clear(columns=True)
        if result.summaries:
            title.update(_written_title(request, result))
            table.add_column(" ", key="mark")
            for col in COLUMNS_VARIANTS:
                table.add_column(col, key=col)
            for summary, row in zip(result.summaries, variant_rows(result.summaries), strict=True):
                table.add_row(" ", *row, key=summary.variant)
            hint.update(
                "\n".join(
                    [
                        *_outcome_lines(result),
                        "enter/o open in the browser   space mark   c compare two "
                        "marked (or marked + cursor)   f2 in the browser comes back "
                        "here",
                    ]
                )
            )
            return
        failed = [v for v in result.variants if v.status == "failed"]
        if failed:  # every variant failed: say how, once per way (the lines below)
            labels = ", ".join(dict.fromkeys(g.label for g in failure_groups(failed)))
            title.update(
                f"{len(failed)} of {len(result.variants)} variant(s) failed "
                f"({labels}); nothing was written"
            )
        else:
            where = f"converting {result.variant} " if result.variant else ""
            first = result.message.strip().splitlines()[0] if result.message.strip() else ""
            title.update(f"{where}failed ({result.outcome}): {first}")
        for col in COLUMNS_FAILURES:
            table.add_column(col, key=col)
        for k, row in enumerate(failure_rows(result.op_errors)):
            table.add_row(*row, key=str(k))
        lines = _outcome_lines(result)
        if self._retry_wanted("select_tf_ops"):
            lines.append("s  retry with --select-tf-ops (SELECT_TF_OPS)")
        if self._retry_wanted("allow_custom_ops"):
            lines.append("a  retry with --allow-custom-ops")
        if result.retry_command:
            lines.append(f"CLI: {result.retry_command}")
        lines.append(
            f"nothing was written; TensorFlow's log: "
            f"{shown_path(result.log) if result.log else '-'}"
        )
        hint.update("\n".join(lines))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.worker.name == "convert" and event.state in (
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self.running = False
            self.refresh_bindings()

    # -- after a successful run: open and compare --------------------------------------------

    def _variant_path(self, variant: str) -> Path | None:
        if self.result is None or self.request is None:
            return None
        summary = next((s for s in self.result.summaries if s.variant == variant), None)
        return self.request.outdir / summary.file if summary is not None else None

    def _cursor_variant(self) -> str | None:
        table = self.query_one("#cv-result-table", DataTable)
        if self.result is None or not self.result.summaries or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    @on(DataTable.RowSelected, "#cv-result-table")
    def _row_selected(self) -> None:
        if self.result is not None and self.result.summaries:
            self.action_open()

    def action_open(self) -> None:
        variant = self._cursor_variant()
        path = self._variant_path(variant) if variant else None
        if path is None:
            return
        opener = getattr(self.app, "open_tflite", None)
        if opener is None:
            self.notify("this app cannot open models", severity="error")
            return
        self.notify(f"opening {path.name}", timeout=2)
        opener(path)

    def action_mark(self) -> None:
        variant = self._cursor_variant()
        if variant is None:
            return
        if variant in self.marked:
            self.marked.remove(variant)
        else:
            self.marked.append(variant)
            if len(self.marked) > 2:
                self.marked.pop(0)
        table = self.query_one("#cv-result-table", DataTable)
        for s in self.result.summaries if self.result else []:
            table.update_cell(s.variant, "mark", "*" if s.variant in self.marked else " ")
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def compare_pair(self) -> tuple[str, str] | None:
        """The two variants `c` compares: the two marked ones, or the marked one and the cursor's
        (A is the first marked)."""
        if len(self.marked) >= 2:
            return self.marked[0], self.marked[1]
        cursor = self._cursor_variant()
        if len(self.marked) == 1 and cursor is not None and cursor != self.marked[0]:
            return self.marked[0], cursor
        return None

    def action_compare(self) -> None:
        pair = self.compare_pair()
        if pair is None:
            self.notify("mark two variants with space, then press c", severity="warning")
            return
        a, b = (self._variant_path(v) for v in pair)
        if a is None or b is None:
            return
        opener = getattr(self.app, "open_tflite", None)
        if opener is not None and "compare" in VIEWS_OF_MAIN:
            # The browser's Compare pane: A opened, B chosen; ctrl+r there runs it.
            self.notify(f"opening {a.name} with {b.name} as B on its Compare pane", timeout=3)
            opener(a, after=lambda screen: choose_compare_b(screen, b))
            return
        self.notify(f"comparing {pair[0]} (A) with {pair[1]} (B) ...", timeout=3)
        self._compare(a, b, f"compare {pair[0]} (A) vs {pair[1]} (B)")

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="compare",
        group="compare",
        description="Comparing two variants",
    )
    def _compare(self, a: Path, b: Path, title: str) -> None:
        from ...runtime import CompareRequest, InputError, compare_models
        from ...text.run import compare_text

        try:
            report = compare_models(CompareRequest(a, b, runs=10, warmup=2))
        except (InputError, OSError) as err:
            self.post_message(CompareFinished(title, f"cannot compare: {err}"))
            return
        failed = report.failed
        if failed is not None:
            text = f"{failed.file['path']}: {failed.outcome}"
        else:
            text = compare_text(report, 20)
        self.post_message(CompareFinished(title, text))

    @on(CompareFinished)
    def _compare_finished(self, message: CompareFinished) -> None:
        self.app.push_screen(CompareResultScreen(message.title, message.text))

    def describe(self) -> dict[str, Any]:
        """What the screen shows, for tests: the rows' states by variant."""
        rows = self.query_one("#cv-rows", DataTable)
        return {str(k.value): rows.get_row(k)[1] for k in rows.rows}


def _written_title(request: ConvertRequest, result: ConvertResult) -> str:
    """'converted 5 of 6 variant(s) in 12.3 s into DIR' (or all of them)."""
    total = len(result.variants) or len(result.summaries)
    done = len(result.summaries)
    head = (
        f"converted {done} variant(s)"
        if done == total
        else f"converted {done} of {total} variant(s)"
    )
    if result.outcome == "cancelled":
        head += " before the cancel"
    return f"{head} in {duration(result.seconds * 1000)} into {shown_path(request.outdir)}"


def _outcome_lines(result: ConvertResult) -> list[str]:
    """One line per way variants failed (with its hint), per skipped variant and per note."""
    lines = []
    for v in result.variants:
        first = v.message.strip().splitlines()[0] if v.message.strip() else v.stage or ""
        if v.status == "skipped":
            lines.append(f"{v.variant}: skipped: {first[:160]}")
        elif v.written and v.note:
            lines.append(f"{v.variant}: {v.note}")
    for group in failure_groups(result.variants):
        lines += group.lines(width=200)
    return lines
