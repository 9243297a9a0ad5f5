"""Matplotlib figures of the dashboard for the class handout (the export): the lesson's charts and maps.

Core functions (each returns a ``matplotlib.figure.Figure``):
    * :func:`charts_figure` - the lesson's two story charts and the money chart, as on the
      page (the same values: :mod:`sim.viz.charts`).
    * :func:`maps_figure` - the city map of each city shown: consumers by journey stage,
      today's trips, stores sized by today's visits and coloured by rating.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), so the server can
draw several sessions at once.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.viz.charts import GAIN, LOSS, chart_option, money_option
from sim.viz.journey import STAGES
from sim.viz.layers import STAGE_COLOURS, map_layers
from sim.viz.mapview import RATING_COLOURS, RATING_RANGE, TRIP_COLOUR

__all__ = ["charts_figure", "maps_figure"]

RATING_CMAP = LinearSegmentedColormap.from_list("rating", RATING_COLOURS)


def _story_axes(ax, option: dict) -> None:
    ax.set_title(option["title"]["text"], fontsize=12)
    for s in option["series"]:
        data = np.array(s["data"], dtype=float).reshape(-1, 2)
        if s.get("yAxisIndex"):
            continue  # the second axis (waits) is in the CSV
        if s["type"] == "bar":
            ax.bar(data[:, 0], data[:, 1], color=s["color"], label=s["name"], alpha=0.8)
        else:
            ax.plot(data[:, 0], data[:, 1], color=s["color"], label=s["name"], lw=2)
    y = option["yAxis"][0] if isinstance(option["yAxis"], list) else option["yAxis"]
    if "min" in y:
        ax.set_ylim(y["min"], y["max"])
    ax.set_xlim(0, option["xAxis"]["max"])
    ax.set_xlabel("day")
    ax.legend(fontsize=9)


def _money_axes(ax, option: dict) -> None:
    ax.set_title(option["title"]["text"], fontsize=12)
    labels = option["yAxis"]["data"]
    n = len(option["series"])
    height = 0.8 / n
    for k, s in enumerate(option["series"]):
        values = np.array([d["value"] for d in s["data"]], dtype=float)
        y = np.arange(len(labels)) + (k - (n - 1) / 2) * height
        colours = [GAIN if v >= 0 else LOSS for v in values] if n == 1 else s["color"]
        ax.barh(y, values, height=height, color=colours, label=s["name"])
    ax.set_yticks(np.arange(len(labels)), labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#555555", lw=0.8)
    ax.set_xlabel("¥ thousand")
    if n > 1:
        ax.legend(fontsize=9)


def charts_figure(model, arms) -> Figure:
    """The lesson's charts for ``arms`` (the cities shown), as on the page."""
    fig = Figure(figsize=(16, 5), layout="constrained")
    axes = fig.subplots(1, 3)
    lesson, ref = model.lesson, model.arms[0]
    for ax, key in zip(axes[:2], lesson.charts, strict=True):
        _story_axes(ax, chart_option(key, arms, ref, model.horizon, lesson.push_days))
    _money_axes(axes[2], money_option(arms, ref, model.day))
    fig.suptitle(f"{lesson.title}: day {model.day} of {model.horizon}", fontsize=14)
    return fig


def maps_figure(model, arms) -> Figure:
    """The city map of each of ``arms``, side by side."""
    n = len(arms)
    fig = Figure(figsize=(5.2 * n + 1.2, 5.8), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    norm = Normalize(*RATING_RANGE)
    stores = None
    for ax, arm in zip(axes, arms, strict=True):
        lay = map_layers(arm)
        ax.set_xlim(0, lay.size_km[0])
        ax.set_ylim(0, lay.size_km[1])
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for stage in STAGES:
            xy = lay.stage_points(stage)
            ax.scatter(xy[:, 0], xy[:, 1], s=3 if stage == "unaware" else 6, c=STAGE_COLOURS[stage],
                       linewidths=0, zorder=1 if stage == "unaware" else 2)
        ax.add_collection(LineCollection(lay.trips, colors=TRIP_COLOUR, linewidths=0.6, alpha=0.45, zorder=3))
        stores = ax.scatter(lay.store_xy[:, 0], lay.store_xy[:, 1], s=20 + 3 * lay.store_visits,
                            c=lay.store_rating, cmap=RATING_CMAP, norm=norm, marker="s",
                            edgecolors=np.where(lay.store_campaign, "black", "white"),
                            linewidths=np.where(lay.store_campaign, 1.8, 0.6), zorder=4)
        ax.set_title(f"{arm.name}: day {arm.model.day}, {lay.trip_count:,} trips", fontsize=12,
                     color=arm.city.colour)
    handles = [Line2D([], [], marker="o", ls="", color=STAGE_COLOURS[s], label=s) for s in STAGES]
    handles += [Line2D([], [], color=TRIP_COLOUR, label="trip today"),
                Line2D([], [], marker="s", ls="", mfc="white", mec="black", mew=1.8,
                       label="the brand's store")]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9, frameon=False)
    bar = fig.colorbar(stores, ax=list(axes), shrink=0.7)
    bar.set_label("store rating (stars)")
    return fig
