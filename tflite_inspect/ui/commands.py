"""The command palette provider: jump to any op or tensor by name or index, or to a view."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .data.history import Place
from .data.view_registry import VIEW_SPECS
from .messages import Navigate

__all__ = ["ModelCommands"]

MAX_HITS = 200
VIEW_COMMANDS = tuple((v.id, v.title) for v in VIEW_SPECS[1:] + VIEW_SPECS[:1] if v.palette)
"""The views the palette offers as 'Show <title>' (typed or listed; the Overview last)."""


def _score(kind: str, name: str, needle: str) -> float | None:
    """Name matches rank first: the exact name, then a name ending with the query (the tail of
    a TFLite name is its most telling part); a tensor before the op it comes out of."""
    tensor = kind == "tensor"
    if name == needle:
        return 1.0 if tensor else 0.99
    if name.endswith(needle):
        return 0.9 if tensor else 0.89
    return None


class ModelCommands(Provider):
    """Ops and tensors of every subgraph, matched on 'op 12 CONV_2D' / 'tensor 7 name'."""

    def _go(self, location: Place) -> None:
        self.screen.post_message(Navigate(location))

    async def discover(self) -> Hits:
        session = getattr(self.app, "session", None)
        if session is None:
            return
        for view, title in VIEW_COMMANDS:
            yield DiscoveryHit(
                f"Show {title}",
                partial(self._go, Place(view)),
                help="or type an op or tensor name, or an index like 'op 12'"
                if view == "ops"
                else None,
            )

    async def search(self, query: str) -> Hits:
        session = getattr(self.app, "session", None)
        if session is None:
            return
        needle = query.lower().strip()
        words = needle.split()
        if not words:
            return
        matcher = self.matcher(query)
        for view, title in VIEW_COMMANDS:
            command = f"Show {title}"
            score = matcher.match(command)
            if score > 0 and any(w in command.lower() for w in words):
                yield Hit(
                    score,
                    matcher.highlight(command),
                    partial(self._go, Place(view)),
                    text=command,
                )
        shown = 0
        for entry in session.entries:
            if not all(w in entry.key for w in words):
                continue
            view = "ops" if entry.kind == "op" else "tensors"
            location = Place(view, entry.subgraph, entry.index, detail=True)
            score = _score(entry.kind, entry.name, needle) or min(
                0.8, matcher.match(entry.label) or 0.1
            )
            yield Hit(
                score, matcher.highlight(entry.label), partial(self._go, location), text=entry.label
            )
            shown += 1
            if shown >= MAX_HITS:
                return
