"""Where the user is, and the back/forward history of places visited (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["History", "Place"]


@dataclass(frozen=True)
class Place:
    """A place in the UI: a view, a subgraph and the selected op or tensor (None: the view as
    it is). `detail` puts the focus in the view's detail pane instead of its table."""

    view: str
    subgraph: int = 0
    index: int | None = None
    detail: bool = False


class History:
    """Browser-like history: `visit` records where the user was before a jump; `back` and
    `forward` move through it, taking the current place so it can be returned to."""

    def __init__(self, limit: int = 200) -> None:
        self._back: list[Place] = []
        self._forward: list[Place] = []
        self._limit = limit

    def visit(self, current: Place) -> None:
        """Records `current` before moving away from it; clears the forward list."""
        if not self._back or self._back[-1] != current:
            self._back.append(current)
            del self._back[: -self._limit]
        self._forward.clear()

    def visited(self) -> list[Place]:
        """The places left, oldest first (what `back` would return, in reverse)."""
        return list(self._back)

    def back(self, current: Place) -> Place | None:
        if not self._back:
            return None
        self._forward.append(current)
        return self._back.pop()

    def forward(self, current: Place) -> Place | None:
        if not self._forward:
            return None
        self._back.append(current)
        return self._forward.pop()

    @property
    def can_go_back(self) -> bool:
        return bool(self._back)

    @property
    def can_go_forward(self) -> bool:
        return bool(self._forward)
