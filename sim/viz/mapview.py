"""The city map of one city as an ECharts option, with its consumers sent as compact layers.

Core objects:
    * :data:`MAP_LAYERS` - what the map draws over the consumers: ``trips`` (today's trips,
      home or work to the store) or ``word of mouth`` (today's shares, from the sharer to
      each friend, green for a good experience and red for a bad one).
    * :data:`RATING_COLOURS`, :func:`rating_colour` - the stores' colour scale, dark (low
      rating) to yellow (high); it shares no hue with the consumers' stage colours.
    * :func:`map_xy` and :func:`map_stage` - the consumers' positions (sent once per city)
      and their stages today (one digit each).
    * :func:`map_option` - the option: one scatter series per journey stage (filled in the
      browser from :func:`map_xy` and :func:`map_stage`; drawn at once, not over several
      frames), the layer's lines, the stores as squares sized by
      today's visits and coloured by rating, the brand's outlined in black; hovering a store
      names it, clicking a consumer or a store looks inside (:mod:`sim.viz.inside`).
    * :func:`map_caption` - the line above the map, with the numbers it shows.

Consumers and stores carry their id as the third value of each point, which a click reports.
"""

from __future__ import annotations

import numpy as np

from sim.config import CATEGORIES
from sim.viz.journey import STAGES
from sim.viz.layers import STAGE_COLOURS, map_layers, network_layers

__all__ = ["MAP_LAYERS", "MAX_SHARE_LINES", "RATING_COLOURS", "RATING_RANGE", "map_caption", "map_option",
           "map_stage", "map_xy", "rating_colour"]

MAP_LAYERS = ("trips", "word of mouth")
#: At most this many share lines of each valence are drawn (an even sample).
MAX_SHARE_LINES = 400
#: The stores' colour scale (stars): the ends of the scale and the colours along it.
RATING_RANGE = (2.5, 4.5)
RATING_COLOURS = ("#00204d", "#414d6b", "#7c7b78", "#bcaf6f", "#ffea46")
TRIP_COLOUR, GOOD_COLOUR, BAD_COLOUR = "#e6550d", "#2ca02c", "#d62728"


def rating_colour(rating: float) -> str:
    """The colour of a store with public rating ``rating`` (clipped to :data:`RATING_RANGE`)."""
    lo, hi = RATING_RANGE
    t = float(np.clip((rating - lo) / (hi - lo), 0.0, 1.0)) * (len(RATING_COLOURS) - 1)
    k = min(int(t), len(RATING_COLOURS) - 2)
    a, b = (np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in RATING_COLOURS[k:k + 2])
    rgb = np.round(a + (b - a) * (t - k)).astype(int)
    return "#" + "".join(f"{v:02x}" for v in rgb)


def map_xy(arm) -> str:
    """``"x0,y0,x1,y1,..."``: every consumer's home (km), as text."""
    return ",".join(f"{v:.3f}".rstrip("0").rstrip(".") for v in arm.model.population.home_xy.ravel().tolist())


def map_stage(arm) -> str:
    """``"0123..."``: every consumer's journey stage today, one digit each (index into ``STAGES``)."""
    return (arm.stage.astype(np.uint8) + ord("0")).tobytes().decode("ascii")


def _even(n: int, most: int) -> np.ndarray:
    return np.arange(n) if n <= most else np.unique(np.linspace(0, n - 1, most).round().astype(np.int64))


def _segments(segments: np.ndarray, most: int) -> list[dict]:
    pick = _even(segments.shape[0], most)
    return [{"coords": np.round(seg, 3).tolist()} for seg in segments[pick]]


def _lines(name: str, segments: np.ndarray, colour: str, width: float, opacity: float, most: int) -> dict:
    return {"type": "lines", "name": name, "coordinateSystem": "cartesian2d", "silent": True,
            "polyline": False, "data": _segments(segments, most), "z": 3, "progressive": 0,
            "lineStyle": {"color": colour, "width": width, "opacity": opacity}}


def map_option(arm, layer: str = "trips") -> dict:
    """The map of ``arm`` (an :class:`~sim.viz.model.Arm`) with ``layer`` (:data:`MAP_LAYERS`) on top."""
    if layer not in MAP_LAYERS:
        raise ValueError(f"layer={layer!r}; allowed: {', '.join(MAP_LAYERS)}")
    lay = map_layers(arm)
    w, h = lay.size_km
    series = [{"type": "scatter", "name": stage, "o2oLayer": k, "large": True, "largeThreshold": 20,
               "progressive": 0,
               "symbolSize": 3 if stage == "unaware" else 5, "itemStyle": {"color": STAGE_COLOURS[stage]},
               "z": 1 if stage == "unaware" else 2, "tooltip": {"show": False}}
              for k, stage in enumerate(STAGES)]
    if layer == "trips":
        series.append(_lines("trips", lay.trips, TRIP_COLOUR, 1.0, 0.45, len(lay.trips)))
    else:
        net = network_layers(arm)
        series.append(_lines("good word", net.spread_good, GOOD_COLOUR, 1.2, 0.7, MAX_SHARE_LINES))
        series.append(_lines("bad word", net.spread_bad, BAD_COLOUR, 1.2, 0.7, MAX_SHARE_LINES))
    table = arm.model.store_table
    stores = []
    for s in range(table.count):
        visits, rating = int(lay.store_visits[s]), float(lay.store_rating[s])
        brand = bool(lay.store_campaign[s])
        side = float(np.clip(7.0 + 2.2 * np.sqrt(visits), 7.0, 34.0))
        what = "the brand's" if brand else "another merchant's"
        stores.append({
            "value": [round(float(lay.store_xy[s, 0]), 3), round(float(lay.store_xy[s, 1]), 3), s],
            "name": (f"Store {s}, {what} {CATEGORIES[int(table.category[s])]}: "
                     f"{rating:.2f} stars, {visits} visits today (click to look inside)"),
            "symbolSize": round(side, 1),
            "itemStyle": {"color": rating_colour(rating), "borderColor": "#000000" if brand else "#ffffff",
                          "borderWidth": 2.5 if brand else 1.0},
        })
    series.append({"type": "scatter", "name": "stores", "symbol": "rect", "data": stores, "z": 5,
                   "tooltip": {"formatter": "{b}"}, "emphasis": {"scale": 1.2}})
    return {"animation": False, "aspect": w / h,
            "xAxis": {"type": "value", "min": 0, "max": w, "show": False},
            "yAxis": {"type": "value", "min": 0, "max": h, "show": False},
            "tooltip": {"trigger": "item", "confine": True, "textStyle": {"fontSize": "@1"}},
            "series": series}


def map_caption(arm) -> str:
    """``<city>, day 5: 123 trips, 45 deliveries, 678 customers`` (what the map shows, in numbers)."""
    lay = map_layers(arm)
    customers = int(np.isin(arm.stage, [STAGES.index("customer"), STAGES.index("advocate")]).sum())
    deliveries = f", {lay.deliveries:,} deliveries" if lay.deliveries else ""
    return f"{arm.name}, day {arm.model.day}: {lay.trip_count:,} trips{deliveries}, {customers:,} customers"
