"""The interpreter child's protocol: every message survives a round trip as the same dataclass,
and a line that is not ours is one ProtocolError, never a KeyError deep in the session."""

from __future__ import annotations

import pytest

from tflite_inspect.runtime.protocol import (
    Advance,
    Answer,
    Command,
    Done,
    Failed,
    Phase,
    ProtocolError,
    Request,
    decode_answer,
    encode_answer,
    input_key,
    job_output_key,
    output_key,
    tensor_index,
    tensor_key,
)


@pytest.mark.parametrize("cmd", list(Command))
def test_every_command_round_trips(cmd: Command) -> None:
    request = Request(7, cmd, {"key": "a|b", "samples": 3}, "/tmp/x/req7.npz")
    line = request.encode()
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert Request.decode(line) == request


@pytest.mark.parametrize(
    "answer",
    [
        Phase(3, "loading"),
        Advance(3, 5, 64),
        Done(3, {"samples": 4}, "res3.npz"),
        Done(None, {}, None),
        Failed(3, "oom", "MemoryError", "out of memory", "invoking"),
        Failed(3, "error", "RuntimeError", "Node 4 (CONV_2D) failed", "allocating"),
    ],
)
def test_every_answer_round_trips(answer: Answer) -> None:
    line = encode_answer(answer)
    assert line.endswith("\n") and line.count("\n") == 1
    assert decode_answer(line) == answer
    assert decode_answer(line.encode()) == answer


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
        b"[1, 2]",
        b'{"event": "bogus", "id": 1}',
        b'{"event": "phase", "id": 1}',
        b'{"event": "progress", "id": 1, "done": 1, "total": 2, "extra": 3}',
        b"\xff\xfe",
    ],
)
def test_a_line_that_is_not_an_answer_is_a_protocol_error(line: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_answer(line)


@pytest.mark.parametrize(
    "line",
    [
        b'{"id": 1, "cmd": "rm -rf"}',
        b'{"id": 1}',
        b'{"id": "1", "cmd": "run"}',
        b'{"id": 1, "cmd": "run", "args": [1]}',
        b'{"id": 1, "cmd": "run", "arrays": 5}',
        b"not json",
    ],
)
def test_a_line_that_is_not_a_request_is_a_protocol_error(line: bytes) -> None:
    with pytest.raises(ProtocolError):
        Request.decode(line)


def test_array_names_are_spelled_once_and_read_back() -> None:
    assert (input_key(2), output_key(0), tensor_key(17), job_output_key(4, 1)) == (
        "i2",
        "o0",
        "t17",
        "4.1",
    )
    assert tensor_index(tensor_key(17)) == 17
    assert tensor_index(input_key(2)) is None and tensor_index("tx") is None
