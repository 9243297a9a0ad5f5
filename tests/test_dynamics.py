"""sim.outputs.dynamics: the campaign's window, the brand's purchases around it, deal customers' return."""

from __future__ import annotations

import numpy as np

from sim.outputs.dynamics import DealReturns, campaign_window


class _Lever:
    def __init__(self, window):
        self.active_window = window


def test_the_window_spans_every_lever_and_an_always_on_lever_has_none():
    assert campaign_window([_Lever((3, 30)), _Lever((10, 40))]) == (3, 40)
    assert campaign_window([_Lever((3, 30)), _Lever(None)]) is None
    assert campaign_window([]) is None


def test_only_new_deal_customers_count_and_a_full_price_purchase_after_the_deal_is_a_return():
    brand = np.array([True, False])
    track = DealReturns(4)
    # consumer 3 already knew the brand
    track.update(0, np.array([3]), np.array([0]), np.array([True]), np.array([False]), brand)
    track.update(1, np.array([0, 1, 2, 3]), np.array([0, 0, 0, 0]), np.ones(4, bool), np.ones(4, bool), brand)
    track.update(2, np.array([0, 1, 3]), np.array([0, 1, 0]), np.ones(3, bool), np.zeros(3, bool), brand)
    assert track.deal_day.tolist() == [1, 1, 1, 1] and track.new.tolist() == [True, True, True, False]
    assert track.returned.tolist() == [True, False, False, True]  # 1 came back to another merchant
    metrics = track.metrics(last_day=100)
    assert metrics["deal_customers"] == 3 and np.isclose(metrics["deal_return_rate"], 1 / 3)
    assert np.isnan(track.metrics(last_day=10)["deal_return_rate"])  # nobody had 28 days left
