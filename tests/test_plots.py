"""sim.outputs.plots: figures drawn from Results only, written as PNG."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

import sim
from sim.outputs.plots import plot_city_map, plot_daily, plot_funnel, save_figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_save_figures_writes_three_non_empty_pngs(finished_results, tmp_path):
    paths = save_figures(finished_results, tmp_path / "figs")
    assert len(paths) == 3
    assert sorted(p.name for p in paths) == ["city_map.png", "daily.png", "funnel.png"]
    contents = set()
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == PNG_SIGNATURE, p
        assert len(data) > 5_000, (p, len(data))
        # IHDR: width and height of a real figure, not a 1x1 placeholder
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width > 300 and height > 300, (p, width, height)
        contents.add(data)
    assert len(contents) == 3
    assert sorted(x.name for x in (tmp_path / "figs").iterdir()) == sorted(p.name for p in paths)


@pytest.mark.parametrize("make", [plot_funnel, plot_daily, plot_city_map])
def test_each_figure_has_titled_axes(finished_results, make):
    before = len(plt.get_fignums())
    fig = make(finished_results)
    try:
        axes = fig.get_axes()
        assert axes
        titles = [ax.get_title() for ax in axes] + [fig.get_suptitle()]
        assert any(f"seed {finished_results.summary['seed']}" in t for t in titles)
        assert any(ax.has_data() for ax in axes)
    finally:
        plt.close(fig)
    assert len(plt.get_fignums()) == before


def test_funnel_bars_match_the_summary(finished_results):
    fig = plot_funnel(finished_results)
    try:
        heights = [round(p.get_height()) for ax in fig.axes for p in ax.patches]
        s = finished_results.summary
        for key in ("intents", "visits", "purchases", "coupons_issued", "redemptions"):
            assert s[key] in heights, (key, s[key], heights)
    finally:
        plt.close(fig)


def test_figures_for_a_run_without_campaign(small_cfg, tmp_path):
    r = sim.run(small_cfg({"campaign.push_coupon.enabled": False}, days=3))
    paths = save_figures(r, tmp_path)
    assert all(p.read_bytes()[:8] == PNG_SIGNATURE and p.stat().st_size > 5_000 for p in paths)
    assert not plt.get_fignums()               # every figure was closed
