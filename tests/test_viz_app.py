import dataclasses
import logging

import ipyvuetify as v
import pytest
import solara
from mesa.visualization.solara_viz import split_model_params

from sim.viz import app as viz_app
from sim.viz.app import ERROR_MESSAGE, MODEL_PARAMS, Layout, Page, captions, in_force
from sim.viz.model import DashboardModel, Levers


def test_every_control_is_a_lever_with_its_default():
    defaults = Levers()
    fields = {f.name for f in dataclasses.fields(Levers)}
    assert set(MODEL_PARAMS) == fields
    for name, spec in MODEL_PARAMS.items():
        assert spec["value"] == getattr(defaults, name), name
    adjustable, fixed = split_model_params(MODEL_PARAMS)
    assert set(adjustable) == fields and not fixed


def test_the_model_is_built_from_the_controls_values_and_refuses_others():
    # Mesa's own parameter check passes anything to a model taking **kwargs, so check it here
    values = {name: spec["value"] for name, spec in MODEL_PARAMS.items()} | {"consumers": 1000, "stores": 12}
    assert DashboardModel(**values).levers == Levers(**values)
    with pytest.raises(ValueError, match="unknown control 'discont'"):
        DashboardModel(discont=0.3)


def test_slider_ranges_hold_their_defaults():
    for name, spec in MODEL_PARAMS.items():
        if spec["type"].startswith("Slider"):
            assert spec["min"] <= spec["value"] <= spec["max"], name


@pytest.fixture(scope="module")
def stepped():
    m = DashboardModel(consumers=1000, stores=12)
    m.step()
    m.step()
    return m


def test_captions_carry_the_numbers_on_screen(stepped):
    text = captions(stepped)
    o2o, omo = stepped.arms
    assert text["map"].startswith("Day 2: 12 stores on the map")
    assert f"O2O {int((o2o.tap.trip_channel != 2).sum()):,} trips" in text["map"]
    assert text["charts"].startswith("Charts: 2 days of data")
    assert f"OMO {omo.history[-1]['visits']} visits" in text["charts"]
    assert f"O2O {o2o.model.pending_shares['sender'].size} shares" in text["network"]


def test_in_force_lists_the_levers():
    text = in_force(Levers(discount=0.3, send_hour=7, pickup=False))
    assert "coupon 30% off" in text and "07:00" in text
    assert "pickup" not in text and "delivery" in text


# --- the error boundary: plain words in the page, the traceback in the server log ---------------

SECRET = "/srv/secret/place/model.py"


def texts(widget) -> str:
    """The text a browser would show: every string child, label and value of the widget tree."""
    out = []

    def walk(w):
        for child in getattr(w, "children", None) or []:
            out.append(child) if isinstance(child, str) else walk(child)
        for name in ("value", "label", "v_model"):
            value = getattr(w, name, None)
            if isinstance(value, str):
                out.append(value)

    walk(widget)
    return "\n".join(out)


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

        with solara.Sidebar():  # where SolaraViz puts Step: rendered by the layout, outside the page
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


def test_a_panel_is_drawn_once_per_day(stepped):
    drawn = []

    def draw(model):
        drawn.append(model.day)
        return viz_app.city_figure(model)

    first = stepped.once_a_day("test-map", lambda: viz_app.figure_png(draw(stepped)))
    again = stepped.once_a_day("test-map", lambda: viz_app.figure_png(draw(stepped)))
    assert first is again and first.startswith(b"\x89PNG") and drawn == [2]
