"""`ChildSession`: one interpreter child process, its limits, and requests to it.

The child is a fresh `python -m tflite_inspect.runtime._child` (spawned, never forked from a process
that loaded TFLite) in its own process group, with RLIMIT_AS set at its start. The parent enforces
a wall-clock limit on silence: every phase or progress line from the child resets it, so a single
load or invoke that runs longer than `Limits.timeout_s` is a hang and the whole group is killed.
A `threading.Event` cancel hook is polled every 50 ms; a progress callback receives
(phase, done, total). Both make the session usable from a UI worker thread.

Any way the child can end a request other than answering becomes `ChildFailure(outcome)`; after
that the session is dead and every later request raises the same failure.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ..safe_write import open_new
from ..spawn import kill_group, make_tmpdir, python_module, start
from ._arrays import load as load_arrays
from ._arrays import save as save_arrays
from .outcome import ChildFailure, RunOutcome, classify_error, classify_exit
from .protocol import (
    Advance,
    Answer,
    Command,
    Failed,
    Phase,
    ProtocolError,
    Request,
    decode_answer,
)

__all__ = ["ChildSession", "Limits", "Progress"]

Progress = Callable[[str, int, int], None]
_POLL_S = 0.05


@dataclass(frozen=True)
class Limits:
    """`timeout_s`: longest the child may stay silent (one load, one invoke); `memory_mb`: its
    address-space limit (None: unlimited); `startup_s`: the same for starting Python;
    `inputs_mb`: the most an input file (.npy/.npz) may hold once unpacked, checked before it is
    read (a zip bomb must not fill the parent's memory)."""

    timeout_s: float = 60.0
    memory_mb: int | None = 4096
    startup_s: float = 60.0
    inputs_mb: int = 2048


class ChildSession:
    """One child process. Use as a context manager or call `close()`.

    `progress(phase, done, total)` is called from the thread that waits for an answer; `cancel`
    may be set from any thread. `env` adds environment variables for the child; `module` is the
    child's entry point (quantize._child adds commands to the same protocol)."""

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        env: dict[str, str] | None = None,
        label: str = "",
        module: str = "tflite_inspect.runtime._child",
    ) -> None:
        self.limits = limits or Limits()
        self.progress = progress
        self.cancel = cancel
        self.label = label
        self._labels: dict[int, str] = {}  # request id -> the label of its progress
        self.failure: RunOutcome | None = None
        self._next_id = 0
        self.loads = 0  # interpreters built in the child: each RemoteInterpreter its own
        self._buffer = b""
        self._phase = "starting"
        self.tmp = make_tmpdir()  # tflite-inspect-PID-*: swept if this process is SIGKILLed
        try:
            self._stderr = os.fdopen(open_new(self.tmp / "stderr.txt"), "wb")  # see close()
            # a module whose child extends runtime._child.Child, started isolated (spawn.py)
            extra = ["--memory-mb", str(self.limits.memory_mb)] if self.limits.memory_mb else []
            quiet = {"TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
            self.proc = start(
                python_module(module, *extra),
                stdin=subprocess.PIPE,
                stderr=self._stderr,
                env={**quiet, **(env or {})},
            )
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        self._finalizer = weakref.finalize(self, _cleanup, self.proc, self.tmp)
        self._selector = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        self._selector.register(self.proc.stdout, selectors.EVENT_READ)

    # -- life cycle ---------------------------------------------------------------------------

    def __enter__(self) -> ChildSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self.failure is None and self.proc.poll() is None

    def close(self) -> None:
        """Asks the child to exit, kills its group if it does not within a second, removes the
        temporary folder."""
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(Request(0, Command.EXIT).encode())
                self.proc.stdin.close()
                self._await_exit(1.0)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                pass
        kill_group(self.proc)
        self._selector.close()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()
        self._finalizer()

    def _request_path(self, rid: int) -> Path:
        """Where the arrays sent with request `rid` are (removed once it is answered)."""
        return self.tmp / f"req{rid}.arrays"

    def _answer_arrays(self, path: str) -> dict[str, np.ndarray]:
        """The arrays of an answer, from a file in this session's folder only; a file that is
        not one the child could have written means the child is broken (killed, ChildFailure)."""
        where = Path(path)
        try:
            if where.parent.resolve() != self.tmp.resolve():
                raise ValueError(f"{path}: outside the session's folder")
            try:
                return load_arrays(where)
            finally:
                where.unlink(missing_ok=True)
        except (OSError, ValueError) as err:
            self._broken(err)

    def _await_exit(self, timeout: float) -> None:
        """Waits up to `timeout` for the child's stdout to close (it exits at once on EXIT), then
        for its exit status: `Popen.wait(timeout)` alone polls with sleeps that outlast an exit."""
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while (remaining := deadline - time.monotonic()) > 0:
            if self._selector.select(remaining) and not os.read(fd, 65536):
                break
        self.proc.wait(timeout=max(deadline - time.monotonic(), 0.05))

    def stderr_tail(self, limit: int = 4000) -> str:
        try:
            data = (self.tmp / "stderr.txt").read_bytes()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", "replace")

    # -- requests -----------------------------------------------------------------------------

    def submit(
        self,
        cmd: Command,
        args: dict[str, Any] | None = None,
        arrays: dict[str, np.ndarray] | None = None,
        label: str | None = None,
    ) -> int:
        """Sends a request and returns its id (answer it with `result(id)`). Raises ChildFailure
        when the session is already known dead. `label` prefixes the progress of this request
        (the session's label when None): one child may serve several models ("A: ", "B: ")."""
        if self.failure is not None:
            raise ChildFailure(self.failure)
        self._next_id += 1
        rid = self._next_id
        self._labels[rid] = self.label if label is None else label
        path = None
        if arrays is not None:
            path = self._request_path(rid)
            save_arrays(path, arrays)
        request = Request(rid, Command(cmd), args or {}, str(path) if path else None)
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(request.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            # The child died, maybe serving an earlier request (A crashed while B was being
            # sent): the next `result` reads what it wrote before dying, then its exit status,
            # so the death is told with the phase and the request it happened in.
            pass
        return rid

    def result(self, rid: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Waits for the answer to request `rid`: (result dict, arrays). Raises ChildFailure on an
        interpreter error, a crash, a hang, memory exhaustion or cancellation."""
        if self.failure is not None:
            raise ChildFailure(self.failure)
        timeout = self.limits.startup_s if self._phase == "starting" else self.limits.timeout_s
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_answer(deadline)
            # the child tags its progress with the request it works on
            label = self._labels.get(answer.id or 0, self.label)
            if isinstance(answer, Phase):
                self._phase = answer.phase
                deadline = time.monotonic() + self.limits.timeout_s
                self._report(label, self._phase, 0, 0)
                continue
            if isinstance(answer, Advance):
                deadline = time.monotonic() + self.limits.timeout_s
                self._report(label, self._phase, answer.done, answer.total)
                continue
            if answer.id != rid:
                continue
            self._labels.pop(rid, None)
            if isinstance(answer, Failed):
                outcome = classify_error(
                    answer.kind,
                    answer.message,
                    answer.phase,
                    error_type=answer.type,
                    memory_mb=self.limits.memory_mb,
                )
                raise ChildFailure(outcome)  # the child lives on: later requests may succeed
            arrays: dict[str, np.ndarray] = {}
            if answer.arrays:
                arrays = self._answer_arrays(answer.arrays)
            self._request_path(rid).unlink(missing_ok=True)
            return answer.result, arrays

    def call(
        self,
        cmd: Command,
        args: dict[str, Any] | None = None,
        arrays: dict[str, np.ndarray] | None = None,
        label: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return self.result(self.submit(cmd, args, arrays, label))

    # -- internals ----------------------------------------------------------------------------

    def _report(self, label: str, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(f"{label}{phase}", done, total)

    def _read_answer(self, deadline: float) -> Answer:
        while b"\n" not in self._buffer:
            if self.cancel is not None and self.cancel.is_set():
                kill_group(self.proc)
                self._fail(RunOutcome("cancelled", "cancelled", phase=self._phase))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                kill_group(self.proc)
                self._fail(
                    RunOutcome(
                        "timeout",
                        f"no answer within {self.limits.timeout_s:g} s while "
                        f"{self._phase} (killed)",
                        phase=self._phase,
                        details=self.stderr_tail(),
                    )
                )
            if not self._selector.select(min(remaining, _POLL_S)):
                continue
            assert self.proc.stdout is not None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                self._fail(self._death())
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return decode_answer(line)
        except ProtocolError as err:  # not our child's line: treat it as a broken child
            self._broken(err)

    def _broken(self, err: Exception) -> NoReturn:
        """The child answered what it could not have (a line, a file): killed, a crash."""
        kill_group(self.proc)
        why = f"the child broke its protocol ({err})"
        self._fail(RunOutcome("crashed", why, phase=self._phase, details=self.stderr_tail()))

    def _death(self) -> RunOutcome:
        try:
            self.proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)
        return classify_exit(
            self.proc.returncode,
            self.stderr_tail(),
            phase=self._phase,
            memory_limited=self.limits.memory_mb is not None,
        )

    def _fail(self, outcome: RunOutcome) -> NoReturn:
        self.failure = outcome
        raise ChildFailure(outcome)


def _cleanup(proc: subprocess.Popen[bytes], tmp: Path) -> None:
    kill_group(proc)
    shutil.rmtree(tmp, ignore_errors=True)
