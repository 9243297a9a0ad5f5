"""Levers on the visit itself: online reservations and real-time crowd and stock information.

Core objects:
    * :class:`Reservation` - reachable consumers can book the brand's stores
      online: in their choice the expected wait disappears and a booking hassle
      appears; in the store their booking goes ahead of walk-ins (SimPy
      priority) and they do not balk. Each booking costs a platform fee.
    * :class:`RealTimeInfo` - the brand's live crowding and stock are online: a
      reachable consumer whose trip would end in balking at a long queue or at an
      empty shelf sees it beforehand and does not go (no wasted trip, no angry
      review). Publishing costs a fee per store and day.
"""

from __future__ import annotations

import numpy as np

from sim.config import RealTimeInfoConfig
from sim.levers.base import Lever
from sim.rules.codes import BALKED, IN_STORE, STOCKOUT

__all__ = ["RealTimeInfo", "Reservation"]


class Reservation(Lever):
    """Online reservations at brand stores (see module docstring)."""

    name = "reservation"

    def setup(self, model) -> None:
        """Brand mask and counter."""
        self.is_brand = model.is_brand
        self.bookings = 0

    def shape_choice(self, model, day: int, terms) -> None:
        """Booking removes the expected wait and adds the booking hassle."""
        pop = model.population
        bookable = ((pop.slot_store >= 0) & self.is_brand[np.maximum(pop.slot_store, 0)]
                    & pop.reachable[:, None])
        wait = terms.writable("wait_min")
        wait[bookable] = 0.0
        hassle = terms.writable("hassle")
        hassle[bookable] += self.cfg.hassle

    def before_service(self, model, day: int, visits, channel) -> None:
        """Booked visitors go first and never balk (in-store visits only)."""
        booked = (self.is_brand[visits.store] & model.population.reachable[visits.consumer]
                  & (channel == IN_STORE))
        visits.priority[booked] = 0
        visits.balk_min[booked] = np.inf
        self.bookings += int(booked.sum())
        self.pay(np.full(int(booked.sum()), self.cfg.fee_per_booking), visits.store[booked])

    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        return {"reservations": self.bookings}


class RealTimeInfo(Lever):
    """Live crowding and stock online for brand stores (see module docstring)."""

    name = "realtime_info"

    def setup(self, model) -> None:
        """Brand mask and counter."""
        self.is_brand = model.is_brand
        self.avoided = 0

    def plan(self, model, day: int):
        """Pay the day's publishing cost (no messages)."""
        cfg: RealTimeInfoConfig = self.cfg
        self.pay(cfg.cost_per_store_day * model.brand_stores.size)
        return None

    def after_service(self, model, day: int, visits, outcome, channel, keep) -> None:
        """Trips that would balk or meet a stock-out are not made by those who can see it online."""
        would_fail = (outcome == BALKED) | (outcome == STOCKOUT)
        seen = (would_fail & self.is_brand[visits.store] & model.population.reachable[visits.consumer]
                & (channel == IN_STORE) & keep)
        keep[seen] = False
        self.avoided += int(seen.sum())

    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        return {"realtime_avoided_trips": self.avoided}



