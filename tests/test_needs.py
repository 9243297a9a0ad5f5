"""sim.world.needs: a purchase lowers the need for the next one, which recovers over the category's cycle."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from sim.config import CATEGORIES
from sim.world.needs import Needs


def _needs(n=4, weight=1.0, initial=0.0):
    behavior = SimpleNamespace(need_weight=weight, need_initial_days=initial, cycle_restaurant_days=3.0,
                               cycle_retail_days=7.0, cycle_service_days=14.0)
    return Needs(n, behavior, np.random.default_rng(0))


def test_the_need_term_is_the_log_chance_the_need_has_arisen():
    needs = _needs()
    needs.since[:] = 1.0  # the day after a purchase
    expected = np.log(1.0 - np.exp(-1.0 / np.array([3.0, 7.0, 14.0])))
    np.testing.assert_allclose(needs.need_utils()[0], expected)
    needs.since[:] = 500.0
    np.testing.assert_allclose(needs.need_utils(), 0.0, atol=1e-12)  # long after: no trace


def test_a_purchase_resets_only_its_category_and_the_night_counts_a_day():
    needs = _needs(initial=10.0)
    before = needs.since.copy()
    needs.bought(np.array([1]), np.array([CATEGORIES.index("service")]))
    needs.night()
    assert needs.since[1, CATEGORIES.index("service")] == 1.0
    mask = np.ones_like(before, dtype=bool)
    mask[1, CATEGORIES.index("service")] = False
    np.testing.assert_allclose(needs.since[mask], before[mask] + 1.0)
    assert (needs.since >= 1.0).all()  # initial draws start at 1 day


def test_without_weight_the_constants_pass_through_unchanged():
    needs = _needs(weight=0.0)
    asc = np.array([0.3, 0.0, -0.3])
    utils = needs.category_utils(asc)
    assert utils.shape == (4, 3) and (utils == asc).all()


def test_needs_space_out_a_consumers_purchases(small_cfg):
    """With purchase cycles, fewer purchases come the day after another in the same category."""
    from sim.engine.model import O2OModel

    def next_day_share(weight):
        model = O2OModel(small_cfg({"behavior.need_weight": weight, "campaign.push_coupon.enabled": False},
                                   seed=2))
        soon = total = 0
        for _ in range(model.cfg.days):
            recent = model.needs.since.copy()  # 1: bought yesterday in that category
            model.step()
            bought = model.needs.since == 1.0  # bought today
            soon += int((bought & (recent == 1.0)).sum())
            total += int(bought.sum())
        return soon / total

    assert next_day_share(1.0) < 0.5 * next_day_share(0.0)
