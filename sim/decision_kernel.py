"""The daily visit decision in one compiled pass over consumers.

Core functions: :func:`evaluate` - for every consumer and considered store, the
utility of visiting (the sum of :func:`sim.behavior.visit_utility`'s terms),
then per consumer the logsum over available stores, the chance of visiting
any store today, the most attractive store and its friction (travel, wait and
booking costs, for the drop-off diagnosis); :func:`choose` - the store each
visitor picks (multinomial logit by inverse CDF, as :func:`sim.behavior.choose`).

:func:`evaluate` reads the model's state arrays directly, so no (N, K) array
is built per term; terms that levers rewrote in their ``shape_choice`` hook
(:class:`sim.shaped_terms.ShapedTerms`) are passed in as full arrays and used
instead. :func:`from_terms` does the same in numpy
from a full :class:`~sim.behavior.UtilityTerms` (any rewrite; the reference).

:mod:`sim.behavior` stays the readable definition of every term; the tests
check that this kernel gives the same numbers (``tests/test_decision_kernel.py``).
Everything is computed in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from . import behavior
from .behavior import NEUTRAL_STARS, UtilityTerms
from .keyed import uniform_at

__all__ = ["DayUtility", "choose", "evaluate", "from_terms"]

_NONE = np.zeros((0, 0))
_NO_MASK = np.zeros((0, 0), dtype=bool)
_NO_FLAGS = np.zeros(0, dtype=bool)
_NO_ROWS = np.zeros(0, dtype=np.int64)


@dataclass
class DayUtility:
    """The day's decision inputs.

    Attributes:
        utility: (N, K) utility of visiting each considered store; -inf where not available.
        available: (N, K) the store is known and considered.
        inclusive: (N,) logsum over available stores (-inf with none).
        p_visit: (N,) chance of visiting some store today.
        best: (N,) the available slot with the highest utility (0 with none).
        best_friction: (N,) travel, wait and booking disutility at that slot.
        intends: (N,) whether each consumer intends to visit today, when :func:`evaluate` was
            asked to decide (``None`` otherwise).
        chosen: (N,) the slot each intending consumer picks (0 for the others), likewise.
    """

    utility: np.ndarray
    available: np.ndarray
    inclusive: np.ndarray
    p_visit: np.ndarray
    best: np.ndarray
    best_friction: np.ndarray
    intends: np.ndarray | None = None
    chosen: np.ndarray | None = None


@njit(cache=True)
def _coupon_value(face, rate, expiry, min_spend, price, day, sigma):
    """As :meth:`sim.model.O2OModel.coupon_value` for one slot (0 without a valid coupon)."""
    if not (face > 0 and expiry >= day):
        return 0.0
    off = min(rate * price, float(face)) if rate > 0 else float(face)
    if min_spend <= 0:
        return off
    z = (math.log(max(float(min_spend), 1e-12) / price) + sigma * sigma / 2) / sigma
    return off * (1.0 - 0.5 * math.erfc(-z / math.sqrt(2.0)))  # 1 - ndtr(z): P(ticket >= min_spend)


@njit(cache=True, error_model="numpy")
def _evaluate(slot_store, slot_aware, slot_memory, slot_distance, slot_social, slot_habit, slot_prompt,
              has_coupons, has_prompts,
              coupon, coupon_rate, coupon_expiry, coupon_min, store_price, day, ticket_sigma,
              incentive, wait_full, hassle_full, extra_full, avail_full,
              trust, money_weight, value_of_time, outside,
              store_asc, store_rating, store_rating_n, store_premium, store_wait, store_hassle,
              beta_quality, price_weight, beta_social, beta_loyalty, wait_aversion,
              doubt_strength, confidence_n, log_distance, beta_log_distance, log_floor_km,
              spatial, walk_km, walk_speed, ride_access_h, ride_speed, ride_cost,
              utility, available, inclusive, p_visit, best, best_friction,
              decide, key_visit, key_choice, intends, chosen):
    n, k = slot_store.shape
    has_wait, has_hassle = wait_full.shape[0] > 0, hassle_full.shape[0] > 0
    has_extra, has_avail = extra_full.shape[0] > 0, avail_full.shape[0] > 0
    has_incentive = incentive.shape[0] > 0
    live = np.empty(k, dtype=np.int64)  # today's available slots of the consumer, in slot order
    weight = np.empty(k)  # exp(utility - top) of each live slot
    cdf = np.empty(k)
    for i in range(n):
        m = money_weight[i]
        vot = value_of_time[i]
        tr = float(trust[i])
        n_live = 0
        for j in range(k):  # which slots are alternatives today (no data-dependent branch)
            ok = (avail_full[i, j] if has_avail else slot_aware[i, j]) and slot_store[i, j] >= 0
            available[i, j] = ok
            utility[i, j] = -np.inf
            live[n_live] = j
            n_live += ok
        top = -np.inf
        arg = 0
        fr_top = 0.0
        for r in range(n_live):
            j = live[r]
            s = slot_store[i, j]
            mem = slot_memory[i, j]
            rating = store_rating[s]
            n_reviews = store_rating_n[s]
            known = not math.isnan(mem)
            quality = float(mem) if known else tr * rating + (1.0 - tr) * NEUTRAL_STARS
            doubt = 0.0 if known else doubt_strength * (1.0 - tr * n_reviews / (n_reviews + confidence_n))
            d = float(slot_distance[i, j])
            hours = 0.0
            money = 0.0
            dist_utils = 0.0
            if not spatial:
                if not math.isfinite(d):
                    hours = np.inf
                    money = np.inf
            elif log_distance:
                dist_utils = beta_log_distance * math.log(max(d, log_floor_km))
            else:
                walk = d <= walk_km
                hours = 2.0 * (d / walk_speed) if walk else 2.0 * (ride_access_h + d / ride_speed)
                money = 0.0 if walk else 2.0 * (d * ride_cost)
            wait = wait_full[i, j] if has_wait else store_wait[s]
            hassle = hassle_full[i, j] if has_hassle else store_hassle[s]
            travel = m * (money + vot * hours) + dist_utils
            wait_utils = m * vot * wait_aversion * wait / 60.0
            money_off = 0.0  # no coupon held anywhere: the coupon arrays are not read
            if has_incentive:
                money_off = incentive[i, j]
            elif has_coupons:
                money_off = _coupon_value(coupon[i, j], coupon_rate[i, j], coupon_expiry[i, j],
                                          coupon_min[i, j], store_price[s], day, ticket_sigma)
            prompt = float(slot_prompt[i, j]) if has_prompts else 0.0
            v = (m * money_off + prompt + store_asc[s]
                 + beta_quality * (quality - NEUTRAL_STARS)
                 - m * price_weight * store_premium[s]
                 + beta_social * float(slot_social[i, j])
                 - travel - hassle - wait_utils - doubt)
            habit = float(slot_habit[i, j])
            if habit != 0.0:
                v += beta_loyalty * math.log1p(habit)
            if has_extra:
                v += extra_full[i, j]
            utility[i, j] = v
            better = v > top
            top = v if better else top
            arg = j if better else arg
            fr_top = travel + wait_utils + hassle if better else fr_top
        best[i] = arg
        best_friction[i] = fr_top
        if decide:
            intends[i] = False
            chosen[i] = 0
        if top == -np.inf:  # no store available (or none worth anything)
            inclusive[i] = -np.inf
            p_visit[i] = 0.0
            continue
        total = 0.0
        for r in range(n_live):
            j = live[r]
            weight[r] = 1.0 if j == arg else math.exp(utility[i, j] - top)  # exp(0) = 1 at the top, exactly
            total += weight[r]
        inc = top if total == 1.0 else math.log(total) + top  # log(1) = 0 exactly
        inclusive[i] = inc
        p_visit[i] = 1.0 / (1.0 + math.exp(outside[i] - inc))  # exp overflows to inf: chance 0
        if decide and uniform_at(key_visit, i) < p_visit[i]:  # today's intent, and the store: as choose
            intends[i] = True
            partial = 0.0
            r = 0
            for j in range(k):  # the CDF over all slots, flat where a slot is not available
                if r < n_live and live[r] == j:
                    partial += weight[r]
                    r += 1
                cdf[j] = partial
            chosen[i] = _pick(cdf, total, uniform_at(key_choice, i))


@njit(cache=True)
def _pick(cdf, total, u):
    """The slot drawn by uniform ``u`` from an unnormalised CDF over the slots (as behavior.choose)."""
    k = cdf.size
    pick = 0
    for j in range(k):
        if cdf[j] / total <= u:  # the count of CDF steps at or below u
            pick += 1
    return min(pick, k - 1)


@njit(cache=True)
def _choose(utility, available, best, rows, uniforms, out):
    k = utility.shape[1]
    cdf = np.empty(k)
    for r in range(rows.shape[0]):
        i = rows[r]
        top = utility[i, best[i]]
        total = 0.0
        for j in range(k):
            if j == best[i]:
                total += 1.0  # exp(0) at the top slot, as in _evaluate
            elif available[i, j]:
                total += math.exp(utility[i, j] - top)
            cdf[j] = total
        out[r] = _pick(cdf, total, uniforms[r])


def choose(today: DayUtility, rows: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """The chosen slot of each consumer in ``rows``: :func:`sim.behavior.choose` on today's utilities.

    Args:
        today: the day's :class:`DayUtility`.
        rows: consumers who visit today; each has at least one available store.
        uniforms: one uniform in [0, 1) per row.

    Returns:
        (len(rows),) chosen slot per row.
    """
    out = np.empty(rows.size, dtype=np.int64)
    _choose(today.utility, today.available, today.best, rows.astype(np.int64, copy=False),
            np.asarray(uniforms, dtype=np.float64), out)
    return out


def _full(value, shape, dtype=np.float64) -> np.ndarray:
    if value is None:
        return _NONE if dtype == np.float64 else _NO_MASK
    return np.ascontiguousarray(np.broadcast_to(value, shape), dtype=dtype)


def evaluate(model, day: int, overrides: dict[str, np.ndarray],
             decide: tuple[np.uint64, np.uint64] | None = None) -> DayUtility:
    """The day's utilities and visit chances for every consumer (see module docstring).

    Args:
        model: the :class:`~sim.model.O2OModel` (its population, store table and config are read).
        day: today (coupons valid through today count).
        overrides: full arrays of terms levers rewrote: any of ``incentive_money``, ``wait_min``,
            ``hassle``, ``extra``, ``available``. Without ``incentive_money`` the coupon value
            is computed here, slot by slot.
        decide: the keys of today's visit and choice draws (:mod:`sim.keyed`): also decide, in
            the same pass, who intends to visit (consumer ``i`` when the visit draw at counter
            ``i`` is below ``p_visit[i]``) and which store they pick (:func:`choose` with the
            choice draw at counter ``i``), filling ``intends`` and ``chosen``.

    Returns:
        The :class:`DayUtility`.
    """
    from .city import LOG_DISTANCE_FLOOR_KM

    pop, t, cfg = model.population, model.store_table, model.cfg
    b, c = cfg.behavior, cfg.city
    n, k = pop.slot_store.shape
    out = DayUtility(np.empty((n, k)), np.empty((n, k), dtype=bool), np.empty(n), np.empty(n),
                     np.empty(n, dtype=np.int64), np.empty(n))
    if decide is not None:
        out.intends, out.chosen = np.empty(n, dtype=bool), np.empty(n, dtype=np.int64)
    key_visit, key_choice = (np.uint64(0), np.uint64(0)) if decide is None else map(np.uint64, decide)
    f64 = np.float64
    _evaluate(pop.slot_store, pop.slot_aware, pop.slot_memory, pop.slot_distance, pop.slot_social,
              pop.slot_habit, pop.slot_prompt, model.may_hold_coupons, model.may_hold_prompts,
              pop.slot_coupon, pop.slot_coupon_rate, pop.slot_coupon_expiry, pop.slot_coupon_min,
              t.price.astype(f64), day, behavior.TICKET_SIGMA,
              _full(overrides.get("incentive_money"), (n, k)), _full(overrides.get("wait_min"), (n, k)),
              _full(overrides.get("hassle"), (n, k)), _full(overrides.get("extra"), (n, k)),
              _full(overrides.get("available"), (n, k), bool),
              pop.trust, pop.money_weight.astype(f64, copy=False), pop.value_of_time.astype(f64, copy=False),
              pop.outside_utility.astype(f64, copy=False),
              model.asc[t.category].astype(f64), t.rating.astype(f64), t.rating_n.astype(f64),
              t.price_premium.astype(f64), t.expected_wait_min.astype(f64), t.hassle.astype(f64),
              b.beta_quality, b.price_weight, b.beta_social, b.beta_loyalty, b.wait_aversion,
              b.doubt, b.review_confidence_n, b.distance_form == "log", b.beta_log_distance,
              LOG_DISTANCE_FLOOR_KM, c.spatial, c.walk_km, c.walk_speed_kmh, c.ride_access_min / 60,
              c.ride_speed_kmh, c.ride_cost_per_km,
              out.utility, out.available, out.inclusive, out.p_visit, out.best, out.best_friction,
              decide is not None, key_visit, key_choice,
              _NO_FLAGS if decide is None else out.intends, _NO_ROWS if decide is None else out.chosen)
    return out


def from_terms(terms: UtilityTerms, outside: np.ndarray, behavior_cfg) -> DayUtility:
    """The same as :func:`evaluate`, from a full :class:`~sim.behavior.UtilityTerms` in numpy.

    Used when a lever rewrote a term the kernel does not take rewritten, and as
    the reference the kernel is tested against.
    """
    b = behavior_cfg
    avail = np.asarray(terms.available, dtype=bool)
    total = terms.total(b.beta_quality, b.price_weight, b.beta_social, b.beta_loyalty, b.wait_aversion)
    utility = np.where(avail, np.broadcast_to(total, avail.shape), -np.inf)
    inclusive = behavior.logsum(utility, avail)
    best = utility.argmax(axis=1)
    rows = (np.arange(avail.shape[0]), best)

    def at(term):
        return np.broadcast_to(term, avail.shape)[rows]

    m, vot = at(terms.money_weight), at(terms.value_of_time)
    wait_utils = m * vot * b.wait_aversion * at(terms.wait_min) / 60.0
    friction = at(terms.travel_utils()) + wait_utils + at(terms.hassle)
    return DayUtility(utility, avail, inclusive, behavior.visit_probability(inclusive, outside), best,
                      np.where(avail.any(axis=1), friction, 0.0))
