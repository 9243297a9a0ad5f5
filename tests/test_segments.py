"""sim.world.segments: persona segments draw correlated traits; results split by segment."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim
from sim.config import PopulationConfig, SegmentConfig, SimConfig
from sim.config.schema import default_segments
from sim.engine.model import O2OModel
from sim.random.streams import Streams
from sim.world.segments import assign_segments, odds_scaled

N = 40_000


def _population(cfg: SimConfig):
    """A population drawn as the model draws it (same streams), before segments."""
    import random

    from sim.world.city import build_city
    from sim.world.population import build_population
    from sim.world.stores import build_stores

    streams = Streams(cfg.seed)
    city = build_city(cfg.city, streams.get("city"), random.Random(0))
    table = build_stores(cfg.stores, city, streams.get("stores"))
    return build_population(cfg.population, cfg.behavior, city, table.xy, streams.get("population"),
                            table.quality), streams


def _drawn(segments):
    cfg = SimConfig()
    cfg.population = dataclasses.replace(cfg.population, size=N, segments=segments)
    pop, streams = _population(cfg)
    before = dataclasses.replace(pop, **{f.name: getattr(pop, f.name).copy() for f in dataclasses.fields(pop)
                                        if isinstance(getattr(pop, f.name), np.ndarray)})
    segs = assign_segments(cfg.population, pop, streams.get("segments"))
    return cfg, before, pop, segs


def test_the_default_mix_keeps_the_population_means():
    """Shares sum to 1 and each factor averages about 1 over the population (docs/ODD.md 7.2a)."""
    mix = default_segments()
    shares = np.array([s.share for s in mix])
    assert shares.sum() == pytest.approx(1.0)
    for name in ("money_weight_factor", "value_of_time_factor", "trust_factor", "deal_weight", "habit_gain",
                 "review_factor", "share_factor"):
        assert shares @ np.array([getattr(s, name) for s in mix]) == pytest.approx(1.0, abs=0.01), name
    p = PopulationConfig()
    assert shares @ odds_scaled(p.app_reach, np.array([s.reach_odds for s in mix])) == pytest.approx(
        p.app_reach, abs=0.005)
    assert shares @ odds_scaled(p.push_opt_in, np.array([s.opt_in_odds for s in mix])) == pytest.approx(
        p.push_opt_in, abs=0.005)


def test_segments_are_drawn_with_their_shares_and_move_traits_together():
    mix = default_segments()
    cfg, before, pop, segs = _drawn(mix)
    assert segs.names == tuple(s.name for s in mix) and segs.deal_weighted and segs.habit_weighted
    counts = np.bincount(pop.segment, minlength=len(mix)) / N
    for seg, share in zip(mix, counts, strict=True):
        assert share == pytest.approx(seg.share, abs=4 * np.sqrt(seg.share * (1 - seg.share) / N))
    p = cfg.population
    for g, seg in enumerate(mix):
        own = pop.segment == g
        assert np.allclose(pop.deal_weight[own], seg.deal_weight)
        assert np.allclose(pop.habit_gain[own], seg.habit_gain)
        assert np.allclose(pop.money_weight[own], before.money_weight[own] * seg.money_weight_factor,
                           rtol=1e-6)
        assert np.allclose(pop.value_of_time[own], before.value_of_time[own] * seg.value_of_time_factor,
                           rtol=1e-6)
        assert np.allclose(pop.trust[own], np.minimum(1, before.trust[own] * seg.trust_factor), rtol=1e-6)
        expected_reach = odds_scaled(p.app_reach, np.array(seg.reach_odds))
        assert pop.reachable[own].mean() == pytest.approx(expected_reach, abs=0.03)
        assert np.allclose(pop.slot_habit[own], before.slot_habit[own] * seg.habit_gain, rtol=1e-6)
    # traits are correlated through the segment: deal-prone consumers are the least loyal
    assert np.corrcoef(pop.deal_weight, pop.habit_gain)[0, 1] < -0.5
    digital, offline = (pop.segment == segs.names.index(n) for n in ("digital_first", "offline_first"))
    assert pop.reachable[digital].mean() > 0.9 > 0.5 > pop.reachable[offline].mean()


def test_without_segments_the_population_is_left_as_drawn():
    _, before, pop, segs = _drawn([])
    assert segs.names == ("all",) and not segs.deal_weighted and not segs.habit_weighted
    for f in dataclasses.fields(pop):
        if f.name in ("segment", "deal_weight", "habit_gain"):
            continue
        value = getattr(pop, f.name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, getattr(before, f.name), err_msg=f.name)
    assert (pop.segment == 0).all() and (pop.deal_weight == 1).all() and (pop.habit_gain == 1).all()


def test_odds_scaling_keeps_certainty_and_impossibility():
    f = np.array([0.0, 0.5, 1.0, 4.0])
    assert np.allclose(odds_scaled(1.0, f[1:]), 1.0) and np.allclose(odds_scaled(0.0, f), 0.0)
    assert odds_scaled(0.5, np.array(0.0)) == 0.0
    assert odds_scaled(0.5, np.array(4.0)) == pytest.approx(0.8)  # odds 1 -> 4


def test_a_segment_with_only_a_name_has_the_population_traits():
    _, before, pop, segs = _drawn([SegmentConfig("a", 0.5), SegmentConfig("b", 0.5)])
    assert not segs.deal_weighted and not segs.habit_weighted
    np.testing.assert_array_equal(pop.money_weight, before.money_weight)
    np.testing.assert_array_equal(pop.trust, before.trust)


@pytest.fixture(scope="module")
def segmented_run():
    cfg = sim.load_config(["population.size=3000", "days=14", "warmup_days=10", "seed=2"])
    return sim.run(cfg)


def test_results_split_by_segment_add_up_to_the_run(segmented_run):
    res = segmented_run
    consumers = res.consumers
    assert len(consumers) == res.summary["consumers"]
    assert list(consumers["segment"].cat.categories) == [s.name for s in default_segments()]
    by = res.by_segment()
    assert list(by.index) == [s.name for s in default_segments()]
    assert by["consumers"].sum() == res.summary["consumers"]
    assert by["visits"].sum() == res.summary["visits"]
    assert by["purchases"].sum() == res.summary["purchases"]
    assert by["customers"].sum() == res.summary["unique_customers"]
    assert by["spend"].sum() == pytest.approx(res.summary["revenue"])
    assert by["coupons_claimed"].sum() == len(res.coupons)
    assert by["redemptions"].sum() == res.summary["redemptions"]
    assert by["redeemers"].sum() <= by["redemptions"].sum()


def test_deal_seekers_redeem_more_of_what_they_claim_than_loyalists():
    """Deal proneness reaches behaviour: over paired seeds the deal seekers convert claims more often."""
    rates = {"deal_seekers": [0, 0], "loyalists": [0, 0]}
    for seed in range(3):
        by = sim.run(sim.load_config(["population.size=4000", "days=28", "warmup_days=10",
                                      f"seed={seed}"])).by_segment()
        for name in rates:
            rates[name][0] += by.loc[name, "redemptions"]
            rates[name][1] += by.loc[name, "coupons_claimed"]
    deal, loyal = (rates[n][0] / rates[n][1] for n in ("deal_seekers", "loyalists"))
    assert deal > loyal * 1.1, (deal, loyal)


def test_the_choice_weighs_coupons_by_deal_proneness():
    cfg = sim.load_config(["population.size=1500", "stores.count=20", "days=10", "warmup_days=3", "seed=1"])
    model = O2OModel(cfg)
    for _ in range(5):  # past the first push (day 3)
        model.step()
    value, weighted = model.coupon_value(model.day), model.incentive(model.day)
    held = value > 0
    assert held.sum() > 10
    expected = value * model.population.deal_weight[:, None]
    np.testing.assert_allclose(weighted[held], expected[held])
    assert not np.allclose(weighted[held], value[held])


def test_a_purchase_adds_the_buyers_habit_gain():
    from sim.kernels.slot_upkeep import forget_and_lapse

    cfg = sim.load_config(["population.size=300", "stores.count=10", "days=3", "warmup_days=0"])
    pop = O2OModel(cfg).population
    before = pop.slot_habit.copy()
    visited = np.array([0, 1 * pop.slots + 2, 7 * pop.slots + 1])
    gains = np.array([0.5, 1.3, 2.0], dtype=np.float32)
    forget_and_lapse(pop, 0, 30, 0.0, np.uint64(1), lapse=False, habit_decay=0.9, visited=visited,
                     gains=gains)
    flat_before, flat_after = before.reshape(-1), pop.slot_habit.reshape(-1)
    expected = (flat_before[visited] * np.float32(0.9)) + gains
    np.testing.assert_allclose(flat_after[visited], expected, rtol=1e-6)


def test_segments_come_from_their_own_stream():
    """Changing a segment's traits leaves who is in which segment, and every other draw, unchanged."""
    mix = default_segments()
    _, _, pop_a, _ = _drawn(mix)
    changed = [dataclasses.replace(mix[0], deal_weight=3.0), *mix[1:]]
    _, _, pop_b, _ = _drawn(changed)
    np.testing.assert_array_equal(pop_a.segment, pop_b.segment)
    np.testing.assert_array_equal(pop_a.home_xy, pop_b.home_xy)
    np.testing.assert_array_equal(pop_a.reachable, pop_b.reachable)
