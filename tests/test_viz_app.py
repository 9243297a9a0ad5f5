import logging
import time

import ipyvuetify as v
import pytest
import solara

from sim.viz import app as viz_app
from sim.viz.app import ERROR_MESSAGE, Dashboard, Layout, Page
from sim.viz.echart import EChartWidget
from sim.viz.panels import FINISHED, PENDING


def texts(widget) -> str:
    """The text a browser would show: every string child, label, value and HTML of the widget tree."""
    out = []

    def walk(w):
        for child in getattr(w, "children", None) or []:
            out.append(child) if isinstance(child, str) else walk(child)
        for name in ("value", "label", "v_model", "unsafe_innerHTML"):
            value = getattr(w, name, None)
            if isinstance(value, str):
                out.append(value)

    walk(widget)
    return "\n".join(out)


@pytest.fixture
def small(monkeypatch):
    """The dashboard of a small city (1,000 consumers, 12 stores)."""
    base = viz_app.Settings

    def settings(**kw):
        return base(**{"consumers": 1000, "stores": 12, **kw})

    monkeypatch.setattr(viz_app, "Settings", settings)


def button(rc, cls):
    return rc.find(v.Btn, class_=cls).widget


def day(box) -> str:
    return next(line for line in texts(box).splitlines() if line.startswith("Day "))


def revisions(rc):
    return {w.revision for w in rc.find(EChartWidget).widgets}


def test_step_moves_a_day_and_every_panel_shows_it(small):
    box, rc = solara.render(Dashboard(), handle_error=False)
    assert day(box) == "Day 0 of 90"
    button(rc, "o2o-step").fire_event("click", {})
    assert day(box) == "Day 1 of 90"
    assert len(rc.find(EChartWidget).widgets) == 5
    assert len({r.split(":")[1] for r in revisions(rc)}) == 1 and revisions(rc).pop().split(":")[1] == "1"


def test_a_setting_waits_for_reset_and_the_badge_says_so(small):
    box, rc = solara.render(Dashboard(), handle_error=False)
    assert PENDING not in texts(box)
    rc.find(v.Slider).widgets[0].v_model = 35  # the first slider: the push coupon
    assert PENDING in texts(box) and "Push coupon: <b>35% off</b>" in texts(box)
    assert "Running now: Push coupon: 20% off" in texts(box)
    button(rc, "o2o-step").fire_event("click", {})
    assert day(box) == "Day 1 of 90" and PENDING in texts(box)
    button(rc, "o2o-reset").fire_event("click", {})
    assert PENDING not in texts(box) and day(box) == "Day 0 of 90"
    assert "Running now: Push coupon: 35% off" in texts(box)


def test_what_is_shown_applies_at_once_and_the_guide_follows(small):
    box, rc = solara.render(Dashboard(), handle_error=False)
    button(rc, "o2o-step").fire_event("click", {})
    run = revisions(rc).pop().split(":")[0]
    toggle = rc.find(v.BtnToggle).widget
    toggle.v_model = 2  # "OMO only"
    assert "Only the OMO city is shown" in texts(box) and "Two copies" not in texts(box)
    assert len(rc.find(EChartWidget, css_class="o2o-map-chart").widgets) == 1
    assert {r.split(":")[:2][0] for r in revisions(rc)} == {run} and day(box) == "Day 1 of 90"  # same run


def test_a_lesson_applies_at_once_with_its_guide(small):
    box, rc = solara.render(Dashboard(), handle_error=False)
    button(rc, "o2o-step").fire_event("click", {})
    rc.find(v.Select, class_="o2o-lesson").widget.v_model = "Group-buy overload"
    text = texts(box)
    assert "Group-buy overload" in text and "small shop" in text and day(box) == "Day 0 of 90"
    assert "No deal" in text and "Group deal" in text


def test_the_end_keeps_the_last_day_says_finished_and_stops(small, monkeypatch):
    original = viz_app.DashboardModel.__init__

    def short(self, *a, **k):
        original(self, *a, **k)
        self.horizon = 3

    monkeypatch.setattr(viz_app.DashboardModel, "__init__", short)
    box, rc = solara.render(Dashboard(), handle_error=False)
    for _ in range(3):
        button(rc, "o2o-step").fire_event("click", {})
    assert day(box) == "Day 3 of 3" and FINISHED in texts(box)
    assert button(rc, "o2o-step").disabled and button(rc, "o2o-play").disabled
    assert {r.split(":")[1] for r in revisions(rc)} == {"3"}
    assert ERROR_MESSAGE not in texts(box)


def test_play_runs_to_the_end_and_stops(small, monkeypatch):
    original = viz_app.DashboardModel.__init__

    def short(self, *a, **k):
        original(self, *a, **k)
        self.horizon = 4

    monkeypatch.setattr(viz_app.DashboardModel, "__init__", short)
    box, rc = solara.render(Dashboard(), handle_error=False)
    rc.find(v.Select, class_="o2o-speed").widget.v_model = 8
    button(rc, "o2o-play").fire_event("click", {})
    deadline = time.monotonic() + 30
    while FINISHED not in texts(box) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert FINISHED in texts(box) and day(box) == "Day 4 of 4"
    assert button(rc, "o2o-play").children[-1] == "Play" and ERROR_MESSAGE not in texts(box)


# --- the error boundary: plain words in the page, the traceback in the server log ---------------

SECRET = "/srv/secret/place/model.py"


def assert_friendly(text: str) -> None:
    assert ERROR_MESSAGE in text
    for leak in ("Traceback", 'File "', ".py", SECRET, "forced failure", "Error:"):
        assert leak not in text, leak


@solara.component
def FailsToRender():
    raise FileNotFoundError(f"{SECRET}: forced failure")


def served(content=None):
    """The page as Solara serves it: Page inside the module's Layout."""
    return Layout(children=[Page(content=content) if content else Page()])


def test_a_render_error_shows_the_panel_and_logs_the_traceback(caplog):
    with caplog.at_level(logging.ERROR, logger="sim.viz.app"):
        box, rc = solara.render(served(FailsToRender), handle_error=False)
    assert_friendly(texts(box))
    assert rc.find(v.Btn, children=["Start again"]).widget is not None
    logged = [r for r in caplog.records if r.name == "sim.viz.app"]
    assert len(logged) == 1 and isinstance(logged[0].exc_info[1], FileNotFoundError)
    assert SECRET in caplog.text and "Traceback" in caplog.text


def test_an_event_handler_error_shows_the_panel_and_start_again_recovers(caplog):
    clicks = []

    @solara.component
    def StepsThenRecovers():
        def step():
            clicks.append(1)
            if len(clicks) == 1:
                raise RuntimeError(f"{SECRET}: forced failure")

        solara.Button("Step", on_click=step)
        solara.Text(f"clicked {len(clicks)}")

    with caplog.at_level(logging.ERROR, logger="sim.viz.app"):
        box, rc = solara.render(served(StepsThenRecovers), handle_error=False)
        assert ERROR_MESSAGE not in texts(box)
        rc.find(v.Btn, children=["Step"]).widget.fire_event("click", {})
        assert_friendly(texts(box))
        rc.find(v.Btn, children=["Start again"]).widget.fire_event("click", {})
    text = texts(box)
    assert ERROR_MESSAGE not in text and "clicked 1" in text
    assert sum(r.name == "sim.viz.app" for r in caplog.records) == 1


def test_a_model_that_cannot_be_built_shows_the_panel(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OSError(f"{SECRET}: forced failure")

    monkeypatch.setattr(viz_app, "DashboardModel", broken)
    with caplog.at_level(logging.ERROR, logger="sim.viz.app"):
        box, _ = solara.render(served(), handle_error=False)
    assert_friendly(texts(box))
    assert SECRET in caplog.text


def test_a_day_that_fails_while_playing_shows_the_panel(small, monkeypatch, caplog):
    def broken(self):
        raise RuntimeError(f"{SECRET}: forced failure")

    monkeypatch.setattr(viz_app.DashboardModel, "advance", broken)
    with caplog.at_level(logging.ERROR, logger="sim.viz.app"):
        box, rc = solara.render(served(), handle_error=False)
        button(rc, "o2o-play").fire_event("click", {})
        deadline = time.monotonic() + 20
        while ERROR_MESSAGE not in texts(box) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert_friendly(texts(box))
    assert SECRET in caplog.text
