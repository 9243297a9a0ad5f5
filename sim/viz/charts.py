"""The dashboard's charts as ECharts options, built from the cities' history rows and money.

Core objects:
    * :data:`CHARTS` - the story charts a lesson can show, by key: ``customers``,
      ``brand_visits``, ``profit`` (the brand's profit against the reference, day by day),
      ``service`` (visitors who gave up at the brand's shop, and its mean wait), ``rating``
      (the brand's shops' public rating, on the whole 1-5 star scale), ``push_visits`` and
      ``crm_visits`` (visits a push or a CRM message brought).
    * :func:`money_option` - the money chart: the brand's profit of a city against the
      reference, item by item (:mod:`sim.viz.money`), or one city's own profit and its items.
    * :func:`chart_option` - one story chart for the cities shown.

Every option has hover values (tooltips), no animation (a day appears at once), a fixed day
axis (0 to the end of the run, so the class sees how far the run has come) and font sizes as
``"@factor"`` (scaled to the box in the browser, :mod:`sim.viz.echart`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.viz.money import ITEM_NAMES, ITEMS, SIGNS, difference

__all__ = ["CHARTS", "GAIN", "LOSS", "Chart", "chart_option", "money_option", "money_values", "yuan"]

GAIN, LOSS = "#2e7d32", "#c62828"
_FONT = {"fontSize": "@1"}


@dataclass(frozen=True)
class Chart:
    """A story chart.

    Attributes:
        title: its title (with the unit of its values).
        value: the y value of a city's history row (or, for ``profit``, of its money).
        kind: ``line`` or ``bar``.
    """

    title: str
    value: Callable
    kind: str = "line"


CHARTS: dict[str, Chart] = {
    "customers": Chart("Customers of the brand",
                       lambda row: row["customer"] + row["advocate"]),
    "brand_visits": Chart("Visits and orders at the brand, per day", lambda row: row["brand_visits"]),
    "profit": Chart("Brand's profit so far, ¥ thousand", lambda row: row["brand_profit"] / 1000.0),
    "service": Chart("Gave up at the brand's shop, per day", lambda row: row["brand_balked"], "bar"),
    "rating": Chart("Public rating of the brand's shop, stars", lambda row: row["brand_rating"]),
    "push_visits": Chart("Visits a push brought, per day", lambda row: row["visits_push"]),
    "crm_visits": Chart("Visits a CRM message brought, per day", lambda row: row["visits_crm"]),
}


def yuan(value: float, sign: bool = False, short: bool = False) -> str:
    """``value`` as money: ``¥12,345``; ``+¥12,345`` / ``-¥12,345`` with ``sign``; ``¥12.3k`` with ``short``.

    ``short`` writes thousands from ¥10,000 on.
    """
    text = f"¥{abs(value) / 1000:,.1f}k" if short and abs(value) >= 10_000 else f"¥{abs(value):,.0f}"
    if value < 0 and round(value) != 0:
        return "-" + text
    return ("+" + text) if sign else text


def _base(title: str, horizon: int) -> dict:
    return {
        "animation": False,
        "title": {"text": title, "left": "center", "top": 2,
                  "textStyle": {"fontSize": "@1.1", "fontWeight": 600}},
        "tooltip": {"trigger": "axis", "confine": True, "textStyle": dict(_FONT)},
        "legend": {"top": "@1.8", "textStyle": dict(_FONT), "itemGap": 14},
        "grid": {"left": "@0.5", "right": "@1.2", "top": "@4.4", "bottom": "@2.2", "containLabel": True},
        "o2oTitleRoom": 3.0,
        "xAxis": {"type": "value", "min": 0, "max": horizon - 1, "name": "day", "nameLocation": "middle",
                  "nameGap": "@1.6", "nameTextStyle": dict(_FONT), "axisLabel": dict(_FONT),
                  "splitLine": {"show": False}},
        "yAxis": {"type": "value", "axisLabel": dict(_FONT)},
    }


def _push_area(days: tuple[int, int]) -> dict:
    return {"silent": True, "itemStyle": {"color": "rgba(255, 193, 7, 0.14)"},
            "label": {"show": True, "position": "insideTop", "fontSize": "@0.9", "color": "#7a5c00"},
            "data": [[{"name": "coupons", "xAxis": days[0]}, {"xAxis": days[1]}]]}


def chart_option(key: str, arms, reference, horizon: int, push_days: tuple[int, int] | None = None) -> dict:
    """The story chart ``key`` (:data:`CHARTS`) for the cities ``arms``.

    Args:
        key: which chart.
        arms: the :class:`~sim.viz.model.Arm` objects shown, each a line (or bars).
        reference: the lesson's reference arm (shown first when several are): ``profit`` shows
            each other city's profit minus its profit; with one city shown, that city's own profit.
        horizon: days in the run (the day axis runs to ``horizon - 1``).
        push_days: the push campaign's days, shaded.
    """
    chart = CHARTS[key]
    title = chart.title
    compare = len(arms) > 1
    if key == "profit" and compare:
        title = f"Brand's profit against {reference.name}, ¥ thousand"
    option = _base(title, horizon)
    if key == "rating":
        option["yAxis"].update(min=1, max=5, interval=1)
    series = []
    for arm in arms:
        if key == "profit" and compare and arm is reference:
            continue
        if key == "profit" and compare:
            ref = reference.money.profit_by_day
            data = [[row["day"], round((mine - ref[k]) / 1000.0, 1)]
                    for k, (row, mine) in enumerate(zip(arm.history, arm.money.profit_by_day, strict=True))]
        else:
            data = [[row["day"], round(float(chart.value(row)), 2)] for row in arm.history]
        series.append({"type": chart.kind, "name": arm.name, "data": data, "color": arm.city.colour,
                       "showSymbol": False, "lineStyle": {"width": 3}, "barMaxWidth": 8,
                       "emphasis": {"focus": "series"}})
    if key == "service":
        option["yAxis"] = [option["yAxis"], {"type": "value", "position": "right", "axisLabel": dict(_FONT),
                                             "splitLine": {"show": False}}]
        for arm in arms:
            series.append({"type": "line", "name": f"{arm.name}: wait, min", "yAxisIndex": 1,
                           "color": arm.city.colour,
                           "lineStyle": {"width": 2, "type": "dashed"}, "showSymbol": False,
                           "data": [[r["day"], round(r["brand_wait_min"], 1)] for r in arm.history]})
    if key == "profit" and series:
        series[0]["markLine"] = {"silent": True, "symbol": "none", "data": [{"yAxis": 0}],
                                 "lineStyle": {"color": "#555", "type": "solid"}, "label": {"show": False}}
    if push_days is not None and series:
        series[0]["markArea"] = _push_area(push_days)
    option["series"] = series
    return option


def money_values(arm, reference) -> dict[str, float]:
    """The items the money chart shows for ``arm``: signed so that they add up to the profit.

    Against ``reference`` (a different arm): the difference of the two; ``reference`` is
    ``arm``: its own items.
    """
    items = arm.money.totals if arm is reference else difference(reference.money, arm.money)
    return {key: (items[key] if key == "profit" else SIGNS[key] * items[key]) for key in ITEMS}


def money_option(arms, reference, day: int) -> dict:
    """The money chart: each other shown city against ``reference`` (shown first), or one city's own.

    One bar per item (margin on sales, then each cost as a negative amount, then the profit);
    several cities are grouped bars. Amounts in ¥ thousand; hover for each value.
    """
    alone = len(arms) == 1
    if alone:
        reference = arms[0]
    compared = [a for a in arms if a is not reference]
    shown = [reference] if alone else compared
    days = f"days 0-{day - 1}" if day > 0 else "no day yet"
    if alone:
        total = reference.money.totals["profit"]
        title = f"Brand's profit in {reference.name}, {days}: {yuan(total)}"
    elif len(compared) == 1:
        total = difference(reference.money, compared[0].money)["profit"]
        title = f"{compared[0].name} against {reference.name}, {days}: {yuan(total, sign=True)}"
    else:
        title = f"Each city's extra profit against {reference.name}, {days}"
    total = "= Profit" if alone else "= Extra profit"
    labels = [total if k == "profit" else ITEM_NAMES[k] for k in ITEMS]
    option = _base(title, 2)
    option["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}, "confine": True,
                         "textStyle": dict(_FONT)}
    option["xAxis"] = {"type": "value", "name": "¥ thousand", "nameLocation": "middle", "nameGap": "@1.6",
                       "nameTextStyle": dict(_FONT), "axisLabel": dict(_FONT)}
    option["yAxis"] = {"type": "category", "data": labels, "inverse": True, "axisLabel": dict(_FONT),
                       "axisTick": {"show": False}}
    option["grid"] = {"left": "@0.5", "right": "@1.2", "top": "@2.4", "bottom": "@2.2", "containLabel": True}
    option["o2oTitleRoom"] = 2.6
    if len(shown) == 1:
        option.pop("legend")
    series, extent = [], [0.0, 0.0]
    for arm in shown:
        values = money_values(arm, reference)
        data = []
        for key in ITEMS:
            v = round(values[key] / 1000.0, 1)
            extent = [min(extent[0], v), max(extent[1], v)]
            item = {"value": v}
            if len(shown) == 1:
                item["itemStyle"] = {"color": GAIN if v >= 0 else LOSS,
                                     "opacity": 1 if key == "profit" else 0.75}
                item["label"] = {"show": True, "position": "right" if v >= 0 else "left", "fontSize": "@0.9",
                                 "formatter": yuan(values[key], sign=not alone, short=True)}
            data.append(item)
        series.append({"type": "bar", "name": arm.name, "data": data, "color": arm.city.colour,
                       "barMaxWidth": 26})
    span = max(extent[1] - extent[0], 1.0)
    if len(shown) == 1:  # room for the labels beside the bars
        option["xAxis"].update(min=round(extent[0] - 0.9 * span, 1) if extent[0] < 0 else 0,
                               max=round(extent[1] + 0.6 * span, 1) if extent[1] > 0 else 0)
        option["xAxis"]["axisLabel"].update(showMinLabel=False, showMaxLabel=False)
    series[0]["markLine"] = {"silent": True, "symbol": "none", "data": [{"xAxis": 0}],
                             "lineStyle": {"color": "#555"}, "label": {"show": False}}
    option["series"] = series
    return option
