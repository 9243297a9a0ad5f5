"""sim.kernels.visit_outcome: the compiled passes give sim.rules.behavior's numbers, bit for bit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.config import BehaviorConfig, WordOfMouthConfig
from sim.kernels.visit_outcome import class_tables, feelings, remember
from sim.rules import behavior


def _population(rng, n=400, k=6):
    f32 = np.float32
    return SimpleNamespace(
        slot_memory=np.where(rng.random((n, k)) < 0.5, rng.uniform(1, 5, (n, k)), np.nan).astype(f32),
        slot_touched=rng.integers(-30, 5, (n, k)).astype(np.int32),
        trust=rng.random(n).astype(f32), review_propensity=rng.random(n).astype(f32),
        share_propensity=rng.random(n).astype(f32), satisfaction=rng.normal(0, 0.5, n).astype(f32),
        purchases=rng.integers(0, 5, n).astype(np.int32),
        last_visit_day=rng.integers(-20, 5, n).astype(np.int32), deal_proneness=rng.random(n).astype(f32))


def _visits(rng, n_stores=12, v=300):
    consumer = rng.choice(400, v, replace=False)  # one visit per consumer a day
    slot = rng.integers(0, 6, v)
    store = rng.integers(0, n_stores, v)  # stores visited many times
    ticket = rng.lognormal(4.0, 0.3, v)
    redeem = rng.random(v) < 0.3
    discount = np.where(redeem, 0.2 * ticket, 0.0)
    return SimpleNamespace(consumer=consumer, slot=slot, at=consumer * 6 + slot, store=store,
                           rating=rng.uniform(2, 5, n_stores), quality=rng.uniform(2, 5, n_stores),
                           price_ratio=rng.lognormal(0.0, 0.3, n_stores), z=rng.standard_normal(v),
                           wait=rng.exponential(8, v), served=rng.random(v) < 0.8, ticket=ticket,
                           discount=discount, redeem=redeem)


def _feelings_by_the_array_rules(ref, x, b, wom):
    """:func:`feelings` written with :mod:`sim.rules.behavior`'s array expressions."""
    expected = behavior.expected_quality(ref.slot_memory[x.consumer, x.slot], x.rating[x.store],
                                         ref.trust[x.consumer])
    felt = np.clip(x.quality[x.store] + b.experience_sd * x.z - b.wait_penalty_per_10min * x.wait / 10.0,
                   1.0, 5.0)
    felt = np.where(x.served, felt, b.failed_visit_stars)
    gap = np.where(x.served, behavior.value_gap(x.ticket, x.discount, x.price_ratio[x.store]), 0.0)
    deal = np.where(x.served & x.redeem, ref.deal_proneness[x.consumer].astype(np.float64), 0.0)
    d = behavior.satisfaction(felt, expected, gap, wom.price_satisfaction, deal, wom.deal_satisfaction)
    klass = behavior.satisfaction_class(d, x.served, wom.neutral_band, wom.extreme_band)
    tables = class_tables(wom)
    if wom.posting == "classes":
        p_review = behavior.class_probability(ref.review_propensity[x.consumer], klass, tables[0])
        p_share = behavior.class_probability(ref.share_propensity[x.consumer], klass, tables[1])
        valence = tables[2][klass].astype(np.float32)
        failed = behavior.failed_stars(b.failed_visit_stars, wom.failed_stars_sd, x.z)
    else:
        p_review = behavior.review_probability(ref.review_propensity[x.consumer], d, b.review_base,
                                               b.review_slope)
        p_share = behavior.share_probability(ref.share_propensity[x.consumer], d, b.share_scale,
                                             b.negative_share_factor)
        valence = np.where(d >= 0, 1.0, -1.0).astype(np.float32)
        failed = 1.0
    stars = np.where(x.served, np.clip(np.rint(felt), 1, 5), failed)
    return felt, d, p_review, p_share, klass, valence, stars


POSTING = [WordOfMouthConfig(), WordOfMouthConfig(posting="disconfirmation"),
           WordOfMouthConfig(posting="disconfirmation", price_satisfaction=0.0, deal_satisfaction=0.0),
           WordOfMouthConfig(neutral_band=0.2, extreme_band=2.5, review_neutral=0.0, share_failed=2.0,
                             valence_satisfied=0.3, failed_stars_sd=1.5, price_satisfaction=2.0)]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("wom", POSTING, ids=["classes", "disconfirmation", "earlier rule", "other values"])
def test_feelings_and_memory_equal_the_array_rules(seed, wom):
    rng = np.random.default_rng(seed)
    pop = _population(rng)
    ref = SimpleNamespace(**{name: value.copy() for name, value in vars(pop).items()})
    b = BehaviorConfig()
    x = _visits(rng)
    want = _feelings_by_the_array_rules(ref, x, b, wom)
    got = feelings(pop, x.at, x.consumer, x.store, x.rating, x.quality, x.z, x.wait, x.served, b, wom,
                   x.price_ratio, x.ticket, x.discount, x.redeem)
    names = ("experienced", "satisfaction", "p_review", "p_share", "class", "valence", "stars")
    for name, g, w in zip(names, got, want, strict=True):
        assert g.dtype == np.asarray(w).dtype or name in ("class", "stars"), name
        assert np.array_equal(g, w), name
    d, klass = want[1], want[4]
    assert (d < 0).any() and (d > 0).any() and not x.served.all()
    assert set(np.unique(klass)) == set(range(6))  # every class met: the comparison covers them all

    w32 = np.float32(b.memory_weight)
    felt, c, slot = want[0], x.consumer, x.slot
    old = ref.slot_memory[c, slot]
    ref.slot_memory[c, slot] = np.where(np.isnan(old), felt, old + w32 * (felt - old))
    ref.slot_touched[c, slot] = 7
    ref.last_visit_day[c] = 7
    ref.purchases[c[x.served]] += 1
    ref.satisfaction[c] += w32 * (d.astype(np.float32) - ref.satisfaction[c])
    remember(pop, x.at, c, got[0], got[1], x.served, 7, b.memory_weight)
    for name in vars(ref):
        assert np.array_equal(getattr(pop, name), getattr(ref, name), equal_nan=True), name


def test_a_discount_and_a_deal_raise_satisfaction_and_a_dear_store_lowers_it():
    rng = np.random.default_rng(5)
    pop = _population(rng)
    x = _visits(rng)
    x.served[:] = True
    b, wom = BehaviorConfig(), WordOfMouthConfig()
    no_discount, no_deal = np.zeros(x.ticket.size), np.zeros(x.ticket.size, dtype=bool)

    def satisfaction(price_ratio, discount, redeem):
        return feelings(pop, x.at, x.consumer, x.store, x.rating, x.quality, x.z, x.wait, x.served, b, wom,
                        price_ratio, x.ticket, discount, redeem)[1]

    base = satisfaction(np.ones(12), no_discount, no_deal)
    paid_less = satisfaction(np.ones(12), x.discount, no_deal)
    with_deal = satisfaction(np.ones(12), x.discount, x.redeem)
    dear = satisfaction(np.full(12, 1.3), no_discount, no_deal)
    r = x.redeem
    np.testing.assert_allclose(paid_less[r] - base[r], wom.price_satisfaction * 0.2)  # a 20% discount
    np.testing.assert_array_equal(paid_less[~r], base[~r])
    joy = wom.deal_satisfaction * pop.deal_proneness[x.consumer[r]]
    np.testing.assert_allclose(with_deal[r] - paid_less[r], joy, rtol=1e-6)
    np.testing.assert_allclose(base - dear, wom.price_satisfaction * 0.3)  # 30% above the usual price


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


def test_settle_rates_with_the_given_stars_and_queues_shares_with_their_valence():
    from sim.kernels.visit_outcome import settle

    rng = np.random.default_rng(8)
    pop = _population(rng)
    n_stores, v, b = 5, 300, BehaviorConfig()
    table = SimpleNamespace(rating_sum=np.zeros(n_stores), rating_n=np.zeros(n_stores),
                            expected_wait_min=np.zeros(n_stores))
    consumer = rng.choice(400, v, replace=False)
    at = consumer * 6 + rng.integers(0, 6, v)
    store = rng.integers(0, n_stores, v)
    experienced, served = np.full(v, 3.0), rng.random(v) < 0.7  # stars must not come from the experience
    stars = rng.integers(1, 6, v).astype(np.float64)
    valence = rng.choice(np.array([-1.0, -0.5, 0.0, 0.5, 1.0], dtype=np.float32), v)
    review, share, shares = settle(pop, table, at, consumer, store, experienced, rng.normal(0, 1, v), served,
                                   np.zeros(v, dtype=bool), np.zeros(v), np.full(v, 0.5), np.full(v, 0.5),
                                   np.uint64(3), np.uint64(4), 7, b, stars, valence)
    assert review.any() and share.any() and not review.all()
    np.testing.assert_array_equal(table.rating_sum, np.bincount(store[review], weights=stars[review],
                                                                minlength=n_stores))
    np.testing.assert_array_equal(shares["valence"], valence[share])
    assert shares["valence"].dtype == np.float32
