"""Matplotlib figures drawn from :class:`~sim.outputs.results.Results` only.

Core functions:
    * :func:`plot_funnel` - the conversion funnel of the run, with drop-off shares.
    * :func:`plot_daily` - daily visits, purchases, redemptions and balking;
      revenue and campaign spend; waits; mean rating.
    * :func:`plot_city_map` - population density with stores sized by visits and
      coloured by final rating; campaign stores outlined.
    * :func:`save_figures` - writes all three as PNG (atomically).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.outputs.files import atomic_write  # noqa: E402

__all__ = ["plot_city_map", "plot_daily", "plot_funnel", "save_figures"]


def _title(results, what: str) -> str:
    s = results.summary
    return (f"{what}\nscenario '{s['scenario']}': {s['consumers']:,} consumers, "
            f"{s['stores']} stores, {s['days']} days, seed {s['seed']}")


def _bars(ax, labels, values, colors, share_of_previous=True):
    bars = ax.bar(labels, values, color=colors)
    top = max(values) if max(values) else 1
    for i, (bar, v) in enumerate(zip(bars, values, strict=True)):
        note = f"{v:,.0f}"
        if share_of_previous and i > 0 and values[i - 1]:
            note += f"\n{v / values[i - 1]:.0%} of previous"
        ax.annotate(note, (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom",
                    fontsize=8, xytext=(0, 2), textcoords="offset points")
    ax.set_ylim(0, top * 1.25)


def plot_funnel(results):
    """Two funnels: the campaign's (messages to redemptions) and the stores' (intents to purchases)."""
    s, d = results.summary, results.daily
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [1, 1.3]})
    _bars(left, ["consumers\nmessaged", "coupons\nclaimed", "coupons\nredeemed"],
          [s["exposed_consumers"], s["coupons_issued"], s["redemptions"]],
          ["#4c72b0", "#55a868", "#dd8452"])
    left.set_ylabel("count over the run")
    left.set_title("Campaign funnel (online -> offline)", fontsize=10)

    intents, visits, purchases = s["intents"], s["visits"], s["purchases"]
    lost = {
        "lost:\nno-show": intents - visits,
        "lost:\nbalked": int(d["balked"].sum()),
        "lost:\nreneged/\nclosed": int(d["reneged"].sum() + d["closed"].sum()),
        "lost:\nstock-out": int(d["stockouts"].sum()),
    }
    labels = ["intents", "visits", "purchases", *lost]
    values = [intents, visits, purchases, *lost.values()]
    colors = ["#8172b2", "#8172b2", "#c44e52"] + ["#bbbbbb"] * len(lost)
    bars = right.bar(labels, values, color=colors)
    for bar, v in zip(bars, values, strict=True):
        right.annotate(f"{v:,}", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom",
                       fontsize=8, xytext=(0, 2), textcoords="offset points")
    right.set_ylim(0, max(values + [1]) * 1.2)
    right.tick_params(axis="x", labelsize=8)
    right.set_title(f"Store funnel: {purchases / visits:.0%} of visits buy" if visits
                    else "Store funnel", fontsize=10)
    right.text(0.99, 0.97, f"mean wait {s['mean_wait_min']:.1f} min\nrepeat rate {s['repeat_rate']:.0%}",
               transform=right.transAxes, ha="right", va="top", fontsize=9)
    fig.suptitle(_title(results, "Funnel"), fontsize=10)
    fig.tight_layout()
    return fig


def plot_daily(results):
    """Four panels of daily series."""
    d = results.daily
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    ax = axes[0, 0]
    for col, color in (("visits", "#8172b2"), ("purchases", "#c44e52"),
                       ("redemptions", "#dd8452"), ("balked", "#937860")):
        ax.plot(d["day"], d[col], label=col, color=color)
    ax.set_ylabel("per day")
    ax.legend(fontsize=8)
    ax.set_title("Store traffic")
    ax = axes[0, 1]
    econ = results.config.economics
    ax.plot(d["day"], d["revenue"], label="revenue, all stores", color="#55a868")
    pnl = results.pnl
    if len(pnl):
        brand = pnl[pnl["party"] == "brand"]
        ax.plot(brand["day"], brand["contribution"], label="brand's contribution profit", color="#4c72b0")
        spend = (brand["discounts"] + brand["campaign_cost"] + brand["points_cost"]).to_numpy()
        ax.plot(brand["day"], spend, label="brand's campaign spend\n(discounts, levers, points)",
                color="#c44e52")
    ax.set_ylabel(f"{econ.currency} ({econ.currency_symbol}) per day")
    ax.legend(fontsize=8)
    ax.set_title(f"Money ({econ.currency})")
    ax = axes[1, 0]
    ax.plot(d["day"], d["mean_wait_min"], color="#4c72b0")
    ax.set_ylabel("minutes")
    ax.set_title("Mean wait of those who queued")
    ax.set_xlabel("day")
    ax = axes[1, 1]
    ax.plot(d["day"], d["mean_rating"], color="#dd8452")
    ax.set_ylabel("stars (1-5)")
    ax.set_title("Mean public rating of stores")
    ax.set_xlabel("day")
    fig.suptitle(_title(results, "Daily series"), fontsize=10)
    fig.tight_layout()
    return fig


def plot_city_map(results):
    """Population density with stores: size = total visits, colour = final rating."""
    info = results.store_info
    visits = results.stores.groupby("store_id")["visits"].sum().reindex(info["store_id"]).fillna(0)
    dens = results.city["population_density"]
    cell = float(results.city["cell_km"])
    w, h = dens.shape
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    ax.imshow(dens.T, origin="lower", extent=(0, w * cell, 0, h * cell), cmap="Greys", alpha=0.6)
    size = 20 + 400 * visits.to_numpy() / max(visits.max(), 1)
    markers = {"restaurant": "o", "retail": "s", "service": "^"}
    sc = None
    for cat, marker in markers.items():
        m = (info["category"] == cat).to_numpy()
        if not m.any():
            continue
        sc = ax.scatter(info["x_km"][m], info["y_km"][m], s=size[m], c=info["final_rating"][m],
                        cmap="RdYlGn", vmin=1, vmax=5, marker=marker, edgecolors="k",
                        linewidths=0.5, label=cat)
    camp = info["campaign"].to_numpy()
    if camp.any():
        ax.scatter(info["x_km"][camp], info["y_km"][camp], s=size[camp] + 120, facecolors="none",
                   edgecolors="#1f77b4", linewidths=1.5, label="runs the campaign")
    if sc is not None:
        fig.colorbar(sc, ax=ax, label="final rating (stars)", shrink=0.8)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, fontsize=8, markerscale=0.6,
              frameon=False)
    ax.set_xlabel("km", labelpad=1)
    ax.set_ylabel("km")
    ax.set_title(_title(results, "City map: grey = population density, marker size = visits"),
                 fontsize=9)
    fig.tight_layout()
    return fig


def save_figures(results, folder: str | Path) -> list[Path]:
    """Write funnel.png, daily.png and city_map.png into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in (("funnel", plot_funnel), ("daily", plot_daily), ("city_map", plot_city_map)):
        fig = make(results)
        path = folder / f"{name}.png"
        try:
            atomic_write(path, lambda p, f=fig: f.savefig(p, dpi=110, format="png"))
        finally:  # a failed write (full disk, interrupt) must not leave the figure open
            plt.close(fig)
        paths.append(path)
    return paths
