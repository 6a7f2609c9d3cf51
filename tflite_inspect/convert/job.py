"""Running a conversion: the parent side. TensorFlow only ever runs in the child process.

    job = ConvertJob(request, on_event=handle)   # raises ConvertError for a bad request
    result = job.run()                           # blocks; call job.cancel() from any thread

`run()` refuses existing outputs (and a missing TensorFlow) before anything starts, starts the
child (`_process.DEFAULT_CHILD`, in its own process group), sends it the request on stdin and
turns its stdout lines into events and its stderr into the log file (and `log` events).

Each variant stands on its own: the child converts it into a `.part` file, the parent verifies
it with our own reader and renames it into place, then the next variant comes. A variant that
fails (conversion, verification, a crash of the child, a stage that outlives `timeout`: the
child's group is killed) is recorded, and the following variants are tried, in a new child when
the old one died. `variants.json` describes what was written. With `fail_fast` the run stops at
the first failure and keeps nothing. `.part` files never outlive `run()`.

For a UI: call `run()` in a thread worker. `on_event` and `on_tick` are called on that worker
thread only (pass events on with `App.call_from_thread` or `post_message`); `cancel()` is safe
from the UI thread; `run()` then returns a result with outcome "cancelled".
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from ..safe_write import open_log
from ._ending import how_it_ended
from ._manifest import manifest, write_manifest
from ._process import DEFAULT_CHILD, ChildProcess, Log
from .errors import SourceError, failure_of
from .events import ConvertEvent, decode_child_line
from .op_errors import OpError
from .preflight import refuse_before_start
from .request import ConvertPlan, ConvertRequest, Target, plan
from .result import ConvertResult, VariantOutcome, stage_outcome
from .summary import VerificationError, quantized_nothing, summarize_tflite, with_percentages
from .variants import VARIANTS

__all__ = ["ConvertJob", "convert"]

EventHandler = Callable[[ConvertEvent], None]
_MEMORY_EVERY = 0.1  # seconds between two looks at the child's memory (with a limit only)


class ConvertJob:
    """One conversion run; see the module docstring. `on_event` receives every ConvertEvent
    on the thread that calls `run()`; `on_tick` is called about every `tick` seconds while
    waiting (to refresh an elapsed-time display); `python` is the interpreter for the child,
    `child` the whole command that starts it (default `_process.DEFAULT_CHILD`); `cancel`,
    when given, is the event `cancel()` sets (so a caller can share one)."""

    def __init__(
        self,
        request: ConvertRequest,
        *,
        on_event: EventHandler | None = None,
        on_tick: Callable[[], None] | None = None,
        tick: float = 0.2,
        python: str | None = None,
        cancel: threading.Event | None = None,
        child: Sequence[str] | None = None,
    ) -> None:
        self.request = request
        self.plan: ConvertPlan = plan(request)
        self._on_event = on_event
        self._on_tick = on_tick
        self._tick = tick
        self._command = (
            tuple(child) if child else ((python, *DEFAULT_CHILD[1:]) if python else DEFAULT_CHILD)
        )
        self._cancel = cancel if cancel is not None else threading.Event()
        self._child: ChildProcess | None = None
        self._children: list[ChildProcess] = []
        self._t0 = 0.0
        self._stage_t0 = 0.0
        self._log: Log | None = None
        self._outcomes: dict[str, VariantOutcome] = {}
        self._kept: dict[str, VariantOutcome] = {}  # verified, waiting for the end (fail_fast)
        self._source_failure: ConvertResult | None = None
        self._loaded: dict[str, Any] = {}
        self._calibration: dict[str, Any] | None = None
        self._current: str | None = None
        self._fallback: str | None = None  # why from_saved_model is not used, once known
        self._stop = False
        self._resident = 0.0  # MB the child used at the last look (with a memory limit only)
        self.written: list[Path] = []

    # -- public -----------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The current child's pid, which is also its process group id; None before it starts."""
        return self._child.pid if self._child else None

    def cancel(self) -> None:
        """Asks the run to stop: the child's group is killed within one tick. Thread-safe."""
        self._cancel.set()

    def check(self) -> None:
        """Everything that can be refused before TensorFlow starts (see preflight.py). Raises
        TargetExists or SourceError; writes nothing."""
        refuse_before_start(self.plan, needs_tensorflow=self._command == DEFAULT_CHILD)

    def run(self) -> ConvertResult:
        """Runs the conversion to the end; see the module docstring. Raises ConvertError (from
        `check`) before starting, KeyboardInterrupt after cleaning up when interrupted."""
        self.check()
        try:
            self.request.outdir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise SourceError(f"{self.request.outdir}: cannot create ({err.strerror})") from err
        self._t0 = time.monotonic()
        self._log = self._open_log()
        try:
            result = self._run()
        except KeyboardInterrupt:
            self._kill()
            self._emit("finished", data={"outcome": "cancelled"})
            raise
        finally:
            self._kill()
            for child in self._children:
                child.join()
            for target in self.plan.targets:
                target.part.unlink(missing_ok=True)
            self._log.close()
        result.seconds = time.monotonic() - self._t0
        result.log = self._log.path
        result.calibration = self._calibration
        self._emit("finished", data={"outcome": result.outcome})
        return result

    # -- the children -----------------------------------------------------------------------

    def _run(self) -> ConvertResult:
        remaining = list(self.plan.targets)
        while remaining:
            ended = self._run_child(remaining)
            if ended == "cancelled" or self._source_failure is not None or self._stop:
                break
            pending = [t for t in remaining if t.variant not in self._outcomes]
            if not pending:
                break
            names = [t.variant for t in pending]
            stage, why, hint = self._how_it_ended(ended)
            if self._current not in names:  # died while loading, or between variants
                when = (
                    " while loading the source"
                    if self._current is None
                    else f" after converting {self._current}"
                )
                for name in names:
                    self._fail(name, stage, why + when, hint=hint)
                break
            assert self._current is not None
            self._fail(self._current, stage, why + f" while converting {self._current}", hint=hint)
            if self._stop:
                break
            remaining = pending[names.index(self._current) + 1 :]
        return self._result()

    def _run_child(self, targets: list[Target]) -> str:
        """Runs one child over `targets`; returns "exited", "timeout", "memory" (it used more
        than `memory_mb`: killed) or "cancelled"."""
        assert self._log is not None
        child = ChildProcess(self._command, self._child_request(targets), self._log)
        self._child = child
        self._children.append(child)
        self._current = None
        self._stage_t0 = time.monotonic()
        self._emit(
            "started",
            data={
                "pid": child.pid,
                "log": str(self._log.path),
                "variants": [t.variant for t in targets],
            },
        )
        limit = self.request.memory_mb
        checked = 0.0
        for tag, line in child.lines(self._tick):
            if self._cancel.is_set():
                child.kill()
                return "cancelled"
            now = time.monotonic()
            if now - self._stage_t0 > self.request.timeout:
                child.kill()
                return "timeout"
            if limit and now - checked >= _MEMORY_EVERY:
                checked = now
                self._resident = child.resident_mb()
                if self._resident > limit:
                    child.kill()
                    return "memory"
            if self._stop:
                child.kill()
                return "exited"
            if tag is None:
                if self._on_tick is not None:
                    self._on_tick()
            elif tag == "err":
                self._emit("log", self._current, {"line": line or ""})
            else:
                self._child_line(line or "")
        child.wait()
        return "cancelled" if self._cancel.is_set() else "exited"

    def _how_it_ended(self, ended: str) -> tuple[str, str, str | None]:
        assert self._child is not None and self._log is not None
        return how_it_ended(
            ended,
            self._child.wait(),
            self.request.timeout,
            self.request.memory_mb,
            self._resident,
            self._log.tail(),
        )

    def _kill(self) -> None:
        if self._child is not None:
            self._child.kill()

    def _child_request(self, targets: list[Target] | None = None) -> dict[str, Any]:
        r = self.request
        targets = list(self.plan.targets) if targets is None else targets
        return {
            "source": str(r.source),
            "kind": self.plan.source_kind,
            "options": r.options.to_dict(),
            "fail_fast": r.fail_fast,
            "fallback": self._fallback,
            "calibration": str(r.calibration.absolute()) if r.calibration else None,
            "variants": [
                {
                    "name": t.variant,
                    "part": str(t.part),
                    "calibrated": VARIANTS[t.variant].calibrated,
                }
                for t in targets
            ],
        }

    # -- events -----------------------------------------------------------------------------

    def _emit(
        self, kind: str, variant: str | None = None, data: dict[str, Any] | None = None
    ) -> None:
        if self._on_event is None:
            return
        data = data or {}
        elapsed = time.monotonic() - self._t0
        if kind == "stage":
            event = ConvertEvent(
                kind,
                variant,
                data,
                elapsed,
                str(data.get("stage", "")),
                int(data.get("done", 0)),
                max(1, int(data.get("total", 1))),
            )
        else:
            event = ConvertEvent(kind, variant, data, elapsed)
        self._on_event(event)

    def _stage(self, stage: str, variant: str | None, done: int, total: int) -> None:
        self._emit("stage", variant, {"stage": stage, "done": done, "total": total})

    def _open_log(self) -> Log:
        stamp = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        try:
            stream: IO[str] = os.fdopen(open_log(self.plan.log), "a", encoding="utf-8")
            path = self.plan.log
        except OSError:
            fd, name = tempfile.mkstemp(prefix="tflite-inspect-convert-", suffix=".log")
            stream, path = os.fdopen(fd, "w", encoding="utf-8"), Path(name)
        log = Log(path, stream)
        log.write(f"=== {stamp} {self.request.command_line()}")
        return log

    def _child_line(self, line: str) -> None:
        decoded = decode_child_line(line)
        if decoded is None:  # stray stdout text: treat it as a log line
            assert self._log is not None
            self._log.write(line)
            self._emit("log", self._current, {"line": line})
            return
        kind, variant, data = decoded
        if kind == "stage" and data.get("stage") == "converting":  # counted over the whole run
            names = [t.variant for t in self.plan.targets]
            data = {
                **data,
                "done": names.index(variant) if variant in names else 0,
                "total": len(names),
            }
        if kind == "variant_started":
            self._current = variant
            self._stage_t0 = time.monotonic()
        elif kind == "loaded":
            self._loaded = data
        elif kind == "calibration":
            self._calibration = data
        elif kind == "fallback":
            self._fallback = str(data.get("message", ""))
        self._emit(kind, variant, data)
        if kind == "variant_converted" and variant is not None:
            self._verify(variant, data)
        elif kind == "variant_failed" and variant is not None:
            errors = [OpError.from_dict(e) for e in data.get("op_errors", [])]
            self._fail(
                variant,
                str(data.get("stage") or "convert"),
                str(data.get("message", "")),
                errors,
                emit=False,
                failure=data.get("failure"),
                hint=data.get("hint"),
            )
        elif kind == "source_failed":
            self._source_failure = ConvertResult(
                "source_failed", str(data.get("message", "")), reason=str(data.get("reason", ""))
            )

    def _fail(
        self,
        variant: str,
        stage: str,
        message: str,
        errors: list[OpError] | None = None,
        emit: bool = True,
        failure: str | None = None,
        hint: str | None = None,
    ) -> None:
        kind = failure_of(stage, failure)
        outcome = VariantOutcome(
            variant,
            "failed",
            message,
            stage,
            op_errors=errors or [],
            failure=kind.name,
            hint=hint or kind.hint,
        )
        self._outcomes[variant] = outcome
        next(t for t in self.plan.targets if t.variant == variant).part.unlink(missing_ok=True)
        if emit:
            self._emit(
                "variant_failed",
                variant,
                {
                    "stage": stage,
                    "message": message,
                    "op_errors": [],
                    "failure": kind.name,
                    "hint": outcome.hint,
                },
            )
        if self.request.fail_fast:
            self._stop = True

    def _verify(self, variant: str, data: dict[str, Any]) -> None:
        target = next(t for t in self.plan.targets if t.variant == variant)
        index = self.plan.targets.index(target)
        self._stage("verifying", variant, index, len(self.plan.targets))
        try:
            summary = summarize_tflite(target.part, variant, target.path.name)
        except (VerificationError, OSError) as err:
            message = f"the converted {variant} model {err}"
            assert self._log is not None
            self._log.write(f"tflite-inspect: {message}")
            self._fail(variant, "verify", message)
            return
        summary.seconds = float(data.get("seconds", 0.0))
        summary.strategy = data.get("strategy")
        float32 = self._summary("float32")
        summary.note = quantized_nothing(summary, float32)
        if float32 is not None:
            with_percentages([float32, summary])
        self._emit("variant_done", variant, summary.to_dict())
        outcome = VariantOutcome(
            variant,
            "written",
            "",
            summary=summary,
            file=target.path,
            strategy=summary.strategy,
            note=summary.note,
        )
        if self.request.fail_fast:
            self._kept[variant] = outcome  # renamed at the end, if nothing failed
        elif not self._cancel.is_set():
            self._place(target, outcome)

    def _summary(self, variant: str) -> Any:
        outcome = self._outcomes.get(variant) or self._kept.get(variant)
        return outcome.summary if outcome else None

    def _place(self, target: Target, outcome: VariantOutcome) -> None:
        if target.path.is_symlink() or (not self.request.force and target.path.exists()):
            self._fail(
                target.variant,
                "write",
                f"{target.path} appeared while converting; "
                "not replaced (a symbolic link never is; otherwise pass --force)",
            )
            return
        try:
            if self.request.force:
                os.replace(target.part, target.path)
            else:  # a hard link fails if the name appeared meanwhile: nothing is replaced
                os.link(target.part, target.path, follow_symlinks=False)
                target.part.unlink()
        except OSError as err:
            self._fail(target.variant, "write", f"cannot write {target.path}: {err.strerror}")
            return
        self._outcomes[target.variant] = outcome
        self.written.append(target.path)
        self._emit(
            "variant_written",
            target.variant,
            {"file": str(target.path), "note": outcome.note, "strategy": outcome.strategy},
        )

    # -- the end ----------------------------------------------------------------------------

    def _result(self) -> ConvertResult:
        failed = [o for o in self._outcomes.values() if o.status == "failed"]
        cancelled = self._cancel.is_set()
        for target in self.plan.targets:
            name = target.variant
            if name in self._kept and not failed and not cancelled:
                self._place(target, self._kept[name])
            elif name not in self._outcomes:
                stage, why = self._skip_reason(name, failed, cancelled)
                self._outcomes[name] = VariantOutcome(name, "skipped", why, stage)
                self._emit("variant_skipped", name, {"message": why})
        outcomes = [self._outcomes[t.variant] for t in self.plan.targets]
        written = [o for o in outcomes if o.written]
        document = self._write_manifest(written, outcomes) if written else None
        failed = [o for o in outcomes if o.status == "failed"]
        result = self._source_failure or ConvertResult(
            "cancelled" if cancelled else "ok" if not failed else stage_outcome(failed[0].stage)
        )
        result.variants = outcomes
        result.summaries = [o.summary for o in written if o.summary is not None]
        result.files = [o.file for o in written if o.file is not None]
        result.manifest = document
        if failed and result.outcome != "source_failed":
            result.variant = failed[0].variant
            result.op_errors = failed[0].op_errors
            result.message = failed[0].message
            result.retry_command = self.request.retry_command(
                [e for o in failed for e in o.op_errors]
            )
        if not result.message:
            result.message = (
                f"wrote {len(written)} of {len(outcomes)} variant(s) to {self.request.outdir}"
                if written
                else "nothing was written"
            )
        return result

    def _skip_reason(
        self, name: str, failed: list[VariantOutcome], cancelled: bool
    ) -> tuple[str, str]:
        if cancelled:
            return "cancelled", "cancelled"
        if self._source_failure is not None:
            return "source", "the source could not be used"
        if not failed:
            return "crash", "not reported by the conversion process"
        if name in self._kept:
            return "fail_fast", (
                f"converted and verified, not kept: {failed[0].variant} "
                "failed and --fail-fast keeps nothing"
            )
        return "fail_fast", f"not tried: {failed[0].variant} failed (--fail-fast)"

    def _write_manifest(
        self, written: list[VariantOutcome], outcomes: list[VariantOutcome]
    ) -> dict[str, Any]:
        self._stage("writing", None, 0, 1)
        summaries = with_percentages([o.summary for o in written if o.summary is not None])
        document = manifest(
            self.request,
            self.plan,
            self._loaded,
            self._calibration,
            summaries,
            outcomes,
            self._log.path if self._log else None,
            time.monotonic() - self._t0,
        )
        write_manifest(self.plan.manifest, document, self.request.outdir)
        self._emit(
            "committed",
            data={"files": [str(o.file) for o in written], "manifest": str(self.plan.manifest)},
        )
        return document


def convert(
    request: ConvertRequest,
    *,
    on_event: EventHandler | None = None,
    cancel: threading.Event | None = None,
) -> ConvertResult:
    """Runs one conversion; `cancel` (set from any thread) stops it. See ConvertJob.run."""
    return ConvertJob(request, on_event=on_event, cancel=cancel).run()
