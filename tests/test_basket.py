"""sim.rules.basket: baskets topped up to a coupon's minimum spend, and the ledger's money with them."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engine.model import O2OModel
from sim.engine.plan import Phase
from sim.outputs.results import Results
from sim.rules import basket, behavior
from sim.rules.codes import SERVED

MIN_SPEND, AMOUNT_OFF = 120.0, 30.0
THRESHOLD = ["campaign.push_coupon.coupon_kind=amount", f"campaign.push_coupon.amount_off={AMOUNT_OFF}",
             f"campaign.push_coupon.min_spend={MIN_SPEND}"]


def test_the_chance_falls_with_the_gap_and_stops_at_the_window():
    saving = np.full(6, 30.0)
    gap = np.array([0.0, 1e-9, 15.0, 30.0, 59.0, 61.0])
    p = basket.topup_chance(gap, saving, rate=0.5, gap_multiple=2.0)
    np.testing.assert_allclose(p[1:5], 0.5 * (1 - gap[1:5] / 60.0))
    assert p[0] == 0.0 and p[5] == 0.0  # no gap: nothing to top up; beyond twice the saving: no
    assert (np.diff(p[1:5]) < 0).all()
    assert basket.topup_chance(np.array([10.0]), np.array([0.0]), 0.5, 2.0)[0] == 0.0  # saves nothing
    deal = basket.topup_chance(np.array([15.0, 15.0]), np.array([30.0, 30.0]), 0.5, 2.0,
                               deal_weight=np.array([1.0, 1.6]))
    assert deal[1] == pytest.approx(1.6 * deal[0])
    assert basket.topup_chance(np.array([1.0]), np.array([30.0]), 0.9, 2.0, deal_weight=3.0)[0] == 1.0


def test_top_ups_finds_the_purchases_a_little_below_a_valid_threshold():
    cfg = sim.load_config(["population.size=200", "stores.count=10", "days=5", "warmup_days=0",
                           "population.segments=[]"])
    pop = O2OModel(cfg).population
    k = pop.slots
    # consumers 0-5 hold, in slot 0, a coupon: 30 off at 120 (percent 0.2 capped at 30 for consumer 5)
    rows = np.arange(6)
    pop.slot_coupon[rows, 0] = AMOUNT_OFF
    pop.slot_coupon_min[rows, 0] = MIN_SPEND
    pop.slot_coupon_expiry[rows, 0] = 3
    pop.slot_coupon_rate[5, 0] = 0.2
    pop.slot_coupon_expiry[4, 0] = 1  # lapsed by day 2
    at = rows * k
    ticket = np.array([100.0, 130.0, 50.0, 100.0, 100.0, 100.0])
    served = np.array([True, True, True, False, True, True])
    got, chance, threshold = basket.top_ups(pop, at, rows, ticket, served, 2, rate=0.5, gap_multiple=2.0)
    # 1 already reaches it, 2 is 70 short (beyond 2 x 30), 3 did not buy, 4's coupon lapsed
    np.testing.assert_array_equal(got, [0, 5])
    np.testing.assert_allclose(threshold, MIN_SPEND)
    saving_5 = min(0.2 * MIN_SPEND, AMOUNT_OFF)  # 24: a percent coupon's money at the threshold
    np.testing.assert_allclose(chance, [0.5 * (1 - 20 / 60), 0.5 * (1 - 20 / (2 * saving_5))])


@pytest.fixture(scope="module")
def threshold_days():
    """A run with a spend-120-save-30 push, every trip of every recorded day captured after purchases."""
    cfg = sim.load_config(THRESHOLD + ["population.size=3000", "days=21", "warmup_days=10", "seed=0"])
    model = O2OModel(cfg)
    days = []

    def capture(model, s):
        """Keep the day's trips, tickets and coupons."""
        price = model.store_table.price[s.visits.store]
        days.append({"day": s.day, "store": s.visits.store.copy(), "outcome": s.outcome.copy(),
                     "ticket": s.ticket.copy(), "drawn": behavior.ticket(price, s.z_ticket),
                     "topup": s.topup.copy(), "redeem": s.redeem.copy(), "discount": s.discount.copy()})

    plan = model.campaign_plan
    plan.phases.insert(plan.names.index("purchases") + 1, Phase("capture", "4. After", capture))
    while model.running:
        model.step()
    return model, Results.from_model(model), days


def test_topped_up_baskets_reach_the_threshold_and_redeem(threshold_days):
    model, res, days = threshold_days
    topped = np.concatenate([d["topup"] for d in days])
    assert topped.sum() >= 3, "the run should see a few top-ups"
    ticket, drawn = (np.concatenate([d[k] for d in days]) for k in ("ticket", "drawn"))
    redeem, discount = (np.concatenate([d[k] for d in days]) for k in ("redeem", "discount"))
    np.testing.assert_allclose(ticket[topped], MIN_SPEND)
    assert (drawn[topped] < MIN_SPEND).all() and (drawn[topped] >= MIN_SPEND - 2 * AMOUNT_OFF).all()
    assert redeem[topped].all()  # the cap (none here) aside, every top-up redeems
    np.testing.assert_allclose(discount[topped], AMOUNT_OFF)
    np.testing.assert_array_equal(ticket[~topped], drawn[~topped])  # nobody else's ticket changed
    assert res.summary["topups"] == topped.sum()
    assert res.summary["topup_spend"] == pytest.approx((MIN_SPEND - drawn[topped]).sum())


def test_the_ledger_books_the_topped_up_tickets(threshold_days):
    """Per day: gross sales are the served tickets (top-ups included), net sales gross less discounts."""
    model, res, days = threshold_days
    margin = model.cfg.stores.margin
    stores = res.stores
    for d in days:
        served = d["outcome"] == SERVED
        gross = np.bincount(d["store"][served], d["ticket"][served], minlength=model.store_table.count)
        off = np.bincount(d["store"][served], d["discount"][served], minlength=model.store_table.count)
        row = stores[stores.day == d["day"]].sort_values("store_id")
        np.testing.assert_allclose(row.gross_sales, gross, rtol=1e-12)
        np.testing.assert_allclose(row.discounts, off, rtol=1e-12)
        np.testing.assert_allclose(row.net_sales, gross - off, rtol=1e-12)
        np.testing.assert_allclose(row.cogs, (1 - margin) * gross, rtol=1e-12)
        np.testing.assert_allclose(row.revenue, gross - off, rtol=1e-9)
        daily = res.daily.set_index("day").loc[d["day"]]
        assert daily.revenue == pytest.approx((gross - off).sum())
        assert daily.discount_cost == pytest.approx(off.sum())
        topped = d["topup"]
        assert daily.topups == topped.sum()
        assert daily.topup_spend == pytest.approx((d["ticket"][topped] - d["drawn"][topped]).sum())
    pnl = res.pnl.groupby("party").sum(numeric_only=True)
    merchants = pnl.loc[["brand", "others"]].sum()
    assert merchants.gross_sales == pytest.approx(stores.gross_sales.sum())
    assert merchants.net_sales == pytest.approx(res.summary["revenue"])
    assert res.summary["redeemed_gross_revenue"] == pytest.approx(
        sum(d["ticket"][d["redeem"]].sum() for d in days))


def test_minimum_spend_coupons_make_people_spend_more():
    """Paired on seeds: with top-ups, more purchases redeem and redeeming baskets are bigger."""
    gain = []
    for seed in range(3):
        base = THRESHOLD + ["population.size=3000", "days=21", "warmup_days=10", f"seed={seed}"]
        off = sim.run(sim.load_config(base + ["behavior.topup_rate=0"])).summary
        on = sim.run(sim.load_config(base)).summary
        assert off["topups"] == 0 < on["topups"]
        assert on["redemptions"] >= off["redemptions"]
        gain.append(on["topup_spend"])
    assert min(gain) > 0
