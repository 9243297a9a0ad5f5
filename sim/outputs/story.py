"""One run in plain sentences, before any table: what its campaign reached, redeemed and cost.

Core functions:
    * :func:`run_story` - the run's reach, coupons, the brand's traffic, spend and profit, with
      its currency (printed at the end of a run, and the top of its ``report.html``).
    * :func:`format_money` - an amount with its currency symbol, rounded to whole units
      (also the comparison's verdict's, :mod:`sim.studies.verdict`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["format_money", "run_story"]


def format_money(value: float, symbol: str) -> str:
    """``value`` rounded to whole units, thousands separated, after ``symbol``: ``-¥1,234``.

    Args:
        value: the amount.
        symbol: the currency symbol.
    """
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.0f}"


def run_story(summary: dict, currency: str, symbol: str) -> list[str]:
    """One run in plain sentences: reach, coupons, the brand's traffic, spend and profit.

    A single run has no counterfactual, so the sentences name the attributed return for what
    it is and point at the comparison that gives the incremental one.

    Args:
        summary: the run's summary (:attr:`sim.outputs.results.Results.summary`).
        currency: the currency's name (e.g. ``CNY``).
        symbol: its symbol (e.g. ``¥``).

    Returns:
        The sentences, in order.
    """
    s = summary

    def money(v):
        return format_money(float(v), symbol)

    out = []
    scenario = s.get("scenario", "the scenario")
    if s.get("campaign_spend", 0) > 0 or s.get("exposed_consumers", 0) > 0:
        issued, redeemed = int(s.get("coupons_issued", 0)), int(s.get("redemptions", 0))
        rate = f" ({redeemed / issued:.0%} of those claimed)" if issued else ""
        out.append(f"The campaign ({scenario}) messaged {int(s.get('exposed_consumers', 0)):,} consumers; "
                   f"{issued:,} coupons were claimed and {redeemed:,} redeemed{rate}.")
    else:
        out.append(f"No lever acted in this run ({scenario}): the organic loop alone.")
    stores = int(s.get("brand_stores", 0))
    plural = "" if stores == 1 else "s"
    out.append(f"The brand ({stores} store{plural}) had {int(s.get('brand_visits', 0)):,} "
               f"visits and {int(s.get('brand_purchases', 0)):,} purchases from "
               f"{int(s.get('brand_customers', 0)):,} customers over {int(s.get('days', 0))} days.")
    out.append(f"It spent {money(s.get('brand_spend', 0))} on the campaign (discounts "
               f"{money(s.get('brand_discounts', 0))}, lever costs {money(s.get('brand_campaign_cost', 0))}, "
               f"points {money(s.get('brand_points_cost', 0))}) and made a contribution profit of "
               f"{money(s.get('brand_contribution', 0))}; money in {currency}.")
    roi = s.get("attributed_roi")
    if roi is not None and np.isfinite(roi):
        out.append(f"Crediting every coupon sale to the campaign, it returned {roi:+.2f} {currency} per "
                   f"{currency} spent; how much it really added needs a baseline: "
                   f"o2o-compare baseline:{scenario.split('+')[0]} {scenario.split('+')[0]}.")
    return out
