"""sim.kernels.arrivals: the compiled passes give the array expressions' arrivals, bit for bit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.kernels.arrivals import arrivals
from sim.random import keyed
from sim.world.stores import arrival_hour


def _city(rng, n=500, k=6, s=9, integer_means=False):
    weights = rng.random((s, 24)) * (rng.random((s, 24)) < 0.6)
    weights[:, 12] += 0.1  # every store open at noon
    hour_cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    service = rng.uniform(5, 40, s)
    patience = rng.integers(5, 30, s) if integer_means else rng.uniform(5, 30, s)
    balk = rng.integers(10, 60, s) if integer_means else rng.uniform(10, 60, s)
    table = SimpleNamespace(patience_shape=float(rng.uniform(0.5, 4)), patience_min=patience,
                            balk_wait_min=balk, service_min=service, min_service_min=service * 0.3)
    pop = SimpleNamespace(slot_store=rng.integers(0, s, (n, k)).astype(np.int32),
                          patience_scale=rng.lognormal(0, 0.3, n).astype(np.float32))
    return pop, table, hour_cdf


@pytest.mark.parametrize(("seed", "integer_means"), [(0, False), (1, True), (2, False)])
def test_arrivals_equal_the_array_expressions(seed, integer_means):
    rng = np.random.default_rng(seed)
    pop, t, hour_cdf = _city(rng, integer_means=integer_means)
    c = np.sort(rng.choice(500, 200, replace=False))
    slot = rng.integers(0, 6, 200)
    keys = tuple(np.uint64(x) for x in rng.integers(0, 2**63, 4))
    got = arrivals(pop, t, hour_cdf, c, slot, keys)

    store = pop.slot_store[c, slot]
    hour = arrival_hour(hour_cdf, store, keyed.uniforms(keys[0], c))
    arrival = hour * 60.0 + keyed.uniforms(keys[1], c) * 60.0
    scale = pop.patience_scale[c]
    patience = keyed.gammas(t.patience_shape, keys[2], c) / t.patience_shape * t.patience_min[store] * scale
    extra = t.service_min[store] - t.min_service_min[store]
    service = t.min_service_min[store] - np.log1p(-keyed.uniforms(keys[3], c)) * extra
    want = {"consumer": c, "store": store, "arrival_min": arrival, "patience_min": patience,
            "balk_min": t.balk_wait_min[store] * scale, "service_min": service,
            "priority": np.ones(c.size, dtype=np.int64)}
    for name, values in want.items():
        assert np.array_equal(getattr(got, name), values), name
        assert getattr(got, name).dtype in (np.float64, np.int64), name
    assert len(np.unique(hour)) > 3 and (service > t.min_service_min[store]).all()
