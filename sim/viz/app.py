"""The Solara page of the dashboard: a lesson's cities side by side, for a class.

Core objects:
    * :func:`Page` - the page the server serves: its browser tab title, its style
      (:data:`~sim.viz.style.PAGE_CSS`) and :func:`Dashboard`; :func:`Layout` - what Solara
      puts around it: :func:`ErrorBoundary` (an error while building, stepping or drawing shows
      :func:`ErrorPanel` in plain words, with a button that starts a fresh run; the traceback
      goes to the server log only, logger ``sim.viz.app``).
    * :func:`Dashboard` - the state of one browser session: its model
      (:class:`~sim.viz.model.DashboardModel`), the settings waiting for Reset, what is shown,
      the play loop, the clicked consumer or store; drawn by the components of
      :mod:`sim.viz.panels` (top bar, side panel, panels).

What applies when: the lesson applies at once (a new run); what is shown (side by side or one
city, the city on the second map, the map layer, the play speed) applies at once, the run
going on; the settings apply on Reset, and until then the bar says "changes pending - press
Reset". At the last day playing stops, the last day stays drawn and the bar says "Run
finished"; Step and Play are off until Reset (the engine is never asked for a day past the end).

Serve it with ``o2o-dashboard`` (:mod:`sim.viz.server`) or ``make dashboard``.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import solara
import solara.lab

from sim.viz.model import DashboardModel
from sim.viz.panels import SPEEDS, Bar, Panels, Side, View
from sim.viz.server import PAGE_TITLE
from sim.viz.settings import Settings
from sim.viz.style import PAGE_CSS

__all__ = ["DEFAULT_LESSON", "ERROR_MESSAGE", "Dashboard", "ErrorBoundary", "ErrorPanel", "Layout", "Page"]

logger = logging.getLogger(__name__)

#: What a browser shows when the dashboard fails; the details are in the server log only.
ERROR_MESSAGE = ("Sorry, the dashboard stopped because of an error on the server. "
                 "Press Start again for a fresh run; if it happens again, tell whoever runs the server "
                 "(the details are in its log).")
DEFAULT_LESSON = "o2o_omo"


@solara.component
def Dashboard():
    """The dashboard of one browser session (see module docstring)."""
    pending = solara.use_reactive(Settings())
    built = solara.use_reactive((DEFAULT_LESSON, Settings(), 0))  # lesson, settings, a new run's number
    view = solara.use_reactive(View())
    speed = solara.use_reactive(SPEEDS[1])
    playing = solara.use_reactive(False)
    picked = solara.use_reactive(None)
    failed = solara.use_reactive(None)
    tick = solara.use_reactive(0)  # bumped by every step: the bar and the panels read it

    lesson, settings, nonce = built.value
    model = solara.use_memo(lambda: DashboardModel(lesson, **dataclasses.asdict(settings)),
                            [lesson, settings, nonce])
    if failed.value is not None:
        raise failed.value

    def start(key: str) -> None:
        playing.set(False)
        picked.set(None)
        built.set((key, pending.value, built.value[2] + 1))

    def choose_lesson(key: str) -> None:
        view.set(View())
        start(key)

    def step_once() -> None:
        if model.advance():
            tick.set(tick.value + 1)

    def play_loop() -> None:
        try:
            while playing.value and not model.finished:
                began = time.monotonic()
                if model.advance():
                    tick.set(tick.value + 1)
                time.sleep(max(0.02, 1.0 / speed.value - (time.monotonic() - began)))
        except Exception as err:  # shown as the error panel by the boundary, which logs it
            failed.set(err)
        finally:
            if model.finished:
                playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value, model], prefer_threaded=True)

    with solara.Div(classes=["o2o-page"]) as page:
        Bar(model, tick, pending, playing, view.value, on_lesson=choose_lesson, on_step=step_once,
            on_reset=lambda: start(lesson))
        with solara.Div(classes=["o2o-main"]):
            Side(model, pending, view, speed)
            Panels(model, tick, view.value, picked)
    return page


@solara.component
def ErrorPanel(on_restart=None):
    """The friendly error panel: plain words and a button that starts again."""
    with solara.Card("The dashboard stopped", classes=["o2o-error"]) as card:
        solara.Text(ERROR_MESSAGE, classes=["o2o-error-text"])
        solara.Button("Start again", color="primary", on_click=on_restart)
    return card


@solara.component
def ErrorBoundary(content):
    """What ``content()`` renders or, once anything in it raised, :func:`ErrorPanel`.

    Catches exceptions raised while rendering and in event handlers (Step, Reset, a control);
    each is logged once with its traceback. Start again renders ``content()`` afresh (a new model).
    """
    error, clear = solara.use_exception()

    def log_error():
        if error is not None:
            logger.error("dashboard error, shown to a browser as the error panel", exc_info=error)

    solara.use_effect(log_error, [error])
    if error is not None:
        ErrorPanel(on_restart=clear)
    else:
        content()


@solara.component
def Layout(children=None):
    """The page inside :func:`ErrorBoundary` (no app bar or sidebar of Solara's: the page is the window)."""
    ErrorBoundary(lambda: solara.Column(children=children or [], style="padding: 0"))


@solara.component
def Page(content=Dashboard):
    """The page: ``content`` (the dashboard), its browser tab title and its style."""
    solara.Title(PAGE_TITLE)
    solara.Style(PAGE_CSS)
    content()
