"""The facts the checks rest on, kept as JSON in `tflite_inspect/data/` with the source they were
transcribed from (repository, path, revision): the converter's op-version -> runtime table, the
TFLite Micro op list and limits, the GPU delegate's op list and constraints, and which runtime each
interpreter package bundles.

Also the installed interpreters, found without importing them (importlib metadata only).
"""

from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from typing import Any

__all__ = [
    "InstalledRuntime",
    "installed_runtimes",
    "load",
    "min_runtime_for",
    "runtime_key",
    "source_line",
]


@functools.cache
def load(name: str) -> dict[str, Any]:
    """The data file `tflite_inspect/data/<name>.json`. Raises FileNotFoundError for an unknown
    name (a packaging bug, not a user error)."""
    text = resources.files("tflite_inspect").joinpath("data", f"{name}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def source_line(name: str, part: str | None = None) -> str:
    """'repository path @revision' of a data file (or of one part of its `source`)."""
    src = load(name)["source"]
    if part is not None:
        src = src[part]
    if isinstance(src, dict) and "repository" in src:
        return f"{src['repository']} {src['path']} @{src['revision'][:12]}"
    return str(src)


def runtime_key(text: str | None) -> tuple[int, ...]:
    """'2.14.4' -> (2, 14, 4), for ordering versions as the converter's CompareRuntimeVersion
    does; non-numeric parts (e.g. '0rc1', 'dev0') count up to their leading digits."""
    out: list[int] = []
    for part in (text or "").split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        out.append(int(digits) if digits else 0)
    while len(out) > 1 and out[-1] == 0:
        out.pop()
    return tuple(out)


def min_runtime_for(opcode: str, op_version: int) -> str | None:
    """The first TFLite runtime that supports `opcode` at `op_version`, None when the table does
    not know the pair (custom ops, or a version newer than the table)."""
    entry = load("runtime_versions")["ops"].get(opcode)
    if entry is None:
        return None
    result: str | None = entry.get(str(op_version))
    return result


def newest_known_version(opcode: str) -> int | None:
    """The highest version of a builtin op the table knows."""
    entry = load("runtime_versions")["ops"].get(opcode)
    return max(int(v) for v in entry) if entry else None


@dataclass(frozen=True)
class InstalledRuntime:
    """An interpreter package found in this Python environment.

    `name` is the distribution ("ai-edge-litert", "tensorflow", "tflite-micro"), `module` what the
    probe imports, `runtime_version` the TFLite runtime it bundles (None when unknown), and
    `flex` whether it can run Flex ops."""

    name: str
    version: str
    module: str
    runtime_version: str | None
    flex: bool

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


_PACKAGES = (
    ("ai-edge-litert", "ai_edge_litert"),
    ("tensorflow", "tensorflow"),
    ("tflite-runtime", "tflite_runtime"),
    ("tflite-micro", "tflite_micro"),
)


def _bundled_runtime(name: str, ver: str) -> tuple[str | None, bool]:
    data = load("runtimes")
    if name == "ai-edge-litert":
        major_minor = ".".join(ver.split(".")[:2])
        return data["ai-edge-litert"].get(major_minor), False
    if name in ("tensorflow", "tflite-runtime"):
        rt = ".".join(ver.split(".")[:3])
        flex = name == "tensorflow" and runtime_key(ver) <= runtime_key(
            data["tensorflow_flex_until"] + ".99"
        )
        return rt, flex
    return None, False


def installed_runtimes() -> list[InstalledRuntime]:
    """The interpreter packages installed here, LiteRT first. Reads package metadata only (no
    import: TensorFlow alone takes seconds)."""
    found: list[InstalledRuntime] = []
    for dist, module in _PACKAGES:
        try:
            ver = version(dist)
        except PackageNotFoundError:
            continue
        if importlib.util.find_spec(module) is None:
            continue
        rt, flex = _bundled_runtime(dist, ver)
        found.append(InstalledRuntime(dist, ver, module, rt, flex))
    return found
