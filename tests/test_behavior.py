"""sim.rules.behavior: the pure decision rules (incentive vs friction, choice, reviews, shares)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config import BehaviorConfig, CityConfig
from sim.rules import behavior
from sim.world.city import travel_cost
from sim.world.stores import PEAK_HOURS

B = BehaviorConfig()
SCALARS = {"beta_quality": B.beta_quality, "beta_social": B.beta_social,
           "beta_loyalty": B.beta_loyalty, "wait_aversion": B.wait_aversion}
ARRAYS = {"quality": 3.8, "money_weight": 0.035, "value_of_time": 30.0}


def utility(**changes):
    """visit_utility with every argument neutral (0) unless named: robust to new terms."""
    kwargs = {}
    for name in inspect.signature(behavior.visit_utility).parameters:
        if name in SCALARS:
            kwargs[name] = SCALARS[name]
        else:
            kwargs[name] = np.asarray(ARRAYS.get(name, 0.0), dtype=np.float64)
    for name, value in changes.items():
        assert name in kwargs, f"visit_utility has no argument {name!r}"
        kwargs[name] = np.asarray(value, dtype=np.float64)
    return behavior.visit_utility(**kwargs)


def p_visit(u, outside=3.0):
    u = np.atleast_1d(u).astype(float)
    inclusive = behavior.logsum(u[:, None], np.ones((u.size, 1), dtype=bool))
    return behavior.visit_probability(inclusive, np.full(u.size, outside))


# --------------------------------------------------------------------------- utility and visiting


def test_visit_probability_rises_with_the_discount():
    money = np.array([0.0, 5.0, 10.0, 20.0, 40.0, 80.0])
    p = p_visit(utility(incentive_money=money))
    assert (np.diff(p) > 0).all()
    assert p[-1] > 2 * p[0]


def test_visit_probability_falls_with_distance():
    cfg = CityConfig()
    d = np.linspace(0.05, 8.0, 60)
    hours, money = travel_cost(d, cfg)
    p = p_visit(utility(travel_hours=hours, travel_money=money))
    assert (np.diff(p) <= 0).all()
    assert p[0] > 2 * p[-1]


def test_visit_probability_falls_with_the_expected_wait():
    p = p_visit(utility(wait_min=np.array([0.0, 5.0, 15.0, 30.0, 60.0])))
    assert (np.diff(p) < 0).all()


def test_utility_terms_signs():
    base = float(utility())
    assert float(utility(prompt=1.0)) == pytest.approx(base + 1.0)
    assert float(utility(hassle=0.6)) == pytest.approx(base - 0.6)
    assert float(utility(doubt_utils=0.8)) == pytest.approx(base - 0.8)
    assert float(utility(social=2.0)) == pytest.approx(base + 2.0 * B.beta_social)
    assert float(utility(quality=4.8)) > base > float(utility(quality=2.0))
    assert float(utility(asc=0.3)) == pytest.approx(base + 0.3)
    # incentive is valued in utils through the money weight
    assert float(utility(incentive_money=10.0)) == pytest.approx(base + 10.0 * 0.035)
    # a more price-sensitive consumer values the same coupon more
    assert float(utility(incentive_money=10.0, money_weight=0.1)) - float(utility(money_weight=0.1)) > \
        float(utility(incentive_money=10.0)) - base


def test_loyalty_term_rises_with_past_visits():
    name = next(n for n in inspect.signature(behavior.visit_utility).parameters
                if n in ("habit", "visits"))
    u = utility(**{name: np.array([0.0, 1.0, 3.0, 10.0])})
    assert (np.diff(u) > 0).all()


@settings(max_examples=30, deadline=None, database=None)
@given(incentive=st.floats(0, 200), distance=st.floats(0.01, 12), wait=st.floats(0, 120),
       bump=st.floats(0.5, 50))
def test_monotone_property(incentive, distance, wait, bump):
    cfg = CityConfig()
    h, m = travel_cost(np.array([distance, distance + bump / 10]), cfg)
    args = {"incentive_money": incentive, "wait_min": wait}
    u = utility(**args, travel_hours=h[0], travel_money=m[0])
    assert utility(**{**args, "incentive_money": incentive + bump}, travel_hours=h[0],
                   travel_money=m[0]) > u
    assert utility(**{**args, "wait_min": wait + bump}, travel_hours=h[0], travel_money=m[0]) < u
    assert utility(**args, travel_hours=h[1], travel_money=m[1]) < u


def test_logsum_and_visit_probability():
    u = np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0], [5.0, 1.0, 1.0]])
    avail = np.array([[True, True, False], [False, False, False], [True, True, True]])
    ls = behavior.logsum(u, avail)
    assert ls[0] == pytest.approx(np.log(np.exp(1.0) + np.exp(2.0)))
    assert ls[1] == -np.inf
    assert ls[2] == pytest.approx(np.log(np.exp(5.0) + 2 * np.exp(1.0)))
    p = behavior.visit_probability(ls, np.array([1.0, 1.0, 1.0]))
    assert p[1] == 0.0                                    # nothing known: nobody goes
    assert p[0] == pytest.approx(1 / (1 + np.exp(1.0 - ls[0])))
    # more known alternatives, higher chance of going out
    assert behavior.logsum(u[:1], np.array([[True, True, True]]))[0] > ls[0]
    # large utilities do not overflow
    big = behavior.logsum(np.array([[800.0, 799.0]]), np.array([[True, True]]))
    assert np.isfinite(big).all()


# --------------------------------------------------------------------------- store choice


def test_choose_frequencies_match_logit_shares():
    rng = np.random.default_rng(0)
    v = np.array([0.5, 1.5, -0.2, 1.0])
    avail = np.array([True, True, True, False])
    m = 200_000
    pick = behavior.choose(np.tile(v, (m, 1)), np.tile(avail, (m, 1)), rng.random(m))
    freq = np.bincount(pick, minlength=4) / m
    expected = np.where(avail, np.exp(v), 0.0)
    expected /= expected.sum()
    np.testing.assert_allclose(freq, expected, atol=0.005)
    assert freq[3] == 0.0


def test_better_rated_store_is_chosen_more_often():
    trust = 0.8
    q = behavior.expected_quality(np.array([np.nan, np.nan]), np.array([4.5, 3.5]), trust)
    assert q[0] > q[1]
    u = utility(quality=q)                     # everything else equal
    assert u[0] > u[1]
    rng = np.random.default_rng(1)
    m = 50_000
    pick = behavior.choose(np.tile(u, (m, 1)), np.ones((m, 2), dtype=bool), rng.random(m))
    share_better = np.mean(pick == 0)
    assert share_better > 0.55
    expected = 1 / (1 + np.exp(u[1] - u[0]))
    assert share_better == pytest.approx(expected, abs=0.01)


def test_choose_never_picks_unavailable_columns():
    m = 5000
    rng = np.random.default_rng(2)
    u = rng.normal(size=(m, 5))
    avail = rng.random((m, 5)) < 0.5
    avail[np.arange(m), rng.integers(0, 5, m)] = True
    uniforms = rng.random(m)
    uniforms[10:20] = np.nextafter(1.0, 0.0)
    pick = behavior.choose(u, avail, uniforms)
    assert ((pick >= 0) & (pick < 5)).all()
    assert avail[np.arange(m), pick].all(), np.flatnonzero(~avail[np.arange(m), pick])[:10]


def test_choose_with_a_zero_uniform_skips_an_unavailable_first_column():
    """``u`` is documented as uniforms in [0, 1), and ``Generator.random`` can return 0.0."""
    pick = behavior.choose(np.array([[0.0, 0.0, 0.0]]), np.array([[False, True, True]]), np.array([0.0]))
    assert pick.tolist() == [1], f"choose picked unavailable column {pick.tolist()} for u = 0"


# --------------------------------------------------------------------------- expectation and doubt


def test_expected_quality_memory_first_then_trusted_rating():
    mem = np.array([4.2, np.nan, np.nan])
    rating = np.array([2.0, 4.5, 4.5])
    trust = np.array([0.9, 1.0, 0.0])
    np.testing.assert_allclose(behavior.expected_quality(mem, rating, trust), [4.2, 4.5, 3.0])


def test_doubt_shrinks_with_reviews_and_trust_and_vanishes_when_familiar():
    n = np.array([0.0, 5.0, 20.0, 100.0, 1000.0])
    d = behavior.doubt(np.zeros(5, dtype=bool), np.full(5, 0.7), n, 0.8, 20.0)
    assert d[0] == pytest.approx(0.8)
    assert (np.diff(d) < 0).all()
    trust = np.array([0.0, 0.3, 0.6, 1.0])
    d = behavior.doubt(np.zeros(4, dtype=bool), trust, np.full(4, 50.0), 0.8, 20.0)
    assert d[0] == pytest.approx(0.8) and (np.diff(d) < 0).all()
    assert (d >= 0).all()
    familiar = behavior.doubt(np.ones(3, dtype=bool), np.full(3, 0.5), np.zeros(3), 0.8, 20.0)
    assert familiar.tolist() == [0, 0, 0]


# --------------------------------------------------------------------------- after the visit


def test_satisfaction_is_disconfirmation():
    np.testing.assert_allclose(behavior.satisfaction(np.array([4.0, 2.0]), np.array([3.5, 3.0])),
                               [0.5, -1.0])


def test_review_probability_rises_with_extremity_both_ways():
    d = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    p = behavior.review_probability(np.full(5, 0.2), d, 0.3, 0.6)
    assert p[2] == pytest.approx(0.2 * 0.3)
    assert p[0] > p[1] > p[2] and p[4] > p[3] > p[2]
    assert p[0] == pytest.approx(p[4])
    assert ((p >= 0) & (p <= 1)).all()
    assert behavior.review_probability(np.array([1.0]), np.array([4.0]), 0.3, 0.6)[0] == 1.0


def test_share_probability_lower_for_negative_experiences():
    d = np.array([0.2, 0.6, 1.0, 3.0])
    prop = np.full(4, 0.5)
    pos = behavior.share_probability(prop, d, 1.0, 0.6)
    neg = behavior.share_probability(prop, -d, 1.0, 0.6)
    assert (neg < pos).all()
    np.testing.assert_allclose(neg, 0.6 * pos)
    assert (np.diff(pos) >= 0).all()
    assert pos[-1] == pytest.approx(0.5)                      # saturates at |s| = scale
    assert behavior.share_probability(prop[:1], np.array([0.0]), 1.0, 0.6)[0] == 0.0


# --------------------------------------------------------------------------- timing


def test_prompt_timing_peaks_window_hours_before_a_peak():
    peaks = PEAK_HOURS["restaurant"]
    hours = np.arange(0, 24, 0.25)
    f = np.array([behavior.prompt_timing(h, peaks, 1.5, 1.0) for h in hours])
    assert f.max() == pytest.approx(1.0)
    best = hours[f == f.max()]
    assert set(best.tolist()) <= {p - 1.5 for p in peaks}
    assert behavior.prompt_timing(10.5, peaks, 1.5, 1.0) == pytest.approx(1.0)
    assert behavior.prompt_timing(12 - 1.5, peaks, 1.5, 1.0) > behavior.prompt_timing(8.0, peaks, 1.5, 1.0)
    assert behavior.prompt_timing(12 - 1.5, peaks, 1.5, 1.0) > behavior.prompt_timing(11.9, peaks, 1.5, 1.0)
    assert ((f >= 0) & (f <= 1)).all()
    assert behavior.prompt_timing(20.0, peaks, 1.5, 1.0) == 0.0   # after the last peak
    single = behavior.prompt_timing(17.0 - 1.5, PEAK_HOURS["retail"], 1.5, 1.0)
    assert single == pytest.approx(1.0)


def test_ticket_is_log_normal_around_the_price_with_that_mean():
    z = np.random.default_rng(3).standard_normal(400_000)
    tickets = behavior.ticket(np.full(z.size, 80.0), z)
    assert abs(tickets.mean() / 80.0 - 1.0) < 0.005  # mean-preserving
    assert np.isclose(np.log(tickets).std(), behavior.TICKET_SIGMA, rtol=0.01)
    assert np.array_equal(behavior.ticket(np.array([50.0]), np.array([0.0])),
                          [50.0 * np.exp(-behavior.TICKET_SIGMA**2 / 2)])


def test_satisfaction_classes_split_at_the_bands_and_failed_visits_are_their_own():
    s = np.array([-2.0, -1.5, -1.0, -0.5, -0.2, 0.0, 0.49, 0.5, 1.49, 1.5, 3.0, 2.0])
    served = np.r_[np.ones(11, dtype=bool), False]
    got = behavior.satisfaction_class(s, served, 0.5, 1.5)
    names = [behavior.SATISFACTION_CLASSES[k] for k in got]
    assert names == ["very_dissatisfied", "very_dissatisfied", "dissatisfied", "dissatisfied", "neutral",
                     "neutral", "neutral", "satisfied", "satisfied", "very_satisfied", "very_satisfied",
                     "failed"]


def test_satisfaction_adds_perceived_value_to_the_disconfirmation():
    ticket, price_ratio = np.array([100.0, 100.0, 100.0]), np.array([1.0, 1.0, 1.2])
    gap = behavior.value_gap(ticket, np.array([0.0, 20.0, 0.0]), price_ratio)
    np.testing.assert_allclose(gap, [0.0, 0.2, -0.2])
    s = behavior.satisfaction(np.full(3, 4.0), np.full(3, 3.5), gap, 1.0, np.array([0.0, 0.5, 0.0]), 0.4)
    np.testing.assert_allclose(s, [0.5, 0.5 + 0.2 + 0.2, 0.5 - 0.2])
    np.testing.assert_array_equal(behavior.satisfaction(np.full(3, 4.0), np.full(3, 3.5)), 0.5)


def test_default_posting_is_an_asymmetric_u_in_satisfaction():
    from sim.config import WordOfMouthConfig
    from sim.kernels.visit_outcome import class_tables

    review, share, valence = class_tables(WordOfMouthConfig())
    vd, d, n, s, vs, failed = range(6)
    for f in (review, share):  # Anderson (1998): extremes post more, the dissatisfied more than the satisfied
        assert f[n] < min(f[d], f[s]) and max(f[d], f[s]) < min(f[vd], f[vs])
        assert f[vd] > f[vs] and f[d] > f[s]
    assert valence[vd] < valence[d] < valence[n] == 0 < valence[s] < valence[vs] and valence[failed] < 0
    p = behavior.class_probability(np.array([0.1, 0.9]), np.array([vd, vd]), review)
    np.testing.assert_allclose(p, [0.1 * review[vd], 1.0])  # capped at 1


def test_failed_visit_stars_are_drawn_around_their_experience():
    z = np.random.default_rng(0).standard_normal(20000)
    stars = behavior.failed_stars(1.5, 0.7, z)
    assert set(np.unique(stars)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert 0.4 < np.mean(stars == 1) < 0.6 and np.mean(stars == 2) > 0.3  # not always one star
    assert (behavior.failed_stars(1.5, 0.0, z) == 2).all()  # 1.5 rounds half to even
