"""Persona segments: groups of consumers whose traits move together.

Core objects:
    * :class:`Segments` - the run's segment names and what the daily passes need to know of
      them (whether deal proneness or loyalty strength differ between consumers).
    * :func:`assign_segments` - draws each consumer's segment from the configured shares and
      moves the consumer's traits by the segment's factors and shifts, in place.

Each trait of :class:`~sim.world.population.Population` is first drawn from the population's
distribution (docs/ODD.md 7.2); a segment then multiplies the money weight, value of time,
trust, review and share propensities, shifts the outside option, multiplies the odds of being
reachable online and of accepting pushes, and sets the deal weight and the habit gain
(docs/ODD.md 7.2a). Traits are thereby correlated through the segment. With no segments the
population is left as drawn: one segment, ``all``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import PopulationConfig

__all__ = ["NO_SEGMENTS", "Segments", "assign_segments", "odds_scaled"]

#: The name of the one segment of a population without segments.
NO_SEGMENTS = "all"


@dataclass(frozen=True)
class Segments:
    """The run's segments.

    Attributes:
        names: segment names, by segment id (``("all",)`` without segments).
        deal_weighted: some consumer's deal weight is not 1 (the choice then weighs coupons by it).
        habit_weighted: some consumer's habit gain is not 1 (purchases then add it to habit).
    """

    names: tuple[str, ...]
    deal_weighted: bool = False
    habit_weighted: bool = False


def odds_scaled(p: float, factor: np.ndarray) -> np.ndarray:
    """A probability whose odds are multiplied by ``factor``: ``p f / (p f + 1 - p)``.

    0 and 1 stay 0 and 1 (a factor of 0 gives 0 unless ``p`` is 1).
    """
    num = p * factor
    den = num + (1.0 - p)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), p)


def assign_segments(cfg: PopulationConfig, pop, rng: np.random.Generator) -> Segments:
    """Draw each consumer's segment and move its traits by the segment's settings, in place.

    Sets ``pop.segment`` (segment id), ``pop.deal_weight`` and ``pop.habit_gain``; multiplies
    ``money_weight``, ``value_of_time``, ``trust``, ``review_propensity`` and ``share_propensity``
    (the last three capped at 1) and the initial habit of familiar slots; adds the outside
    utility shift; redraws ``reachable`` and ``push_opt_in`` with the segment's odds. Without
    segments nothing is drawn or changed.

    Args:
        cfg: the population config (its ``segments``, ``app_reach`` and ``push_opt_in``).
        pop: the :class:`~sim.world.population.Population` drawn by ``build_population``.
        rng: the set-up stream ``segments``.

    Returns:
        The :class:`Segments`.
    """
    n = pop.size
    if not cfg.segments:
        pop.segment = np.zeros(n, dtype=np.int8)
        pop.deal_weight = np.ones(n, dtype=np.float32)
        pop.habit_gain = np.ones(n, dtype=np.float32)
        return Segments((NO_SEGMENTS,))
    segs = cfg.segments

    def by_segment(attr: str) -> np.ndarray:
        return np.array([getattr(seg, attr) for seg in segs], dtype=np.float64)[ids]

    shares = np.array([seg.share for seg in segs])
    edges = np.cumsum(shares) / shares.sum()
    ids = np.minimum(np.searchsorted(edges, rng.random(n), side="right"), len(segs) - 1).astype(np.int8)
    u_reach, u_opt_in = rng.random(n), rng.random(n)
    f32 = np.float32
    pop.segment = ids
    pop.money_weight = (pop.money_weight * by_segment("money_weight_factor")).astype(f32)
    pop.value_of_time = (pop.value_of_time * by_segment("value_of_time_factor")).astype(f32)
    pop.outside_utility = (pop.outside_utility + by_segment("outside_utility_shift")).astype(f32)
    pop.trust = np.minimum(1.0, pop.trust * by_segment("trust_factor")).astype(f32)
    pop.review_propensity = np.minimum(1.0, pop.review_propensity * by_segment("review_factor")).astype(f32)
    pop.share_propensity = np.minimum(1.0, pop.share_propensity * by_segment("share_factor")).astype(f32)
    pop.reachable = u_reach < odds_scaled(cfg.app_reach, by_segment("reach_odds"))
    pop.push_opt_in = u_opt_in < odds_scaled(cfg.push_opt_in, by_segment("opt_in_odds"))
    pop.deal_weight = by_segment("deal_weight").astype(f32)
    pop.habit_gain = by_segment("habit_gain").astype(f32)
    pop.slot_habit *= pop.habit_gain[:, None]  # the purchases before day 0 weigh as later ones will
    return Segments(tuple(seg.name for seg in segs),
                    deal_weighted=bool((pop.deal_weight != 1.0).any()),
                    habit_weighted=bool((pop.habit_gain != 1.0).any()))
