"""sim.kernels.visit_outcome: the compiled passes give sim.rules.behavior's numbers, bit for bit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.config import BehaviorConfig
from sim.kernels.visit_outcome import feelings, remember
from sim.rules import behavior


def _population(rng, n=400, k=6):
    f32 = np.float32
    return SimpleNamespace(
        slot_memory=np.where(rng.random((n, k)) < 0.5, rng.uniform(1, 5, (n, k)), np.nan).astype(f32),
        slot_touched=rng.integers(-30, 5, (n, k)).astype(np.int32),
        trust=rng.random(n).astype(f32), review_propensity=rng.random(n).astype(f32),
        share_propensity=rng.random(n).astype(f32), satisfaction=rng.normal(0, 0.5, n).astype(f32),
        purchases=rng.integers(0, 5, n).astype(np.int32),
        last_visit_day=rng.integers(-20, 5, n).astype(np.int32))


@pytest.mark.parametrize("seed", range(4))
def test_feelings_and_memory_equal_the_array_rules(seed):
    rng = np.random.default_rng(seed)
    pop = _population(rng)
    ref = SimpleNamespace(**{name: value.copy() for name, value in vars(pop).items()})
    b = BehaviorConfig()
    v = 300
    consumer = rng.choice(400, v, replace=False)  # one visit per consumer a day
    slot = rng.integers(0, 6, v)
    at = consumer * 6 + slot
    store = rng.integers(0, 12, v)  # stores visited many times
    store_rating, store_quality = rng.uniform(2, 5, 12), rng.uniform(2, 5, 12)
    rating, quality = store_rating[store], store_quality[store]
    z, wait, served = rng.standard_normal(v), rng.exponential(8, v), rng.random(v) < 0.8

    expected = behavior.expected_quality(ref.slot_memory[consumer, slot], rating, ref.trust[consumer])
    felt = np.clip(quality + b.experience_sd * z - b.wait_penalty_per_10min * wait / 10.0, 1.0, 5.0)
    felt = np.where(served, felt, b.failed_visit_stars)
    d = behavior.satisfaction(felt, expected)
    p_review = behavior.review_probability(ref.review_propensity[consumer], d, b.review_base, b.review_slope)
    p_share = behavior.share_probability(ref.share_propensity[consumer], d, b.share_scale,
                                         b.negative_share_factor)
    want = (felt, d, p_review, p_share)
    got = feelings(pop, at, consumer, store, store_rating, store_quality, z, wait, served, b)
    for name, g, w in zip(("experienced", "disconfirmation", "p_review", "p_share"), got, want, strict=True):
        assert np.array_equal(g, w), name
    assert (d < 0).any() and (d > 0).any() and not served.all()

    w32 = np.float32(b.memory_weight)
    old = ref.slot_memory[consumer, slot]
    ref.slot_memory[consumer, slot] = np.where(np.isnan(old), felt, old + w32 * (felt - old))
    ref.slot_touched[consumer, slot] = 7
    ref.last_visit_day[consumer] = 7
    ref.purchases[consumer[served]] += 1
    ref.satisfaction[consumer] += w32 * (d.astype(np.float32) - ref.satisfaction[consumer])
    remember(pop, at, consumer, got[0], got[1], served, 7, b.memory_weight)
    for name in vars(ref):
        assert np.array_equal(getattr(pop, name), getattr(ref, name), equal_nan=True), name


@pytest.mark.parametrize("seed", range(3))
def test_settle_equals_the_array_rules(seed):
    """Reviews, ratings, shares, memory and expected waits: the model's array expressions, bit for bit."""
    from sim.kernels.visit_outcome import settle
    from sim.random import keyed

    rng = np.random.default_rng(seed)
    pop = _population(rng)
    ref = SimpleNamespace(**{name: value.copy() for name, value in vars(pop).items()})
    n_stores, v, b = 12, 300, BehaviorConfig()
    table = SimpleNamespace(rating_sum=rng.uniform(0, 50, n_stores),
                            rating_n=rng.integers(0, 20, n_stores) * 1.0,
                            expected_wait_min=rng.exponential(5, n_stores))
    want = SimpleNamespace(**{name: value.copy() for name, value in vars(table).items()})
    consumer = rng.choice(400, v, replace=False)
    at = consumer * 6 + rng.integers(0, 6, v)
    store = rng.integers(0, n_stores - 1, v)  # the last store has no visit: its wait expectation only fades
    experienced = np.clip(rng.normal(3.5, 1.2, v), 1, 5)
    disconf, served = rng.normal(0, 1, v), rng.random(v) < 0.8
    queued, wait = rng.random(v) < 0.7, rng.exponential(6, v)
    p_review, p_share = rng.random(v) * 0.6, rng.random(v) * 0.4
    experienced[:4], served[:4], p_review[:4] = [1.5, 2.5, 3.5, 4.5], True, 1.0  # reviewed halves: to even
    review_key, share_key = np.uint64(11 + seed), np.uint64(99 + seed)

    review, share, shares = settle(pop, table, at, consumer, store, experienced, disconf, served, queued,
                                   wait, p_review, p_share, review_key, share_key, 7, b)

    want_review = keyed.uniforms(review_key, consumer) < p_review
    want_share = keyed.uniforms(share_key, consumer) < p_share
    assert np.array_equal(review, want_review) and np.array_equal(share, want_share)
    stars = np.where(served, np.clip(np.rint(experienced), 1, 5), 1.0)
    want.rating_sum += np.bincount(store[review], weights=stars[review], minlength=n_stores)
    want.rating_n += np.bincount(store[review], minlength=n_stores)
    n_q = np.bincount(store[queued], minlength=n_stores)
    w_sum = np.bincount(store[queued], weights=wait[queued], minlength=n_stores)
    seen = n_q > 0
    want.expected_wait_min *= 1 - b.wait_memory
    want.expected_wait_min[seen] += b.wait_memory * w_sum[seen] / n_q[seen]
    for name in vars(want):
        assert np.array_equal(getattr(table, name), getattr(want, name)), name
    assert np.array_equal(shares["sender"], consumer[share]) and np.array_equal(shares["store"], store[share])
    want_valence = np.where(disconf[share] >= 0, 1.0, -1.0).astype(np.float32)
    assert shares["valence"].dtype == np.float32 and np.array_equal(shares["valence"], want_valence)
    remember(ref, at, consumer, experienced, disconf, served, 7, b.memory_weight)
    for name in vars(ref):
        assert np.array_equal(getattr(pop, name), getattr(ref, name), equal_nan=True), name
