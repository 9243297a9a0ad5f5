"""The brand's money on the dashboard, read from the engine's P&L ledger (:mod:`sim.outputs.ledger`).

Core objects:
    * :data:`ITEMS` - the parts of the brand's profit a class sees, in order, with their names:
      margin on sales, discounts, loyalty points, delivery, commission, the OMO systems'
      running cost, other campaign costs (messages, rewards), and the profit they add up to.
    * :func:`day_items` - one day's items, from the ledger's brand row and cost rows of that day.
    * :class:`BrandMoney` - the items summed day by day for one city (what :class:`~sim.viz.model.Arm`
      keeps), and :func:`difference` - one city's totals minus another's (the brand's
      incremental profit and where it comes from).

The items regroup the ledger's own (docs/OUTPUTS.md section 10) without any new formula::

    margin      = gross_sales - cogs
    delivery    = delivery_cost - delivery_fees + delivery commission
    commission  = commission - delivery commission            (platform coupons and deals)
    running     = lever costs booked by the OMO lever          (its systems' running cost)
    campaign    = campaign_cost - running                      (messages, rewards, perks)
    profit      = margin - discounts - points_cost - delivery - commission - running - campaign
                = contribution

where the delivery commission is ``delivery_commission_rate x delivery_sales`` when the
platform runs deliveries (the ledger's rule, :func:`sim.outputs.ledger.store_pnl`) and 0
when the brand does. Costs are positive numbers; :data:`SIGNS` says which way each moves
the profit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ITEMS", "ITEM_NAMES", "RUNNING_LEVER", "SIGNS", "BrandMoney", "day_items", "difference"]

ITEMS = ("margin", "discounts", "points", "delivery", "commission", "running", "campaign", "profit")
ITEM_NAMES = {"margin": "Margin on sales", "discounts": "Discounts", "points": "Loyalty points",
              "delivery": "Delivery", "commission": "Commission", "running": "OMO running",
              "campaign": "Messages, rewards", "profit": "Profit"}
#: +1 for what adds to the profit, -1 for costs.
SIGNS = {"margin": 1, "discounts": -1, "points": -1, "delivery": -1, "commission": -1, "running": -1,
         "campaign": -1, "profit": 1}
#: The lever whose costs are the running cost of systems rather than of a campaign.
RUNNING_LEVER = "omo"


def day_items(ledger, day: int) -> dict[str, float]:
    """The brand's items of ``day`` (currency), from ``ledger`` (:class:`~sim.outputs.ledger.Ledger`).

    Raises:
        KeyError: when the ledger holds no brand row for ``day``.
    """
    row = next((r for r in reversed(ledger.pnl_rows) if r["day"] == day and r["party"] == "brand"), None)
    if row is None:
        raise KeyError(f"day_items: the ledger has no brand row for day {day}")
    econ = ledger.cfg.economics
    delivery_commission = 0.0 if ledger.brand_runs_delivery else econ.delivery_commission_rate * row[
        "delivery_sales"]
    running = 0.0
    runs = np.array([name == RUNNING_LEVER for name in ledger.lever_names] + [False])
    for days, store, lever, _, amount in reversed(ledger.cost_rows):  # appended day by day
        if days.size and days[0] < day:
            break
        if days.size and days[0] == day:
            running += float(amount[ledger.is_brand[store] & runs[lever]].sum())
    return {"margin": row["gross_sales"] - row["cogs"], "discounts": row["discounts"],
            "points": row["points_cost"],
            "delivery": row["delivery_cost"] - row["delivery_fees"] + delivery_commission,
            "commission": row["commission"] - delivery_commission, "running": running,
            "campaign": row["campaign_cost"] - running, "profit": row["contribution"]}


@dataclass
class BrandMoney:
    """The brand's items of one city, summed over the days recorded so far.

    Attributes:
        totals: item -> currency so far.
        profit_by_day: the profit so far after each day (for the charts).
    """

    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ITEMS, 0.0))
    profit_by_day: list[float] = field(default_factory=list)

    def add(self, items: dict[str, float]) -> None:
        """Add one day's items."""
        for key in ITEMS:
            self.totals[key] += float(items[key])
        self.profit_by_day.append(self.totals["profit"])


def difference(a: BrandMoney, b: BrandMoney) -> dict[str, float]:
    """``b``'s totals minus ``a``'s, item by item (``profit``: the brand's incremental profit in ``b``)."""
    return {key: b.totals[key] - a.totals[key] for key in ITEMS}
