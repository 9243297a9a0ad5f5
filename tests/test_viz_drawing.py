import numpy as np

from sim.viz.drawing import charts_figure, maps_figure
from sim.viz.journey import STAGES


def test_the_charts_figure_holds_the_lessons_charts(stepped_dashboard):
    fig = charts_figure(stepped_dashboard, stepped_dashboard.arms)
    customers, visits, money = fig.axes[:3]
    assert customers.get_title() == "Customers of the brand"
    assert [line.get_label() for line in customers.lines] == ["O2O", "OMO"]
    o2o = stepped_dashboard.arms[0]
    assert list(visits.lines[0].get_ydata()) == [r["brand_visits"] for r in o2o.history]
    assert money.get_title().startswith("OMO against O2O")
    assert len(money.patches) == 8


def test_the_maps_figure_has_a_map_per_city_shown(stepped_dashboard):
    fig = maps_figure(stepped_dashboard, stepped_dashboard.arms[1:])
    maps = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(maps) == 1 and maps[0].get_title().startswith("OMO: day 5")
    points = sum(c.get_offsets().shape[0] for c in maps[0].collections[:len(STAGES)])
    assert points == stepped_dashboard.arms[1].model.population.size
    stores = maps[0].collections[-1]
    assert np.allclose(stores.get_array(), stepped_dashboard.arms[1].model.store_table.rating)
