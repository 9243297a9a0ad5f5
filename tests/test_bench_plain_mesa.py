"""The plain-Mesa baseline (experiments/bench/plain_mesa.py) makes the engine's decisions and day, slowly."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
from conftest import load_script

from sim.config import SimConfig
from sim.kernels.store_day import serve_sorted
from sim.rules.codes import BALKED, CLOSED, RENEGED, SERVED, STOCKOUT
from sim.world.population import pair_distance


def _load():
    return load_script("experiments/bench/plain_mesa.py")


def _cfg(days=4, seed=2, consumers=1500, stores=15):
    cfg = SimConfig(seed=seed, days=days, warmup_days=0)
    cfg.population.size, cfg.stores.count = consumers, stores
    return cfg


def _store(servers, mean_service, close_min, stock):
    """The attributes :meth:`StoreAgent.serve` reads, without a model."""
    return SimpleNamespace(servers=servers, mean_service=mean_service, close_min=close_min, stock=stock)


def test_baseline_agents_copy_the_engines_city_and_people():
    pm = _load()
    cfg = _cfg()
    model = pm.PlainMesaModel(cfg)
    engine = pm.O2OModel(pm._no_campaign(cfg))
    consumers = list(model.agents_by_type[pm.ConsumerAgent])
    assert len(consumers) == cfg.population.size and len(model.store_agents) == cfg.stores.count
    first = consumers[0]
    assert [s.index for s in first.stores] == [int(j) for j in engine.population.slot_store[0] if j >= 0]
    assert sum(len(c.friends) for c in consumers) == engine.network.indices.size


def test_baseline_visits_at_the_engines_rate():
    pm = _load()
    cfg = _cfg()
    model = pm.PlainMesaModel(cfg)
    pm.time_steps(model, cfg.days)
    engine = pm.O2OModel(pm._no_campaign(cfg))
    pm.time_steps(engine, cfg.days)
    engine_visits = sum(r["visits"] for r in engine.recorder.rows)
    assert model.visits > 0 and model.purchases <= model.visits
    # the same decisions on the same people: daily visits agree to within a third
    assert np.isclose(model.visits, engine_visits, rtol=0.33), (model.visits, engine_visits)


def test_store_day_rules_on_a_hand_made_day():
    pm = _load()
    store = _store(servers=1, mean_service=10.0, close_min=700.0, stock=2)
    big = 1000.0
    visits = [pm.Visit(None, 0, 600.0, big, big, 50.0),    # served at once, till 650
              pm.Visit(None, 0, 601.0, 100.0, big, 5.0),   # waits 49, served (the last unit)
              pm.Visit(None, 0, 602.0, 5.0, big, 5.0),     # gives up after its patience
              pm.Visit(None, 0, 603.0, big, 1.0, 5.0),     # expects 3 x 10 min ahead: balks
              pm.Visit(None, 0, 604.0, big, big, 5.0),     # reaches the counter at 655: no stock left
              pm.Visit(None, 0, 700.0, big, big, 5.0)]     # arrives at closing
    pm.StoreAgent.serve(store, visits)
    assert [v.outcome for v in visits] == [SERVED, SERVED, RENEGED, BALKED, STOCKOUT, CLOSED]
    assert [v.wait for v in visits] == [0.0, 49.0, 5.0, 0.0, 51.0, 0.0]
    late = [pm.Visit(None, 0, 600.0, big, big, 200.0),  # holds the only server past closing
            pm.Visit(None, 0, 650.0, big, big, 5.0)]     # waits until closing and is turned away
    pm.StoreAgent.serve(store, late)
    assert [v.outcome for v in late] == [SERVED, CLOSED] and late[1].wait == 50.0


def test_store_day_agrees_with_the_engines_queue_on_days_without_ties():
    pm = _load()
    rnd = random.Random(3)
    for _ in range(100):
        store = _store(rnd.randint(1, 3), rnd.choice([8.0, 45.0]), 720.0, rnd.randint(1, 40))
        n = rnd.randint(1, 60)
        visits = sorted((pm.Visit(None, 0, rnd.uniform(600.0, 730.0), rnd.expovariate(1 / 25),
                                  rnd.uniform(5, 60), store.mean_service * rnd.expovariate(1.0))
                         for _ in range(n)), key=lambda v: v.arrival)
        column = {f: np.array([getattr(v, f) for v in visits])
                  for f in ("arrival", "patience", "balk", "service")}
        outcome, wait = serve_sorted(np.zeros(n, dtype=np.int64), column["arrival"], column["patience"],
                                     column["balk"], column["service"], np.zeros(n, dtype=np.int64),
                                     np.array([store.servers]), np.array([store.mean_service]),
                                     np.array([store.close_min]), np.array([store.stock]))
        pm.StoreAgent.serve(store, visits)
        assert [v.outcome for v in visits] == outcome.tolist()
        assert np.allclose([v.wait for v in visits], wait)


def test_a_congested_day_has_every_outcome():
    pm = _load()
    cfg = _cfg(seed=1, stores=6)
    cfg.stores.servers_min = cfg.stores.servers_max = 1
    cfg.stores.stock_factor, cfg.stores.close_hour = 0.5, 13  # three open hours, half the stock
    model = pm.PlainMesaModel(cfg)
    pm.time_steps(model, cfg.days)
    every = (SERVED, BALKED, RENEGED, CLOSED, STOCKOUT)
    assert all(model.outcomes[code] > 0 for code in every), model.outcomes
    assert sum(model.outcomes) == model.visits and model.outcomes[SERVED] == model.purchases
    assert max(s.expected_wait for s in model.store_agents) > 0.0


def test_waits_are_zero_when_no_store_is_ever_busy():
    pm = _load()
    cfg = _cfg(days=3)
    cfg.stores.servers_min = cfg.stores.servers_max = 100
    model = pm.PlainMesaModel(cfg)
    pm.time_steps(model, cfg.days)
    assert model.visits > 0 and model.outcomes[SERVED] == model.visits
    assert all(v.wait == 0.0 for s in model.store_agents for v in s.visits_today)
    assert all(s.expected_wait == 0.0 for s in model.store_agents)


def test_stores_without_contact_are_forgotten_after_forget_after_days():
    pm = _load()
    cfg = _cfg(days=3)
    cfg.behavior.forget_after_days, cfg.behavior.forget_rate = 3, 1.0
    model = pm.PlainMesaModel(cfg)
    consumers = list(model.agents_by_type[pm.ConsumerAgent])
    lonely = next(c for c in consumers if sum(c.aware) >= 2)
    for c in consumers:  # nobody tells them anything, and they stay home
        c.friends = [f for f in c.friends if f is not lonely]
    lonely.outside_utility = 50.0
    lonely.touched = [-1] * len(lonely.stores)
    known = sum(lonely.aware)
    pm.time_steps(model, 2)  # nights 0 and 1: last contact 2 and 1 days before
    assert sum(lonely.aware) == known
    model.step()  # night 2: 3 days without contact
    assert sum(lonely.aware) == 0
    assert all(m is None for m in lonely.memory) and all(h == 0.0 for h in lonely.habit)


def test_a_share_about_an_unknown_store_lands_in_a_discovery_slot():
    pm = _load()
    cfg = _cfg()
    model = pm.PlainMesaModel(cfg)
    consumer = next(iter(model.agents_by_type[pm.ConsumerAgent]))
    first = consumer.first_discovery
    assert len(consumer.stores) == first == cfg.behavior.consideration_set - cfg.behavior.discovery_slots
    unknown = [s for s in model.store_agents if s not in consumer.stores]
    model.day = 5
    consumer.hear(unknown[0], 1.0)
    consumer.hear(unknown[1], -1.0)
    assert consumer.stores[first:] == unknown[:2]
    assert consumer.aware[first:] == [True, True] and consumer.social[first:] == [1.0, -1.0]
    assert consumer.memory[first:] == [None, None] and consumer.touched[first:] == [5, 5]
    expected = pair_distance(np.array(consumer.home), np.array(consumer.work), np.array(unknown[0].xy))
    assert np.isclose(consumer.distances[first], expected, rtol=1e-5)
    consumer.hear(unknown[2], 1.0)  # both discovery slots were used today: no room
    assert unknown[2] not in consumer.stores and len(consumer.stores) == first + 2
    model.day = 6
    consumer.hear(unknown[1], 1.0)  # the second is used again today; the first is least recently used
    consumer.hear(unknown[2], 1.0)
    assert consumer.stores[first:] == [unknown[2], unknown[1]]
    assert consumer.social[first:] == [1.0, 0.0] and consumer.touched[first:] == [6, 6]


def test_warm_engine_leaves_nothing_to_compile_in_the_timed_days(monkeypatch):
    """The engine's timed days load no compiled kernel: the warm-up took every path a day takes."""
    import numba.core.dispatcher as dispatcher

    pm = _load()
    cfg = _cfg(days=10, consumers=3000, stores=50)
    pm.warm_engine(cfg)
    loaded = []
    compile_for_args = dispatcher.Dispatcher._compile_for_args

    def spy(self, *args, **kwargs):
        loaded.append(self.py_func.__qualname__)
        return compile_for_args(self, *args, **kwargs)

    monkeypatch.setattr(dispatcher.Dispatcher, "_compile_for_args", spy)
    engine = pm.O2OModel(pm._no_campaign(cfg))
    pm.time_steps(engine, cfg.days)
    discovery = engine.population.slot_store[:, -engine.population.discovery_slots:]
    assert discovery.max() >= 0  # the days placed stores in discovery slots
    assert loaded == []
