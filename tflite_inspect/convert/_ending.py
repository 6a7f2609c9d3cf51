"""How a conversion child that did not finish ended, in words and as a failure stage: killed at
the timeout, killed for using more memory than the limit, out of memory by itself (MemoryError,
std::bad_alloc, the kernel's SIGKILL), or crashed."""

from __future__ import annotations

import signal

__all__ = ["how_it_ended"]

_OOM_WORDS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "out of memory")


def _signal_name(number: int) -> str:
    try:
        return f"signal {number} ({signal.Signals(number).name})"
    except ValueError:
        return f"signal {number}"


_NO_LIMIT_HINT = (
    "convert fewer variants per run, or set --memory-mb so TensorFlow is "
    "stopped before the system kills it"
)


def how_it_ended(
    ended: str,
    returncode: int,
    timeout: float,
    memory_mb: int | None,
    resident_mb: float,
    log_tail: str,
) -> tuple[str, str, str | None]:
    """(stage, message, hint) for a child that ended as `ended` ("timeout", "memory" or
    "exited") with `returncode`; stage is "timeout", "memory" or "crash"; hint is None where
    the failure class's own hint fits. `resident_mb` is what it used at the last look,
    `log_tail` its last stderr lines."""
    if ended == "timeout":
        return (
            "timeout",
            (f"timed out after {timeout:g} s (--timeout): the TensorFlow process group was killed"),
            None,
        )
    if ended == "memory":
        return (
            "memory",
            (
                f"out of memory: the TensorFlow process used {resident_mb:,.0f} MB, "
                f"more than --memory-mb {memory_mb}; its process group was killed"
            ),
            None,
        )
    hint = None if memory_mb else _NO_LIMIT_HINT
    if returncode == -signal.SIGKILL:
        limit = f" under --memory-mb {memory_mb}" if memory_mb else ""
        return (
            "memory",
            (
                f"out of memory: the TensorFlow process was killed by signal 9 "
                f"(SIGKILL){limit}, most likely by the system's out-of-memory "
                "killer"
            ),
            hint,
        )
    if any(word in log_tail for word in _OOM_WORDS):
        how = (
            f"died of {_signal_name(-returncode)}"
            if returncode < 0
            else f"exited with status {returncode}"
        )
        return "memory", f"out of memory: the TensorFlow process ran out of memory and {how}", hint
    how = (
        f"was killed by {_signal_name(-returncode)}"
        if returncode < 0
        else f"exited with status {returncode}"
    )
    return "crash", f"the TensorFlow process {how}", None
