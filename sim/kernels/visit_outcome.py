"""How the day's visits felt, and what consumers remember of them, in compiled passes.

Core functions: :func:`feelings` - for each visit, the experienced quality (the store's
quality, noise and the wait's cost, clipped to 1-5 stars; ``failed_visit_stars`` for a
failed visit), the satisfaction (disconfirmation against the expected quality plus the
perceived value of the price paid and of a deal used), its satisfaction class, the chances
of a review and of a share, the valence a share carries and the stars a review gives;
:func:`remember` - the memory of the store, the last contact and visit days, purchases and
satisfaction; :func:`settle` - in one pass, the review and share draws, the reviews' stars
added to the stores' ratings, tomorrow's shares, :func:`remember`, and each store's expected
wait. They are :mod:`sim.rules.behavior`'s rules (``expected_quality``, ``satisfaction``,
``value_gap``, ``satisfaction_class``, ``class_probability``, ``failed_stars``; with
``wom.posting: disconfirmation`` ``review_probability`` and ``share_probability``) and the
model's updates, computed element by element in the same precisions as the array
expressions (float32 where the arrays are float32), so the numbers are the same bits;
``tests/test_visit_outcome.py`` checks them against those expressions.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels.jit import njit
from sim.random.keyed import uniform_at
from sim.rules.behavior import FAILED, NEUTRAL_STARS
from sim.world.population import flat_view

__all__ = ["class_tables", "feeling_constants", "feelings", "remember", "settle"]


def feeling_constants(b, wom=None) -> tuple[float, ...]:
    """The constants :func:`_feelings` takes.

    From a :class:`~sim.config.BehaviorConfig` and a :class:`~sim.config.WordOfMouthConfig`
    (default: the schema's).
    """
    from sim.config import WordOfMouthConfig

    w = WordOfMouthConfig() if wom is None else wom
    return (float(b.experience_sd), float(b.wait_penalty_per_10min), float(b.failed_visit_stars),
            float(b.review_base), float(b.review_slope), float(b.share_scale), float(b.negative_share_factor),
            float(w.posting == "classes"), float(w.neutral_band), float(w.extreme_band),
            float(w.price_satisfaction), float(w.deal_satisfaction), float(w.failed_stars_sd))


def class_tables(wom) -> np.ndarray:
    """(3, 6) review factors, share factors and valences by satisfaction class.

    Classes in the order of :data:`sim.rules.behavior.SATISFACTION_CLASSES`; from a
    :class:`~sim.config.WordOfMouthConfig`.
    """
    classes = ("very_dissatisfied", "dissatisfied", "neutral", "satisfied", "very_satisfied", "failed")
    return np.array([[float(getattr(wom, f"{kind}_{c}")) for c in classes]
                     for kind in ("review", "share", "valence")])


@njit(cache=True)
def _class_of(d, neutral_band, extreme_band):
    if d <= -extreme_band:
        return 0
    if d <= -neutral_band:
        return 1
    if d < neutral_band:
        return 2
    if d < extreme_band:
        return 3
    return 4


@njit(cache=True)
def _feelings(memory, at, consumer, store, rating, quality, trust, review_propensity, share_propensity, z_exp,
              wait, served, price_ratio, ticket, discount, redeem, deal_proneness, constants, tables,
              experienced, disconf, p_review, p_share, klass, valence, stars):
    """:func:`feelings` of each visit; per-store and per-consumer arrays read at its store and consumer."""
    (experience_sd, wait_penalty, failed_stars, review_base, review_slope, share_scale, negative_factor,
     by_class, neutral_band, extreme_band, price_weight, deal_weight, failed_sd) = constants
    one, neutral = np.float32(1.0), np.float32(NEUTRAL_STARS)
    for v in range(at.size):
        c, s = consumer[v], store[v]
        mem = memory[at[v]]
        tr = trust[c]
        if math.isnan(mem):  # trust x rating + (1 - trust) x 3, the second product in float32
            expected = tr * rating[s] + np.float32((one - tr) * neutral)
        else:
            expected = float(mem)
        gap = deal = 0.0
        if served[v]:
            felt = quality[s] + experience_sd * z_exp[v] - wait_penalty * wait[v] / 10.0
            felt = min(max(felt, 1.0), 5.0)
            gap = 1.0 - price_ratio[s] * ((ticket[v] - discount[v]) / ticket[v])
            if redeem[v]:
                deal = float(deal_proneness[c])
            stars[v] = min(max(np.rint(felt), 1.0), 5.0)  # the experience rounded half to even
        else:
            felt = failed_stars
            stars[v] = min(max(np.rint(failed_stars + failed_sd * z_exp[v]), 1.0), 5.0) if by_class else 1.0
        d = felt - expected + price_weight * gap + deal_weight * deal
        experienced[v] = felt
        disconf[v] = d
        k = _class_of(d, neutral_band, extreme_band) if served[v] else FAILED
        klass[v] = k
        if by_class:
            p_review[v] = min(max(review_propensity[c] * tables[0, k], 0.0), 1.0)
            p_share[v] = min(max(share_propensity[c] * tables[1, k], 0.0), 1.0)
            valence[v] = tables[2, k]
        else:
            p = review_propensity[c] * (review_base + review_slope * abs(d))
            p_review[v] = min(max(p, 0.0), 1.0)
            strength = min(abs(d) / share_scale, 1.0)
            p = share_propensity[c] * strength * (1.0 if d >= 0 else negative_factor)
            p_share[v] = min(max(p, 0.0), 1.0)
            valence[v] = 1.0 if d >= 0 else -1.0


def feelings(pop, at: np.ndarray, consumer: np.ndarray, store: np.ndarray, rating: np.ndarray,
             quality: np.ndarray, z_exp: np.ndarray, wait: np.ndarray, served: np.ndarray,
             b, wom=None, price_ratio: np.ndarray | None = None, ticket: np.ndarray | None = None,
             discount: np.ndarray | None = None, redeem: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Experienced quality, satisfaction, class, review and share chances, valence and stars of each visit.

    Args:
        pop: the :class:`~sim.world.population.Population`.
        at: (V,) flat slot index of each visit (``consumer * K + slot``).
        consumer: (V,) the visitors.
        store: (V,) the visited stores.
        rating: (S,) each store's public rating.
        quality: (S,) each store's true quality.
        z_exp: (V,) standard normal experience noise (a failed visit's review stars with ``wom.posting:
            classes``).
        wait: (V,) minutes waited.
        served: (V,) whether the visit succeeded.
        b: the :class:`~sim.config.BehaviorConfig`.
        wom: the :class:`~sim.config.WordOfMouthConfig` (default: the schema's).
        price_ratio: (S,) each store's average ticket over its category's usual price (default 1).
        ticket: (V,) tickets (default: the store's usual price, no value gap).
        discount: (V,) discounts (default 0).
        redeem: (V,) whether a coupon or deal was used (default none).

    Returns:
        ``(experienced, satisfaction, p_review, p_share)`` (V,) float64, ``klass`` (V,) int8 (index
        into :data:`~sim.rules.behavior.SATISFACTION_CLASSES`), ``valence`` (V,) float32 (the social
        proof a share carries) and ``stars`` (V,) float64 (a review's stars).
    """
    from sim.config import WordOfMouthConfig

    wom = WordOfMouthConfig() if wom is None else wom
    n = at.size
    price_ratio = np.ones(rating.size) if price_ratio is None else price_ratio
    ticket = np.ones(n) if ticket is None else ticket
    discount = np.zeros(n) if discount is None else discount
    redeem = np.zeros(n, dtype=bool) if redeem is None else redeem
    deal_proneness = getattr(pop, "deal_proneness", None)
    if deal_proneness is None:
        deal_proneness = np.zeros(pop.trust.size, dtype=np.float32)
    experienced, disconf, p_review, p_share, stars = np.empty((5, n))
    klass, valence = np.empty(n, dtype=np.int8), np.empty(n, dtype=np.float32)
    _feelings(flat_view(pop.slot_memory), at, consumer, store, rating, quality, pop.trust,
              pop.review_propensity, pop.share_propensity, z_exp, wait, served, price_ratio, ticket, discount,
              redeem, deal_proneness, feeling_constants(b, wom), class_tables(wom), experienced, disconf,
              p_review, p_share, klass, valence, stars)
    return experienced, disconf, p_review, p_share, klass, valence, stars


@njit(cache=True)
def _remember(memory, touched, at, consumer, experienced, disconf, served, day, weight, last_visit,
              purchases, satisfaction):
    for v in range(at.size):
        x, c = at[v], consumer[v]
        old = memory[x]
        if math.isnan(old):
            memory[x] = np.float32(experienced[v])
        else:
            memory[x] = np.float32(old + float(weight) * (experienced[v] - old))
        touched[x] = day
        last_visit[c] = day
        if served[v]:
            purchases[c] += 1
        s = satisfaction[c]
        satisfaction[c] = s + weight * (np.float32(disconf[v]) - s)  # float32 throughout


def remember(pop, at: np.ndarray, consumer: np.ndarray, experienced: np.ndarray, disconf: np.ndarray,
             served: np.ndarray, day: int, memory_weight: float) -> None:
    """Update memory (a moving average of experiences), recency, purchases and satisfaction, in place.

    A consumer makes at most one visit a day, so no consumer appears twice in ``consumer``.
    """
    _remember(flat_view(pop.slot_memory), flat_view(pop.slot_touched), at, consumer, experienced, disconf,
              served, day, np.float32(memory_weight), pop.last_visit_day, pop.purchases, pop.satisfaction)


@njit(cache=True)
def _settle(at, consumer, store, experienced, disconf, served, queued, wait, p_review, p_share, stars,
            valence, review_key, share_key, rating_sum, rating_n, expected_wait, wait_memory,
            memory, touched, day, memory_weight, last_visit, purchases, satisfaction, review, share):
    n_stores = rating_sum.size
    stars_sum = np.zeros(n_stores)  # today's sums per store first, in visit order (as np.bincount)
    reviews = np.zeros(n_stores, dtype=np.int64)
    waited = np.zeros(n_stores)
    queued_n = np.zeros(n_stores, dtype=np.int64)
    n_shares = 0
    for v in range(at.size):
        s, c = store[v], consumer[v]
        review[v] = uniform_at(review_key, c) < p_review[v]
        if review[v]:
            stars_sum[s] += stars[v]
            reviews[s] += 1
        share[v] = uniform_at(share_key, c) < p_share[v]
        n_shares += share[v]
        if queued[v]:
            waited[s] += wait[v]
            queued_n[s] += 1
    for s in range(n_stores):
        rating_sum[s] += stars_sum[s]
        rating_n[s] += reviews[s]
        expected_wait[s] *= 1.0 - wait_memory  # without news, the expectation fades towards no wait
        if queued_n[s] > 0:
            expected_wait[s] += wait_memory * waited[s] / queued_n[s]
    sender = np.empty(n_shares, dtype=np.int64)
    share_store = np.empty(n_shares, dtype=np.int64)
    share_valence = np.empty(n_shares, dtype=np.float32)
    k = 0
    for v in range(at.size):
        if share[v]:
            sender[k], share_store[k], share_valence[k] = consumer[v], store[v], valence[v]
            k += 1
    _remember(memory, touched, at, consumer, experienced, disconf, served, day, memory_weight, last_visit,
              purchases, satisfaction)
    return sender, share_store, share_valence


def settle(pop, table, at: np.ndarray, consumer: np.ndarray, store: np.ndarray, experienced: np.ndarray,
           disconf: np.ndarray, served: np.ndarray, queued: np.ndarray, wait: np.ndarray,
           p_review: np.ndarray, p_share: np.ndarray, review_key: np.uint64, share_key: np.uint64, day: int,
           b, stars: np.ndarray | None = None,
           valence: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Draw reviews and shares, rate the stores, remember the visits and revise the expected waits.

    Each visit is reviewed when its uniform (stream ``review_key``, counter = consumer) falls
    below ``p_review``, and shared likewise; a review adds the visit's ``stars`` to the store's
    rating. Then :func:`remember`. Each store's expected wait fades by ``wait_memory`` and moves
    that far towards the mean wait of today's queued visitors, if any (``queued``).

    Args:
        pop: the :class:`~sim.world.population.Population` (memory and consumer records updated in place).
        table: the :class:`~sim.world.stores.StoreTable` (ratings and expected waits updated in place).
        at: (V,) each visit's flat slot index (``consumer * K + slot``).
        consumer: (V,) the visitors (each at most once).
        store: (V,) the visited stores.
        experienced: (V,) experienced quality, from :func:`feelings`.
        disconf: (V,) satisfaction, from :func:`feelings`.
        served: (V,) whether the visit succeeded.
        queued: (V,) who stood in a queue.
        wait: (V,) minutes waited.
        p_review: (V,) review chances.
        p_share: (V,) share chances.
        review_key: key of the review draws (:mod:`sim.random.keyed`).
        share_key: key of the share draws.
        day: today.
        b: the :class:`~sim.config.BehaviorConfig`.
        stars: (V,) each visit's review stars, from :func:`feelings` (default: the experience rounded
            half to even within 1-5, 1 for a failed visit).
        valence: (V,) the social proof each visit's share carries, from :func:`feelings` (default:
            +1 when ``disconf >= 0``, else -1).

    Returns:
        ``(review, share, shares)``: (V,) masks, and tomorrow's shares (``sender``, ``store``,
        ``valence`` as float32).
    """
    n = at.size
    if stars is None:
        stars = np.where(served, np.clip(np.rint(experienced), 1.0, 5.0), 1.0)
    if valence is None:
        valence = np.where(disconf >= 0, 1.0, -1.0).astype(np.float32)
    review, share = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    sender, share_store, share_valence = _settle(
        at, consumer, store, experienced, disconf, served, queued, wait, p_review, p_share,
        np.asarray(stars, dtype=np.float64), valence.astype(np.float32, copy=False),
        np.uint64(review_key), np.uint64(share_key), table.rating_sum, table.rating_n,
        table.expected_wait_min, float(b.wait_memory), flat_view(pop.slot_memory),
        flat_view(pop.slot_touched), day, np.float32(b.memory_weight), pop.last_visit_day, pop.purchases,
        pop.satisfaction, review, share)
    return review, share, {"sender": sender, "store": share_store, "valence": share_valence}
