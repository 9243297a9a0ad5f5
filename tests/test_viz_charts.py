import json

import pytest

from sim.viz.charts import CHARTS, chart_option, money_option, money_values, yuan
from sim.viz.money import ITEMS, SIGNS


def fonts(node):
    """Every fontSize in an option."""
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "fontSize"] + [f for v in node.values() for f in fonts(v)]
    if isinstance(node, list):
        return [f for v in node for f in fonts(v)]
    return []


def texts(option):
    """The option's components that draw text, without a font size of their own."""
    missing = []
    for part in ("title", "legend", "tooltip"):
        if part in option and "fontSize" not in json.dumps(option[part]):
            missing.append(part)
    axes = [a for key in ("xAxis", "yAxis") for a in (option[key] if isinstance(option[key], list)
                                                     else [option[key]])]
    missing += [a.get("name", "axis") for a in axes if "fontSize" not in json.dumps(a.get("axisLabel", {}))]
    return missing


@pytest.mark.parametrize("key", list(CHARTS))
def test_every_chart_has_a_line_per_city_with_every_day_and_scaled_fonts(stepped_dashboard, key):
    arms, ref = stepped_dashboard.arms, stepped_dashboard.arms[0]
    option = chart_option(key, arms, ref, 90, push_days=(3, 30))
    json.dumps(option, allow_nan=False)  # sent as JSON: no NaN
    assert option["animation"] is False and option["tooltip"]["trigger"] == "axis"  # hover values
    assert option["xAxis"]["min"] == 0 and option["xAxis"]["max"] == 89
    assert all(isinstance(f, str) and f.startswith("@") for f in fonts(option))
    assert texts(option) == []
    lines = [s for s in option["series"] if not s.get("yAxisIndex")]
    expected = [a.name for a in arms if not (key == "profit" and a is ref)]
    assert [s["name"] for s in lines] == expected
    for s in lines:
        assert [d[0] for d in s["data"]] == list(range(stepped_dashboard.day))
    assert "markArea" in option["series"][0]


def test_values_are_the_history_and_the_profit_is_against_the_reference(stepped_dashboard):
    o2o, omo = stepped_dashboard.arms
    visits = chart_option("brand_visits", [o2o, omo], o2o, 90)["series"]
    assert [d[1] for d in visits[1]["data"]] == [r["brand_visits"] for r in omo.history]
    profit = chart_option("profit", [o2o, omo], o2o, 90)
    assert profit["title"]["text"] == "Brand's profit against O2O, ¥ thousand"
    last = profit["series"][0]["data"][-1][1]
    assert last == pytest.approx((omo.money.totals["profit"] - o2o.money.totals["profit"]) / 1000, abs=0.05)
    alone = chart_option("profit", [omo], o2o, 90)
    assert alone["series"][0]["data"][-1][1] == pytest.approx(omo.money.totals["profit"] / 1000, abs=0.05)


def test_the_rating_axis_is_the_whole_star_scale(stepped_dashboard):
    option = chart_option("rating", stepped_dashboard.arms, stepped_dashboard.arms[0], 90)
    assert (option["yAxis"]["min"], option["yAxis"]["max"]) == (1, 5)


def test_the_service_chart_adds_each_citys_wait_on_a_second_axis(stepped_dashboard):
    option = chart_option("service", stepped_dashboard.arms, stepped_dashboard.arms[0], 90)
    assert len(option["yAxis"]) == 2
    assert [s["name"] for s in option["series"]] == ["O2O", "OMO", "O2O: wait, min", "OMO: wait, min"]
    assert option["series"][0]["type"] == "bar"


def test_the_money_chart_is_the_difference_item_by_item(stepped_dashboard):
    o2o, omo = stepped_dashboard.arms
    option = money_option([o2o, omo], o2o, stepped_dashboard.day)
    values = money_values(omo, o2o)
    delta = omo.money.totals["profit"] - o2o.money.totals["profit"]
    assert option["title"]["text"] == f"OMO against O2O, days 0-4: {yuan(delta, sign=True)}"
    assert option["yAxis"]["data"][-1] == "= Extra profit"
    bars = [d["value"] for d in option["series"][0]["data"]]
    assert bars == [round(values[k] / 1000, 1) for k in ITEMS]
    assert sum(values[k] for k in ITEMS[:-1]) == pytest.approx(values["profit"])
    assert values["running"] == -(omo.money.totals["running"] - o2o.money.totals["running"])
    assert all(d["label"]["formatter"].startswith(("+¥", "-¥")) for d in option["series"][0]["data"])


def test_one_city_alone_shows_its_own_profit(stepped_dashboard):
    omo = stepped_dashboard.arms[1]
    option = money_option([omo], stepped_dashboard.arms[0], stepped_dashboard.day)
    assert option["title"]["text"].startswith("Brand's profit in OMO, days 0-4: ")
    assert "legend" not in option and option["yAxis"]["data"][-1] == "= Profit"
    assert money_values(omo, omo)["discounts"] == SIGNS["discounts"] * omo.money.totals["discounts"]


def test_several_cities_are_grouped_with_a_legend(stepped_dashboard):
    o2o, omo = stepped_dashboard.arms
    option = money_option([o2o, omo, omo], o2o, 5)
    assert len(option["series"]) == 2 and "legend" in option
    assert option["title"]["text"] == "Each city's extra profit against O2O, days 0-4"


@pytest.mark.parametrize(("value", "sign", "short", "text"), [
    (1234.4, False, False, "¥1,234"), (1234.4, True, False, "+¥1,234"), (-1234.6, True, False, "-¥1,235"),
    (-0.2, True, False, "+¥0"), (351_400, True, True, "+¥351.4k"), (9_999, False, True, "¥9,999"),
])
def test_money_reads_in_yuan(value, sign, short, text):
    assert yuan(value, sign=sign, short=short) == text
