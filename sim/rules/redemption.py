"""Which of the day's visits hold a coupon that applies, and how much it takes off.

Core functions: :func:`eligible` - a visit's held coupon is valid today and the ticket
reaches its minimum spend; :func:`discounts` - the money off of each redeeming visit (a
percent coupon's ``rate x ticket`` up to its face value, an amount coupon's face value up
to the ticket). Each is one compiled pass over the visits, reading the (N, K) wallet
arrays at the visits' flat slot indices; the redemption caps are applied between the two
(:meth:`sim.levers.base.CouponBook.within_cap`). ``tests/test_redemption.py`` checks both
against the same rules written as array expressions.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import njit
from sim.world.population import flat_view

__all__ = ["discounts", "eligible"]


@njit(cache=True)
def _eligible(coupon, expiry, min_spend, at, ticket, day, out):
    for v in range(at.size):
        x = at[v]
        out[v] = coupon[x] > 0 and expiry[x] >= day and ticket[v] >= min_spend[x]


@njit(cache=True)
def _discounts(rate, coupon, at, ticket, redeem, out):
    for v in range(at.size):
        if not redeem[v]:
            out[v] = 0.0
            continue
        x = at[v]
        face = float(coupon[x])
        out[v] = min(float(rate[x]) * ticket[v], face) if rate[x] > 0 else min(face, ticket[v])


def eligible(pop, at: np.ndarray, ticket: np.ndarray, day: int) -> np.ndarray:
    """(V,) whether each visit's held coupon is valid today and its minimum spend is reached.

    Args:
        pop: the :class:`~sim.world.population.Population` (its wallet arrays are read).
        at: (V,) each visit's flat slot index, ``consumer * K + slot``.
        ticket: (V,) each visit's ticket.
        day: today.
    """
    out = np.empty(at.size, dtype=bool)
    _eligible(flat_view(pop.slot_coupon), flat_view(pop.slot_coupon_expiry), flat_view(pop.slot_coupon_min),
              at, ticket, day, out)
    return out


def discounts(pop, at: np.ndarray, ticket: np.ndarray, redeem: np.ndarray) -> np.ndarray:
    """(V,) money off of each visit: its coupon's where ``redeem``, else 0."""
    out = np.empty(at.size)
    _discounts(flat_view(pop.slot_coupon_rate), flat_view(pop.slot_coupon), at, ticket, redeem, out)
    return out
