"""The Weights view and the tensor detail on a sparse constant (dense statistics and values, the
sparsity shown) and on bfloat16 (bits beside decoded values, float32 export), as the CLI does."""

from __future__ import annotations

from pathlib import Path

import ml_dtypes
import numpy as np
from model.densify_testlib import BLOCK_DENSE, block_model
from textual.widgets import Input, Label, Static
from ui.ui_testlib import press, run, running

from support.tflite_builder import add_model, write_model
from tflite_inspect.ui.app import InspectApp
from tflite_inspect.ui.details import tensor_lines
from tflite_inspect.ui.views.weights import WeightsView
from tflite_inspect.ui.widgets.histogram import Histogram
from tflite_inspect.ui.widgets.virtual_table import VirtualTable


def _weights(app: InspectApp) -> WeightsView:
    return app.screen.query_one(WeightsView)


def test_a_sparse_constant_is_shown_dense_with_its_sparsity(tmp_path: Path) -> None:
    path = tmp_path / "sparse.tflite"
    path.write_bytes(block_model())

    async def go() -> None:
        async with running(path, size=(120, 30)) as (app, pilot):
            await press(pilot, "4")
            view = _weights(app)
            data = view.data
            assert data is not None and data.raw.tolist() == BLOCK_DENSE
            assert data.raw_stats is not None and data.raw_stats.zero_fraction == 10 / 16
            assert sum(app.screen.query_one(Histogram).counts) == 16
            title = str(app.screen.query_one("#w-title", Label).render())
            assert "sparse CSR 2x2 blocks, density 75.0% (12 of 16 stored)" in title
            stats = str(app.screen.query_one("#w-stats-text", Static).render())
            assert "of the dense tensor" in stats
            session = app.session
            assert session is not None
            sg = session.subgraph(0)
            assert sg is not None
            lines = " ".join(line.text.plain for line in tensor_lines(session, sg, sg.tensors[0]))
            assert "sparse CSR 2x2 blocks" in lines and "block map" in lines

    run(go())


def test_bfloat16_shows_bits_and_decoded_values_and_exports_float32(tmp_path: Path) -> None:
    model = add_model(operators=1)
    model["subgraphs"][0]["tensors"][1].update({"type": 18, "shape": [4]})
    values = np.asarray([1.0, -2.0, 0.5, 0.0], dtype=np.float32)
    model["buffers"][1] = {"data": values.astype(ml_dtypes.bfloat16).tobytes()}
    path = tmp_path / "bf16.tflite"
    path.write_bytes(write_model(model))
    target = tmp_path / "const.npy"

    async def go() -> None:
        async with running(path, size=(120, 30)) as (app, pilot):
            await press(pilot, "4")
            data = _weights(app).data
            assert data is not None and data.values is not None
            assert data.values.tolist() == values.tolist()
            await press(pilot, "v")
            rows = app.screen.query_one("#w-values-table", VirtualTable).source
            assert rows.cells(0)[2:] == ("0x3f80", "1")
            await press(pilot, "e")
            app.screen.query_one("#export-path", Input).value = str(target)
            await press(pilot, "ctrl+s")
            saved = np.load(target, allow_pickle=False)
            assert saved.dtype == np.float32 and saved.tolist() == values.tolist()

    run(go())
