"""Basket size against a minimum spend: who tops a basket up to a coupon's threshold, and by how much.

Core functions:
    * :func:`topup_chance` - the chance that a basket a little below a "spend X save Y" coupon's
      minimum spend is topped up to it: ``rate x deal weight x (1 - gap / (gap_multiple x saving))``
      for a gap up to ``gap_multiple`` times the money the coupon saves, else 0 (docs/ODD.md 7.13a).
    * :func:`top_ups` - over a day's purchases: who holds a valid coupon whose minimum spend their
      ticket misses by a gap small enough to close, and their chances.

A topped-up ticket becomes the minimum spend exactly, so the coupon applies
(:func:`sim.rules.redemption.coupon_usable`) and the ledger books the bigger ticket. Nothing here
draws a random number: the caller compares the chances with its uniforms.
"""

from __future__ import annotations

import numpy as np

from sim.world.population import flat_view

__all__ = ["top_ups", "topup_chance"]


def topup_chance(gap: np.ndarray, saving: np.ndarray, rate: float, gap_multiple: float,
                 deal_weight: np.ndarray | float = 1.0) -> np.ndarray:
    """Chance of topping a basket up by ``gap`` to reach a minimum spend that saves ``saving``.

    ``rate x deal_weight x (1 - gap / (gap_multiple x saving))`` for ``0 < gap <= gap_multiple x
    saving``, capped at 1; 0 for no gap, for a gap beyond that, or for a coupon that saves nothing.

    Args:
        gap: minimum spend minus the ticket (currency).
        saving: money the coupon takes off a ticket at the minimum spend (currency).
        rate: chance of a top-up as the gap shrinks to 0 (``behavior.topup_rate``).
        gap_multiple: the largest gap closed, in multiples of the saving (``behavior.topup_gap_multiple``).
        deal_weight: the consumers' deal proneness (1 = the population's).
    """
    gap = np.asarray(gap, dtype=np.float64)
    window = gap_multiple * np.asarray(saving, dtype=np.float64)
    ok = (gap > 0) & (gap <= window) & (window > 0)
    share_left = 1.0 - gap / np.where(window > 0, window, 1.0)
    return np.where(ok, np.minimum(1.0, rate * np.asarray(deal_weight) * share_left), 0.0)


def top_ups(pop, at: np.ndarray, consumer: np.ndarray, ticket: np.ndarray, served: np.ndarray, day: int,
            rate: float, gap_multiple: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The purchases that could be topped up to their coupon's minimum spend, with their chances.

    A candidate is a served visit whose held coupon for the store is valid today, has a
    minimum spend above the ticket, and whose chance of topping up is above 0.

    Args:
        pop: the :class:`~sim.world.population.Population` (its coupon wallet and deal weights).
        at: (V,) each visit's flat slot index (``consumer * K + slot``).
        consumer: (V,) the visitors.
        ticket: (V,) each visit's ticket before any top-up.
        served: (V,) whether the visit is a purchase.
        day: today.
        rate: ``behavior.topup_rate``.
        gap_multiple: ``behavior.topup_gap_multiple``.

    Returns:
        ``(rows, chance, min_spend)``: the candidates' positions among the visits, their top-up
        chances (:func:`topup_chance`) and the minimum spend each would reach.
    """
    min_spend = flat_view(pop.slot_coupon_min)[at]
    rows = np.flatnonzero(served & (min_spend > ticket))
    if rows.size:
        x = at[rows]
        face = flat_view(pop.slot_coupon)[x].astype(np.float64)
        valid = (face > 0) & (flat_view(pop.slot_coupon_expiry)[x] >= day)
        rows, x, face = rows[valid], x[valid], face[valid]
    if not rows.size:
        return rows, np.empty(0), np.empty(0)
    threshold = flat_view(pop.slot_coupon_min)[x].astype(np.float64)
    coupon_rate = flat_view(pop.slot_coupon_rate)[x].astype(np.float64)
    # the discount a ticket of exactly the minimum spend gets (sim.rules.redemption.discount)
    saving = np.minimum(np.where(coupon_rate > 0, np.minimum(coupon_rate * threshold, face), face), threshold)
    chance = topup_chance(threshold - ticket[rows], saving, rate, gap_multiple,
                          pop.deal_weight[consumer[rows]])
    some = chance > 0  # a gap too wide to close is no candidate
    return rows[some], chance[some], threshold[some]
