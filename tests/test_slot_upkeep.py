"""sim.kernels.slot_upkeep: the compiled nightly upkeep equals the array rule it replaces."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hst

from sim.kernels.slot_upkeep import forget_and_lapse
from sim.random.keyed import uniforms

KEY = np.uint64(0xC0FFEE)


def _slots(seed, n=200, k=6):
    rng = np.random.default_rng(seed)
    return SimpleNamespace(
        slot_aware=rng.random((n, k)) < 0.6,
        slot_touched=rng.integers(-40, 10, (n, k)).astype(np.int32),
        slot_memory=np.where(rng.random((n, k)) < 0.5, np.nan, rng.uniform(1, 5, (n, k))).astype(np.float32),
        slot_habit=rng.uniform(0, 3, (n, k)).astype(np.float32),
        slot_social=np.where(rng.random((n, k)) < 0.3, rng.uniform(-2, 2, (n, k)), 0.0).astype(np.float32),
        slot_coupon=np.where(rng.random((n, k)) < 0.3, 10.0, 0.0).astype(np.float32),
        slot_coupon_expiry=rng.integers(-5, 15, (n, k)).astype(np.int32),
        slot_coupon_lever=rng.integers(-1, 3, (n, k)).astype(np.int8),
    ), uniforms(KEY, np.arange(n * k)).reshape(n, k)


def _reference(pop, day, after, rate, u, decay=1.0, social_decay=1.0):
    pop.slot_habit *= np.float32(decay)
    pop.slot_social *= np.float32(social_decay)
    idle = pop.slot_aware & (pop.slot_touched <= day - after)
    forget = idle & (u < rate)
    pop.slot_aware[forget] = False
    pop.slot_memory[forget] = np.nan
    pop.slot_habit[forget] = 0.0
    lapsed = (pop.slot_coupon > 0) & (pop.slot_coupon_expiry <= day)
    pop.slot_coupon[lapsed] = 0.0
    pop.slot_coupon_lever[lapsed] = -1
    return int(forget.sum())


@settings(max_examples=30, deadline=None)
@given(seed=hst.integers(0, 10_000), day=hst.integers(-5, 12), after=hst.integers(0, 40),
       rate=hst.sampled_from([0.0, 0.03, 0.5, 1.0]), decay=hst.sampled_from([1.0, 0.9, 0.5]))
def test_compiled_upkeep_equals_the_array_rule(seed, day, after, rate, decay):
    ref, u = _slots(seed)
    got, _ = _slots(seed)
    n_ref = _reference(ref, day, after, rate, u, decay, social_decay=0.7)
    visited = np.random.default_rng(seed).choice(ref.slot_habit.size, 40, replace=False)
    ref.slot_habit.reshape(-1)[visited] += 1.0  # today's purchases, after the decay
    n_got, held = forget_and_lapse(got, day, after, rate, KEY, habit_decay=decay, social_decay=0.7,
                                   visited=visited)
    assert n_got == n_ref
    assert held == int((ref.slot_coupon > 0).sum())
    for name in vars(ref):
        assert np.array_equal(getattr(ref, name), getattr(got, name), equal_nan=True), name


def test_without_lapse_the_coupons_are_left_alone():
    ref, u = _slots(4)
    got, _ = _slots(4)
    n_ref = _reference(ref, 3, 10, 0.5, u)
    coupons = got.slot_coupon.copy()
    n_got, held = forget_and_lapse(got, 3, 10, 0.5, KEY, lapse=False)
    assert (n_got, held) == (n_ref, 0)
    assert np.array_equal(got.slot_coupon, coupons)
    assert np.array_equal(got.slot_aware, ref.slot_aware)
