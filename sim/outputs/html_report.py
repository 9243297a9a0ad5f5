"""One-page HTML reports a strategist can open anywhere: no network, figures embedded.

Core functions:
    * :func:`page` - a self-contained HTML page: a title, plain sentences first, tables,
      and PNG figures embedded as data URIs (nothing is fetched when it is opened).
    * :func:`comparison_page` - the report of a :class:`~sim.studies.compare.Comparison`
      (``comparison.html`` beside ``comparison.md``).
    * :func:`run_page` - the report of one run (``report.html`` beside its files).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from sim.outputs.story import run_story

__all__ = ["comparison_page", "page", "run_page"]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
ul.verdict li { margin: 0.4rem 0; font-size: 1.05rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; height: auto; margin: 0.5rem 0; border: 1px solid #eee; }
.note { color: #555; font-size: 0.9rem; }
"""


def _figure(path: Path, caption: str) -> str:
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption class=\"note\">{html.escape(caption)}</figcaption></figure>")


def _cell(value) -> str:
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "n/a"
        if float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return html.escape(str(value))


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def page(title: str, sentences: list[str], sections: list[tuple[str, str]]) -> str:
    """A self-contained HTML page.

    Args:
        title: the page title.
        sentences: plain sentences shown first, as a list.
        sections: ``(heading, html body)`` pairs, in order (bodies are trusted HTML made here).
    """
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    body = "".join(f"<h2>{html.escape(h)}</h2>{b}" for h, b in sections)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><ul class=\"verdict\">{items}</ul>{body}</body></html>\n")


def comparison_page(comp, table: pd.DataFrame, folder: Path) -> str:
    """The comparison's page: the verdict, the KPI table and the figures of ``folder``."""
    cols = [c for c in ("kpi", "unit", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "narrowing", "note")
            if c in table.columns]
    shown = table[cols].rename(columns={"mean_a": comp.label_a, "mean_b": comp.label_b,
                                        "diff": "difference (B - A)", "ci_low": "95% CI low",
                                        "ci_high": "95% CI high", "narrowing": "narrower than unpaired"})
    seeds = sorted(comp.runs_a["seed"].tolist())
    note = (f"<p class=\"note\">Paired over seeds {seeds} (common random numbers); money in {comp.currency}. "
            "Money ratios are ratios of the mean paired differences with Fieller's 95% interval.</p>")
    return page(f"{comp.label_b} vs {comp.label_a}", comp.verdict(), [
        ("The numbers", note + _table(shown)),
        ("Figures", _figure(folder / "uplift.png", "change of each KPI, 95% interval")
         + _figure(folder / "loop.png", "the loop side by side")),
    ])


def run_page(results, folder: Path) -> str:
    """One run's page: its story (:func:`sim.outputs.story.run_story`), the P&L per party and its figures.

    The figures are those of ``folder/figures``.
    """
    econ = results.config.economics
    s = results.summary
    pnl = results.pnl.groupby("party", sort=False).sum(numeric_only=True).drop(columns=["day"],
                                                                                errors="ignore")
    pnl = pnl.T.reset_index().rename(columns={"index": f"item ({econ.currency})"})
    kpis = pd.DataFrame({"KPI": ["visits", "purchases", "unique_customers", "redemptions", "revenue",
                                 "campaign_spend", "attributed_roi", "mean_wait_min", "final_mean_rating"]})
    kpis["value"] = [s.get(k, float("nan")) for k in kpis["KPI"]]
    figures = "".join(_figure(folder / "figures" / f"{name}.png", caption) for name, caption in (
        ("funnel", "the funnel"), ("daily", "day by day"), ("city_map", "the city")))
    return page(f"Run: {s.get('scenario', '')}, seed {s.get('seed', '')}",
                run_story(s, econ.currency, econ.currency_symbol),
                [("Key figures", _table(kpis)), ("Money by party", _table(pnl)), ("Figures", figures)])
