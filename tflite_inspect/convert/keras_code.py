"""Python code stored in a Keras file, found without TensorFlow or Keras: the model's config is
JSON (`config.json` in a .keras zip, the `model_config` attribute of a .h5 file), and Keras
writes a Python lambda into it as bytecode (`{"class_name": "__lambda__", ...}` in Keras 3,
`"function_type": "lambda"` in the legacy format). Loading such a model runs that code, so
Keras' safe mode refuses it; we refuse it earlier, before anything is started or written.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import SourceError

__all__ = ["MAX_CONFIG_BYTES", "code_layers", "refuse_code"]

MAX_CONFIG_BYTES = 64 * 1024 * 1024  # a model config larger than this is not read


def _is_code(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("class_name") == "__lambda__"
    return False


def _walk(node: Any, layer: tuple[str, str] | None) -> Iterator[tuple[str, str]]:
    """(class name, layer name) of each layer whose config holds a Python lambda."""
    if isinstance(node, dict):
        config = node.get("config")
        if (
            isinstance(node.get("class_name"), str)
            and isinstance(config, dict)
            and isinstance(config.get("name"), str)
        ):
            layer = (node["class_name"], config["name"])
        if layer is not None and (_is_code(node) or node.get("function_type") == "lambda"):
            yield layer
            return
        for value in node.values():
            yield from _walk(value, layer)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, layer)


def _keras_config(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("config.json")
        if info.file_size > MAX_CONFIG_BYTES:
            raise SourceError(f"{path}: its config.json is {info.file_size:,} bytes; not read")
        return json.loads(archive.read(info))


def _h5_config(path: Path) -> Any:
    try:
        import h5py
    except ImportError:
        return None  # Keras' safe mode in the child still refuses the code
    with h5py.File(path, "r") as f:
        text = f.attrs.get("model_config")
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return json.loads(text)


def code_layers(path: Path, kind: str) -> list[tuple[str, str]]:
    """(class name, layer name) of every layer of the Keras file at `path` (kind "keras" or
    "h5") that stores Python code. Raises SourceError when the config cannot be read."""
    try:
        config = _keras_config(path) if kind == "keras" else _h5_config(path)
    except SourceError:
        raise
    except KeyError as err:
        raise SourceError(f"{path}: not a Keras model file (it has no config.json)") from err
    except (OSError, ValueError, zipfile.BadZipFile, RecursionError) as err:
        raise SourceError(f"{path}: its model config cannot be read ({err})") from err
    found = dict.fromkeys(_walk(config, None))
    return list(found)


def refuse_code(path: Path, kind: str) -> None:
    """Raises SourceError (exit 2) naming the first layer of a .keras/.h5 file that holds
    Python code, and --unsafe."""
    layers = code_layers(path, kind)
    if not layers:
        return
    cls, name = layers[0]
    more = f" and {len(layers) - 1} more" if len(layers) > 1 else ""
    raise SourceError(
        f"{path}: {cls} layer {name!r}{more} holds Python code, which would run when the model "
        "loads; nothing was run or written. Pass --unsafe only if you trust this file"
    )
