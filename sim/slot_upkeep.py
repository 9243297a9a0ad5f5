"""The nightly upkeep of consideration-set slots, in one compiled pass.

Core function: :func:`forget_and_lapse` - stores without any contact for a
while fade from the consideration set (awareness, memory and habit are reset
with the day's chance), and coupons past their last valid day lapse; it also counts the
coupons still held, so the model can skip the coupon arrays on days when none is. It is the
same rule as the array expressions it replaces, element by element, so
results are unchanged; one pass over the (N, K) slots instead of a dozen
whole-array masks and assignments.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["forget_and_lapse"]


@njit(cache=True)
def _forget_and_lapse(aware, touched, memory, habit, coupon, expiry, lever, uniforms,
                      idle_before, forget_rate, day, lapse):
    n, k = aware.shape
    forgotten = 0
    held = 0
    for i in range(n):
        for j in range(k):
            if aware[i, j] and touched[i, j] <= idle_before and uniforms[i, j] < forget_rate:
                aware[i, j] = False
                memory[i, j] = np.nan
                habit[i, j] = 0.0
                forgotten += 1
            if lapse and coupon[i, j] > 0:
                if expiry[i, j] <= day:
                    coupon[i, j] = 0.0
                    lever[i, j] = -1
                else:
                    held += 1
    return forgotten, held


def forget_and_lapse(pop, day: int, forget_after_days: int, forget_rate: float, uniforms: np.ndarray,
                     lapse: bool = True) -> tuple[int, int]:
    """Forget idle stores and lapse expired coupons, in place.

    Args:
        pop: the :class:`~sim.population.Population`.
        day: today.
        forget_after_days: a store untouched since ``day - forget_after_days`` or earlier is idle.
        forget_rate: the daily chance an idle store is forgotten.
        uniforms: (N, K) float32 uniforms, one per slot (the "experience" stream).
        lapse: look at the coupons; ``False`` when the caller knows no slot holds one
            (the coupon arrays are then not read).

    Returns:
        ``(forgotten, held)``: how many stores were forgotten, and how many coupons are
        still held after the lapse (0 when ``lapse`` is ``False``).
    """
    forgotten, held = _forget_and_lapse(pop.slot_aware, pop.slot_touched, pop.slot_memory, pop.slot_habit,
                                        pop.slot_coupon, pop.slot_coupon_expiry, pop.slot_coupon_lever,
                                        uniforms, day - forget_after_days, np.float32(forget_rate), day,
                                        lapse)
    return int(forgotten), int(held)
