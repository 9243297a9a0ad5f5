"""sim.outputs.recorder: one visit per consumer a day, the attribution and the day's tallies."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_model

from sim import load_config
from sim.outputs.recorder import DayRecorder


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
    from sim.outputs.recorder import SHARE_ATTRIBUTION_WEIGHT, SOURCES

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

    from sim.outputs.recorder import attribute

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
    import re
    from pathlib import Path

    import sim
    from sim.outputs.recorder import WarmUpRecorder

    package = Path(sim.__file__).parent  # the model, the phases of its day and the levers call it
    source = "".join(path.read_text(encoding="utf-8") for folder in ("engine", "levers")
                     for path in sorted((package / folder).glob("*.py")))
    called = set(re.findall(r"\brecorder\.(\w+)", source))
    assert {"start_day", "visits", "end_day", "coupons"} <= called
    quiet = WarmUpRecorder()
    for name in called:
        assert hasattr(quiet, name), name
    assert quiet.reached_today().size == 0 and not quiet.rows
    quiet.coupons.claimed(0, 0, np.arange(3), np.arange(3), np.ones(3), np.ones(3), np.zeros(3), 5)


def test_day_tallies_equal_the_numpy_rules():
    """The compiled tallies give the numbers the same rules give in numpy, bit for bit."""
    from sim.outputs.recorder import _DAY_COUNTS, _DAY_SUMS, SOURCES, STORE_COUNTS, _day_tallies
    from sim.rules.codes import BALKED, CHANNELS, CLOSED, RENEGED, SERVED, STOCKOUT

    rng = np.random.default_rng(3)
    n, s, people, k = 5000, 40, 20_000, 6
    consumer = rng.choice(people, n, replace=False)  # one visit a consumer a day
    slot = rng.integers(0, k, n)
    store = rng.integers(0, s - 1, n)  # the last store has no visit: no mean wait
    outcome = rng.integers(0, 5, n).astype(np.int8)
    channel = rng.choice(3, n, p=[0.8, 0.1, 0.1]).astype(np.int8)
    source = rng.integers(0, len(SOURCES), n).astype(np.int8)
    redeem, review, share = (rng.random((3, n)) < [[0.1], [0.2], [0.05]])
    wait, ticket = rng.exponential(5, n), rng.lognormal(3, 0.3, n)
    discount = np.where(redeem, rng.uniform(1, 5, n), 0.0)
    distance = rng.exponential(1.5, (people, k)).astype(np.float32)
    walk_km = np.float32(0.8)
    purchases_before = rng.integers(0, 3, people).astype(np.int32)
    purchases, first_day = purchases_before.copy(), np.full(people, -1, dtype=np.int64)
    ever = np.zeros(people, dtype=bool)
    counts, sums, day_counts, day_sums = _day_tallies(
        consumer, slot, store, outcome, channel, wait, ticket, discount, redeem, review, share, source,
        distance, walk_km, 7, s, purchases, first_day, ever)

    served = outcome == SERVED
    queued = (outcome != BALKED) & (channel == CHANNELS.index("in_store"))
    paid = np.where(served, ticket - discount, 0.0)

    def per_store(mask, weights=None):
        return np.bincount(store[mask], None if weights is None else weights[mask], minlength=s)

    every = np.ones(n, dtype=bool)
    want = [per_store(every), *(per_store(outcome == o) for o in (SERVED, BALKED, RENEGED, CLOSED, STOCKOUT)),
            per_store(redeem), per_store(review), per_store(queued)]
    assert len(want) == len(STORE_COUNTS)
    np.testing.assert_array_equal(counts, np.array(want))
    assert np.array_equal(sums[0], per_store(every, paid))  # the same order of additions: equal bits
    assert np.array_equal(sums[1], per_store(queued, wait))
    n_q = per_store(queued)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_wait = np.where(n_q > 0, per_store(queued, wait) / np.maximum(n_q, 1), np.nan)
    assert np.array_equal(sums[2], mean_wait, equal_nan=True)

    far = distance[consumer, slot] > walk_km
    trips = served & (channel != CHANNELS.index("delivery"))
    buyers = consumer[served]
    new = buyers[purchases_before[buyers] == 0]
    want_counts = {**{f"purchases_{c}": int((served & (channel == i)).sum()) for i, c in enumerate(CHANNELS)},
                   "purchases_beyond_walk": int((served & far).sum()), "new_customers": new.size,
                   "shares": int(share.sum()),
                   **{f"visits_{x}": int((source == i).sum()) for i, x in enumerate(SOURCES)},
                   **{f"purchases_{x}": int((served & (source == i)).sum()) for i, x in enumerate(SOURCES)},
                   **{name: int(row.sum()) for name, row in zip(STORE_COUNTS[1:], want[1:], strict=True)}}
    assert dict(zip(_DAY_COUNTS, day_counts.tolist(), strict=True)) == want_counts
    want_sums = {"trip_km": float(distance[consumer[trips], slot[trips]].sum()),
                 "redeemed_gross": float(ticket[redeem].sum()), "revenue": float(paid.sum()),
                 "discount_cost": float(discount.sum()), "queued_wait": float(wait[queued].sum())}
    assert dict(zip(_DAY_SUMS, day_sums.tolist(), strict=True)) == want_sums  # np.sum's order: equal bits

    np.testing.assert_array_equal(purchases, purchases_before + np.bincount(buyers, minlength=people))
    assert set(np.flatnonzero(first_day == 7)) == set(new) and (first_day[first_day != 7] == -1).all()
    assert set(np.flatnonzero(ever)) == set(consumer[redeem])
