import io
import zipfile

import pandas as pd
import pytest
from PIL import Image

from sim.viz.export import EXPORT_FILES, export_name, export_zip, money_frame, series_frame
from sim.viz.money import ITEMS


def test_the_series_has_a_row_per_city_and_day(stepped_dashboard):
    frame = series_frame(stepped_dashboard)
    assert len(frame) == 2 * stepped_dashboard.day
    assert list(frame.columns[:2]) == ["city", "day"]
    omo = frame[frame.city == "OMO"]
    assert omo.brand_visits.tolist() == [r["brand_visits"] for r in stepped_dashboard.arms[1].history]
    assert {f"brand_{k}" for k in ITEMS} <= set(frame.columns)


def test_the_money_has_each_citys_items_and_its_difference(stepped_dashboard):
    frame = money_frame(stepped_dashboard).set_index("city")
    o2o, omo = stepped_dashboard.arms
    assert frame.loc["OMO", "profit"] == pytest.approx(omo.money.totals["profit"])
    delta = omo.money.totals["profit"] - o2o.money.totals["profit"]
    assert frame.loc["OMO", "profit_vs_O2O"] == pytest.approx(delta)
    assert frame.loc["O2O", "profit_vs_O2O"] == 0


def test_the_export_is_a_zip_of_figures_and_csv(stepped_dashboard):
    data = export_zip(stepped_dashboard)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == sorted(EXPORT_FILES)
        series = pd.read_csv(z.open("series.csv"))
        expected = series_frame(stepped_dashboard)
        assert series.shape == expected.shape and list(series.columns) == list(expected.columns)
        assert series.brand_profit.tolist() == pytest.approx(expected.brand_profit.tolist())
        for name in ("charts.png", "maps.png"):
            image = Image.open(io.BytesIO(z.read(name)))
            assert image.width > 1000 and image.height > 400
        readme = z.read("README.txt").decode()
        assert "day 5 of 90" in readme and stepped_dashboard.lesson.question in readme
    assert export_name(stepped_dashboard) == "o2o-sim_o2o_omo_seed0.zip"
