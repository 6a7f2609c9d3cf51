"""TFLite Support / MediaPipe model metadata: the `TFLITE_METADATA` entry of `Model.metadata`.

The entry's buffer holds a second flatbuffer (file identifier "M001", root ModelMetadata,
schemas/metadata_schema.fbs). `decode_support_metadata(data)` verifies it with our verifier and
turns it into plain frozen objects: the model's name, version, author, license, description and
minimum parser version; per subgraph, the metadata of each input and output tensor (in the order of
the subgraph's inputs and outputs): description, content (image colour space and size, audio sample
rate and channels, bounding-box layout, feature), normalization mean/std and the other process
units, value range, stats, and the associated files with their types.

The associated files themselves are members of the zip archive appended after the flatbuffer
(see `appended.py`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from ..flatbuf import ByteSource, FlatBufError, Schema, Table, load_schema, root, verify

__all__ = [
    "AssociatedFile",
    "Content",
    "CustomMetadata",
    "ProcessUnit",
    "SubgraphMetadata",
    "SupportMetadata",
    "TensorGroup",
    "TensorMetadata",
    "decode_support_metadata",
    "support_metadata_schema",
]

FILE_IDENTIFIER = b"M001"
_MAX_ITEMS = 10_000  # per vector; the verifier already bounds the whole buffer


@functools.cache
def support_metadata_schema() -> Schema:
    return load_schema("metadata_schema.fbs")


@dataclass(frozen=True)
class AssociatedFile:
    """A file named by the metadata; `name` is its member name in the appended zip."""

    name: str | None
    type: str
    description: str | None = None
    locale: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class Content:
    """What a tensor's values are. `kind` is "image", "feature", "bounding_box", "audio", or
    None when the metadata says nothing; the other fields belong to their kind."""

    kind: str | None
    color_space: str | None = None
    image_size: tuple[int, int] | None = None  # (width, height) the model was trained with
    sample_rate: int | None = None
    channels: int | None = None
    box_index: tuple[int, ...] = ()
    box_type: str | None = None
    coordinate_type: str | None = None
    value_range: tuple[int, int] | None = None  # (min, max) dimensions the content applies to


@dataclass(frozen=True)
class ProcessUnit:
    """One pre- or post-processing step. `kind` is the option table's name in TFLite Support's
    words ("normalization", "score_calibration", "score_thresholding", "bert_tokenizer",
    "sentencepiece_tokenizer", "regex_tokenizer") or "unknown_<n>" for a type this reader does not
    know. `options` holds its scalar and float-list options; `files` the files it names."""

    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    files: tuple[AssociatedFile, ...] = ()


@dataclass(frozen=True)
class TensorMetadata:
    name: str | None
    description: str | None = None
    dimension_names: tuple[str, ...] = ()
    content: Content | None = None
    process_units: tuple[ProcessUnit, ...] = ()
    stats_min: tuple[float, ...] = ()
    stats_max: tuple[float, ...] = ()
    associated_files: tuple[AssociatedFile, ...] = ()

    @property
    def normalization(self) -> ProcessUnit | None:
        """The NormalizationOptions step, if any (options "mean" and "std")."""
        return next((p for p in self.process_units if p.kind == "normalization"), None)


@dataclass(frozen=True)
class TensorGroup:
    name: str | None
    tensor_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomMetadata:
    """Opaque data for a particular reader (e.g. MediaPipe's SEGMENTER_METADATA)."""

    name: str | None
    size: int


@dataclass(frozen=True)
class SubgraphMetadata:
    index: int
    name: str | None = None
    description: str | None = None
    inputs: tuple[TensorMetadata, ...] = ()
    outputs: tuple[TensorMetadata, ...] = ()
    associated_files: tuple[AssociatedFile, ...] = ()
    input_process_units: tuple[ProcessUnit, ...] = ()
    output_process_units: tuple[ProcessUnit, ...] = ()
    input_tensor_groups: tuple[TensorGroup, ...] = ()
    output_tensor_groups: tuple[TensorGroup, ...] = ()
    custom_metadata: tuple[CustomMetadata, ...] = ()


@dataclass(frozen=True)
class SupportMetadata:
    """A decoded ModelMetadata flatbuffer."""

    name: str | None = None
    description: str | None = None
    version: str | None = None
    author: str | None = None
    license: str | None = None
    min_parser_version: str | None = None
    associated_files: tuple[AssociatedFile, ...] = ()
    subgraphs: tuple[SubgraphMetadata, ...] = ()

    def all_files(self) -> tuple[AssociatedFile, ...]:
        """Every associated file named anywhere (model, subgraphs, tensors, tokenizers), once per
        name, in the order met."""
        found: list[AssociatedFile] = list(self.associated_files)
        for sg in self.subgraphs:
            found += sg.associated_files
            units = list(sg.input_process_units) + list(sg.output_process_units)
            for t in sg.inputs + sg.outputs:
                found += t.associated_files
                units += t.process_units
            for unit in units:
                found += unit.files
        seen: set[str | None] = set()
        out = []
        for f in found:
            if f.name not in seen:
                seen.add(f.name)
                out.append(f)
        return tuple(out)

    def brief(self) -> dict[str, Any]:
        """The model-level fields, for a one-line metadata entry (None and empty left out)."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "version": self.version,
            "author": self.author,
            "license": self.license,
            "min_parser_version": self.min_parser_version,
        }
        files = self.all_files()
        if files:
            out["associated_files"] = [{"name": f.name, "type": f.type} for f in files]
        return {k: v for k, v in out.items() if v not in (None, "")}


# -- decoding ----------------------------------------------------------------------------------

_UNIT_KINDS = {
    "NormalizationOptions": "normalization",
    "ScoreCalibrationOptions": "score_calibration",
    "ScoreThresholdingOptions": "score_thresholding",
    "BertTokenizerOptions": "bert_tokenizer",
    "SentencePieceTokenizerOptions": "sentencepiece_tokenizer",
    "RegexTokenizerOptions": "regex_tokenizer",
}
_CONTENT_KINDS = {
    "FeatureProperties": "feature",
    "ImageProperties": "image",
    "BoundingBoxProperties": "bounding_box",
    "AudioProperties": "audio",
}


def _enum(table: Table, name: str) -> str:
    f = table.field_def(name)
    value = int(table.get(name))
    assert f.type.ref is not None
    return table.schema.enums[f.type.ref].names.get(value, f"UNKNOWN_{value}")


def _tables(table: Table | None, name: str) -> list[Table]:
    vec = table.get(name) if table is not None else None
    if vec is None:
        return []
    return [vec[i] for i in range(min(len(vec), _MAX_ITEMS))]


def _values(table: Table | None, name: str) -> tuple[Any, ...]:
    vec = table.get(name) if table is not None else None
    if vec is None:
        return ()
    return tuple(vec[i] for i in range(min(len(vec), _MAX_ITEMS)))


def _floats(table: Table | None, name: str) -> tuple[float, ...]:
    return tuple(float(v) for v in _values(table, name))


def _file(t: Table) -> AssociatedFile:
    return AssociatedFile(
        t.get("name"), _enum(t, "type"), t.get("description"), t.get("locale"), t.get("version")
    )


def _files(table: Table | None, name: str) -> tuple[AssociatedFile, ...]:
    return tuple(_file(t) for t in _tables(table, name))


def _unit(t: Table) -> ProcessUnit:
    member, opts, raw = t.union("options")
    if member is None or opts is None:
        return ProcessUnit(f"unknown_{raw}")
    kind = _UNIT_KINDS[member]
    options: dict[str, Any] = {}
    files: tuple[AssociatedFile, ...] = ()
    if member == "NormalizationOptions":
        options = {"mean": _floats(opts, "mean"), "std": _floats(opts, "std")}
    elif member == "ScoreCalibrationOptions":
        options = {
            "score_transformation": _enum(opts, "score_transformation"),
            "default_score": float(opts.get("default_score")),
        }
    elif member == "ScoreThresholdingOptions":
        options = {"global_score_threshold": float(opts.get("global_score_threshold"))}
    elif member == "BertTokenizerOptions":
        files = _files(opts, "vocab_file")
    elif member == "SentencePieceTokenizerOptions":
        files = _files(opts, "sentencePiece_model") + _files(opts, "vocab_file")
    elif member == "RegexTokenizerOptions":
        options = {"delim_regex_pattern": opts.get("delim_regex_pattern")}
        files = _files(opts, "vocab_file")
    return ProcessUnit(kind, options, files)


def _units(table: Table | None, name: str) -> tuple[ProcessUnit, ...]:
    return tuple(_unit(t) for t in _tables(table, name))


def _content(t: Table | None) -> Content | None:
    if t is None:
        return None
    rng = t.get("range")
    value_range = (int(rng.get("min")), int(rng.get("max"))) if rng is not None else None
    member, props, raw = t.union("content_properties")
    if member is None or props is None:
        return Content(None if raw == 0 else f"unknown_{raw}", value_range=value_range)
    kind = _CONTENT_KINDS[member]
    if member == "ImageProperties":
        size = props.get("default_size")
        return Content(
            kind,
            color_space=_enum(props, "color_space"),
            value_range=value_range,
            image_size=(int(size.get("width")), int(size.get("height")))
            if size is not None
            else None,
        )
    if member == "AudioProperties":
        return Content(
            kind,
            sample_rate=int(props.get("sample_rate")),
            channels=int(props.get("channels")),
            value_range=value_range,
        )
    if member == "BoundingBoxProperties":
        return Content(
            kind,
            box_index=tuple(int(v) for v in _values(props, "index")),
            box_type=_enum(props, "type"),
            coordinate_type=_enum(props, "coordinate_type"),
            value_range=value_range,
        )
    return Content(kind, value_range=value_range)


def _tensor(t: Table) -> TensorMetadata:
    stats = t.get("stats")
    return TensorMetadata(
        name=t.get("name"),
        description=t.get("description"),
        dimension_names=tuple(str(s) for s in _values(t, "dimension_names")),
        content=_content(t.get("content")),
        process_units=_units(t, "process_units"),
        stats_min=_floats(stats, "min"),
        stats_max=_floats(stats, "max"),
        associated_files=_files(t, "associated_files"),
    )


def _groups(table: Table, name: str) -> tuple[TensorGroup, ...]:
    return tuple(
        TensorGroup(g.get("name"), tuple(str(s) for s in _values(g, "tensor_names")))
        for g in _tables(table, name)
    )


def _subgraph(index: int, t: Table) -> SubgraphMetadata:
    custom = []
    for c in _tables(t, "custom_metadata"):
        data = c.get("data")
        custom.append(CustomMetadata(c.get("name"), len(data) if data is not None else 0))
    return SubgraphMetadata(
        index=index,
        name=t.get("name"),
        description=t.get("description"),
        inputs=tuple(_tensor(x) for x in _tables(t, "input_tensor_metadata")),
        outputs=tuple(_tensor(x) for x in _tables(t, "output_tensor_metadata")),
        associated_files=_files(t, "associated_files"),
        input_process_units=_units(t, "input_process_units"),
        output_process_units=_units(t, "output_process_units"),
        input_tensor_groups=_groups(t, "input_tensor_groups"),
        output_tensor_groups=_groups(t, "output_tensor_groups"),
        custom_metadata=tuple(custom),
    )


def decode_support_metadata(data: memoryview | bytes) -> SupportMetadata:
    """Verifies then decodes a ModelMetadata flatbuffer.

    Raises ValueError with one line naming the first problem (wrong identifier, a structural
    error found by the verifier, or a read failure)."""
    if len(data) < 8 or bytes(data[4:8]) != FILE_IDENTIFIER:
        raise ValueError("TFLITE_METADATA does not carry the 'M001' identifier")
    schema = support_metadata_schema()
    src = ByteSource(bytes(data), name="TFLITE_METADATA")
    report = verify(src, schema)
    if not report.ok:
        first = report.errors[0]
        where = f" at {first.path}" if first.path else ""
        raise ValueError(
            f"TFLITE_METADATA is not a valid ModelMetadata flatbuffer: "
            f"{first.message}{where} ({first.code})"
        )
    try:
        t = root(src, schema)
        return SupportMetadata(
            name=t.get("name"),
            description=t.get("description"),
            version=t.get("version"),
            author=t.get("author"),
            license=t.get("license"),
            min_parser_version=t.get("min_parser_version"),
            associated_files=_files(t, "associated_files"),
            subgraphs=tuple(_subgraph(i, s) for i, s in enumerate(_tables(t, "subgraph_metadata"))),
        )
    except FlatBufError as err:
        raise ValueError(f"TFLITE_METADATA: {err.message} ({err.code})") from err


# -- on a model --------------------------------------------------------------------------------
