"""sim.kernels.channels: OMO's channel terms at the brand slots equal the numpy expressions, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.model import O2OModel
from sim.kernels.channels import brand_channel_terms


@pytest.mark.parametrize("over", [{}, {"behavior.distance_form": "log"}, {"city.spatial": False}])
def test_channel_terms_equal_the_numpy_reference(small_cfg, over):
    model = O2OModel(small_cfg({"campaign.omo.enabled": True, "campaign.brand_share": 0.5, **over}))
    pop, t, b, city = model.population, model.store_table, model.cfg.behavior, model.cfg.city
    fee = model.cfg.campaign.omo.delivery_fee
    flat, wait_cost, travel, m_fee, distance = brand_channel_terms(
        pop, model.is_brand, t.expected_wait_min, b.wait_aversion, fee, city, b.distance_form == "log")
    store = np.maximum(pop.slot_store, 0)
    brand = (pop.slot_store >= 0) & model.is_brand[store]
    want = np.flatnonzero(brand & pop.reachable[:, None])
    assert want.size and np.array_equal(flat, want)
    rows, cols = flat // pop.slots, flat % pop.slots
    m, vot = pop.money_weight[rows], pop.value_of_time[rows]
    wait = t.expected_wait_min[store[rows, cols]]
    assert np.array_equal(wait_cost, m * vot * b.wait_aversion * wait / 60.0)
    assert np.array_equal(m_fee, m * fee) and m_fee.dtype == np.float32
    assert np.array_equal(distance, pop.slot_distance[rows, cols])
    full = model.utility_terms(model.day).travel_utils()  # the reference: every slot's trip cost
    du = 0.0
    if b.distance_form == "log":
        from sim.world.city import distance_utility
        du = distance_utility(distance, city, b.beta_log_distance)
    np.testing.assert_array_equal(travel + du, np.broadcast_to(full, pop.slot_store.shape)[rows, cols])
