"""Funnel counters, attribution and per-store tallies, recorded each day.

Core objects:
    * :class:`DayRecorder` - called by :class:`~sim.engine.model.O2OModel` at each phase
      of the day; keeps one row per day and one per store-day, and the
      per-consumer flags the run summary needs.
    * :data:`SOURCES` and :func:`attribute` - what brought each visit about:
      ``push`` (a held coupon or today's prompt), ``share`` (a friend's share),
      ``repeat`` (been there before) or ``organic`` (none of these).
    * :data:`DAILY_COLUMNS`, :data:`STORE_COLUMNS` - the output schemas
      (meanings and units in docs/OUTPUTS.md).
    * the review rows (:class:`~sim.outputs.review_ledger.ReviewLedger`) and the day's shares by
      valence (:meth:`DayRecorder.posts`).
"""

from __future__ import annotations

import functools

import numpy as np

from sim.kernels.jit import njit
from sim.kernels.pairwise import pairwise_sum
from sim.outputs.coupon_ledger import CouponLedger
from sim.outputs.ledger import STORE_PNL, Ledger
from sim.outputs.review_ledger import ReviewLedger
from sim.rules.codes import BALKED, CHANNELS, CLOSED, RENEGED, SERVED, STOCKOUT
from sim.rules.redemption import coupon_valid

__all__ = ["DAILY_COLUMNS", "SOURCES", "STORE_COLUMNS", "DayRecorder", "WarmUpRecorder", "attribute"]

SOURCES = ("push", "ad", "crm", "share", "repeat", "organic")
#: Shares by the sign of the social proof they carry (``wom.valence_*``).
VALENCES = ("positive", "negative", "neutral")

#: A visit counts as caused by a share while the share's decaying weight is at least this
#: (one share stays above 0.5 for two days at the default ``social_decay`` of 0.7).
SHARE_ATTRIBUTION_WEIGHT = 0.5

DAILY_COLUMNS = (
    "day", "exposed", "aware", "intents", "visits", "balked", "reneged", "closed", "stockouts",
    "purchases", "new_customers", "coupons_issued", "redemptions", "revenue", "discount_cost",
    "campaign_cost", "reviews", "shares", "mean_wait_min", "mean_rating",
    *(f"purchases_{c}" for c in CHANNELS), "purchases_beyond_walk", "trip_km",
    "dropoff_psychological", "dropoff_operational",
    *(f"visits_{s}" for s in SOURCES), *(f"purchases_{s}" for s in SOURCES),
    *(f"shares_{v}" for v in VALENCES), "topups", "topup_spend",
)
STORE_COLUMNS = (
    "day", "store_id", "visits", "purchases", "balked", "reneged", "closed", "stockouts", "redemptions",
    "revenue", "reviews", "mean_wait_min", "rating", "expected_wait_min", "capacity_bound", *STORE_PNL,
)


def attribute(pop, consumer: np.ndarray, slot: np.ndarray, day: int,
              crm_levers: tuple[int, ...] = (), ad_levers: tuple[int, ...] = ()) -> np.ndarray:
    """Source code (index into :data:`SOURCES`) of each chosen (consumer, slot).

    Precedence: a valid coupon or today's prompt - from a CRM lever (``crm``), an
    ad lever (``ad``) or another lever (``push``) - before a friend's share,
    before having been there before (repeat); otherwise organic (search,
    passing by). One compiled pass over the visits (``tests/test_recorder.py`` checks it
    against the same rule written as array expressions).
    """
    crm, ad = _lever_masks(tuple(crm_levers), tuple(ad_levers))
    out = np.empty(consumer.size, dtype=np.int8)
    _attribute(pop.slot_coupon, pop.slot_coupon_expiry, pop.slot_coupon_lever, pop.slot_prompt,
               pop.slot_prompt_lever, pop.slot_social, pop.slot_memory,
               np.asarray(consumer, dtype=np.int64), np.asarray(slot, dtype=np.int64), day, crm, ad,
               np.float32(SHARE_ATTRIBUTION_WEIGHT), out)
    return out


@njit(cache=True)
def _count_distinct(consumers, mark):
    count = 0
    for c in consumers:
        count += not mark[c]
        mark[c] = True
    for c in consumers:
        mark[c] = False
    return count


@functools.lru_cache(maxsize=64)
def _lever_masks(crm_levers: tuple[int, ...], ad_levers: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Which lever indices are CRM and which are ads, as masks (read-only: they are shared)."""
    n_levers = max((*crm_levers, *ad_levers, -1)) + 1
    crm, ad = np.zeros(n_levers + 1, dtype=bool), np.zeros(n_levers + 1, dtype=bool)
    crm[list(crm_levers)] = True  # lever -1 (none) maps to the last entry, always False
    ad[list(ad_levers)] = True
    crm.flags.writeable = ad.flags.writeable = False
    return crm, ad


_PUSH, _AD, _CRM, _SHARE, _REPEAT, _ORGANIC = (
    SOURCES.index(s) for s in ("push", "ad", "crm", "share", "repeat", "organic"))


@njit(cache=True)
def _attribute(coupon, expiry, coupon_lever, prompt, prompt_lever, social, memory, consumer, slot, day,
               crm, ad, share_weight, out):
    n_flags = crm.size
    for r in range(consumer.size):
        i, j = consumer[r], slot[r]
        has_coupon = coupon_valid(coupon[i, j], expiry[i, j], day)
        if has_coupon or prompt[i, j] > 0:
            lever = coupon_lever[i, j] if has_coupon else prompt_lever[i, j]
            flag = lever if 0 <= lever < n_flags - 1 else n_flags - 1
            out[r] = _CRM if crm[flag] else (_AD if ad[flag] else _PUSH)
        elif social[i, j] >= share_weight:
            out[r] = _SHARE
        elif not np.isnan(memory[i, j]):
            out[r] = _REPEAT
        else:
            out[r] = _ORGANIC


_SERVED, _BALKED, _RENEGED, _CLOSED, _STOCKOUT = SERVED, BALKED, RENEGED, CLOSED, STOCKOUT
_IN_STORE, _DELIVERY = CHANNELS.index("in_store"), CHANNELS.index("delivery")

#: Rows of :func:`_day_tallies`' per-store counts, and of its day totals.
STORE_COUNTS = ("visits", "purchases", "balked", "reneged", "closed", "stockouts", "redemptions",
                "reviews", "queued")
_DAY_COUNTS = (*(f"purchases_{c}" for c in CHANNELS), "purchases_beyond_walk", "new_customers", "shares",
               *(f"visits_{s}" for s in SOURCES), *(f"purchases_{s}" for s in SOURCES),
               *STORE_COUNTS[1:])  # the day's totals of the per-store counts (visits excepted)
_DAY_SUMS = ("trip_km", "redeemed_gross", "revenue", "discount_cost", "queued_wait")
# positions in the kernel's arrays (numba reads module-level integers as constants)
_BY_CHANNEL = _DAY_COUNTS.index(f"purchases_{CHANNELS[0]}")  # then one per channel, in CHANNELS' order
_BEYOND_WALK, _NEW_CUSTOMERS, _SHARES = (_DAY_COUNTS.index(name) for name in
                                         ("purchases_beyond_walk", "new_customers", "shares"))
_VISITS_BY_SOURCE = _DAY_COUNTS.index(f"visits_{SOURCES[0]}")  # then one per source, in SOURCES' order
_PURCHASES_BY_SOURCE = _DAY_COUNTS.index(f"purchases_{SOURCES[0]}")
_STORE_TOTALS = _DAY_COUNTS.index(STORE_COUNTS[1])  # then the other per-store counts' totals
(_VISITS, _PURCHASES, _N_BALKED, _N_RENEGED, _N_CLOSED, _N_STOCKOUTS, _REDEMPTIONS, _REVIEWS,
 _QUEUED) = range(len(STORE_COUNTS))


@njit(cache=True)
def _day_tallies(consumer, slot, store, outcome, channel, wait, ticket, discount, redeem, review, share,
                 source, slot_distance, walk_km, day, n_stores, customer_purchases, first_purchase_day,
                 ever_redeemed):
    """The day's visit counts and sums, per store and in total, in one pass over the visits.

    Per-store sums add in visit order, as ``np.bincount(store, weights)`` does; day totals
    are summed in ``np.sum``'s order (:func:`~sim.kernels.pairwise.pairwise_sum`): the same numbers.
    Updates each buyer's purchase count and first purchase day, and marks redeemers.

    Returns:
        ``(counts, sums, day_counts, day_sums)``: per-store counts (rows :data:`STORE_COUNTS`),
        per-store sums (revenue, the queued visitors' wait, their mean wait or NaN), and the
        day's totals (in the order of ``_DAY_COUNTS`` and ``_DAY_SUMS``).
    """
    n_visits = store.size
    counts = np.zeros((len(STORE_COUNTS), n_stores), dtype=np.int64)
    sums = np.zeros((3, n_stores))
    day_counts = np.zeros(len(_DAY_COUNTS), dtype=np.int64)
    paid = np.empty(n_visits)
    trip_km = np.empty(n_visits, dtype=slot_distance.dtype)
    redeemed = np.empty(n_visits)
    queued_wait = np.empty(n_visits)
    n_trips = n_redeemed = n_queued = 0
    for v in range(n_visits):
        s, o, c, i = store[v], outcome[v], channel[v], consumer[v]
        served = o == _SERVED
        queued = o != _BALKED and c == _IN_STORE
        paid[v] = ticket[v] - discount[v] if served else 0.0
        counts[_VISITS, s] += 1
        counts[_PURCHASES, s] += served
        counts[_N_BALKED, s] += o == _BALKED
        counts[_N_RENEGED, s] += o == _RENEGED
        counts[_N_CLOSED, s] += o == _CLOSED
        counts[_N_STOCKOUTS, s] += o == _STOCKOUT
        counts[_REDEMPTIONS, s] += redeem[v]
        counts[_REVIEWS, s] += review[v]
        sums[0, s] += paid[v]
        day_counts[_SHARES] += share[v]
        day_counts[_VISITS_BY_SOURCE + source[v]] += 1
        if queued:
            counts[_QUEUED, s] += 1
            sums[1, s] += wait[v]
            queued_wait[n_queued] = wait[v]
            n_queued += 1
        if redeem[v]:
            redeemed[n_redeemed] = ticket[v]
            n_redeemed += 1
            ever_redeemed[i] = True
        if served:
            distance = slot_distance[i, slot[v]]
            day_counts[_BY_CHANNEL + c] += 1
            day_counts[_BEYOND_WALK] += distance > walk_km
            day_counts[_PURCHASES_BY_SOURCE + source[v]] += 1
            if customer_purchases[i] == 0:  # a consumer visits at most one store a day
                day_counts[_NEW_CUSTOMERS] += 1
                first_purchase_day[i] = day
            customer_purchases[i] += 1
            if c != _DELIVERY:
                trip_km[n_trips] = distance
                n_trips += 1
    for s in range(n_stores):
        for row in range(_PURCHASES, len(STORE_COUNTS)):
            day_counts[_STORE_TOTALS + row - _PURCHASES] += counts[row, s]
        sums[2, s] = sums[1, s] / counts[_QUEUED, s] if counts[_QUEUED, s] > 0 else np.nan
    day_sums = np.array([pairwise_sum(trip_km, 0, n_trips), pairwise_sum(redeemed, 0, n_redeemed),
                         pairwise_sum(paid, 0, n_visits), pairwise_sum(discount, 0, n_visits),
                         pairwise_sum(queued_wait, 0, n_queued)])
    return counts, sums, day_counts, day_sums


class _NoLedger:
    """The coupon ledger's interface, recording nothing."""

    def claimed(self, *args, **kwargs) -> None:
        """Nothing is recorded."""

    def redeemed(self, *args, **kwargs) -> None:
        """Nothing is recorded."""


class WarmUpRecorder:
    """Stands in for :class:`DayRecorder` during the warm-up, whose days are not recorded.

    The model calls it as it calls the recorder; nothing is kept and nothing is computed
    (``reached_today`` is empty). The model's state never depends on the recorder, so a
    run's results are the same as with a recorder that is thrown away after the warm-up.
    """

    rows: tuple = ()
    records = False  #: nothing is recorded (:class:`DayRecorder`: True)

    def __init__(self):
        self.coupons = _NoLedger()
        self.reviews = None

    def reached_today(self) -> np.ndarray:
        """Nobody (the warm-up does not count drop-offs)."""
        return np.empty(0, dtype=np.int64)

    def _ignore(self, *args, **kwargs) -> None:
        """Nothing is recorded."""

    start_day = exposed = shared_in = intents = arrivals = dropoffs = visits = posts = _ignore
    points = end_day = topups = _ignore


class DayRecorder:
    """Collects the day's counts from the model's phases.

    Args:
        model: the :class:`~sim.engine.model.O2OModel` being recorded.
    """

    records = True  #: the day is recorded (:class:`WarmUpRecorder`: False)

    def __init__(self, model):
        self.model = model
        n = model.population.size
        self.rows: list[dict] = []
        self.store_rows: list[dict[str, np.ndarray]] = []
        self.ever_messaged = np.zeros(n, dtype=bool)
        self.ever_redeemed = np.zeros(n, dtype=bool)
        self.customer_purchases = np.zeros(n, dtype=np.int32)
        self.consumer_visits = np.zeros(n, dtype=np.int32)  # trips or orders, per consumer
        self.consumer_spend = np.zeros(n)  # paid (tickets less discounts), per consumer
        self.first_purchase_day = np.full(n, -1, dtype=np.int64)
        self.redeemed_gross = 0.0
        self.queued_wait_sum = 0.0
        self.queued_count = 0
        self.coupons = CouponLedger()
        self.reviews = ReviewLedger()
        self.ledger = Ledger(model.cfg, model.is_brand, [lv.name for lv in model.levers])
        self.brand_customer = np.zeros(n, dtype=bool)  # bought at least once at a brand store
        self._mark = np.zeros(n, dtype=bool)  # scratch for counting distinct consumers
        #: the CRM levers and the ad levers (their visits are attributed to "crm" and "ad")
        self.lever_kinds = tuple(tuple(lv.index for lv in model.levers if lv.name == kind)
                                 for kind in ("crm", "ads"))

    def start_day(self, day: int) -> None:
        """Reset today's counters."""
        self.today = {"day": day, "exposed": 0, "aware": 0, "coupons_issued": 0, "topups": 0,
                      "topup_spend": 0.0}
        self._exposed = np.zeros(0, dtype=np.int64)
        self._aware = np.zeros(0, dtype=np.int64)

    def exposed(self, targets: np.ndarray, noticed: np.ndarray, coupons: int) -> None:
        """A lever's messages: all recipients, those who noticed, coupons claimed."""
        self._exposed = np.concatenate([self._exposed, targets])
        self._aware = np.concatenate([self._aware, noticed])
        self.ever_messaged[targets] = True
        self.today["coupons_issued"] += coupons

    def shared_in(self, friends: np.ndarray) -> None:
        """Friends reached by yesterday's shares."""
        self._exposed = np.concatenate([self._exposed, friends])
        self._aware = np.concatenate([self._aware, friends])

    def intents(self, consumer: np.ndarray, slot: np.ndarray, day: int) -> None:
        """Consumers who decided to go today."""
        self.today["intents"] = int(consumer.size)

    def arrivals(self, consumer: np.ndarray, slot: np.ndarray, day: int,
                 source: np.ndarray | None = None) -> None:
        """Consumers who follow through: attribute each visit to its source.

        ``source``: the sources, when the caller already found them (by :func:`attribute`'s rule).
        """
        self._source = (source if source is not None else
                        attribute(self.model.population, consumer, slot, day, *self.lever_kinds))

    def topups(self, count: int, extra: float) -> None:
        """Baskets topped up to a coupon's minimum spend today, and the spend they added (gross)."""
        self.today["topups"] += count
        self.today["topup_spend"] += extra

    def reached_today(self) -> np.ndarray:
        """Consumers who noticed a message or read a share today (so far), in the order reached.

        A consumer reached twice is listed twice (:func:`sim.kernels.decision.dropoff_counts`
        counts each once).
        """
        return self._aware

    def dropoffs(self, psychological: int, operational: int) -> None:
        """Reached consumers who did not act, by cause."""
        self.today["dropoff_psychological"] = psychological
        self.today["dropoff_operational"] = operational

    def visits(self, visits, outcome, wait, slot, ticket, discount, redeem, review, share,
               channel=None, platform=None) -> None:
        """The day's visit outcomes and their consequences (one compiled pass: :func:`_day_tallies`).

        A consumer visits at most one store a day (one intent each), so ``visits.consumer``
        holds no repeats. ``platform``: the visit redeemed a platform lever's coupon (its
        order pays the commission); the ledger books the day's sales (:mod:`sim.outputs.ledger`).
        """
        t, m = self.today, self.model
        channel = np.zeros(visits.size, dtype=np.int8) if channel is None else channel
        platform = np.zeros(visits.size, dtype=bool) if platform is None else platform
        self.ledger.sales(visits.store, outcome, channel, ticket, discount, platform)
        served = outcome == _SERVED
        bought_brand = served & m.is_brand[visits.store]
        self.brand_customer[visits.consumer[bought_brand]] = True
        self.consumer_visits[visits.consumer] += 1  # (no consumer visits twice in a day)
        self.consumer_spend[visits.consumer] += np.where(served, ticket - discount, 0.0)
        counts, sums, day_counts, day_sums = _day_tallies(
            visits.consumer, slot, visits.store, outcome, channel, wait, ticket, discount, redeem, review,
            share, self._source, m.population.slot_distance, np.float32(m.cfg.city.walk_km), t["day"],
            m.store_table.count, self.customer_purchases, self.first_purchase_day, self.ever_redeemed)
        t["visits"] = int(visits.size)
        t.update(zip(_DAY_COUNTS, day_counts.tolist(), strict=True))
        n_queued = t.pop("queued")
        trip_km, redeemed_gross, t["revenue"], t["discount_cost"], queued_wait = day_sums.tolist()
        t["trip_km"] = trip_km
        self.redeemed_gross += redeemed_gross
        t["mean_wait_min"] = queued_wait / n_queued if n_queued else float("nan")
        self.queued_wait_sum += queued_wait
        self.queued_count += n_queued
        self._store_today = dict(zip(STORE_COUNTS[:-1], counts[:-1], strict=True))  # (not "queued")
        self._store_today["revenue"], _, self._store_today["mean_wait_min"] = sums

    def posts(self, consumer: np.ndarray, store: np.ndarray, outcome: np.ndarray, deal: np.ndarray,
              review: np.ndarray, stars: np.ndarray, klass: np.ndarray, share: np.ndarray,
              valence: np.ndarray) -> None:
        """The day's reviews and its shares by valence.

        One review row each (:class:`~sim.outputs.review_ledger.ReviewLedger`); the shares are
        counted by the sign of their valence (``shares_positive``, ``shares_negative``,
        ``shares_neutral``).

        Args:
            consumer: (V,) the visitors; ``store``, ``outcome``, ``deal`` (a coupon or deal used),
                ``review``, ``stars``, ``klass`` (satisfaction class), ``share`` and ``valence`` per visit.
            store: see ``consumer``.
            outcome: see ``consumer``.
            deal: see ``consumer``.
            review: see ``consumer``.
            stars: see ``consumer``.
            klass: see ``consumer``.
            share: see ``consumer``.
            valence: see ``consumer``.
        """
        r = np.flatnonzero(review)
        self.reviews.posted(self.today["day"], store[r], consumer[r], stars[r], deal[r], outcome[r], klass[r])
        shared = valence[share]
        self.today["shares_positive"] = int(np.count_nonzero(shared > 0))
        self.today["shares_negative"] = int(np.count_nonzero(shared < 0))
        self.today["shares_neutral"] = int(shared.size) - self.today["shares_positive"] - self.today[
            "shares_negative"]

    def points(self, issued: np.ndarray, redeemed: np.ndarray, expired: np.ndarray) -> None:
        """Loyalty points issued, redeemed and lapsed today, per store (to the ledger)."""
        self.ledger.points(issued, redeemed, expired)

    def _distinct(self, consumers: np.ndarray) -> int:
        """How many different consumers ``consumers`` holds (a mark per consumer, cleared after)."""
        return int(_count_distinct(consumers, self._mark))

    def end_day(self, day: int) -> None:
        """Close the day: unique exposures, costs, ratings; append the rows."""
        m, t = self.model, self.today
        t["exposed"] = self._distinct(self._exposed)
        t["aware"] = self._distinct(self._aware)
        t["campaign_cost"] = float(sum(lv.spend_today for lv in m.levers))
        table = m.store_table
        rating = table.rating
        t["mean_rating"] = float(np.add.reduce(rating) / rating.size)  # (rating.mean(), without its checks)
        self.rows.append({c: t[c] for c in DAILY_COLUMNS})
        st = dict(self._store_today)
        st["day"] = np.full(table.count, day, dtype=np.int64)
        st["store_id"] = np.arange(table.count, dtype=np.int64)
        st["rating"] = rating.copy()
        st["expected_wait_min"] = table.expected_wait_min.copy()
        st["capacity_bound"] = table.max_served().astype(np.int64)
        st.update(self.ledger.close_day(day, [lv.cost_by_store for lv in m.active_levers]))
        self.store_rows.append({c: st[c] for c in STORE_COLUMNS})
