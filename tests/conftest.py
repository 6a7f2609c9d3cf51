"""Suite-wide fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """Each test leaves os.environ as it found it: `--no-color` sets NO_COLOR for the process, so
    an in-process CLI test would turn the colour off in every UI snapshot that runs after it in
    the same process (whichever tests share a pytest-xdist worker)."""
    before = dict(os.environ)
    yield
    if os.environ != before:
        os.environ.clear()
        os.environ.update(before)
