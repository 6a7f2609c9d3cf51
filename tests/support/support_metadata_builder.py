"""Builds a model carrying TFLite Support metadata, the way TFLite Support's MetadataPopulator does
(tests only; built at test time, never committed).

- The ModelMetadata flatbuffer is written with the `flatbuffers` Builder and the vtable slots of
  the published metadata_schema.fbs spelled out by hand (as flatc's generated code does), not with
  our compiled schema: a slot wrong in our .fbs cannot hide behind the same mistake here.
- It is attached to the model as a new buffer and a `TFLITE_METADATA` metadata entry through
  LiteRT's own generated object API (ai_edge_litert.schema_py_generated), then the associated
  files are appended as a zip by Python's zipfile in append mode, as MetadataPopulator does.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import flatbuffers
from flatbuffers import number_types as N

# Union type values and enum values of metadata_schema.fbs 1.5.0.
FEATURE, IMAGE, BOUNDING_BOX, AUDIO = 1, 2, 3, 4
NORMALIZATION, SCORE_CALIBRATION, SCORE_THRESHOLDING = 1, 2, 3
RGB, GRAYSCALE = 1, 2
DESCRIPTIONS, TENSOR_AXIS_LABELS, TENSOR_VALUE_LABELS, VOCABULARY = 1, 2, 3, 5

LABELS = [f"class_{i}" for i in range(10)]


@dataclass
class Tensor:
    name: str
    description: str
    content: int | None = None  # FEATURE, IMAGE, AUDIO
    color_space: int = RGB
    image_size: tuple[int, int] | None = None
    audio: tuple[int, int] | None = None  # (sample_rate, channels)
    value_range: tuple[int, int] | None = None
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    score_threshold: float | None = None
    stats_min: list[float] = field(default_factory=list)
    stats_max: list[float] = field(default_factory=list)
    files: list[tuple[str, int, str]] = field(default_factory=list)  # (name, type, description)


class _Meta:
    def __init__(self) -> None:
        self.b = flatbuffers.Builder(1024)

    def s(self, text: str | None) -> int | None:
        return self.b.CreateString(text) if text is not None else None

    def floats(self, values: list[float]) -> int:
        b = self.b
        b.StartVector(4, len(values), 4)
        for v in reversed(values):
            b.PrependFloat32(v)
        return int(b.EndVector())

    def offsets(self, items: list[int]) -> int:
        b = self.b
        b.StartVector(4, len(items), 4)
        for off in reversed(items):
            b.PrependUOffsetTRelative(off)
        return int(b.EndVector())

    def table(self, slots: int, fields: list[tuple[int, str, object]]) -> int:
        """fields: (slot, "o" offset | "b" byte | "u" uint | "i" int | "f" float, value)."""
        b = self.b
        b.StartObject(slots)
        for slot, kind, value in fields:
            if value is None:
                continue
            if kind == "o":
                b.PrependUOffsetTRelativeSlot(slot, value, 0)
            elif kind == "b":
                b.PrependInt8Slot(slot, value, 0)
            elif kind == "ub":
                b.PrependUint8Slot(slot, value, 0)
            elif kind == "u":
                b.PrependUint32Slot(slot, value, 0)
            elif kind == "i":
                b.PrependInt32Slot(slot, value, 0)
            elif kind == "f":
                b.PrependSlot(N.Float32Flags, slot, value, 0.0)
        return int(b.EndObject())

    def file(self, name: str, type_: int, description: str) -> int:
        n, d = self.s(name), self.s(description)
        # AssociatedFile: name 0, description 1, type 2, locale 3, version 4
        return self.table(5, [(0, "o", n), (1, "o", d), (2, "b", type_)])

    def tensor(self, t: Tensor) -> int:
        name, desc = self.s(t.name), self.s(t.description)
        content = None
        if t.content is not None:
            if t.content == IMAGE:
                size = None
                if t.image_size is not None:
                    size = self.table(2, [(0, "u", t.image_size[0]), (1, "u", t.image_size[1])])
                props = self.table(2, [(0, "b", t.color_space), (1, "o", size)])
            elif t.content == AUDIO:
                assert t.audio is not None
                props = self.table(2, [(0, "u", t.audio[0]), (1, "u", t.audio[1])])
            else:
                props = self.table(0, [])
            rng = None
            if t.value_range is not None:
                rng = self.table(2, [(0, "i", t.value_range[0]), (1, "i", t.value_range[1])])
            # Content: content_properties_type 0, content_properties 1, range 2
            content = self.table(3, [(0, "ub", t.content), (1, "o", props), (2, "o", rng)])
        units = []
        if t.mean or t.std:
            mean, std = self.floats(t.mean), self.floats(t.std)
            opts = self.table(2, [(0, "o", mean), (1, "o", std)])
            units.append(self.table(2, [(0, "ub", NORMALIZATION), (1, "o", opts)]))
        if t.score_threshold is not None:
            opts = self.table(1, [(0, "f", t.score_threshold)])
            units.append(self.table(2, [(0, "ub", SCORE_THRESHOLDING), (1, "o", opts)]))
        process_units = self.offsets(units) if units else None
        stats = None
        if t.stats_min or t.stats_max:
            smax, smin = self.floats(t.stats_max), self.floats(t.stats_min)
            stats = self.table(2, [(0, "o", smax), (1, "o", smin)])
        files = self.offsets([self.file(*f) for f in t.files]) if t.files else None
        # TensorMetadata: name 0, description 1, dimension_names 2, content 3, process_units 4,
        # stats 5, associated_files 6
        return self.table(
            7,
            [
                (0, "o", name),
                (1, "o", desc),
                (3, "o", content),
                (4, "o", process_units),
                (5, "o", stats),
                (6, "o", files),
            ],
        )


def metadata_buffer(
    inputs: list[Tensor],
    outputs: list[Tensor],
    *,
    name: str = "CNN classifier",
    description: str = "Classifies 16x16 RGB images into 10 classes.",
    version: str = "v1",
    author: str = "tflite-inspect tests",
    license_: str = "Apache-2.0",
    min_parser_version: str = "1.0.0",
) -> bytes:
    """A ModelMetadata flatbuffer with identifier M001 and one subgraph."""
    m = _Meta()
    ins = m.offsets([m.tensor(t) for t in inputs])
    outs = m.offsets([m.tensor(t) for t in outputs])
    sg_name = m.s("main")
    # SubGraphMetadata: name 0, description 1, input_tensor_metadata 2, output_tensor_metadata 3, ...
    sg = m.table(10, [(0, "o", sg_name), (2, "o", ins), (3, "o", outs)])
    sgs = m.offsets([sg])
    fields = [m.s(x) for x in (name, description, version, author, license_, min_parser_version)]
    # ModelMetadata: name 0, description 1, version 2, subgraph_metadata 3, author 4, license 5,
    # associated_files 6, min_parser_version 7
    root = m.table(
        8,
        [
            (0, "o", fields[0]),
            (1, "o", fields[1]),
            (2, "o", fields[2]),
            (3, "o", sgs),
            (4, "o", fields[3]),
            (5, "o", fields[4]),
            (7, "o", fields[5]),
        ],
    )
    m.b.Finish(root, b"M001")
    return bytes(m.b.Output())


def classifier_tensors() -> tuple[list[Tensor], list[Tensor]]:
    """The metadata of an image classifier: normalized RGB in, scores with a label file out."""
    image = Tensor(
        "image",
        "Input image, RGB, 16x16.",
        content=IMAGE,
        image_size=(16, 16),
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        stats_min=[-1.0],
        stats_max=[1.0],
    )
    scores = Tensor(
        "probability",
        "Probabilities of the 10 classes.",
        content=FEATURE,
        value_range=(1, 1),
        score_threshold=0.25,
        files=[("labels.txt", TENSOR_AXIS_LABELS, "Names of the 10 classes.")],
    )
    return [image], [scores]


def attach_metadata(model: bytes, metadata: bytes) -> bytes:
    """`model` with `metadata` added as a buffer named by a TFLITE_METADATA entry (via LiteRT's
    generated object API, as MetadataPopulator does with TFLite's)."""
    from ai_edge_litert import schema_py_generated as schema

    obj = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    buf = schema.BufferT()
    buf.data = list(metadata)
    obj.buffers.append(buf)
    entry = schema.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(obj.buffers) - 1
    obj.metadata = list(obj.metadata or []) + [entry]
    b = flatbuffers.Builder(len(model) + len(metadata) + 1024)
    b.Finish(obj.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def append_zip(
    model: bytes, files: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED
) -> bytes:
    """`model` followed by a zip of `files`, written by zipfile in append mode."""
    out = io.BytesIO(model)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a", compression=compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def labels_text(labels: list[str] = LABELS) -> bytes:
    return ("\n".join(labels) + "\n").encode()


def classifier_with_metadata(base: Path, *, files: dict[str, bytes] | None = None) -> bytes:
    """The fixture: `base` (fixtures/cnn.float32.tflite) with classifier metadata and labels.txt."""
    inputs, outputs = classifier_tensors()
    model = attach_metadata(base.read_bytes(), metadata_buffer(inputs, outputs))
    return append_zip(model, files if files is not None else {"labels.txt": labels_text()})
