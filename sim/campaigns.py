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
from .ledger import PAYEES
from .population import pair_distance
from .stores import PEAK_HOURS

__all__ = ["LEVERS", "CouponBook", "DayOutcome", "Exposures", "Lever", "PushCoupon", "best_send_hour",
           "build_levers", "hour_attention"]

#: Coupon discounts are capped at this multiple of (rate x the store's average ticket).
FACE_CAP_MULTIPLE = 1.5


def best_send_hour(peaks: tuple[float, ...], window_h: float, decay_h: float) -> int:
    """The hour that maximises attention x timing for a category (ties: the earliest)."""
    score = [hour_attention(h) * prompt_timing(h, peaks, window_h, decay_h) for h in range(24)]
    return int(np.argmax(score))


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
        channel: :data:`sim.service.CHANNELS` code (in store, pick-up, delivery).
        outcome: :mod:`sim.service` outcome codes; ``served`` is ``outcome == SERVED``.
        wait: minutes queued.
        ticket: gross ticket of each purchase (currency).
        discount: coupon discount granted.
        redeem: a coupon was redeemed.
        review, share: the visitor posted a review / shared the experience.
        disconfirmation: experienced minus expected quality (stars).
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

    Subclasses set :attr:`name`, read their config section and implement
    :meth:`plan`. Fixed costs go through :meth:`pay`, coupon liability through
    the model's :class:`CouponBook`.

    Args:
        cfg: the lever's config section.
        index: position among the run's levers.
    """

    name: str = "lever"
    #: who receives this lever's fixed costs (:data:`sim.ledger.PAYEES`): the platform that sends
    #: its messages, the consumers it rewards, or suppliers (systems, message vendors)
    payee: str = "platform"
    #: orders redeeming this lever's coupons go through the platform and pay its commission
    platform_orders: bool = False

    def __init__(self, cfg, index: int):
        self.cfg = cfg
        self.index = index
        self.fixed_spend = 0.0
        self.spend_today = 0.0
        self.cost_by_store = np.zeros((len(PAYEES), 0))  # today's fixed costs per payee and store (bind)
        self._brand_stores = np.zeros(0, dtype=np.int64)

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
        """2. Online: change the :class:`~sim.behavior.UtilityTerms` before the choice (default: no change).

        Use ``terms.writable(name)`` to get an array of the term that may be modified.
        """

    def on_noticed(self, model, day: int, consumer: np.ndarray, store: np.ndarray) -> None:
        """2. Online: this lever's messages that were noticed today (default: nothing)."""

    def before_service(self, model, day: int, visits, channel: np.ndarray) -> None:
        """3. Offline: adjust the day's visits (priority, balking) before SimPy (default: none)."""

    def adjust_engagement(self, model, day: int, consumer: np.ndarray, store: np.ndarray,
                          p_review: np.ndarray, p_share: np.ndarray) -> None:
        """4. After: change review and share chances in place (default: none)."""

    def assign_channels(self, model, day: int, consumer: np.ndarray, slot: np.ndarray,
                        channel: np.ndarray) -> None:
        """2. Online: set each intent's channel (:data:`sim.service.CHANNELS`) in place (default: none)."""

    def after_service(self, model, day: int, visits, outcome: np.ndarray, channel: np.ndarray,
                      keep: np.ndarray) -> None:
        """3. Offline: revise outcomes in place; ``keep[i] = False`` drops a trip (default: none)."""

    def after_visits(self, model, day: int, outcome: DayOutcome) -> None:
        """4. After: react to the day's visits (joins, rewards, points); default: nothing."""

    def pay(self, amount, store=None, payee: str | None = None) -> None:
        """Book a fixed cost (messages, fees, rewards) against the store(s) it is for.

        Args:
            amount: a total (with ``store`` None or one store id), or one amount per entry of ``store``.
            store: the store each amount is for; None spreads the total evenly over the brand's stores.
            payee: who receives it (:data:`sim.ledger.PAYEES`); default the lever's :attr:`payee`.
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
    platform_orders = True  # the coupon is the platform's: its redemptions pay the commission

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
        self.attention = np.array([cfg.open_rate * hour_attention(int(h)) for h in self.send_hour])
        self.timing = np.array([prompt_timing(h, PEAK_HOURS[c], b.prompt_window_h, b.prompt_decay_h)
                                for h, c in zip(self.send_hour, CATEGORIES, strict=True)])

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
        attention = self.attention[category]
        unit = cfg.cost_per_push + attention * face
        affordable = np.cumsum(unit) <= self.remaining(model.coupon_book)
        consumer, store, face, rate, attention, category = (
            a[affordable] for a in (consumer, store, face, rate, attention, category))
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
            prompt=model.cfg.behavior.prompt_utility * self.timing[category],
            lever=self.index,
        )

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


from .membership import CRM, ReverseO2O  # noqa: E402 - they build on Lever, defined above
from .omo import OMO  # noqa: E402
from .social_levers import Ads, GroupBuy, Referral, UGCReward  # noqa: E402
from .store_levers import RealTimeInfo, Reservation  # noqa: E402

#: Registry: config section name -> lever class (the order levers act in each phase).
LEVERS: dict[str, type[Lever]] = {
    "push_coupon": PushCoupon, "ads": Ads, "reverse_o2o": ReverseO2O, "crm": CRM, "omo": OMO,
    "reservation": Reservation, "realtime_info": RealTimeInfo, "group_buy": GroupBuy,
    "referral": Referral, "ugc_reward": UGCReward,
}


def build_levers(cfg: CampaignConfig) -> list[Lever]:
    """Instantiate every enabled lever of the campaign config, in registry order."""
    levers: list[Lever] = []
    for name, cls in LEVERS.items():
        section = getattr(cfg, name)
        if section.enabled:
            levers.append(cls(section, len(levers)))
    return levers
