"""sim.visit_outcome: the compiled passes give sim.behavior's numbers and the model's updates, bit for bit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim import behavior
from sim.config import BehaviorConfig
from sim.visit_outcome import feelings, remember


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
    rating, quality = rng.uniform(2, 5, v), rng.uniform(2, 5, v)
    z, wait, served = rng.standard_normal(v), rng.exponential(8, v), rng.random(v) < 0.8

    expected = behavior.expected_quality(ref.slot_memory[consumer, slot], rating, ref.trust[consumer])
    felt = np.clip(quality + b.experience_sd * z - b.wait_penalty_per_10min * wait / 10.0, 1.0, 5.0)
    felt = np.where(served, felt, b.failed_visit_stars)
    d = behavior.satisfaction(felt, expected)
    p_review = behavior.review_probability(ref.review_propensity[consumer], d, b.review_base, b.review_slope)
    p_share = behavior.share_probability(ref.share_propensity[consumer], d, b.share_scale,
                                         b.negative_share_factor)
    want = (felt, d, p_review, p_share)
    got = feelings(pop, at, consumer, rating, quality, z, wait, served, b)
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
