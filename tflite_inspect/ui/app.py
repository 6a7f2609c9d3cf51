"""The Textual App: wiring only. It opens the model in a worker (with progress), shows the main
screen as soon as what the Overview shows first is read, builds the subgraphs in the same
worker once that screen has painted, then computes the statistics in a second worker. Every
failed worker ends in one handler that shows an error dialog.

`create_app(path, ...)` is the one factory used by the CLI, the tests and the bench.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import get_current_worker

from ..model import Model, ModelError
from .commands import ModelCommands
from .data.config import ConfigError, UserConfig, load_config
from .data.convert_support import is_convert_source
from .data.history import Place
from .data.loading import LOAD_STAGES, PathProblem, build_graph, load_session
from .data.session import Session
from .data.stats import compute_stats
from .dialogs.error import ErrorDialog
from .messages import (
    GraphReady,
    LoadProgress,
    ModelLoaded,
    Navigate,
    ReportsWorkerErrors,
    StatsReady,
    WorkerFailed,
)
from .screens.help import HelpScreen
from .screens.main import MainScreen
from .widgets.loading_panel import LoadingPanel

__all__ = ["InspectApp", "create_app", "DEFAULT_THEME", "LIGHT_THEME"]

DEFAULT_THEME = "textual-dark"
LIGHT_THEME = "textual-light"
FIRST_PAINT_TIMEOUT = 2.0  # seconds the load worker waits for the first screen to paint


class InspectApp(ReportsWorkerErrors, App[int]):
    """`tflite-inspect MODEL` (see module docstring)."""

    CSS_PATH = "app.tcss"
    TITLE = "tflite-inspect"
    COMMANDS = App.COMMANDS | {ModelCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding(
            "question_mark,f1",
            "help",
            "Help",
            id="app.help",
            tooltip="Every key binding, where it works, and its id",
        ),
        Binding(
            "f2",
            "convert_pane",
            "Convert",
            id="app.convert",
            tooltip="Back to the Convert pane (from a converted variant)",
        ),
        Binding(
            "f3",
            "close_model",
            "Close variant",
            id="app.close-model",
            tooltip="Close this model and return to the one it was opened from (a "
            "variant opened from the Quantize pane)",
        ),
    ]
    """Quit and help; the command palette is Textual's ctrl+p."""

    def __init__(self, path: str | os.PathLike[str], *, model: Model | None = None) -> None:
        super().__init__()
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            # Over SSH an animation is many frames for nothing: the tab underline's slide alone
            # costs more than the view switch it decorates. TEXTUAL_ANIMATIONS=full brings it back.
            self.animation_level = "none"
        self.path = Path(path)
        self.session: Session | None = None
        self._model = model
        self.user_keymap: dict[str, str] = {}  # binding id -> keys, from the settings file
        self._after_open: Callable[[MainScreen], Awaitable[None]] | None = None
        # The Convert pane when this app opened a conversion source. Kept here so that checking
        # the f2 binding (the footer does it on every screen) never imports the convert module.
        self._convert_pane: Screen[Any] | None = None
        self.sub_title = self.path.name

    def compose(self) -> ComposeResult:
        yield LoadingPanel(self.path.name, len(LOAD_STAGES), id="loading")
        yield Footer()

    def on_mount(self) -> None:
        if is_convert_source(self.path):  # a SavedModel or Keras source: the Convert pane
            from .screens.convert import ConvertScreen

            pane = self._convert_pane = ConvertScreen(self.path)
            self.push_screen(pane)
        else:
            self._load()

    def open_tflite(
        self,
        path: str | os.PathLike[str],
        after: Callable[[MainScreen], Awaitable[None]] | None = None,
    ) -> None:
        """Opens another .tflite (a converted variant) the normal way: the load worker, then
        its MainScreen on top of the current screen (`f2` returns to the Convert pane), then
        `await after(screen)` when given."""
        self._after_open = after
        if self.session is not None and not any(
            isinstance(s, MainScreen) for s in self.screen_stack
        ):
            self.session.close()
            self.session = None
        self.path = Path(path)
        self._model = None
        self.sub_title = self.path.name
        self._load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "convert_pane":
            pane = self._convert_pane
            return pane is not None and pane in self.screen_stack and self.screen is not pane
        if action == "close_model":
            return isinstance(self.screen, MainScreen) and len(self._main_screens()) > 1
        return True

    def _main_screens(self) -> list[MainScreen]:
        return [s for s in self.screen_stack if isinstance(s, MainScreen)]

    async def action_convert_pane(self) -> None:
        """Closes the opened variant(s) and shows the Convert pane again."""
        while len(self.screen_stack) > 1 and self.screen is not self._convert_pane:
            screen = self.screen
            await self.pop_screen()
            if isinstance(screen, MainScreen) and screen.session is not self.session:
                screen.session.close()
        if self.session is not None:
            self.session.close()
            self.session = None

    async def action_close_model(self) -> None:
        """Closes the model on top (a variant opened from another model's Quantize pane) and
        shows the one below again."""
        screen = self.screen
        if not isinstance(screen, MainScreen) or len(self._main_screens()) < 2:
            return
        await self.pop_screen()
        screen.session.close()
        below = self._main_screens()[-1]
        self.session = below.session
        if below.session.model.path is not None:
            self.path = Path(below.session.model.path)
        self.sub_title = self.path.name

    def on_unmount(self) -> None:
        for screen in self._main_screens():
            if screen.session is not self.session:
                screen.session.close()
        if self.session is not None:
            self.session.close()

    # -- loading ---------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="load",
        group="load",
        description="Opening the model",
    )
    def _load(self) -> None:
        def progress(what: str, done: int, total: int) -> None:
            self.post_message(LoadProgress(done, total, what))

        cancelled = get_current_worker().cancelled_event
        session = load_session(self.path, progress, model=self._model, cancelled=cancelled)
        if session is None:
            return
        shown = threading.Event()
        self.post_message(ModelLoaded(session, shown))
        # The subgraphs are built after the first screen has painted: built at the same time,
        # they would take the GIL from it. The timeout only guards against a screen that never
        # paints; the build is correct whenever it runs.
        shown.wait(timeout=FIRST_PAINT_TIMEOUT)
        if cancelled.is_set():
            return
        build_graph(session)
        self.post_message(GraphReady(session))

    def on_load_progress(self, message: LoadProgress) -> None:
        for panel in self.query(LoadingPanel):
            panel.show(message.done, message.total, message.what)

    async def on_model_loaded(self, message: ModelLoaded) -> None:
        self.session = message.session
        screen = MainScreen(message.session)
        await self.push_screen(screen)
        self.call_after_refresh(message.painted.set)

    async def on_graph_ready(self, message: GraphReady) -> None:
        # The model's objects live as long as the session: moved out of the collector's sight,
        # a full collection no longer walks 100,000 of them during a key press (a 60 ms pause
        # on a 10,000-op model). Reference counting still frees them when the session goes.
        gc.freeze()
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen) and screen.session is message.session:
                await screen.show_graph()
        after, self._after_open = self._after_open, None
        if after is not None and isinstance(self.screen, MainScreen):
            await after(self.screen)  # e.g. the Convert pane choosing B on the Compare pane
        # After a paint: the statistics must not delay the filled-in Overview.
        self.call_after_refresh(self._stats)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        name="stats",
        group="stats",
        description="Computing statistics",
    )
    def _stats(self) -> None:
        assert self.session is not None
        self.post_message(StatsReady(compute_stats(self.session.model)))

    def on_stats_ready(self, message: StatsReady) -> None:
        if self.session is not None:
            self.session.stats = message.stats
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen) and screen.session is self.session:
                screen.show_stats(message.stats)

    # -- errors, help, navigation ----------------------------------------------------------

    def on_worker_failed(self, message: WorkerFailed) -> None:
        err = message.error
        if isinstance(err, (ModelError, PathProblem)):
            text = str(err)
        elif isinstance(err, OSError):
            text = f"{err.filename or self.path}: {err.strerror or err}"
        else:
            text = f"{type(err).__name__}: {err}"
        if message.worker == "load":
            for panel in self.query(LoadingPanel):
                panel.show(0, 1, "cannot open the model")
        self.push_screen(ErrorDialog(message.title, text))

    def action_quit(self) -> None:  # type: ignore[override]
        """Quits at once, or asks first while a Run or Compare pane holds results (or a job)
        that quitting would lose."""
        from .dialogs.confirm import ConfirmDialog

        if isinstance(self.screen, ConfirmDialog):
            return  # already asking
        losing = sorted(
            {
                str(getattr(pane, "view_id", "")).capitalize()
                for screen in self._main_screens()
                for pane in screen.query(".tool-pane")
                if getattr(pane, "results_to_lose", lambda: False)()
            }
        )
        if not losing:
            self.exit()
            return
        panes = " and ".join(losing)
        plural = "s" if len(losing) > 1 else ""
        self.push_screen(
            ConfirmDialog(
                f"Quit? What the {panes} pane{plural} show{'' if plural else 's'} will be lost."
            ),
            lambda yes: self.exit() if yes else None,
        )

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            from .keymap import binding_sections

            self.push_screen(HelpScreen(binding_sections(type(self), self.user_keymap)))

    def navigate(self, location: Place) -> None:
        """Goes to `location` on the main screen (when the model is open)."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.post_message(Navigate(location))


def create_app(
    path: str | os.PathLike[str],
    *,
    theme: str | None = None,
    model: Model | None = None,
    config: UserConfig | None = None,
) -> InspectApp:
    """The app for `path`. `model` is a model the caller already opened (tolerant); `theme` a
    Textual theme name (ValueError when unknown), else the settings file's (`config`, read from
    its usual place when None; a ConfigError, a ValueError, when it is malformed)."""
    from .keymap import apply_keymap

    config = load_config() if config is None else config
    app = InspectApp(path, model=model)
    apply_keymap(app, config)
    app.user_keymap = dict(config.keymap)
    if theme is None and config.theme is not None:
        theme = config.theme
        if theme not in app.available_themes:
            known = ", ".join(sorted(app.available_themes))
            raise ConfigError(f"{config.path}: unknown theme {theme!r}; choose one of: {known}")
    if theme is not None:
        if theme not in app.available_themes:
            known = ", ".join(sorted(app.available_themes))
            raise ValueError(f"unknown theme {theme!r}; choose one of: {known}")
        app.theme = theme
    return app
