"""sim.levers.base: the lever protocol, coupon accounting and the push-coupon lever."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.config import CATEGORIES, CampaignConfig, PushCouponConfig
from sim.engine.model import O2OModel
from sim.levers import LEVERS, build_levers
from sim.levers.base import FACE_CAP_MULTIPLE, CouponBook, Exposures, Lever, best_send_hour, hour_attention
from sim.levers.push_coupon import PushCoupon
from sim.rules.behavior import prompt_timing_at
from sim.world.city import travel_cost
from sim.world.population import pair_distance
from sim.world.stores import PEAK_HOURS


def _model(small_cfg, **pc):
    over = {f"campaign.push_coupon.{k}": v for k, v in pc.items()}
    return O2OModel(small_cfg(over))


def test_hour_attention():
    assert hour_attention(10) == 1.0 and hour_attention(21) == 1.0 and hour_attention(8) == 1.0
    assert hour_attention(7) == 0.5 and hour_attention(22) == 0.5
    assert hour_attention(3) < hour_attention(7) < hour_attention(12)


def test_registry_and_build_levers():
    assert LEVERS["push_coupon"] is PushCoupon
    section_names = {f.name for f in dataclasses.fields(CampaignConfig)}
    for name, cls in LEVERS.items():
        assert issubclass(cls, Lever)
        assert cls.name == name
        assert name in section_names            # every lever has a config section
    levers = build_levers(CampaignConfig())
    assert [type(lv) for lv in levers] == [PushCoupon]
    assert [lv.index for lv in levers] == [0]
    assert build_levers(CampaignConfig(push_coupon=PushCouponConfig(enabled=False))) == []


def test_lever_budget_pay_and_remaining():
    lever = PushCoupon(PushCouponConfig(budget=100.0), 0)
    book = CouponBook(1, days=10, max_validity=3)
    assert lever.budget == 100.0
    lever.pay(10.0)
    book.reserve(0, np.array([2, 3]), np.array([5.0, 7.0]))
    book.redeem(np.array([0]), np.array([2]), np.array([5.0]), np.array([4.0]))
    # 100 - fixed 10 - discounts 4 - outstanding 7
    assert lever.remaining(book) == pytest.approx(79.0)
    assert lever.fixed_spend == 10.0 and lever.spend_today == 10.0

    class Free(Lever):
        name = "free"

    free = Free(object(), 0)
    assert free.budget == np.inf
    # the protocol's hooks default to doing nothing: a lever implements only the steps it touches
    assert free.plan(None, 0) is None
    assert free.shape_choice(None, 0, None) is None and free.after_visits(None, 0, None) is None


def test_coupon_book_accounting():
    book = CouponBook(2, days=5, max_validity=2)
    book.reserve(1, np.array([3, 3, 4]), np.array([10.0, 10.0, 6.0]))
    assert book.outstanding(1) == pytest.approx(26.0) and book.outstanding(0) == 0.0
    book.issue(1, 3)
    book.redeem(np.array([1]), np.array([3]), np.array([10.0]), np.array([7.5]))
    assert book.issued.tolist() == [0, 3] and book.redeemed.tolist() == [0, 1]
    assert book.discounts.tolist() == [0.0, 7.5]
    assert book.outstanding(1) == pytest.approx(16.0)        # the redeemed coupon is freed
    book.expire(3)
    assert book.outstanding(1) == pytest.approx(6.0)         # the other day-3 coupon lapsed
    book.expire(4)
    assert book.outstanding(1) == pytest.approx(0.0)
    assert book.discounts.tolist() == [0.0, 7.5]             # paid discounts stay booked


def test_exposures_size():
    ex = Exposures(consumer=np.arange(3), store=np.zeros(3, int), attention_p=np.ones(3),
                   coupon_rate=np.zeros(3), coupon_face=np.zeros(3), coupon_min=np.zeros(3),
                   coupon_expiry=np.zeros(3, int),
                   prompt=np.zeros(3), lever=0)
    assert ex.size == 3


def test_send_days():
    lever = PushCoupon(PushCouponConfig(start_day=3, every_days=7, duration_days=28), 0)
    assert [d for d in range(60) if lever.is_send_day(d)] == [3, 10, 17, 24]
    lever = PushCoupon(PushCouponConfig(start_day=0, every_days=1, duration_days=3), 0)
    assert [d for d in range(10) if lever.is_send_day(d)] == [0, 1, 2]


def test_the_brand_runs_the_push_at_its_own_stores_and_pays_per_featured_store(small_cfg):
    model = O2OModel(small_cfg({"campaign.brand_share": 0.25, "campaign.push_coupon.radius_km": 1.5}))
    lever = model.levers[0]
    table, pop = model.store_table, model.population
    np.testing.assert_array_equal(lever.stores, model.brand_stores)  # one set of stores for every lever
    assert lever.stores.size == round(0.25 * table.count)
    assert (np.diff(lever.stores) > 0).all()
    lever.new_day()
    ex = lever.plan(model, lever.cfg.start_day)
    costs = lever.cost_by_store.sum(axis=0)
    np.testing.assert_allclose(costs, np.bincount(ex.store, minlength=table.count) * lever.cfg.cost_per_push)
    d_all = pair_distance(pop.home_xy[:, None, :], pop.work_xy[:, None, :], table.xy[lever.stores][None])
    nearest = lever.stores[d_all.argmin(axis=1)]
    within = d_all.min(axis=1) <= 1.5
    has = lever.target_store >= 0
    assert has.any() and (~has).any()
    np.testing.assert_array_equal(has, within)
    np.testing.assert_array_equal(lever.target_store[has], nearest[has])
    dist = lever.distance_to_target(model)
    assert (dist[has] <= 1.5 + 1e-5).all() and np.isinf(dist[~has]).all()


def test_plan_sends_one_push_to_each_eligible_consumer(small_cfg):
    model = _model(small_cfg, budget=1e9, start_day=2, send_hour=10, discount=0.3, open_rate=0.2,
                   validity_days=5)
    lever, pop, table = model.levers[0], model.population, model.store_table
    assert lever.plan(model, 0) is None and lever.plan(model, 1) is None
    ex = lever.plan(model, 2)
    eligible = (lever.target_store >= 0) & pop.reachable & pop.push_opt_in
    assert ex.size == eligible.sum() > 0
    assert np.unique(ex.consumer).size == ex.size
    assert eligible[ex.consumer].all()
    np.testing.assert_array_equal(ex.store, lever.target_store[ex.consumer])
    np.testing.assert_allclose(ex.coupon_face, FACE_CAP_MULTIPLE * 0.3 * table.price[ex.store])
    assert (ex.coupon_rate == 0.3).all()
    assert (ex.coupon_expiry == 2 + 5 - 1).all()
    assert np.allclose(ex.attention_p, 0.2 * hour_attention(10))
    b = model.cfg.behavior
    one_way_h = travel_cost(pair_distance(pop.home_xy[ex.consumer], pop.work_xy[ex.consumer],
                                          table.xy[ex.store]), model.cfg.city)[0] / 2
    expected_prompt = [b.prompt_utility * prompt_timing_at(10, PEAK_HOURS[CATEGORIES[c]], b.prompt_window_h,
                                                           b.prompt_decay_h, np.array([h]))[0]
                       for c, h in zip(table.category[ex.store], one_way_h, strict=True)]
    np.testing.assert_allclose(ex.prompt, expected_prompt)
    # message costs booked, each recipient counted once against the frequency cap
    assert lever.fixed_spend == pytest.approx(ex.size * lever.cfg.cost_per_push)
    assert lever.spend_today == pytest.approx(lever.fixed_spend)
    assert (lever.sent[ex.consumer] == 1).all() and lever.sent.sum() == ex.size


def test_plan_stops_at_the_budget(small_cfg):
    def pushes(budget):
        model = _model(small_cfg, budget=budget, discount=0.5, start_day=0, open_rate=1.0)
        lever = model.levers[0]
        ex = lever.plan(model, 0)
        pop = model.population
        eligible = int(((lever.target_store >= 0) & pop.reachable & pop.push_opt_in).sum())
        size = 0 if ex is None else ex.size
        assert lever.fixed_spend <= budget
        assert lever.remaining(model.coupon_book) >= -1e-9
        return size, eligible, ex

    small, eligible, ex = pushes(500.0)
    assert 0 < small < eligible
    # what was sent fits in the budget even if every coupon were claimed and used in full
    assert (ex.size * 0.05 + ex.coupon_face.sum()) <= 500.0 + 1e-9
    larger, _, _ = pushes(5000.0)
    assert small < larger <= eligible


def test_zero_budget_sends_nothing(small_cfg):
    model = _model(small_cfg, budget=0.0, start_day=0)
    assert model.levers[0].plan(model, 0) is None
    assert model.levers[0].fixed_spend == 0.0


def test_frequency_cap(small_cfg):
    model = _model(small_cfg, budget=1e9, start_day=0, every_days=1, duration_days=10, frequency_cap=2)
    lever = model.levers[0]
    sizes = []
    for day in range(4):
        ex = lever.plan(model, day)
        sizes.append(0 if ex is None else ex.size)
    assert sizes[0] == sizes[1] > 0
    assert sizes[2] == sizes[3] == 0
    assert lever.sent.max() == 2


def test_same_seed_same_participants_whatever_the_discount(small_cfg):
    a = _model(small_cfg, discount=0.05).levers[0]
    b = _model(small_cfg, discount=0.4).levers[0]
    np.testing.assert_array_equal(a.stores, b.stores)
    np.testing.assert_array_equal(a.target_store, b.target_store)


# --------------------------------------------------------------------------- targeting, timing, coupon design


def _run(small_cfg, seed=0, **pc):
    over = {f"campaign.push_coupon.{k}": v for k, v in pc.items()}
    over.setdefault("campaign.push_coupon.start_day", 1)
    model = O2OModel(small_cfg(over, seed=seed))
    for _ in range(model.cfg.days):
        model.step()
    return model


def test_audience_everyone_targets_the_whole_city(small_cfg):
    model = _model(small_cfg, audience="everyone", radius_km=0.5)
    assert (model.levers[0].target_store >= 0).all()
    geo = _model(small_cfg, audience="geo", radius_km=0.5)
    assert (geo.levers[0].target_store < 0).any()


@pytest.mark.parametrize("segment", ["new", "active", "lapsed", "vip", "browsers"])
def test_segment_targeting_sends_only_to_the_segment(small_cfg, segment):
    model = _model(small_cfg, segment=segment, audience="everyone", start_day=0, vip_purchases=3,
                   active_days=10)
    lever = model.levers[0]
    members = lever.in_segment(model, 0)
    ex = lever.plan(model, 0)
    assert ex is not None and ex.size > 0
    assert members[ex.consumer].all()
    pop = model.population
    if segment == "new":
        assert (pop.purchases[ex.consumer] == 0).all()
    if segment == "vip":
        assert (pop.purchases[ex.consumer] >= 3).all()
    if segment == "lapsed":
        assert (pop.last_visit_day[ex.consumer] < -10).all() and (pop.purchases[ex.consumer] > 0).all()


def test_context_timing_sends_before_each_categorys_peak(small_cfg):
    lever = _model(small_cfg, timing="context").levers[0]
    hours = dict(zip(CATEGORIES, lever.send_hour.tolist(), strict=True))
    assert hours == {"restaurant": 11, "retail": 16, "service": 10}  # an hour before the first peak
    assert best_send_hour(PEAK_HOURS["restaurant"], 1.5, 1.0) == 17
    fixed_model = _model(small_cfg, timing="fixed", send_hour=8)
    fixed, pop = fixed_model.levers[0], fixed_model.population
    consumer = np.flatnonzero(lever.target_store >= 0)[:200]
    store = lever.target_store[consumer]
    category = fixed_model.store_table.category[store]
    send, attention, context_timing = lever.send_plan(fixed_model, consumer, store, category)
    _, fixed_attention, fixed_timing = fixed.send_plan(fixed_model, consumer, store, category)
    assert (attention * context_timing > fixed_attention * fixed_timing).all()
    # the trip counts: sent at the same hour, a push prompts a recipient farther away less
    far = pair_distance(pop.home_xy[consumer], pop.work_xy[consumer], fixed_model.store_table.xy[store])
    assert (send <= lever.send_hour[category]).all()  # never later than for a neighbour
    same = (category == category[0]) & (send == send[0])
    rank = np.corrcoef(np.argsort(np.argsort(far[same])), np.argsort(np.argsort(context_timing[same])))[0, 1]
    assert same.sum() >= 20 and rank < -0.5, (same.sum(), rank)


def test_a_push_prompts_a_neighbour_more_than_someone_a_ride_away():
    from sim.rules.behavior import prompt_timing_at

    near, ride = prompt_timing_at(10.0, (11.0,), 1.0, 1.0, np.array([0.05, 0.6]))
    assert near > ride and near == pytest.approx(np.exp(-0.05))
    assert prompt_timing_at(12.0, (11.0,), 1.0, 1.0, np.array([0.0]))[0] == 0.0  # after the last peak


def test_context_push_converts_more_the_same_day_than_a_generic_push(small_cfg):
    per_push = {}
    for timing in ("fixed", "context"):
        bought = sent = 0
        for seed in range(3):
            m = _run(small_cfg, seed=seed, timing=timing, send_hour=8, radius_km=1.0)
            lever = m.levers[0]
            send_days = [r for r in m.recorder.rows if lever.is_send_day(r["day"])]
            bought += sum(r["purchases_push"] for r in send_days)
            sent += int(lever.sent.sum())
        per_push[timing] = bought / sent
    assert per_push["context"] > 1.5 * per_push["fixed"], per_push


def test_fatigue_makes_recipients_opt_out(small_cfg):
    model = _model(small_cfg, fatigue_free=0, fatigue_rate=1.0, start_day=0, every_days=1)
    lever = model.levers[0]
    ex = lever.plan(model, 0)
    assert ex.size > 0 and lever.opted_out == ex.size
    assert not model.population.push_opt_in[ex.consumer].any()
    again = lever.plan(model, 1)
    assert again is None or not np.isin(again.consumer, ex.consumer).any()


def test_amount_coupon_with_minimum_spend(small_cfg):
    m = _run(small_cfg, coupon_kind="amount", amount_off=12.0, min_spend=60.0, discount=0.0)
    d = m.recorder.rows
    redemptions = sum(r["redemptions"] for r in d)
    assert redemptions > 0
    discount = sum(r["discount_cost"] for r in d)
    assert discount == pytest.approx(12.0 * redemptions)  # every ticket that qualifies is >= 60 > 12


def test_higher_spend_threshold_lowers_redemption(small_cfg):
    rates = {}
    for min_spend in (0.0, 120.0):
        issued = redeemed = 0
        for seed in range(3):
            m = _run(small_cfg, seed=seed, coupon_kind="amount", amount_off=15.0, min_spend=min_spend)
            issued += int(m.coupon_book.issued.sum())
            redeemed += int(m.coupon_book.redeemed.sum())
        rates[min_spend] = redeemed / issued
    assert rates[120.0] < 0.7 * rates[0.0], rates


def test_redemption_cap_is_honoured(small_cfg):
    free = _run(small_cfg, discount=0.4, audience="everyone")
    assert free.coupon_book.redeemed.sum() > 5
    capped = _run(small_cfg, discount=0.4, audience="everyone", redemption_cap=5)
    assert capped.coupon_book.redeemed.sum() == 5
    assert sum(r["redemptions"] for r in capped.recorder.rows) == 5


# --------------------------------------------------------------------------- the protocol's hooks


def test_shape_choice_hook_changes_the_choice(small_cfg):
    class Closed(Lever):
        name = "closed"
        touches = frozenset({"choice"})

        def shape_choice(self, model, day, terms):
            available = terms.writable("available")
            available[model.population.slot_store == 0] = False

    model = O2OModel(small_cfg({"campaign.push_coupon.enabled": False}))
    model.add_lever(Closed(None, 0))
    for _ in range(5):
        model.step()
    visits_store0 = sum(int(r["visits"][0]) for r in model.recorder.store_rows)
    assert visits_store0 == 0
    assert sum(int(r["visits"].sum()) for r in model.recorder.store_rows) > 0


def test_after_visits_hook_sees_the_days_outcome(small_cfg):
    seen = []

    class Watch(Lever):
        name = "watch"
        touches = frozenset({"after_visits"})

        def after_visits(self, model, day, outcome):
            seen.append((day, outcome.consumer.size, int(outcome.served.sum()), float(outcome.ticket.sum())))

    model = O2OModel(small_cfg({"campaign.push_coupon.enabled": False}))
    model.add_lever(Watch(None, 0))
    for _ in range(3):
        model.step()
    assert [s[0] for s in seen] == [0, 1, 2]
    for (_day, n, served, _), row in zip(seen, model.recorder.rows, strict=True):
        assert n == row["visits"] and served == row["purchases"]


def test_location_feed_reaches_near_consumers_more_than_far_ones(small_cfg):
    everyone = _model(small_cfg, radius_km=8.0).levers[0]
    feed = _model(small_cfg, radius_km=8.0, reach_decay_km=0.5).levers[0]
    model = _model(small_cfg, radius_km=8.0)
    d = everyone.distance_to_target(model)
    near, far = d < 0.5, (d > 1.5) & np.isfinite(d)
    kept = feed.target_store >= 0
    assert (feed.target_store[kept] == everyone.target_store[kept]).all()  # same featured store
    # chance 1 / (1 + (d / 0.5)^2): above 1/2 within 500 m, below 0.1 beyond 1.5 km
    assert kept[near].mean() > 0.5 > 0.1 > kept[far].mean()
