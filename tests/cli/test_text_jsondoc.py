"""text/jsondoc.dumps writes what json.dumps(indent=2) writes, byte for byte, and turns
non-finite floats into strings wherever they are."""

from __future__ import annotations

import enum
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tflite_inspect.text.jsondoc import dumps, plain

ROOT = Path(__file__).resolve().parents[2]

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_keys = st.text(max_size=8) | st.integers(-5, 5) | st.booleans() | st.none()
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(_keys, inner, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_documents)
def test_same_text_as_the_standard_library(doc: Any) -> None:
    assert dumps(doc) == json.dumps(doc, indent=2)


class _Kind(enum.IntEnum):
    A = 3


def test_subclasses_and_numpy_values_are_written_as_the_standard_library_writes_them() -> None:
    doc = {
        "enum": _Kind.A,
        "f64": np.float64(0.1),
        "f32": np.float32(0.5),
        "i8": np.int8(-3),
        "bool": np.bool_(True),
        "array": np.arange(3, dtype=np.int32),
        "bytes": b"\x00\xff",
        "set": {7},
        _Kind.A: "key",
    }
    expected = {
        "enum": 3,
        "f64": 0.1,
        "f32": 0.5,
        "i8": -3,
        "bool": True,
        "array": [0, 1, 2],
        "bytes": "00ff",
        "set": [7],
        "3": "key",
    }
    assert dumps(doc) == json.dumps(expected, indent=2)


def test_non_finite_floats_become_strings_everywhere() -> None:
    doc = {
        "a": math.nan,
        "b": [math.inf, -math.inf, 1.5],
        "nested": {"array": np.array([np.nan, 2.0])},
        "f32": np.float32("inf"),
    }
    assert json.loads(dumps(doc)) == {
        "a": "nan",
        "b": ["inf", "-inf", 1.5],
        "nested": {"array": ["nan", 2.0]},
        "f32": "inf",
    }


def test_what_json_cannot_hold_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not JSON serializable: object"):
        dumps({"x": object()})
    with pytest.raises(TypeError, match="keys must be"):
        dumps({(1, 2): 0})


def test_a_real_summary_document_is_the_standard_librarys_text() -> None:
    from tflite_inspect.analysis.health import quantization_health
    from tflite_inspect.analysis.quantmode import quantization_summary
    from tflite_inspect.analysis.report import summary_report
    from tflite_inspect.model import open_model
    from tflite_inspect.model.sizes import size_report

    model = open_model(ROOT / "fixtures" / "cnn.int8-io.tflite")
    quant = quantization_summary(model)
    doc = summary_report(model, quantization_health(model, quant), quant)
    doc["sizes"] = size_report(model).to_dict()
    text = dumps(doc)
    assert text == json.dumps(doc, indent=2, default=plain, allow_nan=False)
    assert len(text) > 2000
