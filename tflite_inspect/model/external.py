"""Tensors whose data lives in an external buffer group: a file beside the model.

Large models keep their weights out of the flatbuffer: `Model.external_buffers` lists slices
(`group`, `offset`, `length`, `packing`) and `Model.external_buffer_groups` names the file of
each group (the converter writes a bare file name, e.g. `weights.bin`). The file is looked up in
the model's own folder only: a group name that is absolute or climbs out with `..` is refused,
so a model cannot make us read an arbitrary file. Files are memory-mapped once per model and
every slice is bounds-checked against the real file size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .errors import ModelError

if TYPE_CHECKING:
    from .model import Model
    from .objects import ExternalBuffer, Tensor

__all__ = ["ExternalData", "external_bytes", "external_data"]

PACKINGS = ("", "unpacked")  # the layouts whose bytes are the tensor's own, as stored


@dataclass(frozen=True)
class ExternalData:
    """Where an external tensor's bytes are, and whether they can be read (`error` says why
    not: no such id, no model folder, a refused name, a missing file, a slice outside it)."""

    buffer_id: int
    group_name: str | None
    offset: int
    length: int
    packing: str | None
    path: str | None
    error: str | None = None

    def describe(self) -> str:
        where = f"{self.group_name or '?'} @ {self.offset:,} ({self.length:,} B)"
        if self.packing not in PACKINGS:
            where += f", packing {self.packing}"
        return where if self.error is None else f"{where}: {self.error}"


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return (
        bool(parts)
        and not name.startswith(("/", "\\"))
        and ".." not in parts
        and not (len(name) > 1 and name[1] == ":")
    )


def external_data(model: Model, tensor: Tensor) -> ExternalData | None:
    """The external slice of `tensor`, resolved against the folder of the model (None when the
    tensor has no external buffer)."""
    if not tensor.external_buffer:
        return None
    eb: ExternalBuffer | None = model._external_by_id.get(tensor.external_buffer)
    if eb is None:
        return ExternalData(
            tensor.external_buffer,
            None,
            0,
            0,
            None,
            None,
            f"no ExternalBuffer has id {tensor.external_buffer}",
        )
    base = ExternalData(eb.id, eb.group_name, eb.offset, eb.length, eb.packing, None)
    name = eb.group_name
    if not name:
        return _with(base, error=f"external buffer group {eb.group} has no file name")
    if not _safe_name(name):
        return _with(
            base,
            error="the group name is not a plain file name beside the model; "
            "refused (only files in the model's folder are read)",
        )
    if model.path is None:
        return _with(base, error="the model was opened from bytes, so it has no folder")
    path = Path(model.path).resolve().parent / name
    if not path.is_file():
        return _with(base, path=str(path), error=f"file not found: put {name} beside the model")
    size = path.stat().st_size
    if eb.offset > size or eb.length > size - eb.offset:
        return _with(
            base, path=str(path), error=f"the slice runs outside the {size:,}-byte file {name}"
        )
    if (eb.packing or "") not in PACKINGS:
        return _with(base, path=str(path), error=f"packing {eb.packing!r} is not read here")
    return _with(base, path=str(path))


def _with(d: ExternalData, **changes: object) -> ExternalData:
    return ExternalData(**{**d.__dict__, **changes})


def external_bytes(model: Model, tensor: Tensor) -> memoryview:
    """The bytes of an external tensor (zero-copy, from a mapping kept open with the model).
    Raises ModelError with the reason when they cannot be read."""
    data = external_data(model, tensor)
    if data is None or data.error is not None or data.path is None:
        reason = "it has no external buffer" if data is None else data.error
        raise ModelError(
            "EXTERNAL_DATA",
            f"tensor {tensor.index} ({tensor.name!r}) of subgraph {tensor.subgraph}: its data is "
            f"in external buffer {tensor.external_buffer}: {reason}",
        )
    src = model.external_source(data.path)
    if data.offset > src.size or data.length > src.size - data.offset:
        raise ModelError(
            "EXTERNAL_DATA", f"{os.path.basename(data.path)} changed size while open; reopen"
        )
    return src.view[data.offset : data.offset + data.length]
