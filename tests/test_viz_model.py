import copyreg
import dataclasses
import gc
import threading
import weakref

import numpy as np
import pytest

from sim.config import ConfigError
from sim.viz import model as vm
from sim.viz.journey import STAGES
from sim.viz.model import DashboardModel, compose
from sim.viz.settings import OMO_FEATURES, Settings

SMALL = {"consumers": 1000, "stores": 12}


def test_side_by_side_runs_both_arms_on_one_seed_and_city(stepped_dashboard):
    o2o, omo = stepped_dashboard.arms
    assert (o2o.name, omo.name) == ("O2O", "OMO")
    assert o2o.model.cfg.seed == omo.model.cfg.seed
    assert np.array_equal(o2o.model.store_table.xy, omo.model.store_table.xy)
    assert np.array_equal(o2o.model.population.home_xy, omo.model.population.home_xy)
    assert np.array_equal(o2o.model.network.indices, omo.model.network.indices)
    assert not o2o.model.cfg.campaign.omo.enabled and omo.model.cfg.campaign.omo.enabled


def test_step_moves_every_arm_and_the_mesa_clock_together(stepped_dashboard):
    m = stepped_dashboard
    assert m.time == 5 and m.steps == 5 and m.day == 5
    for arm in m.arms:
        assert arm.model.day == 5
        assert [r["day"] for r in arm.history] == list(range(5))
        row = arm.history[-1]
        assert row["visits"] == arm.tap.rows[-1]["visits"]
        assert sum(row[s] for s in STAGES) == arm.model.population.size
        brand = arm.model.is_brand
        assert row["brand_visits"] == arm.tap.store_rows[-1]["visits"][brand].sum()
        assert row["brand_profit"] == arm.money.totals["profit"]


def test_every_lesson_builds_its_cities():
    for key in ("features", "group_buy", "context", "crm"):
        m = DashboardModel(key, **SMALL)
        assert [a.name for a in m.arms] == [c.name for c in m.lesson.cities]
        assert m.advance() and m.day == 1


def test_same_settings_same_history():
    a, b = DashboardModel("crm", **SMALL), DashboardModel("crm", **SMALL)
    for _ in range(3):
        a.advance()
        b.advance()
    assert a.arms[1].history == b.arms[1].history
    assert a.run_id != b.run_id


def test_with_every_omo_feature_off_the_cities_do_not_differ():
    m = DashboardModel(**SMALL, **dict.fromkeys(OMO_FEATURES, False))
    for _ in range(6):
        m.advance()
    o2o, omo = m.arms
    assert o2o.history == omo.history
    assert o2o.money.totals == omo.money.totals


def test_the_run_stops_at_the_horizon_and_never_asks_the_engine_for_more():
    m = DashboardModel("group_buy", **SMALL)
    m.horizon = 3
    assert [m.advance() for _ in range(5)] == [True, True, True, False, False]
    assert m.finished and not m.running and m.day == 3
    m.step()  # Mesa's step past the end: nothing happens, no error
    assert m.day == 3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lesson": "both"}, "lesson='both'; allowed: o2o_omo, features"),
    ({"capacity": 0.0}, r"capacity=0.0; allowed: a number from"),
    ({"colour": "red"}, "unknown control 'colour'"),
])
def test_bad_controls_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DashboardModel(**kwargs)


def test_a_bad_engine_value_names_the_key():
    with pytest.raises(ConfigError, match="campaign.push_coupon.discount"):
        compose(["campaign.push_coupon.discount=1.5"])


def test_the_city_by_name():
    m = DashboardModel(**SMALL)
    assert m.arm("OMO") is m.arms[1]
    with pytest.raises(KeyError, match="there are: O2O, OMO"):
        m.arm("OXO")


def test_sessions_can_build_their_models_at_the_same_time():
    # Hydra keeps one global state: without the lock, all but one of these failed
    vm._CONFIGS.clear()
    levers = [Settings(seed=s, **SMALL) for s in range(6)]
    errors, built = [], []
    start = threading.Barrier(len(levers))

    def build(lv):
        start.wait()
        try:
            built.append(DashboardModel(**dataclasses.asdict(lv)))
        except Exception as err:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(err))

    threads = [threading.Thread(target=build, args=(lv,)) for lv in levers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(built) == len(levers)
    assert sorted(m.settings.seed for m in built) == list(range(6))


def test_each_model_gets_its_own_copy_of_a_kept_config():
    overrides = ["scenario=omo_full", "population.size=1000"]
    first = compose(overrides)
    first.campaign.push_coupon.discount = 0.55  # a session changing its copy
    second = compose(overrides)
    assert second is not first and second.campaign.push_coupon.discount == 0.2
    assert len(vm._CONFIGS) <= vm.CONFIG_CACHE_SIZE


def test_a_freed_city_leaves_no_cell_class_registered():
    model = DashboardModel(**SMALL)
    classes = [arm.model.city.grid.cell_klass for arm in model.arms]
    assert all(k in copyreg.dispatch_table for k in classes)  # Mesa registers each grid's class
    refs = [weakref.ref(k) for k in classes]
    del model, classes
    gc.collect()
    gc.collect()
    assert [r() for r in refs] == [None, None]  # the classes (and their property layers) are gone


def test_a_failed_day_is_reported_in_plain_words(monkeypatch):
    model = DashboardModel(**SMALL)

    def broken():
        raise FileNotFoundError("/srv/secret/place/kernel.py: missing")

    monkeypatch.setattr(model.arms[1], "step", broken)
    with pytest.raises(vm.DashboardError, match=r"^the OMO city could not simulate day 1$") as caught:
        model.advance()
    assert isinstance(caught.value.__cause__, FileNotFoundError)  # the details, for the server log
