"""sim.kernels.decision: the compiled decision equals sim.rules.behavior's readable definition."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engine.model import O2OModel
from sim.kernels.decision import evaluate, from_terms
from sim.rules import behavior

SCENARIOS = ["default", "omo_full", "reservation_realtime", "omo_membership", "huff_docking", "bass_docking"]


def _model_midway(scenario: str, steps: int = 6) -> O2OModel:
    cfg = sim.load_config([f"scenario={scenario}", "population.size=1500", "stores.count=20",
                           "days=20", "warmup_days=5", "seed=3"])
    model = O2OModel(cfg)
    for _ in range(steps):
        model.step()
    return model


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_kernel_equals_the_terms_summed_by_behavior(scenario):
    model = _model_midway(scenario)
    b = model.cfg.behavior
    shaped = model.shaped_terms(model.day)
    terms = shaped.terms  # every term, levers' rewrites applied
    reference = terms.total(b.beta_quality, b.price_weight, b.beta_social, b.beta_loyalty, b.wait_aversion)
    today = model.day_utility(model.day)
    avail = today.available
    assert (avail == terms.available).all() and avail.any()
    assert np.allclose(today.utility[avail], reference[avail], rtol=1e-6, atol=1e-5)  # float32 terms
    assert np.isneginf(today.utility[~avail]).all()
    inclusive = behavior.logsum(reference, avail)
    assert np.allclose(today.inclusive, inclusive, rtol=1e-6, atol=1e-5, equal_nan=False)
    p = behavior.visit_probability(inclusive, model.population.outside_utility)
    assert np.allclose(today.p_visit, p, atol=1e-6)
    rows = np.flatnonzero(avail.any(axis=1))
    best = np.where(avail, reference, -np.inf).argmax(axis=1)[rows]
    assert (today.best[rows] == best).mean() > 0.999  # only float ties may differ
    same = today.best[rows] == best
    at = (rows[same], best[same])
    full = lambda term: np.broadcast_to(term, avail.shape)[at]  # noqa: E731
    friction = (full(terms.travel_utils())
                + full(terms.money_weight * terms.value_of_time) * b.wait_aversion * full(terms.wait_min) / 60
                + full(terms.hassle))
    assert np.allclose(today.best_friction[rows[same]], friction, rtol=1e-6, atol=1e-5)


def test_levers_rewrites_reach_the_kernel():
    model = _model_midway("default")
    day = model.day
    plain = evaluate(model, day, {})  # (the model's day also weighs coupons by deal proneness)
    n, k = model.population.slot_store.shape
    bonus = np.zeros((n, k))
    bonus[0] = 2.0
    boosted = evaluate(model, day, {"extra": bonus, "wait_min": np.zeros((n, k))})
    avail = plain.available
    wait_utils = (model.population.money_weight[:, None] * model.population.value_of_time[:, None]
                  * model.cfg.behavior.wait_aversion
                  * model.store_table.expected_wait_min[np.maximum(model.population.slot_store, 0)] / 60)
    expected = plain.utility + bonus + wait_utils
    assert np.allclose(boosted.utility[avail], expected[avail], rtol=1e-7, atol=1e-7)
    assert not np.allclose(boosted.utility[avail], plain.utility[avail], atol=1e-3)


def test_a_consumer_with_no_available_store_never_visits():
    model = _model_midway("default")
    model.population.slot_aware[:5] = False
    today = model.day_utility(model.day)
    assert np.isneginf(today.inclusive[:5]).all()
    assert (today.p_visit[:5] == 0).all()
    assert (today.p_visit[5:] > 0).any()


@pytest.mark.parametrize("scenario", ["default", "omo_full", "huff_docking"])
def test_kernel_equals_the_numpy_reference_decision(scenario):
    model = _model_midway(scenario)
    today = model.day_utility(model.day)
    terms = model.shaped_terms(model.day).terms
    ref = from_terms(terms, model.population.outside_utility, model.cfg.behavior)
    assert (today.available == ref.available).all()
    fin = ref.available
    assert np.allclose(today.utility[fin], ref.utility[fin], rtol=1e-6, atol=1e-5)
    assert np.allclose(today.p_visit, ref.p_visit, atol=1e-6)
    assert (today.best == ref.best).mean() > 0.999
    same = (today.best == ref.best) & fin.any(axis=1)
    assert np.allclose(today.best_friction[same], ref.best_friction[same], rtol=1e-6, atol=1e-5)
    assert np.allclose(today.best_utility[same], ref.best_utility[same], rtol=1e-6, atol=1e-5)
    none = ~fin.any(axis=1)
    assert np.isneginf(today.best_utility[none]).all() and np.isneginf(ref.best_utility[none]).all()


def test_a_rewrite_the_kernel_does_not_take_decides_from_the_full_terms():
    from sim.levers.base import Lever

    class Salient(Lever):
        name = "salient"
        touches = frozenset({"choice"})

        def shape_choice(self, model, day, terms):
            terms.writable("prompt")[:] += 3.0

    model = _model_midway("default")
    before = model.day_utility(model.day)
    model.add_lever(Salient(None, 0))
    after = model.day_utility(model.day)
    avail = before.available
    assert np.allclose(after.utility[avail], before.utility[avail] + 3.0, rtol=1e-6, atol=1e-5)
    assert (after.p_visit >= before.p_visit - 1e-9).all() and after.p_visit.sum() > before.p_visit.sum()


def test_compiled_choice_equals_behavior_choose():
    from sim.kernels.decision import DayUtility, choose

    rng = np.random.default_rng(11)
    n, k = 4000, 10
    available = rng.random((n, k)) < 0.4
    available[np.arange(n), rng.integers(0, k, n)] = True  # every row has a store
    utility = np.where(available, rng.normal(0, 2, (n, k)), -np.inf)
    best = utility.argmax(axis=1)
    today = DayUtility(utility, available, np.zeros(n), np.zeros(n), best, np.zeros(n))
    rows = np.flatnonzero(rng.random(n) < 0.5)
    u = rng.random(rows.size)
    u[:5] = 0.0  # must skip leading unavailable columns
    u[5:10] = np.nextafter(1.0, 0.0)
    got = choose(today, rows, u)
    assert np.array_equal(got, behavior.choose(utility[rows], available[rows], u))
    assert available[rows, got].all()


@pytest.mark.parametrize("scenario", ["default", "calibrated_coupon"])  # percent; amount with a minimum
def test_coupon_value_in_the_kernel_equals_the_models(scenario):
    model = _model_midway(scenario, steps=8)
    day = model.day
    pop = model.population
    assert ((pop.slot_coupon > 0) & (pop.slot_coupon_expiry >= day)).sum() > 20
    inline = evaluate(model, day, {})
    given = evaluate(model, day, {"incentive_money": model.incentive(day)})
    avail = inline.available
    assert np.allclose(inline.utility[avail], given.utility[avail], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("scenario", ["default", "omo_full", "bass_docking"])
def test_deciding_in_the_pass_equals_drawing_after_it(scenario):
    from sim.kernels.decision import choose

    model = _model_midway(scenario)
    n = model.population.size
    today = model.day_utility(model.day, decide=True)
    assert today.intends is not None and today.chosen is not None
    plain = model.day_utility(model.day)
    assert plain.intends is None and np.array_equal(plain.p_visit, today.p_visit)
    intent = np.flatnonzero(model.uniforms("decision:visit", np.arange(n)) < today.p_visit)
    np.testing.assert_array_equal(np.flatnonzero(today.intends), intent)
    assert intent.size > 20
    assert today.utility is None  # a day decided in the pass needs no full utility array
    slots = choose(plain, intent, model.uniforms("decision:choice", intent))
    np.testing.assert_array_equal(today.chosen[intent], slots)
    assert today.available[intent, slots].all()
    np.testing.assert_array_equal(today.intent, intent)  # the list the pass made
    follow = model.uniforms("decision:follow", intent) < model.cfg.behavior.follow_through
    np.testing.assert_array_equal(today.follows, follow)
    assert 0 < follow.sum() < follow.size or model.cfg.behavior.follow_through in (0.0, 1.0)


def test_a_workspace_gives_the_same_day_and_is_reused():
    from sim.kernels.decision import Workspace

    model = _model_midway("omo_full")
    keys = (model.draw_key("decision:visit"), model.draw_key("decision:choice"))
    fresh = evaluate(model, model.day, {}, decide=keys)
    space = Workspace()
    first = evaluate(model, model.day, {}, decide=keys, workspace=space)
    for name in ("available", "inclusive", "p_visit", "best", "best_friction", "intends", "chosen",
                 "best_utility"):
        np.testing.assert_array_equal(getattr(first, name), getattr(fresh, name), err_msg=name)
    n, k = model.population.slot_store.shape
    assert space.arrays(n, k, dense=False)["utility"].size == 0  # deciding keeps no (N, K) utility array
    again = evaluate(model, model.day, {}, workspace=space)
    assert again.available is first.available  # the same memory, day after day
    np.testing.assert_array_equal(again.p_visit, fresh.p_visit)
    rows = np.arange(again.best.size)
    np.testing.assert_array_equal(again.utility[rows, again.best], first.best_utility)  # the best's utility
    assert space.arrays(n + 1, k, dense=True)["utility"].shape == (n + 1, k)  # a new shape: new arrays


def test_dropoff_counts_equal_the_array_rule():
    from sim.kernels.decision import DayUtility, dropoff_counts

    rng = np.random.default_rng(4)
    n, k = 3000, 5
    available = rng.random((n, k)) < 0.3  # some consumers have no store at all
    today = DayUtility(None, available, np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64),
                       rng.exponential(1.0, n), best_utility=rng.normal(-1, 1, n))
    outside = rng.normal(0, 0.5, n).astype(np.float32)
    reached = np.sort(rng.choice(n, 900, replace=False))
    intent = rng.choice(n, 400, replace=False)
    idle = reached[~np.isin(reached, intent)]
    idle = idle[available[idle].any(axis=1)]
    operational = today.best_utility[idle] + today.best_friction[idle] > outside[idle]
    want = (int((~operational).sum()), int(operational.sum()))
    assert dropoff_counts(today, reached, intent, outside) == want
    assert min(want) > 50
    repeated = rng.permutation(np.concatenate([reached, reached[::3]]))  # each counts once, in any order
    assert dropoff_counts(today, repeated, intent, outside) == want
