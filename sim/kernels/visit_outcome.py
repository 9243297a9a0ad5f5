"""How the day's visits felt, and what consumers remember of them, in compiled passes.

Core functions: :func:`feelings` - for each visit, the experienced quality (the store's
quality, noise and the wait's cost, clipped to 1-5 stars; ``failed_visit_stars`` for a
failed visit), the disconfirmation against the expected quality, and the chances of a
review and of a share; :func:`remember` - the memory of the store, the last contact and
visit days, purchases and satisfaction; :func:`settle` - in one pass, the review and share
draws, the reviews' stars added to the stores' ratings, tomorrow's shares, :func:`remember`,
and each store's expected wait. They are :mod:`sim.rules.behavior`'s rules
(``expected_quality``, ``satisfaction``, ``review_probability``, ``share_probability``) and
the model's updates, computed element by element in the same precisions as the array
expressions (float32 where the arrays are float32), so the numbers are the same bits;
``tests/test_visit_outcome.py`` checks them against those expressions.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels.jit import njit
from sim.random.keyed import uniform_at
from sim.rules.behavior import NEUTRAL_STARS
from sim.world.population import flat_view

__all__ = ["feeling_constants", "feelings", "remember", "settle"]


def feeling_constants(b) -> tuple[float, ...]:
    """The behaviour constants :func:`_feelings` takes, from a :class:`~sim.config.BehaviorConfig`."""
    return (float(b.experience_sd), float(b.wait_penalty_per_10min), float(b.failed_visit_stars),
            float(b.review_base), float(b.review_slope), float(b.share_scale), float(b.negative_share_factor))


@njit(cache=True)
def _feelings(memory, at, consumer, store, rating, quality, trust, review_propensity, share_propensity, z_exp,
              wait, served, constants, experienced, disconf, p_review, p_share):
    """:func:`feelings` of each visit; per-store and per-consumer arrays read at its store and consumer."""
    (experience_sd, wait_penalty, failed_stars, review_base, review_slope, share_scale,
     negative_factor) = constants
    one, neutral = np.float32(1.0), np.float32(NEUTRAL_STARS)
    for v in range(at.size):
        c, s = consumer[v], store[v]
        mem = memory[at[v]]
        tr = trust[c]
        if math.isnan(mem):  # trust x rating + (1 - trust) x 3, the second product in float32
            expected = tr * rating[s] + np.float32((one - tr) * neutral)
        else:
            expected = float(mem)
        if served[v]:
            felt = quality[s] + experience_sd * z_exp[v] - wait_penalty * wait[v] / 10.0
            felt = min(max(felt, 1.0), 5.0)
        else:
            felt = failed_stars
        d = felt - expected
        experienced[v] = felt
        disconf[v] = d
        p = review_propensity[c] * (review_base + review_slope * abs(d))
        p_review[v] = min(max(p, 0.0), 1.0)
        strength = min(abs(d) / share_scale, 1.0)
        p = share_propensity[c] * strength * (1.0 if d >= 0 else negative_factor)
        p_share[v] = min(max(p, 0.0), 1.0)


def feelings(pop, at: np.ndarray, consumer: np.ndarray, store: np.ndarray, rating: np.ndarray,
             quality: np.ndarray, z_exp: np.ndarray, wait: np.ndarray, served: np.ndarray,
             b) -> tuple[np.ndarray, ...]:
    """Experienced quality, disconfirmation and review and share chances of each visit.

    Args:
        pop: the :class:`~sim.world.population.Population`.
        at: (V,) flat slot index of each visit (``consumer * K + slot``).
        consumer: (V,) the visitors.
        store: (V,) the visited stores.
        rating: (S,) each store's public rating.
        quality: (S,) each store's true quality.
        z_exp: (V,) standard normal experience noise.
        wait: (V,) minutes waited.
        served: (V,) whether the visit succeeded.
        b: the :class:`~sim.config.BehaviorConfig`.

    Returns:
        ``(experienced, disconfirmation, p_review, p_share)``, each (V,) float64.
    """
    out = tuple(np.empty((4, at.size)))  # (rows: contiguous)
    _feelings(flat_view(pop.slot_memory), at, consumer, store, rating, quality, pop.trust,
              pop.review_propensity, pop.share_propensity, z_exp, wait, served, feeling_constants(b), *out)
    return out


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
def _settle(at, consumer, store, experienced, disconf, served, queued, wait, p_review, p_share,
            review_key, share_key, rating_sum, rating_n, expected_wait, wait_memory,
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
        if review[v]:  # a failed visit earns 1 star; a visit, its experience rounded half to even
            stars_sum[s] += min(max(np.rint(experienced[v]), 1.0), 5.0) if served[v] else 1.0
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
    valence = np.empty(n_shares, dtype=np.float32)
    k = 0
    for v in range(at.size):
        if share[v]:
            sender[k], share_store[k] = consumer[v], store[v]
            valence[k] = 1.0 if disconf[v] >= 0 else -1.0
            k += 1
    _remember(memory, touched, at, consumer, experienced, disconf, served, day, memory_weight, last_visit,
              purchases, satisfaction)
    return sender, share_store, valence


def settle(pop, table, at: np.ndarray, consumer: np.ndarray, store: np.ndarray, experienced: np.ndarray,
           disconf: np.ndarray, served: np.ndarray, queued: np.ndarray, wait: np.ndarray,
           p_review: np.ndarray, p_share: np.ndarray, review_key: np.uint64, share_key: np.uint64, day: int,
           b) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Draw reviews and shares, rate the stores, remember the visits and revise the expected waits.

    Each visit is reviewed when its uniform (stream ``review_key``, counter = consumer) falls
    below ``p_review``, and shared likewise; a review adds the visit's stars (the experience
    rounded half to even, within 1-5; 1 for a failed visit) to the store's rating. Then
    :func:`remember`. Each store's expected wait fades by ``wait_memory`` and moves that far
    towards the mean wait of today's queued visitors, if any (``queued``).

    Args:
        pop: the :class:`~sim.world.population.Population` (memory and consumer records updated in place).
        table: the :class:`~sim.world.stores.StoreTable` (ratings and expected waits updated in place).
        at: (V,) each visit's flat slot index (``consumer * K + slot``).
        consumer: (V,) the visitors (each at most once).
        store: (V,) the visited stores.
        experienced: (V,) experienced quality, from :func:`feelings`.
        disconf: (V,) disconfirmation, from :func:`feelings`.
        served: (V,) whether the visit succeeded.
        queued: (V,) who stood in a queue.
        wait: (V,) minutes waited.
        p_review: (V,) review chances.
        p_share: (V,) share chances.
        review_key: key of the review draws (:mod:`sim.random.keyed`).
        share_key: key of the share draws.
        day: today.
        b: the :class:`~sim.config.BehaviorConfig`.

    Returns:
        ``(review, share, shares)``: (V,) masks, and tomorrow's shares (``sender``, ``store``,
        ``valence`` +1 or -1 as float32).
    """
    n = at.size
    review, share = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    sender, share_store, valence = _settle(
        at, consumer, store, experienced, disconf, served, queued, wait, p_review, p_share,
        np.uint64(review_key), np.uint64(share_key), table.rating_sum, table.rating_n,
        table.expected_wait_min, float(b.wait_memory), flat_view(pop.slot_memory),
        flat_view(pop.slot_touched), day, np.float32(b.memory_weight), pop.last_visit_day, pop.purchases,
        pop.satisfaction, review, share)
    return review, share, {"sender": sender, "store": share_store, "valence": valence}
