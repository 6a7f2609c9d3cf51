"""The interpreter child's protocol, for both sides: the parent (`session.ChildSession` and its
callers) and the child (`_child.Child`, `quantize._child.QuantizeChild`). Standard library only.

One JSON object per line. The parent sends a `Request` (id, command, arguments, and the path of
a file of arrays, `_arrays`, or null); the child answers with `Phase` and `Advance` lines while it works
and one `Done` or `Failed` line per request. Arrays are named by what they hold: `i3` the fourth
input, `o0` the first output, `t17` tensor 17, `J.M` the M-th output of one-op job J; across the
samples of a request `_wire` stacks them.

    line = Request(7, Command.RUN, {"key": key, "samples": 4}, "/tmp/.../req7.arrays").encode()
    request = Request.decode(line)                          # child side
    answer = decode_answer(encode_answer(Done(7, {"samples": 4}, "res7.arrays")))
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

__all__ = [
    "Advance",
    "Answer",
    "Command",
    "Done",
    "Failed",
    "Phase",
    "ProtocolError",
    "Request",
    "decode_answer",
    "encode_answer",
    "input_key",
    "job_output_key",
    "output_key",
    "tensor_index",
    "tensor_key",
]


class ProtocolError(ValueError):
    """A line that is not a message of this protocol (the other side is broken or not ours)."""


class Command(StrEnum):
    LOAD = "load"  # {model, key, resolver, preserve, threads, backend, signature} -> describe()
    RUN = "run"  # {key, samples, capture} + i* arrays -> {samples} + o*, t* arrays
    LATENCY = "latency"  # {key, runs, warmup} + i* arrays -> {times_ms}
    ISOLATE_PREPARE = "isolate_prepare"  # {model, backend, jobs} -> {built, failed}
    ISOLATE_RUN = "isolate_run"  # {samples} + t* arrays -> {samples, failed} + J.M arrays
    QUANTIZE = "quantize"  # quantize._child: {model, recipe, ...} -> {seconds, signature, ...}
    EXIT = "exit"  # no answer: the child leaves at once


@dataclass(frozen=True)
class Request:
    id: int
    cmd: Command
    args: dict[str, Any] = field(default_factory=dict)
    arrays: str | None = None  # a file of arrays (`_arrays`) in the session's folder

    def encode(self) -> bytes:
        return (json.dumps(asdict(self)) + "\n").encode()

    @classmethod
    def decode(cls, line: str | bytes) -> Request:
        data = _object(line)
        try:
            cmd = Command(data["cmd"])
        except (KeyError, ValueError):
            raise ProtocolError(f"unknown command {data.get('cmd')!r}") from None
        args, arrays, rid = data.get("args") or {}, data.get("arrays"), data.get("id", 0)
        if not isinstance(args, dict) or not isinstance(rid, int):
            raise ProtocolError("a request's args must be an object and its id an integer")
        if arrays is not None and not isinstance(arrays, str):
            raise ProtocolError("a request's arrays must be a path or null")
        return cls(rid, cmd, args, arrays)


@dataclass(frozen=True)
class Phase:
    """The child starts a step that may crash or hang (its name goes in timeouts and errors)."""

    id: int | None
    phase: str


@dataclass(frozen=True)
class Advance:
    """`done` of `total` steps of the current phase (sent at most every 0.1 s)."""

    id: int | None
    done: int
    total: int


@dataclass(frozen=True)
class Done:
    id: int | None
    result: dict[str, Any]
    arrays: str | None = None  # a file of arrays the parent reads, then removes


@dataclass(frozen=True)
class Failed:
    """The request failed in the child, which lives on: `kind` "oom" for a MemoryError."""

    id: int | None
    kind: Literal["error", "oom"]
    type: str
    message: str
    phase: str


Answer = Phase | Advance | Done | Failed
_EVENTS: dict[str, type[Answer]] = {
    "phase": Phase,
    "progress": Advance,
    "done": Done,
    "error": Failed,
}
_NAMES = {cls: name for name, cls in _EVENTS.items()}


def encode_answer(answer: Answer) -> str:
    return json.dumps({"event": _NAMES[type(answer)], **asdict(answer)}) + "\n"


def decode_answer(line: str | bytes) -> Answer:
    data = _object(line)
    cls = _EVENTS.get(str(data.pop("event", "")))
    if cls is None:
        raise ProtocolError(f"unknown answer {line[:80]!r}")
    try:
        answer = cls(**data)
    except TypeError as err:
        raise ProtocolError(f"malformed answer {line[:80]!r}: {err}") from None
    if isinstance(answer, Done) and not isinstance(answer.result, dict):
        answer = Done(answer.id, {}, answer.arrays)
    return answer


def _object(line: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(f"not a protocol line: {line[:80]!r}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"not a protocol line: {line[:80]!r}")
    return data


# -- array names ----------------------------------------------------------------------------


def input_key(j: int) -> str:
    return f"i{j}"


def output_key(k: int) -> str:
    return f"o{k}"


def tensor_key(index: int) -> str:
    return f"t{index}"


def tensor_index(key: str) -> int | None:
    """The tensor index a `tensor_key` names; None for any other key."""
    return int(key[1:]) if key.startswith("t") and key[1:].isdigit() else None


def job_output_key(job: int | str, m: int) -> str:
    return f"{job}.{m}"
