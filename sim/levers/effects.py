"""What levers change in the store day and after it, as data the day's compiled passes read.

Core objects (a lever sets any of them in its ``setup``; the day plan collects them):
    * :class:`Booking` - online reservations: at these stores, an in-store visit by a consumer
      reachable online is booked: it goes ahead of walk-ins and never balks. The day counts
      the bookings per store (:attr:`Booking.today`).
    * :class:`Visibility` - crowding and stock shown online: at these stores, a consumer
      reachable online who would meet one of the failures shown does not make the trip; with
      ``pooled_delivery`` a sold-out order is delivered from the stock the stores have left
      instead. The day counts the trips avoided and the pooled deliveries.
    * :class:`Engagement` - review and share chances multiplied per store (capped at 1).
    * :class:`ChannelNest` - pick-up and delivery offered beside the visit at some stores, to
      consumers reachable online: the decision pass adds the nest's gain to those stores'
      utility and the day draws each intent's channel (rules: :mod:`sim.rules.channels`).

The rules that read them are in :mod:`sim.engine.day` (one home each); levers no longer
reach into the day between its passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Booking", "ChannelNest", "Engagement", "Visibility"]


@dataclass
class Booking:
    """Online reservations at some stores (see module docstring).

    Attributes:
        stores: (S,) bool, the stores that take bookings.
        today: (S,) int, today's bookings per store (written by the day; dropped trips included).
    """

    stores: np.ndarray
    today: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class Visibility:
    """Failures shown online before the trip (see module docstring).

    Attributes:
        stores: (S,) bool, the stores whose state is shown.
        balk: a queue long enough to balk at is shown (in-store visits only).
        stockout: an empty shelf is shown.
        in_store_only: only in-store visits see the shelf (else every channel but delivery).
        pooled_delivery: a sold-out order is delivered from the stores' pooled stock while it lasts.
        avoided: trips not made because of what was shown (cumulative; delivered ones included).
        pooled: orders delivered from the pooled stock (cumulative).
    """

    stores: np.ndarray
    balk: bool = False
    stockout: bool = True
    in_store_only: bool = False
    pooled_delivery: bool = False
    avoided: int = 0
    pooled: int = 0


@dataclass
class Engagement:
    """Review and share chances multiplied per store (see module docstring).

    Attributes:
        review: (S,) multiplier of the chance of posting a review after a visit to each store.
        share: (S,) multiplier of the chance of sharing it.
    """

    review: np.ndarray
    share: np.ndarray


@dataclass
class ChannelNest:
    """Other channels beside the store visit (see module docstring and :mod:`sim.rules.channels`).

    Attributes:
        stores: (S,) bool, the stores that offer them.
        consumers: (N,) bool, the consumers who can order online.
        pickup: pick-up is offered (order ahead, collect without queueing).
        pickup_hassle: the hassle of ordering ahead (utils).
        delivery: delivery home is offered within ``delivery_radius_km``.
        delivery_fee: the consumer's fee (currency).
        delivery_penalty: the utility lost by not seeing and taking the goods at once (utils).
        delivery_radius_km: how far the stores deliver.
        scale: the nest scale lambda in (0, 1]: small makes the channels near-perfect substitutes.
        stream: the name of the random stream of the channel draws.
    """

    stores: np.ndarray
    consumers: np.ndarray
    pickup: bool
    pickup_hassle: float
    delivery: bool
    delivery_fee: float
    delivery_penalty: float
    delivery_radius_km: float
    scale: float
    stream: str

    @property
    def params(self) -> tuple[float, float, float, float, float]:
        """The nest's parameters for :func:`sim.rules.channels.channel_deltas`.

        ``(pickup_hassle, delivery_fee, delivery_penalty, delivery_radius_km, scale)``: an
        infinite hassle when pick-up is off, a negative radius when delivery is off.
        """
        return (float(self.pickup_hassle) if self.pickup else np.inf, float(self.delivery_fee),
                float(self.delivery_penalty), float(self.delivery_radius_km) if self.delivery else -1.0,
                float(self.scale))
