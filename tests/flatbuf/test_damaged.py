"""Damaged and hostile inputs: named cases with their diagnosis, LiteRT's verdict, and sweeps.

Every case must be diagnosed with its expected code, byte range and field path; our verdict must
equal the one of LiteRT's C++ verifier (run in a child process); and exhaustive truncation and
single-byte-mutation sweeps must never raise anything but our own error type.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.damage import Case, cases_for, dag_bomb, not_tflite_cases
from support.litert_oracle import litert_mutation_verdicts, litert_verdicts
from support.tflite_builder import add_model, write_model
from support.walk import read_everything
from tflite_inspect.flatbuf import (
    ByteSource,
    FlatBufError,
    load_schema,
    verify,
    verify_header,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ADD_SEED = write_model(add_model())


def all_cases() -> list[Case]:
    cases = cases_for(ADD_SEED, "add") + not_tflite_cases()
    for name in ("cnn.float32.tflite", "control_flow.tflite"):
        cases += cases_for((FIXTURES / name).read_bytes(), name.removesuffix(".tflite"))
    return cases


CASES = all_cases()


def test_there_are_enough_named_cases() -> None:
    assert len({c.name for c in CASES}) == len(CASES)
    assert len([c for c in CASES if c.code]) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_is_diagnosed_where_it_is_broken(case: Case) -> None:
    strict = verify(ByteSource(case.data), load_schema(), tolerant=False)
    tolerant = verify(ByteSource(case.data), load_schema())
    if case.code is None:
        assert strict.ok and tolerant.ok, strict.diagnostics
        return
    first = strict.errors[0]
    assert (first.code, first.start, first.end) == (case.code, case.start, case.end), str(first)
    if case.path is not None:
        assert first.path == case.path
    assert first in tolerant.errors
    with pytest.raises(FlatBufError) as err:
        strict.raise_first()
    assert err.value.code == case.code and (err.value.start, err.value.end) == (
        case.start,
        case.end,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_header_check_is_the_start_of_the_full_verdict(case: Case) -> None:
    """verify_header (what the CLI runs before the UI starts) reports exactly the diagnostics
    the full verifier finds first, so "not TFLite at all" is decided the same by both."""
    header = verify_header(ByteSource(case.data), load_schema())
    full = verify(ByteSource(case.data), load_schema())
    assert header.diagnostics == full.diagnostics[: len(header.diagnostics)]
    assert header.tables_visited == 0
    if case.code in ("NOT_TFLITE", "FILE_TOO_SHORT", "BAD_IDENTIFIER"):
        assert header.errors and header.errors[0].code == case.code


def test_dag_bomb_is_rejected_by_the_table_budget() -> None:
    case = dag_bomb()
    report = verify(ByteSource(case.data), load_schema())
    first = report.errors[0]
    assert (first.code, first.start, first.end, first.path) == (
        case.code,
        case.start,
        case.end,
        case.path,
    )
    assert report.tables_visited < 50  # rejected before walking the vector


# Where our structural verdict may differ from LiteRT's, with the reason. Empty: none differs.
KNOWN_DIFFERENCES: dict[str, str] = {}


def test_litert_agrees_on_every_named_case() -> None:
    cases = [*CASES, dag_bomb()]
    verdicts = litert_verdicts([c.data for c in cases])
    disagreements = []
    for case, verdict in zip(cases, verdicts, strict=True):
        ours = verify(ByteSource(case.data), load_schema(), tolerant=False).ok
        theirs = verdict != "rejected"
        if ours != theirs and case.name not in KNOWN_DIFFERENCES:
            disagreements.append(
                f"{case.name}: ours {'accepts' if ours else 'rejects'}, LiteRT {verdict}"
            )
    assert not disagreements, "\n".join(disagreements)


def _never_escapes(data: bytes) -> float:
    """Verifies and reads everything; only FlatBufError may be raised inside. Returns seconds."""
    started = time.perf_counter()
    verify(ByteSource(data), load_schema())
    read_everything(data)
    return time.perf_counter() - started


def test_truncation_sweep_every_prefix(record_property: Callable[[str, object], None]) -> None:
    seed = ADD_SEED
    slowest = max(_never_escapes(seed[:n]) for n in range(len(seed) + 1))
    record_property("slowest_prefix_seconds", slowest)
    rejected = [n for n in range(len(seed)) if verify(ByteSource(seed[:n]), load_schema()).ok]
    # Every strict prefix of this seed cuts into referenced data, so none may verify.
    assert rejected == []


MUTATION_VALUES = list(range(256))


@pytest.mark.slow
def test_single_byte_mutation_sweep_matches_litert(
    record_property: Callable[[str, object], None],
) -> None:
    """All 255 substitutions at every byte of the seed: no foreign exception, and the same
    accept/reject verdict as LiteRT's verifier on every one of them."""
    seed = ADD_SEED
    schema = load_schema()
    ours: list[bool] = []
    slowest = 0.0
    for pos in range(len(seed)):
        for value in MUTATION_VALUES:
            data = bytearray(seed)
            data[pos] = value
            started = time.perf_counter()
            ours.append(verify(ByteSource(bytes(data)), schema, tolerant=False).ok)
            read_everything(bytes(data))
            slowest = max(slowest, time.perf_counter() - started)
    record_property("mutations", len(ours))
    record_property("slowest_mutation_seconds", slowest)
    theirs = litert_mutation_verdicts(seed, MUTATION_VALUES)
    crashes = [i for i, v in enumerate(theirs) if v.startswith("crashed")]
    record_property("litert_crashes", len(crashes))
    disagreements = [
        (divmod(i, len(MUTATION_VALUES)), ours[i], v)
        for i, v in enumerate(theirs)
        if ours[i] != (v != "rejected")
    ]
    assert not disagreements, disagreements[:20]
