"""Plain sentences a strategist can act on, before any table: a comparison's verdict.

Core function: :func:`verdict` - from a :class:`~sim.studies.compare.Comparison`: the brand's
extra visits and purchases, what it spent, its incremental profit and return per unit
spent, what the other merchants and the platform gained or lost, and, for threshold
levers, in how many seeds the deal went through. Every figure carries its paired 95%
interval; a change whose interval contains 0 is called "no clear change".

One run's story (:func:`sim.outputs.story.run_story`, re-exported here) is told by
:mod:`sim.outputs.story`. :data:`NOT_SIGNIFICANT` is the note a money ratio of a comparison
carries when its denominator's change is not significant
(:func:`sim.studies.compare.ratio_of_means`).
"""

from __future__ import annotations

import numpy as np

from sim.outputs.story import format_money
from sim.outputs.story import run_story as run_story  # re-exported: one run's story

__all__ = ["NOT_SIGNIFICANT", "run_story", "verdict"]

#: A money ratio's note when the difference in its denominator is not significant.
NOT_SIGNIFICANT = "n/a (difference not significant)"


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


def _why(note: str, what: str) -> str:
    """A money ratio's n/a note in words (:data:`NOT_SIGNIFICANT`: its denominator)."""
    if note == NOT_SIGNIFICANT:
        return f"n/a (the difference in {what} is not significant)"
    return note


def verdict(comp) -> list[str]:
    """The comparison in plain sentences (see module docstring)."""
    table = comp.table().set_index("kpi")
    sym = comp.currency_symbol
    n = int(table["n"].max()) if len(table) else 0

    def money(v):
        return format_money(v, sym)

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
