"""The CLI's `tensors` and the UI's Tensors table say the same words for every tensor of every
fixture and corpus model: dtype, shape, quantization and size (they come from text.tensor; this guards against a
view growing its own)."""

from __future__ import annotations

from pathlib import Path

import pytest
from model.model_testlib import FIXTURE_NAMES, fixture_path

from tflite_inspect.cli import main
from tflite_inspect.model import open_model
from tflite_inspect.ui.views.tensors import TensorRows


def _cli_rows(capsys: pytest.CaptureFixture[str], path: str) -> dict[int, dict[int, str]]:
    """subgraph -> tensor index -> the text row `tensors` printed."""
    capsys.readouterr()
    assert main(["tensors", path]) == 0
    out: dict[int, dict[int, str]] = {}
    sg = -1
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("subgraph "):
            sg = int(line.split()[1])
            out[sg] = {}
        elif sg >= 0 and line.strip()[:1].isdigit():
            out[sg][int(line.split()[0])] = line
    return out


CORPUS = sorted((Path(__file__).resolve().parents[2] / ".corpus").glob("*.tflite"))


@pytest.mark.parametrize("name", [*FIXTURE_NAMES, *(p.name for p in CORPUS)])
def test_cli_and_ui_show_the_same_tensor_words(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every committed fixture, and every model of the real-model corpus when it is fetched."""
    path = next((p for p in CORPUS if p.name == name), None) or fixture_path(name)
    printed = _cli_rows(capsys, str(path))
    with open_model(path) as model:
        for sg in model.subgraphs:
            rows = TensorRows(sg)
            assert len(rows) == len(printed[sg.index])
            for i in range(len(rows)):
                cells = [str(c) for c in rows.cells(i)]
                dtype, shape, quant, size = cells[2], cells[3], cells[4], cells[5]
                line = printed[sg.index][sg.tensors[i].index]
                for words in (dtype, shape, quant, size):
                    assert words in line, (name, sg.index, i, words, line)
