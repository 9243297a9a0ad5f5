"""How the day's visits felt, and what consumers remember of them, in compiled passes.

Core functions: :func:`feelings` - for each visit, the experienced quality (the store's
quality, noise and the wait's cost, clipped to 1-5 stars; ``failed_visit_stars`` for a
failed visit), the disconfirmation against the expected quality, and the chances of a
review and of a share; :func:`remember` - the memory of the store, the last contact and
visit days, purchases and satisfaction. They are :mod:`sim.behavior`'s rules
(``expected_quality``, ``satisfaction``, ``review_probability``, ``share_probability``) and
the model's updates, computed element by element in the same precisions as the array
expressions (float32 where the arrays are float32), so the numbers are the same bits;
``tests/test_visit_outcome.py`` checks them against those expressions.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .behavior import NEUTRAL_STARS
from .population import flat_view

__all__ = ["feelings", "remember"]


@njit(cache=True)
def _feelings(memory, at, rating, trust, quality, z_exp, wait, served, experience_sd, wait_penalty,
              failed_stars, review_propensity, share_propensity, review_base, review_slope, share_scale,
              negative_factor, experienced, disconf, p_review, p_share):
    one, neutral = np.float32(1.0), np.float32(NEUTRAL_STARS)
    for v in range(at.size):
        mem = memory[at[v]]
        tr = trust[v]
        if math.isnan(mem):  # trust x rating + (1 - trust) x 3, the second product in float32
            expected = tr * rating[v] + np.float32((one - tr) * neutral)
        else:
            expected = float(mem)
        if served[v]:
            felt = quality[v] + experience_sd * z_exp[v] - wait_penalty * wait[v] / 10.0
            felt = min(max(felt, 1.0), 5.0)
        else:
            felt = failed_stars
        d = felt - expected
        experienced[v] = felt
        disconf[v] = d
        p = review_propensity[v] * (review_base + review_slope * abs(d))
        p_review[v] = min(max(p, 0.0), 1.0)
        strength = min(abs(d) / share_scale, 1.0)
        p = share_propensity[v] * strength * (1.0 if d >= 0 else negative_factor)
        p_share[v] = min(max(p, 0.0), 1.0)


def feelings(pop, at: np.ndarray, consumer: np.ndarray, rating: np.ndarray, quality: np.ndarray,
             z_exp: np.ndarray, wait: np.ndarray, served: np.ndarray, b) -> tuple[np.ndarray, ...]:
    """Experienced quality, disconfirmation and review and share chances of each visit.

    Args:
        pop: the :class:`~sim.population.Population`.
        at: (V,) flat slot index of each visit (``consumer * K + slot``).
        consumer: (V,) the visitors.
        rating: (V,) the visited store's public rating.
        quality: (V,) the visited store's true quality.
        z_exp: (V,) standard normal experience noise.
        wait: (V,) minutes waited.
        served: (V,) whether the visit succeeded.
        b: the :class:`~sim.config.BehaviorConfig`.

    Returns:
        ``(experienced, disconfirmation, p_review, p_share)``, each (V,) float64.
    """
    n = at.size
    out = tuple(np.empty(n) for _ in range(4))
    _feelings(flat_view(pop.slot_memory), at, rating, pop.trust[consumer], quality, z_exp, wait, served,
              float(b.experience_sd), float(b.wait_penalty_per_10min), float(b.failed_visit_stars),
              pop.review_propensity[consumer], pop.share_propensity[consumer], float(b.review_base),
              float(b.review_slope), float(b.share_scale), float(b.negative_share_factor), *out)
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
