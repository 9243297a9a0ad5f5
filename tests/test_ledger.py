"""The P&L formulas of sim.outputs.ledger against hand-computed numbers (docs/OUTPUTS.md section 10)."""

import numpy as np
import pytest

from sim.config import from_dict
from sim.outputs.ledger import PAYEES, Ledger, points_cost, store_pnl
from sim.rules.codes import BALKED, DELIVERY, IN_STORE, SERVED

# three visits: store 0 sells 100 with a 20 platform coupon in store, store 0 delivers 50,
# store 1's visitor balked
STORE = np.array([0, 0, 1])
OUTCOME = np.array([SERVED, SERVED, BALKED], dtype=np.int8)
CHANNEL = np.array([IN_STORE, DELIVERY, IN_STORE], dtype=np.int8)
TICKET = np.array([100.0, 50.0, 80.0])
DISCOUNT = np.array([20.0, 0.0, 0.0])
PLATFORM = np.array([True, False, False])


def _pnl(brand_runs_delivery=False):
    return store_pnl(STORE, OUTCOME, CHANNEL, TICKET, DISCOUNT, PLATFORM, 2, margin=0.6, commission_rate=0.1,
                     delivery_commission_rate=0.2, delivery_fee=8.0, delivery_cost_per_order=4.7,
                     brand_runs_delivery=brand_runs_delivery)


def test_store_items_by_hand_when_the_platform_delivers():
    p = _pnl()
    assert p["gross_sales"].tolist() == [150.0, 0.0]
    assert p["discounts"].tolist() == [20.0, 0.0]
    assert p["net_sales"].tolist() == [130.0, 0.0]
    assert p["cogs"] == pytest.approx([60.0, 0.0])  # (1 - 0.6) x 150: on the gross ticket
    assert p["platform_sales"].tolist() == [80.0, 0.0] and p["delivery_sales"].tolist() == [50.0, 0.0]
    assert p["commission"] == pytest.approx([0.1 * 80.0 + 0.2 * 50.0, 0.0])  # coupon order + delivery
    assert p["delivery_orders"].tolist() == [1.0, 0.0]
    assert p["delivery_fees"].tolist() == [0.0, 0.0] and p["delivery_cost"].tolist() == [0.0, 0.0]


def test_store_items_by_hand_when_the_brand_delivers():
    p = _pnl(brand_runs_delivery=True)
    assert p["commission"] == pytest.approx([8.0, 0.0])  # its own delivery pays no commission
    assert p["delivery_fees"] == pytest.approx([8.0, 0.0])
    assert p["delivery_cost"] == pytest.approx([4.7, 0.0])


def test_points_cost_by_hand():
    # 100 issued, 30 redeemed, 10 lapsed: 60 still held, 70% of them expected to be redeemed
    assert points_cost(100.0, 30.0, 10.0, 0.3) == pytest.approx(30.0 + 0.7 * 60.0)
    assert points_cost(100.0, 0.0, 0.0, 1.0) == 0.0  # points nobody redeems cost nothing


def _ledger(**economics):
    cfg = from_dict({"stores": {"count": 2, "margin": 0.6}, "economics": economics})
    return Ledger(cfg, np.array([True, False]), ["push_coupon"])


def test_party_rows_by_hand():
    led = _ledger(commission_rate=0.1, delivery_commission_rate=0.2, delivery_cost_per_order=4.7,
                  points_breakage=0.3)
    led.sales(STORE, OUTCOME, CHANNEL, TICKET, DISCOUNT, PLATFORM)
    led.points(np.array([10.0, 0.0]), np.array([4.0, 0.0]), np.array([1.0, 0.0]))
    costs = np.zeros((len(PAYEES), 2))
    costs[PAYEES.index("platform"), 0] = 3.0  # pushes featuring store 0
    costs[PAYEES.index("consumers"), 0] = 2.0  # a reward paid at store 0
    led.close_day(0, [costs])
    rows = led.pnl().set_index("party")
    brand = rows.loc["brand"]
    points = 4.0 + 0.7 * (10.0 - 4.0 - 1.0)
    assert brand["points_cost"] == pytest.approx(points)
    assert brand["campaign_cost"] == pytest.approx(5.0)
    assert brand["contribution"] == pytest.approx(130.0 - 60.0 - 18.0 - points - 5.0)
    assert rows.loc["others", "contribution"] == 0.0
    platform = rows.loc["platform"]
    fee, rider = from_dict({}).campaign.omo.delivery_fee, 4.7
    assert platform["commission"] == pytest.approx(18.0) and platform["platform_fees"] == pytest.approx(3.0)
    assert platform["contribution"] == pytest.approx(18.0 + 3.0 + fee - rider)
    c = led.costs()
    assert sorted(zip(c["payee"], c["amount"], strict=True)) == [("consumers", 2.0), ("platform", 3.0)]
    assert set(c["lever"]) == {"push_coupon"} and set(c["store_id"]) == {0}


def test_a_discount_is_charged_once():
    """Two sales, one with a 20 discount: the profits differ by exactly 20, not 20 x (1 + margin)."""
    one, two = _ledger(), _ledger()
    args = (np.array([0]), np.array([SERVED], dtype=np.int8), np.array([IN_STORE], dtype=np.int8),
            np.array([100.0]))
    one.sales(*args, np.array([0.0]), np.array([False]))
    two.sales(*args, np.array([20.0]), np.array([False]))
    a = one.close_day(0, [])["contribution"][0]
    b = two.close_day(0, [])["contribution"][0]
    assert a - b == pytest.approx(20.0)
    assert a == pytest.approx(0.6 * 100.0)  # margin x gross


def test_totals_sum_the_days():
    led = _ledger()
    for day in range(3):
        led.sales(STORE, OUTCOME, CHANNEL, TICKET, DISCOUNT, PLATFORM)
        led.close_day(day, [])
    totals = led.totals()
    assert totals["brand_gross_sales"] == pytest.approx(3 * 150.0)
    assert totals["platform_commission"] == pytest.approx(3 * 18.0)
    assert "platform_cogs" not in totals and "others_platform_fees" not in totals


def test_a_runs_costs_add_up_per_store_lever_and_party(small_cfg):
    from sim.engine.runner import run

    res = run(small_cfg({"campaign.reverse_o2o.enabled": True, "campaign.ugc_reward.enabled": True,
                         "campaign.push_coupon.start_day": 0}))
    s, costs, pnl = res.summary, res.costs, res.pnl
    assert set(costs["lever"]) == {"push_coupon", "reverse_o2o", "ugc_reward"}
    assert set(costs["payee"]) == {"platform", "consumers"}
    assert costs["amount"].sum() == pytest.approx(res.daily["campaign_cost"].sum())
    assert set(costs["store_id"]) <= set(res.store_info.loc[res.store_info["brand"], "store_id"])
    brand = pnl[pnl["party"] == "brand"]
    assert brand["campaign_cost"].sum() == pytest.approx(costs["amount"].sum())
    by_store = res.stores.groupby("store_id")["campaign_cost"].sum()
    assert by_store.sum() == pytest.approx(costs["amount"].sum())
    # every party's contribution follows its formula, from the run's totals
    m = res.config.stores.margin
    assert s["brand_contribution"] == pytest.approx(
        m * s["brand_gross_sales"] - s["brand_discounts"] - s["brand_commission"] - s["brand_points_cost"]
        - s["brand_campaign_cost"] + s["brand_delivery_fees"] - s["brand_delivery_cost"])
    assert s["platform_contribution"] == pytest.approx(
        s["platform_commission"] + costs.loc[costs["payee"] == "platform", "amount"].sum())
    assert s["brand_spend"] == pytest.approx(s["campaign_spend"])  # every lever is the brand's
    assert s["brand_gross_sales"] + s["others_gross_sales"] == pytest.approx(
        res.daily["revenue"].sum() + res.daily["discount_cost"].sum())
