"""The lever protocol: what a strategy lever sends, and its cost books.

Core objects:
    * :class:`Exposures` - what a lever sends today: (consumer, store) pairs with
      the chance each is noticed, a coupon (rate, face cap, expiry) and a
      timing prompt. The model applies them in the "Online" phase.
    * :class:`Lever` - the protocol: ``plan(model, day) -> Exposures | None``,
      plus cost bookkeeping against the lever's budget.
    * :class:`CouponBook` - issued, redeemed and outstanding coupon liability per
      lever; spend = fixed costs + discounts paid. A coupon is claimed only if its
      face value fits in the budget left after fixed costs, discounts paid and the
      face value of coupons still outstanding, so spend can never pass the budget.

The concrete levers live in their own modules of :mod:`sim.levers`, whose ``__init__`` holds
the registry; this module imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.levers.effects import Booking, ChannelNest, Engagement, Visibility
from sim.outputs.ledger import PAYEES
from sim.rules.behavior import prompt_timing_at

__all__ = ["FACE_CAP_MULTIPLE", "CouponBook", "DayOutcome", "Exposures", "Lever", "best_send_hour",
           "best_send_hours", "hour_attention"]

#: Coupon discounts are capped at this multiple of (rate x the store's average ticket).
FACE_CAP_MULTIPLE = 1.5


def best_send_hour(peaks: tuple[float, ...], window_h: float, decay_h: float) -> int:
    """The hour that maximises attention x timing for a category, for a recipient next door."""
    return int(best_send_hours(peaks, window_h, decay_h, np.zeros(1))[0][0])


def best_send_hours(peaks: tuple[float, ...], window_h: float, decay_h: float,
                    travel_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each recipient's hour that maximises attention x timing (ties: the earliest), and its timing.

    Args:
        peaks: the category's peak hours.
        window_h: the best lead before a peak for a recipient next door (hours).
        decay_h: how fast the timing falls off that lead (hours).
        travel_h: (M,) each recipient's one-way travel time to the store (hours).

    Returns:
        ``(hour, timing)``, each (M,): :func:`~sim.rules.behavior.prompt_timing_at` at that hour.
    """
    by_hour = np.stack([prompt_timing_at(h, peaks, window_h, decay_h, travel_h) for h in range(24)])
    awake = np.array([hour_attention(h) for h in range(24)])
    hour = np.argmax(awake[:, None] * by_hour, axis=0)
    return hour, by_hour[hour, np.arange(hour.size)]


def hour_attention(hour: int) -> float:
    """Share of messages noticed in the moment, by hour sent (people sleep at night)."""
    if 8 <= hour <= 21:
        return 1.0
    if hour in (7, 22):
        return 0.5
    return 0.15


@dataclass
class Exposures:
    """Messages a lever sends today (arrays of length M).

    Attributes:
        consumer, store: recipient and the store the message features.
        attention_p: probability the recipient notices it.
        coupon_rate: discount fraction for a percent-off coupon (0 for amount-off or none).
        coupon_face: most the coupon can take off (currency); 0 = no coupon.
        coupon_min: minimum spend for the coupon to apply (currency, 0 = none).
        coupon_expiry: last valid day.
        prompt: utility boost for visiting that store today if noticed.
        lever: index of the sending lever.
    """

    consumer: np.ndarray
    store: np.ndarray
    attention_p: np.ndarray
    coupon_rate: np.ndarray
    coupon_face: np.ndarray
    coupon_min: np.ndarray
    coupon_expiry: np.ndarray
    prompt: np.ndarray
    lever: int

    @property
    def size(self) -> int:
        """Number of messages M."""
        return self.consumer.size


@dataclass
class DayOutcome:
    """The day's visits and what came of them (arrays of length V), for levers' ``after_visits``.

    Attributes:
        consumer, store, slot: who went where (slot in the consumer's consideration set).
        channel: :data:`sim.rules.codes.CHANNELS` code (in store, pick-up, delivery).
        outcome: :mod:`sim.engine.service` outcome codes; ``served`` is ``outcome == SERVED``.
        wait: minutes queued.
        ticket: gross ticket of each purchase (currency).
        discount: coupon discount granted.
        redeem: a coupon was redeemed.
        review, share: the visitor posted a review / shared the experience.
        disconfirmation: satisfaction: experienced minus expected quality, plus the perceived value of
            the price paid and of a deal used (stars; docs/ODD.md 7.13).
    """

    consumer: np.ndarray
    store: np.ndarray
    slot: np.ndarray
    channel: np.ndarray
    outcome: np.ndarray
    served: np.ndarray
    wait: np.ndarray
    ticket: np.ndarray
    discount: np.ndarray
    redeem: np.ndarray
    review: np.ndarray
    share: np.ndarray
    disconfirmation: np.ndarray


class CouponBook:
    """Coupon accounting per lever: issued, redeemed, liability by expiry day, discounts paid."""

    def __init__(self, levers: int, days: int, max_validity: int, caps: np.ndarray | None = None):
        self.caps = np.zeros(levers, dtype=np.int64) if caps is None else np.asarray(caps, dtype=np.int64)
        self.issued = np.zeros(levers, dtype=np.int64)
        self.redeemed = np.zeros(levers, dtype=np.int64)
        self.discounts = np.zeros(levers)
        self.liability = np.zeros((levers, days + max_validity + 1))

    def reserve(self, lever: int, expiry: np.ndarray, face: np.ndarray) -> None:
        """Reserve the face value of claimed coupons until they are redeemed or lapse."""
        np.add.at(self.liability[lever], expiry, face)

    def issue(self, lever: int, count: int) -> None:
        """Count coupons that reached a wallet."""
        self.issued[lever] += count

    def redeem(self, lever: np.ndarray, expiry: np.ndarray, face: np.ndarray,
               discount: np.ndarray) -> None:
        """Book redemptions: pay the discount, free the reservation."""
        np.add.at(self.redeemed, lever, 1)
        np.add.at(self.discounts, lever, discount)
        np.subtract.at(self.liability, (lever, expiry), face)

    def within_cap(self, lever: np.ndarray) -> np.ndarray:
        """Which of these would-be redemptions (in order) fit each lever's redemption cap (0 = none)."""
        ok = np.ones(lever.size, dtype=bool)
        for k in np.flatnonzero(self.caps > 0):
            mine = np.flatnonzero(lever == k)
            ok[mine[max(0, self.caps[k] - self.redeemed[k]):]] = False
        return ok

    def expire(self, day: int) -> None:
        """Coupons whose last valid day was ``day`` lapse: free their reservation."""
        self.liability[:, day] = 0.0

    def outstanding(self, lever: int) -> float:
        """Face value still reserved for a lever."""
        return float(self.liability[lever].sum())


class Lever:
    """Protocol of a strategy lever.

    Subclasses set :attr:`name`, declare in :attr:`touches` the hooks they implement (the day
    plan runs a phase only when a lever touches it: ``tests/test_plan.py`` checks each
    declaration against the methods a lever overrides), read their config section and
    implement :meth:`plan`. What a lever changes in the store day and after it is data set in
    :meth:`setup` (:attr:`booking`, :attr:`visibility`, :attr:`engagement`, :attr:`channel_nest`:
    :mod:`sim.levers.effects`), not a hook between the day's compiled passes. Fixed costs go
    through :meth:`pay`, coupon liability through the model's :class:`CouponBook`.

    Args:
        cfg: the lever's config section.
        index: position among the run's levers.
    """

    name: str = "lever"
    #: who receives this lever's fixed costs (:data:`sim.outputs.ledger.PAYEES`): the platform that sends
    #: its messages, the consumers it rewards, or suppliers (systems, message vendors)
    payee: str = "platform"
    #: orders redeeming this lever's coupons go through the platform and pay its commission
    platform_orders: bool = False
    #: the hooks this lever implements, by phase: ``messages`` (:meth:`plan`), ``choice``
    #: (:meth:`shape_choice`), ``noticed`` (:meth:`on_noticed`), ``channels``
    #: (:meth:`assign_channels`), ``after_visits`` (:meth:`after_visits`), ``start``
    touches: frozenset[str] = frozenset()
    #: its messages can feature each consumer's favourite store when data are unified (OMO)
    personalisable: bool = False

    def __init__(self, cfg, index: int):
        self.cfg = cfg
        self.index = index
        self.fixed_spend = 0.0
        self.spend_today = 0.0
        self.cost_by_store = np.zeros((len(PAYEES), 0))  # today's fixed costs per payee and store (bind)
        self._brand_stores = np.zeros(0, dtype=np.int64)
        self.booking: Booking | None = None  # data the day reads (sim.levers.effects), set in setup
        self.visibility: Visibility | None = None
        self.engagement: Engagement | None = None
        self.channel_nest: ChannelNest | None = None

    @property
    def active_window(self) -> tuple[int, int] | None:
        """The first and last day this lever acts (its messages, then its coupons' validity).

        ``None`` when it may act on every day (the default).
        """
        return None

    @property
    def validity_days(self) -> int:
        """Days a coupon of this lever stays valid (1 for levers without coupons)."""
        return int(getattr(self.cfg, "validity_days", 1))

    @property
    def redemption_cap(self) -> int:
        """Redemptions this lever's coupons stop at (0: no cap)."""
        return int(getattr(self.cfg, "redemption_cap", 0))

    def bind(self, model) -> None:
        """Size the per-store cost book for the model's stores (called before :meth:`setup`)."""
        self.cost_by_store = np.zeros((len(PAYEES), model.store_table.count))
        self._brand_stores = model.brand_stores

    def new_day(self) -> None:
        """Start a day's cost book at zero."""
        self.spend_today = 0.0
        self.cost_by_store[:] = 0.0

    @property
    def budget(self) -> float:
        """Total budget (currency); levers without one are unlimited."""
        return float(getattr(self.cfg, "budget", np.inf))

    def setup(self, model) -> None:
        """Called once when the model is built (choose stores, index targets)."""

    def start(self, model) -> None:
        """Called once on day 0, after the warm-up, before the lever first acts (default: nothing)."""

    def plan(self, model, day: int) -> Exposures | None:
        """1. Plan: today's messages within budget and caps (default: none)."""
        return None

    def shape_choice(self, model, day: int, terms) -> None:
        """2. Online: change the :class:`~sim.rules.behavior.UtilityTerms` before the choice (default: none).

        Use ``terms.writable(name)`` to get an array of the term that may be modified, or
        ``terms.add_bonus(consumers, money)`` to add money off at some stores for some consumers.
        """

    def on_noticed(self, model, day: int, consumer: np.ndarray, store: np.ndarray) -> None:
        """2. Online: this lever's messages that were noticed today (default: nothing)."""

    def assign_channels(self, model, day: int, consumer: np.ndarray, slot: np.ndarray,
                        channel: np.ndarray) -> None:
        """2. Online: set each intent's channel (:data:`sim.rules.codes.CHANNELS`) in place (default: no)."""

    def after_visits(self, model, day: int, outcome: DayOutcome) -> None:
        """4. After: react to the day's visits (joins, rewards, points); default: nothing."""

    def pay(self, amount, store=None, payee: str | None = None) -> None:
        """Book a fixed cost (messages, fees, rewards) against the store(s) it is for.

        Args:
            amount: a total (with ``store`` None or one store id), or one amount per entry of ``store``.
            store: the store each amount is for; None spreads the total evenly over the brand's stores.
            payee: who receives it (:data:`sim.outputs.ledger.PAYEES`); default the lever's :attr:`payee`.
        """
        amounts = np.asarray(amount, dtype=np.float64)
        total = float(amounts.sum())
        if total == 0.0:
            return
        self.fixed_spend += total
        self.spend_today += total
        if self.cost_by_store.shape[1] == 0:  # not bound to a model (a lever used on its own)
            return
        book = self.cost_by_store[PAYEES.index(payee or self.payee)]
        if store is None:
            np.add.at(book, self._brand_stores, total / self._brand_stores.size)
        else:
            np.add.at(book, np.asarray(store, dtype=np.int64), np.broadcast_to(amounts, np.shape(store)))

    def summary(self) -> dict[str, float]:
        """KPIs the lever adds to the run summary (default: none)."""
        return {}

    def remaining(self, book: CouponBook) -> float:
        """Budget left after fixed spend, discounts paid and outstanding coupon liability."""
        return (self.budget - self.fixed_spend - float(book.discounts[self.index])
                - book.outstanding(self.index))
