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
from sim.kernels.slots import slots_at
from sim.levers.base import Lever
from sim.levers.effects import Booking, Visibility

__all__ = ["RealTimeInfo", "Reservation"]


class Reservation(Lever):
    """Online reservations at brand stores (see module docstring)."""

    name = "reservation"
    touches = frozenset({"choice", "after_visits"})

    def setup(self, model) -> None:
        """Brand mask, counter, and the bookings the day takes at brand stores."""
        self.is_brand = model.is_brand
        self.bookings = 0
        self.booking = Booking(stores=self.is_brand, today=np.zeros(model.store_table.count, dtype=np.int64))

    def shape_choice(self, model, day: int, terms) -> None:
        """Booking removes the expected wait and adds the booking hassle."""
        pop = model.population
        bookable = slots_at(pop.slot_store, self.is_brand, pop.reachable)  # only the online can book
        wait = terms.writable("wait_min").reshape(-1)
        wait[bookable] = 0.0
        hassle = terms.writable("hassle").reshape(-1)
        hassle[bookable] += self.cfg.hassle

    def after_visits(self, model, day: int, outcome) -> None:
        """Pay the platform's fee for each of today's bookings (trips not made included)."""
        today = self.booking.today
        self.bookings += int(today.sum())
        booked = np.flatnonzero(today)
        self.pay(self.cfg.fee_per_booking * today[booked], booked)

    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        return {"reservations": self.bookings}


class RealTimeInfo(Lever):
    """Live crowding and stock online for brand stores (see module docstring)."""

    name = "realtime_info"
    touches = frozenset({"messages"})

    def setup(self, model) -> None:
        """Brand mask, and the brand's queues and shelves shown online (in-store visits)."""
        self.is_brand = model.is_brand
        self.visibility = Visibility(stores=self.is_brand, balk=True, stockout=True, in_store_only=True)

    def plan(self, model, day: int):
        """Pay the day's publishing cost (no messages)."""
        cfg: RealTimeInfoConfig = self.cfg
        self.pay(cfg.cost_per_store_day * model.brand_stores.size)
        return None


    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        return {"realtime_avoided_trips": self.visibility.avoided}



