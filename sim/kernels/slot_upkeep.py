"""The nightly upkeep of consideration-set slots, in one compiled pass.

Core function: :func:`forget_and_lapse` - habit and social proof decay; stores without any contact for a
while fade from the consideration set (awareness, memory and habit are reset
with the day's chance, drawn only for those idle slots from a counter-based stream,
:mod:`sim.random.keyed`); coupons not valid tomorrow lapse
(:func:`sim.rules.redemption.coupon_valid`); and today's purchases add
to their slots' habit (1 each, or the buyer's habit gain). It also counts the
coupons still held, so the model can skip the coupon arrays on days when none is. It is the
same rule as the array expressions it replaces, element by element
(``tests/test_slot_upkeep.py``); one pass over the (N, K) slots instead of a dozen
whole-array masks and assignments.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import njit
from sim.random.keyed import uniform_at
from sim.rules.redemption import coupon_valid
from sim.world.population import flat_view

__all__ = ["forget_and_lapse"]


@njit(cache=True)
def _forget_and_lapse(aware, touched, memory, habit, social, coupons, key, idle_before, forget_rate,
                      habit_decay, social_decay, day, visited, gains):
    # flat (C-order) views: a single index keeps the loop tight (about 4x faster than [i, j] here);
    # ``coupons`` is None when no slot holds one (numba then compiles the loop without them)
    forgotten = 0
    held = 0
    if coupons is not None:  # unpacked once: unpacking arrays in the loop costs reference counting
        coupon, expiry, lever = coupons
    for x in range(aware.size):
        h = habit[x]  # selects, not branches: which slots hold habit or social proof is data
        habit[x] = h * habit_decay if h != 0 else h
        g = social[x]
        social[x] = g * social_decay if g != 0 else g
        idle = aware[x] & (touched[x] <= idle_before)
        if idle and uniform_at(key, x) < forget_rate:
            aware[x] = False
            memory[x] = np.nan
            habit[x] = 0.0
            forgotten += 1
        if coupons is not None:
            if coupon[x] > 0:
                if coupon_valid(coupon[x], expiry[x], day + 1):  # still valid tomorrow
                    held += 1
                else:
                    coupon[x] = 0.0
                    lever[x] = -1
    for r in range(visited.size):  # then today's purchases: their slots were touched today, never forgotten
        if gains is None:  # (a version compiled without the gains when every purchase adds 1)
            habit[visited[r]] += np.float32(1.0)
        else:
            habit[visited[r]] += gains[r]
    return forgotten, held


def forget_and_lapse(pop, day: int, forget_after_days: int, forget_rate: float, key: np.uint64,
                     lapse: bool = True, habit_decay: float = 1.0,
                     social_decay: float = 1.0, visited: np.ndarray | None = None,
                     gains: np.ndarray | None = None) -> tuple[int, int]:
    """Decay habit and social proof, forget idle stores and lapse expired coupons, in place.

    Args:
        pop: the :class:`~sim.world.population.Population`.
        day: today.
        forget_after_days: a store untouched since ``day - forget_after_days`` or earlier is idle.
        forget_rate: the daily chance an idle store is forgotten.
        key: the counter-based stream of tonight's forgetting draws (:mod:`sim.random.keyed`); the draw
            of slot ``(i, j)`` is at counter ``i * K + j``.
        lapse: look at the coupons; ``False`` when the caller knows no slot holds one
            (the coupon arrays are then not read).
        habit_decay: every slot's habit is multiplied by this first (in float32).
        social_decay: every slot's social proof is multiplied by this (in float32): tonight, for
            tomorrow's decisions.
        visited: flat slot indices (``consumer * K + slot``, each once) of today's purchases:
            after the decay, each of their habits grows by 1 (in float32).
        gains: what each of ``visited`` adds to its habit instead of 1 (the buyers' habit gain,
            :mod:`sim.world.segments`; float32).

    Returns:
        ``(forgotten, held)``: how many stores were forgotten, and how many coupons are
        still held after the lapse (0 when ``lapse`` is ``False``).
    """
    coupons = None
    if lapse:
        coupons = (flat_view(pop.slot_coupon), flat_view(pop.slot_coupon_expiry),
                   flat_view(pop.slot_coupon_lever))
    visited = np.empty(0, dtype=np.int64) if visited is None else np.asarray(visited, dtype=np.int64)
    forgotten, held = _forget_and_lapse(flat_view(pop.slot_aware), flat_view(pop.slot_touched),
                                        flat_view(pop.slot_memory), flat_view(pop.slot_habit),
                                        flat_view(pop.slot_social), coupons, np.uint64(key),
                                        day - forget_after_days, float(forget_rate),
                                        pop.slot_habit.dtype.type(habit_decay),
                                        pop.slot_social.dtype.type(social_decay), day, visited,
                                        None if gains is None else np.asarray(gains, dtype=np.float32))
    return int(forgotten), int(held)
