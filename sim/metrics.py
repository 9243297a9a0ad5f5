"""Funnel counters, attribution and per-store tallies, recorded each day.

Core objects:
    * :class:`DayRecorder` - called by :class:`~sim.model.O2OModel` at each phase
      of the day; keeps one row per day and one per store-day, and the
      per-consumer flags the run summary needs.
    * :data:`SOURCES` and :func:`attribute` - what brought each visit about:
      ``push`` (a held coupon or today's prompt), ``share`` (a friend's share),
      ``repeat`` (been there before) or ``organic`` (none of these).
    * :data:`DAILY_COLUMNS`, :data:`STORE_COLUMNS` - the output schemas
      (meanings and units in docs/OUTPUTS.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .coupon_ledger import CouponLedger
from .service import BALKED, CHANNELS, CLOSED, RENEGED, SERVED, STOCKOUT

__all__ = ["DAILY_COLUMNS", "SOURCES", "STORE_COLUMNS", "DayRecorder", "WarmUpRecorder", "attribute"]

SOURCES = ("push", "ad", "crm", "share", "repeat", "organic")

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
)
STORE_COLUMNS = (
    "day", "store_id", "visits", "purchases", "balked", "reneged", "closed", "stockouts", "redemptions",
    "revenue", "reviews", "mean_wait_min", "rating", "expected_wait_min", "capacity_bound",
)


def attribute(pop, consumer: np.ndarray, slot: np.ndarray, day: int,
              crm_levers: tuple[int, ...] = (), ad_levers: tuple[int, ...] = ()) -> np.ndarray:
    """Source code (index into :data:`SOURCES`) of each chosen (consumer, slot).

    Precedence: a valid coupon or today's prompt - from a CRM lever (``crm``), an
    ad lever (``ad``) or another lever (``push``) - before a friend's share,
    before having been there before (repeat); otherwise organic (search,
    passing by). One compiled pass over the visits (``tests/test_metrics.py`` checks it
    against the same rule written as array expressions).
    """
    n_levers = max((*crm_levers, *ad_levers, -1)) + 1
    crm, ad = np.zeros(n_levers + 1, dtype=bool), np.zeros(n_levers + 1, dtype=bool)
    crm[list(crm_levers)] = True  # lever -1 (none) maps to the last entry, always False
    ad[list(ad_levers)] = True
    out = np.empty(consumer.size, dtype=np.int8)
    _attribute(pop.slot_coupon, pop.slot_coupon_expiry, pop.slot_coupon_lever, pop.slot_prompt,
               pop.slot_prompt_lever, pop.slot_social, pop.slot_memory,
               np.asarray(consumer, dtype=np.int64), np.asarray(slot, dtype=np.int64), day, crm, ad,
               np.float32(SHARE_ATTRIBUTION_WEIGHT), out)
    return out


_PUSH, _AD, _CRM, _SHARE, _REPEAT, _ORGANIC = (
    SOURCES.index(s) for s in ("push", "ad", "crm", "share", "repeat", "organic"))


@njit(cache=True)
def _attribute(coupon, expiry, coupon_lever, prompt, prompt_lever, social, memory, consumer, slot, day,
               crm, ad, share_weight, out):
    n_flags = crm.size
    for r in range(consumer.size):
        i, j = consumer[r], slot[r]
        has_coupon = coupon[i, j] > 0 and expiry[i, j] >= day
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


@njit(cache=True)
def _store_tallies(store, outcome, queued, redeem, review, wait, paid, n_stores):
    """Per-store counts and sums of the day's visits, in one pass.

    Sums add in visit order, as ``np.bincount(store, weights)`` does, so they are the same numbers.
    Returns ``(counts, sums)``: counts rows visits, purchases, balked, reneged, closed, stock-outs,
    redemptions, reviews, queued; sums rows revenue and the queued visitors' wait.
    """
    counts = np.zeros((9, n_stores), dtype=np.int64)
    sums = np.zeros((2, n_stores))
    for v in range(store.size):
        s = store[v]
        o = outcome[v]
        counts[0, s] += 1
        counts[1, s] += o == _SERVED
        counts[2, s] += o == _BALKED
        counts[3, s] += o == _RENEGED
        counts[4, s] += o == _CLOSED
        counts[5, s] += o == _STOCKOUT
        counts[6, s] += redeem[v]
        counts[7, s] += review[v]
        sums[0, s] += paid[v]
        if queued[v]:
            counts[8, s] += 1
            sums[1, s] += wait[v]
    return counts, sums


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

    def __init__(self):
        self.coupons = _NoLedger()

    def reached_today(self) -> np.ndarray:
        """Nobody (the warm-up does not count drop-offs)."""
        return np.empty(0, dtype=np.int64)

    def _ignore(self, *args, **kwargs) -> None:
        """Nothing is recorded."""

    start_day = exposed = shared_in = intents = arrivals = dropoffs = visits = end_day = _ignore


class DayRecorder:
    """Collects the day's counts from the model's phases.

    Args:
        model: the :class:`~sim.model.O2OModel` being recorded.
    """

    def __init__(self, model):
        self.model = model
        n = model.population.size
        self.rows: list[dict] = []
        self.store_rows: list[dict[str, np.ndarray]] = []
        self.ever_messaged = np.zeros(n, dtype=bool)
        self.ever_redeemed = np.zeros(n, dtype=bool)
        self.customer_purchases = np.zeros(n, dtype=np.int32)
        self.first_purchase_day = np.full(n, -1, dtype=np.int64)
        self.redeemed_gross = 0.0
        self.queued_wait_sum = 0.0
        self.queued_count = 0
        self.coupons = CouponLedger()
        self._mark = np.zeros(n, dtype=bool)  # scratch for counting distinct consumers

    def start_day(self, day: int) -> None:
        """Reset today's counters."""
        self.today = {"day": day, "exposed": 0, "aware": 0, "coupons_issued": 0}
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

    def arrivals(self, consumer: np.ndarray, slot: np.ndarray, day: int) -> None:
        """Consumers who follow through: attribute each visit to its source."""
        crm = tuple(lv.index for lv in self.model.levers if lv.name == "crm")
        ads = tuple(lv.index for lv in self.model.levers if lv.name == "ads")
        self._source = attribute(self.model.population, consumer, slot, day, crm, ads)

    def reached_today(self) -> np.ndarray:
        """Consumers who noticed a message or read a share today (so far), sorted, each once."""
        self._mark[self._aware] = True
        reached = np.flatnonzero(self._mark)
        self._mark[reached] = False
        return reached

    def dropoffs(self, psychological: int, operational: int) -> None:
        """Reached consumers who did not act, by cause."""
        self.today["dropoff_psychological"] = psychological
        self.today["dropoff_operational"] = operational

    def visits(self, visits, outcome, wait, slot, ticket, discount, redeem, review, share,
               channel=None) -> None:
        """The day's visit outcomes and their consequences.

        A consumer visits at most one store a day (one intent each), so ``visits.consumer``
        holds no repeats.
        """
        t = self.today
        s_count = self.model.store_table.count
        store = visits.store
        served = outcome == SERVED
        queued = (outcome != BALKED) & (channel == CHANNELS.index("in_store"))  # who could wait
        t["visits"] = int(visits.size)
        channel = np.zeros(visits.size, dtype=np.int8) if channel is None else channel
        by_channel = np.bincount(channel[served], minlength=len(CHANNELS))
        for k, name in enumerate(CHANNELS):
            t[f"purchases_{name}"] = int(by_channel[k])
        far = self.model.population.slot_distance[visits.consumer, slot] > self.model.cfg.city.walk_km
        t["purchases_beyond_walk"] = int((served & far).sum())
        trips = served & (channel != CHANNELS.index("delivery"))
        t["trip_km"] = float(self.model.population.slot_distance[visits.consumer[trips], slot[trips]].sum())
        paid = np.where(served, ticket - discount, 0.0)
        counts, sums = _store_tallies(store.astype(np.int64, copy=False), outcome, queued, redeem, review,
                                      wait, paid, s_count)
        n_visits, purchases, balked, reneged, closed, stockouts, redemptions, reviews, n_q = counts
        t["balked"] = int(balked.sum())
        t["reneged"] = int(reneged.sum())
        t["closed"] = int(closed.sum())
        t["stockouts"] = int(stockouts.sum())
        t["purchases"] = int(purchases.sum())
        buyers = visits.consumer[served]
        new = buyers[self.customer_purchases[buyers] == 0]
        t["new_customers"] = int(new.size)
        self.first_purchase_day[new] = t["day"]
        self.customer_purchases[buyers] += 1  # no repeats within a day
        t["redemptions"] = int(redeem.sum())
        self.redeemed_gross += float(ticket[redeem].sum())
        self.ever_redeemed[visits.consumer[redeem]] = True
        t["revenue"] = float(paid.sum())
        t["discount_cost"] = float(discount.sum())
        t["reviews"] = int(review.sum())
        t["shares"] = int(share.sum())
        t["mean_wait_min"] = float(wait[queued].mean()) if queued.any() else float("nan")
        self.queued_wait_sum += float(wait[queued].sum())
        self.queued_count += int(queued.sum())
        visits_by_source = np.bincount(self._source, minlength=len(SOURCES))
        purchases_by_source = np.bincount(self._source[served], minlength=len(SOURCES))
        for k, name in enumerate(SOURCES):
            t[f"visits_{name}"] = int(visits_by_source[k])
            t[f"purchases_{name}"] = int(purchases_by_source[k])
        revenue, wait_sum = sums
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_wait = np.where(n_q > 0, wait_sum / np.maximum(n_q, 1), np.nan)
        self._store_today = {
            "visits": n_visits, "purchases": purchases, "balked": balked, "reneged": reneged,
            "closed": closed, "stockouts": stockouts, "redemptions": redemptions, "revenue": revenue,
            "reviews": reviews, "mean_wait_min": mean_wait,
        }

    def _distinct(self, consumers: np.ndarray) -> int:
        """How many different consumers ``consumers`` holds (a mark per consumer, cleared after)."""
        self._mark[consumers] = True
        count = int(np.count_nonzero(self._mark))
        self._mark[consumers] = False
        return count

    def end_day(self, day: int) -> None:
        """Close the day: unique exposures, costs, ratings; append the rows."""
        m, t = self.model, self.today
        t["exposed"] = self._distinct(self._exposed)
        t["aware"] = self._distinct(self._aware)
        t["campaign_cost"] = float(sum(lv.spend_today for lv in m.levers))
        table = m.store_table
        rating = table.rating
        t["mean_rating"] = float(rating.mean())
        self.rows.append({c: t[c] for c in DAILY_COLUMNS})
        st = dict(self._store_today)
        st["day"] = np.full(table.count, day, dtype=np.int64)
        st["store_id"] = np.arange(table.count, dtype=np.int64)
        st["rating"] = rating.copy()
        st["expected_wait_min"] = table.expected_wait_min.copy()
        st["capacity_bound"] = table.max_served().astype(np.int64)
        self.store_rows.append({c: st[c] for c in STORE_COLUMNS})
