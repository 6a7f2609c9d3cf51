"""Names from a file, shown whole or by the tail that tells them apart, never cut blindly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

__all__ = ["clean", "distinct_names"]


def clean(text: str) -> str:
    """A name from the file with control characters shown as escapes, never sent raw."""
    if text.isprintable():  # nearly every name: one C pass instead of one step per character
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def distinct_names(names: Sequence[str], width: int = 48) -> list[str]:
    """Each name as it will be shown in one table: whole when it fits in `width`, else `…` and
    its last characters, as many as it takes to tell it from every other name in `names`
    (the whole name when no tail does). Names that differ are never shown alike."""
    full = [clean(n) for n in names]
    shown = [n if len(n) <= width else "…" + n[-(width - 1) :] for n in full]
    while True:
        counts = Counter(shown)
        clash = [i for i, s in enumerate(shown) if counts[s] > 1 and s != full[i]]
        if not clash:
            return shown
        for i in clash:  # twice the tail, up to the whole name
            tail = len(shown[i]) - 1
            shown[i] = full[i] if 2 * tail >= len(full[i]) else "…" + full[i][-2 * tail :]
