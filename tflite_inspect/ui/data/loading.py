"""Opening a model for the UI, without Textual: path checks, the not-TFLite verdict, and the
loading stages the UI reports as progress.

The CLI calls `check_tflite` before it imports Textual, so a file that cannot be inspected ends as
one line on stderr and exit code 2; the UI's load worker then calls `load_session` (which opens
and verifies the whole file) with a progress callback, and `build_graph`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from ...flatbuf import ByteSource, VerifyReport, verify_header
from ...model import Model, ModelError, open_model
from ...model.errors import NOT_TFLITE_CODES
from ...model.model import tflite_schema
from .session import Session

__all__ = [
    "GRAPH_STAGE",
    "LOAD_STAGES",
    "PathProblem",
    "build_graph",
    "check_path",
    "check_tflite",
    "load_session",
    "open_for_ui",
]

LOAD_STAGES = (
    "verifying the flatbuffer",
    "reading operator codes and buffers",
    "reading signatures and metadata",
)
"""What the load worker reports before the first screen, in order (one progress step each)."""

GRAPH_STAGE = "reading subgraphs, operators and tensors"
"""What it reports after: the first screen is up and the Overview says this while it lasts."""

CONVERT_HINT = (
    "it is a conversion source, not a .tflite: open it with `tflite-inspect {path}` for the "
    "Convert pane, or run `tflite-inspect convert {path} -o DIR`"
)


class PathProblem(Exception):
    """The path cannot be opened in the UI; `str()` is the one line to show (exit code 2)."""


def check_path(path: str | os.PathLike[str]) -> None:
    """Raises PathProblem for a missing path, a directory, or a model the UI cannot read yet
    (a SavedModel directory or a Keras file). Reads only the directory listing and the name."""
    p = Path(path)
    if p.suffix.lower() in (".keras", ".h5", ".hdf5") and p.exists():
        raise PathProblem(f"{p} is a Keras model: " + CONVERT_HINT.format(path=p))
    if not p.exists():
        raise PathProblem(f"{p}: no such file")
    if p.is_dir():
        if (p / "saved_model.pb").exists() or (p / "saved_model.pbtxt").exists():
            raise PathProblem(f"{p} is a SavedModel directory: " + CONVERT_HINT.format(path=p))
        raise PathProblem(f"{p}: is a directory, expected a .tflite file")


def check_tflite(path: str | os.PathLike[str]) -> None:
    """What the CLI checks before it starts Textual: the path (`check_path`) and the file's
    first bytes (`verify_header`). Raises PathProblem, ModelError (one line) when the file is not
    TFLite at all, OSError when the OS refuses to read it. The load worker then verifies the
    whole file while the UI starts (a damaged file opens in tolerant mode)."""
    check_path(path)
    with ByteSource.open(path) as src:
        _refuse_not_tflite(path, verify_header(src, tflite_schema()))


def _refuse_not_tflite(path: str | os.PathLike[str], report: VerifyReport) -> None:
    """Raises ModelError (one line) when the verifier's first error says the bytes are not a
    TFLite flatbuffer at all."""
    errors = report.errors
    if errors and errors[0].code in NOT_TFLITE_CODES:
        raise ModelError.from_diagnostics(os.fspath(path), report.diagnostics)


def open_for_ui(path: str | os.PathLike[str]) -> Model:
    """Opens `path` in tolerant mode. Raises ModelError (one line) when it is not TFLite at all,
    PathProblem for paths the UI cannot open, OSError when the OS refuses to read it. A damaged
    but readable model is returned; its `structural` report lists what is wrong."""
    check_path(path)
    model = open_model(path, tolerant=True)
    # Kept for the session: its objects are frozen out of the collector's walks once built, as
    # the app freezes the rest once the graph is ready (without, the first collection after the
    # build walks them all: 54 ms on a 10,000-layer model).
    model.freeze_builds = True
    try:
        _refuse_not_tflite(path, model.structural)
    except ModelError:
        model.close()
        raise
    return model


Progress = Callable[[str, int, int], None]
"""progress(what, done, total), as every progress callback of the tool: called before each
stage, and once more when all are done."""


def load_session(
    path: str | os.PathLike[str],
    progress: Progress,
    *,
    model: Model | None = None,
    cancelled: threading.Event | None = None,
) -> Session | None:
    """Opens (unless `model` is given, already opened by the CLI) and reads what the first
    screen shows, stage by stage, calling `progress`: the verdict, operator codes, buffers,
    signatures and metadata. The subgraphs come after, from `build_graph`. Returns None when
    `cancelled` was set. Raises like `open_for_ui`."""
    total = len(LOAD_STAGES)

    def stage(i: int) -> bool:
        if cancelled is not None and cancelled.is_set():
            return False
        progress(LOAD_STAGES[i], i, total)
        return True

    if not stage(0):
        return None
    if model is None:
        model = open_for_ui(path)
    try:
        if not stage(1):
            model.close()
            return None
        model.operator_codes  # noqa: B018 - built and cached here, off the UI thread
        model.buffers  # noqa: B018
        model.external_buffers  # noqa: B018
        if not stage(2):
            model.close()
            return None
        model.signatures  # noqa: B018
        model.metadata  # noqa: B018
    except BaseException:
        model.close()
        raise
    progress("ready", total, total)
    return Session(model, Path(path).name)


def build_graph(session: Session) -> None:
    """Builds the subgraphs with their operators and tensors (the load worker calls it once the
    first screen is up; any other first access waits for it)."""
    session.model.subgraphs  # noqa: B018
