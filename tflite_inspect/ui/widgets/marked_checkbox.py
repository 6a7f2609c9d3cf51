"""A checkbox whose state reads without colour: `[x] label` when on, `[ ] label` when off
(Textual's draws the same X either way and tells them apart by colour only)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox

__all__ = ["MarkedCheckbox"]


class MarkedCheckbox(Checkbox):
    """See module docstring."""

    @property
    def _button(self) -> Content:
        # in the label's colours: the mark, not a colour, tells on from off
        return Content.assemble(
            ("[x]" if self.value else "[ ]", self.get_visual_style("toggle--label"))
        )
