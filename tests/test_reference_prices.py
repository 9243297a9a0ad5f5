"""sim.world.reference_prices: a deal lowers the remembered price; full-price purchases restore it."""

from __future__ import annotations

import numpy as np

from sim.rules.behavior import reference_loss
from sim.world.reference_prices import NO_REFERENCE, ReferencePrices


def test_a_deal_sets_the_reference_and_full_price_purchases_move_it_back():
    refs = ReferencePrices(3, weight=0.5)
    refs.update(np.array([0, 1]), np.array([7, 8]), np.array([0.7, 1.0]), np.array([True, False]))
    assert refs.store.tolist() == [7, NO_REFERENCE, NO_REFERENCE]  # a full-price purchase sets nothing
    assert refs.share[0] == 0.85
    refs.update(np.array([0]), np.array([7]), np.array([1.0]), np.array([False]))
    assert refs.store[0] == 7 and refs.share[0] == 0.925
    # a deal elsewhere replaces it
    refs.update(np.array([0]), np.array([9]), np.array([0.5]), np.array([True]))
    assert refs.store[0] == 9 and refs.share[0] == 0.75
    refs.update(np.array([0]), np.array([4]), np.array([1.0]), np.array([False]))  # full price elsewhere
    assert refs.store[0] == 9 and refs.share[0] == 0.75


def test_paying_above_the_remembered_share_is_a_loss_and_below_is_none():
    m, price = 0.04, 80.0
    assert np.isclose(reference_loss(m, price, 0.0, 0.85, 2.25), m * price * 2.25 * 0.15)
    assert reference_loss(m, price, 0.3 * price, 0.85, 2.25) == 0.0  # a deal as deep as the last: no loss
    assert reference_loss(m, price, 0.0, 1.0, 2.25) == 0.0  # nothing remembered
    assert reference_loss(m, price, 0.0, 0.5, 0.0) == 0.0  # losses not weighed


def test_the_compiled_decision_charges_the_loss_at_the_remembered_store_only(small_cfg):
    from sim.engine.model import O2OModel

    model = O2OModel(small_cfg({"campaign.push_coupon.enabled": False}))
    pop, t = model.population, model.store_table
    c = int(np.flatnonzero(pop.slot_aware.any(axis=1))[0])
    j = int(np.flatnonzero(pop.slot_aware[c])[0])
    before, available = (a.copy() for a in model.utilities(0))
    model.reference_prices.store[c], model.reference_prices.share[c] = pop.slot_store[c, j], 0.8
    after, _ = model.utilities(0)
    price = t.price[pop.slot_store[c, j]]
    expected = float(pop.money_weight[c]) * price * model.cfg.behavior.loss_aversion * 0.2
    assert np.isclose(after[c, j], before[c, j] - expected, rtol=1e-9)
    changed = np.argwhere(available & (after != before))
    assert changed.tolist() == [[c, j]]
