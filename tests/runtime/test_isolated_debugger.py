"""The isolated per-layer error equals TensorFlow's QuantizationDebugger on a converter-made pair.

A child with TensorFlow builds a small residual net, makes the int8 model and the debugger's
layer statistics from the same calibration (the debugger's own non-debug model, so both measure
one file), and writes the float model, the samples and the debugger's CSV. The parent runs
`compare --per-layer` on the pair and checks each op's isolated max-abs-error against the
debugger's, and that the accumulated one is a different, larger figure on the residual ADD.
"""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tflite_inspect.analysis.layers import LayerRow
from tflite_inspect.runtime import CompareReport, CompareRequest, compare_models

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow (the convert extra)"
)

_CHILD = r"""
import sys, numpy as np, tensorflow as tf
out = sys.argv[1]
tf.keras.utils.set_random_seed(7)
x = tf.keras.Input((8, 8, 4), name="x")
a = tf.keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
b = tf.keras.layers.Conv2D(8, 3, padding="same")(a)
c = tf.keras.layers.ReLU()(tf.keras.layers.Add()([a, b]))
d = tf.keras.layers.DepthwiseConv2D(3, padding="same")(c)
e = tf.keras.layers.GlobalAveragePooling2D()(d)
f = tf.keras.layers.Dense(10, activation="softmax")(e)
model = tf.keras.Model(x, f)
rng = np.random.default_rng(3)
data = rng.normal(0, 1, (16, 8, 8, 4)).astype(np.float32)
def gen():
    for s in data:
        yield [s[None]]
fc = tf.lite.TFLiteConverter.from_keras_model(model)
open(out + "/float.tflite", "wb").write(fc.convert())
qc = tf.lite.TFLiteConverter.from_keras_model(model)
qc.optimizations = [tf.lite.Optimize.DEFAULT]
qc.representative_dataset = gen
debugger = tf.lite.experimental.QuantizationDebugger(converter=qc, debug_dataset=gen)
debugger.run()
with open(out + "/debugger.csv", "w") as fh:
    debugger.layer_statistics_dump(fh)
open(out + "/int8.tflite", "wb").write(debugger.get_nondebug_quantized_model())
np.savez(out + "/data.npz", x=data)
# The debugger runs its debug model on the default interpreter (XNNPACK); the same model on the
# reference kernels gives the figures our capture (no delegate) must equal exactly.
it = tf.lite.Interpreter(model_content=debugger.get_debug_quantized_model(),
                         experimental_op_resolver_type=
                         tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                         experimental_preserve_all_tensors=True)
it.allocate_tensors()
verify = [op for op in it._get_ops_details() if op["op_name"] == "NumericVerify"]
worst = {k: [] for k in range(len(verify))}
for s in data:
    it.set_tensor(it.get_input_details()[0]["index"], s[None])
    it.invoke()
    for k, op in enumerate(verify):
        worst[k].append(float(np.max(np.abs(it.get_tensor(op["outputs"][0])))))
with open(out + "/reference_kernels.txt", "w") as fh:
    fh.write("\n".join(str(np.nanmean(worst[k])) for k in range(len(verify))))
"""


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("debugger")
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _debugger_rows(path: Path) -> list[dict[str, Any]]:
    """The debugger's rows, in execution order (it lists its NumericVerify ops in order)."""
    with path.open() as fh:
        return list(csv.DictReader(fh))


def _isolated_rows(pair: Path) -> tuple[CompareReport, list[LayerRow]]:
    report = compare_models(
        CompareRequest(
            pair / "float.tflite",
            pair / "int8.tflite",
            inputs=pair / "data.npz",
            per_layer=True,
            runs=0,
        )
    )
    return report, sorted((r for r in report.layers if r.isolated), key=lambda r: r.order)


def test_isolated_max_abs_error_matches_the_quantization_debugger(pair: Path) -> None:
    theirs = _debugger_rows(pair / "debugger.csv")
    report, ours = _isolated_rows(pair)
    assert report.isolated and not report.notes, report.notes
    # every layer the debugger verifies: conv, conv, add, depthwise, mean, dense, softmax
    assert [r.op_name for r in ours] == [r["op_name"] for r in theirs]
    assert len(ours) == 7
    for mine, debugger in zip(ours, theirs, strict=True):
        # The debugger runs on XNNPACK, whose int8 kernels round a few values differently from
        # the reference kernels a per-layer capture needs: a few per cent at most.
        assert mine.isolated is not None
        assert mine.isolated.max_abs_error == pytest.approx(
            float(debugger["max_abs_error"]), rel=0.03
        ), mine.op_name
        assert mine.isolated.num_elements == float(debugger["num_elements"])
    add = next(r for r in ours if r.op_name == "ADD")
    # the accumulated error carries the convolutions' error in: several times the ADD's own
    assert add.isolated is not None
    assert add.metrics.max_abs_error > 2 * add.isolated.max_abs_error


def test_isolated_error_equals_the_debug_model_on_the_same_kernels(pair: Path) -> None:
    """The debugger's own debug model on the reference kernels: equal to float rounding."""
    expected = [float(v) for v in (pair / "reference_kernels.txt").read_text().split()]
    _, ours = _isolated_rows(pair)
    assert [r.isolated.max_abs_error for r in ours if r.isolated] == pytest.approx(
        expected, rel=1e-5
    )
