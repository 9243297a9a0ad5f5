"""sim.kernels.quiet_day: a day without levers in compiled passes gives the general path's numbers, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import sim
import sim.kernels.quiet_day as quiet_day
from sim.engine.model import O2OModel


def _config(scenario: str = "baseline", *overrides: str) -> sim.SimConfig:
    return sim.load_config([f"scenario={scenario}", "population.size=1500", "stores.count=20", "days=12",
                            "warmup_days=3", "seed=5", *overrides])


def _state(model: O2OModel) -> dict[str, object]:
    """Everything a day changes: the population's and the stores' arrays, the records, tomorrow's shares."""
    state = {f"pop.{k}": v.copy() for k, v in vars(model.population).items() if isinstance(v, np.ndarray)}
    state.update({f"store.{k}": v.copy() for k, v in vars(model.store_table).items()
                  if isinstance(v, np.ndarray)})
    state.update({f"shares.{k}": v.copy() for k, v in model.pending_shares.items()})
    rec = model.recorder
    state["rows"] = repr(list(getattr(rec, "rows", ())))
    state["store_rows"] = repr([{k: v.tolist() for k, v in row.items()}
                                for row in getattr(rec, "store_rows", ())])
    for name in ("customer_purchases", "first_purchase_day", "ever_redeemed"):
        if hasattr(rec, name):
            state[f"rec.{name}"] = getattr(rec, name).copy()
    return state


def _assert_same(a: dict, b: dict, when: str) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            assert np.array_equal(a[key], b[key], equal_nan=True), f"{key} differs {when}"
        else:
            assert a[key] == b[key], f"{key} differs {when}"


@pytest.mark.parametrize("overrides", [(), ("behavior.follow_through=0",)], ids=["trips", "no_trips"])
def test_quiet_days_equal_the_general_path_day_by_day(monkeypatch, overrides):
    quiet = O2OModel(_config("baseline", *overrides))
    general_calls = []
    real_applies = quiet_day.applies
    with monkeypatch.context() as m:  # the same city, stepped by the general path only
        m.setattr(quiet_day, "applies", lambda model: general_calls.append(model.day) and False)
        general = O2OModel(_config("baseline", *overrides))
    assert general_calls == [-3, -2, -1]  # the warm-up went through the general path
    assert real_applies(quiet) and quiet.day == 0
    _assert_same(_state(quiet), _state(general), "after the warm-up")
    taken = []
    for day in range(quiet.cfg.days):
        monkeypatch.setattr(quiet_day, "applies", lambda model: taken.append(model.day) or True)
        quiet.step()
        monkeypatch.setattr(quiet_day, "applies", lambda model: False)
        general.step()
        _assert_same(_state(quiet), _state(general), f"on day {day}")
    assert taken == list(range(quiet.cfg.days))
    rows = quiet.recorder.rows
    assert sum(r["intents"] for r in rows) > 500
    if overrides:  # intents, but nobody makes the trip
        assert sum(r["visits"] for r in rows) == 0
    else:
        assert sum(r["visits"] for r in rows) > 500 and sum(r["shares"] for r in rows) > 0
        assert sum(r["balked"] + r["reneged"] for r in rows) > 0  # queues formed: the store day mattered


def test_applies_to_a_day_without_levers():
    assert quiet_day.applies(O2OModel(_config())) is True


@pytest.mark.parametrize("scenario, overrides, change", [
    ("o2o_coupon_blast", (), None), ("baseline", ("stores.capacity_limited=false",), None),
    ("baseline", ("behavior.adoption=once",), None), ("baseline", (), "event_log"),
    ("baseline", (), "coupon"),
], ids=["lever", "unlimited", "adoption_once", "event_log", "coupon"])
def test_applies_only_where_nothing_else_acts(scenario, overrides, change):
    model = O2OModel(_config(scenario, *overrides), keep_event_log=change == "event_log")
    if change == "coupon":
        model.may_hold_coupons = True
    assert model.day == 0 and quiet_day.applies(model) is False
