"""Comparison reports: the KPI table as Parquet and Markdown, and an uplift figure.

Core function: :func:`write_comparison` - writes ``comparison.parquet``,
``runs_a.parquet``, ``runs_b.parquet``, ``comparison.md`` and ``uplift.png``
(relative difference of each KPI with its 95% interval) into a folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .results import atomic_write

__all__ = ["markdown_table", "plot_uplift", "write_comparison"]


def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"


def markdown_table(table: pd.DataFrame, label_a: str, label_b: str) -> str:
    """The comparison as a Markdown table."""
    lines = [f"| KPI | {label_a} | {label_b} | difference ({label_b} - {label_a}) | 95% CI | "
             "CI narrower than independent seeds |", "|---|---|---|---|---|---|"]
    for r in table.itertuples():
        narrow = f"{r.narrowing:.1f}x" if np.isfinite(r.narrowing) else "n/a"
        lines.append(f"| {r.kpi} | {_fmt(r.mean_a)} | {_fmt(r.mean_b)} | {_fmt(r.diff)} | "
                     f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}] | {narrow} |")
    return "\n".join(lines) + "\n"


def plot_uplift(table: pd.DataFrame, label_a: str, label_b: str, path: str | Path) -> None:
    """Relative difference (B - A) / |A| per KPI with 95% intervals."""
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
    ax.set_title(f"{label_b} vs {label_a}", fontsize=10)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)


def write_comparison(comp, folder: str | Path) -> pd.DataFrame:
    """Write a :class:`~sim.compare.Comparison` report into ``folder``; return its table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = comp.table()
    atomic_write(folder / "comparison.parquet", lambda p: table.to_parquet(p, index=False))
    atomic_write(folder / "runs_a.parquet", lambda p: comp.runs_a.to_parquet(p, index=False))
    atomic_write(folder / "runs_b.parquet", lambda p: comp.runs_b.to_parquet(p, index=False))
    text = (f"# {comp.label_b} vs {comp.label_a}\n\nPaired over seeds "
            f"{sorted(comp.runs_a['seed'].tolist())} (common random numbers).\n\n"
            + markdown_table(table, comp.label_a, comp.label_b)
            + "\n![uplift](uplift.png)\n")
    atomic_write(folder / "comparison.md", lambda p: Path(p).write_text(text))
    plot_uplift(table, comp.label_a, comp.label_b, folder / "uplift.png")
    return table
