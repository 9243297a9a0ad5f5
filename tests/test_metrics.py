"""sim.metrics: the recorder's per-consumer tallies rest on one visit per consumer a day."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_model

from sim import load_config
from sim.metrics import DayRecorder


@pytest.mark.parametrize("scenario", ["omo_full", "referral_loop", "crm_winback", "reservation_realtime"])
def test_a_consumer_visits_at_most_once_a_day_and_tallies_add_up(scenario, monkeypatch):
    seen = []
    original = DayRecorder.visits

    def spy(self, visits, *args, **kwargs):
        seen.append(visits.consumer.copy())
        return original(self, visits, *args, **kwargs)

    monkeypatch.setattr(DayRecorder, "visits", spy)
    cfg = load_config([f"scenario={scenario}", "population.size=1500", "stores.count=12", "days=20",
                       "warmup_days=5", "seed=2"])
    model = run_model(cfg)
    assert sum(v.size for v in seen) > 0
    for consumers in seen:
        assert np.unique(consumers).size == consumers.size
    rec = model.recorder
    recorded = sum(row["purchases"] for row in rec.rows)
    assert rec.customer_purchases.sum() == recorded
    new = sum(row["new_customers"] for row in rec.rows)
    assert new == (rec.customer_purchases > 0).sum()


def _attribute_by_arrays(pop, consumer, slot, day, crm_levers, ad_levers):
    """The attribution rule as whole-array expressions (the compiled pass must agree)."""
    from sim.metrics import SHARE_ATTRIBUTION_WEIGHT, SOURCES

    at = (consumer, slot)
    coupon = (pop.slot_coupon[at] > 0) & (pop.slot_coupon_expiry[at] >= day)
    messaged = coupon | (pop.slot_prompt[at] > 0)
    lever = np.where(coupon, pop.slot_coupon_lever[at], pop.slot_prompt_lever[at])
    crm = messaged & np.isin(lever, crm_levers)
    ad = messaged & np.isin(lever, ad_levers)
    share = pop.slot_social[at] >= SHARE_ATTRIBUTION_WEIGHT
    repeat = ~np.isnan(pop.slot_memory[at])
    code = [SOURCES.index(s) for s in ("crm", "ad", "push", "share", "repeat")]
    return np.select([crm, ad, messaged, share, repeat], code, default=SOURCES.index("organic"))


@pytest.mark.parametrize("levers", [((), ()), ((0,), ()), ((1,), (0, 2)), ((3,), (1,))])
def test_compiled_attribution_matches_the_array_rule(levers):
    from types import SimpleNamespace

    from sim.metrics import attribute

    rng = np.random.default_rng(7)
    n, k, day = 400, 6, 5
    pick = rng.random((n, k))
    pop = SimpleNamespace(
        slot_coupon=np.where(pick < 0.3, rng.integers(1, 20, (n, k)), 0).astype(np.float32),
        slot_coupon_expiry=rng.integers(3, 8, (n, k)).astype(np.int32),
        slot_coupon_lever=rng.integers(-1, 4, (n, k)).astype(np.int8),
        slot_prompt=np.where(rng.random((n, k)) < 0.2, 1.0, 0.0).astype(np.float32),
        slot_prompt_lever=rng.integers(-1, 4, (n, k)).astype(np.int8),
        slot_social=rng.choice([0.0, 0.3, 0.5, 0.7, -1.0], (n, k)).astype(np.float32),
        slot_memory=np.where(rng.random((n, k)) < 0.4, 4.0, np.nan).astype(np.float32))
    consumer = rng.integers(0, n, 2000)
    slot = rng.integers(0, k, 2000)
    got = attribute(pop, consumer, slot, day, *levers)
    want = _attribute_by_arrays(pop, consumer, slot, day, *levers)
    assert len(set(want.tolist())) >= 4  # the draw covers most sources
    np.testing.assert_array_equal(got, want)


def test_the_warm_up_recorder_answers_every_call_the_model_makes():
    import inspect
    import re

    from sim import model as model_module
    from sim.metrics import WarmUpRecorder

    source = inspect.getsource(model_module)
    called = set(re.findall(r"self\.recorder\.(\w+)", source))
    assert {"start_day", "visits", "end_day", "coupons"} <= called
    quiet = WarmUpRecorder()
    for name in called:
        assert hasattr(quiet, name), name
    assert quiet.reached_today().size == 0 and not quiet.rows
    quiet.coupons.claimed(0, 0, np.arange(3), np.arange(3), np.ones(3), np.ones(3), np.zeros(3))


def test_store_tallies_equal_bincounts():
    from sim.metrics import _store_tallies
    from sim.service import BALKED, CLOSED, RENEGED, SERVED, STOCKOUT

    rng = np.random.default_rng(3)
    n, s = 5000, 40
    store = rng.integers(0, s, n)
    outcome = rng.integers(0, 5, n).astype(np.int8)
    queued, redeem, review = (rng.random((3, n)) < [[0.7], [0.1], [0.2]])
    wait, paid = rng.exponential(5, n), np.where(outcome == SERVED, rng.lognormal(3, 0.3, n), 0.0)
    counts, sums = _store_tallies(store, outcome, queued, redeem, review, wait, paid, s)

    def per_store(mask, weights=None):
        return np.bincount(store[mask], None if weights is None else weights[mask], minlength=s)

    every = np.ones(n, dtype=bool)
    want = [per_store(every), *(per_store(outcome == o) for o in (SERVED, BALKED, RENEGED, CLOSED, STOCKOUT)),
            per_store(redeem), per_store(review), per_store(queued)]
    np.testing.assert_array_equal(counts, np.array(want))
    assert np.array_equal(sums[0], per_store(every, paid))  # the same order of additions: equal bits
    assert np.array_equal(sums[1], per_store(queued, wait))
