"""Strategy levers as small plug-ins with one protocol.

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
    * :class:`PushCoupon` - push message with a percent-off coupon, geo-fenced
      around participating stores, sent at an hour, under a frequency cap.
    * :data:`LEVERS` and :func:`build_levers` - registry: config section name -> class.

A new lever is one class registered in :data:`LEVERS` plus a config dataclass
(``sim/config.py``) and a YAML option under ``configs/campaign/``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .behavior import prompt_timing
from .config import CATEGORIES, CampaignConfig, PushCouponConfig
from .population import pair_distance
from .stores import PEAK_HOURS

__all__ = ["LEVERS", "CouponBook", "Exposures", "Lever", "PushCoupon", "build_levers",
           "hour_attention"]

#: Coupon discounts are capped at this multiple of (rate x the store's average ticket).
FACE_CAP_MULTIPLE = 1.5


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
        coupon_rate: discount fraction (0 = no coupon).
        coupon_face: most the coupon can take off (currency).
        coupon_expiry: last valid day.
        prompt: utility boost for visiting that store today if noticed.
        lever: index of the sending lever.
    """

    consumer: np.ndarray
    store: np.ndarray
    attention_p: np.ndarray
    coupon_rate: np.ndarray
    coupon_face: np.ndarray
    coupon_expiry: np.ndarray
    prompt: np.ndarray
    lever: int

    @property
    def size(self) -> int:
        """Number of messages M."""
        return self.consumer.size


class CouponBook:
    """Coupon accounting per lever: issued, redeemed, liability by expiry day, discounts paid."""

    def __init__(self, levers: int, days: int, max_validity: int):
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

    def expire(self, day: int) -> None:
        """Coupons whose last valid day was ``day`` lapse: free their reservation."""
        self.liability[:, day] = 0.0

    def outstanding(self, lever: int) -> float:
        """Face value still reserved for a lever."""
        return float(self.liability[lever].sum())


class Lever:
    """Protocol of a strategy lever.

    Subclasses set :attr:`name`, read their config section and implement
    :meth:`plan`. Fixed costs go through :meth:`pay`, coupon liability through
    the model's :class:`CouponBook`.

    Args:
        cfg: the lever's config section.
        index: position among the run's levers.
    """

    name: str = "lever"

    def __init__(self, cfg, index: int):
        self.cfg = cfg
        self.index = index
        self.fixed_spend = 0.0
        self.spend_today = 0.0

    @property
    def budget(self) -> float:
        """Total budget (currency); levers without one are unlimited."""
        return float(getattr(self.cfg, "budget", np.inf))

    def setup(self, model) -> None:
        """Called once when the model is built (choose stores, index targets)."""

    def plan(self, model, day: int) -> Exposures | None:
        """Decide today's messages within budget and caps."""
        raise NotImplementedError

    def pay(self, amount: float) -> None:
        """Book a fixed cost (messages, fees)."""
        self.fixed_spend += amount
        self.spend_today += amount

    def remaining(self, book: CouponBook) -> float:
        """Budget left after fixed spend, discounts paid and outstanding coupon liability."""
        return (self.budget - self.fixed_spend - float(book.discounts[self.index])
                - book.outstanding(self.index))


class PushCoupon(Lever):
    """Push message with a percent-off coupon from the participating stores.

    On each send day, every reachable, opted-in consumer within ``radius_km``
    (of home or work) of a participating store, and under the frequency cap,
    gets one push featuring the nearest such store, in a random order. Sending
    stops when the budget left cannot cover the next push's cost plus its
    expected coupon liability (face value times the chance it is noticed). The
    push is noticed with ``open_rate`` times :func:`hour_attention`; a noticed
    push makes the store known, puts the coupon in the wallet if the budget
    still covers its face value (else the offer is "sold out") and, if it lands
    shortly before the category's peak, prompts a visit today
    (:func:`prompt_timing`).
    """

    name = "push_coupon"

    def __init__(self, cfg: PushCouponConfig, index: int):
        super().__init__(cfg, index)
        self.stores = np.empty(0, dtype=np.int64)

    def setup(self, model) -> None:
        """Pick participating stores and each consumer's nearest one within the radius."""
        cfg: PushCouponConfig = self.cfg
        table, pop = model.store_table, model.population
        rng = model.streams.get(f"lever:{self.name}")
        k = max(1, int(round(cfg.participating_share * table.count)))
        self.stores = np.sort(rng.choice(table.count, size=k, replace=False))
        tree = cKDTree(table.xy[self.stores])
        dh, ih = tree.query(pop.home_xy, k=1, distance_upper_bound=cfg.radius_km)
        dw, iw = tree.query(pop.work_xy, k=1, distance_upper_bound=cfg.radius_km)
        use_work = dw < dh
        nearest = np.where(use_work, iw, ih)
        within = np.minimum(dh, dw) <= cfg.radius_km
        self.target_store = np.where(within, self.stores[np.minimum(nearest, k - 1)], -1)
        self.sent = np.zeros(pop.size, dtype=np.int32)
        self.ever_sent = np.zeros(pop.size, dtype=bool)

    def is_send_day(self, day: int) -> bool:
        """True on the campaign's send days."""
        cfg: PushCouponConfig = self.cfg
        offset = day - cfg.start_day
        return 0 <= offset < cfg.duration_days and offset % cfg.every_days == 0

    def plan(self, model, day: int) -> Exposures | None:
        """Today's pushes: eligible targets in a random order, cut at the budget."""
        cfg: PushCouponConfig = self.cfg
        if not self.is_send_day(day):
            return None
        pop, table = model.population, model.store_table
        eligible = ((self.target_store >= 0) & pop.reachable & pop.push_opt_in
                    & (self.sent < cfg.frequency_cap))
        consumer = np.flatnonzero(eligible)
        order = model.draws(f"lever:{self.name}").permutation(consumer.size)
        consumer = consumer[order]
        store = self.target_store[consumer]
        face = (FACE_CAP_MULTIPLE * cfg.discount * table.price[store]).astype(np.float64)
        attention = cfg.open_rate * hour_attention(cfg.send_hour)
        unit = cfg.cost_per_push + attention * face
        affordable = np.cumsum(unit) <= self.remaining(model.coupon_book)
        consumer, store, face = consumer[affordable], store[affordable], face[affordable]
        if consumer.size == 0:
            return None
        expiry = np.full(consumer.size, day + cfg.validity_days - 1, dtype=np.int64)
        self.pay(cfg.cost_per_push * consumer.size)
        self.sent[consumer] += 1
        self.ever_sent[consumer] = True
        timing = np.array([prompt_timing(cfg.send_hour, PEAK_HOURS[c],
                                         model.cfg.behavior.prompt_window_h,
                                         model.cfg.behavior.prompt_decay_h) for c in CATEGORIES])
        prompt = model.cfg.behavior.prompt_utility * timing[table.category[store]]
        return Exposures(
            consumer=consumer,
            store=store,
            attention_p=np.full(consumer.size, attention),
            coupon_rate=np.full(consumer.size, cfg.discount),
            coupon_face=face,
            coupon_expiry=expiry,
            prompt=prompt,
            lever=self.index,
        )

    def distance_to_target(self, model) -> np.ndarray:
        """(N,) km from each consumer to their featured store (inf if none)."""
        pop, table = model.population, model.store_table
        out = np.full(pop.size, np.inf, dtype=np.float32)
        has = self.target_store >= 0
        s = self.target_store[has]
        out[has] = pair_distance(pop.home_xy[has], pop.work_xy[has], table.xy[s])
        return out


#: Registry: config section name -> lever class.
LEVERS: dict[str, type[Lever]] = {"push_coupon": PushCoupon}


def build_levers(cfg: CampaignConfig) -> list[Lever]:
    """Instantiate every enabled lever of the campaign config, in registry order."""
    levers: list[Lever] = []
    for name, cls in LEVERS.items():
        section = getattr(cfg, name)
        if section.enabled:
            levers.append(cls(section, len(levers)))
    return levers
