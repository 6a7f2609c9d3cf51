"""Strings from a file made safe for a terminal.

Tensor names, descriptions, metadata values and labels come from files we do not trust: an
escape sequence in them could clear the screen, set the window title or write the clipboard
(OSC 52). Every control character (C0 and C1, DEL) except newline and tab is shown as an escape
(`\\x1b`, `\\u009b`), so nothing from a file reaches the terminal as a control code. The CLI's
standard output goes through `SafeStream`, which applies this to everything it prints; our own
progress lines go to standard error and are written by us.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

__all__ = ["SafeStream", "terminal_safe"]

_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
_TABLE = {
    c: (f"\\x{c:02x}" if c < 0x80 else f"\\u{c:04x}") for c in _CONTROLS if c not in (0x09, 0x0A)
}
# bidi overrides and isolates reorder what follows them on screen (Trojan Source)
_TABLE.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


# str.translate walks a non-ASCII string in Python-level steps, a character at a time (0.12 s for
# 1 MB of table text with histogram bars); the regex finds the few characters to escape in C.
_UNSAFE = re.compile("[" + "".join(re.escape(chr(c)) for c in _TABLE) + "]")


def _escape(match: re.Match[str]) -> str:
    return _TABLE[ord(match.group())]


def terminal_safe(text: str) -> str:
    """`text` with every control character except newline and tab shown as an escape."""
    if text.isascii():
        return text.translate(_TABLE)  # the ASCII path of translate runs in C
    return _UNSAFE.sub(_escape, text)


class SafeStream:
    """A text stream that writes `terminal_safe(text)` to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
