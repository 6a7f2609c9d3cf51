"""A SavedModel whose init op writes a file: refused before anything runs, naming the op."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")

TOOL = Path(sys.executable).parent / "tflite-inspect"


def _writing_saved_model(path: Path, marker: Path) -> Path:
    """A TF1 SavedModel (y = 2x) whose main_op writes `marker` when the model is loaded."""
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1, 4], name="x")
        y = tf.identity(x * 2.0, name="y")
        main_op = tf.group(tf.io.write_file(str(marker), "written by the model"))
        with tf.compat.v1.Session() as sess:
            builder = tf.compat.v1.saved_model.Builder(str(path))
            sig = tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": y})
            builder.add_meta_graph_and_variables(
                sess, ["serve"], signature_def_map={"serving_default": sig}, main_op=main_op
            )
            builder.save()
    return path


@pytest.mark.slow
def test_a_file_writing_init_op_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    from tensorflow.python.saved_model import loader_impl

    from tflite_inspect.convert.side_effects import side_effect_ops

    marker = tmp_path / "PWNED"
    src = _writing_saved_model(tmp_path / "sm", marker)
    saved = loader_impl.parse_saved_model(str(src))
    assert [op for op, _ in side_effect_ops(saved.meta_graphs[0], "serving_default")] == [
        "WriteFile"
    ]
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(TOOL), "convert", str(src), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "WriteFile" in proc.stderr and "--unsafe" in proc.stderr
    assert not marker.exists()
    assert not out.exists() or not list(out.glob("*.tflite"))


def test_a_plain_keras_saved_model_has_no_side_effects(tmp_path: Path) -> None:
    """The saver's SaveV2 / MergeV2Checkpoints functions are in every TF2 SavedModel but not
    reached by loading or by the serving signature."""
    from tensorflow.python.saved_model import loader_impl

    from tflite_inspect.convert.side_effects import side_effect_ops

    class M(tf.Module):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            self.w = tf.Variable([[1.0, 2.0]])

        @tf.function(input_signature=[tf.TensorSpec([1, 2], tf.float32)])  # type: ignore[untyped-decorator]
        def __call__(self, x: Any) -> Any:
            return x * self.w

    m = M()
    tf.saved_model.save(m, str(tmp_path / "sm"), signatures=m.__call__)
    saved = loader_impl.parse_saved_model(str(tmp_path / "sm"))
    ops = {n.op for n in saved.meta_graphs[0].graph_def.node} | {
        nd.op for f in saved.meta_graphs[0].graph_def.library.function for nd in f.node_def
    }
    assert "SaveV2" in ops  # the saver is there ...
    assert side_effect_ops(saved.meta_graphs[0], "serving_default") == []  # ... and not reached
