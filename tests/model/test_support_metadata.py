"""TFLite Support metadata (the TFLITE_METADATA entry) and the zip of associated files appended
after the flatbuffer: decoded from a model built with an independent writer, from the real
MediaPipe models of the corpus when present, and from damaged and hostile variants."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from support.support_metadata_builder import (
    LABELS,
    append_zip,
    attach_metadata,
    classifier_tensors,
    classifier_with_metadata,
    labels_text,
    metadata_buffer,
)
from tflite_inspect.flatbuf import load_schema
from tflite_inspect.model import Model, check_model, open_model, size_report
from tflite_inspect.model.appended import MAX_MEMBER_BYTES, read_appended, terminal_safe
from tflite_inspect.model.associated import model_archive, model_support_metadata
from tflite_inspect.model.support_metadata import decode_support_metadata

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "fixtures" / "cnn.float32.tflite"
CORPUS = ROOT / ".corpus"

pytest.importorskip("ai_edge_litert")


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("support") / "classifier.tflite"
    path.write_bytes(classifier_with_metadata(BASE))
    return path


def _open(data: bytes, tmp_path: Path, name: str = "m.tflite") -> Model:
    path = tmp_path / name
    path.write_bytes(data)
    return open_model(path, tolerant=True)


# -- the schema --------------------------------------------------------------------------------


def test_schema_slots_are_the_published_ones() -> None:
    s = load_schema("metadata_schema.fbs")
    assert s.file_identifier == "M001" and s.root_type == "ModelMetadata"
    slots = {
        t: [f.name for f in s.tables[t].fields]
        for t in ("ModelMetadata", "SubGraphMetadata", "TensorMetadata", "Content", "ProcessUnit")
    }
    assert slots["ModelMetadata"] == [
        "name",
        "description",
        "version",
        "subgraph_metadata",
        "author",
        "license",
        "associated_files",
        "min_parser_version",
    ]
    assert slots["SubGraphMetadata"][:4] == [
        "name",
        "description",
        "input_tensor_metadata",
        "output_tensor_metadata",
    ]
    assert slots["SubGraphMetadata"][-1] == "custom_metadata"
    assert slots["TensorMetadata"] == [
        "name",
        "description",
        "dimension_names",
        "content",
        "process_units",
        "stats",
        "associated_files",
    ]
    assert slots["Content"] == ["content_properties_type", "content_properties", "range"]
    assert s.unions["ProcessUnitOptions"].values["RegexTokenizerOptions"] == 6
    assert s.enums["AssociatedFileType"].names[6] == "SCANN_INDEX_FILE"


# -- a model built with an independent writer --------------------------------------------------


def test_model_fields_and_tensor_metadata(fixture_file: Path) -> None:
    model = open_model(fixture_file)
    meta = model_support_metadata(model)
    assert meta is not None
    assert (meta.name, meta.version, meta.author, meta.license, meta.min_parser_version) == (
        "CNN classifier",
        "v1",
        "tflite-inspect tests",
        "Apache-2.0",
        "1.0.0",
    )
    assert meta.description is not None
    assert meta.description.startswith("Classifies 16x16")
    (sg,) = meta.subgraphs
    (image,) = sg.inputs
    (scores,) = sg.outputs
    assert image.description == "Input image, RGB, 16x16."
    assert image.content is not None and image.normalization is not None
    assert image.content.kind == "image" and image.content.color_space == "RGB"
    assert image.content.image_size == (16, 16)
    assert image.normalization.options == {"mean": (127.5,) * 3, "std": (127.5,) * 3}
    assert (image.stats_min, image.stats_max) == ((-1.0,), (1.0,))
    assert scores.content is not None
    assert scores.content.kind == "feature" and scores.content.value_range == (1, 1)
    assert scores.process_units[0].kind == "score_thresholding"
    assert scores.process_units[0].options == {"global_score_threshold": 0.25}
    (labels,) = scores.associated_files
    assert (labels.name, labels.type) == ("labels.txt", "TENSOR_AXIS_LABELS")
    entry = model.metadata_entry("TFLITE_METADATA")
    assert entry is not None
    assert entry.value["associated_files"] == [{"name": "labels.txt", "type": "TENSOR_AXIS_LABELS"}]


def test_audio_properties(tmp_path: Path) -> None:
    _, outputs = classifier_tensors()
    from support.support_metadata_builder import AUDIO, Tensor

    audio = Tensor("waveform", "16 kHz mono", content=AUDIO, audio=(16000, 1))
    meta = decode_support_metadata(metadata_buffer([audio], outputs))
    content = meta.subgraphs[0].inputs[0].content
    assert content is not None
    assert (content.kind, content.sample_rate, content.channels) == ("audio", 16000, 1)


def test_appended_labels_and_sizes(fixture_file: Path) -> None:
    model = open_model(fixture_file)
    archive = model_archive(model)
    assert archive is not None
    (labels,) = archive.files
    assert labels.name == "labels.txt" and labels.lines == len(LABELS)
    assert labels.first_lines == tuple(LABELS[:5])
    # The archive is exactly what zipfile appended after the model with its metadata.
    with_metadata = attach_metadata(BASE.read_bytes(), metadata_buffer(*classifier_tensors()))
    assert archive.start == len(with_metadata) and archive.end == model.file_size
    sizes = size_report(model)
    assert sizes.parts["appended_files"] == model.file_size - len(with_metadata)
    assert sum(sizes.parts.values()) == sizes.file_bytes == model.file_size
    assert sizes.parts["metadata"] >= len(metadata_buffer(*classifier_tensors()))
    assert not [f for f in check_model(model) if f.severity != "info"]


def test_litert_loads_and_runs_the_fixture(fixture_file: Path) -> None:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(fixture_file))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    interp.set_tensor(inp["index"], np.zeros(inp["shape"], np.float32))
    interp.invoke()
    out = interp.get_tensor(interp.get_output_details()[0]["index"])
    assert out.shape == (1, 10) and abs(float(out.sum()) - 1.0) < 1e-4


def test_a_model_without_a_zip_has_no_appended_part() -> None:
    model = open_model(BASE)
    assert model_archive(model) is None and model_support_metadata(model) is None
    sizes = size_report(model)
    assert sizes.parts["appended_files"] == 0 and sum(sizes.parts.values()) == sizes.file_bytes


# -- the real models of the corpus -------------------------------------------------------------


@pytest.mark.skipif(
    not (CORPUS / "mediapipe.selfie_segmentation.tflite").exists(),
    reason="the real-model corpus is not fetched (make corpus)",
)
def test_real_mediapipe_models() -> None:
    model = open_model(CORPUS / "mediapipe.selfie_segmentation.tflite")
    meta = model_support_metadata(model)
    assert meta is not None
    assert meta.name == "ImageSegmenter" and meta.min_parser_version == "1.5.0"
    (image,) = meta.subgraphs[0].inputs
    assert image.normalization is not None
    assert image.normalization.options == {"mean": (0.0,), "std": (255.0,)}
    (mask,) = meta.subgraphs[0].outputs
    assert mask.content is not None
    assert mask.content.color_space == "GRAYSCALE"
    assert mask.associated_files[0].name == "labels.txt"
    assert meta.subgraphs[0].custom_metadata[0].name == "SEGMENTER_METADATA"
    archive = model_archive(model)
    assert archive is not None
    with zipfile.ZipFile(CORPUS / "mediapipe.selfie_segmentation.tflite") as zf:
        text = zf.read("labels.txt").decode()
    labels = archive.file("labels.txt")
    assert labels is not None
    assert labels.first_lines == tuple(text.splitlines()[:5])
    sizes = size_report(model)
    assert sizes.parts["appended_files"] == archive.size
    assert sum(sizes.parts.values()) == model.file_size


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the real-model corpus is not fetched")
def test_every_corpus_model_adds_up() -> None:
    for path in sorted(CORPUS.glob("*.tflite")):
        model = open_model(path, tolerant=True)
        sizes = size_report(model)
        assert sum(sizes.parts.values()) == model.file_size, path.name
        entry = model.metadata_entry("TFLITE_METADATA")
        if entry is not None:
            assert entry.error is None and model_support_metadata(model) is not None, path.name
            assert model_archive(model) is not None, (
                path.name
            )  # MediaPipe appends a zip, even empty


# -- damaged and hostile input -----------------------------------------------------------------


def test_every_byte_of_damaged_metadata_gives_a_line_or_a_value() -> None:
    data = metadata_buffer(*classifier_tensors())
    outcomes = set()
    for pos in range(len(data)):
        for value in (0x00, 0xFF):
            damaged = bytearray(data)
            damaged[pos] = value
            try:
                decode_support_metadata(bytes(damaged))
                outcomes.add("read")
            except ValueError as err:
                assert "\n" not in str(err)
                outcomes.add("refused")
    assert outcomes == {"read", "refused"}


def test_damaged_metadata_is_one_finding(tmp_path: Path) -> None:
    meta = bytearray(metadata_buffer(*classifier_tensors()))
    meta[0:4] = (len(meta) + 100).to_bytes(4, "little")  # the root offset points past the end
    model = _open(attach_metadata(BASE.read_bytes(), bytes(meta)), tmp_path)
    entry = model.metadata_entry("TFLITE_METADATA")
    assert entry is not None
    assert entry.error and model_support_metadata(model) is None
    codes = [f.code for f in check_model(model) if f.severity != "info"]
    assert codes == ["METADATA_UNDECODABLE"]


def test_zip_bomb_is_refused_without_decompressing(tmp_path: Path) -> None:
    with_meta = attach_metadata(BASE.read_bytes(), metadata_buffer(*classifier_tensors()))
    bomb = append_zip(
        with_meta, {"labels.txt": bytes(64 * 1024 * 1024)}, compression=zipfile.ZIP_DEFLATED
    )
    assert len(bomb) - len(with_meta) < 200_000
    model = _open(bomb, tmp_path)
    archive = model_archive(model)
    assert archive is not None and archive.problem is not None
    assert archive.refused and "zip bomb" in archive.problem
    assert archive.files[0].lines is None and archive.files[0].size == 64 * 1024 * 1024
    assert sum(size_report(model).parts.values()) == model.file_size


def test_members_are_read_bounded() -> None:
    big = bytes(b"x\n" * (MAX_MEMBER_BYTES // 2 + 10))
    data = append_zip(b"\0" * 64, {"vocab.txt": big, "labels.txt": labels_text()})
    archive = read_appended(memoryview(data))
    assert archive is not None
    vocab, labels = archive.files
    assert vocab.lines is None and vocab.note is not None and "larger than" in vocab.note
    assert labels.lines == len(LABELS)


def test_damaged_zip_is_one_line(tmp_path: Path) -> None:
    data = bytearray(classifier_with_metadata(BASE))
    cd = data.rfind(b"PK\x01\x02")
    data[cd : cd + 4] = b"XXXX"  # the central directory entry is no longer one
    model = _open(bytes(data), tmp_path)
    archive = model_archive(model)
    assert archive is not None and archive.problem and "\n" not in archive.problem
    assert sum(size_report(model).parts.values()) == model.file_size


def test_names_and_lines_are_terminal_safe() -> None:
    data = append_zip(b"\0" * 64, {"\x1b[31mevil\x07.txt": b"ok\n\x1b]0;title\x07\n"})
    archive = read_appended(memoryview(data))
    assert archive is not None
    (member,) = archive.files
    assert member.name.startswith("\x1b")  # kept as stored ...
    shown = terminal_safe(member.name) + "".join(terminal_safe(x) for x in member.first_lines)
    assert (
        "\x1b" not in shown and "\x07" not in shown and "\\x1b[31mevil" in shown
    )  # ... shown escaped
    assert terminal_safe("a\u202eb") == "a\\u202eb"


def test_archive_problems_are_one_finding_each(tmp_path: Path) -> None:
    with_meta = attach_metadata(BASE.read_bytes(), metadata_buffer(*classifier_tensors()))
    bomb = _open(
        append_zip(with_meta, {"labels.txt": bytes(64 << 20)}, compression=zipfile.ZIP_DEFLATED),
        tmp_path,
        "bomb.tflite",
    )
    findings = [f for f in check_model(bomb) if f.severity != "info"]
    assert [f.code for f in findings] == ["APPENDED_FILES_UNREADABLE"]
    assert "refused" in findings[0].message and "zip bomb" in findings[0].message
    missing = _open(append_zip(with_meta, {"other.txt": b"x\n"}), tmp_path, "missing.tflite")
    findings = [f for f in check_model(missing) if f.severity != "info"]
    assert [f.code for f in findings] == ["ASSOCIATED_FILE_MISSING"]
    assert "'labels.txt'" in findings[0].message
    no_zip = _open(with_meta, tmp_path, "nozip.tflite")
    assert [f.code for f in check_model(no_zip) if f.severity != "info"] == [
        "ASSOCIATED_FILE_MISSING"
    ]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the real-model corpus is not fetched")
def test_real_models_have_no_appended_file_findings() -> None:
    for path in sorted(CORPUS.glob("mediapipe.*.tflite")):
        codes = {f.code for f in check_model(open_model(path, tolerant=True))}
        assert not codes & {"APPENDED_FILES_UNREADABLE", "ASSOCIATED_FILE_MISSING"}, path.name
