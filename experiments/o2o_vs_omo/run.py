"""O2O vs OMO: does merging channels change the loop (DOMAIN.md section 4)?

Runs the scenarios ``o2o_reference`` (push coupons + in-store QR joins, channels
separate) and ``omo_full`` (the same plus unified points, integrated inventory,
pick-up and delivery at the brand's stores) on the same seeds and the same city
(common random numbers, :func:`sim.compare.compare`), then writes into ``--out``:

* ``comparison.md``, ``comparison.parquet``, ``runs_a.parquet``, ``runs_b.parquet``,
  ``uplift.png`` - the standard paired report (:func:`sim.report.write_comparison`);
* ``funnel_side_by_side.png`` - intents, visits and purchases of both arms (mean
  over seeds) and purchases by channel (one seed of each arm, from the daily data);
* ``RESULTS.md`` - question, setup, exact command, KPI table and an
  interpretation generated from the numbers (nothing in it is hard-coded).

Usage (from the repository root)::

    .venv/bin/python experiments/o2o_vs_omo/run.py [--reps N] [--days D] [--consumers N]
        [--jobs J] [--out DIR] [--first-seed S]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(REPO))

import sim  # noqa: E402
from sim.compare import Comparison, compare  # noqa: E402
from sim.report import write_comparison  # noqa: E402
from sim.results import atomic_write  # noqa: E402

__all__ = ["KPI_CANDIDATES", "main", "run_study"]

SCENARIO_A, SCENARIO_B = "o2o_reference", "omo_full"
LABEL_A, LABEL_B = "O2O", "OMO"
DEFAULT_OUT = REPO / "docs" / "o2o_vs_omo"

#: KPIs the study reports, in this order, if the run summaries have them.
KPI_CANDIDATES = (
    "intents", "visits", "purchases", "purchases_in_store", "unique_customers", "repeat_rate", "revenue",
    "campaign_spend",
    "mean_wait_min", "balk_rate", "final_mean_rating", "members", "qr_joins", "share_beyond_walk",
    "mean_trip_km", "share_pickup", "share_delivery", "loop_gain", "omo_avoided_trips", "omo_points",
    "dropoff_operational", "dropoff_psychological", "clv_per_member",
)
#: Counters a lever adds to the summary only when it runs: 0 in an arm without that lever.
ZERO_WHEN_LEVER_OFF = ("qr_joins", "omo_avoided_trips", "omo_points")
CHANNEL_COLUMNS = ("purchases_in_store", "purchases_pickup", "purchases_delivery")


class _StudyComparison(Comparison):
    """A :class:`Comparison` whose default KPI list is the study's (for ``write_comparison``)."""

    kpis: tuple[str, ...] = ()

    def table(self, kpis=None) -> pd.DataFrame:  # noqa: D102
        return super().table(tuple(kpis) if kpis else self.kpis)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=10, help="replications (seeds) per arm, >= 2")
    p.add_argument("--days", type=int, default=60, help="recorded days per run")
    p.add_argument("--consumers", type=int, default=None, help="population size (default: the scenario's)")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default docs/o2o_vs_omo)")
    p.add_argument("--first-seed", type=int, default=0, help="first seed")
    return p


# ----------------------------------------------------------------------------- helpers
def _num(v: float, pct: bool = False) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    if pct:
        return f"{100 * v:+.1f}%"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.2f}"
    return f"{v:.3f}"


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


def _prepare_runs(comp: Comparison) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...], list[str]]:
    """Fill lever counters absent from one arm with 0; the available KPI list and the missing keys."""
    a, b = comp.runs_a.copy(), comp.runs_b.copy()
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


# ----------------------------------------------------------------------------- figures
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return matplotlib, plt


def plot_uplift_readable(table: pd.DataFrame, path: Path, clip_pct: float = 250.0) -> None:
    """Relative change per KPI with its 95% CI; KPIs beyond +-clip_pct are drawn at the edge and labelled.

    Replaces the ``uplift.png`` of :func:`sim.report.write_comparison`, whose shared linear axis
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
        ax.errorbar(rel[i], y[i], xerr=[[rel[i] - lo[i]], [hi[i] - rel[i]]], fmt="o", color=color, capsize=3)
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
    """Left: intents/visits/purchases per arm (mean over seeds) with the paired change.

    Right: purchases by channel and beyond walking distance (one seed per arm, daily data).
    """
    matplotlib, plt = _plt()
    fmt = matplotlib.ticker.StrMethodFormatter("{x:,.0f}")
    stages = [s for s in ("intents", "visits", "purchases") if s in runs_a and s in runs_b]
    has_channels = all(c in daily_a and c in daily_b for c in CHANNEL_COLUMNS)
    fig, axes = plt.subplots(1, 2 if has_channels else 1, figsize=(12 if has_channels else 6.5, 5),
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
    ax.set_xticks(x, stages)
    ax.set_ylim(0, top * 1.3)
    ax.set_ylabel("count per run (all stores, recorded days)")
    ax.set_title(f"Funnel, mean over {len(runs_a)} seeds\n(labels: {LABEL_B} vs {LABEL_A}, paired 95% CI)",
                 fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    ax.yaxis.set_major_formatter(fmt)

    if has_channels:
        ax = axes[0, 1]
        names = {"purchases_in_store": "in store", "purchases_pickup": "pick-up",
                 "purchases_delivery": "delivery"}
        ccolors = {"purchases_in_store": "#8c8c8c", "purchases_pickup": "#55a868",
                   "purchases_delivery": "#c44e52"}
        arms = ((LABEL_A, daily_a), (LABEL_B, daily_b))
        xs = np.array([0.0, 1.0])
        wb = 0.36
        bottom = np.zeros(2)
        for col in CHANNEL_COLUMNS:
            vals = np.array([float(d[col].sum()) for _, d in arms])
            bars = ax.bar(xs - wb / 2, vals, wb, bottom=bottom, color=ccolors[col], label=names[col])
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
        ax.set_ylabel("purchases per run")
        ax.set_title(f"Purchases by channel, seed {seed} (one run per arm)", fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
        ax.yaxis.set_major_formatter(fmt)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


# ----------------------------------------------------------------------------- text
def _kpi_table_md(table: pd.DataFrame) -> str:
    lines = [f"| KPI | {LABEL_A} | {LABEL_B} | difference ({LABEL_B} - {LABEL_A}) | 95% CI | relative | "
             "CI excludes 0 | CI narrower than independent seeds |",
             "|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        v = _verdict(r)
        narrow = f"{r.narrowing:.1f}x" if np.isfinite(r.narrowing) else "n/a"
        lines.append(f"| {r.kpi} | {_num(r.mean_a)} | {_num(r.mean_b)} | {_num(r.diff)} | "
                     f"[{_num(r.ci_low)}, {_num(r.ci_high)}] | {_num(r.rel_diff, pct=True)} | "
                     f"{'yes' if v in ('higher', 'lower') else 'no'} | {narrow} |")
    return "\n".join(lines) + "\n"


def interpret(table: pd.DataFrame, daily_a: pd.DataFrame, daily_b: pd.DataFrame, seed: int,
              margin: float) -> list[str]:
    """3-5 sentences on DOMAIN.md section 4, every claim conditioned on the numbers."""
    out: list[str] = []
    g = lambda k: _row(table, k)  # noqa: E731

    # 1. reach: purchases, new channels, substitution, geography
    pur, ins, sbw = g("purchases"), g("purchases_in_store"), g("share_beyond_walk")
    sp, sd = g("share_pickup"), g("share_delivery")
    if pur is not None:
        s = f"**Reach.** Under {LABEL_B} {_says(pur, 'purchases per run', plural=True)}"
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
    av = g("omo_avoided_trips")
    if av is not None:
        so_a = int(daily_a["stockouts"].sum()) if "stockouts" in daily_a else None
        if av.mean_b == 0:
            s = ("**Wasted trips.** Integrated inventory avoided no trip: no visit to a brand store met a "
                 "stock-out in any run")
        else:
            s = (f"**Wasted trips.** Integrated inventory turned {_num(av.mean_b)} trips per run that would "
                 f"have met a sold-out brand store into deliveries (95% CI [{_num(av.ci_low)}, "
                 f"{_num(av.ci_high)}])")
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
        out.append(f"**Loyalty.** Under the whole {LABEL_B} package (shared points are one part; this design "
                   "does not isolate them) " + "; ".join(parts) + ".")

    # 4. costs against the extra margin
    spend, rev, pts = g("campaign_spend"), g("revenue"), g("omo_points")
    if spend is not None and rev is not None:
        s = f"**Cost.** {_says(spend, 'Lever spend per run')}"
        if pts is not None and pts.mean_b > 0:
            s += f" (the OMO lever's unified-points counter: {_num(pts.mean_b)})"
        extra_margin = margin * rev["diff"]
        roi = g("incremental_roi")
        if roi is not None and np.isfinite(roi.mean_b):
            v = _verdict(roi)
            s += (f"; the incremental ROI (margin {margin:.0%} x extra revenue - extra spend, over extra "
                  "spend; "
                  f"revenue is city-wide, so an upper bound for the brand) is {_num(roi.mean_b)} (95% CI "
                  f"[{_num(roi.ci_low)}, {_num(roi.ci_high)}]), "
                  + ("so in this model the package more than pays for itself" if v == "higher" else
                     "so in this model the package does not pay for itself" if v == "lower" else
                     "so the runs cannot tell whether the package pays for itself"))
        elif _verdict(rev) == "higher" and extra_margin > 0:
            ratio = spend["diff"] / extra_margin
            s += (f"; revenue rises by {_num(rev['diff'])} ({_num(rev.rel_diff, pct=True)}), i.e. "
                  f"{_num(extra_margin)} of gross margin at {margin:.0%} (city-wide, so an upper bound "
                  f"for the brand), and the extra spend is {ratio:.0%} of that, "
                  + ("so in this model the package pays for itself" if ratio < 1 else
                     "so in this model the package does not pay for itself"))
        else:
            s += (f"; revenue does not rise detectably ({_effect(rev)}), so the extra spend is not shown "
                  "to be recovered")
        out.append(s + ".")

    # 5. service
    wt, bk = g("mean_wait_min"), g("balk_rate")
    bits = [x for x in (wt is not None and _says(wt, "the mean queue wait", unit=" min"),
                        bk is not None and _says(bk, "the balk rate", pp=True)) if x]
    if bits and len(out) < 5:
        out.append("**Service.** " + " and ".join(bits)[0].upper() + " and ".join(bits)[1:] + ".")
    return out


def write_results_md(path: Path, *, command: str, table: pd.DataFrame, kpis, missing, seeds, cfg_a, cfg_b,
                     daily_a, daily_b, seed: int) -> None:
    """The study's summary file."""
    narrowing = table.loc[table["kpi"].isin(kpis), "narrowing"].replace([np.inf, -np.inf], np.nan).dropna()
    n_brand = max(1, int(round(cfg_b.campaign.brand_share * cfg_b.stores.count)))
    omo = cfg_b.campaign.omo
    text = [
        "# O2O vs OMO: what does merging channels change?",
        "",
        "Reproduce (from the repository root):",
        "",
        "```bash",
        command,
        "```",
        "",
        "## Question",
        "",
        "DOMAIN.md section 4: *O2O is the bridge, OMO is the merge.* Holding the push campaign and the",
        "in-store QR joins fixed, what does adding the OMO package (unified points, integrated inventory,",
        "order-ahead pick-up and home delivery at the brand's stores) change: wasted trips on stock-outs,",
        "purchases beyond walking distance, loyalty and repeat purchases from shared points - and what",
        "does it cost?",
        "",
        "## Setup",
        "",
        f"* Arm A `{SCENARIO_A}` ({LABEL_A}): push coupons + QR joins; channels, stock and membership "
        "separate.",
        f"* Arm B `{SCENARIO_B}` ({LABEL_B}): the same, plus unified points ({omo.points_rate:.0%} of "
        f"spend), integrated inventory, pick-up (hassle {omo.pickup_hassle} utils) and delivery (fee "
        f"{omo.delivery_fee}, radius {omo.delivery_radius_km} km), running cost "
        f"{omo.fixed_cost_per_store_day} per brand store-day.",
        "* Same city, people and daily draws in both arms (common random numbers): seeds "
        f"{seeds[0]}..{seeds[-1]} ({len(seeds)} per arm); {cfg_a.population.size:,} consumers, "
        f"{cfg_a.stores.count} stores "
        f"({n_brand} in the brand), {cfg_a.days} recorded days after a {cfg_a.warmup_days}-day warm-up; "
        f"initial member share {cfg_a.population.member_share:.0%}.",
        "* `purchases_in_store` is derived per run as purchases x (1 - share_pickup - share_delivery).",
        "* KPIs are per run (whole city, recorded days). Differences are B - A paired by seed with a 95%",
        "  t-interval; the last column is how much narrower that interval is than an independent-seeds",
        "  design with the same runs would give.",
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
        text += ["Money of the difference (per-seed ratios of the extra spend, mean over seeds with a 95% "
                 "t-interval; from `sim.compare.Comparison.table`):", "",
                 "| ratio | mean | 95% CI | seeds |", "|---|---|---|---|"]
        text += [f"| {r.kpi} | {_num(r.mean_b)} | [{_num(r.ci_low)}, {_num(r.ci_high)}] | {int(r.n)} |"
                 for r in extra.itertuples()]
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
    margin = cfg_b.stores.margin
    text += [f"{i}. {s}" for i, s in
             enumerate(interpret(table, daily_a, daily_b, seed, margin), start=1)]
    text += [
        "",
        "Files: `comparison.md` / `comparison.parquet` (the table), `runs_a.parquet` / `runs_b.parquet`",
        "(one row per seed), `uplift.png`, `funnel_side_by_side.png`.",
        "",
    ]
    atomic_write(path, lambda p: Path(p).write_text("\n".join(text)))


# ----------------------------------------------------------------------------- driver
def run_study(reps: int = 10, days: int = 60, consumers: int | None = None, jobs: int = 2,
              out: Path = DEFAULT_OUT, first_seed: int = 0, command: str | None = None) -> pd.DataFrame:
    """Run both arms, write every output into ``out``; return the KPI table."""
    if reps < 2:
        raise ValueError(f"reps={reps}; allowed: an integer >= 2")
    out = Path(out)
    overrides = [f"days={days}"] + ([f"population.size={consumers}"] if consumers else [])
    cfg_a = sim.load_config([f"scenario={SCENARIO_A}", *overrides])
    cfg_b = sim.load_config([f"scenario={SCENARIO_B}", *overrides])

    comp = compare(cfg_a, cfg_b, reps=reps, first_seed=first_seed, label_a=LABEL_A, label_b=LABEL_B,
                   n_jobs=jobs)
    runs_a, runs_b, kpis, missing = _prepare_runs(comp)
    study = _StudyComparison(**{f.name: getattr(comp, f.name) for f in fields(comp)})
    study.runs_a, study.runs_b, study.kpis = runs_a, runs_b, kpis
    table = write_comparison(study, out)

    import dataclasses

    res_a = sim.run(dataclasses.replace(cfg_a, seed=first_seed))
    res_b = sim.run(dataclasses.replace(cfg_b, seed=first_seed))
    plot_uplift_readable(table, out / "uplift.png")
    plot_funnel(runs_a, runs_b, res_a.daily, res_b.daily, table, first_seed, out / "funnel_side_by_side.png")

    seeds = sorted(int(s) for s in runs_a["seed"])
    write_results_md(out / "RESULTS.md", command=command or _command(reps, days, consumers, jobs, out,
                                                                        first_seed),
                     table=table, kpis=kpis, missing=missing, seeds=seeds, cfg_a=cfg_a, cfg_b=cfg_b,
                     daily_a=res_a.daily, daily_b=res_b.daily, seed=first_seed)
    return table


def _command(reps, days, consumers, jobs, out, first_seed) -> str:
    out = Path(out).resolve()
    shown = out.relative_to(REPO) if out.is_relative_to(REPO) else out
    parts = [".venv/bin/python", "experiments/o2o_vs_omo/run.py", "--reps", str(reps), "--days", str(days)]
    if consumers:
        parts += ["--consumers", str(consumers)]
    parts += ["--jobs", str(jobs), "--out", str(shown)]
    if first_seed:
        parts += ["--first-seed", str(first_seed)]
    return shlex.join(parts)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (2 for bad input)."""
    args = _parser().parse_args(argv)
    if args.reps < 2 or args.days < 1 or args.jobs < 1 or (args.consumers is not None and args.consumers < 1):
        print("run.py: need --reps >= 2, --days >= 1, --jobs >= 1, --consumers >= 1", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        table = run_study(args.reps, args.days, args.consumers, args.jobs, args.out, args.first_seed)
    except sim.ConfigError as err:
        print(f"run.py: {err}", file=sys.stderr)
        return 2
    cols = ["kpi", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "narrowing"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(f"{Path(args.out).resolve()}  ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
