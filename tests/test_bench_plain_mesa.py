"""The plain-Mesa baseline (experiments/bench/plain_mesa.py) makes the engine's decisions, slowly."""

from __future__ import annotations

import numpy as np
from conftest import load_script

from sim.config import SimConfig


def _load():
    return load_script("experiments/bench/plain_mesa.py")


def _cfg(days=4):
    cfg = SimConfig(seed=2, days=days, warmup_days=0)
    cfg.population.size, cfg.stores.count = 1500, 15
    return cfg


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
