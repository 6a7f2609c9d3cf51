"""Where the bytes of a model file go.

`size_report(model)` splits the file into disjoint parts that add up to the file size: data inside
the flatbuffer (tensor data, metadata, custom options, unused buffers), the flatbuffer's own structure
(tables, vectors, strings, padding: the overhead), and after the flatbuffer (external tensor data,
metadata, large custom options, unreferenced bytes), then the zip archive of TFLite Support's
associated files appended at the very end ("appended_files"). Overlapping or shared ranges are counted once,
charged to the first category in that order. Weight bytes are also broken down by dtype, by the
op type that consumes them (a constant shared by several ops is charged once, to the first), and
by subgraph, with the largest tensors.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from .associated import model_archive
from .model import Model
from .objects import Buffer, Tensor

__all__ = ["NOT_USED_BY_OP", "PARTS", "SizeReport", "TensorSize", "size_report"]

# Categories of byte ranges, by priority (lower wins when ranges overlap).
_TENSOR, _METADATA, _CUSTOM, _UNUSED = range(4)
_NAMES = ("tensor_data", "metadata", "custom_options", "unused_buffers")
PARTS = (
    "tensor_data",
    "metadata",
    "custom_options",
    "unused_buffers",
    "flatbuffer_structure",
    "external_tensor_data",
    "external_metadata",
    "external_custom_options",
    "external_unused_buffers",
    "external_unreferenced",
    "appended_files",
)
NOT_USED_BY_OP = "(not used by an op)"
#: Ops that only turn stored weights into usable ones: their weights count for the op that reads
#: the result (a float16 model's CONV_2D, not its DEQUANTIZE).
_UNPACKERS = ("DEQUANTIZE", "DENSIFY")


def _weight_user(op: Any, readers: dict[int, list[Any]], depth: int = 0) -> str:
    """The op type a weight read by `op` serves: `op`'s own, or through DEQUANTIZE / DENSIFY
    the first op that reads their output."""
    if op.opcode_name not in _UNPACKERS or depth > 4:
        return str(op.opcode_name)
    nexts = [r for out in op.outputs for r in readers.get(out, [])]
    return _weight_user(nexts[0], readers, depth + 1) if nexts else str(op.opcode_name)


@dataclass(frozen=True)
class TensorSize:
    subgraph: int
    tensor: int
    name: str
    dtype: str
    nbytes: int
    buffer: int
    shared: bool = False  # its buffer is used by other tensors too


@dataclass(frozen=True)
class SizeReport:
    """`parts` are disjoint and sum to `file_bytes` (see PARTS for the keys)."""

    file_bytes: int
    flatbuffer_bytes: int
    outside_bytes: int
    parts: dict[str, int]
    weight_bytes: int
    by_dtype: dict[str, int] = field(default_factory=dict)
    by_op_type: dict[str, int] = field(default_factory=dict)
    by_subgraph: dict[int, int] = field(default_factory=dict)
    largest: tuple[TensorSize, ...] = ()
    shared_buffers: int = 0  # buffers used by more than one tensor
    external_weight_bytes: int = 0  # the part of weight_bytes kept in external buffer groups
    external_files: tuple[str, ...] = ()  # those groups' file names

    @property
    def overhead_bytes(self) -> int:
        return self.parts["flatbuffer_structure"]

    @property
    def weights_by_dtype(self) -> dict[str, int]:
        return self.by_dtype

    @property
    def weights_by_op_type(self) -> dict[str, int]:
        return self.by_op_type

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values (subgraph keys as strings)."""
        return {
            "file_bytes": self.file_bytes,
            "flatbuffer_bytes": self.flatbuffer_bytes,
            "outside_bytes": self.outside_bytes,
            "weight_bytes": self.weight_bytes,
            "overhead_bytes": self.overhead_bytes,
            "parts": dict(self.parts),
            "weights_by_dtype": dict(self.by_dtype),
            "weights_by_op_type": dict(self.by_op_type),
            "weights_by_subgraph": {str(k): v for k, v in self.by_subgraph.items()},
            "shared_buffers": self.shared_buffers,
            "external_weight_bytes": self.external_weight_bytes,
            "external_files": list(self.external_files),
            "largest": [
                {
                    "subgraph": t.subgraph,
                    "tensor": t.tensor,
                    "name": t.name,
                    "dtype": t.dtype,
                    "bytes": t.nbytes,
                    "buffer": t.buffer,
                    "shared": t.shared,
                }
                for t in self.largest
            ],
        }


def _sweep(intervals: list[tuple[int, int, int]], lo: int, hi: int) -> tuple[list[int], int]:
    """Bytes of [lo, hi) covered by each category (highest priority wins) and bytes uncovered."""
    clipped = []
    for start, end, cat in intervals:
        start, end = max(start, lo), min(end, hi)
        if start < end:
            clipped.append((start, end, cat))
    clipped.sort()
    covered = [0] * len(_NAMES)
    reach = lo
    for start, end, cat in clipped:
        if start < reach:
            break  # an overlap: priorities matter, sweep the events
        covered[cat] += end - start
        reach = end
    else:  # disjoint, as a converter lays buffers out: each interval counts whole
        return covered, (hi - lo) - sum(covered)
    covered = [0] * len(_NAMES)
    events: list[tuple[int, int, int]] = []
    for start, end, cat in clipped:
        events.append((start, 1, cat))
        events.append((end, -1, cat))
    events.sort()
    active = [0] * len(_NAMES)
    pos = lo
    for at, delta, cat in events:
        if at > pos:
            for c in range(len(_NAMES)):
                if active[c]:
                    covered[c] += at - pos
                    break
            pos = at
        active[cat] += delta
    return covered, (hi - lo) - sum(covered)


def size_report(model: Model, largest: int = 10) -> SizeReport:
    """Accounts for every byte of the file (pure computation over the model's objects)."""
    file_bytes = model.file_size
    buffers = model.buffers
    cat: dict[int, int] = {}
    users: dict[int, int] = {}  # buffer -> how many tensors read it
    # Weights: each buffer (or external buffer id) counted once; each tensor's key read once.
    by_dtype: dict[str, int] = {}
    by_subgraph: dict[int, int] = {}
    weights: list[tuple[int, int, int, Tensor]] = []  # (-bytes, subgraph, index, tensor)
    seen: set[tuple[str, int]] = set()
    external: dict[int, int] = {}
    keys: list[list[tuple[tuple[str, int] | None, int]]] = []
    nbuf = len(buffers)
    for sg in model.subgraphs:
        sg_keys = []
        for t in sg.tensors:
            b = t.buffer
            if 0 < b < nbuf and not t.external_buffer and buffers[b].size:
                cat[b] = _TENSOR
                users[b] = users.get(b, 0) + 1
            if t.external_buffer and t.nbytes and not t.is_variable:
                external[t.external_buffer] = t.nbytes
            key, nbytes = found = _weight_key(buffers, t)
            sg_keys.append(found)
            if key is None:
                continue
            weights.append((-nbytes, sg.index, t.index, t))
            if key in seen:
                continue
            seen.add(key)
            by_dtype[t.dtype] = by_dtype.get(t.dtype, 0) + nbytes
            by_subgraph[sg.index] = by_subgraph.get(sg.index, 0) + nbytes
        keys.append(sg_keys)
    for entry in model.metadata:
        if 0 <= entry.buffer < len(buffers):
            cat.setdefault(entry.buffer, _METADATA)

    intervals: list[tuple[int, int, int]] = []
    external_starts: list[int] = []
    for buf in buffers:
        if buf.data_offset is None or not buf.size:
            continue
        intervals.append((buf.data_offset, buf.data_offset + buf.size, cat.get(buf.index, _UNUSED)))
        if not buf.in_flatbuffer:
            external_starts.append(buf.data_offset)
    for sg in model.subgraphs:
        for op in sg.operators:
            start, size = op.custom_options_offset, op.custom_options_size
            if start is None or not size:
                continue
            intervals.append((start, start + size, _CUSTOM))
            if op.large_custom_options_offset > 1:
                external_starts.append(start)
    # The zip of TFLite Support's associated files comes after everything else.
    archive = model_archive(model)
    appended_start = archive.start if archive is not None else file_bytes
    fb_end = min(external_starts + [appended_start])
    inside, overhead = _sweep(intervals, 0, fb_end)
    outside, unreferenced = _sweep(intervals, fb_end, appended_start)
    parts = {name: inside[i] for i, name in enumerate(_NAMES)}
    parts["flatbuffer_structure"] = overhead
    parts.update({"external_" + name: outside[i] for i, name in enumerate(_NAMES)})
    parts["external_unreferenced"] = unreferenced
    parts["appended_files"] = file_bytes - appended_start

    by_op: dict[str, int] = {}
    charged: set[tuple[str, int]] = set()
    for sg, sg_keys in zip(model.subgraphs, keys, strict=True):
        readers: dict[int, list[Any]] = {}
        for op in sg.operators:
            for ti in op.inputs:
                readers.setdefault(ti, []).append(op)
        n = len(sg_keys)
        for op in sg.operators:
            for ti in op.inputs:
                if not 0 <= ti < n:
                    continue
                key, nbytes = sg_keys[ti]
                if key is None or key in charged:
                    continue
                charged.add(key)
                user = _weight_user(op, readers)
                by_op[user] = by_op.get(user, 0) + nbytes
    weight_bytes = sum(by_dtype.values())
    rest = weight_bytes - sum(by_op.values())
    if rest:
        by_op[NOT_USED_BY_OP] = rest
    # the largest, built as objects only for those shown (a deep model has tens of thousands)
    top = heapq.nsmallest(largest, weights, key=lambda w: w[:3])
    sizes = [
        TensorSize(sg, i, t.name, t.dtype, -neg, t.buffer, users.get(t.buffer, 0) > 1)
        for neg, sg, i, t in top
    ]
    by_id = model._external_by_id
    files = tuple(dict.fromkeys(by_id[i].group_name or "?" for i in external if i in by_id))
    return SizeReport(
        file_bytes=file_bytes,
        flatbuffer_bytes=fb_end,
        outside_bytes=file_bytes - fb_end,
        parts=parts,
        weight_bytes=weight_bytes,
        by_dtype=dict(sorted(by_dtype.items(), key=lambda kv: -kv[1])),
        by_op_type=dict(sorted(by_op.items(), key=lambda kv: -kv[1])),
        by_subgraph=by_subgraph,
        largest=tuple(sizes[:largest]),
        shared_buffers=sum(1 for u in users.values() if u > 1),
        external_weight_bytes=sum(external.values()),
        external_files=files,
    )


def _weight_key(buffers: tuple[Buffer, ...], t: Tensor) -> tuple[tuple[str, int] | None, int]:
    """(dedup key, located bytes) of a constant tensor's data, (None, 0) when it has none."""
    if t.is_variable:
        return None, 0
    if t.external_buffer:
        return (("external", t.external_buffer), t.nbytes) if t.nbytes else (None, 0)
    if not 0 < t.buffer < len(buffers):
        return None, 0
    buf = buffers[t.buffer]
    if buf.data_offset is None or not buf.size:
        return None, 0
    return ("buffer", t.buffer), buf.size
