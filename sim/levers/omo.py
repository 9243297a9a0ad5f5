"""The OMO package: one brand, merged channels.

Core object: :class:`OMO` (a lever). For the brand's stores (``O2OModel.brand_stores``):

* **Unified points** - members earn ``points_rate`` of every brand purchase in
  any channel; they see that value in their choice and it is paid as a cost.
* **Channel switching** - consumers reachable online may, besides visiting,
  order ahead and pick up without queueing (``pickup``), or have it delivered
  home within ``delivery_radius_km`` for a fee (``delivery``): distance and
  queues stop limiting the brand. Each channel's utility is the visit's plus a
  difference: pick-up ``+ expected wait cost - pickup_hassle``; delivery
  ``+ travel cost + expected wait cost - fee - delivery_penalty``. A store's
  channels form a nest (nested logit, scale ``channel_nest_scale`` = lambda):
  the store's utility gains ``lambda * log(1 + sum_c exp(d_c / lambda))`` and an
  intent's channel is drawn with probabilities proportional to ``exp(d_c / lambda)``
  (visit: d = 0). A small lambda makes near-identical channels (walking in vs
  picking up after the same trip) near-perfect substitutes, so offering one adds
  little beyond its real saving. The lever declares the nest as data
  (:class:`~sim.levers.effects.ChannelNest`); the compiled decision pass values it
  slot by slot and the day draws the channels (rules: :mod:`sim.rules.channels`).
* **Integrated inventory** - stock is visible online and pooled across the brand's
  stores: a trip that would meet a stock-out is not made; if delivery is on, the
  order is delivered from the stock the brand's stores have left today (first come,
  first served, while it lasts: a delivery order with its costs), else the consumer stays home.
* **Personalised targeting** - with unified data the push lever features, for
  each consumer, the participating store they liked best (remembered quality
  plus habit) rather than the nearest one.
* **Costs** - ``fixed_cost_per_store_day`` per brand store for the systems (paid to
  suppliers); delivery orders pay their commission and rider (docs/OUTPUTS.md); points
  are a liability: each member redeems their balance at their next brand purchase
  (members who never redeem - a ``economics.points_breakage`` share, drawn once - let
  it lapse after ``economics.points_expiry_days`` without a brand purchase). The
  day's points issued, redeemed and lapsed go to the ledger (:mod:`sim.outputs.ledger`), which
  books their cost with breakage.
"""

from __future__ import annotations

import numpy as np

from sim.config import OMOConfig
from sim.levers.base import DayOutcome, Lever
from sim.levers.effects import ChannelNest, Visibility

__all__ = ["OMO"]


class OMO(Lever):
    """The OMO package (see module docstring)."""

    name = "omo"
    touches = frozenset({"messages", "choice", "after_visits"})

    payee = "suppliers"  # the OMO systems' running cost

    def setup(self, model) -> None:
        """Brand mask, counters and the points wallets; unified data personalises the push lever."""
        cfg: OMOConfig = self.cfg
        if cfg.personalised_targeting:
            for lever in model.levers:
                if lever.personalisable:
                    lever.personalised = True
        self.is_brand = model.is_brand
        if cfg.integrated_inventory:  # stock visible online and pooled across the brand's stores
            self.visibility = Visibility(stores=self.is_brand, stockout=True, pooled_delivery=cfg.delivery)
        if cfg.pickup or cfg.delivery:
            self.channel_nest = ChannelNest(
                stores=self.is_brand, consumers=model.population.reachable, pickup=cfg.pickup,
                pickup_hassle=cfg.pickup_hassle, delivery=cfg.delivery, delivery_fee=cfg.delivery_fee,
                delivery_penalty=cfg.delivery_penalty, delivery_radius_km=cfg.delivery_radius_km,
                scale=cfg.channel_nest_scale, stream=f"lever:{self.name}:channel")
        self.points = 0.0
        n, econ = model.population.size, model.cfg.economics
        self.balance = np.zeros(n)  # points held (currency)
        self.last_earned = np.zeros(n, dtype=np.int64)  # day of the last brand purchase that earned
        self.points_store = np.zeros(n, dtype=np.int64)  # where they were last earned
        #: members who ever redeem their points (the others' points lapse: breakage)
        self.redeemer = model.streams.get("lever:omo:points").random(n) >= econ.points_breakage

    def plan(self, model, day: int):
        """Pay the day's running cost of the OMO systems (no messages)."""
        self.pay(self.cfg.fixed_cost_per_store_day * model.brand_stores.size)
        return None

    def shape_choice(self, model, day: int, terms) -> None:
        """Members see the points a brand purchase earns as money off at the brand's stores."""
        cfg: OMOConfig = self.cfg
        if cfg.unified_points:
            points = np.where(self.is_brand, cfg.points_rate * model.store_table.price, 0.0)
            terms.add_bonus(model.population.member, points)

    def after_visits(self, model, day: int, outcome: DayOutcome) -> None:
        """Members' points: lapse, redemption at a brand purchase, then earning; sent to the ledger."""
        cfg: OMOConfig = self.cfg
        if not cfg.unified_points:
            return
        econ, pop, count = model.cfg.economics, model.population, model.store_table.count
        held = np.flatnonzero(self.balance > 0)
        lapse = held[day - self.last_earned[held] > econ.points_expiry_days]
        expired = np.bincount(self.points_store[lapse], self.balance[lapse], minlength=count)
        self.balance[lapse] = 0.0
        buy = outcome.served & self.is_brand[outcome.store] & pop.member[outcome.consumer]
        c, store = outcome.consumer[buy], outcome.store[buy]
        paid = outcome.ticket[buy] - outcome.discount[buy]
        use = np.where(self.redeemer[c], np.minimum(self.balance[c], paid), 0.0)
        self.balance[c] -= use
        earned = cfg.points_rate * outcome.ticket[buy]
        self.balance[c] += earned
        self.last_earned[c] = day
        self.points_store[c] = store
        self.points += float(earned.sum())
        model.recorder.points(np.bincount(store, earned, minlength=count),
                              np.bincount(store, use, minlength=count), expired)

    def outstanding(self) -> float:
        """Points held by members now (currency)."""
        return float(self.balance.sum())

    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        shown = self.visibility
        return {"omo_avoided_trips": shown.avoided if shown else 0,
                "omo_pooled_deliveries": shown.pooled if shown else 0,
                "omo_points": self.points}



