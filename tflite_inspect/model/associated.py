"""The associated files of a model: the TFLite Support metadata it carries (its first
`TFLITE_METADATA` entry, decoded by support_metadata.py), the zip appended after its flatbuffer,
and the findings about the two together.

Apart from support_metadata.py, because these read a whole `Model` and model.py imports the
metadata decoders: one module for both made an import cycle.
"""

from __future__ import annotations

import weakref
from typing import Any

from .appended import AppendedArchive, read_appended, terminal_safe
from .model import Model
from .support_metadata import SupportMetadata

__all__ = ["data_end", "model_archive", "model_support_metadata", "support_findings"]

_ARCHIVES: weakref.WeakKeyDictionary[Any, AppendedArchive | None] = weakref.WeakKeyDictionary()


def model_support_metadata(model: Model) -> SupportMetadata | None:
    """The decoded TFLITE_METADATA of `model` (the first such entry), None when it has none or
    it is unreadable (then the entry's `error` says why)."""
    entry = model.metadata_entry("TFLITE_METADATA")
    return entry.detail if entry is not None and entry.kind == "tflite_metadata" else None


def data_end(model: Model) -> int:
    """The end of the last byte range the model's tables point at (buffers, custom options)."""
    end = 0
    for buf in model.buffers:
        if buf.data_offset is not None and buf.size:
            end = max(end, buf.data_offset + buf.size)
    for sg in model.subgraphs:
        for op in sg.operators:
            if op.custom_options_offset is not None and op.custom_options_size:
                end = max(end, op.custom_options_offset + op.custom_options_size)
    return end


def model_archive(model: Model) -> AppendedArchive | None:
    """The zip appended after `model`'s flatbuffer (cached per model), or None when there is none.

    An unreadable zip counts only when the metadata names associated files: otherwise the bytes
    that looked like a zip end record are the model's own."""
    if model in _ARCHIVES:
        return _ARCHIVES[model]
    archive = read_appended(model.source.view, data_end(model))
    if archive is not None and not archive.files and archive.problem:
        support = model_support_metadata(model)
        if support is None or not support.all_files():
            archive = None
    _ARCHIVES[model] = archive
    return archive


def support_findings(model: Model) -> list[tuple[str, str, str]]:
    """(severity, code, message) of the appended zip: refused or unreadable (one finding), and
    associated files the metadata names that the zip does not hold."""
    archive = model_archive(model)
    out = []
    if archive is not None and archive.problem:
        what = "refused" if archive.refused else "not fully readable"
        out.append(
            (
                "warning",
                "APPENDED_FILES_UNREADABLE",
                f"the zip of associated files after the flatbuffer is {what}: {archive.problem}",
            )
        )
    meta = model_support_metadata(model)
    if meta is not None and (archive is None or not archive.problem):
        missing = [
            f.name for f in meta.all_files() if archive is None or archive.file(f.name) is None
        ]
        if missing:
            shown = ", ".join(repr(terminal_safe(n, 60)) for n in missing[:5])
            out.append(
                (
                    "warning",
                    "ASSOCIATED_FILE_MISSING",
                    f"the metadata names {len(missing)} associated file(s) the appended zip "
                    f"does not hold: {shown} (TFLite Support and MediaPipe readers fail on it)",
                )
            )
    return out
