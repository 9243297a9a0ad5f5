import numpy as np
import pytest
from matplotlib.collections import PathCollection

from sim.viz.drawing import charts_figure, city_figure, network_figure
from sim.viz.journey import STAGES
from sim.viz.layers import store_size
from sim.viz.model import DashboardModel

SMALL = {"consumers": 1000, "stores": 12}


@pytest.fixture(scope="module")
def both():
    m = DashboardModel(**SMALL)
    for _ in range(4):
        m.step()
    return m


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def test_city_map_has_one_panel_per_arm_with_stores_sized_by_visits(both):
    fig = city_figure(both)
    panels = _panels(fig)
    assert len(panels) == 2
    for ax, arm in zip(panels, both.arms, strict=True):
        assert ax.get_title().startswith(f"{arm.name}: day 4")
        stores = [c for c in ax.collections if isinstance(c, PathCollection)][-1]
        assert stores.get_offsets().shape == (arm.model.store_table.count, 2)
        assert np.allclose(stores.get_sizes(), store_size(arm.tap.store_rows[-1]["visits"]))
        assert np.allclose(stores.get_array(), arm.model.store_table.rating)


def test_single_mode_draws_one_map():
    m = DashboardModel(mode="O2O", **SMALL)
    m.step()
    assert len(_panels(city_figure(m))) == 1
    assert len(_panels(network_figure(m))) == 1


def test_network_panel_titles_count_todays_shares(both):
    fig = network_figure(both)
    for ax, arm in zip(_panels(fig), both.arms, strict=True):
        n = np.unique(arm.model.pending_shares["sender"]).size
        assert ax.get_title().startswith(f"{arm.name}: {n} shared today")


def test_charts_hold_every_day_of_both_arms(both):
    fig = charts_figure(both)
    axes = fig.axes
    assert len(axes) == 6
    funnel, customers, traffic = axes[:3]
    assert len(funnel.patches) == 2 * len(STAGES)
    widths = [p.get_width() for p in funnel.patches]
    assert sum(widths) == 2 * both.arms[0].model.population.size
    assert len(customers.lines) == 2 and len(traffic.lines) == 4
    for line in customers.lines + traffic.lines:
        assert list(line.get_xdata()) == [0, 1, 2, 3]
    o2o_visits = traffic.lines[0].get_ydata()
    assert list(o2o_visits) == [r["visits"] for r in both.arms[0].history]
