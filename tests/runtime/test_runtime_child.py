"""Crash survival through the real child process: every class of death becomes an outcome.

Faults are real (an invalid read, abort(), signals, an endless sleep, allocation until RLIMIT_AS
refuses), injected by the child's TFLITE_INSPECT_CHILD_FAULT hook, plus real models that crash or
exhaust the interpreter. No mocks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from runtime.runtime_testlib import fixture_path, huge_activation_model, no_subgraph_model

from tflite_inspect.runtime import (
    ChildFailure,
    ChildSession,
    InterpreterConfig,
    Limits,
    RemoteInterpreter,
    RunRequest,
    run_model,
)
from tflite_inspect.runtime._child import FAULT_ENV
from tflite_inspect.runtime.protocol import Command

ROOT = Path(__file__).resolve().parents[2]

SIGNALS = [
    ("segv", "SIGSEGV", -11, "Segmentation fault"),
    ("abort", "SIGABRT", -6, "Aborted"),
    ("fpe", "SIGFPE", -8, "Floating point exception"),
    ("bus", "SIGBUS", -7, "Bus error"),
    ("ill", "SIGILL", -4, "Illegal instruction"),
]


@pytest.mark.parametrize(
    ("fault", "name", "returncode", "dump"), SIGNALS, ids=[s[0] for s in SIGNALS]
)
def test_a_signal_in_the_child_is_a_crashed_outcome(
    fault: str, name: str, returncode: int, dump: str
) -> None:
    report = run_model(RunRequest(fixture_path("cnn.float32"), runs=0), env={FAULT_ENV: fault})
    o = report.outcome
    assert (o.status, o.signal_name, o.returncode, o.phase) == (
        "crashed",
        name,
        returncode,
        "invoking",
    )
    assert name in o.line() and "while invoking the model" in o.line()
    assert f"Fatal Python error: {dump}" in o.details  # faulthandler's dump reached the parent
    assert o.backend == "ai_edge_litert" and o.resolver == "AUTO"  # what had been built


def test_a_crash_while_loading_names_the_phase() -> None:
    o = run_model(RunRequest(fixture_path("cnn.float32")), env={FAULT_ENV: "segv:load"}).outcome
    assert (o.status, o.signal_name, o.phase) == ("crashed", "SIGSEGV", "loading")
    assert "while loading the model" in o.message


def test_a_hang_is_a_timeout_and_the_whole_group_is_killed() -> None:
    with ChildSession(limits=Limits(timeout_s=1.0), env={FAULT_ENV: "hang"}) as session:
        interp = RemoteInterpreter(session, str(fixture_path("cnn.float32")), InterpreterConfig())
        with pytest.raises(ChildFailure) as caught:
            interp.run([{"image": np.zeros((1, 16, 16, 3), "float32")}])
        o = caught.value.outcome
        assert (o.status, o.phase) == ("timeout", "invoking")
        assert session.proc.poll() is not None
        with pytest.raises(ProcessLookupError):
            os.killpg(session.proc.pid, 0)  # no process of the group is left
        with pytest.raises(ChildFailure) as again:  # a dead session says so, every time
            session.submit(Command.RUN, {"key": interp.config.key, "samples": 0})
        assert again.value.outcome is o


def test_memory_exhaustion_under_the_limit_is_oom() -> None:
    report = run_model(
        RunRequest(fixture_path("cnn.float32"), runs=0, limits=Limits(memory_mb=1024)),
        env={FAULT_ENV: "oom"},
    )
    assert (report.outcome.status, report.outcome.phase) == ("oom", "invoking")
    assert "out of memory" in report.outcome.message


def test_the_interpreter_failing_to_allocate_under_the_limit_is_oom(tmp_path: Path) -> None:
    model = huge_activation_model(tmp_path / "huge.tflite")  # 1 GiB tensors, 512 MB allowed
    with ChildSession(limits=Limits(memory_mb=512)) as session:
        with pytest.raises(ChildFailure) as caught:
            RemoteInterpreter(session, str(model), InterpreterConfig(resolver="no-delegate"))
    o = caught.value.outcome
    assert (o.status, o.phase) == ("oom", "allocating")
    assert "512 MB" in o.message


def test_a_model_without_subgraphs_crashes_litert_and_the_caller_lives_on(tmp_path: Path) -> None:
    model = no_subgraph_model(tmp_path / "no_subgraphs.tflite")
    o = run_model(RunRequest(model)).outcome
    assert (o.status, o.signal_name, o.phase) == ("crashed", "SIGSEGV", "loading")
    again = run_model(RunRequest(fixture_path("cnn.float32"), runs=0))  # the parent carries on
    assert again.outcome.ok


def test_an_interpreter_error_keeps_the_child_usable() -> None:
    with ChildSession() as session:
        with pytest.raises(ChildFailure) as caught:
            RemoteInterpreter(session, str(fixture_path("custom_op")), InterpreterConfig())
        o = caught.value.outcome
        assert (o.status, o.op, o.phase) == ("error", "MatrixDeterminant", "allocating")
        assert o.message.startswith("Encountered unresolved custom op: MatrixDeterminant.")
        assert "\n" not in o.line() and "https://" not in o.line()
        interp = RemoteInterpreter(session, str(fixture_path("cnn.float32")), InterpreterConfig())
        assert session.alive and interp.outputs[0].shape == (1, 10)


def test_flex_models_are_refused_with_the_op_named() -> None:
    o = run_model(RunRequest(fixture_path("flex"))).outcome
    assert (o.status, o.op) == ("error", "FlexMatrixDeterminant")
    assert o.hint is not None and "Flex" in o.hint and "For the Android" not in o.message


def test_cancel_from_another_thread_kills_the_child() -> None:
    cancel = threading.Event()

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "invoking":  # the child now sleeps forever; a UI thread presses cancel
            threading.Thread(target=cancel.set).start()

    report = run_model(
        RunRequest(fixture_path("cnn.float32"), limits=Limits(timeout_s=120)),
        env={FAULT_ENV: "hang"},
        cancel=cancel,
        progress=progress,
    )
    assert (report.outcome.status, report.outcome.phase) == ("cancelled", "invoking")


def test_progress_reports_each_phase() -> None:
    seen: list[tuple[str, int, int]] = []
    report = run_model(
        RunRequest(fixture_path("cnn.float32"), runs=5),
        progress=lambda phase, done, total: seen.append((phase, done, total)),
    )
    assert report.outcome.ok
    phases = [p for p, _, _ in seen]
    for phase in ("importing", "loading", "allocating", "invoking", "timing"):
        assert phase in phases
    assert ("timing", 5, 5) in seen


def test_the_calling_process_never_loads_an_interpreter_or_textual() -> None:
    code = (
        "import sys\n"
        "from tflite_inspect.cli import run_cmds\n"
        "from tflite_inspect.runtime import RunRequest, run_model\n"
        f"r = run_model(RunRequest({str(fixture_path('cnn.int8-io'))!r}, runs=1))\n"
        "assert r.outcome.ok, r.outcome\n"
        "print(sorted(m for m in ('ai_edge_litert', 'tensorflow', 'textual') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_a_hung_child_leaves_when_its_parent_dies() -> None:
    parent = (
        "import sys, time\n"
        "from tflite_inspect.runtime import ChildSession, InterpreterConfig, RemoteInterpreter\n"
        "from tflite_inspect.runtime.protocol import Command\n"
        "s = ChildSession()\n"
        f"i = RemoteInterpreter(s, {str(fixture_path('cnn.float32'))!r}, InterpreterConfig())\n"
        "s.submit(Command.RUN, {'key': i.config.key, 'samples': 0}, {})\n"
        "print(s.proc.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", parent],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), FAULT_ENV: "hang"},
    )
    try:
        child = int(proc.stdout.readline())  # type: ignore[union-attr]
    finally:
        proc.kill()  # the parent dies without cleaning up
        proc.wait()
    for _ in range(100):  # the watchdog polls every 0.5 s; allow 10 s on a loaded machine
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        if open(f"/proc/{child}/stat").read().split()[2] == "Z":  # exited, not yet reaped
            return
        threading.Event().wait(0.1)
    os.killpg(child, 9)
    pytest.fail("the child outlived its parent")


def test_a_crash_is_told_for_the_request_it_happened_in_not_the_next_one() -> None:
    """A compare sends A's and B's samples before it reads either answer: when A's run crashes
    the child before B's request is written, sending B must not take the blame."""
    with ChildSession(env={FAULT_ENV: "segv:run"}) as session:
        interp = RemoteInterpreter(session, str(fixture_path("cnn.float32")), InterpreterConfig())
        sample = [{"image": np.zeros((1, 16, 16, 3), "float32")}]
        first = interp.submit_run(sample)
        session.proc.wait(timeout=60)  # the child is dead before the next request is sent
        second = interp.submit_run(sample)  # nothing raised here
        with pytest.raises(ChildFailure) as caught:
            interp.collect_run(first, 1)
        o = caught.value.outcome
        assert (o.status, o.signal_name, o.phase) == ("crashed", "SIGSEGV", "invoking")
        with pytest.raises(ChildFailure) as again:
            interp.collect_run(second, 1)
        assert again.value.outcome is o
