"""The UI lists findings as the CLI does: one line per code in the Overview, one tree node per
code in the Raw view (its diagnostics added when expanded), one line per rule in the Check pane;
a truncated file says so first. Thousands of findings are a few lines, not thousands."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode
from ui.ui_testlib import fixture_path, press, run, running

from tflite_inspect.check import static_report, with_probes
from tflite_inspect.model import open_model
from tflite_inspect.ui.data.session import Session
from tflite_inspect.ui.data.stats import FindingRow, ModelStats
from tflite_inspect.ui.views.check import report_lines
from tflite_inspect.ui.views.overview import OverviewView
from tflite_inspect.ui.views.raw import DiagnosticNode, GroupNode


def _group_node(node: TreeNode[Any]) -> GroupNode:
    """The GroupNode a raw-view tree node holds."""
    assert isinstance(node.data, GroupNode)
    return node.data


def _truncated(tmp_path: Path) -> tuple[Path, int]:
    data = fixture_path("lstm").read_bytes()
    cut = data[: len(data) // 2 & ~3]
    path = tmp_path / "cut.tflite"
    path.write_bytes(cut)
    return path, len(cut)


def test_overview_shows_one_line_per_code() -> None:
    async def go() -> None:
        async with running(fixture_path("cnn.int8-io")) as (app, _):
            findings = str(app.screen.query_one("#ov-findings", Static).render())
            assert findings.count("UNALIGNED_DATA") == 1
            assert "· warning UNALIGNED_DATA ×7: 7 buffers are not 16-byte aligned" in findings
            assert "harmless for CPU" in findings and "data data" not in findings

    run(go())


def test_overview_of_a_truncated_file_says_so_first(tmp_path: Path) -> None:
    path, size = _truncated(tmp_path)

    async def go() -> None:
        async with running(path, size=(120, 40)) as (app, _):
            head = str(app.screen.query_one("#ov-head", Static).render())
            assert head.startswith(
                f"! damaged file: file ends at byte {size}; the flatbuffer needs at least "
            )
            findings = str(app.screen.query_one("#ov-findings", Static).render())
            assert app.session is not None
            assert len(app.session.model.structural.diagnostics) > 20
            assert len(findings.splitlines()) < 12, findings
            assert "no subgraphs" not in findings

    run(go())


def test_thousands_of_findings_are_a_few_lines_built_fast() -> None:
    with open_model(fixture_path("cnn.int8-io")) as model:
        view = OverviewView(Session(model, "many.tflite"))
        many = [
            FindingRow(
                "warning",
                "UNALIGNED_DATA",
                f"bytes {i:#x}..{i + 16:#x} buffers[{i}].data",
                f"data starts at {i:#x}, not on a 16-byte boundary (schema force_align 16)",
            )
            for i in range(1, 5001)
        ]
        many += [
            FindingRow("error", "INPUT_NOT_PRODUCED", f"subgraph 0, op {i}", "not produced")
            for i in range(2000)
        ]
        start = time.perf_counter()
        text = view._findings(ModelStats(findings=many))
        took = time.perf_counter() - start
    lines = text.plain.splitlines()
    assert len(lines) == 3, lines  # the counts, then one line per code
    assert lines[1].startswith(
        "  ! error INPUT_NOT_PRODUCED ×2000: not produced; first at "
        "subgraph 0, op 0; subgraph 0, op 1; subgraph 0, op 2"
    )
    assert lines[2].startswith("  · warning UNALIGNED_DATA ×5000: 5000 buffers are not")
    assert took < 1.0  # grouping 7,000 findings is milliseconds; 7,000 lines took seconds


def test_raw_view_has_one_node_per_code_expanded_on_demand(tmp_path: Path) -> None:
    path, size = _truncated(tmp_path)

    async def go() -> None:
        async with running(path) as (app, pilot):
            await press(pilot, "5")
            tree = app.screen.query_one(Tree)
            diag = next(n for n in tree.root.children if "diagnostics" in str(n.label))
            labels = [str(n.label) for n in diag.children]
            assert labels[0].startswith(f"! file ends at byte {size}")
            groups = [n for n in diag.children if isinstance(n.data, GroupNode)]
            assert groups and len(diag.children) < 10
            total = sum(_group_node(g).group.count for g in groups) + sum(
                1 for n in diag.children if isinstance(n.data, DiagnosticNode)
            )
            assert app.session is not None
            assert total == len(app.session.model.structural.diagnostics)
            group = max(groups, key=lambda n: _group_node(n).group.count)
            assert not group.children  # nothing built until it is opened
            tree.move_cursor(group)
            await press(pilot, "space")
            leaves = group.children
            count = _group_node(group).group.count
            if count <= 200:
                assert len(leaves) == count
                assert all(isinstance(n.data, DiagnosticNode) for n in leaves)
            else:
                assert all(isinstance(n.data, GroupNode) for n in leaves)

    run(go())


class _Pane:
    def op_location(self, subgraph: Any, op: Any) -> Any:
        return None if op is None else ("ops", subgraph, op)


def test_check_pane_lists_one_line_per_rule() -> None:
    with open_model(fixture_path("cnn.float32")) as model:
        report = with_probes(model, static_report(model, installed=()), [], ("int8",))
    float_ops = [f for f in report.targets["int8"].findings if f.rule == "float_op"]
    assert len(float_ops) > 1
    text = [ln.text.plain for ln in report_lines(report, ("int8",), _Pane())]  # type: ignore[arg-type]
    rows = [t for t in text if "computes in float" in t]
    assert len(rows) == 1 and rows[0].startswith(f"error ×{len(float_ops)} [first at op ")
    assert sum(1 for t in text if "rule float_op" in t) == 1
