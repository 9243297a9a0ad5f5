"""Matplotlib figures of the dashboard: the city map, the social network and the live charts.

Core functions (each takes a :class:`~sim.viz.model.DashboardModel` and returns a
``matplotlib.figure.Figure``, one panel per arm where it applies):
    * :func:`city_figure` - consumers by journey stage, stores by today's visits
      (size) and rating (colour), today's trips.
    * :func:`network_figure` - friendships, today's sharers and where their word goes.
    * :func:`charts_figure` - the journey funnel today, customers over time,
      daily visits and purchases, mean rating, cumulative spend and ROI.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), so the
server can draw several sessions at once.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.viz.journey import STAGES
from sim.viz.layers import STAGE_COLOURS, map_layers, network_layers, store_size

__all__ = ["ARM_COLOURS", "RATING_RANGE", "charts_figure", "city_figure", "network_figure"]

ARM_COLOURS = {"O2O": "#dd8452", "OMO": "#4c72b0"}
#: Colour scale of the public rating (stars).
RATING_RANGE = (3.0, 4.6)
RATING_CMAP = "RdYlGn"


def _panels(model, figsize_per: tuple[float, float]) -> tuple[Figure, list]:
    n = len(model.arms)
    fig = Figure(figsize=(figsize_per[0] * n, figsize_per[1]), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    return fig, list(axes)


def _frame(ax, size_km) -> None:
    ax.set_xlim(0, size_km[0])
    ax.set_ylim(0, size_km[1])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def city_figure(model) -> Figure:
    """The city map of every arm, side by side."""
    fig, axes = _panels(model, (3.7, 4.1))
    norm = Normalize(*RATING_RANGE)
    scatter = None
    for ax, arm in zip(axes, model.arms, strict=True):
        lay = map_layers(arm)
        _frame(ax, lay.size_km)
        for stage in STAGES:
            xy = lay.stage_points(stage)
            ax.scatter(xy[:, 0], xy[:, 1], s=3 if stage == "unaware" else 5, c=STAGE_COLOURS[stage],
                       linewidths=0, zorder=1 if stage == "unaware" else 2)
        ax.add_collection(LineCollection(lay.trips, colors="#e6550d", linewidths=0.6, alpha=0.45, zorder=3))
        scatter = ax.scatter(lay.store_xy[:, 0], lay.store_xy[:, 1], s=store_size(lay.store_visits),
                             c=lay.store_rating, cmap=RATING_CMAP, norm=norm, marker="s",
                             edgecolors=np.where(lay.store_campaign, "black", "#777777"),
                             linewidths=np.where(lay.store_campaign, 1.6, 0.6), zorder=4)
        ax.set_title(f"{arm.name}: day {arm.model.day}, {lay.trip_count:,} trips today"
                     + (f"\n+ {lay.deliveries:,} deliveries" if lay.deliveries else "\n"),
                     fontsize=9, color=ARM_COLOURS[arm.name])
    handles = [Line2D([], [], marker="o", ls="", color=STAGE_COLOURS[s], label=s) for s in STAGES]
    handles += [Line2D([], [], color="#e6550d", label="trip today"),
                Line2D([], [], marker="s", ls="", mfc="white", mec="black", mew=1.6,
                       label="campaign store (size = visits)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=2 * len(axes), fontsize=8, frameon=False)
    bar = fig.colorbar(scatter, ax=axes, shrink=0.7)
    bar.set_label("store rating (stars)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return fig


def network_figure(model) -> Figure:
    """The social network of every arm: who shared today and whom their word reaches."""
    fig, axes = _panels(model, (3.6, 3.9))
    for ax, arm in zip(axes, model.arms, strict=True):
        net = network_layers(arm)
        _frame(ax, arm.model.city.size_km)
        ax.add_collection(LineCollection(net.edges, colors="#bbbbbb", linewidths=0.3, alpha=0.35))
        ax.scatter(net.node_xy[:, 0], net.node_xy[:, 1], s=2, c="#999999", linewidths=0)
        ax.add_collection(LineCollection(net.spread_good, colors="#31a354", linewidths=0.9, alpha=0.8))
        ax.add_collection(LineCollection(net.spread_bad, colors="#d62728", linewidths=0.9, alpha=0.8))
        for who, colour in ((net.reached, "#756bb1"), (net.good_senders, "#31a354"),
                            (net.bad_senders, "#d62728")):
            xy = net.node_xy[who]
            ax.scatter(xy[:, 0], xy[:, 1], s=18, c=colour, linewidths=0.3, edgecolors="white", zorder=3)
        what = "complete mixing: no edges" if net.complete else f"{net.edge_total:,} friendships"
        ax.set_title(f"{arm.name}: {net.good_senders.size + net.bad_senders.size} shared today, "
                     f"{net.reached.size} read a share\n({what})", fontsize=9, color=ARM_COLOURS[arm.name])
    reach = model.arms[0].model.cfg.behavior.share_reach
    handles = [Line2D([], [], marker="o", ls="", color="#31a354", label="shared a good experience"),
               Line2D([], [], marker="o", ls="", color="#d62728", label="shared a bad experience"),
               Line2D([], [], color="#777777", label=f"to each friend, coloured as the share "
                                                       f"(read tomorrow with chance {reach:g})"),
               Line2D([], [], marker="o", ls="", color="#756bb1", label="read a friend's share today")]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(axes), fontsize=8, frameon=False)
    return fig


def _series(arm, key: str) -> tuple[np.ndarray, np.ndarray]:
    day = np.array([r["day"] for r in arm.history])
    return day, np.array([r[key] for r in arm.history], dtype=float)


def charts_figure(model) -> Figure:
    """Six live charts over the days simulated so far, one line per arm."""
    fig = Figure(figsize=(8.4, 4.7), layout="constrained")
    ax = fig.subplots(2, 3)
    funnel, customers, traffic = ax[0]
    rating, spend, roi = ax[1]
    width = 0.8 / len(model.arms)
    dots = {"marker": "o", "markersize": 2.5}
    for k, arm in enumerate(model.arms):
        colour = ARM_COLOURS[arm.name]
        counts = np.bincount(arm.stage, minlength=len(STAGES))
        y = np.arange(len(STAGES)) + (k - (len(model.arms) - 1) / 2) * width
        funnel.barh(y, counts, height=width, color=colour, label=arm.name)
        if not arm.history:
            continue
        day, loyal = _series(arm, "customer")
        loyal += _series(arm, "advocate")[1]
        customers.plot(day, loyal, color=colour, label=arm.name, **dots)
        traffic.plot(*_series(arm, "visits"), color=colour, label=f"{arm.name} visits", **dots)
        traffic.plot(*_series(arm, "purchases"), color=colour, ls="--", label=f"{arm.name} purchases", **dots)
        rating.plot(*_series(arm, "mean_rating"), color=colour, label=arm.name, **dots)
        spend.plot(*_series(arm, "spend"), color=colour, label=arm.name, **dots)
        roi.plot(*_series(arm, "roi"), color=colour, label=arm.name, **dots)
    funnel.set_yticks(np.arange(len(STAGES)), STAGES)
    funnel.invert_yaxis()
    funnel.set_title("Journey today (consumers per stage)", fontsize=10)
    customers.set_title("Customers and advocates", fontsize=10)
    traffic.set_title("Visits and purchases (- -)", fontsize=10)
    rating.set_title("Mean store rating (stars)", fontsize=10)
    spend.set_title("Campaign spend so far", fontsize=10)
    roi.set_title("ROI so far (coupon sales)", fontsize=10)
    roi.axhline(0, color="#777777", lw=0.6)
    last_day = max([arm.history[-1]["day"] for arm in model.arms if arm.history] + [1])
    for a in (customers, traffic, rating, spend, roi):
        a.set_xlim(-0.5, last_day + 0.5)
        a.set_xlabel("day", fontsize=8)
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    for a in ax.flat:
        a.tick_params(labelsize=8)
    funnel.legend(fontsize=8)
    return fig
