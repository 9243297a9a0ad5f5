"""Membership levers: reverse O2O (in-store QR joins) and CRM (reminders, win-back, VIP perks).

Core objects:
    * :class:`ReverseO2O` - offline -> online: a served visitor at a brand store
      scans the QR code with probability ``join_rate`` and becomes a member,
      reachable online and opted in to messages; each join costs a reward.
    * :class:`CRM` - the member database. On CRM days members whose last brand
      purchase is ``reminder_after_days`` old get a repurchase reminder (a prompt,
      no coupon); members lapsed for ``lapsed_days`` get a win-back coupon; VIP
      members (``vip_purchases`` brand purchases) see a standing discount at
      brand stores (in their choice, and paid as a perk on each purchase, booked
      as campaign cost while the budget lasts). It keeps each member's brand
      revenue, so CLV per member is reported.

The brand is the set of stores ``O2OModel.brand_stores`` (``campaign.brand_share``).
"""

from __future__ import annotations

import numpy as np

from sim.config import CRMConfig, ReverseO2OConfig
from sim.levers.base import FACE_CAP_MULTIPLE, DayOutcome, Exposures, Lever
from sim.rules.codes import DELIVERY

__all__ = ["CRM", "ReverseO2O"]


class ReverseO2O(Lever):
    """In-store QR code: visitors join the brand's membership (see module docstring)."""

    name = "reverse_o2o"
    touches = frozenset({"after_visits"})
    payee = "consumers"  # the joining reward

    def setup(self, model) -> None:
        """Start the join counter."""
        self.joins = 0

    def after_visits(self, model, day: int, outcome: DayOutcome) -> None:
        """Served visitors at brand stores may scan and join."""
        cfg: ReverseO2OConfig = self.cfg
        pop = model.population
        in_person = outcome.channel != DELIVERY  # the QR code is at the till
        at_brand = outcome.served & in_person & model.is_brand[outcome.store]
        candidates, first = np.unique(outcome.consumer[at_brand & ~pop.member[outcome.consumer]],
                                      return_index=True)
        where = outcome.store[at_brand & ~pop.member[outcome.consumer]][first]
        joins = model.uniforms(f"lever:{self.name}", candidates) < cfg.join_rate
        join = candidates[joins]
        pop.member[join] = True
        pop.reachable[join] = True
        pop.push_opt_in[join] = True
        self.joins += int(join.size)
        self.pay(np.full(join.size, cfg.join_reward), where[joins])

    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        return {"qr_joins": self.joins}


class CRM(Lever):
    """Member database with reminders, win-back coupons and VIP perks (see module docstring)."""

    name = "crm"
    touches = frozenset({"messages", "choice", "after_visits"})
    payee = "suppliers"  # messages through the brand's own channels; VIP perks go to consumers

    def setup(self, model) -> None:
        """Per-consumer brand history and the brand's store mask."""
        n = model.population.size
        self.last_brand_purchase = np.full(n, -(2**30), dtype=np.int64)
        self.brand_purchases = np.zeros(n, dtype=np.int64)
        self.member_revenue = np.zeros(n)
        self.is_brand = model.is_brand
        self.reminders = self.winbacks = 0
        self.perks = 0.0

    def start(self, model) -> None:
        """Members' last purchase before day 0 seeds the database (the platform's records)."""
        pop = model.population
        self.last_brand_purchase[pop.member] = pop.last_visit_day[pop.member]

    def vip(self, model) -> np.ndarray:
        """(N,) VIP members."""
        return model.population.member & (self.brand_purchases >= self.cfg.vip_purchases)

    def _nearest_brand_slot_store(self, model, consumers: np.ndarray) -> np.ndarray:
        """For each consumer, the brand store they know best (highest habit), else the nearest brand store."""
        pop = model.population
        slots = pop.slot_store[consumers]
        brand_slot = (slots >= 0) & self.is_brand[np.maximum(slots, 0)]
        habit = np.where(brand_slot, pop.slot_habit[consumers], -1.0)
        best = habit.argmax(axis=1)
        known = brand_slot.any(axis=1)
        chosen = slots[np.arange(consumers.size), best]
        return np.where(known, chosen, model.nearest_brand[consumers])

    def plan(self, model, day: int) -> Exposures | None:
        """CRM day: reminders to members due a repurchase, win-back coupons to lapsed members."""
        cfg: CRMConfig = self.cfg
        offset = day - cfg.start_day
        if offset < 0 or offset % cfg.every_days:
            return None
        pop, table = model.population, model.store_table
        since = day - self.last_brand_purchase
        due = pop.member & (since >= cfg.reminder_after_days) & (since < cfg.lapsed_days)
        lapsed = pop.member & (since >= cfg.lapsed_days)
        consumer = np.concatenate([np.flatnonzero(due), np.flatnonzero(lapsed)])
        if consumer.size == 0:
            return None
        consumer = consumer[model.draws(f"lever:{self.name}").permutation(consumer.size)]
        store = self._nearest_brand_slot_store(model, consumer)
        winback = lapsed[consumer]
        face = np.where(winback, FACE_CAP_MULTIPLE * cfg.winback_discount * table.price[store], 0.0)
        unit = cfg.cost_per_message + cfg.open_rate * face
        ok = np.cumsum(unit) <= self.remaining(model.coupon_book)
        consumer, store, winback, face = consumer[ok], store[ok], winback[ok], face[ok]
        if consumer.size == 0:
            return None
        self.pay(np.full(consumer.size, cfg.cost_per_message), store)
        self.reminders += int((~winback).sum())
        self.winbacks += int(winback.sum())
        prompt = model.cfg.behavior.prompt_utility * 0.5
        return Exposures(
            consumer=consumer, store=store,
            attention_p=np.full(consumer.size, cfg.open_rate),
            coupon_rate=np.where(winback, cfg.winback_discount, 0.0),
            coupon_face=face, coupon_min=np.zeros(consumer.size),
            coupon_expiry=np.full(consumer.size, day + cfg.validity_days - 1, dtype=np.int64),
            prompt=np.full(consumer.size, prompt), lever=self.index,
        )

    def shape_choice(self, model, day: int, terms) -> None:
        """VIP members see their standing discount at brand stores."""
        cfg: CRMConfig = self.cfg
        if cfg.vip_discount <= 0 or day < cfg.start_day or self.remaining(model.coupon_book) <= 0:
            return
        vip = self.vip(model)
        if not vip.any():
            return
        terms.add_bonus(vip, np.where(self.is_brand, cfg.vip_discount * model.store_table.price, 0.0))

    def after_visits(self, model, day: int, outcome: DayOutcome) -> None:
        """Record members' brand purchases; pay VIP perks."""
        cfg: CRMConfig = self.cfg
        pop = model.population
        brand = outcome.served & self.is_brand[outcome.store]
        c = outcome.consumer[brand]
        if day >= cfg.start_day:
            vip = self.vip(model)[c]
            perk = cfg.vip_discount * outcome.ticket[brand][vip]
            within = np.cumsum(perk) <= self.remaining(model.coupon_book)  # perks stop at the budget
            perk = perk[within]
            self.perks += float(perk.sum())
            self.pay(perk, outcome.store[brand][vip][within], payee="consumers")
        self.last_brand_purchase[c] = day
        np.add.at(self.brand_purchases, c, 1)
        members = pop.member[c]
        np.add.at(self.member_revenue, c[members], outcome.ticket[brand][members])

    def summary(self) -> dict[str, float]:
        """Members' CLV over the run and the programme's activity."""
        return {"crm_reminders": self.reminders, "crm_winbacks": self.winbacks,
                "crm_vip_perks": self.perks}
