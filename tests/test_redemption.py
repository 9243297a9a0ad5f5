"""sim.rules.redemption: the compiled passes equal the coupon rules written as array expressions."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.rules.redemption import discounts, eligible


def _wallets(seed, n=300, k=5):
    rng = np.random.default_rng(seed)
    held, percent, threshold = rng.random((3, n, k)) < [[[0.5]], [[0.5]], [[0.4]]]
    f32 = np.float32
    return SimpleNamespace(
        slot_coupon=np.where(held, rng.integers(1, 30, (n, k)), 0).astype(f32),
        slot_coupon_rate=np.where(percent, rng.uniform(0.05, 0.5, (n, k)), 0).astype(f32),
        slot_coupon_expiry=rng.integers(0, 10, (n, k)).astype(np.int32),
        slot_coupon_min=np.where(threshold, rng.integers(10, 80, (n, k)), 0).astype(f32),
    ), rng


@pytest.mark.parametrize("seed", range(5))
def test_equal_the_array_rules(seed):
    pop, rng = _wallets(seed)
    v = 4000
    consumer, slot = rng.integers(0, 300, v), rng.integers(0, 5, v)
    at = consumer * 5 + slot
    ticket = rng.lognormal(3.5, 0.4, v)
    day = 5
    want_ok = ((pop.slot_coupon[consumer, slot] > 0) & (pop.slot_coupon_expiry[consumer, slot] >= day)
               & (ticket >= pop.slot_coupon_min[consumer, slot]))
    ok = eligible(pop, at, ticket, day)
    np.testing.assert_array_equal(ok, want_ok)
    assert 0 < ok.sum() < v
    redeem = ok & (rng.random(v) < 0.8)
    rate, face = pop.slot_coupon_rate[consumer, slot], pop.slot_coupon[consumer, slot]
    off = np.where(rate > 0, np.minimum(rate * ticket, face), np.minimum(face, ticket))
    want = np.where(redeem, off, 0.0)
    got = discounts(pop, at, ticket, redeem)
    assert np.array_equal(got, want)  # the same operations in the same precision: equal bits
    assert (got[redeem] > 0).all() and (got[~redeem] == 0).all()


def test_urgency_weighs_the_last_day_most_and_fades():
    from sim.rules.redemption import urgency

    assert urgency(0.0, 0.5, 1.0) == 1.5
    assert urgency(1.0, 0.5, 1.0) == pytest.approx(1.0 + 0.5 / np.e)
    assert urgency(30.0, 0.5, 1.0) == pytest.approx(1.0, abs=1e-12)
    assert urgency(0.0, 0.0, 1.0) == 1.0  # no urgency: the value alone

