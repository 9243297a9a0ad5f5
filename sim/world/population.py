"""Consumers as a struct of arrays.

Core objects:
    * :class:`Population` - per-consumer traits (N,) and per-consumer,
      per-considered-store state (N, K): the consideration set ("slots").
    * :func:`build_population` - draws homes, workplaces and traits from the
      documented distributions (docs/ODD.md) and fills each consideration set
      with the nearest stores.

A consumer considers at most K stores: the ``K - D`` nearest (by the closer of
home and work) and ``D`` discovery slots filled by what they learn online
(a push, a friend's share: :meth:`Population.ensure_slots`,
:meth:`Population.hear`). Everything is a numpy array; no per-consumer
Python objects exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.config import BehaviorConfig, PopulationConfig
from sim.kernels.jit import njit
from sim.world.neighbours import k_nearest

__all__ = ["Population", "build_population", "candidate_distance", "flat_view", "hear_stores",
           "pair_distance"]

NO_STORE = -1
#: ``last_visit_day`` of a consumer who never visited.
NEVER = -(2**30)


@dataclass
class Population:
    """All consumer state. Shapes: (N,) traits, (N, K) per-slot state.

    Attributes:
        home_xy, work_xy: (N, 2) positions in km (work = home for those without work).
        money_weight: utils per currency unit (price sensitivity).
        value_of_time: currency per hour.
        outside_utility: utility of not visiting any modelled store today.
        reachable: has the merchant app / can be reached online.
        push_opt_in: accepts push messages.
        trust: trust in reviews and ratings, in [0, 1].
        review_propensity, share_propensity: in [0, 1].
        patience_scale: multiplies a store's mean patience.
        member: holds a membership (used by membership levers).
        last_visit_day: last day with a store visit (a large negative number = never).
        purchases: purchases so far.
        satisfaction: smoothed satisfaction (disconfirmation plus perceived value, weight
            ``memory_weight``), 0 before any visit.
        slot_store: (N, K) store id or -1.
        slot_distance: (N, K) one-way km to the store from the closer of home and work.
        slot_aware: (N, K) knows the store exists and considers it.
        slot_memory: (N, K) remembered quality (1-5) from own visits; NaN = never visited or forgotten.
        slot_habit: (N, K) habit stock: +1 per purchase, decaying daily (loyalty).
        slot_touched: (N, K) last day the slot was used (visit or exposure).
        slot_social: (N, K) signed, decaying count of friends' shares received.
        slot_coupon: (N, K) face value (currency) of a held coupon, 0 = none.
        slot_coupon_rate: (N, K) discount fraction of that coupon.
        slot_coupon_expiry: (N, K) last valid day of that coupon.
        slot_coupon_lever: (N, K) index of the lever that issued it (-1 = none).
        slot_coupon_min: (N, K) minimum spend for that coupon (0 = none).
        slot_prompt: (N, K) today's salience boost from a timely message (utils).
        slot_prompt_lever: (N, K) index of the lever whose message prompted it (-1 = none).
        deal_proneness: (N,) in [0, 1], the pleasure a deal itself gives (satisfaction, docs/ODD.md 7.13).
        segment: (N,) persona segment id (:mod:`sim.world.segments`; 0 without segments).
        deal_weight: (N,) weight of a held coupon's value in the choice (deal proneness; 1 = its money).
        habit_gain: (N,) habit added per purchase (loyalty strength; 1 without segments).
    """

    home_xy: np.ndarray
    work_xy: np.ndarray
    money_weight: np.ndarray
    value_of_time: np.ndarray
    outside_utility: np.ndarray
    reachable: np.ndarray
    push_opt_in: np.ndarray
    trust: np.ndarray
    review_propensity: np.ndarray
    share_propensity: np.ndarray
    patience_scale: np.ndarray
    member: np.ndarray
    last_visit_day: np.ndarray
    purchases: np.ndarray
    satisfaction: np.ndarray
    slot_store: np.ndarray
    slot_distance: np.ndarray
    slot_aware: np.ndarray
    slot_memory: np.ndarray
    slot_habit: np.ndarray
    slot_touched: np.ndarray
    slot_social: np.ndarray
    slot_coupon: np.ndarray
    slot_coupon_rate: np.ndarray
    slot_coupon_expiry: np.ndarray
    slot_coupon_lever: np.ndarray
    slot_coupon_min: np.ndarray
    slot_prompt: np.ndarray
    slot_prompt_lever: np.ndarray
    discovery_slots: int
    deal_proneness: np.ndarray | None = None
    segment: np.ndarray | None = None
    deal_weight: np.ndarray | None = None
    habit_gain: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of consumers."""
        return self.home_xy.shape[0]

    @property
    def slots(self) -> int:
        """Consideration-set size K."""
        return self.slot_store.shape[1]

    def find_slots(self, consumers: np.ndarray, stores: np.ndarray) -> np.ndarray:
        """Slot index of each (consumer, store) pair, or -1 where the store is not considered."""
        out = np.empty(np.size(consumers), dtype=np.int64)
        _find_slots(self.slot_store, np.asarray(consumers, dtype=np.int64).reshape(-1),
                    np.asarray(stores, dtype=np.int64).reshape(-1), out)
        return out

    def ensure_slots(
        self, consumers: np.ndarray, stores: np.ndarray, store_xy: np.ndarray, day: int
    ) -> np.ndarray:
        """Slot of each pair, placing unknown stores into a discovery slot first.

        A store learned online that is not in the consideration set replaces the
        empty or least recently used discovery slot; a slot used today (an earlier
        exposure or share today, or a pair of this very call) is never evicted. Pairs that cannot
        be placed (no discovery slots, or more new stores for one consumer today
        than free slots) get -1. Pairs are placed in the order given (one compiled pass;
        ``tests/test_population.py`` checks it against the same rule in numpy).

        Args:
            consumers: (M,) consumer indices.
            stores: (M,) store ids.
            store_xy: (S, 2) store positions in km.
            day: today (marks the slot as used).

        Returns:
            (M,) slot indices or -1.
        """
        return _place(np.asarray(consumers, dtype=np.int64).reshape(-1),
                      np.asarray(stores, dtype=np.int64).reshape(-1), self.slots - self.discovery_slots, day,
                      self.home_xy, self.work_xy, store_xy, self.slot_state())

    def hear(self, friends: np.ndarray, stores: np.ndarray, valence: np.ndarray, store_xy: np.ndarray,
             day: int) -> np.ndarray:
        """Friends hear of stores from shares, in order: one compiled pass.

        Each pair's store gets a slot (:meth:`ensure_slots`); where it has one, the store is known,
        touched today, and its social proof grows by the share's valence (float32, in order).

        Args:
            friends: (M,) who hears.
            stores: (M,) of which store.
            valence: (M,) +1 or -1 (float32).
            store_xy: (S, 2) store positions in km.
            day: today.

        Returns:
            The friends whose pair has a slot (in order, repeats kept).
        """
        return hear_stores(np.asarray(friends, dtype=np.int64), np.asarray(stores, dtype=np.int64),
                           valence.astype(np.float32, copy=False), self.slots - self.discovery_slots,
                           day, self.home_xy, self.work_xy, store_xy, self.slot_state())

    def slot_state(self) -> tuple[np.ndarray, ...]:
        """The (N, K) slot arrays a placement writes, in the order :func:`hear_stores` takes them.

        The arrays themselves, not copies: compiled passes that place stores into slots
        (:func:`hear_stores`) write through them.
        """
        return (self.slot_store, self.slot_distance, self.slot_aware, self.slot_memory, self.slot_habit,
                self.slot_touched, self.slot_social, self.slot_coupon, self.slot_coupon_rate,
                self.slot_coupon_expiry, self.slot_coupon_lever, self.slot_coupon_min, self.slot_prompt,
                self.slot_prompt_lever)


@njit(cache=True)
def _reset_slots(consumers, slots, stores, home_xy, work_xy, store_xy, day, state):
    """Each pair's slot takes its new store: the distance (as :func:`pair_distance`), the rest reset."""
    (slot_store, slot_distance, slot_aware, slot_memory, slot_habit, slot_touched, slot_social, slot_coupon,
     slot_coupon_rate, slot_coupon_expiry, slot_coupon_lever, slot_coupon_min, slot_prompt,
     slot_prompt_lever) = state
    for r in range(consumers.size):
        c, j, s = consumers[r], slots[r], stores[r]
        slot_store[c, j] = s
        dh = math.hypot(home_xy[c, 0] - store_xy[s, 0], home_xy[c, 1] - store_xy[s, 1])
        dw = math.hypot(work_xy[c, 0] - store_xy[s, 0], work_xy[c, 1] - store_xy[s, 1])
        slot_distance[c, j] = min(dh, dw)
        slot_aware[c, j] = False
        slot_memory[c, j] = np.nan
        slot_habit[c, j] = 0.0
        slot_touched[c, j] = day
        slot_social[c, j] = 0.0
        slot_coupon[c, j] = 0.0
        slot_coupon_rate[c, j] = 0.0
        slot_coupon_expiry[c, j] = -1
        slot_coupon_lever[c, j] = -1
        slot_coupon_min[c, j] = 0.0
        slot_prompt[c, j] = 0.0
        slot_prompt_lever[c, j] = -1


@njit(cache=True)
def _place(consumers, stores, k0, day, home_xy, work_xy, store_xy, state):
    """:meth:`Population.ensure_slots`: each pair's slot, new stores placed and their slots reset."""
    slot_store, slot_touched = state[0], state[5]
    slots = np.empty(consumers.size, dtype=np.int64)
    placed = np.empty(consumers.size, dtype=np.int64)
    n_placed = _ensure_slots(slot_store, slot_touched, consumers, stores, k0, day, slots, placed)
    if n_placed:  # the placed pairs' slots start afresh (store and touched are already set)
        r = placed[:n_placed]
        _reset_slots(consumers[r], slots[r], stores[r], home_xy, work_xy, store_xy, day, state)
    return slots


@njit(cache=True)
def hear_stores(friends, stores, valence, k0, day, home_xy, work_xy, store_xy, state):
    """:meth:`Population.hear` in compiled code, for compiled callers (:func:`sim.world.social.hear_shares`).

    Each pair's store gets a slot (as :meth:`Population.ensure_slots`); where it has one, the
    store is known, touched today, and its social proof grows by the pair's valence, in order.

    Args:
        friends: (M,) who hears (int64).
        stores: (M,) of which store (int64).
        valence: (M,) +1 or -1 (float32).
        k0: the first discovery slot (``K - D``).
        day: today.
        home_xy: (N, 2) homes in km.
        work_xy: (N, 2) workplaces in km.
        store_xy: (S, 2) store positions in km.
        state: :meth:`Population.slot_state` (written in place).

    Returns:
        The friends whose pair has a slot (in order, repeats kept).
    """
    slots = _place(friends, stores, k0, day, home_xy, work_xy, store_xy, state)
    slot_aware, slot_touched, slot_social = state[2], state[5], state[6]
    heard = np.empty(friends.size, dtype=np.int64)
    n_heard = 0
    for r in range(friends.size):
        j = slots[r]
        if j == NO_STORE:
            continue
        c = friends[r]
        slot_aware[c, j] = True
        slot_touched[c, j] = day
        slot_social[c, j] += valence[r]
        heard[n_heard] = c
        n_heard += 1
    return heard[:n_heard]


@njit(cache=True)
def _find_slot(slot_store, c, s):
    for j in range(slot_store.shape[1]):
        if slot_store[c, j] == s:
            return j
    return NO_STORE


@njit(cache=True)
def _find_slots(slot_store, consumers, stores, out):
    for r in range(consumers.size):
        out[r] = _find_slot(slot_store, consumers[r], stores[r])


@njit(cache=True)
def _ensure_slots(slot_store, slot_touched, consumers, stores, k0, day, slots, placed):
    """Place each unknown pair, in order; returns how many were placed (their rows in ``placed``)."""
    k = slot_store.shape[1]
    todo = np.empty(consumers.size, dtype=np.int64)
    n_todo = 0
    for r in range(consumers.size):  # first every store already considered is marked used today
        j = _find_slot(slot_store, consumers[r], stores[r])
        slots[r] = j
        if j != NO_STORE:
            slot_touched[consumers[r], j] = day
        else:
            todo[n_todo] = r
            n_todo += 1
    n_placed = 0
    for t in range(n_todo):
        r = todo[t]
        c, s = consumers[r], stores[r]
        j = _find_slot(slot_store, c, s)  # placed by an earlier pair of this call?
        if j == NO_STORE and k0 < k:
            # the empty discovery slot, else the least recently used one (first on a tie)
            pick, oldest = -1, np.iinfo(np.int64).max
            for x in range(k0, k):
                age = np.iinfo(np.int64).min if slot_store[c, x] == NO_STORE else np.int64(slot_touched[c, x])
                if age < oldest:
                    pick, oldest = x, age
            if oldest < day:  # else every discovery slot was used today: no room
                slot_store[c, pick] = s
                slot_touched[c, pick] = day
                placed[n_placed] = r
                n_placed += 1
                j = pick
        slots[r] = j
    return n_placed


def flat_view(slot_array: np.ndarray) -> np.ndarray:
    """A flat view of an (N, K) slot array, indexed by ``consumer * K + slot``; writes go through.

    Raises:
        ValueError: if the array is not C-contiguous (a flat "view" would be a copy, and
            writes to it would be lost).
    """
    if not slot_array.flags.c_contiguous:
        raise ValueError("slot arrays must be C-contiguous: a flat view of this one would be a copy")
    return slot_array.reshape(-1)


def pair_distance(home_xy: np.ndarray, work_xy: np.ndarray, store_xy: np.ndarray) -> np.ndarray:
    """One-way km from the closer of home and work to the store (all arrays broadcast)."""
    dh = home_xy - store_xy
    dw = work_xy - store_xy
    dh = np.hypot(dh[..., 0], dh[..., 1])
    dw = np.hypot(dw[..., 0], dw[..., 1])
    return np.minimum(dh, dw).astype(np.float32)


@njit(cache=True)
def _candidate_distance(home_xy, work_xy, store_xy, cand, out):
    n, m = cand.shape
    for i in range(n):
        for j in range(m):
            s = cand[i, j]
            dh = math.hypot(home_xy[i, 0] - store_xy[s, 0], home_xy[i, 1] - store_xy[s, 1])
            dw = math.hypot(work_xy[i, 0] - store_xy[s, 0], work_xy[i, 1] - store_xy[s, 1])
            out[i, j] = min(dh, dw)


def candidate_distance(home_xy: np.ndarray, work_xy: np.ndarray, store_xy: np.ndarray,
                       cand: np.ndarray) -> np.ndarray:
    """(N, M) :func:`pair_distance` from each consumer to each of its candidate stores ``cand``.

    The same numbers, computed in one compiled pass instead of (N, M, 2) temporaries.
    """
    out = np.empty(cand.shape, dtype=np.float32)
    _candidate_distance(np.ascontiguousarray(home_xy, dtype=np.float64),
                        np.ascontiguousarray(work_xy, dtype=np.float64),
                        np.ascontiguousarray(store_xy, dtype=np.float64), np.ascontiguousarray(cand), out)
    return out


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return (median * np.exp(sigma * rng.standard_normal(n))).astype(np.float32)


def build_population(
    cfg: PopulationConfig,
    behavior: BehaviorConfig,
    city,
    store_xy: np.ndarray,
    rng: np.random.Generator,
    store_quality: np.ndarray | None = None,
    start_day: int = 0,
    traits_rng: np.random.Generator | None = None,
) -> Population:
    """Draw the consumers and their initial consideration sets.

    Args:
        cfg: population config.
        behavior: behaviour config (outside utility, consideration-set size).
        city: the :class:`~sim.world.city.City`.
        store_xy: (S, 2) store positions in km.
        rng: the "population" stream.
        store_quality: (S,) true quality, for the remembered quality of stores tried before
            the run (default: 3 stars everywhere).
        start_day: the first simulated day (negative with a warm-up).
        traits_rng: the "population:traits" stream, for traits added after the first ones (deal
            proneness), so that those keep their draws; without it every consumer gets the trait's mean.

    Returns:
        The :class:`Population`.
    """
    n = cfg.size
    if store_quality is None:
        store_quality = np.full(store_xy.shape[0], 3.0)
    _, home = city.sample_positions(rng, n, city.population_density)
    _, work = city.sample_positions(rng, n, city.work_density)
    has_work = rng.random(n) < cfg.has_work_share
    work = np.where(has_work[:, None], work, home)

    k = behavior.consideration_set
    d = behavior.discovery_slots
    m = min(k - d, store_xy.shape[0])
    cand = np.hstack([k_nearest(store_xy, m, home), k_nearest(store_xy, m, work)])  # as cKDTree.query
    cand.sort(axis=1)
    dist = candidate_distance(home, work, store_xy, cand)
    dup = np.zeros_like(cand, dtype=bool)
    dup[:, 1:] = cand[:, 1:] == cand[:, :-1]
    dist = np.where(dup, np.inf, dist)
    order = np.argsort(dist, axis=1, kind="stable")[:, :m]
    slot_store = np.full((n, k), NO_STORE, dtype=np.int32)
    slot_distance = np.full((n, k), np.inf, dtype=np.float32)
    slot_store[:, :m] = np.take_along_axis(cand, order, axis=1)
    slot_distance[:, :m] = np.take_along_axis(dist, order, axis=1)

    aware_p = cfg.initial_awareness_near * np.exp(-slot_distance / cfg.awareness_decay_km)
    slot_aware = (rng.random((n, k)) < aware_p) & (slot_store != NO_STORE)
    # part of what people know they have tried before: a remembered quality near the
    # store's true quality and some habit, so the run starts near its steady state
    familiar = slot_aware & (rng.random((n, k)) < cfg.initial_familiar_share)
    noise = rng.standard_normal((n, k)).astype(np.float32)
    true_q = np.asarray(store_quality, dtype=np.float32)[np.maximum(slot_store, 0)]
    memory = np.where(familiar, np.clip(true_q + behavior.experience_sd * noise, 1.0, 5.0), np.nan)
    habit = np.where(familiar, cfg.initial_habit, 0.0).astype(np.float32)

    return Population(
        home_xy=home,
        work_xy=work,
        money_weight=_lognormal(rng, cfg.money_weight_median, cfg.money_weight_sigma, n),
        value_of_time=_lognormal(rng, cfg.value_of_time_median, cfg.value_of_time_sigma, n),
        outside_utility=(behavior.outside_utility
                         + cfg.outside_utility_sd * rng.standard_normal(n)).astype(np.float32),
        reachable=rng.random(n) < cfg.app_reach,
        push_opt_in=rng.random(n) < cfg.push_opt_in,
        trust=rng.beta(cfg.trust_alpha, cfg.trust_beta, n).astype(np.float32),
        review_propensity=rng.beta(cfg.review_alpha, cfg.review_beta, n).astype(np.float32),
        share_propensity=rng.beta(cfg.share_alpha, cfg.share_beta, n).astype(np.float32),
        patience_scale=_lognormal(rng, cfg.patience_median_scale, cfg.patience_sigma, n),
        member=rng.random(n) < cfg.member_share,
        last_visit_day=np.full(n, NEVER, dtype=np.int32),
        purchases=np.zeros(n, dtype=np.int32),
        satisfaction=np.zeros(n, dtype=np.float32),
        slot_store=slot_store,
        slot_distance=slot_distance,
        slot_aware=slot_aware,
        slot_memory=memory.astype(np.float32),
        slot_habit=habit,
        # known stores were last thought of some time in the past month
        slot_touched=np.where(slot_aware, start_day - rng.integers(1, 31, size=(n, k)),
                              start_day - 1).astype(np.int32),
        slot_social=np.zeros((n, k), dtype=np.float32),
        slot_coupon=np.zeros((n, k), dtype=np.float32),
        slot_coupon_rate=np.zeros((n, k), dtype=np.float32),
        slot_coupon_expiry=np.full((n, k), -1, dtype=np.int32),
        slot_coupon_lever=np.full((n, k), -1, dtype=np.int8),
        slot_coupon_min=np.zeros((n, k), dtype=np.float32),
        slot_prompt=np.zeros((n, k), dtype=np.float32),
        slot_prompt_lever=np.full((n, k), -1, dtype=np.int8),
        discovery_slots=d,
        deal_proneness=_deal_proneness(cfg, traits_rng, n),
        segment=np.zeros(n, dtype=np.int8),  # one segment until sim.world.segments assigns them
        deal_weight=np.ones(n, dtype=np.float32),
        habit_gain=np.ones(n, dtype=np.float32),
    )


def _deal_proneness(cfg: PopulationConfig, rng: np.random.Generator | None, n: int) -> np.ndarray:
    """(N,) deal proneness ~ Beta(deal_proneness_alpha, deal_proneness_beta); its mean without a stream."""
    a, b = cfg.deal_proneness_alpha, cfg.deal_proneness_beta
    if rng is None:
        return np.full(n, a / (a + b), dtype=np.float32)
    return rng.beta(a, b, n).astype(np.float32)
