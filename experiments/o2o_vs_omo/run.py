"""O2O vs OMO: does merging channels change the loop, and which OMO features pay (docs/DOMAIN.md 4)?

Runs the scenarios ``o2o_reference`` (push coupons + in-store QR joins, channels
separate) and ``omo_full`` (the same plus the OMO package at the brand's stores:
unified points, integrated inventory, pick-up, delivery and personalised targeting)
on the same seeds and the same city (common random numbers, paired as in
:func:`sim.studies.compare.compare`). With ``--features`` (the default) it also decomposes the
package feature by feature, with ten more arms:

* *added alone*: ``o2o_reference`` plus the OMO lever with only that feature on (the
  lever's running cost ``fixed_cost_per_store_day`` is paid whenever the lever is on);
* *removed*: ``omo_full`` with only that feature off.

Every configuration runs once per seed and every arm is compared with ``o2o_reference``
on the same seeds (a :class:`sim.studies.compare.Comparison`); a feature's share inside the
package is ``omo_full`` against ``omo_full`` without it. The commission rates and who
runs deliveries are pure accounting (no consumer sees them), so the brand's
incremental profit under other terms is recomputed from the run totals
(:func:`recompute_money`) without re-running.

Writes into ``--out``:

* ``comparison.md``, ``comparison.parquet``, ``runs_a.parquet``, ``runs_b.parquet``,
  ``uplift.png``, ``loop.png`` - the standard paired report of OMO against O2O
  (:func:`sim.studies.report.write_comparison`);
* ``funnel_side_by_side.png`` - intents, visits and purchases of both arms (mean
  over seeds) and purchases by channel (one seed of each arm, from the daily data);
* with ``--features``: ``features.parquet`` (one row per contrast: the brand's changes,
  incremental profit and ROI with 95% CIs, the other parties' profit, the verdict),
  ``features_sensitivity.parquet`` (the incremental profit of each contrast under each
  commission / delivery term of the grid), ``features_breakeven.parquet`` (break-even
  terms), ``features_runs.parquet`` (every run's summary with its arm) and
  ``feature_profit.png``;
* ``RESULTS.md`` - question, setup, exact command, KPI table, an interpretation and the
  section "Which OMO features pay", generated from the numbers (nothing in it is hard-coded).

Usage (from the repository root)::

    .venv/bin/python experiments/o2o_vs_omo/run.py [--reps N] [--days D] [--consumers N]
        [--jobs J] [--out DIR] [--first-seed S] [--features | --no-features]
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(REPO))

import sim  # noqa: E402
from sim.config import validate  # noqa: E402
from sim.outputs.files import atomic_write  # noqa: E402
from sim.studies.compare import Comparison, config_differences  # noqa: E402
from sim.studies.report import write_comparison  # noqa: E402

__all__ = ["FEATURES", "KPI_CANDIDATES", "Contrast", "accounting_grid", "contrasts", "default_terms",
           "delta", "feature_arms", "main", "recompute_money", "run_study"]

SCENARIO_A, SCENARIO_B = "o2o_reference", "omo_full"
LABEL_A, LABEL_B = "O2O", "OMO"
DEFAULT_OUT = REPO / "outputs" / "o2o_vs_omo"  # the documented figures: --out docs/o2o_vs_omo

#: KPIs the study reports, in this order, if the run summaries have them.
KPI_CANDIDATES = (
    "brand_visits", "brand_purchases", "brand_customers", "brand_spend", "brand_contribution",
    "others_contribution", "platform_contribution",
    "intents", "visits", "purchases", "purchases_in_store", "unique_customers", "repeat_rate", "revenue",
    "mean_wait_min", "balk_rate", "final_mean_rating", "members", "qr_joins", "share_beyond_walk",
    "mean_trip_km", "share_pickup", "share_delivery", "loop_gain", "omo_avoided_trips",
    "omo_pooled_deliveries", "omo_points", "dropoff_operational", "dropoff_psychological", "clv_per_member",
)
#: Counters a lever adds to the summary only when it runs: 0 in an arm without that lever.
ZERO_WHEN_LEVER_OFF = ("qr_joins", "omo_avoided_trips", "omo_pooled_deliveries", "omo_points")
CHANNEL_COLUMNS = ("purchases_in_store", "purchases_pickup", "purchases_delivery")
#: Units kpi_unit does not know (money KPIs outside its list, shares, distances).
_UNITS = {"omo_points": "{cur}", "clv_per_member": "{cur}", "share_beyond_walk": "share",
          "share_pickup": "share", "share_delivery": "share", "mean_trip_km": "km", "loop_gain": "ratio",
          "repeat_rate": "share"}

#: The OMO package's features (booleans of ``cfg.campaign.omo``), in report order.
FEATURES = ("unified_points", "integrated_inventory", "pickup", "delivery", "personalised_targeting")
FEATURE_NAMES = {"unified_points": "unified points", "integrated_inventory": "integrated inventory",
                 "pickup": "pick-up", "delivery": "delivery",
                 "personalised_targeting": "personalised targeting"}
REF, FULL = "o2o", "omo_full"  # arm keys of the two scenarios
#: KPIs of every feature contrast (the money ratios come with them).
FEATURE_KPIS = ("brand_visits", "brand_purchases", "brand_customers", "brand_spend", "brand_contribution",
                "others_contribution", "platform_contribution", "brand_delivery_orders",
                "brand_delivery_sales", "brand_platform_sales")
GROUPS = ("package", "added alone", "removed", "inside the package")
#: Accounting grid: delivery commission with the platform delivering, rider cost with the brand delivering.
RATE_GRID = (0.0, 0.1, 0.2, 0.3)
RIDER_GRID = (0.0, 4.7, 10.0)
RIDER_SEARCH_MAX = 50.0  # break-even rider costs are searched in [0, this] (currency per order)
VERDICT_COLORS = {"pays": "#2a9d55", "loses": "#c44e52", "not settled": "#8c8c8c"}
SHORT = {"pays": "pays", "loses": "loses", "not settled": "open"}


class _StudyComparison(Comparison):
    """A :class:`Comparison` whose default KPI list is the study's (for ``write_comparison``)."""

    kpis: tuple[str, ...] = ()

    def table(self, kpis=None) -> pd.DataFrame:  # noqa: D102
        table = super().table(tuple(kpis) if kpis else self.kpis)
        units = zip(table["kpi"], table["unit"], strict=True)
        table["unit"] = [_UNITS.get(k, u).format(cur=self.currency) for k, u in units]
        return table


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=10, help="replications (seeds) per arm, >= 2")
    p.add_argument("--days", type=int, default=60, help="recorded days per run")
    p.add_argument("--consumers", type=int, default=None, help="population size (default: the scenario's)")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help="output folder (default outputs/o2o_vs_omo; docs/o2o_vs_omo: the documented run)")
    p.add_argument("--first-seed", type=int, default=0, help="first seed")
    p.add_argument("--features", action=argparse.BooleanOptionalAction, default=True,
                   help="also decompose the OMO package feature by feature (10 more arms; default on)")
    return p


# ----------------------------------------------------------------------------- helpers
def _num(v: float, pct: bool = False) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    if v == 0 and not pct:
        return "0"
    if pct:
        return f"{100 * v:+.1f}%"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.2f}"
    return f"{v:.3f}"


def _signed(v: float) -> str:
    """A signed amount: '+12,345', '-0.52', 'n/a'."""
    if v is None or not np.isfinite(v):
        return "n/a"
    return ("+" if v > 0 else "") + _num(v)


def _ci(lo: float, hi: float) -> str:
    return f"[{_signed(lo)}, {_signed(hi)}]"


def _row(table: pd.DataFrame, kpi: str):
    r = table[table["kpi"] == kpi]
    return None if r.empty else r.iloc[0]


def _verdict(r) -> str:
    """'higher' / 'lower' if the 95% CI excludes 0, else 'indistinguishable'."""
    if r is None or not (np.isfinite(r.ci_low) and np.isfinite(r.ci_high)):
        return "unknown"
    if r.ci_low > 0:
        return "higher"
    if r.ci_high < 0:
        return "lower"
    return "indistinguishable"


def _pays(lo: float, hi: float) -> str:
    """The verdict on an incremental profit: 'pays' (CI > 0), 'loses' (CI < 0) or 'not settled'."""
    if np.isfinite(lo) and lo > 0:
        return "pays"
    if np.isfinite(hi) and hi < 0:
        return "loses"
    return "not settled"


def _effect(r, unit: str = "", pp: bool = False) -> str:
    """'+12.3%, 10.0 -> 11.2; 95% CI of the difference [a, b]' (pp: in percentage points)."""
    if r is None:
        return "n/a"
    if pp:
        return (f"{100 * r['diff']:+.1f} pp, {100 * r.mean_a:.1f}% -> {100 * r.mean_b:.1f}%; 95% CI of the "
                f"difference [{100 * r.ci_low:+.1f}, {100 * r.ci_high:+.1f}] pp")
    rel = f"{_num(r.rel_diff, pct=True)}, " if np.isfinite(r.rel_diff) else ""
    return (f"{rel}{_num(r.mean_a)} -> {_num(r.mean_b)}{unit}; 95% CI of the difference "
            f"[{_num(r.ci_low)}, {_num(r.ci_high)}]")


def _says(r, noun: str, unit: str = "", pp: bool = False, plural: bool = False) -> str:
    """'<noun> rises (effect)' / 'falls' / 'does not change detectably', from whether the CI excludes 0."""
    v = _verdict(r)
    verb = {"higher": "rise" if plural else "rises", "lower": "fall" if plural else "falls"}.get(
        v, "do not change detectably" if plural else "does not change detectably")
    return f"{noun} {verb} ({_effect(r, unit=unit, pp=pp)})"


def _mean_ci(d) -> tuple[float, float, float]:
    """Mean of paired differences and its 95% t-interval (as :func:`sim.studies.compare.paired_table`)."""
    d = np.asarray(d, dtype=float)
    n = d.size
    m = float(d.mean())
    half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
    return m, m - half, m + half


def _prepare_runs(runs_a: pd.DataFrame, runs_b: pd.DataFrame
                  ) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...], list[str]]:
    """Fill lever counters absent from one arm with 0; the available KPI list and the missing keys."""
    a, b = runs_a.copy(), runs_b.copy()
    for key in ZERO_WHEN_LEVER_OFF:
        if key in a.columns and key not in b.columns:
            b[key] = 0
        if key in b.columns and key not in a.columns:
            a[key] = 0
    for f in (a, b):  # in-store purchases per run, exact from the channel shares
        if {"purchases", "share_pickup", "share_delivery"} <= set(f.columns):
            f["purchases_in_store"] = (f["purchases"] * (1 - f["share_pickup"].fillna(0)
                                                         - f["share_delivery"].fillna(0))).round()
    kpis = tuple(k for k in KPI_CANDIDATES if k in a.columns and k in b.columns)
    missing = [k for k in KPI_CANDIDATES if k not in kpis and k != "purchases_in_store"]
    return a, b, kpis, missing


# ----------------------------------------------------------------------------- arms and runs
class Contrast(NamedTuple):
    """One paired comparison of the feature study: arm ``arm_b`` against arm ``arm_a`` on the same seeds."""

    key: str
    group: str
    feature: str
    label: str
    arm_b: str
    arm_a: str


def feature_arms(cfg_a, cfg_b) -> dict:
    """The study's configurations by arm key: O2O, full OMO, each feature added alone, each removed.

    Raises:
        ValueError: if the two scenarios are not the same world with O2O's campaign plus the
            OMO lever with every feature on (the decomposition would then mix other changes in).
    """
    omo_a, omo_b = cfg_a.campaign.omo, cfg_b.campaign.omo
    diffs = config_differences(cfg_a, cfg_b)
    same_campaign = dataclasses.replace(cfg_a.campaign, name=cfg_b.campaign.name, omo=omo_b) == cfg_b.campaign
    if diffs or not same_campaign or omo_a.enabled or not omo_b.enabled \
            or not all(getattr(omo_b, f) for f in FEATURES):
        raise ValueError(f"{SCENARIO_B} must be {SCENARIO_A} plus the OMO lever with every feature on "
                         f"(differences outside the campaign: {diffs})")
    arms = {REF: cfg_a, FULL: cfg_b}
    for f in FEATURES:
        omo = dataclasses.replace(omo_a, enabled=True, **{g: g == f for g in FEATURES})
        arms[f"alone:{f}"] = dataclasses.replace(cfg_a, scenario=f"{SCENARIO_A}+omo[{f}]",
                                                 campaign=dataclasses.replace(cfg_a.campaign, omo=omo))
    for f in FEATURES:
        omo = dataclasses.replace(omo_b, **{f: False})
        arms[f"without:{f}"] = dataclasses.replace(cfg_b, scenario=f"{SCENARIO_B}-{f}",
                                                   campaign=dataclasses.replace(cfg_b.campaign, omo=omo))
    return arms


def contrasts() -> list[Contrast]:
    """Every contrast of the feature study, in report order (:data:`GROUPS`)."""
    out = [Contrast("full", "package", "", f"{LABEL_B}: all five features", FULL, REF)]
    out += [Contrast(f"alone:{f}", "added alone", f, f"{LABEL_A} + {FEATURE_NAMES[f]}", f"alone:{f}", REF)
            for f in FEATURES]
    out += [Contrast(f"without:{f}", "removed", f, f"{LABEL_B} without {FEATURE_NAMES[f]}", f"without:{f}",
                     REF) for f in FEATURES]
    out += [Contrast(f"inside:{f}", "inside the package", f, f"{FEATURE_NAMES[f]} inside {LABEL_B}", FULL,
                     f"without:{f}") for f in FEATURES]
    return out


def _arm_label(key: str) -> str:
    if key == REF:
        return LABEL_A
    if key == FULL:
        return LABEL_B
    kind, f = key.split(":")
    return f"{LABEL_A} + {FEATURE_NAMES[f]}" if kind == "alone" else f"{LABEL_B} without {FEATURE_NAMES[f]}"


def _run_one(job):
    """One run: its summary, and its daily frame when asked (module level, so it can be sent to workers)."""
    cfg, seed, keep_daily = job
    res = sim.run(dataclasses.replace(cfg, seed=seed))
    return res.summary, (res.daily if keep_daily else None)


def run_arms(arms: dict, seeds: list[int], jobs: int, daily_of: tuple[str, ...] = ()
             ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Run every arm on every seed (common random numbers: seed s is the same city and draws in all arms).

    Args:
        arms: configurations by arm key.
        seeds: the seeds.
        jobs: parallel processes (joblib); 1 runs in this process.
        daily_of: arms whose daily frame of the first seed is kept.

    Returns:
        Per arm, one summary row per seed; and the kept daily frames by arm.
    """
    for cfg in arms.values():
        validate(cfg)
    work = [(key, (cfg, s, key in daily_of and s == seeds[0])) for key, cfg in arms.items() for s in seeds]
    if jobs == 1:
        done = [_run_one(job) for _, job in work]
    else:
        from joblib import Parallel, delayed

        done = Parallel(n_jobs=jobs)(delayed(_run_one)(job) for _, job in work)
    runs = {key: pd.DataFrame([summary for (k, _), (summary, _) in zip(work, done, strict=True) if k == key])
            for key in arms}
    daily = {k: d for (k, _), (_, d) in zip(work, done, strict=True) if d is not None}
    return runs, daily


# ----------------------------------------------------------------------------- accounting
def default_terms(cfg) -> dict:
    """The accounting terms of a configuration (the keyword arguments of :func:`recompute_money`)."""
    e = cfg.economics
    return {"commission_rate": e.commission_rate, "delivery_commission_rate": e.delivery_commission_rate,
            "delivery_operator": e.delivery_operator, "delivery_cost_per_order": e.delivery_cost_per_order,
            "delivery_fee": cfg.campaign.omo.delivery_fee}


def recompute_money(runs: pd.DataFrame, *, commission_rate: float, delivery_commission_rate: float,
                    delivery_operator: str, delivery_cost_per_order: float,
                    delivery_fee: float) -> pd.DataFrame:
    """Each party's contribution profit per run under other commission and delivery terms.

    Commission and who runs deliveries change who is paid, not what anyone does, so the
    runs' totals give the profit under any terms (the rule of :mod:`sim.outputs.ledger`). For a
    merchant party ``p`` the part that does not depend on the terms is
    ``contribution + commission - delivery_fees + delivery_cost``; then::

        commission    = commission_rate x platform_sales
                        + delivery_commission_rate x delivery_sales   (platform delivers)
        delivery_fees = delivery_fee x delivery_orders                (brand delivers; else 0)
        delivery_cost = delivery_cost_per_order x delivery_orders     (brand delivers; else 0)

    and the platform earns the commissions, its lever fees, and ``(delivery_fee -
    delivery_cost_per_order) x delivery_orders`` when it delivers. ``delivery_fee`` is what
    the consumer pays (a behaviour parameter: keep the runs' value).

    Args:
        runs: run summaries (``{brand,others}_{contribution,commission,platform_sales,
            delivery_sales,delivery_orders,delivery_fees,delivery_cost}`` and
            ``platform_platform_fees``).
        commission_rate: share of the amount paid on platform-coupon orders.
        delivery_commission_rate: share of the amount paid on delivery orders (platform delivers).
        delivery_operator: ``"platform"`` or ``"brand"``.
        delivery_cost_per_order: rider cost of one delivery.
        delivery_fee: the consumer's delivery fee.

    Returns:
        ``seed``, ``brand_contribution``, ``others_contribution``, ``platform_contribution`` per run.
    """
    if delivery_operator not in ("platform", "brand"):
        raise ValueError(f"delivery_operator={delivery_operator!r}; allowed: 'platform', 'brand'")
    own = delivery_operator == "brand"
    out = pd.DataFrame({"seed": runs["seed"].to_numpy()})
    commissions = np.zeros(len(runs))
    orders = np.zeros(len(runs))
    for party in ("brand", "others"):
        def g(item, party=party):
            return runs[f"{party}_{item}"].astype(float).to_numpy()

        fixed = g("contribution") + g("commission") - g("delivery_fees") + g("delivery_cost")
        commission = commission_rate * g("platform_sales") + (0.0 if own else delivery_commission_rate) * g(
            "delivery_sales")
        out[f"{party}_contribution"] = fixed - commission + (
            (delivery_fee - delivery_cost_per_order) * g("delivery_orders") if own else 0.0)
        commissions += commission
        orders += g("delivery_orders")
    out["platform_contribution"] = (commissions + runs["platform_platform_fees"].astype(float).to_numpy()
                                    + (0.0 if own else (delivery_fee - delivery_cost_per_order) * orders))
    return out


def delta(runs: dict[str, pd.DataFrame], c: Contrast, terms: dict,
          kpi: str = "brand_contribution") -> np.ndarray:
    """Per-seed ``B - A`` of a party's contribution under ``terms`` (:func:`recompute_money`), seed order."""
    a = recompute_money(runs[c.arm_a], **terms).set_index("seed").sort_index()[kpi]
    b = recompute_money(runs[c.arm_b], **terms).set_index("seed").sort_index()[kpi]
    if not a.index.equals(b.index):
        raise ValueError(f"{c.key}: the arms were not run on the same seeds")
    return (b - a).to_numpy()


def accounting_grid(cfg) -> list[dict]:
    """The terms of the sensitivity grid (the keyword arguments of :func:`recompute_money`).

    :data:`RATE_GRID` with the platform delivering, then :data:`RIDER_GRID` with the brand
    delivering, each with the configuration's own value added.
    """
    base = default_terms(cfg)
    e = cfg.economics
    rates = sorted({*RATE_GRID, e.delivery_commission_rate})
    costs = sorted({*RIDER_GRID, e.delivery_cost_per_order})
    return ([{**base, "delivery_operator": "platform", "delivery_commission_rate": r} for r in rates]
            + [{**base, "delivery_operator": "brand", "delivery_cost_per_order": c} for c in costs])


def _terms_label(t: dict, currency: str) -> str:
    if t["delivery_operator"] == "platform":
        return f"platform delivers, commission {t['delivery_commission_rate']:.0%}"
    return f"brand delivers, rider {t['delivery_cost_per_order']:g} {currency}/order"


def _zones(values: np.ndarray, status: np.ndarray, fmt, unit: str) -> str:
    """'pays 0-12%, open 12.1-25%, loses 25.1-100%': contiguous stretches of one verdict along a scan."""
    parts, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or status[i] != status[start]:
            lo, hi = fmt(values[start]), fmt(values[i - 1])
            parts.append(f"{SHORT[status[start]]} {lo}" + ("" if lo == hi else f"-{hi}") + unit)
            start = i
    return ", ".join(parts)


def _scan(runs, c: Contrast, terms: dict, field: str, values: np.ndarray, fmt, unit: str,
          what: str) -> tuple[float, str]:
    """Break-even of ``field`` (mean incremental profit = 0) and the verdict along ``values``.

    The brand's profit is linear in each accounting term, so two recomputations give every seed's
    line ``d0 + value x slope``.
    """
    d0 = delta(runs, c, {**terms, field: 0.0})
    slope = delta(runs, c, {**terms, field: 1.0}) - d0
    if np.allclose(slope, 0.0, atol=1e-6 * max(1.0, float(np.abs(d0).max()))):
        return np.nan, f"no effect (no change in {what})"
    d = d0[None, :] + values[:, None] * slope[None, :]
    n = d.shape[1]
    mean = d.mean(axis=1)
    half = stats.t.ppf(0.975, n - 1) * d.std(axis=1, ddof=1) / np.sqrt(n)
    status = np.where(mean - half > 0, "pays", np.where(mean + half < 0, "loses", "not settled"))
    be = -d0.mean() / slope.mean() if slope.mean() != 0 else np.nan
    return float(be), _zones(values, status, fmt, unit)


# ----------------------------------------------------------------------------- feature tables
def feature_table(runs: dict[str, pd.DataFrame], cons: list[Contrast], cfg,
                  running_cost: float) -> pd.DataFrame:
    """One row per contrast: the brand's changes, incremental profit and ROI (95% CIs), the others' profit.

    ``running_cost`` is the OMO lever's running cost per run; ``running_cost_diff`` is how much
    of it arm B pays beyond arm A, and the ``*_before_running_cost`` verdict adds it back.
    """
    e = cfg.economics
    rows = []
    for c in cons:
        comp = Comparison(_arm_label(c.arm_a), c.label, runs[c.arm_a], runs[c.arm_b], currency=e.currency,
                          currency_symbol=e.currency_symbol)
        t = comp.table(FEATURE_KPIS).set_index("kpi")
        row = {"contrast": c.key, "group": c.group, "feature": c.feature, "label": c.label, "arm": c.arm_b,
               "reference": c.arm_a, "n": int(t.loc["brand_contribution", "n"]), "currency": e.currency}
        for k in FEATURE_KPIS:
            row[f"d_{k}"], row[f"d_{k}_low"], row[f"d_{k}_high"] = (float(t.loc[k, x]) for x in
                                                                    ("diff", "ci_low", "ci_high"))
        roi = t.loc["incremental_roi"]
        row.update(incremental_roi=float(roi["diff"]), incremental_roi_low=float(roi["ci_low"]),
                   incremental_roi_high=float(roi["ci_high"]), incremental_roi_note=str(roi["note"]))
        # the OMO lever (and its running cost) is on in every arm but O2O
        row["running_cost_diff"] = running_cost * (int(c.arm_b != REF) - int(c.arm_a != REF))
        lo, hi = row["d_brand_contribution_low"], row["d_brand_contribution_high"]
        row["verdict"] = _pays(lo, hi)
        shift = row["running_cost_diff"]
        row["verdict_before_running_cost"] = _pays(lo + shift, hi + shift)
        rows.append(row)
    return pd.DataFrame(rows)


def sensitivity_table(runs, cons: list[Contrast], cfg) -> pd.DataFrame:
    """The incremental profits of every contrast under every term of :func:`accounting_grid` (long form)."""
    base = default_terms(cfg)
    rows = []
    for terms in accounting_grid(cfg):
        default = all(terms[k] == base[k] for k in base)
        for c in cons:
            m, lo, hi = _mean_ci(delta(runs, c, terms))
            rows.append({"contrast": c.key, "group": c.group, "feature": c.feature, "label": c.label,
                         "terms": _terms_label(terms, cfg.economics.currency), **terms, "default": default,
                         "diff": m, "ci_low": lo, "ci_high": hi, "verdict": _pays(lo, hi),
                         **{f"d_{p}_contribution": float(delta(runs, c, terms, f"{p}_contribution").mean())
                            for p in ("others", "platform")}})
    return pd.DataFrame(rows)


def breakeven_table(runs, cons: list[Contrast], cfg) -> pd.DataFrame:
    """Per contrast: the change in delivery and coupon orders, the break-even terms and the verdict zones."""
    base = default_terms(cfg)
    cur = cfg.economics.currency
    rates = np.linspace(0.0, 1.0, 1001)
    costs = np.linspace(0.0, RIDER_SEARCH_MAX, 1001)

    def pct(v):
        return f"{100 * v:.1f}".removesuffix(".0")

    def money(v):
        return f"{v:.2f}".removesuffix(".00")

    rows = []
    for c in cons:
        def d(kpi, c=c):
            return float((runs[c.arm_b].set_index("seed").sort_index()[kpi]
                          - runs[c.arm_a].set_index("seed").sort_index()[kpi]).mean())

        be_rate, z_rate = _scan(runs, c, {**base, "delivery_operator": "platform"},
                                "delivery_commission_rate", rates, pct, "%", "delivery orders")
        be_cost, z_cost = _scan(runs, c, {**base, "delivery_operator": "brand"}, "delivery_cost_per_order",
                                costs, money, f" {cur}", "delivery orders")
        be_coupon, z_coupon = _scan(runs, c, base, "commission_rate", rates, pct, "%",
                                    "platform-coupon orders")
        rows.append({"contrast": c.key, "group": c.group, "feature": c.feature, "label": c.label,
                     "d_delivery_orders": d("brand_delivery_orders"),
                     "d_delivery_sales": d("brand_delivery_sales"),
                     "d_platform_sales": d("brand_platform_sales"),
                     "breakeven_delivery_commission": be_rate, "zones_delivery_commission": z_rate,
                     "breakeven_rider_cost": be_cost, "zones_rider_cost": z_cost,
                     "breakeven_coupon_commission": be_coupon, "zones_coupon_commission": z_coupon})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- figures
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return matplotlib, plt


def plot_uplift_readable(table: pd.DataFrame, path: Path, clip_pct: float = 250.0) -> None:
    """Relative change per KPI with its 95% CI; KPIs beyond +-clip_pct are drawn at the edge and labelled.

    Replaces the ``uplift.png`` of :func:`sim.studies.report.write_comparison`, whose shared linear axis
    is unreadable when one KPI (lever spend) changes ten-fold. KPIs with a zero O2O mean (new
    channels, OMO counters) have no relative change and are only in the table.
    """
    matplotlib, plt = _plt()
    t = table[np.isfinite(table["rel_diff"])].reset_index(drop=True)
    base = t["mean_a"].abs().to_numpy()
    rel = 100 * t["rel_diff"].to_numpy()
    lo = 100 * (t["ci_low"].to_numpy()) / base
    hi = 100 * (t["ci_high"].to_numpy()) / base
    off = np.abs(rel) > clip_pct
    inside = np.concatenate([lo[~off], hi[~off], [0.0]])
    lim_lo, lim_hi = float(inside.min()), float(inside.max())
    pad = 0.08 * (lim_hi - lim_lo or 1.0)
    lim_lo, lim_hi = lim_lo - pad, lim_hi + pad + (0.45 * (lim_hi - lim_lo) if off.any() else 0)
    fig, ax = plt.subplots(figsize=(8.5, 0.38 * max(len(t), 4) + 1.6))
    y = np.arange(len(t))
    sig = (t["ci_low"] > 0) | (t["ci_high"] < 0)
    for i in range(len(t)):
        color = "#4c72b0" if sig[i] else "#a0a0a0"
        if off[i]:
            edge = lim_hi if rel[i] > 0 else lim_lo
            ax.annotate(f"{rel[i]:+,.0f}% [{lo[i]:+,.0f}, {hi[i]:+,.0f}] off scale",
                        (edge, y[i]), xytext=(-4 if rel[i] > 0 else 4, 0), textcoords="offset points",
                        ha="right" if rel[i] > 0 else "left", va="center", fontsize=8, color=color)
            ax.plot([edge], [y[i]], marker=">" if rel[i] > 0 else "<", color=color, clip_on=False)
            continue
        # (a zero-width interval can come out a rounding error below zero: matplotlib refuses it)
        width = [[max(0.0, rel[i] - lo[i])], [max(0.0, hi[i] - rel[i])]]
        ax.errorbar(rel[i], y[i], xerr=width, fmt="o", color=color, capsize=3)
        ax.annotate(f"{rel[i]:+.1f}%", (hi[i], y[i]), xytext=(5, 0), textcoords="offset points",
                    va="center", fontsize=7.5, color=color)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlim(lim_lo, lim_hi)
    ax.set_yticks(y, t["kpi"])
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel(f"change of {LABEL_B} against {LABEL_A} (%), 95% CI paired over {int(t['n'].max())} seeds\n"
                  "blue: CI excludes 0; grey: it does not")
    ax.set_title(f"{LABEL_B} ({SCENARIO_B}) vs {LABEL_A} ({SCENARIO_A})", fontsize=10)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def plot_funnel(runs_a: pd.DataFrame, runs_b: pd.DataFrame, daily_a: pd.DataFrame, daily_b: pd.DataFrame,
                table: pd.DataFrame, seed: int, path: Path) -> None:
    """Left: the city's intents/visits/purchases and the brand's visits/purchases per arm (mean over seeds).

    Right: purchases by channel and beyond walking distance (one seed per arm, daily data).
    """
    matplotlib, plt = _plt()
    fmt = matplotlib.ticker.StrMethodFormatter("{x:,.0f}")
    names = {"intents": "intents", "visits": "visits", "purchases": "purchases",
             "brand_visits": "brand\nvisits", "brand_purchases": "brand\npurchases"}
    stages = [s for s in names if s in runs_a and s in runs_b]
    has_channels = all(c in daily_a and c in daily_b for c in CHANNEL_COLUMNS)
    fig, axes = plt.subplots(1, 2 if has_channels else 1, figsize=(13 if has_channels else 7, 5),
                             squeeze=False)
    colors = {LABEL_A: "#8c8c8c", LABEL_B: "#4c72b0"}

    ax = axes[0, 0]
    x = np.arange(len(stages))
    w = 0.38
    means = {lab: np.array([runs[s].mean() for s in stages])
             for lab, runs in ((LABEL_A, runs_a), (LABEL_B, runs_b))}
    for k, lab in enumerate((LABEL_A, LABEL_B)):
        bars = ax.bar(x + (k - 0.5) * w, means[lab], w, color=colors[lab], label=lab)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in means[lab]], label_type="center", fontsize=8,
                     color="white", rotation=90)
    top = max(float(m.max()) for m in means.values())
    for i, st in enumerate(stages):
        r = _row(table, st)
        if r is not None and np.isfinite(r.rel_diff):
            base = abs(r.mean_a)
            ci = f"[{100 * r.ci_low / base:+.1f}, {100 * r.ci_high / base:+.1f}]"
            ax.annotate(f"{100 * r.rel_diff:+.1f}%\n{ci}",
                        (x[i], max(r.mean_a, r.mean_b)), xytext=(0, 4), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [names[s] for s in stages])
    ax.set_ylim(0, top * 1.3)
    ax.set_ylabel("count per run (recorded days)")
    ax.set_title(f"Funnel (city, then the brand's stores), mean over {len(runs_a)} seeds\n"
                 f"(labels: {LABEL_B} vs {LABEL_A}, paired 95% CI)", fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    ax.yaxis.set_major_formatter(fmt)

    if has_channels:
        ax = axes[0, 1]
        cnames = {"purchases_in_store": "in store", "purchases_pickup": "pick-up",
                  "purchases_delivery": "delivery"}
        ccolors = {"purchases_in_store": "#8c8c8c", "purchases_pickup": "#55a868",
                   "purchases_delivery": "#c44e52"}
        arms = ((LABEL_A, daily_a), (LABEL_B, daily_b))
        xs = np.array([0.0, 1.0])
        wb = 0.36
        bottom = np.zeros(2)
        for col in CHANNEL_COLUMNS:
            vals = np.array([float(d[col].sum()) for _, d in arms])
            bars = ax.bar(xs - wb / 2, vals, wb, bottom=bottom, color=ccolors[col], label=cnames[col])
            ax.bar_label(bars, labels=[f"{v:,.0f}" if v > 0.05 * (bottom + vals).max() else "" for v in vals],
                         label_type="center", fontsize=8, color="white")
            bottom += vals
        for i, tot in enumerate(bottom):
            ax.annotate(f"{tot:,.0f}", (xs[i] - wb / 2, tot), xytext=(0, 3), textcoords="offset points",
                        ha="center", fontsize=8)
        if "purchases_beyond_walk" in daily_a and "purchases_beyond_walk" in daily_b:
            far = np.array([float(d["purchases_beyond_walk"].sum()) for _, d in arms])
            bars = ax.bar(xs + wb / 2, far, wb, color="white", edgecolor="#555555", hatch="//",
                          label="beyond walking distance (any channel)")
            labels = [f"{f:,.0f}\n({f / t:.0%})" if t else "" for f, t in zip(far, bottom, strict=True)]
            ax.bar_label(bars, labels=labels, fontsize=8, padding=2)
        ax.set_xticks(xs, [LABEL_A, LABEL_B])
        ax.set_ylim(0, bottom.max() * 1.35)
        ax.set_ylabel("purchases per run (city)")
        ax.set_title(f"Purchases by channel, seed {seed} (one run per arm)", fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
        ax.yaxis.set_major_formatter(fmt)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def plot_feature_profit(features: pd.DataFrame, sens: pd.DataFrame, currency: str, running_cost: float,
                        path: Path) -> None:
    """The brand's incremental profit per contrast with its 95% CI, coloured by verdict.

    A thin grey bar behind each row spans the mean incremental profit over the commission and
    delivery terms of the sensitivity grid (ticks: each term); a dotted line marks minus the
    OMO systems' running cost per run.
    """
    matplotlib, plt = _plt()
    rows, ys, heads, y = [], [], [], 0.0
    for group in GROUPS:
        part = features[features["group"] == group]
        if part.empty:
            continue
        heads.append((y, group))
        y += 0.9
        for r in part.itertuples():
            rows.append(r)
            ys.append(y)
            y += 1.0
        y += 0.4
    fig, ax = plt.subplots(figsize=(10, 0.42 * y + 1.9))
    xs = []
    for r, yy in zip(rows, ys, strict=True):
        grid = sens.loc[sens["contrast"] == r.contrast, "diff"].to_numpy()
        if grid.size:
            yg = yy + 0.32  # just below the CI, so neither hides the other
            ax.plot([grid.min(), grid.max()], [yg, yg], color="#d0d0d0", lw=4, solid_capstyle="butt",
                    zorder=1)
            ax.plot(grid, np.full(grid.size, yg), "|", color="#909090", ms=6, zorder=2)
            xs += [grid.min(), grid.max()]
        m, lo, hi = r.d_brand_contribution, r.d_brand_contribution_low, r.d_brand_contribution_high
        color = VERDICT_COLORS[r.verdict]
        ax.errorbar(m, yy, xerr=[[m - lo], [hi - m]], fmt="o", color=color, capsize=3, zorder=3)
        ax.annotate(f"{m:+,.0f}", (hi, yy), xytext=(5, 0), textcoords="offset points", va="center",
                    fontsize=8, color=color)
        xs += [lo, hi]
    lim_lo, lim_hi = min(xs + [0.0, -running_cost]), max(xs + [0.0])
    pad = 0.06 * (lim_hi - lim_lo or 1.0)
    ax.set_xlim(lim_lo - pad, lim_hi + 2.5 * pad)
    ax.axvline(0, color="k", lw=0.8)
    if running_cost > 0:
        ax.axvline(-running_cost, color="#555555", lw=0.9, ls=":")
        ax.annotate(f"- running cost ({running_cost:,.0f})", (-running_cost, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(3, -3), textcoords="offset points",
                    fontsize=7.5, va="top", color="#555555")
    titles = {"package": "the full package against O2O", "added alone": "one feature added alone to O2O",
              "removed": "one feature removed from the full package (against O2O)",
              "inside the package": "a feature's share inside the package (OMO against OMO without it)"}
    for yy, group in heads:
        ax.annotate(titles[group], (0.0, yy), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", fontsize=8.5, fontweight="bold", va="center")
    ax.set_yticks(ys, [r.label for r in rows], fontsize=8.5)
    ax.set_ylim(y - 0.2, -0.6)
    ax.grid(axis="x", alpha=0.3)
    ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:+,.0f}"))
    n = int(features["n"].max())
    ax.set_xlabel(f"the brand's incremental contribution profit per run ({currency}), 95% CI paired over {n} "
                  "seeds\ngreen: pays (CI > 0), red: loses (CI < 0), grey: not settled (default terms)\n"
                  "thin grey bar below each row: the mean under each commission / delivery term of the grid")
    ax.set_title("Which OMO features pay: the brand's incremental profit, default commission and "
                 "delivery terms", fontsize=10)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


# ----------------------------------------------------------------------------- text
def _kpi_table_md(table: pd.DataFrame) -> str:
    lines = [f"| KPI | unit | {LABEL_A} | {LABEL_B} | difference ({LABEL_B} - {LABEL_A}) | 95% CI | "
             "relative | CI excludes 0 | CI narrower than independent seeds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        v = _verdict(r)
        narrow = f"{r.narrowing:.1f}x" if np.isfinite(r.narrowing) else "n/a"
        lines.append(f"| {r.kpi} | {r.unit} | {_num(r.mean_a)} | {_num(r.mean_b)} | {_num(r.diff)} | "
                     f"[{_num(r.ci_low)}, {_num(r.ci_high)}] | {_num(r.rel_diff, pct=True)} | "
                     f"{'yes' if v in ('higher', 'lower') else 'no'} | {narrow} |")
    return "\n".join(lines) + "\n"


def interpret(table: pd.DataFrame, daily_a: pd.DataFrame, daily_b: pd.DataFrame, seed: int,
              currency: str) -> list[str]:
    """3-5 sentences on docs/DOMAIN.md section 4, every claim conditioned on the numbers."""
    out: list[str] = []
    g = lambda k: _row(table, k)  # noqa: E731
    cur = f" {currency}"

    # 1. reach: purchases, new channels, substitution, geography
    pur, ins, sbw = g("purchases"), g("purchases_in_store"), g("share_beyond_walk")
    sp, sd, bp = g("share_pickup"), g("share_delivery"), g("brand_purchases")
    if pur is not None:
        s = "**Reach.** Under " + LABEL_B
        noun_brand = "purchases at the brand's stores"
        if bp is not None:
            s += f" {_says(bp, noun_brand, plural=True)} and"
        s += f" {_says(pur, 'purchases city-wide', plural=True)}"
        if sp is not None and sd is not None:
            s += (f"; {sp.mean_b:.0%} of {LABEL_B} purchases are picked up and {sd.mean_b:.0%} delivered"
                  if sp.mean_b + sd.mean_b > 0 else f"; no {LABEL_B} purchase uses pick-up or delivery")
        if ins is not None and (sp is None or sp.mean_b + (sd.mean_b if sd is not None else 0) > 0):
            if _verdict(ins) == "lower":
                s += (f", and {_says(ins, 'in-store purchases', plural=True)}, so part of the new channels' "
                      "volume is moved off the shop floor")
            elif _verdict(pur) == "higher":
                s += (f", while {_says(ins, 'in-store purchases', plural=True)}, so the new channels add "
                      "demand rather than move it off the shop floor")
            else:
                s += f"; {_says(ins, 'in-store purchases', plural=True)}"
        if sbw is not None:
            s += f"; {_says(sbw, 'the share of purchases beyond walking distance', pp=True)}"
        out.append(s + ".")

    # 2. wasted trips on stock-outs
    av, pooled = g("omo_avoided_trips"), g("omo_pooled_deliveries")
    if av is not None:
        so_a = int(daily_a["stockouts"].sum()) if "stockouts" in daily_a else None
        if av.mean_b == 0:
            s = ("**Wasted trips.** Integrated inventory avoided no trip: no visit to a brand store met a "
                 "stock-out in any run")
        else:
            s = (f"**Wasted trips.** Integrated inventory avoided {_num(av.mean_b)} trips per run that would "
                 f"have met a sold-out brand store (95% CI [{_num(av.ci_low)}, {_num(av.ci_high)}])")
            if pooled is not None and pooled.mean_b >= av.mean_b:
                s += "; every one of them was delivered from the stock the brand's stores had left"
            elif pooled is not None:
                s += (f"; {_num(pooled.mean_b)} of them were delivered from the stock the brand's stores had "
                      "left, the rest stayed home")
            if so_a is not None:
                s += (f"; the {LABEL_A} arm had {so_a:,} stock-out visits in seed {seed}, "
                      + ("so at this stock level there is no O2O waste to remove and these are stock-outs "
                         f"created by {LABEL_B}'s own extra demand" if so_a == 0 else
                         f"the waste {LABEL_B} removes"))
        out.append(s + ".")

    # 3. loyalty from shared points
    parts = []
    for key, noun, pp in (("repeat_rate", "the repeat rate", True),
                          ("members", "members at the end", False),
                          ("clv_per_member", "revenue per member", False),
                          ("loop_gain", "the loop gain", False)):
        r = g(key)
        if r is not None:
            parts.append(_says(r, noun, pp=pp, plural=key == "members"))
    if parts:
        out.append(f"**Loyalty.** Under the whole {LABEL_B} package (shared points are one part; the section "
                   "below isolates them) " + "; ".join(parts) + ".")

    # 4. money: the brand's spend and incremental profit, the others' profit
    spend, profit = g("brand_spend"), g("brand_contribution")
    if spend is not None and profit is not None:
        noun = "The brand's spend (discounts, lever costs, loyalty points)"
        s = f"**Money ({currency}).** {_says(spend, noun, unit=cur)}"
        pts = g("omo_points")
        if pts is not None and pts.mean_b > 0:
            s += f" (members earn {_num(pts.mean_b)}{cur} of points per run)"
        s += f"; {_says(profit, 'its contribution profit', unit=cur)}"
        roi = g("incremental_roi")
        if roi is not None:
            s += (f"; the incremental ROI is {_num(roi['diff'])} {currency} of profit per {currency} of "
                  f"extra spend (95% CI [{_num(roi.ci_low)}, {_num(roi.ci_high)}])"
                  if np.isfinite(roi["diff"]) else f"; the incremental ROI is {roi.note} in spend")
        s += {"pays": ", so in this model the package pays for itself",
              "loses": ", so in this model the package loses the brand money",
              "not settled": ", so the runs cannot tell whether the package pays for itself"}[
            _pays(profit.ci_low, profit.ci_high)]
        others, platform = g("others_contribution"), g("platform_contribution")
        noun_others, noun_platform = "the other merchants' profit", "the platform's profit"
        if others is not None and platform is not None:
            s += (f". Meanwhile {_says(others, noun_others, unit=cur)} and "
                  f"{_says(platform, noun_platform, unit=cur)}")
        out.append(s + ".")

    # 5. service
    wt, bk = g("mean_wait_min"), g("balk_rate")
    bits = [x for x in (wt is not None and _says(wt, "the mean queue wait", unit=" min"),
                        bk is not None and _says(bk, "the balk rate", pp=True)) if x]
    if bits and len(out) < 5:
        out.append("**Service.** " + " and ".join(bits)[0].upper() + " and ".join(bits)[1:] + ".")
    return out


def _feature_rows_md(features: pd.DataFrame, currency: str) -> str:
    lines = ["| arm | Δ brand visits | Δ brand purchases | Δ brand spend | Δ brand profit, 95% CI | "
             "incremental ROI, 95% CI | Δ other merchants' profit, 95% CI | Δ platform profit, 95% CI | "
             "verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in features.itertuples():
        roi = (f"{_num(r.incremental_roi)} {_ci(r.incremental_roi_low, r.incremental_roi_high)}"
               if np.isfinite(r.incremental_roi) else r.incremental_roi_note)
        lines.append(
            f"| {r.label} | {_signed(r.d_brand_visits)} | {_signed(r.d_brand_purchases)} | "
            f"{_signed(r.d_brand_spend)} | {_signed(r.d_brand_contribution)} "
            f"{_ci(r.d_brand_contribution_low, r.d_brand_contribution_high)} | {roi} | "
            f"{_signed(r.d_others_contribution)} "
            f"{_ci(r.d_others_contribution_low, r.d_others_contribution_high)} | "
            f"{_signed(r.d_platform_contribution)} "
            f"{_ci(r.d_platform_contribution_low, r.d_platform_contribution_high)} | **{r.verdict}** |")
    return "\n".join(lines) + "\n"


def _sensitivity_md(sens: pd.DataFrame, cons: list[Contrast], currency: str) -> str:
    terms = sens.drop_duplicates("terms")[["terms", "default"]]
    head = [t.replace(" delivers, ", " delivers: ") + (" (default)" if d else "")
            for t, d in terms.itertuples(index=False)]
    lines = ["| arm | " + " | ".join(head) + " |", "|---|" + "---|" * len(head)]
    by = sens.set_index(["contrast", "terms"])
    for c in cons:
        cells = []
        for t in terms["terms"]:
            r = by.loc[(c.key, t)]
            cells.append(f"{_signed(r['diff'])} {SHORT[r['verdict']]}")
        lines.append(f"| {c.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _breakeven_md(be: pd.DataFrame, currency: str) -> str:
    lines = ["| arm | Δ delivery orders | Δ paid on delivery orders | break-even delivery commission "
             "(platform delivers) | verdict by delivery commission (0-100%) | break-even rider cost (brand "
             f"delivers, {currency}/order) | verdict by rider cost (0-{RIDER_SEARCH_MAX:g} {currency}) | "
             "Δ paid on platform-coupon orders | verdict by coupon commission (0-100%) |",
             "|---|---|---|---|---|---|---|---|---|"]

    def be_rate(v):
        return "n/a" if not np.isfinite(v) else (f"{100 * v:.1f}%" if 0 <= v <= 1 else "none in 0-100%")

    def be_cost(v):
        return ("n/a" if not np.isfinite(v) else
                f"{v:.2f}" if 0 <= v <= RIDER_SEARCH_MAX else f"none in 0-{RIDER_SEARCH_MAX:g}")

    for r in be.itertuples():
        lines.append(f"| {r.label} | {_signed(r.d_delivery_orders)} | {_signed(r.d_delivery_sales)} | "
                     f"{be_rate(r.breakeven_delivery_commission)} | {r.zones_delivery_commission} | "
                     f"{be_cost(r.breakeven_rider_cost)} | {r.zones_rider_cost} | "
                     f"{_signed(r.d_platform_sales)} | {r.zones_coupon_commission} |")
    return "\n".join(lines) + "\n"


def _listing(part: pd.DataFrame, currency: str, shift: float = 0.0) -> dict[str, str]:
    """Verdict -> 'pick-up (+1,234 CNY, 95% CI [..]); delivery (...)' for the rows of ``part``."""
    out: dict[str, list[str]] = {}
    for r in part.itertuples():
        v = r.verdict if not shift else r.verdict_before_running_cost
        name = FEATURE_NAMES.get(r.feature, r.label)
        out.setdefault(v, []).append(
            f"{name} ({_signed(r.d_brand_contribution + shift)} {currency}, 95% CI "
            f"{_ci(r.d_brand_contribution_low + shift, r.d_brand_contribution_high + shift)})")
    return {k: "; ".join(v) for k, v in out.items()}


def _verdict_sentence(head: str, listing: dict[str, str], words: dict[str, str]) -> str:
    parts = [f"{words[v]}: {listing[v]}" for v in ("pays", "loses", "not settled") if v in listing]
    return f"{head} " + ". ".join(parts) + "."


def feature_sentences(features: pd.DataFrame, sens: pd.DataFrame, be: pd.DataFrame, cfg, running_cost: float,
                      n_brand: int) -> list[str]:
    """The generated reading of the feature study (every claim from the numbers)."""
    cur = cfg.economics.currency
    base = default_terms(cfg)
    terms = _terms_label(base, cur)
    words = {"pays": "**pays**", "loses": "**loses money**",
             "not settled": "**not settled** (the CI contains 0)"}
    out = []
    full = features[features["group"] == "package"].iloc[0]
    out.append(f"**The package.** Against {LABEL_A}, under the default terms ({terms}, coupon commission "
               f"{base['commission_rate']:.0%}), the full package's incremental profit for the brand is "
               f"{_signed(full.d_brand_contribution)} {cur} per run (95% CI "
               f"{_ci(full.d_brand_contribution_low, full.d_brand_contribution_high)}): it "
               f"{ {'pays': 'pays', 'loses': 'loses money'}.get(full.verdict, 'is not settled') }.")
    alone = features[features["group"] == "added alone"]
    out.append(_verdict_sentence("**Added alone to O2O** (each arm carries the whole running cost of "
                                 f"{running_cost:,.0f} {cur} per run):", _listing(alone, cur), words))
    if running_cost > 0:
        out.append(_verdict_sentence(
            "**Before the running cost** (the same arms with the systems' running cost added back: does the "
            "feature's own margin cover its discounts, points and commissions?):",
            _listing(alone, cur, shift=running_cost),
            {"pays": "**covers its own costs**", "loses": "**does not cover them**",
             "not settled": "**not settled**"}))
    removed = features[features["group"] == "removed"]
    out.append(_verdict_sentence(f"**Removed from the package** (the package without it, against {LABEL_A}):",
                                 _listing(removed, cur), words))
    inside = features[features["group"] == "inside the package"]
    out.append(_verdict_sentence(f"**Inside the package** (what each feature adds: {LABEL_B} against "
                                 f"{LABEL_B} without it, the running cost cancels):", _listing(inside, cur),
                                 words))

    # who else gains or loses
    vs_ref = features[features["group"] != "inside the package"]
    bits = []
    for party, noun in (("others", "the other merchants' profit"), ("platform", "the platform's profit")):
        lo, hi = vs_ref[f"d_{party}_contribution_low"], vs_ref[f"d_{party}_contribution_high"]
        down, up = vs_ref.loc[hi < 0, "label"].tolist(), vs_ref.loc[lo > 0, "label"].tolist()
        rest = len(vs_ref) - len(down) - len(up)
        bits.append(f"{noun} falls clearly in {len(down)} of {len(vs_ref)} arms"
                    + (f" ({', '.join(down)})" if down else "")
                    + f", rises clearly in {len(up)}" + (f" ({', '.join(up)})" if up else "")
                    + f" and shows no clear change in {rest}")
    out.append(f"**The other parties** (arms against {LABEL_A}): " + "; ".join(bits) + ".")

    # sensitivity to commission and delivery terms
    n_terms = sens["terms"].nunique()
    stable: dict[str, list[str]] = {}
    moving = []
    for c in features.itertuples():
        verdicts = sens.loc[sens["contrast"] == c.contrast, "verdict"]
        if verdicts.nunique() == 1:
            stable.setdefault(verdicts.iloc[0], []).append(c.label)
        else:
            r = be[be["contrast"] == c.contrast].iloc[0]
            moving.append(f"{c.label}: with the platform delivering, {r.zones_delivery_commission} by "
                          f"delivery commission; with the brand delivering, {r.zones_rider_cost} by rider "
                          "cost")
    rates = sorted(sens.loc[sens["delivery_operator"] == "platform", "delivery_commission_rate"].unique())
    costs = sorted(sens.loc[sens["delivery_operator"] == "brand", "delivery_cost_per_order"].unique())
    grid = (f"delivery commission {', '.join(f'{r:.0%}' for r in rates)} with the platform delivering; "
            f"rider cost {', '.join(f'{c:g}' for c in costs)} {cur} per order with the brand delivering and "
            f"collecting the consumer's {base['delivery_fee']:g} {cur} fee")
    n_stable = sum(len(v) for v in stable.values())
    kept = "; ".join(f"{v} throughout: {', '.join(stable[v])}" for v in ("pays", "loses", "not settled")
                     if v in stable)
    s = (f"**Commission and delivery cost.** Over the {n_terms} terms of the grid ({grid}), "
         + (f"the verdict does not change for {n_stable} of {len(features)} rows ({kept})"
            if stable else "every row's verdict changes somewhere in the grid"))
    s += (". It depends on the terms for " + "; ".join(moving) if moving else
          ". No verdict depends on these terms")
    out.append(s + ".")
    largest = be.loc[be["d_platform_sales"].abs().idxmax(), "d_platform_sales"]
    out.append(f"The coupon commission ({base['commission_rate']:.0%} of what platform-coupon orders pay) is "
               "held fixed; each percentage point of it moves a row's incremental profit by at most "
               f"{abs(largest) / 100:,.0f} {cur} (the largest change in what platform-coupon orders pay, "
               f"{_signed(largest)} {cur}, over 100).")
    return out


def write_results_md(path: Path, *, command: str, table: pd.DataFrame, kpis, missing, seeds, cfg_a, cfg_b,
                     daily_a, daily_b, seed: int, n_brand: int,
                     feature_part: list[str] | None = None) -> None:
    """The study's summary file."""
    narrowing = table.loc[table["kpi"].isin(kpis), "narrowing"].replace([np.inf, -np.inf], np.nan).dropna()
    omo, econ = cfg_b.campaign.omo, cfg_b.economics
    cur = econ.currency
    text = [
        "# O2O vs OMO: what does merging channels change, and which OMO features pay?",
        "",
        "Reproduce (from the repository root):",
        "",
        "```bash",
        command,
        "```",
        "",
        "## Question",
        "",
        "[docs/DOMAIN.md](../DOMAIN.md) section 4: *O2O is the bridge, OMO is the merge.* "
        "Holding the push campaign and the",
        "in-store QR joins fixed, what does adding the OMO package (unified points, integrated inventory,",
        "order-ahead pick-up, home delivery and personalised targeting at the brand's stores) change: wasted",
        "trips on stock-outs, purchases beyond walking distance, loyalty and repeat purchases from shared",
        "points - what does it cost the brand, and which of its features earn their cost?",
        "",
        "## Setup",
        "",
        f"* Arm A `{SCENARIO_A}` ({LABEL_A}): push coupons + QR joins; channels, stock and membership "
        "separate.",
        f"* Arm B `{SCENARIO_B}` ({LABEL_B}): the same, plus unified points ({omo.points_rate:.0%} of "
        f"spend), integrated inventory, pick-up (hassle {omo.pickup_hassle} utils), delivery (consumer fee "
        f"{omo.delivery_fee:g} {cur}, radius {omo.delivery_radius_km:g} km) and personalised targeting, "
        f"running cost {omo.fixed_cost_per_store_day:g} {cur} per brand store-day.",
        "* Same city, people and daily draws in both arms (common random numbers): seeds "
        f"{seeds[0]}..{seeds[-1]} ({len(seeds)} per arm); {cfg_a.population.size:,} consumers, "
        f"{cfg_a.stores.count} stores "
        f"({n_brand} in the brand), {cfg_a.days} recorded days after a {cfg_a.warmup_days}-day warm-up; "
        f"initial member share {cfg_a.population.member_share:.0%}.",
        f"* Money in {cur}. `brand_*` is the merchant that runs and pays for every lever, `others_*` every "
        "other merchant, `platform_*` the platform; `*_contribution` is contribution profit (docs/OUTPUTS.md "
        f"section 10): margin {cfg_b.stores.margin:.0%} of gross sales, commission "
        f"{econ.commission_rate:.0%} of what platform-coupon orders pay and "
        f"{econ.delivery_commission_rate:.0%} of what delivery orders pay, deliveries run by the "
        f"{econ.delivery_operator} (rider {econ.delivery_cost_per_order:g} {cur} per order), points breakage "
        f"{econ.points_breakage:.0%}. `brand_spend` is discounts + lever costs + loyalty points.",
        "* `purchases_in_store` is derived per run as purchases x (1 - share_pickup - share_delivery).",
        "* KPIs are per run (recorded days); those without a party prefix are city-wide. Differences are",
        "  B - A paired by seed with a 95% t-interval; the last column is how much narrower that interval is",
        "  than an independent-seeds design with the same runs would give.",
        f"* `{'`, `'.join(k for k in ZERO_WHEN_LEVER_OFF if k in kpis)}` are lever counters: set to 0 in "
        "the arm without that lever.",
    ]
    if missing:
        text.append("* Not in this model version's run summaries, so not reported: "
                    f"`{'`, `'.join(missing)}`.")
    text += [
        "",
        "## Results",
        "",
        _kpi_table_md(table[table["kpi"].isin(kpis)]),
    ]
    extra = table[~table["kpi"].isin(kpis)]
    if len(extra):
        text += ["Money ratios of the difference (ratio of the mean paired differences, Fieller's 95% "
                 "interval, n/a when the denominator's difference is not significant; "
                 "`sim.studies.compare.Comparison.table`):", "",
                 "| ratio | unit | value | 95% CI | seeds |", "|---|---|---|---|---|"]
        text += [f"| {r.kpi} | {r.unit} | {_num(r.diff) if np.isfinite(r.diff) else r.note} | "
                 f"[{_num(r.ci_low)}, {_num(r.ci_high)}] | {int(r.n)} |" for r in extra.itertuples()]
        text.append("")
    if len(narrowing):
        text.append(f"Pairing narrows the intervals by a median {narrowing.median():.1f}x "
                    f"(range {narrowing.min():.1f}x-{narrowing.max():.1f}x) against independent seeds.\n")
    text += [
        "![uplift](uplift.png)",
        "",
        "![funnel](funnel_side_by_side.png)",
        "",
        "## Interpretation (generated from the table above)",
        "",
    ]
    text += [f"{i}. {s}" for i, s in
             enumerate(interpret(table, daily_a, daily_b, seed, cur), start=1)]
    text.append("")
    files = ("`comparison.md` / `comparison.parquet` (the table), `runs_a.parquet` / `runs_b.parquet` (one "
             "row per seed), `uplift.png`, `loop.png`, `funnel_side_by_side.png`")
    if feature_part:
        text += feature_part
        files += ("; the feature study: `features.parquet` (one row per arm), "
                  "`features_sensitivity.parquet`, `features_breakeven.parquet`, `features_runs.parquet` "
                  "(every run's summary, column `arm`), `feature_profit.png`")
    text += [f"Files: {files}.", ""]
    atomic_write(path, lambda p: Path(p).write_text("\n".join(text)))


def _feature_section(features, sens, be, cons, cfg, running_cost: float, n_brand: int, seeds) -> list[str]:
    cur = cfg.economics.currency
    omo = cfg.campaign.omo
    vs_ref = features[features["group"] != "inside the package"]
    inside = features[features["group"] == "inside the package"]
    return [
        "## Which OMO features pay",
        "",
        "Each of the five features is added alone to O2O (`o2o_reference` with the OMO lever on and only "
        "that feature on) and removed alone from the full package (`omo_full` with only that feature off). "
        f"Every arm runs on the same {len(seeds)} seeds as O2O and is paired with it (common random "
        "numbers). **The OMO lever's running cost** (`fixed_cost_per_store_day` = "
        f"{omo.fixed_cost_per_store_day:g} {cur} x {n_brand} brand stores x {cfg.days} days = "
        f"{running_cost:,.0f} {cur} per run) **is paid whenever the lever is on**, whichever features are "
        "on, so an added-alone arm carries all of it. A feature's share inside the package is OMO against "
        "OMO without it (same seeds; the running cost cancels). Verdict on the brand's incremental "
        "contribution profit: **pays** if its 95% CI is above 0, **loses** if below, **not settled** "
        "otherwise. Incremental ROI = mean paired Δ brand profit / mean paired Δ brand spend, with "
        f"Fieller's 95% interval. Money in {cur} per run.",
        "",
        "### Under the default terms",
        "",
        _feature_rows_md(vs_ref, cur),
        "A feature's share inside the package:",
        "",
        _feature_rows_md(inside, cur),
        "![the brand's incremental profit per arm](feature_profit.png)",
        "",
        "### Commission and delivery cost",
        "",
        "Commission rates and who runs deliveries only move money between the brand and the platform: no "
        "consumer sees them, so no run changes. Each arm's incremental profit is recomputed from its runs' "
        "totals (the amount paid on delivery and platform-coupon orders, delivery orders, each party's "
        "commission and delivery items) under each term, paired by seed as above. The consumer's delivery "
        f"fee ({omo.delivery_fee:g} {cur}) is a behaviour parameter and is held at its value. Cells: mean "
        f"Δ brand profit ({cur} per run) and the verdict (open = not settled).",
        "",
        _sensitivity_md(sens, cons, cur),
        "Break-even terms (where the mean Δ brand profit crosses 0) and where each verdict holds, scanning "
        "the delivery commission from 0 to 100% (the platform delivers), the rider cost from 0 to "
        f"{RIDER_SEARCH_MAX:g} {cur} per order (the brand delivers and collects the fee) and the coupon "
        "commission from 0 to 100% (Δ paid: mean paired change per run, "
        f"{cur}):",
        "",
        _breakeven_md(be, cur),
        "### Reading (generated from the tables above)",
        "",
        *[f"{i}. {s}" for i, s in enumerate(feature_sentences(features, sens, be, cfg, running_cost, n_brand),
                                            start=1)],
        "",
    ]


# ----------------------------------------------------------------------------- driver
def _check_recomputation(runs: dict[str, pd.DataFrame], cfg) -> None:
    """The money recomputed at the runs' own terms must give the runs' profits (else the ledger changed)."""
    terms = default_terms(cfg)
    for key, frame in runs.items():
        again = recompute_money(frame, **terms)
        for col in ("brand_contribution", "others_contribution", "platform_contribution"):
            got, want = again[col].to_numpy(), frame[col].astype(float).to_numpy()
            if not np.allclose(got, want, rtol=1e-9, atol=1e-6 * max(1.0, float(np.abs(want).max()))):
                raise RuntimeError(f"arm {key}: {col} recomputed from the run totals differs from the runs' "
                                   "(the ledger's rule changed; update recompute_money)")


def run_study(reps: int = 10, days: int = 60, consumers: int | None = None, jobs: int = 2,
              out: Path = DEFAULT_OUT, first_seed: int = 0, command: str | None = None,
              features: bool = True) -> pd.DataFrame:
    """Run the arms, write every output into ``out``; return the KPI table of OMO against O2O."""
    if reps < 2:
        raise ValueError(f"reps={reps}; allowed: an integer >= 2")
    out = Path(out)
    overrides = [f"days={days}"] + ([f"population.size={consumers}"] if consumers else [])
    cfg_a = sim.load_config([f"scenario={SCENARIO_A}", *overrides])
    cfg_b = sim.load_config([f"scenario={SCENARIO_B}", *overrides])
    arms = feature_arms(cfg_a, cfg_b)
    if not features:
        arms = {k: arms[k] for k in (REF, FULL)}
    seeds = list(range(first_seed, first_seed + reps))
    runs, daily = run_arms(arms, seeds, jobs, daily_of=(REF, FULL))
    econ = cfg_b.economics

    comp = Comparison(LABEL_A, LABEL_B, runs[REF], runs[FULL], currency=econ.currency,
                      currency_symbol=econ.currency_symbol)
    runs_a, runs_b, kpis, missing = _prepare_runs(runs[REF], runs[FULL])
    study = _StudyComparison(**{f.name: getattr(comp, f.name) for f in fields(comp)})
    study.runs_a, study.runs_b, study.kpis = runs_a, runs_b, kpis
    table = write_comparison(study, out)
    plot_uplift_readable(table, out / "uplift.png")
    plot_funnel(runs_a, runs_b, daily[REF], daily[FULL], table, first_seed, out / "funnel_side_by_side.png")

    n_brand = int(runs[REF]["brand_stores"].iloc[0])
    feature_part = None
    if features:
        _check_recomputation(runs, cfg_b)
        running_cost = cfg_b.campaign.omo.fixed_cost_per_store_day * n_brand * cfg_b.days
        cons = contrasts()
        feats = feature_table(runs, cons, cfg_b, running_cost)
        sens = sensitivity_table(runs, cons, cfg_b)
        be = breakeven_table(runs, cons, cfg_b)
        allruns = pd.concat([f.assign(arm=k) for k, f in runs.items()], ignore_index=True)
        for name, frame in (("features", feats), ("features_sensitivity", sens), ("features_breakeven", be),
                            ("features_runs", allruns)):
            atomic_write(out / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
        plot_feature_profit(feats, sens, econ.currency, running_cost, out / "feature_profit.png")
        feature_part = _feature_section(feats, sens, be, cons, cfg_b, running_cost, n_brand, seeds)

    write_results_md(out / "RESULTS.md", command=command or _command(reps, days, consumers, jobs, out,
                                                                        first_seed, features),
                     table=table, kpis=kpis, missing=missing, seeds=seeds, cfg_a=cfg_a, cfg_b=cfg_b,
                     daily_a=daily[REF], daily_b=daily[FULL], seed=first_seed, n_brand=n_brand,
                     feature_part=feature_part)
    return table


def _command(reps, days, consumers, jobs, out, first_seed, features=True) -> str:
    out = Path(out).resolve()
    shown = out.relative_to(REPO) if out.is_relative_to(REPO) else out
    parts = [".venv/bin/python", "experiments/o2o_vs_omo/run.py", "--reps", str(reps), "--days", str(days)]
    if consumers:
        parts += ["--consumers", str(consumers)]
    parts += ["--jobs", str(jobs), "--out", str(shown)]
    if first_seed:
        parts += ["--first-seed", str(first_seed)]
    if not features:
        parts.append("--no-features")
    return shlex.join(parts)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (2 for bad input)."""
    args = _parser().parse_args(argv)
    if args.reps < 2 or args.days < 1 or args.jobs < 1 or (args.consumers is not None and args.consumers < 1):
        print("run.py: need --reps >= 2, --days >= 1, --jobs >= 1, --consumers >= 1", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        table = run_study(args.reps, args.days, args.consumers, args.jobs, args.out, args.first_seed,
                          features=args.features)
    except sim.ConfigError as err:
        print(f"run.py: {err}", file=sys.stderr)
        return 2
    cols = ["kpi", "unit", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "narrowing"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    if args.features:
        feats = pd.read_parquet(Path(args.out) / "features.parquet")
        print(feats[["label", "d_brand_contribution", "d_brand_contribution_low", "d_brand_contribution_high",
                     "verdict"]].to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    print(f"{Path(args.out).resolve()}  ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
