"""`verify` and `check` print findings a person can read: one line per code by default, every
instance with `--all` and in the JSON, a one-line diagnosis first for a truncated file, and no
finding twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tflite_inspect.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT / ".corpus"
SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
CONVERTER_OUTPUT = FIXTURES / "cnn.int8-io.tflite"  # 7 buffers off the 16-byte boundary


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main([*argv, "--json"])
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    return code, doc


def test_verify_prints_one_line_per_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", str(CONVERTER_OUTPUT))
    assert code == 0
    assert len(out) == 2, out  # the group and the verdict
    group, verdict = out
    assert group.startswith(
        "WARNING UNALIGNED_DATA ×7: 7 buffers are not 16-byte aligned "
        "(schema force_align 16); LiteRT reads them in place"
    )
    assert "harmless for CPU; first at buffers[" in group
    assert "data data" not in group
    assert verdict.endswith(
        "valid: 0 structural error(s), 0 semantic error(s), 7 warning(s); --all lists each one"
    )


def test_verify_all_lists_every_instance(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", str(CONVERTER_OUTPUT), "--all")
    assert code == 0
    lines = [ln for ln in out if ln.startswith("WARNING UNALIGNED_DATA")]
    assert len(lines) == 7 and len(set(lines)) == 7
    assert all(" bytes 0x" in ln and ".data: data starts at 0x" in ln for ln in lines)
    assert not out[-1].endswith("--all lists each one")


def test_verify_json_keeps_every_instance_and_adds_the_groups(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = run_json(capsys, "verify", str(CONVERTER_OUTPUT))
    assert code == 0 and doc["valid"] is True and doc["truncation"] is None
    assert [d["code"] for d in doc["structural"]] == ["UNALIGNED_DATA"] * 7
    (group,) = doc["groups"]
    assert group["code"] == "UNALIGNED_DATA" and group["count"] == 7
    assert group["first"] == [d["path"] for d in doc["structural"][:3]]


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the real-model corpus is not fetched (python corpus/fetch.py)"
)
@pytest.mark.parametrize(
    "path", sorted(CORPUS.glob("*.tflite")) if CORPUS.is_dir() else [], ids=lambda p: p.name
)
def test_verify_on_a_real_model_prints_a_few_lines(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    code, out, err = run(capsys, "verify", str(path))
    assert code == 0
    assert len(out) <= 4, out  # hundreds of unaligned buffers are one line
    _, every, _ = run(capsys, "verify", str(path), "--all")
    assert len(every) >= len(out)


# -- a truncated file ---------------------------------------------------------------------------


@pytest.fixture
def truncated(tmp_path: Path) -> tuple[Path, int, int]:
    data = (FIXTURES / "lstm.tflite").read_bytes()
    cut = data[: len(data) // 2 & ~3]
    path = tmp_path / "cut.tflite"
    path.write_bytes(cut)
    return path, len(cut), len(data)


def test_a_truncated_file_gets_one_first_line(
    capsys: pytest.CaptureFixture[str], truncated: tuple[Path, int, int]
) -> None:
    path, size, whole = truncated
    code, out, err = run(capsys, "verify", str(path))
    assert code == 2
    first = out[0]
    assert first.startswith(f"file ends at byte {size}; the flatbuffer needs at least ")
    needed = int(first.split("needs at least ")[1].split()[0])
    assert size < needed <= whole
    assert len(out) < 10, out  # then a few grouped lines
    assert all(ln.startswith("ERROR") or ln.startswith("WARNING") for ln in out[1:])
    assert "no subgraphs" not in "\n".join(out)
    assert err[-1].endswith("--all lists each one")


def test_a_truncated_file_says_nothing_twice(
    capsys: pytest.CaptureFixture[str], truncated: tuple[Path, int, int]
) -> None:
    path, _, _ = truncated
    _, doc = run_json(capsys, "verify", str(path))
    assert doc["truncation"]["file_size"] == doc["file"]["size"]
    structural = {d["path"] for d in doc["structural"] if d["severity"] == "error"}
    read_errors = [f for f in doc["semantic"] if f["code"] == "READ_ERROR"]
    assert not [f for f in read_errors if f["location"].get("path") in structural]
    assert sum(g["count"] for g in doc["groups"]) == len(doc["structural"]) + len(doc["semantic"])
    code, every, _ = run(capsys, "verify", str(path), "--all")
    assert code == 2
    assert every[0].startswith("file ends at byte ")
    assert len(every) == 1 + len(doc["structural"]) + len(doc["semantic"])
    assert len(set(every)) == len(every)


# -- check -------------------------------------------------------------------------------------


def test_check_groups_its_findings_by_rule_and_all_lists_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ("check", str(FIXTURES / "cnn.float32.tflite"), "--target", "int8", "--no-probe")
    code, grouped, _ = run(capsys, *argv)
    assert code == 1
    _, every, _ = run(capsys, *argv, "--all")
    _, doc = run_json(capsys, *argv)
    float_ops = [f for f in doc["targets"]["int8"]["findings"] if f["rule"] == "float_op"]
    assert len(float_ops) > 1
    rows = [ln for ln in grouped if "computes in float" in ln]
    assert len(rows) == 1 and f"float_op ×{len(float_ops)}: " in rows[0]
    assert len([ln for ln in every if "computes in float" in ln]) == len(float_ops)
