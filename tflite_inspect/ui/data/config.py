"""The user's settings file, `$XDG_CONFIG_HOME/tflite-inspect/config.toml` (by default
`~/.config/tflite-inspect/config.toml`): a theme and a keymap, as posting has.

    theme = "nord"

    [keymap]
    "app.quit" = "ctrl+q"           # binding id (the help screen lists them) = key(s)
    "view.graph" = "g,9"

Textual-free: the app applies what this returns. A file that is not there is no settings; a
file that cannot be read or parsed, or an entry of the wrong kind, is a `ConfigError` whose text
names the file and what to fix.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ConfigError", "UserConfig", "config_path", "load_config", "parse_config"]

MAX_CONFIG_BYTES = 1 << 20  # a settings file is a few lines; a larger one is not ours


class ConfigError(ValueError):
    """The settings file is unreadable or malformed; the text says where and what to fix."""


@dataclass(frozen=True)
class UserConfig:
    theme: str | None = None
    keymap: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None  # where it was read from (None: no file)


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the settings file lives, after the XDG base directory rules."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "tflite-inspect" / "config.toml"


def load_config(path: Path | None = None) -> UserConfig:
    """The settings in `path` (default: `config_path()`); no file means no settings."""
    path = config_path() if path is None else path
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return UserConfig()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the settings file ({err.strerror or err})") from err
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: the settings file is over {MAX_CONFIG_BYTES} bytes; "
            "it should hold a theme and a [keymap] table"
        )
    return parse_config(data, path)


def parse_config(data: bytes, path: Path) -> UserConfig:
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML ({err}); fix or remove the file") from err
    unknown = sorted(set(doc) - {"theme", "keymap"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {unknown[0]!r}; the settings are 'theme' "
            "and the [keymap] table"
        )
    theme = doc.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise ConfigError(f"{path}: 'theme' must be a string, e.g. theme = \"nord\"")
    keymap = doc.get("keymap", {})
    if not isinstance(keymap, dict):
        raise ConfigError(f'{path}: \'keymap\' must be a table: [keymap] then "id" = "keys"')
    for key, value in keymap.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f'{path}: keymap entry {key!r} must be a key string, e.g. "{key}" = "ctrl+q"'
            )
    return UserConfig(
        theme=theme, keymap={k: v.replace(" ", "") for k, v in keymap.items()}, path=path
    )
