"""sim.world.calendar: weekdays, paydays and dated events shift the will to visit, from day 0."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import sim
from sim.config import CATEGORIES, CalendarConfig, CalendarEvent, ConfigError, from_dict
from sim.engine.model import O2OModel
from sim.world.calendar import Calendar, lift_utils, month_day, weekday

SEGMENTS = ("deal_seekers", "loyalists", "digital_first", "offline_first")


def test_weekday_and_month_day_count_from_day_0():
    assert [weekday(d) for d in range(8)] == [0, 1, 2, 3, 4, 5, 6, 0]
    assert weekday(0, "sat") == 5 and weekday(2, "sat") == 0 and weekday(-1, "mon") == 6  # warm-up days
    assert month_day(0, 1) == 1 and month_day(29, 1) == 30 and month_day(30, 1) == 1
    assert month_day(0, 25) == 25 and month_day(6, 25) == 1 and month_day(-1, 1) == 30


def test_a_lift_multiplies_the_odds():
    for lift in (-0.2, 0.055, 1.0):
        odds = 0.1
        p0 = odds / (1 + odds)
        shifted = 1 / (1 + math.exp(-(math.log(odds) + lift_utils(lift))))
        assert shifted / (1 - shifted) == pytest.approx(odds * (1 + lift))
        assert shifted > p0 if lift > 0 else shifted < p0


def test_the_weekday_profile_shifts_each_category():
    cal = Calendar(CalendarConfig(), SEGMENTS)
    cfg = CalendarConfig()
    for day in range(7):
        expected = np.log([cfg.dow_restaurant[day], cfg.dow_retail[day], cfg.dow_service[day]])
        np.testing.assert_allclose(cal.category_shift(day), expected)
    saturday, monday = cal.category_shift(5), cal.category_shift(0)
    assert (saturday > monday).all()
    off = Calendar(dataclasses.replace(cfg, enabled=False), SEGMENTS)
    assert not off.category_shift(5).any() and not off.segment_shift(5).any()


def test_events_and_paydays_apply_in_their_days_and_scope():
    cfg = CalendarConfig(dow_restaurant=[1.0] * 7, dow_retail=[1.0] * 7, dow_service=[1.0] * 7,
                         paydays=[10], payday_lift=0.1, payday_window_days=3, payday_scope="restaurant",
                         events=[CalendarEvent("storm", day=4, last_day=5, lift=-0.3, scope="all"),
                                 CalendarEvent("fair", day=6, lift=0.5, scope="loyalists")])
    cal = Calendar(cfg, SEGMENTS)
    assert cal.by_segment
    storm = lift_utils(-0.3)
    np.testing.assert_allclose(cal.category_shift(3), 0.0)
    np.testing.assert_allclose(cal.category_shift(4), storm)
    np.testing.assert_allclose(cal.category_shift(5), storm)
    np.testing.assert_allclose(cal.category_shift(6), 0.0)
    fair = cal.segment_shift(6)
    assert fair[SEGMENTS.index("loyalists")] == pytest.approx(lift_utils(0.5)) and fair.sum() == fair.max()
    assert not cal.segment_shift(5).any()
    # payday on the 10th (day 9 with day 0 the 1st), three days long, restaurants only
    payday = [d for d in range(40) if cal.category_shift(d)[0] > 0]
    assert payday == [9, 10, 11, 39]
    assert not cal.category_shift(10)[1:].any()


def test_the_calendar_moves_the_days_visits(tmp_path):
    """Paired with the calendar off: Saturdays gain visits and Mondays lose them; a storm day loses more."""
    base = ["population.size=3000", "days=28", "warmup_days=7", "seed=4", "scenario=baseline"]
    storm = "calendar.events=[{name: storm, day: 16, lift: -0.5}]"  # a Wednesday
    on = sim.run(sim.load_config(base + [storm])).daily.visits.to_numpy()
    off = sim.run(sim.load_config(base + ["calendar.enabled=false"])).daily.visits.to_numpy()
    ratio = on / off
    saturdays, mondays = ratio[5::7], ratio[0::7]
    assert saturdays.mean() > 1.05 > 0.97 > mondays.mean()
    wednesdays = [d for d in range(2, 28, 7) if d != 16]
    assert ratio[16] < 0.75 < ratio[wednesdays].min()
    # the weeks as a whole are about as busy as without the calendar (the profiles average about 1)
    calm = np.arange(28) != 16
    assert on[calm].sum() / off[calm].sum() == pytest.approx(1.0, abs=0.03)


def test_a_segment_scoped_event_moves_only_that_segments_outside_option():
    cfg = sim.load_config(["population.size=2000", "stores.count=15", "days=10", "warmup_days=2", "seed=1",
                           "calendar.events=[{day: 3, last_day: 4, lift: 1.0, scope: loyalists}]"])
    model = O2OModel(cfg)
    pop = model.population
    base = model.base_outside.copy()
    loyal = pop.segment == model.segments.names.index("loyalists")
    for day in range(6):
        model.step()
        if day in (3, 4):
            np.testing.assert_allclose(pop.outside_utility[loyal], base[loyal] - np.float32(math.log(2.0)),
                                       rtol=1e-6)
        else:
            np.testing.assert_array_equal(pop.outside_utility[loyal], base[loyal])
        np.testing.assert_array_equal(pop.outside_utility[~loyal], base[~loyal])


def test_the_model_uses_the_days_category_constants():
    cfg = sim.load_config(["population.size=500", "stores.count=10", "days=8", "warmup_days=0",
                           "calendar.start_weekday=fri"])
    model = O2OModel(cfg)
    model.step()  # day 0, a Friday
    c = cfg.calendar
    friday = np.log([c.dow_restaurant[4], c.dow_retail[4], c.dow_service[4]])
    np.testing.assert_allclose(model.asc, model.base_asc + friday)
    terms = model.utility_terms(1)  # asking for day 1 sets its constants
    saturday = np.log([c.dow_restaurant[5], c.dow_retail[5], c.dow_service[5]])
    np.testing.assert_allclose(model.asc, model.base_asc + saturday)
    store = np.maximum(model.population.slot_store, 0)
    today = model.needs.category_utils(model.base_asc + saturday)  # the day's constants plus each need
    rows = np.arange(model.population.size)[:, None]
    np.testing.assert_allclose(terms.asc, today[rows, model.store_table.category[store]])


@pytest.mark.parametrize("data, key", [
    ({"calendar": {"events": [{"day": 5, "last_day": 3}]}}, "calendar.events[0].last_day"),
    ({"calendar": {"events": [{"scope": "tourists"}]}}, "calendar.events[0].scope"),
    ({"calendar": {"events": [{"lift": -1.0}]}}, "calendar.events[0].lift"),
    ({"calendar": {"payday_scope": "nobody"}}, "calendar.payday_scope"),
    ({"calendar": {"paydays": [31]}}, "calendar.paydays[0]"),
    ({"calendar": {"dow_retail": [1.0, 1.0]}}, "calendar.dow_retail"),
    ({"calendar": {"start_weekday": "monday"}}, "calendar.start_weekday"),
])
def test_bad_calendar_values_are_refused_naming_the_key(data, key):
    with pytest.raises(ConfigError) as err:
        from_dict(data)
    assert err.value.key == key
    assert str(err.value).startswith(f"invalid config: {key}=") and "allowed:" in str(err.value)


def test_scopes_name_categories_or_segments():
    cfg = from_dict({"calendar": {"events": [{"scope": c} for c in ("all", *CATEGORIES, *SEGMENTS)]}})
    assert len(cfg.calendar.events) == 1 + len(CATEGORIES) + len(SEGMENTS)
    with pytest.raises(ConfigError):  # without segments a segment's name is no scope
        from_dict({"population": {"segments": []}, "calendar": {"events": [{"scope": "loyalists"}]}})
