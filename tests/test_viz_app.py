import dataclasses

import pytest
from mesa.visualization.solara_viz import split_model_params

from sim.viz.app import MODEL_PARAMS, captions, in_force
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
