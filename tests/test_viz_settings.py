import dataclasses

import pytest

from sim.config.schema import OMOConfig
from sim.viz.lessons import OMO_RUNNING_COST
from sim.viz.settings import CONTROLS, OMO_FEATURES, Settings, changed, common_overrides


def test_every_setting_has_a_control_holding_its_default():
    defaults = Settings()
    assert set(CONTROLS) == {f.name for f in dataclasses.fields(Settings)}
    for name, control in CONTROLS.items():
        assert control.allows(getattr(defaults, name)), name
        if control.kind != "bool":
            steps = (control.hi - control.lo) / control.step
            assert abs(steps - round(steps)) < 1e-9, name  # the slider reaches both ends


@pytest.mark.parametrize(("name", "value", "text"), [
    ("discount_pct", 35, "35% off"), ("radius_km", 2.0, "2 km"), ("radius_km", 1.25, "1.25 km"),
    ("send_hour", 8, "08:00"), ("send_hour", 18, "18:00"), ("consumers", 20000, "20,000"),
    ("capacity", 1.5, "x1.5 (4-12 servers a store)"), ("lapsed_days", 35, "35 days"),
    ("pickup", False, "off"),
])
def test_values_read_in_class_units(name, value, text):
    assert CONTROLS[name].text(value) == text


def test_a_value_out_of_range_is_refused_by_name():
    with pytest.raises(ValueError, match=r"discount_pct=90; allowed: a number from 0% off to 60% off"):
        Settings(discount_pct=90)
    with pytest.raises(ValueError, match="pickup='yes'; allowed: true or false"):
        Settings(pickup="yes")


def test_changed_names_what_waits_for_reset():
    now = Settings()
    assert changed(now, now, CONTROLS) == []
    assert changed(dataclasses.replace(now, seed=3, pickup=False), now, ["seed", "pickup", "stores"]) == \
        ["seed", "pickup"]


def test_capacity_scales_the_servers_and_keeps_one():
    assert Settings(capacity=2.0).servers() == (6, 16)
    assert Settings(capacity=0.5).servers() == (2, 4)
    assert "stores.servers_max=16" in common_overrides(Settings(capacity=2.0))


def test_features_on_and_the_running_cost_match_the_engine():
    assert Settings(pickup=False, delivery=False).features_on() == (
        "unified_points", "integrated_inventory", "personalised_targeting")
    assert set(OMO_FEATURES) <= {f.name for f in dataclasses.fields(OMOConfig)}
    assert OMO_RUNNING_COST == OMOConfig().fixed_cost_per_store_day
