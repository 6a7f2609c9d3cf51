"""The activation plan against numbers worked out by hand, and against TFLite Micro's own figure.

The hand model (check_testlib.hand_model), float32, 4 bytes per element:

    tensor  shape   bytes  aligned(16)  lifetime (ops)
    in      [1,3]     12        16      [0,0]  graph input
    cat1    [1,6]     24        32      [0,2]
    cat2    [1,12]    48        48      [1,3]
    add     [1,6]     24        32      [2,3]
    out     [1,18]    72        80      [3,3]  graph output
    const   [1,6]     24  (constant: flash, not planned)

Working set per op (plain sums): op0 in+cat1 = 36, op1 cat1+cat2 = 72, op2 cat1+cat2+add = 96,
op3 cat2+add+out = 144; peak 144 at op 3.

Greedy by size, first fit: out(80) at 0; cat2(48) is live with out -> 80; cat1(32) is live only
with cat2 (at 80) -> 0; add(32) is live with out [0,80), cat1 [0,32), cat2 [80,128) -> 128;
in(16) is live with cat1 [0,32) -> 32. Arena = add's end = 128 + 32 = 160 bytes.
"""

from __future__ import annotations

import importlib.util

import pytest
from check.check_testlib import hand_model, open_fixture, write

from tflite_inspect.check import estimate_memory, installed_runtimes, probe_model
from tflite_inspect.check.memory import PlannedTensor, plan_offsets
from tflite_inspect.model import open_model

HAND_OFFSETS = {"in": 32, "cat1": 0, "cat2": 80, "add": 128, "out": 0}
HAND_LIFETIMES = {"in": (0, 0), "cat1": (0, 2), "cat2": (1, 3), "add": (2, 3), "out": (3, 3)}


def test_hand_computed_plan(tmp_path) -> None:  # type: ignore[no-untyped-def]
    m = estimate_memory(open_model(write(tmp_path, hand_model())))
    assert {t.name: (t.first, t.last) for t in m.tensors} == HAND_LIFETIMES
    assert {t.name: t.offset for t in m.tensors} == HAND_OFFSETS
    assert {t.name: t.aligned for t in m.tensors} == {
        "in": 16,
        "cat1": 32,
        "cat2": 48,
        "add": 32,
        "out": 80,
    }
    assert m.working_set == (36, 72, 96, 144)
    assert (m.peak_working_set, m.peak_op) == (144, 3)
    assert m.arena_bytes == 160
    assert m.constant_bytes == 24


def test_no_two_live_buffers_overlap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    m = estimate_memory(open_fixture("cnn.float32.tflite"))
    for a in m.tensors:
        assert a.offset % 16 == 0
        for b in m.tensors:
            if a.index < b.index and a.first <= b.last and b.first <= a.last:
                assert a.offset + a.aligned <= b.offset or b.offset + b.aligned <= a.offset


def test_first_fit_reuses_a_gap() -> None:
    bufs = [
        PlannedTensor(0, "a", 64, 64, 0, 1),
        PlannedTensor(1, "b", 16, 16, 2, 3),
        PlannedTensor(2, "c", 32, 32, 1, 2),
    ]
    placed = {p.name: p.offset for p in plan_offsets(bufs)}
    # a at 0; c (live with a) at 64; b (live with c only) fits below c at 0
    assert placed == {"a": 0, "c": 64, "b": 0}


def _micro_installed() -> bool:
    return importlib.util.find_spec("tflite_micro") is not None


@pytest.mark.skipif(not _micro_installed(), reason="tflite-micro is not installed")
def test_hand_model_matches_tflite_micro(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, hand_model())
    micro = [r for r in installed_runtimes() if r.name == "tflite-micro"]
    (result,) = probe_model(path, runtimes=micro, micro=True, timeout_s=120)
    assert result.ok, result.message
    assert result.arena is not None
    assert result.arena.head == estimate_memory(open_model(path)).arena_bytes == 160


@pytest.mark.skipif(not _micro_installed(), reason="tflite-micro is not installed")
@pytest.mark.parametrize("name", ["cnn.float32.tflite", "cnn.int8-io.tflite"])
def test_fixture_plans_match_tflite_micro(name: str) -> None:
    model = open_fixture(name)
    micro = [r for r in installed_runtimes() if r.name == "tflite-micro"]
    assert model.path is not None
    (result,) = probe_model(model.path, runtimes=micro, micro=True, timeout_s=120)
    assert result.ok and result.arena is not None, result.message
    assert result.arena.head == estimate_memory(model).arena_bytes
