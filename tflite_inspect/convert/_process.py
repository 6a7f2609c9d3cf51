"""The conversion child as a process: started in its own session (so its whole process group
can be killed at once), fed one JSON request on stdin, its stdout and stderr read line by line
by two threads into one queue; stderr lines also go to the log file.

    child = ChildProcess(command, request_dict, log)
    for tag, line in child.lines(tick=0.2):   # (None, None) on every idle tick
        ...
    child.kill()                              # SIGKILL to the group; safe to call twice
    child.resident_mb()                       # memory in use by the child and its descendants
"""

from __future__ import annotations

import collections
import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from ..spawn import kill_group, python_module, start

__all__ = ["DEFAULT_CHILD", "ChildProcess", "Log"]

# What ConvertJob starts by default, isolated (a module planted in the working folder is never
# imported); a test may pass any other command (a child that hangs).
DEFAULT_CHILD: tuple[str, ...] = tuple(
    python_module("tflite_inspect.convert._child", unbuffered=True)
)


class Log:
    """The log file, written from the stderr reader thread and the job thread; `tail()` is its
    last lines (to classify how a child died)."""

    def __init__(self, path: Path, stream: IO[str], keep: int = 40) -> None:
        self.path = path
        self._stream = stream
        self._lock = threading.Lock()
        self._tail: collections.deque[str] = collections.deque(maxlen=keep)

    def write(self, line: str) -> None:
        with self._lock:
            self._tail.append(line.rstrip("\n"))
            if not self._stream.closed:  # a reader may outlive a cancelled run by a moment
                self._stream.write(line.rstrip("\n") + "\n")
                self._stream.flush()

    def tail(self) -> str:
        with self._lock:
            return "\n".join(self._tail)

    def close(self) -> None:
        with self._lock:
            self._stream.close()


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                found += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return found


class ChildProcess:
    """One running child; see the module docstring. `pid` is also its process group id."""

    def __init__(self, command: Sequence[str], request: dict[str, Any], log: Log) -> None:
        root = str(Path(__file__).resolve().parents[2])  # for test children started with -m
        env = {
            "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "-1"),  # no GPU needed
            "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
            "PYTHONUNBUFFERED": "1",
        }
        self._log = log
        self._queue: queue.Queue[tuple[str, str | None]] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self.proc = start(command, stdin=subprocess.PIPE, env=env, cwd=os.getcwd())
        self.pid = self.proc.pid
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode())
            self.proc.stdin.close()
        except BrokenPipeError:
            pass  # the child died at once; its exit status says why
        for stream, tag in ((self.proc.stdout, "out"), (self.proc.stderr, "err")):
            assert stream is not None
            thread = threading.Thread(
                target=self._pump, args=(stream, tag), daemon=True, name=f"convert-{tag}"
            )
            thread.start()
            self._threads.append(thread)

    def _pump(self, stream: IO[bytes], tag: str) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if tag == "err":
                self._log.write(line)
            self._queue.put((tag, line))
        stream.close()
        self._queue.put((tag, None))

    def lines(self, tick: float) -> Iterator[tuple[str | None, str | None]]:
        """(tag, line) for every line, tag "out" or "err"; (None, None) after each `tick`
        seconds of silence; ends when both streams are closed (the child exited or was
        killed, grandchildren holding the pipes included)."""
        open_streams = 2
        while open_streams:
            try:
                tag, line = self._queue.get(timeout=tick)
            except queue.Empty:
                yield None, None
                continue
            if line is None:
                open_streams -= 1
            else:
                yield tag, line

    def kill(self) -> None:
        """SIGKILLs the child's whole process group and reaps the child."""
        kill_group(self.proc)

    def wait(self) -> int:
        return self.proc.wait()

    def resident_mb(self) -> float:
        """The resident memory (MB) of the child and every descendant still running, read from
        /proc (0.0 where there is no /proc)."""
        total_kb = 0
        stack, seen = [self.pid], set()
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            total_kb += _rss_kb(pid)
            stack += _children(pid)
        return total_kb / 1024

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=2.0)
