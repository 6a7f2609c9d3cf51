"""The settings file ($XDG_CONFIG_HOME/tflite-inspect/config.toml): a keymap that really remaps
the keys the help screen lists, a theme, and one clear line for a malformed file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ui.ui_testlib import fixture_path, press, run, running

from tflite_inspect.ui.data.config import ConfigError, config_path, load_config
from tflite_inspect.ui.screens.help import HelpScreen
from tflite_inspect.ui.screens.main import MainScreen


def _write(home: Path, text: str) -> Path:
    path = home / "tflite-inspect" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_config_path_follows_xdg(tmp_path: Path) -> None:
    assert (
        config_path({"XDG_CONFIG_HOME": str(tmp_path)})
        == tmp_path / "tflite-inspect" / "config.toml"
    )
    # A relative XDG_CONFIG_HOME is to be ignored (the XDG base directory rules).
    assert (
        config_path({"XDG_CONFIG_HOME": "rel"})
        == Path.home() / ".config" / "tflite-inspect" / "config.toml"
    )
    assert load_config(tmp_path / "absent.toml").keymap == {}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("theme = ", "not valid TOML"),
        ("theme = 3", "'theme' must be a string"),
        ("keymap = 1", "'keymap' must be a table"),
        ("[keymap]\n'app.quit' = 2", "must be a key string"),
        ("colour = 'red'", "unknown setting 'colour'"),
    ],
)
def test_malformed_settings_are_one_clear_error(tmp_path: Path, text: str, words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and words in str(err.value)


def test_keymap_remaps_a_view_key_and_help_shows_it(tmp_path: Path) -> None:
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path)
    _write(tmp_path, '[keymap]\n"main.view-tensors" = "t"\n"app.help" = "f1"\n')

    async def go() -> None:
        async with running(fixture_path("cnn.float32")) as (app, pilot):
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await press(pilot, "t")
            assert screen.active_view == "tensors"
            await press(pilot, "2")
            assert screen.active_view == "ops"
            await press(pilot, "3")  # remapped away: no longer the Tensors key
            assert screen.active_view == "ops"
            await press(pilot, "question_mark")  # remapped away too
            assert not isinstance(app.screen, HelpScreen)
            await press(pilot, "f1")
            assert isinstance(app.screen, HelpScreen)
            shown = str(app.screen.query_one(".dialog-body Static").render())
            line = next(ln for ln in shown.splitlines() if "main.view-tensors" in ln)
            assert line.split()[0] == "t", line

    run(go())


def test_unknown_binding_id_and_theme_are_one_line_exit_2(tmp_path: Path) -> None:
    model = fixture_path("cnn.float32")
    for text, words in (
        ('[keymap]\n"app.quitt" = "x"', "'app.quitt' is no binding id"),
        ('theme = "no-such-theme"', "unknown theme 'no-such-theme'"),
    ):
        _write(tmp_path, text)
        done = subprocess.run(
            [sys.executable, "-m", "tflite_inspect", str(model)],
            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "config.toml" in lines[0], done.stderr
