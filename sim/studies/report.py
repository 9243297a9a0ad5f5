"""Comparison reports: the KPI table as Parquet and Markdown, the uplift and the loop side by side.

Core functions:
    * :func:`write_comparison` - writes ``comparison.parquet``, ``runs_a.parquet``,
      ``runs_b.parquet``, ``comparison.md``, ``uplift.png`` (relative difference
      of each KPI with its 95% interval), ``loop.png`` and ``comparison.html`` (one
      self-contained page, :mod:`sim.outputs.html_report`) into a folder.
    * :func:`plot_loop` - the two arms side by side (means over seeds): funnel,
      drop-off causes (psychological vs operational), attribution of purchases
      by source, and purchases by channel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.outputs.files import atomic_write, save_png

__all__ = ["markdown_table", "plot_loop", "plot_uplift", "write_comparison"]

LOOP_PANELS = {
    "Funnel": {"intents": "intents", "visits": "visits", "purchases": "purchases"},
    "Drop-off causes": {"psycho-\nlogical": "dropoff_psychological",
                        "opera-\ntional": "dropoff_operational", "no-show": "no_shows",
                        "balked": "balked", "reneged /\nclosed": "reneged_or_closed",
                        "stock-out": "stockouts"},
    "Purchases by source": {"push": "purchases_push", "ad": "purchases_ad", "CRM": "purchases_crm",
                            "share": "purchases_share",
                            "repeat": "purchases_repeat", "organic": "purchases_organic"},
    "Purchases by channel": {"in store": "purchases_in_store", "pick-up": "purchases_pickup",
                             "delivery": "purchases_delivery"},
}


def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"


def markdown_table(table: pd.DataFrame, label_a: str, label_b: str) -> str:
    """The comparison as a Markdown table (money ratios: ratio of mean paired differences, Fieller CI)."""
    lines = [f"| KPI | unit | {label_a} | {label_b} | difference ({label_b} - {label_a}) | 95% CI | "
             "CI narrower than independent seeds |", "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        narrow = f"{r.narrowing:.1f}x" if np.isfinite(r.narrowing) else "n/a"
        note = getattr(r, "note", "") or ""
        diff = note if note and not np.isfinite(r.diff) else _fmt(r.diff)
        lines.append(f"| {r.kpi} | {r.unit} | {_fmt(r.mean_a)} | {_fmt(r.mean_b)} | {diff} | "
                     f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}] | {narrow} |")
    return "\n".join(lines) + "\n"


def plot_uplift(table: pd.DataFrame, label_a: str, label_b: str, path: str | Path,
                currency: str = "CNY") -> None:
    """Relative difference (B - A) / |A| per KPI with 95% intervals (money KPIs in ``currency``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table[np.isfinite(table["rel_diff"])].reset_index(drop=True)
    base = t["mean_a"].abs()
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(t), 4) + 1.5))
    y = np.arange(len(t))
    ax.errorbar(100 * t["rel_diff"], y, xerr=[100 * (t["diff"] - t["ci_low"]) / base,
                                              100 * (t["ci_high"] - t["diff"]) / base],
                fmt="o", color="#4c72b0", capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, t["kpi"])
    ax.invert_yaxis()
    ax.set_xlabel(f"change of {label_b} against {label_a} (%), 95% CI, paired over {int(t['n'].max())} seeds")
    ax.set_title(f"{label_b} vs {label_a} (money in {currency})", fontsize=10)
    fig.tight_layout()
    save_png(fig, path)


def plot_loop(comp, path: str | Path) -> None:
    """Both arms side by side, mean over seeds (see module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 8))
    width = 0.38
    for ax, (title, items) in zip(axes.ravel(), LOOP_PANELS.items(), strict=True):
        items = {k: v for k, v in items.items() if v in comp.runs_a and v in comp.runs_b}
        x = np.arange(len(items))
        for i, (label, runs, color) in enumerate(((comp.label_a, comp.runs_a, "#8c8c8c"),
                                                  (comp.label_b, comp.runs_b, "#4c72b0"))):
            means = [float(runs[col].mean()) for col in items.values()]
            bars = ax.bar(x + (i - 0.5) * width, means, width, label=label, color=color)
            for bar, v in zip(bars, means, strict=True):
                ax.annotate(f"{v:,.0f}", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom",
                            fontsize=7, xytext=(0, 1), textcoords="offset points")
        ax.set_xticks(x, list(items), fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
    axes[0, 1].set_title("Drop-off causes (psychological / operational: reached online, no intent)",
                         fontsize=10)
    n = len(comp.runs_a)
    fig.suptitle(f"The loop: {comp.label_a} vs {comp.label_b} (means over {n} paired seeds)", fontsize=11)
    fig.tight_layout()
    save_png(fig, path)


def write_comparison(comp, folder: str | Path) -> pd.DataFrame:
    """Write a :class:`~sim.studies.compare.Comparison` report into ``folder``; return its table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = comp.table()
    atomic_write(folder / "comparison.parquet", lambda p: table.to_parquet(p, index=False))
    atomic_write(folder / "runs_a.parquet", lambda p: comp.runs_a.to_parquet(p, index=False))
    atomic_write(folder / "runs_b.parquet", lambda p: comp.runs_b.to_parquet(p, index=False))
    verdict = "\n".join(f"- {line}" for line in comp.verdict())
    text = (f"# {comp.label_b} vs {comp.label_a}\n\n## Verdict\n\n{verdict}\n\n## The numbers\n\n"
            f"Paired over seeds {sorted(comp.runs_a['seed'].tolist())} (common random numbers); money in "
            f"{comp.currency}. `brand_*` is the merchant running the levers, `others_*` every other "
            "merchant, `platform_*` the platform (docs/OUTPUTS.md section 10). The money ratios are "
            "ratios of the mean paired differences with Fieller's 95% interval, n/a when the "
            "denominator's difference is not significant.\n\n"
            + markdown_table(table, comp.label_a, comp.label_b)
            + "\n![uplift](uplift.png)\n\n![the loop side by side](loop.png)\n")
    atomic_write(folder / "comparison.md", lambda p: Path(p).write_text(text))
    plot_uplift(table, comp.label_a, comp.label_b, folder / "uplift.png", comp.currency)
    plot_loop(comp, folder / "loop.png")
    from sim.outputs.html_report import comparison_page

    page = comparison_page(comp, table, folder)
    atomic_write(folder / "comparison.html", lambda p: Path(p).write_text(page, encoding="utf-8"))
    return table
