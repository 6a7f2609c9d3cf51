"""The main screen: one tab per view, number keys to switch, back/forward history.

The tabs, their number keys and titles follow the one list of views, `ui.view_registry`.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar, Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, TabbedContent, TabPane

from ..data.history import History, Place
from ..data.session import Session
from ..data.stats import ModelStats
from ..data.view_registry import VIEW_SPECS, VIEWS, spec
from ..messages import Navigate

__all__ = ["MainScreen", "NARROW"]

NARROW = 110
"""Below this width the master/detail views stack vertically."""


def view_class(view_id: str) -> Any:
    """The class of a view, its module imported now (with what it needs: numpy, the check
    rules, the runtime client), when its tab is first shown, not at start-up."""
    module, name = spec(view_id).cls.split(":")
    return getattr(importlib.import_module(f"..views.{module}", __package__), name)


TITLES = {v.id: v.tab_title for v in VIEW_SPECS}
NARROW_TITLES = {v.id: v.narrow_title for v in VIEW_SPECS if v.narrow}
"""Ten tabs fit 80 columns (one space apart) only with the shorter titles."""


class View(Protocol):
    def location(self) -> Place: ...

    def go(self, location: Place) -> None: ...


class MainScreen(Screen[None]):
    """The tabs of one model (see module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(v.key, f"view('{v.id}')", v.title, show=False, id=f"main.view-{v.id}")
            for v in VIEW_SPECS
        ),
        Binding(
            "backspace,alt+left",
            "back",
            "Back",
            id="main.back",
            tooltip="Back to where you were before the last jump",
        ),
        Binding("alt+right", "forward", "Forward", show=False, id="main.forward"),
        Binding(
            "z",
            "zoom",
            "Zoom",
            show=False,
            id="main.zoom",
            tooltip="Fill the screen with the focused pane (z again restores)",
        ),
    ]
    """Number keys switch views; backspace / alt+left go back, alt+right forward; z zooms."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.history = History()
        # Until the subgraphs are built (session.graph_ready) only the Overview can be shown; a
        # view asked for meanwhile is remembered and shown by show_graph (never awaited: a key's
        # action runs in the App's message loop, which must stay free to hear of the graph).
        self._pending: tuple[Place, bool] | None = None  # (where, record the way back)

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="overview", id="tabs"):
            for view_id in VIEWS:
                with TabPane(TITLES[view_id], id=view_id):
                    if view_id == "overview":
                        yield self._make_view(view_id)
        yield Footer(compact=True)

    def _make_view(self, view_id: str) -> Widget:
        view: Widget = view_class(view_id)(self.session, id=f"view-{view_id}")
        return view

    async def ensure_view(self, view_id: str) -> View | None:
        """The view, mounted into its tab on first use (only the Overview is built at start,
        so the first screen appears sooner); None while the view waits for the subgraphs."""
        found = self.query(f"#view-{view_id}")
        if found:
            return found.first()  # type: ignore[return-value]
        if view_id != "overview" and not self.session.graph_ready:
            return None
        pane = self.query_one(f"#tabs TabPane#{view_id}", TabPane)
        view = self._make_view(view_id)
        await pane.mount(view)
        if view_id == "overview" and self.session.stats is not None:
            self.show_stats(self.session.stats)
        return view  # type: ignore[return-value]

    def on_mount(self) -> None:
        self._narrow(self.size.width)
        self.view("overview").go(Place("overview"))

    def on_resize(self, event: Resize) -> None:
        self._narrow(event.size.width)

    def _narrow(self, width: int) -> None:
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        tabs = self.query_one("#tabs", TabbedContent)
        for view_id, short in NARROW_TITLES.items():
            tab = tabs.get_tab(view_id)
            label = short if narrow else TITLES[view_id]
            if str(tab.label) != label:
                tab.label = label

    # -- views and navigation --------------------------------------------------------------

    def view(self, view_id: str) -> View:
        """A mounted view (see `ensure_view` for one that may not be yet)."""
        return self.query_one(f"#view-{view_id}")  # type: ignore[return-value]

    @property
    def active_view(self) -> str:
        return self.query_one("#tabs", TabbedContent).active or "overview"

    def current_location(self) -> Place:
        found = self.query(f"#view-{self.active_view}")
        return found.first().location() if found else Place(self.active_view)  # type: ignore[attr-defined]

    async def go(self, location: Place, *, record: bool = True) -> None:
        """Shows `location`; records where we were when `record`."""
        if location.view not in VIEWS:
            return
        if location.view != "overview" and not self.session.graph_ready:
            self._wait_for_graph(location, record)
            return
        self._pending = None  # a later wish wins over one still waiting for show_graph
        could = (self.history.can_go_back, self.history.can_go_forward)
        if record:
            here = self.current_location()
            if here != location:
                self.history.visit(here)
        view = await self.ensure_view(location.view)
        assert view is not None  # the graph is ready
        self.query_one("#tabs", TabbedContent).active = location.view
        view.go(location)
        if could != (self.history.can_go_back, self.history.can_go_forward):
            self.refresh_bindings()  # back/forward appear in or leave the footer

    @on(TabbedContent.TabActivated)
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A tab chosen with the mouse or the tab bar's arrow keys: build its view."""
        if event.pane.id is not None and event.pane.id in VIEWS:
            if await self.ensure_view(event.pane.id) is None:
                self._wait_for_graph(Place(event.pane.id), record=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Back and forward show in the footer only when there is somewhere to go."""
        if action == "back":
            return self.history.can_go_back
        if action == "forward":
            return self.history.can_go_forward
        return True

    @on(Navigate)
    async def _navigate(self, message: Navigate) -> None:
        message.stop()
        await self.go(message.location, record=message.record)

    async def action_view(self, view_id: str) -> None:
        view = await self.ensure_view(view_id)
        await self.go(view.location() if view is not None else Place(view_id))

    def _wait_for_graph(self, location: Place, record: bool = True) -> None:
        """Remembers where to go once the subgraphs are built (the last wish wins)."""
        self._pending = (location, record)
        self.notify(
            f"{spec(location.view).title}: still reading the operators and tensors; "
            "it opens when they are read",
            timeout=3,
        )

    async def action_back(self) -> None:
        target = self.history.back(self.current_location())
        if target is not None:
            await self.go(target, record=False)

    async def action_forward(self) -> None:
        target = self.history.forward(self.current_location())
        if target is not None:
            await self.go(target, record=False)

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused, container=False)  # the pane, not the whole tab set

    async def show_graph(self) -> None:
        """The subgraphs are built: the Overview fills in, and a view asked for meanwhile
        opens."""
        for overview in self.query(view_class("overview")):
            overview.show_graph()
        pending, self._pending = self._pending, None
        if pending is not None:
            location, record = pending
            await self.go(location, record=record)

    def show_stats(self, stats: ModelStats) -> None:
        for overview in self.query(view_class("overview")):
            overview.show_stats(stats)
