"""Plain sentences a strategist can act on, before any table: a comparison's verdict, a run's story.

Core functions:
    * :func:`run_story` - what one run's campaign reached, redeemed and cost, with currency.
    * :func:`verdict` - from a :class:`~sim.studies.compare.Comparison`: the brand's
extra visits and purchases, what it spent, its incremental profit and return per unit
spent, what the other merchants and the platform gained or lost, and, for threshold
levers, in how many seeds the deal went through. Every figure carries its paired 95%
interval; a change whose interval contains 0 is called "no clear change".
"""

from __future__ import annotations

import numpy as np

from sim.studies.compare import NOT_SIGNIFICANT

__all__ = ["run_story", "verdict"]


def _money(value: float, symbol: str) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.0f}"


def _count(value: float) -> str:
    return f"{value:+,.0f}"


def _interval(row, fmt) -> str:
    return f"95% CI [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"


def _clear(row) -> bool:
    return bool(np.isfinite(row["ci_low"]) and (row["ci_low"] > 0 or row["ci_high"] < 0))


def _change(row, what: str, fmt) -> str:
    if not _clear(row):
        return f"no clear change in {what} ({fmt(row['diff'])}, {_interval(row, fmt)})"
    return f"{fmt(row['diff'])} {what} ({_interval(row, fmt)})"


def run_story(summary: dict, currency: str, symbol: str) -> list[str]:
    """One run in plain sentences: reach, coupons, the brand's traffic, spend and profit.

    A single run has no counterfactual, so the sentences name the attributed return for what
    it is and point at the comparison that gives the incremental one.
    """
    s = summary

    def money(v):
        return _money(float(v), symbol)

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


def _why(note: str, what: str) -> str:
    """A money ratio's n/a note in words (:data:`sim.studies.compare.NOT_SIGNIFICANT`: its denominator)."""
    if note == NOT_SIGNIFICANT:
        return f"n/a (the difference in {what} is not significant)"
    return note


def verdict(comp) -> list[str]:
    """The comparison in plain sentences (see module docstring)."""
    table = comp.table().set_index("kpi")
    sym = comp.currency_symbol
    n = int(table["n"].max()) if len(table) else 0

    def money(v):
        return _money(v, sym)

    out = []
    if {"brand_visits", "brand_purchases"} <= set(table.index):
        stores = int(comp.runs_b["brand_stores"].iloc[0]) if "brand_stores" in comp.runs_b else 0
        plural = "" if stores == 1 else "s"
        out.append(f"{comp.label_b} against {comp.label_a}, paired over {n} seeds: the brand ({stores} "
                   f"store{plural}) gets {_change(table.loc['brand_visits'], 'visits', _count)} and "
                   f"{_change(table.loc['brand_purchases'], 'purchases', _count)}.")
    if "brand_spend" in table.index:
        spend = table.loc["brand_spend"]
        out.append(f"It spends {money(spend['diff'])} more ({_interval(spend, money)}) in {comp.currency} "
                   "on discounts, lever costs and loyalty points.")
    if "brand_contribution" in table.index:
        profit = table.loc["brand_contribution"]
        text = f"Its incremental profit is {money(profit['diff'])} ({_interval(profit, money)})"
        if "incremental_roi" in table.index:
            roi = table.loc["incremental_roi"]
            if np.isfinite(roi["diff"]):
                text += (f", {roi['diff']:+.2f} {comp.currency} per {comp.currency} of extra spend "
                         f"({_interval(roi, lambda v: f'{v:+.2f}')})")
            else:
                text += f"; its return per unit spent is {_why(roi['note'], 'spend')}"
        if _clear(profit):
            text += (": the campaign pays for itself." if profit["ci_low"] > 0
                     else ": the campaign loses the brand money.")
        else:
            text += f": whether it pays is not settled by {n} seeds (run more, or read it as break-even)."
        out.append(text)
    if "cac" in table.index:
        cac = table.loc["cac"]
        if np.isfinite(cac["diff"]):
            out.append(f"Each extra brand customer costs {money(cac['diff'])} ({_interval(cac, money)}).")
        else:
            out.append(f"Cost per extra brand customer: {_why(cac['note'], 'customers')}.")
    if {"others_contribution", "platform_contribution"} <= set(table.index):
        others, platform = table.loc["others_contribution"], table.loc["platform_contribution"]
        word = "lose" if others["diff"] < 0 else "gain"
        if _clear(others):
            head = (f"The other merchants {word} {money(abs(others['diff']))} of profit "
                    f"({_interval(others, money)})")
            head += " - the campaign takes customers from them" if others["diff"] < 0 else ""
        else:
            head = f"The other merchants see no clear change in profit ({money(others['diff'])}, " \
                   f"{_interval(others, money)})"
        out.append(f"{head}; the platform's profit changes by {money(platform['diff'])} "
                   f"({_interval(platform, money)}).")
    if "deal_triggered" in comp.runs_b and comp.runs_b["deal_triggered"].notna().any():
        hit = int(np.nansum(comp.runs_b["deal_triggered"].to_numpy(dtype=float)))
        out.append(f"The group-buy deal reached its threshold in {hit} of {len(comp.runs_b)} seeds.")
    return out
