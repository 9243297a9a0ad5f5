import numpy as np
import pytest

from sim.viz.model import DashboardModel
from sim.viz.money import ITEMS, SIGNS, BrandMoney, day_items, difference


@pytest.fixture(scope="module")
def omo_run():
    model = DashboardModel(consumers=1000, stores=12)
    for _ in range(8):
        model.advance()
    return model


def test_the_items_add_up_to_the_ledgers_contribution_every_day(omo_run):
    for arm in omo_run.arms:
        ledger = arm.tap.ledger
        brand = [r for r in ledger.pnl_rows if r["party"] == "brand"]
        for row in brand:
            items = day_items(ledger, row["day"])
            parts = sum(SIGNS[k] * items[k] for k in ITEMS[:-1])
            assert parts == pytest.approx(row["contribution"], abs=1e-6)
            assert items["profit"] == row["contribution"]
        assert arm.money.totals["profit"] == pytest.approx(sum(r["contribution"] for r in brand))


def test_running_cost_is_the_omo_levers_and_commission_is_split_by_the_ledgers_rule(omo_run):
    o2o, omo = omo_run.arms
    cfg = omo.model.cfg
    days = omo_run.day
    assert o2o.money.totals["running"] == 0
    expected = cfg.campaign.omo.fixed_cost_per_store_day * len(omo.model.brand_stores) * days
    assert omo.money.totals["running"] == pytest.approx(expected)
    pnl = omo.tap.ledger.pnl()
    brand = pnl[pnl.party == "brand"]
    delivery_commission = cfg.economics.delivery_commission_rate * brand.delivery_sales.sum()
    assert omo.money.totals["delivery"] == pytest.approx(
        brand.delivery_cost.sum() - brand.delivery_fees.sum() + delivery_commission)
    assert omo.money.totals["commission"] + omo.money.totals["delivery"] == pytest.approx(
        brand.commission.sum() + brand.delivery_cost.sum() - brand.delivery_fees.sum())
    assert omo.money.totals["delivery"] > 0  # the OMO city delivers


def test_difference_is_b_minus_a_item_by_item(omo_run):
    o2o, omo = omo_run.arms
    delta = difference(o2o.money, omo.money)
    for key in ITEMS:
        assert delta[key] == pytest.approx(omo.money.totals[key] - o2o.money.totals[key])
    assert delta["profit"] == pytest.approx(np.subtract(omo.money.profit_by_day, o2o.money.profit_by_day)[-1])


def test_brand_money_keeps_the_profit_day_by_day():
    money = BrandMoney()
    money.add(dict.fromkeys(ITEMS, 1.0))
    money.add({**dict.fromkeys(ITEMS, 2.0), "profit": -5.0})
    assert money.totals["margin"] == 3.0 and money.profit_by_day == [1.0, -4.0]


def test_a_day_the_ledger_has_not_closed_is_refused(omo_run):
    with pytest.raises(KeyError, match="no brand row for day 99"):
        day_items(omo_run.arms[0].tap.ledger, 99)
