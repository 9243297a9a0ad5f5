"""sim.rules.channels: the channel nest's rules, and the compiled decision pass valuing it as they say."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engine.model import O2OModel
from sim.levers.effects import ChannelNest
from sim.rules import channels
from sim.rules.codes import DELIVERY, IN_STORE, PICKUP


def _nest(**over) -> ChannelNest:
    values = dict(stores=np.ones(1, dtype=bool), consumers=np.ones(1, dtype=bool), pickup=True,
                  pickup_hassle=0.2, delivery=True, delivery_fee=8.0, delivery_penalty=0.4,
                  delivery_radius_km=15.0, scale=0.5, stream="test")
    values.update(over)
    return ChannelNest(**values)


def test_deltas_follow_the_documented_differences():
    nest = _nest()
    pick, deliver = channels.deltas_at([1.0, 1.0], [2.0, 2.0], [0.1, 0.1], [3.0, 20.0], nest.params)
    np.testing.assert_allclose(pick, [(1.0 - 0.2) / 0.5] * 2)
    np.testing.assert_allclose(deliver[0], (2.0 + 1.0 - 0.1 * 8.0 - 0.4) / 0.5)
    assert np.isneginf(deliver[1])  # beyond the radius


def test_a_channel_not_offered_has_no_weight_and_adds_nothing():
    off = _nest(pickup=False, delivery=False)
    pick, deliver = channels.deltas_at([5.0], [5.0], [0.1], [1.0], off.params)
    assert np.isneginf(pick).all() and np.isneginf(deliver).all()
    assert channels.nest_gain(pick, deliver, off.scale)[0] == 0.0
    assert (channels.draw_channels(pick, deliver, np.array([0.999])) == IN_STORE).all()


def test_channel_draws_follow_the_logit_shares():
    rng = np.random.default_rng(1)
    n = 200_000
    pick, deliver = np.full(n, 0.5), np.full(n, -0.3)
    drawn = channels.draw_channels(pick, deliver, rng.random(n))
    w = np.exp([0.0, 0.5, -0.3])
    expected = w / w.sum()
    seen = np.array([(drawn == c).mean() for c in (IN_STORE, PICKUP, DELIVERY)])
    assert (np.abs(seen - expected) < 4 * np.sqrt(expected * (1 - expected) / n)).all(), (seen, expected)


def test_the_gain_is_the_nested_logit_inclusive_value():
    pick, deliver = np.array([0.3]), np.array([-1.0])
    gain = channels.nest_gain(pick, deliver, 0.4)
    np.testing.assert_allclose(gain, 0.4 * np.log(np.exp(0.0) + np.exp(0.3) + np.exp(-1.0)))
    assert channels.nest_gain(np.array([800.0]), np.array([-np.inf]), 1.0)[0] == np.inf  # no warning


@pytest.mark.parametrize("over", [[], ["behavior.distance_form=log"], ["city.spatial=false"]])
def test_the_compiled_pass_adds_the_reference_gain_at_every_slot(over):
    cfg = sim.load_config(["scenario=omo_full", "population.size=1200", "stores.count=20", "days=5",
                           "warmup_days=3", "seed=4", "campaign.omo.unified_points=false", *over])
    model = O2OModel(cfg)
    with_nest, available = (a.copy() for a in model.utilities(0))
    nest = model.campaign_plan.nest
    reference = model.shaped_terms(0).terms  # the full terms hold the nest's gain (numpy reference)
    model.campaign_plan.nest = None
    without, _ = model.utilities(0)
    pop, t = model.population, model.store_table
    gain = channels.nest_extra(reference, nest, pop.slot_store, pop.slot_distance, t.expected_wait_min,
                               cfg.behavior.wait_aversion)
    assert (gain[available] > 0).any()
    added = with_nest[available] - without[available]
    # (a few slots of the log-distance form differ in the ninth decimal; the gains are 0.01-1 utils)
    np.testing.assert_allclose(added, gain[available], rtol=1e-8, atol=1e-8)


def test_two_levers_offering_channels_are_refused(small_cfg):
    from sim.levers.base import Lever

    class Kiosk(Lever):
        name = "kiosk"

        def setup(self, model):
            self.channel_nest = _nest(stores=model.is_brand, consumers=model.population.reachable)

    model = O2OModel(small_cfg({"campaign.omo.enabled": True}))
    with pytest.raises(ValueError, match="at most one lever may offer them"):
        model.add_lever(Kiosk(None, 0))
