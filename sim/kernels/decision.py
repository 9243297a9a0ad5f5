"""The daily visit decision in compiled passes over consumers.

Core functions: :func:`evaluate` - for every consumer and considered store, the
utility of visiting (the sum of :func:`sim.rules.behavior.visit_utility`'s terms),
then per consumer the logsum over available stores, the chance of visiting
any store today, the most attractive store and its friction (travel, wait and
booking costs, for the drop-off diagnosis); :func:`choose` - the store each
visitor picks (multinomial logit by inverse CDF, as :func:`sim.rules.behavior.choose`);
:func:`dropoff_counts` - reached consumers without an intent, by cause.
Core objects: :class:`DayUtility` (the day's decision inputs and draws) and
:class:`Workspace` (a model's arrays for :func:`evaluate`, reused day after day).

:func:`evaluate` reads the model's state arrays directly, so no (N, K) array
is built per term; terms that levers rewrote in their ``shape_choice`` hook
(:class:`sim.levers.shaped_terms.ShapedTerms`) are passed in as full arrays and used
instead. :func:`from_terms` does the same in numpy
from a full :class:`~sim.rules.behavior.UtilityTerms` (any rewrite; the reference).

The work is split so that every transcendental function runs vectorised in
numpy (SIMD ``log1p``, ``exp`` and ``log``, several times faster than one call
per slot): :func:`_partial_utilities` packs each consumer's available slots
and sums every term but habit; numpy takes ``log1p`` of the habits;
:func:`_best` adds habit, finds the top slot and leaves ``v - top``; numpy takes
``exp``; :func:`_totals` sums the weights; numpy takes their ``log``,
:func:`_visit_odds` adds the top utility (the logsum) and numpy the ``exp`` of
the outside option against it; :func:`_decide` turns those odds into the visit
chance and draws intents, stores and follow-through. The scalar passes avoid
data-dependent branches (both sides of a choice computed, then selected).

:mod:`sim.rules.behavior` stays the readable definition of every term; the tests
check that this kernel gives the same numbers (``tests/test_decision.py``).
Everything is computed in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.kernels.jit import njit
from sim.random.keyed import uniform_at
from sim.rules import behavior
from sim.rules.behavior import NEUTRAL_STARS, UtilityTerms
from sim.rules.channels import channel_deltas, nest_gain
from sim.rules.redemption import coupon_valid, coupon_value, urgency
from sim.world.city import LOG_DISTANCE_FLOOR_KM

__all__ = ["DayUtility", "Workspace", "choose", "dropoff_counts", "evaluate", "from_terms"]


@dataclass
class DayUtility:
    """The day's decision inputs.

    Attributes:
        utility: (N, K) utility of visiting each considered store; -inf where not available
            (``None`` from :func:`evaluate` asked to decide: the decision needs only each
            consumer's best utility and the packed weights, so the full array is not written).
        available: (N, K) the store is known and considered.
        inclusive: (N,) logsum over available stores (-inf with none).
        p_visit: (N,) chance of visiting some store today.
        best: (N,) the available slot with the highest utility (0 with none).
        best_friction: (N,) travel, wait and booking disutility at that slot.
        intends: (N,) whether each consumer intends to visit today, when :func:`evaluate` was
            asked to decide (``None`` otherwise).
        chosen: (N,) the slot each intending consumer picks (0 for the others), likewise.
        best_utility: (N,) the utility of the best slot (-inf with none).
        intent: the consumers who intend to visit, in increasing order (``flatnonzero`` of
            ``intends``), when :func:`evaluate` was asked to decide (``None`` otherwise).
        follows: for each of ``intent``, whether the consumer follows through (makes the
            trip), when :func:`evaluate` was also asked to draw that (``None`` otherwise).
    """

    utility: np.ndarray | None
    available: np.ndarray
    inclusive: np.ndarray
    p_visit: np.ndarray
    best: np.ndarray
    best_friction: np.ndarray
    intends: np.ndarray | None = None
    chosen: np.ndarray | None = None
    best_utility: np.ndarray | None = None
    intent: np.ndarray | None = None
    follows: np.ndarray | None = None


@njit(cache=True)
def _coupon_value(face, rate, expiry, min_spend, price, day, sigma, urgent):
    """As :meth:`sim.engine.model.O2OModel.coupon_value` for one slot (0 without a valid coupon).

    The coupon rules are :mod:`sim.rules.redemption`'s (``urgent`` = the strength and fade of its
    :func:`~sim.rules.redemption.urgency`); the chance that the ticket reaches the minimum spend
    is :func:`sim.rules.behavior.ticket_at_least`'s, for one slot.
    """
    if not coupon_valid(face, expiry, day):
        return 0.0
    off = coupon_value(face, rate, price)
    if min_spend > 0:
        z = (math.log(max(float(min_spend), 1e-12) / price) + sigma * sigma / 2) / sigma
        off = off * (1.0 - 0.5 * math.erfc(-z / math.sqrt(2.0)))  # 1 - ndtr(z): P(ticket >= min_spend)
    return off * urgency(float(expiry) - day, urgent[0], urgent[1])


@njit(cache=True, error_model="numpy")
def _partial_utilities(slot_store, slot_aware, slot_memory, slot_distance, slot_social, slot_habit,
                       slot_prompt, coupons, store_price, day, ticket_sigma,
                       incentive, wait_full, hassle_full, avail_full,
                       trust, money_weight, value_of_time,
                       category_asc, need_table, need_since, store_category, store_rating, store_rating_n,
                       store_premium,
                       store_wait, store_hassle,
                       beta_quality, price_weight, beta_social, wait_aversion,
                       doubt_strength, confidence_n, log_travel, linear_travel, bonus, nest, reference, dense,
                       utility, available, start, entry_slot, owner, partial, habit, friction):
    """Pass 1: every term but habit and the extra for each available slot, packed consumer by consumer.

    Consumer ``i``'s utility of category ``c`` is ``category_asc[c] + need_table[c, need_since[i, c]]``
    (its constant and its need, :meth:`sim.world.needs.Needs.category_utils`).

    Writes the availability mask, with ``dense`` ``utility`` = -inf everywhere, and for the
    ``p``-th available slot overall (consumers in order, slots in order within a consumer): its
    slot ``entry_slot[p]``, its consumer ``owner[p]``, ``partial[p]`` (the utility without the
    habit and extra terms), ``habit[p]`` and ``friction[p]`` (travel, wait and booking
    disutility). ``start[i]:start[i + 1]`` are consumer ``i``'s entries.

    The slots are packed first; the terms are then computed in one loop over the entries
    (``owner`` names the consumer), so no loop ends at a data-dependent count per consumer:
    each such end is a mispredicted branch, and with two or three entries a consumer they
    cost as much as the terms.

    Inputs that may be absent are ``None`` then, and numba compiles a version of the pass for
    each combination in which the tests on them are gone (they cost a fifth of the pass when
    made slot by slot): ``slot_prompt`` (no prompt today), ``coupons`` (the slots' coupon
    face, rate, expiry and minimum spend, the urgency's strength and fade, and each consumer's
    deal weight; no coupon held anywhere), the terms levers rewrote
    (``incentive``, ``wait_full``, ``hassle_full``, ``avail_full``), and the travel form:
    ``log_travel`` = (beta, floor km) for a log-distance decay, else ``linear_travel`` = (walk
    km, walk km/h, ride access hours, ride km/h, ride cost per km) for the trip's cost, else
    a city without space (only an infinite distance costs); ``reference`` = (each consumer's
    remembered deal store, the share of its price remembered, loss aversion): at that store a
    price above the remembered share costs :func:`sim.rules.behavior.reference_loss`;
    ``bonus`` = (consumer masks (G, N),
    money (G, S)): money off added at a store's slots for the consumers of each group; ``nest``
    = (stores (S,), consumers (N,), the params of :func:`sim.rules.channels.channel_deltas`, and
    the outputs entries, pick, deliver): for each available slot of a nest store held by a
    nest consumer, its entry and its channel differences, in entry order.

    Returns:
        How many entries the nest wrote (0 without one).
    """
    n, k = slot_store.shape
    if coupons is not None:  # unpacked once: unpacking arrays in the loop costs reference counting
        face, rate, expiry, min_spend, urgent, deal_weight = coupons
    groups = 0
    if bonus is not None:
        bonus_consumers, bonus_money = bonus
        groups = bonus_money.shape[0]
    nested = 0
    if reference is not None:
        ref_store, ref_share, loss_aversion = reference
    if nest is not None:
        nest_stores, nest_consumers, params, nest_entry, nest_pick, nest_deliver = nest
    p = 0
    for i in range(n):
        start[i] = p
        for j in range(k):  # which slots are alternatives today (no data-dependent branch)
            if avail_full is None:
                ok = slot_aware[i, j] & (slot_store[i, j] >= 0)
            else:
                ok = avail_full[i, j] & (slot_store[i, j] >= 0)
            available[i, j] = ok
            if dense:
                utility[i, j] = -np.inf
            entry_slot[p] = j
            owner[p] = i
            p += ok
    for e in range(p):
        i = owner[e]
        m = float(money_weight[i])
        vot = float(value_of_time[i])
        tr = float(trust[i])
        j = entry_slot[e]
        s = slot_store[i, j]
        mem = slot_memory[i, j]
        rating = store_rating[s]
        n_reviews = store_rating_n[s]
        known = not math.isnan(mem)
        # both sides of each choice are computed and one is selected: no data-dependent branch
        believed = tr * rating + (1.0 - tr) * NEUTRAL_STARS
        quality = float(mem) if known else believed
        doubt_unknown = doubt_strength * (1.0 - tr * n_reviews / (n_reviews + confidence_n))
        doubt = 0.0 if known else doubt_unknown
        d = float(slot_distance[i, j])
        hours = 0.0
        money = 0.0
        dist_utils = 0.0
        if log_travel is not None:
            dist_utils = log_travel[0] * math.log(max(d, log_travel[1]))
        elif linear_travel is not None:
            walk_km, walk_speed, ride_access_h, ride_speed, ride_cost = linear_travel
            walk = d <= walk_km
            walk_hours = 2.0 * (d / walk_speed)
            ride_hours = 2.0 * (ride_access_h + d / ride_speed)
            ride_money = 2.0 * (d * ride_cost)
            hours = walk_hours if walk else ride_hours
            money = 0.0 if walk else ride_money
        elif not math.isfinite(d):
            hours = np.inf
            money = np.inf
        wait = store_wait[s] if wait_full is None else wait_full[i, j]
        hassle = store_hassle[s] if hassle_full is None else hassle_full[i, j]
        travel = m * (money + vot * hours) + dist_utils
        wait_utils = m * vot * wait_aversion * wait / 60.0
        money_off = 0.0  # no coupon held anywhere: the coupon arrays are not read
        if incentive is not None:
            money_off = incentive[i, j]
        elif coupons is not None:
            money_off = _coupon_value(face[i, j], rate[i, j], expiry[i, j], min_spend[i, j],
                                      store_price[s], day, ticket_sigma, urgent) * deal_weight[i]
        if bonus is not None:
            for g in range(groups):
                if bonus_consumers[g, i]:
                    money_off += bonus_money[g, s]
        if nest is not None:
            if nest_stores[s] and nest_consumers[i]:
                nest_entry[nested] = e
                own_wait = m * vot * wait_aversion * store_wait[s] / 60.0  # the store's own wait
                nest_pick[nested], nest_deliver[nested] = channel_deltas(own_wait, travel, m, d, params)
                nested += 1
        loss = 0.0
        if reference is not None:
            if ref_store[i] == s:
                price = store_price[s]
                gap = 1.0 - money_off / price - ref_share[i]
                loss = m * price * loss_aversion * gap if gap > 0.0 else 0.0
        prompt = 0.0 if slot_prompt is None else float(slot_prompt[i, j])
        cat = store_category[s]
        partial[e] = (m * money_off + prompt + (category_asc[cat] + need_table[cat, need_since[i, cat]])
                      + beta_quality * (quality - NEUTRAL_STARS)
                      - m * price_weight * store_premium[s]
                      + beta_social * float(slot_social[i, j])
                      - travel - hassle - wait_utils - doubt - loss)
        habit[e] = float(slot_habit[i, j])
        friction[e] = travel + wait_utils + hassle
    start[n] = p
    return nested


@njit(cache=True, error_model="numpy")
def _best(start, entry_slot, partial, log_habit, friction, beta_loyalty, extra_full, extra_entries, dense,
          utility, best, best_friction, top_out, best_entry):
    """Pass 2: each slot's utility (``log_habit[p]`` = log1p of the habit), the best slot, and ``v - top``.

    With ``dense``, each utility is also written to ``utility[i, j]``. ``extra_entries`` =
    (entries in increasing order, values): a term added at those entries only (the channel
    nest's gain), after ``extra_full`` (the (N, K) extra levers rewrote).

    Overwrites ``log_habit[p]`` with the entry's utility minus the consumer's top utility (0 for a
    consumer with none above -inf), ready for one vectorised ``exp``.
    """
    n = top_out.shape[0]
    q_extra = 0
    if extra_entries is not None:  # unpacked once: unpacking arrays in the loop costs reference counting
        entries, values = extra_entries
        n_extra = entries.shape[0]
    for i in range(n):
        top = -np.inf
        at = -1
        for p in range(start[i], start[i + 1]):
            j = entry_slot[p]
            lh = log_habit[p]
            v = partial[p] + beta_loyalty * lh if lh != 0.0 else partial[p]  # log1p(h) = 0 iff h = 0
            if extra_full is not None:  # (a version compiled without this test when None)
                v += extra_full[i, j]
            if extra_entries is not None:
                if q_extra < n_extra and entries[q_extra] == p:
                    v += values[q_extra]
                    q_extra += 1
            if dense:
                utility[i, j] = v
            partial[p] = v
            better = v > top
            top = v if better else top
            at = p if better else at
        best[i] = entry_slot[at] if at >= 0 else 0
        best_entry[i] = at
        best_friction[i] = friction[at] if at >= 0 else 0.0
        top_out[i] = top
        finite = top != -np.inf
        for q in range(start[i], start[i + 1]):
            log_habit[q] = partial[q] - top if finite else 0.0


@njit(cache=True)
def _totals(start, weight, best_entry, top, total):
    """Pass 3: each consumer's sum of ``exp(v - top)`` in slot order (1 exactly at the top slot)."""
    for i in range(top.shape[0]):
        acc = 0.0
        if top[i] != -np.inf:
            weight[best_entry[i]] = 1.0  # exp(0) = 1 at the top, exactly
            for q in range(start[i], start[i + 1]):
                acc += weight[q]
        total[i] = acc if top[i] != -np.inf else 1.0


@njit(cache=True)
def _visit_odds(inclusive, top, outside, odds):
    """Between the logsum's ``log`` and ``exp``: the logsum, and the exponent of the odds of staying home.

    ``inclusive`` (the log of the total weight) gains the top utility (log(1) = 0: the top
    utility itself when only the top slot counts); ``odds`` = outside utility - logsum.
    """
    for i in range(inclusive.shape[0]):
        v = inclusive[i] + top[i]
        inclusive[i] = v
        odds[i] = float(outside[i]) - v


@njit(inline="always", error_model="numpy")
def _chance(odds):
    """The chance of visiting from the odds of staying home, ``exp(outside - inclusive)``."""
    return 1.0 / (odds + 1.0)  # an infinite odds (staying home wins outright): 0


@njit(cache=True, error_model="numpy")
def _chances(p_visit):
    """:func:`_chance` of every consumer's odds, in place (a day evaluated without deciding)."""
    for i in range(p_visit.shape[0]):
        p_visit[i] = _chance(p_visit[i])


@njit(cache=True, error_model="numpy")
def _decide(start, available, weight, p_visit, key_visit, key_choice, intends, chosen, intending,
            key_follow, follow_through, follows):
    """Pass 4: the visit chance, the intent (visit draw below the chance) and the intending's stores.

    ``p_visit`` comes in as the odds of staying home, ``exp(outside - inclusive)``, and leaves
    as the chance of visiting (:func:`_chance`). The intents come first, in a loop without a
    data-dependent branch; a second loop lists the intending consumers in ``intending``; the
    store draws (and, with ``follows``, the follow-through draws: ``follows[r]`` for
    ``intending[r]``) then loop over that list only.

    Returns:
        How many consumers intend to visit (the first entries of ``intending``).
    """
    n, k = available.shape
    for i in range(n):
        p = _chance(p_visit[i])
        p_visit[i] = p
        intends[i] = uniform_at(key_visit, i) < p  # never with a chance of 0 (the draw is >= 0)
        chosen[i] = 0
    count = 0
    for i in range(n):
        intending[count] = i
        count += intends[i]
    cdf = np.empty(k)
    for r in range(count):
        i = intending[r]
        chosen[i] = _draw_slot(available[i], weight, start[i], cdf, uniform_at(key_choice, i))
        if follows is not None:
            follows[r] = uniform_at(key_follow, i) < follow_through
    return count


@njit(cache=True)
def _draw_slot(available_row, weight, first, cdf, u):
    """The slot drawn by uniform ``u`` from one consumer's packed weights (as behavior.choose).

    ``weight[first:]`` holds the weights of the consumer's available slots in slot order; the
    unnormalised CDF runs over all slots, flat where a slot is not available. The total is the
    CDF's last value (the same sum, in the same order, as :func:`_totals`).
    """
    k = available_row.size
    partial = 0.0
    q = first
    for j in range(k):
        if available_row[j]:
            partial += weight[q]
            q += 1
        cdf[j] = partial
    pick = 0
    for j in range(k):
        if cdf[j] / partial <= u:  # the count of CDF steps at or below u
            pick += 1
    return min(pick, k - 1)


@njit(cache=True)
def _choice_gaps(utility, available, best, rows, gaps, first):
    """``v - top`` of every available slot of each row's consumer, packed from ``first[r]``.

    0 exactly at the top slot, so its weight is 1 exactly, as in :func:`evaluate`.
    """
    k = utility.shape[1]
    p = 0
    for r in range(rows.shape[0]):
        i = rows[r]
        first[r] = p
        top = utility[i, best[i]]
        for j in range(k):
            if available[i, j]:
                gaps[p] = 0.0 if j == best[i] else utility[i, j] - top
                p += 1
    return p


@njit(cache=True)
def _choose(available, rows, weight, first, uniforms, out):
    cdf = np.empty(available.shape[1])
    for r in range(rows.shape[0]):
        out[r] = _draw_slot(available[rows[r]], weight, first[r], cdf, uniforms[r])


def choose(today: DayUtility, rows: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """The chosen slot of each consumer in ``rows``: :func:`sim.rules.behavior.choose` on today's utilities.

    The weights are ``exp(v - top)`` by numpy's vectorised ``exp``, as in :func:`evaluate`.

    Args:
        today: the day's :class:`DayUtility`.
        rows: consumers who visit today; each has at least one available store.
        uniforms: one uniform in [0, 1) per row.

    Returns:
        (len(rows),) chosen slot per row.
    """
    rows = rows.astype(np.int64, copy=False)
    out = np.empty(rows.size, dtype=np.int64)
    gaps, first = np.empty(rows.size * today.available.shape[1]), np.empty(rows.size, dtype=np.int64)
    used = _choice_gaps(today.utility, today.available, today.best, rows, gaps, first)
    weight = np.exp(gaps[:used])
    _choose(today.available, rows, weight, first, np.asarray(uniforms, dtype=np.float64), out)
    return out


@njit(cache=True)
def _dropoff_counts(reached, intent, available, best_utility, best_friction, outside, mark):
    for c in intent:  # marked: acted, or already counted
        mark[c] = True
    psychological = operational = 0
    for c in reached:
        if mark[c]:
            continue
        mark[c] = True
        if not available[c].any():  # no store to go to
            continue
        if best_utility[c] + best_friction[c] > outside[c]:
            operational += 1
        else:
            psychological += 1
    for c in reached:
        mark[c] = False
    for c in intent:
        mark[c] = False
    return psychological, operational


def dropoff_counts(today: DayUtility, reached: np.ndarray, intent: np.ndarray,
                   outside: np.ndarray) -> tuple[int, int]:
    """Reached consumers without an intent, by cause: ``(psychological, operational)``.

    Among ``reached`` (a consumer may be listed more than once; each counts once) who are
    not in ``intent`` and have a store to go to, a drop-off is operational when the best
    store's utility without its travel, wait and booking costs (``best_utility +
    best_friction``) beats staying home (``outside``), else psychological.
    """
    mark = np.zeros(today.available.shape[0], dtype=bool)
    psychological, operational = _dropoff_counts(reached, intent, today.available, today.best_utility,
                                                 today.best_friction, outside, mark)
    return int(psychological), int(operational)


class Workspace:
    """The arrays of :func:`evaluate`, kept from one day to the next by one model.

    Allocated afresh each day, they are mapped and zeroed by the operating system each
    day: at 10^6 consumers the (N, K) arrays are tens of megabytes each, and that costs
    about a sixth of the decision's time. A :class:`DayUtility` built in a workspace is
    valid until the next :func:`evaluate` with the same workspace.
    """

    def __init__(self):
        self._arrays: dict[str, np.ndarray] = {}
        self._nest: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def arrays(self, n: int, k: int, dense: bool) -> dict[str, np.ndarray]:
        """The arrays for ``n`` consumers with ``k`` slots each (new ones when the shape changes).

        The full (N, K) utility array is kept only once a ``dense`` evaluation asked for it.
        """
        if not self._arrays or self._arrays["available"].shape != (n, k):
            self._arrays = _arrays(n, k, dense)
        elif dense and self._arrays["utility"].shape != (n, k):
            self._arrays["utility"] = np.empty((n, k))
        return self._arrays

    def nest_arrays(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The channel nest's output arrays for ``size`` slots (kept while the size holds)."""
        if self._nest is None or self._nest[0].size != size:
            self._nest = _nest_arrays(size)
        return self._nest


def _arrays(n: int, k: int, dense: bool) -> dict[str, np.ndarray]:
    """Uninitialised outputs and work arrays of :func:`evaluate` for ``n`` x ``k`` slots.

    Without ``dense`` the (N, K) utility array is a (0, 0) stand-in: the passes do not write it.
    """
    i64 = np.int64
    return {"utility": np.empty((n, k) if dense else (0, 0)), "available": np.empty((n, k), dtype=bool),
            "inclusive": np.empty(n), "p_visit": np.empty(n), "best": np.empty(n, dtype=i64),
            "best_friction": np.empty(n), "intends": np.empty(n, dtype=bool),
            "chosen": np.empty(n, dtype=i64),
            "start": np.empty(n + 1, dtype=i64), "entry_slot": np.empty(n * k, dtype=np.int32),
            "owner": np.empty(n * k, dtype=np.int32), "intending": np.empty(n, dtype=i64),
            "follows": np.empty(n, dtype=bool),
            "partial": np.empty(n * k), "habit": np.empty(n * k), "friction": np.empty(n * k),
            "top": np.empty(n), "best_entry": np.empty(n, dtype=i64), "total": np.empty(n)}


def _nest_arrays(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The channel nest's outputs of :func:`_partial_utilities`: entries, pick-up and delivery differences."""
    return np.empty(size, dtype=np.int64), np.empty(size), np.empty(size)


def _full(value, shape, dtype=np.float64) -> np.ndarray | None:
    """A term levers rewrote, as a full contiguous array; ``None`` (absent) stays ``None``."""
    if value is None:
        return None
    return np.ascontiguousarray(np.broadcast_to(value, shape), dtype=dtype)


def evaluate(model, day: int, overrides: dict[str, np.ndarray],
             decide: tuple[np.uint64, np.uint64] | None = None,
             workspace: Workspace | None = None,
             follow: tuple[np.uint64, float] | None = None,
             bonuses: list[tuple[np.ndarray, np.ndarray]] | tuple = (),
             nest=None) -> DayUtility:
    """The day's utilities and visit chances for every consumer (see module docstring).

    Args:
        model: the :class:`~sim.engine.model.O2OModel` (its population, store table and config are read).
        day: today (coupons valid through today count).
        overrides: full arrays of terms levers rewrote: any of ``incentive_money``, ``wait_min``,
            ``hassle``, ``extra``, ``available``. Without ``incentive_money`` the coupon value
            is computed here, slot by slot.
        decide: the keys of today's visit and choice draws (:mod:`sim.random.keyed`): also decide, in
            the same pass, who intends to visit (consumer ``i`` when the visit draw at counter
            ``i`` is below ``p_visit[i]``) and which store they pick (:func:`choose` with the
            choice draw at counter ``i``), filling ``intends`` and ``chosen``.
        workspace: reuse this :class:`Workspace`'s arrays (the result is then valid until its
            next use); without one, every array is new.
        follow: with ``decide``, the key of the follow-through draws and the chance of following
            through: an intending consumer ``i`` follows through when the draw at counter ``i``
            is below it (filling ``follows``).
        bonuses: ``(consumers (N,) bool, money (S,))`` pairs: money off added to the incentive at
            each store's slots for those consumers (:meth:`ShapedTerms.add_bonus
            <sim.levers.shaped_terms.ShapedTerms.add_bonus>`).
        nest: a :class:`~sim.levers.effects.ChannelNest`: its stores' slots gain the nest's
            value for its consumers (:func:`sim.rules.channels.nest_gain`).

    Returns:
        The :class:`DayUtility`.
    """
    pop, t, cfg = model.population, model.store_table, model.cfg
    b, c = cfg.behavior, cfg.city
    n, k = pop.slot_store.shape
    dense = decide is None  # the full (N, K) utilities are written only when not deciding
    w = workspace.arrays(n, k, dense) if workspace is not None else _arrays(n, k, dense)
    out = DayUtility(w["utility"] if dense else None, w["available"], w["inclusive"], w["p_visit"], w["best"],
                     w["best_friction"], best_utility=w["top"])
    start, entry_slot, partial, habit, friction = (w["start"], w["entry_slot"], w["partial"], w["habit"],
                                                   w["friction"])
    f64 = np.float64
    coupons = ((pop.slot_coupon, pop.slot_coupon_rate, pop.slot_coupon_expiry, pop.slot_coupon_min,
                (float(b.coupon_urgency), float(b.coupon_urgency_days)), pop.deal_weight)
               if model.may_hold_coupons else None)
    log_travel = linear_travel = None  # a city without space: only an infinite distance costs
    if c.spatial and b.distance_form == "log":
        log_travel = (float(b.beta_log_distance), float(LOG_DISTANCE_FLOOR_KM))
    elif c.spatial:
        linear_travel = tuple(float(x) for x in (c.walk_km, c.walk_speed_kmh, c.ride_access_min / 60,
                                                 c.ride_speed_kmh, c.ride_cost_per_km))
    bonus = None
    if bonuses:
        bonus = (np.stack([consumers for consumers, _ in bonuses]), np.stack([money for _, money in bonuses]))
    nest_args = None
    if nest is not None:
        nest_out = workspace.nest_arrays(n * k) if workspace is not None else _nest_arrays(n * k)
        nest_args = (np.ascontiguousarray(nest.stores, dtype=np.bool_),
                     np.ascontiguousarray(nest.consumers, dtype=np.bool_), nest.params, *nest_out)
    refs = model.reference_prices
    reference = None  # nobody remembers a deal (or losses do not count): the test is compiled away
    if b.loss_aversion > 0 and (refs.store >= 0).any():
        reference = (refs.store, refs.share, float(b.loss_aversion))
    nested = _partial_utilities(
        pop.slot_store, pop.slot_aware, pop.slot_memory, pop.slot_distance, pop.slot_social, pop.slot_habit,
        pop.slot_prompt if model.may_hold_prompts else None, coupons, t.price.astype(f64, copy=False), day,
        behavior.TICKET_SIGMA, _full(overrides.get("incentive_money"), (n, k)),
        _full(overrides.get("wait_min"), (n, k)), _full(overrides.get("hassle"), (n, k)),
        _full(overrides.get("available"), (n, k), bool),
        pop.trust, pop.money_weight, pop.value_of_time,
        model.asc, model.needs.table, model.needs.since, t.category, t.rating.astype(f64, copy=False),
        t.rating_n.astype(f64, copy=False), t.price_premium.astype(f64, copy=False),
        t.expected_wait_min.astype(f64, copy=False), t.hassle.astype(f64, copy=False),
        b.beta_quality, b.price_weight, b.beta_social, b.wait_aversion,
        b.doubt, b.review_confidence_n, log_travel, linear_travel, bonus, nest_args, reference, dense,
        w["utility"], out.available, start, entry_slot, w["owner"], partial, habit, friction)
    used = int(start[n])
    weight = habit[:used]
    np.log1p(weight, out=weight)  # numpy's vectorised log1p and exp: the transcendental half of the pass
    top, best_entry = w["top"], w["best_entry"]
    extra_entries = None
    if nested:
        entries, pick, deliver = (a[:nested] for a in nest_args[3:])
        extra_entries = (entries, nest_gain(pick, deliver, nest.scale))
    _best(start, entry_slot, partial, weight, friction, b.beta_loyalty, _full(overrides.get("extra"), (n, k)),
          extra_entries, dense, w["utility"], out.best, out.best_friction, top, best_entry)
    np.exp(weight, out=weight)
    total = w["total"]
    _totals(start, weight, best_entry, top, total)
    np.log(total, out=out.inclusive)
    _visit_odds(out.inclusive, top, pop.outside_utility, out.p_visit)
    with np.errstate(over="ignore"):  # exp overflows to inf where staying home wins outright: chance 0
        np.exp(out.p_visit, out=out.p_visit)
    if decide is None:
        _chances(out.p_visit)
    else:  # the draws finish the visit chance on their way
        out.intends, out.chosen = w["intends"], w["chosen"]
        follows = w["follows"] if follow is not None else None
        key_follow, follow_through = follow if follow is not None else (0, 0.0)
        count = _decide(start, out.available, weight, out.p_visit, np.uint64(decide[0]), np.uint64(decide[1]),
                        out.intends, out.chosen, w["intending"], np.uint64(key_follow), float(follow_through),
                        follows)
        out.intent = w["intending"][:count]
        out.follows = follows[:count] if follows is not None else None
    return out


def from_terms(terms: UtilityTerms, outside: np.ndarray, behavior_cfg) -> DayUtility:
    """The same as :func:`evaluate`, from a full :class:`~sim.rules.behavior.UtilityTerms` in numpy.

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
                      np.where(avail.any(axis=1), friction, 0.0), best_utility=utility[rows])
