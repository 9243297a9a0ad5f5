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
from sim.viz.model import ARM_SCENARIOS, DashboardModel, Levers

SMALL = {"consumers": 1000, "stores": 12}


def test_side_by_side_runs_both_arms_on_one_seed_and_city(stepped_dashboard):
    o2o, omo = stepped_dashboard.arms
    assert (o2o.name, omo.name) == ("O2O", "OMO")
    # the run's label is the scenario, then the campaign overrides the controls set (joined by "+")
    assert o2o.model.cfg.scenario.split("+")[0] == ARM_SCENARIOS["O2O"]
    assert omo.model.cfg.scenario.split("+")[0] == ARM_SCENARIOS["OMO"]
    assert o2o.model.cfg.seed == omo.model.cfg.seed
    assert np.array_equal(o2o.model.store_table.xy, omo.model.store_table.xy)
    assert np.array_equal(o2o.model.population.home_xy, omo.model.population.home_xy)
    assert np.array_equal(o2o.model.network.indices, omo.model.network.indices)
    assert not o2o.model.cfg.campaign.omo.enabled and omo.model.cfg.campaign.omo.enabled


def test_step_moves_every_arm_and_the_mesa_clock_together(stepped_dashboard):
    m = stepped_dashboard
    assert m.time == 5 and m.day == 5
    for arm in m.arms:
        assert arm.model.day == 5
        assert [r["day"] for r in arm.history] == list(range(5))
        row = arm.history[-1]
        assert row["visits"] == arm.tap.rows[-1]["visits"]
        assert sum(row[s] for s in STAGES) == arm.model.population.size
        assert row["spend"] > 0


def test_same_levers_same_history():
    a, b = DashboardModel(mode="OMO", **SMALL), DashboardModel(mode="OMO", **SMALL)
    for _ in range(3):
        a.step()
        b.step()
    assert a.arms[0].history == b.arms[0].history


def test_levers_become_overrides_of_the_right_arm():
    lv = Levers(discount=0.35, radius_km=3.5, send_hour=18, capacity=2.0, pickup=False, delivery=False)
    o2o, omo = lv.config("O2O"), lv.config("OMO")
    for cfg in (o2o, omo):
        assert cfg.campaign.push_coupon.discount == 0.35
        assert cfg.campaign.push_coupon.radius_km == 3.5
        assert cfg.campaign.push_coupon.send_hour == 18
        assert (cfg.stores.servers_min, cfg.stores.servers_max) == (6, 16)
    assert not omo.campaign.omo.pickup and not omo.campaign.omo.delivery
    assert omo.campaign.omo.unified_points
    assert not any("campaign.omo" in o for o in lv.overrides("O2O"))


def test_capacity_keeps_at_least_one_server():
    assert Levers(capacity=0.1).servers() == (1, 1)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "both"}, "mode='both'; allowed: one of"),
    ({"capacity": 0.0}, r"capacity=0.0; allowed: a number in \[0.1, 10\]"),
    ({"colour": "red"}, "unknown control 'colour'"),
])
def test_bad_controls_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DashboardModel(**kwargs)


def test_a_bad_engine_value_names_the_key():
    with pytest.raises(ConfigError, match="campaign.push_coupon.discount"):
        Levers(discount=1.5).config("O2O")


def test_the_run_stops_at_the_horizon(monkeypatch):
    monkeypatch.setattr(vm, "HORIZON_DAYS", 3)
    m = DashboardModel(mode="O2O", **SMALL)
    m.step()
    m.step()
    assert m.running
    m.step()
    assert not m.running


def test_sessions_can_build_their_models_at_the_same_time():
    # Hydra keeps one global state: without the lock, all but one of these failed
    # ("GlobalHydra is already initialized") and the browser showed a traceback
    vm._CONFIGS.clear()
    levers = [Levers(seed=s, **SMALL) for s in range(6)]
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
    assert sorted(m.levers.seed for m in built) == list(range(6))


def test_each_model_gets_its_own_copy_of_a_kept_config():
    lv = Levers(**SMALL)
    first = lv.config("OMO")
    first.campaign.push_coupon.discount = 0.55  # a session changing its copy
    second = lv.config("OMO")
    assert second is not first and second.campaign.push_coupon.discount == lv.discount
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
    model = DashboardModel(mode="OMO", **SMALL)

    def broken():
        raise FileNotFoundError("/srv/secret/place/kernel.py: missing")

    monkeypatch.setattr(model.arms[0], "step", broken)
    with pytest.raises(vm.DashboardError, match=r"^the OMO city could not simulate day 1$") as caught:
        model.step()
    assert isinstance(caught.value.__cause__, FileNotFoundError)  # the details, for the server log
