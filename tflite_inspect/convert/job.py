"""Running a conversion: the parent side. TensorFlow only ever runs in the child process.

    job = ConvertJob(request, on_event=handle)   # raises ConvertError for a bad request
    result = job.run()                           # blocks; call job.cancel() from any thread

`run()` refuses existing outputs before anything starts, starts `python -m
tflite_inspect.convert._child` in a new session (its own process group), sends it the request
on stdin, turns its stdout lines into events and its stderr into the log file (and `log`
events), verifies every converted `.part` file with our own reader, and only when every variant
converted and verified renames them into place and writes `variants.json`. A failure, a crash
or a cancel kills the child's process group and removes the `.part` files: nothing is written
but the log.

For a UI: call `run()` in a thread worker. `on_event` and `on_tick` are called on that worker
thread only (pass events on with `App.call_from_thread` or `post_message`); `cancel()` is safe
from the UI thread; `run()` then returns a result with outcome "cancelled".
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..safe_write import write_bytes_safely
from .calibration import check_calibration_file
from .errors import SourceError, TargetExists
from .events import ConvertEvent, decode_child_line
from .op_errors import OpError
from .request import ConvertPlan, ConvertRequest, plan
from .result import ConvertResult
from .summary import VariantSummary, VerificationError, summarize_tflite, with_percentages
from .variants import VARIANTS

__all__ = ["ConvertJob", "convert"]

EventHandler = Callable[[ConvertEvent], None]


class _Log:
    """The log file, written from the stderr reader thread and the job thread."""

    def __init__(self, path: Path, stream: IO[str]) -> None:
        self.path = path
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        with self._lock:
            if not self._stream.closed:  # a reader may outlive a cancelled run by a moment
                self._stream.write(line.rstrip("\n") + "\n")
                self._stream.flush()

    def close(self) -> None:
        with self._lock:
            self._stream.close()


class ConvertJob:
    """One conversion run; see the module docstring. `on_event` receives every ConvertEvent
    on the thread that calls `run()`; `on_tick` is called about every `tick` seconds while
    waiting (to refresh an elapsed-time display); `python` is the interpreter for the child;
    `cancel`, when given, is the event `cancel()` sets (so a caller can share one)."""

    def __init__(self, request: ConvertRequest, *, on_event: EventHandler | None = None,
                 on_tick: Callable[[], None] | None = None, tick: float = 0.2,
                 python: str | None = None, cancel: threading.Event | None = None) -> None:
        self.request = request
        self.plan: ConvertPlan = plan(request)
        self._on_event = on_event
        self._on_tick = on_tick
        self._tick = tick
        self._python = python or sys.executable
        self._cancel = cancel if cancel is not None else threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._t0 = 0.0
        self._log: _Log | None = None
        self._summaries: dict[str, VariantSummary] = {}
        self._failure: ConvertResult | None = None
        self._loaded: dict[str, Any] = {}
        self._calibration: dict[str, Any] | None = None
        self._current: str | None = None
        self._threads: list[threading.Thread] = []

    # -- public -----------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The child's pid, which is also its process group id; None before it starts."""
        return self._proc.pid if self._proc else None

    def cancel(self) -> None:
        """Asks the run to stop: the child's group is killed within one tick. Thread-safe."""
        self._cancel.set()

    def check(self) -> None:
        """Everything that can be refused before TensorFlow starts: an existing output (unless
        force), an unreadable calibration file, an output folder that cannot be written.
        Raises TargetExists or SourceError; writes nothing."""
        self.plan.refuse_existing()
        if self.request.calibration is not None:
            check_calibration_file(self.request.calibration)
        outdir = self.request.outdir
        probe = outdir if outdir.exists() else next(
            (p for p in outdir.absolute().parents if p.exists()), Path("/"))
        if not os.access(probe, os.W_OK | os.X_OK):
            raise SourceError(f"{outdir}: cannot write to this folder")

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
            for thread in self._threads:
                thread.join(timeout=2.0)
            for target in self.plan.targets:
                target.part.unlink(missing_ok=True)
            self._log.close()
        result.seconds = time.monotonic() - self._t0
        result.log = self._log.path
        result.calibration = self._calibration
        self._emit("finished", data={"outcome": result.outcome})
        return result

    # -- internals --------------------------------------------------------------------------

    def _emit(self, kind: str, variant: str | None = None,
              data: dict[str, Any] | None = None) -> None:
        if self._on_event is not None:
            self._on_event(ConvertEvent(kind, variant, data or {},
                                        time.monotonic() - self._t0))

    def _open_log(self) -> _Log:
        stamp = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        try:
            stream: IO[str] = open(self.plan.log, "a", encoding="utf-8")
            path = self.plan.log
        except OSError:
            fd, name = tempfile.mkstemp(prefix="tflite-inspect-convert-", suffix=".log")
            stream, path = os.fdopen(fd, "w", encoding="utf-8"), Path(name)
        log = _Log(path, stream)
        log.write(f"=== {stamp} {self.request.command_line()}")
        return log

    def _child_request(self) -> dict[str, Any]:
        r = self.request
        return {
            "source": str(r.source), "kind": self.plan.source_kind, "parent_pid": os.getpid(),
            "options": r.options.to_dict(),
            "calibration": str(r.calibration.absolute()) if r.calibration else None,
            "variants": [{"name": t.variant, "part": str(t.part),
                          "calibrated": VARIANTS[t.variant].calibrated}
                         for t in self.plan.targets],
        }

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("CUDA_VISIBLE_DEVICES", "-1")  # conversion needs no GPU memory
        proc = subprocess.Popen(
            [self._python, "-m", "tflite_inspect.convert._child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, env=env, cwd=os.getcwd(),
        )
        self._proc = proc
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(self._child_request()).encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the child died at once; its exit status says why
        return proc

    def _kill(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        if proc.poll() is None:  # not reaped yet, so the group id is still ours
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()

    def _readers(self, proc: subprocess.Popen[bytes]) -> queue.Queue[tuple[str, str | None]]:
        q: queue.Queue[tuple[str, str | None]] = queue.Queue()
        log = self._log
        assert log is not None

        def pump(stream: IO[bytes], tag: str) -> None:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if tag == "err":
                    log.write(line)
                q.put((tag, line))
            stream.close()
            q.put((tag, None))

        for stream, tag in ((proc.stdout, "out"), (proc.stderr, "err")):
            assert stream is not None
            thread = threading.Thread(target=pump, args=(stream, tag), daemon=True,
                                      name=f"convert-{tag}")
            thread.start()
            self._threads.append(thread)
        return q

    def _run(self) -> ConvertResult:
        proc = self._start()
        log = str(self._log.path) if self._log else None
        self._emit("started", data={"pid": proc.pid, "log": log,
                                    "variants": list(self.request.variants)})
        q = self._readers(proc)
        open_streams = 2
        while open_streams:
            if self._cancel.is_set():
                self._kill()
                return ConvertResult("cancelled", "cancelled; nothing was written",
                                     variant=self._current)
            try:
                tag, line = q.get(timeout=self._tick)
            except queue.Empty:
                if self._on_tick is not None:
                    self._on_tick()
                continue
            if line is None:
                open_streams -= 1
            elif tag == "err":
                self._emit("log", self._current, {"line": line})
            else:
                self._child_line(line)
        proc.wait()
        if self._cancel.is_set():
            return ConvertResult("cancelled", "cancelled; nothing was written",
                                 variant=self._current)
        if self._failure is not None:
            return self._failure
        missing = [t.variant for t in self.plan.targets if t.variant not in self._summaries]
        if proc.returncode != 0 or missing:
            how = (f"was killed by signal {-proc.returncode}" if proc.returncode < 0
                   else f"exited with status {proc.returncode}")
            if proc.returncode == -signal.SIGKILL:
                how += " (out of memory?)"
            where = self._current or (missing[0] if missing else None)
            return ConvertResult("crashed", f"the TensorFlow process {how}"
                                 + (f" while converting {where}" if where else ""),
                                 variant=where)
        return self._commit()

    def _child_line(self, line: str) -> None:
        decoded = decode_child_line(line)
        if decoded is None:  # stray stdout text: treat it as a log line
            assert self._log is not None
            self._log.write(line)
            self._emit("log", self._current, {"line": line})
            return
        kind, variant, data = decoded
        if kind == "variant_started":
            self._current = variant
        elif kind == "loaded":
            self._loaded = data
        elif kind == "calibration":
            self._calibration = data
        self._emit(kind, variant, data)
        if kind == "variant_converted" and variant is not None:
            self._verify(variant, data)
        elif kind == "variant_failed":
            errors = [OpError.from_dict(e) for e in data.get("op_errors", [])]
            self._failure = ConvertResult(
                "conversion_failed", str(data.get("message", "")), variant=variant,
                op_errors=errors, retry_command=self._retry(errors))
        elif kind == "source_failed":
            self._failure = ConvertResult("source_failed", str(data.get("message", "")),
                                          reason=str(data.get("reason", "")))

    def _verify(self, variant: str, data: dict[str, Any]) -> None:
        target = next(t for t in self.plan.targets if t.variant == variant)
        try:
            summary = summarize_tflite(target.part, variant, target.path.name)
        except (VerificationError, OSError) as err:
            message = f"the converted {variant} model {err}"
            assert self._log is not None
            self._log.write(f"tflite-inspect: {message}")
            self._failure = ConvertResult("verification_failed", message, variant=variant)
            self._emit("variant_failed", variant, {"stage": "verify", "message": message,
                                                   "op_errors": []})
            self._kill()
            return
        summary.seconds = float(data.get("seconds", 0.0))
        self._summaries[variant] = summary
        self._emit("variant_done", variant, summary.to_dict())

    def _retry(self, errors: list[OpError]) -> str | None:
        options = self.request.options
        wanted = {e.fix.option for e in errors if e.fix is not None}
        select = "select_tf_ops" in wanted and not options.select_tf_ops
        custom = "allow_custom_ops" in wanted and not options.allow_custom_ops
        if not (select or custom):
            return None
        return self.request.command_line(select_tf_ops=select, allow_custom_ops=custom)

    def _commit(self) -> ConvertResult:
        if not self.request.force:
            existing = self.plan.existing()
            if existing:  # appeared while we were converting
                raise TargetExists(existing[0])
        summaries = with_percentages([self._summaries[t.variant] for t in self.plan.targets])
        files = []
        for target in self.plan.targets:
            os.replace(target.part, target.path)
            files.append(target.path)
        manifest = self._manifest(summaries)
        text = json.dumps(manifest, indent=2, allow_nan=False) + "\n"
        write_bytes_safely(self.plan.manifest, text.encode(), force=True)
        _fsync_dir(self.request.outdir)
        self._emit("committed", data={"files": [str(f) for f in files],
                                      "manifest": str(self.plan.manifest)})
        return ConvertResult("ok", f"wrote {len(files)} variant(s) to {self.request.outdir}",
                             summaries=summaries, files=files, manifest=manifest)

    def _manifest(self, summaries: list[VariantSummary]) -> dict[str, Any]:
        r = self.request
        loaded = self._loaded
        return {
            "tool": "tflite-inspect convert",
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "command": r.command_line(),
            "source": {"path": str(r.source.absolute()), "kind": self.plan.source_kind,
                       "signature": loaded.get("signature"), "inputs": loaded.get("inputs")},
            "outdir": str(r.outdir.absolute()),
            "name": self.plan.name,
            "options": r.options.to_dict(),
            "calibration": self._calibration,
            "tensorflow": loaded.get("tensorflow"),
            "keras": loaded.get("keras"),
            "times": {"load_seconds": loaded.get("seconds"),
                      "total_seconds": round(time.monotonic() - self._t0, 3)},
            "variants": [s.to_dict() for s in summaries],
            "log": str(self._log.path) if self._log else None,
        }


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def convert(request: ConvertRequest, *, on_event: EventHandler | None = None,
            cancel: threading.Event | None = None) -> ConvertResult:
    """Runs one conversion; `cancel` (set from any thread) stops it. See ConvertJob.run."""
    return ConvertJob(request, on_event=on_event, cancel=cancel).run()
