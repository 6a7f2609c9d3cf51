"""How an interpreter run ended: `RunOutcome`, and the rules that classify a child's death.

A run ends "ok", "error" (the interpreter refused: its own error text, e.g. "Encountered
unresolved custom op: X"), "crashed" (killed by a signal: SIGSEGV, SIGABRT, SIGFPE, ...),
"timeout" (silent for longer than the limit; the process group was killed), "oom" (MemoryError,
std::bad_alloc, or SIGKILL while a memory limit was set) or "cancelled" (the caller's cancel hook).
"""

from __future__ import annotations

import re
import signal
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

__all__ = ["ChildFailure", "RunOutcome", "Status", "classify_exit", "classify_error"]

Status = Literal["ok", "error", "crashed", "timeout", "oom", "cancelled"]

_SIGNAL_MEANING = {
    "SIGSEGV": "segmentation fault",
    "SIGABRT": "aborted",
    "SIGFPE": "floating-point exception",
    "SIGBUS": "bus error",
    "SIGILL": "illegal instruction",
    "SIGKILL": "killed",
}
_PHASE_WORDS = {
    "starting": "while starting",
    "importing": "while importing the interpreter",
    "loading": "while loading the model",
    "allocating": "while allocating tensors",
    "invoking": "while invoking the model",
    "timing": "while timing the model",
}
_HINTS = (
    (
        re.compile(r"unresolved custom op: ([\w\-/]+)"),
        "the model needs a custom op the runtime does not have",
    ),
    (
        re.compile(r"Select TensorFlow op\(s\)|Flex delegate"),
        "the model needs TensorFlow ops (SELECT_TF_OPS / Flex), which the pip interpreter cannot run",
    ),
    (
        re.compile(r"Didn't find op for builtin opcode '(\w+)'"),
        "the model needs a newer interpreter (an op or op version it does not know)",
    ),
)
_NODE_OP = re.compile(r"Node number \d+ \(([\w.\-/]+)\) failed")


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended and what produced it.

    `message` is one line fit for a terminal; `details` holds the rest (the child's stderr tail
    with faulthandler's stack, the full error text). `op` names the op the error is about when the
    text says so; `hint` says what it means. `backend`, `resolver`, `delegate` and `threads` say
    which interpreter produced the numbers ("XNNPACK" when the default delegate took ops)."""

    status: Status
    message: str = ""
    signal_name: str | None = None
    returncode: int | None = None
    phase: str | None = None
    op: str | None = None
    hint: str | None = None
    details: str = ""
    backend: str | None = None
    backend_version: str | None = None
    resolver: str | None = None
    delegate: str | None = None
    threads: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def line(self) -> str:
        """The one line a CLI prints: message plus the hint in parentheses."""
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def with_backend(self, info: dict[str, Any]) -> RunOutcome:
        keys = ("backend", "backend_version", "resolver", "delegate", "threads")
        return replace(self, **{k: info[k] for k in keys if k in info})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ChildFailure(Exception):
    """A request to the child did not complete; `outcome` says how it ended."""

    def __init__(self, outcome: RunOutcome) -> None:
        super().__init__(outcome.line())
        self.outcome = outcome


def _one_line(text: str) -> str:
    """Interpreter errors span lines and repeat a docs URL; keep the words that matter."""
    text = re.sub(r"See instructions: \S+?(?=Node number|\s|$)", " ", text)
    text = re.sub(r"For the Android, .*? dependency\.", " ", text)  # advice for app builds
    return " ".join(text.split())


def classify_error(
    kind: str,
    message: str,
    phase: str | None,
    *,
    error_type: str = "",
    memory_mb: int | None = None,
) -> RunOutcome:
    """An exception the child reported: kind "oom" (MemoryError) or "error" (anything else, usually
    the interpreter's RuntimeError/ValueError text). `allocate_tensors()` failing without a word
    under a memory limit is an allocation failure: TFLite reports nothing when malloc fails."""
    where = _PHASE_WORDS.get(phase or "", "")
    if (
        kind == "oom"
        or "bad_alloc" in message
        or (not message.strip() and phase == "allocating" and memory_mb)
    ):
        limit = f" (the limit is {memory_mb} MB)" if memory_mb else ""
        return RunOutcome(
            "oom",
            f"out of memory {where}{limit}".replace("  ", " ").strip(),
            phase=phase,
            details=message,
        )
    text = (
        _one_line(message)
        or f"the interpreter failed {where} with {error_type or 'an error'} and no message"
    )
    op = hint = None
    for pattern, meaning in _HINTS:
        found = pattern.search(message)
        if found:
            hint = meaning
            op = found.group(1) if found.groups() else None
            break
    if op is None:
        node = _NODE_OP.search(message)
        op = node.group(1) if node else None
    return RunOutcome("error", text, phase=phase, op=op, hint=hint, details=message)


def classify_exit(
    returncode: int | None, stderr_tail: str, *, phase: str | None, memory_limited: bool
) -> RunOutcome:
    """The child died without answering: classify by how it exited (negative = signal number)."""
    where = _PHASE_WORDS.get(phase or "", "")
    if "std::bad_alloc" in stderr_tail or "MemoryError" in stderr_tail:
        return RunOutcome(
            "oom",
            f"out of memory {where}".strip(),
            returncode=returncode,
            phase=phase,
            details=stderr_tail,
        )
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if name == "SIGKILL" and memory_limited:
            return RunOutcome(
                "oom",
                f"killed by SIGKILL {where} (likely out of memory)".strip(),
                signal_name=name,
                returncode=returncode,
                phase=phase,
                details=stderr_tail,
            )
        meaning = _SIGNAL_MEANING.get(name)
        label = f"{name} ({meaning})" if meaning else name
        return RunOutcome(
            "crashed",
            f"the interpreter crashed with {label} {where}".strip(),
            signal_name=name,
            returncode=returncode,
            phase=phase,
            details=stderr_tail,
        )
    last = next((ln for ln in reversed(stderr_tail.splitlines()) if ln.strip()), "")
    message = f"the interpreter process exited with code {returncode} {where}".strip()
    if last:
        message += f": {last.strip()}"
    return RunOutcome("crashed", message, returncode=returncode, phase=phase, details=stderr_tail)
