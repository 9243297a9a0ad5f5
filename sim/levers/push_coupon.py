"""The push-coupon lever: a push message with a coupon from the brand's stores.

Core objects: :class:`PushCoupon`; :func:`push_window` (the days a push campaign acts).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from sim.config import CATEGORIES, PushCouponConfig
from sim.levers.base import (
    FACE_CAP_MULTIPLE,
    Exposures,
    Lever,
    best_send_hour,
    best_send_hours,
    hour_attention,
)
from sim.rules.behavior import prompt_timing_at
from sim.world.city import travel_cost
from sim.world.population import pair_distance
from sim.world.stores import PEAK_HOURS

__all__ = ["PushCoupon", "push_window"]


def push_window(cfg) -> tuple[int, int]:
    """The first send day and the last day a coupon of the last send is valid.

    Args:
        cfg: a :class:`~sim.config.PushCouponConfig` (enabled or not).
    """
    last_send = cfg.start_day + ((cfg.duration_days - 1) // cfg.every_days) * cfg.every_days
    return cfg.start_day, last_send + cfg.validity_days - 1


class PushCoupon(Lever):
    """Push message with a coupon from the participating stores.

    The participating stores are the brand's (``O2OModel.brand_stores``): the merchant who
    pays for the campaign. On each send day, every reachable, opted-in consumer in the audience
    (within ``radius_km`` of home or work of a participating store, or
    everyone; with ``reach_decay_km`` only those a location-based feed shows the
    offer to, with chance ``1 / (1 + (d / reach_decay_km)^2)``) and the target segment,
    and under the frequency cap, gets one
    push featuring the nearest participating store, in a random order. Sending
    stops when the budget left cannot cover the next push's cost plus its
    expected coupon liability (face value times the chance it is noticed). The
    push is noticed with ``open_rate`` times :func:`hour_attention`; a noticed
    push makes the store known, puts the coupon in the wallet if the budget
    still covers its face value (else the offer is "sold out") and, if it lands
    shortly before the category's peak, prompts a visit today
    (:func:`prompt_timing`). With ``timing: context`` each category's pushes go
    out at the awake hour that maximises attention x timing (1-2 h before a
    peak). Each push beyond ``fatigue_free`` makes the recipient opt out of
    pushes with probability ``fatigue_rate`` per extra push.

    Coupons are percent off (capped at :data:`FACE_CAP_MULTIPLE` x rate x the
    store's average ticket) or a fixed amount off, apply only from
    ``min_spend``, and stop being honoured after ``redemption_cap`` redemptions.
    """

    name = "push_coupon"
    touches = frozenset({"messages"})
    personalisable = True
    platform_orders = True  # the coupon is the platform's: its redemptions pay the commission

    @property
    def active_window(self) -> tuple[int, int]:
        """From the first send day to the last day a coupon of the last send is valid."""
        return push_window(self.cfg)

    def __init__(self, cfg: PushCouponConfig, index: int):
        super().__init__(cfg, index)
        self.stores = np.empty(0, dtype=np.int64)
        self.opted_out = 0
        self.personalised = False

    def setup(self, model) -> None:
        """Pick participating stores and each consumer's nearest one within the radius."""
        cfg: PushCouponConfig = self.cfg
        table, pop = model.store_table, model.population
        rng = model.streams.get(f"lever:{self.name}")
        self.stores = model.brand_stores  # the brand pays, so its stores take part
        k = self.stores.size
        tree = cKDTree(table.xy[self.stores])
        bound = cfg.radius_km if cfg.audience == "geo" else np.inf
        dh, ih = tree.query(pop.home_xy, k=1, distance_upper_bound=bound)
        dw, iw = tree.query(pop.work_xy, k=1, distance_upper_bound=bound)
        use_work = dw < dh
        nearest = np.where(use_work, iw, ih)
        within = np.minimum(dh, dw) <= bound
        self.target_store = np.where(within, self.stores[np.minimum(nearest, k - 1)], -1)
        if cfg.reach_decay_km > 0:  # a location-based feed shows nearby merchants' offers first
            ratio = self.distance_to_target(model) / cfg.reach_decay_km
            shown = rng.random(pop.size) < 1.0 / (1.0 + ratio**2)  # gravity-type: falls as d^-2
            self.target_store = np.where(shown, self.target_store, -1)
        self.sent = np.zeros(pop.size, dtype=np.int32)
        self.ever_sent = np.zeros(pop.size, dtype=bool)
        b = model.cfg.behavior
        if cfg.timing == "context":
            self.send_hour = np.array([best_send_hour(PEAK_HOURS[c], b.prompt_window_h, b.prompt_decay_h)
                                       for c in CATEGORIES])
        else:
            self.send_hour = np.full(len(CATEGORIES), cfg.send_hour)

    def in_segment(self, model, day: int) -> np.ndarray:
        """(N,) consumers in the configured target segment today."""
        cfg: PushCouponConfig = self.cfg
        pop = model.population
        bought = pop.purchases > 0
        recent = pop.last_visit_day >= day - cfg.active_days
        if cfg.segment == "new":
            return ~bought
        if cfg.segment == "active":
            return bought & recent
        if cfg.segment == "lapsed":
            return bought & ~recent
        if cfg.segment == "vip":
            return pop.purchases >= cfg.vip_purchases
        if cfg.segment == "browsers":
            online = (pop.slot_touched >= day - 7).any(axis=1)
            return online & (pop.last_visit_day < day - 7)
        return np.ones(pop.size, dtype=bool)

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
                    & (self.sent < cfg.frequency_cap) & self.in_segment(model, day))
        consumer = np.flatnonzero(eligible)
        rng = model.draws(f"lever:{self.name}")
        consumer = consumer[rng.permutation(consumer.size)]
        store = self.target_store[consumer]
        if self.personalised:
            store = self._favourite(model, consumer, store)
        category = table.category[store]
        if cfg.coupon_kind == "percent":
            face = FACE_CAP_MULTIPLE * cfg.discount * table.price[store]
            rate = np.full(consumer.size, cfg.discount)
        else:
            face = np.full(consumer.size, cfg.amount_off)
            rate = np.zeros(consumer.size)
        _, attention, timing = self.send_plan(model, consumer, store, category)
        unit = cfg.cost_per_push + attention * face
        affordable = np.cumsum(unit) <= self.remaining(model.coupon_book)
        consumer, store, face, rate, attention, timing = (
            a[affordable] for a in (consumer, store, face, rate, attention, timing))
        if consumer.size == 0:
            return None
        self.pay(np.full(consumer.size, cfg.cost_per_push), store)
        self.sent[consumer] += 1
        self.ever_sent[consumer] = True
        over = np.maximum(0, self.sent[consumer] - cfg.fatigue_free)
        quits = rng.random(consumer.size) < np.minimum(1.0, cfg.fatigue_rate * over)
        pop.push_opt_in[consumer[quits]] = False
        self.opted_out += int(quits.sum())
        return Exposures(
            consumer=consumer,
            store=store,
            attention_p=attention,
            coupon_rate=rate,
            coupon_face=face.astype(np.float64),
            coupon_min=np.full(consumer.size, cfg.min_spend),
            coupon_expiry=np.full(consumer.size, day + cfg.validity_days - 1, dtype=np.int64),
            prompt=model.cfg.behavior.prompt_utility * timing,
            lever=self.index,
        )

    def send_plan(self, model, consumer: np.ndarray, store: np.ndarray,
                  category: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each push's send hour, chance of being noticed and context factor.

        The context factor is :func:`~sim.rules.behavior.prompt_timing_at` with the recipient's
        one-way travel time to the featured store (:func:`~sim.world.city.travel_cost`, from the
        nearer of home and work). ``timing: fixed`` sends every push at ``send_hour``;
        ``timing: context`` sends each at the hour that maximises attention x context factor
        for that recipient and store (ties: the earliest), so it counts the trip too.

        Returns:
            ``(send_hour, attention, timing)``, one entry per push.
        """
        cfg: PushCouponConfig = self.cfg
        b, table, pop = model.cfg.behavior, model.store_table, model.population
        hours, _ = travel_cost(pair_distance(pop.home_xy[consumer], pop.work_xy[consumer], table.xy[store]),
                               model.cfg.city)
        one_way = hours / 2.0
        send = np.full(consumer.size, cfg.send_hour, dtype=np.int64)
        timing = np.zeros(consumer.size)
        for c, name in enumerate(CATEGORIES):
            mine = np.flatnonzero(category == c)
            if cfg.timing == "context":
                send[mine], timing[mine] = best_send_hours(PEAK_HOURS[name], b.prompt_window_h,
                                                           b.prompt_decay_h, one_way[mine])
            else:
                timing[mine] = prompt_timing_at(cfg.send_hour, PEAK_HOURS[name], b.prompt_window_h,
                                                b.prompt_decay_h, one_way[mine])
        awake = np.array([hour_attention(h) for h in range(24)])
        return send, cfg.open_rate * awake[send], timing

    def _favourite(self, model, consumer: np.ndarray, default: np.ndarray) -> np.ndarray:
        """The participating store each consumer liked best (memory + habit), else ``default``."""
        pop = model.population
        slots = pop.slot_store[consumer]
        ours = (slots >= 0) & np.isin(slots, self.stores) & ~np.isnan(pop.slot_memory[consumer])
        score = np.where(ours, np.nan_to_num(pop.slot_memory[consumer]) + pop.slot_habit[consumer], -np.inf)
        best = score.argmax(axis=1)
        return np.where(ours.any(axis=1), slots[np.arange(consumer.size), best], default)

    def distance_to_target(self, model) -> np.ndarray:
        """(N,) km from each consumer to their featured store (inf if none)."""
        pop, table = model.population, model.store_table
        out = np.full(pop.size, np.inf, dtype=np.float32)
        has = self.target_store >= 0
        s = self.target_store[has]
        out[has] = pair_distance(pop.home_xy[has], pop.work_xy[has], table.xy[s])
        return out
