"""LinkList refreshed in place: the same report set again (the Check pane when a probe answers)
stays where the user left it, so a verdict above the first link never scrolls out of an 80x24
terminal; a cursor the user brought into view is followed."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from ui.ui_testlib import run

from tflite_inspect.ui.widgets.link_list import Line, LinkList

LINES = [Line(Text(f"verdict line {i}")) for i in range(12)] + [
    Line(Text(f"op {i}"), i) for i in range(30)
]


class _Pane(App[None]):
    def compose(self) -> ComposeResult:
        yield LinkList(id="pane")


def test_a_refresh_keeps_the_view_unless_the_cursor_was_in_it() -> None:
    async def go() -> None:
        app = _Pane()
        async with app.run_test(size=(40, 8)) as pilot:
            pane = app.query_one(LinkList)
            pane.set_lines(LINES)
            await pilot.pause()
            assert pane.current_link == 0 and pane.scroll_y == 0  # the verdict shows first
            pane.set_lines(LINES, cursor_on=pane.current_link, keep_scroll=True)
            await pilot.pause()
            assert pane.scroll_y == 0 and pane.current_link == 0
            pane.set_lines(LINES, cursor_on=pane.current_link)  # a new report: to the cursor
            await pilot.pause()
            assert pane.scroll_y > 0
            pane.focus()
            await pilot.press("down", "down")
            y = pane.scroll_y
            assert pane.current_link == 2 and y > 0
            pane.set_lines(LINES[:10] + LINES, cursor_on=2, keep_scroll=True)  # more lines above
            await pilot.pause()
            assert pane.current_link == 2 and pane.scroll_y > y  # followed into view

    run(go())
