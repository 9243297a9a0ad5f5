import numpy as np
from matplotlib.collections import PathCollection

from sim.viz.drawing import charts_figure, city_figure, network_figure
from sim.viz.journey import STAGES
from sim.viz.layers import store_size
from sim.viz.model import DashboardModel


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def test_city_map_has_one_panel_per_arm_with_stores_sized_by_visits(stepped_dashboard):
    fig = city_figure(stepped_dashboard)
    panels = _panels(fig)
    assert len(panels) == 2
    for ax, arm in zip(panels, stepped_dashboard.arms, strict=True):
        assert ax.get_title().startswith(f"{arm.name}: day {stepped_dashboard.day}")
        stores = [c for c in ax.collections if isinstance(c, PathCollection)][-1]
        assert stores.get_offsets().shape == (arm.model.store_table.count, 2)
        assert np.allclose(stores.get_sizes(), store_size(arm.tap.store_rows[-1]["visits"]))
        assert np.allclose(stores.get_array(), arm.model.store_table.rating)


def test_single_mode_draws_one_map():
    m = DashboardModel(mode="O2O", consumers=1000, stores=12)
    m.step()
    assert len(_panels(city_figure(m))) == 1
    assert len(_panels(network_figure(m))) == 1


def test_network_panel_titles_count_todays_shares(stepped_dashboard):
    fig = network_figure(stepped_dashboard)
    for ax, arm in zip(_panels(fig), stepped_dashboard.arms, strict=True):
        n = np.unique(arm.model.pending_shares["sender"]).size
        assert ax.get_title().startswith(f"{arm.name}: {n} shared today")


def test_charts_hold_every_day_of_both_arms(stepped_dashboard):
    fig = charts_figure(stepped_dashboard)
    axes = fig.axes
    assert len(axes) == 6
    funnel, customers, traffic = axes[:3]
    assert len(funnel.patches) == 2 * len(STAGES)
    widths = [p.get_width() for p in funnel.patches]
    assert sum(widths) == 2 * stepped_dashboard.arms[0].model.population.size
    assert len(customers.lines) == 2 and len(traffic.lines) == 4
    for line in customers.lines + traffic.lines:
        assert list(line.get_xdata()) == list(range(stepped_dashboard.day))
    o2o_visits = traffic.lines[0].get_ydata()
    assert list(o2o_visits) == [r["visits"] for r in stepped_dashboard.arms[0].history]
