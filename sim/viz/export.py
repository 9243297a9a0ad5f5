"""Export: the current comparison as one zip file for the class handout (figures and the series as CSV).

Core functions:
    * :func:`series_frame` - one row per city and day: journey stages, visits, the brand's
      stores (visits, purchases, visitors who gave up, wait, rating), visits a push or CRM
      message brought, messages sent, and the brand's profit items so far.
    * :func:`money_frame` - one row per city: the brand's profit items so far and their
      difference against the reference city.
    * :func:`export_zip` - ``series.csv``, ``money.csv``, ``charts.png``, ``maps.png`` and a
      ``README.txt`` saying what each holds, as zip bytes; :func:`export_name` - its file name.
"""

from __future__ import annotations

import io
import zipfile

import pandas as pd

from sim.viz.drawing import charts_figure, maps_figure
from sim.viz.money import ITEMS, difference

__all__ = ["EXPORT_FILES", "export_name", "export_zip", "money_frame", "series_frame"]

EXPORT_FILES = ("README.txt", "series.csv", "money.csv", "charts.png", "maps.png")
#: Resolution of the exported figures.
EXPORT_DPI = 120


def series_frame(model) -> pd.DataFrame:
    """One row per city and day so far (``city``, then the history row's columns; money in ¥)."""
    rows = [{"city": arm.name, **row} for arm in model.arms for row in arm.history]
    if not rows:
        return pd.DataFrame({"city": pd.Series(dtype=str), "day": pd.Series(dtype="int64")})
    return pd.DataFrame(rows)


def money_frame(model) -> pd.DataFrame:
    """One row per city: the brand's items so far (¥) and, for each, the difference against the reference."""
    ref = model.arms[0]
    rows = []
    for arm in model.arms:
        delta = difference(ref.money, arm.money)
        rows.append({"city": arm.name, "days": model.day, **{k: arm.money.totals[k] for k in ITEMS},
                     **{f"{k}_vs_{ref.name}": delta[k] for k in ITEMS}})
    return pd.DataFrame(rows)


def export_name(model) -> str:
    """``o2o-sim_<lesson>_seed<N>.zip`` (the day is in its README)."""
    return f"o2o-sim_{model.lesson.key}_seed{model.settings.seed}.zip"


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=EXPORT_DPI)
    return buffer.getvalue()


def export_zip(model, arms=None) -> bytes:
    """The export of ``model`` as zip bytes; ``arms``: the cities the figures show (default: all)."""
    arms = list(arms or model.arms)
    s = model.settings
    readme = (f"o2o-sim: {model.lesson.title}, day {model.day} of {model.horizon}\n"
              f"Cities: {', '.join(a.name for a in model.arms)} (the first is the reference), seed {s.seed}, "
              f"{s.consumers:,} consumers, {s.stores} stores.\n"
              f"Question: {model.lesson.question}\n\n"
              "series.csv  one row per city and day: journey stages (consumers), visits and purchases "
              "(city and brand), visitors who gave up at the brand (balked or reneged), the brand's mean "
              "wait (min) and rating (stars), visits brought by a push or a CRM message, messages sent, "
              "and brand_<item>: the brand's profit items so far in CNY (margin, discounts, points, "
              "delivery, commission, running, campaign, profit).\n"
              "money.csv   one row per city: the same items over the whole run so far, and <item>_vs_"
              f"{model.arms[0].name}: the difference against the reference city.\n"
              "charts.png  the lesson's charts; maps.png  the city maps of the last day.\n")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", readme)
        z.writestr("series.csv", series_frame(model).to_csv(index=False))
        z.writestr("money.csv", money_frame(model).to_csv(index=False))
        z.writestr("charts.png", _png(charts_figure(model, arms)))
        z.writestr("maps.png", _png(maps_figure(model, arms)))
    return out.getvalue()
