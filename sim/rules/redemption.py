"""When a held coupon applies, and how much it takes off: the coupon rules, written once.

Core functions:
    * :func:`coupon_valid` - a held coupon is valid on a day: it has a face value and that
      day is not past its last valid day.
    * :func:`coupon_usable` - it is valid and the ticket reaches its minimum spend.
    * :func:`coupon_value` - the money it takes off an amount: a percent coupon's ``rate x
      amount`` up to its face value, an amount coupon's face value.
    * :func:`discount` - the money off a redeeming ticket: :func:`coupon_value`, never more
      than the ticket.
    * :func:`expected_values` - the (N, K) money a held coupon is expected to take off a visit
      to each slot's store, as the choice sees it (the readable reference of the decision's
      compiled coupon term).
    * :func:`weighted_values` - the same times each consumer's weight (deal proneness), in one
      compiled pass into a reused array: what the daily decision is handed when weights differ.
    * :func:`eligible`, :func:`discounts` - the two rules over a day's visits, each one
      compiled pass reading the (N, K) wallet arrays at the visits' flat slot indices; the
      redemption caps are applied between the two (:meth:`sim.levers.base.CouponBook.within_cap`).

The scalar rules are compiled functions inlined into their callers, so every compiled
pass that needs one (the decision's coupon value, :mod:`sim.kernels.decision`; a visit's
source, :mod:`sim.outputs.recorder`; the nightly lapse, :mod:`sim.kernels.slot_upkeep`)
calls the same definition. ``tests/test_redemption.py`` checks them against the same rules
written as array expressions.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels.jit import njit
from sim.rules.behavior import ticket_at_least
from sim.world.population import flat_view

__all__ = ["coupon_usable", "coupon_valid", "coupon_value", "discount", "discounts", "eligible",
           "expected_values", "weighted_values"]


@njit(inline="always")
def coupon_valid(face, expiry, day):
    """Whether a held coupon is valid on ``day``.

    Args:
        face: the coupon's face value (0 = no coupon held).
        expiry: its last valid day.
        day: the day asked about.

    Returns:
        True when ``face > 0`` and ``expiry >= day``.
    """
    return face > 0 and expiry >= day


@njit(inline="always")
def coupon_usable(face, expiry, min_spend, ticket, day):
    """Whether a held coupon applies to a ticket on ``day``: valid, and the minimum spend reached.

    Args:
        face: the coupon's face value (0 = no coupon held).
        expiry: its last valid day.
        min_spend: its minimum spend (0 = none).
        ticket: the visit's ticket.
        day: today.

    Returns:
        :func:`coupon_valid` and ``ticket >= min_spend``.
    """
    return coupon_valid(face, expiry, day) and ticket >= min_spend


@njit(inline="always")
def coupon_value(face, rate, amount):
    """The money a coupon takes off ``amount``, before any cap at the ticket.

    Args:
        face: the coupon's face value: an amount coupon's money off, a percent coupon's cap.
        rate: a percent coupon's discount fraction (0 for an amount coupon).
        amount: the amount it applies to (a ticket, or a store's average price).

    Returns:
        ``min(rate x amount, face)`` for a percent coupon, ``face`` for an amount coupon (float64).
    """
    face = float(face)
    return min(float(rate) * amount, face) if rate > 0 else face


@njit(inline="always")
def discount(face, rate, ticket):
    """The money off a redeeming ``ticket``: :func:`coupon_value`, never more than the ticket.

    A percent coupon's rate is below 1 (``sim.config``), so only an amount coupon's face
    value can exceed the ticket.

    Args:
        face: the coupon's face value.
        rate: a percent coupon's discount fraction (0 for an amount coupon).
        ticket: the visit's ticket.

    Returns:
        ``min(coupon_value(face, rate, ticket), ticket)``.
    """
    return min(coupon_value(face, rate, ticket), ticket)


@njit(cache=True)
def _eligible(coupon, expiry, min_spend, at, ticket, day, out):
    for v in range(at.size):
        x = at[v]
        out[v] = coupon_usable(coupon[x], expiry[x], min_spend[x], ticket[v], day)


@njit(cache=True)
def _discounts(rate, coupon, at, ticket, redeem, out):
    for v in range(at.size):
        if not redeem[v]:
            out[v] = 0.0
            continue
        x = at[v]
        out[v] = discount(coupon[x], rate[x], ticket[v])


def eligible(pop, at: np.ndarray, ticket: np.ndarray, day: int) -> np.ndarray:
    """(V,) whether each visit's held coupon applies today (:func:`coupon_usable`).

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
    """(V,) money off of each visit: its coupon's :func:`discount` where ``redeem``, else 0."""
    out = np.empty(at.size)
    _discounts(flat_view(pop.slot_coupon_rate), flat_view(pop.slot_coupon), at, ticket, redeem, out)
    return out


def expected_values(pop, price: np.ndarray, day: int) -> np.ndarray:
    """(N, K) expected money off from the coupon held for each slot (0 without one), as the choice sees it.

    A coupon valid today (:func:`coupon_valid`) takes off :func:`coupon_value` of the store's
    average ticket - a percent coupon ``min(rate x price, face cap)``, an amount coupon its face
    value - only if the ticket reaches the minimum spend, so the value is weighted by that
    chance (:func:`~sim.rules.behavior.ticket_at_least`).

    Args:
        pop: the :class:`~sim.world.population.Population` (its coupon wallet).
        price: (S,) each store's average ticket.
        day: today.
    """
    valid = (pop.slot_coupon > 0) & (pop.slot_coupon_expiry >= day)
    value = np.zeros(valid.shape)
    held = np.nonzero(valid)  # only the slots holding a coupon: most hold none
    if held[0].size:
        at = price[pop.slot_store[held]]
        rate, coupon = pop.slot_coupon_rate[held], pop.slot_coupon[held]
        face = np.where(rate > 0, np.minimum(rate * at, coupon), coupon)
        value[held] = face * ticket_at_least(pop.slot_coupon_min[held], at)
    return value


@njit(cache=True)
def _weighted_values(face, rate, expiry, min_spend, slot_store, price, weight, day, sigma, out):
    n, k = face.shape
    for i in range(n):
        w = float(weight[i])
        for j in range(k):
            f = face[i, j]
            if not coupon_valid(f, expiry[i, j], day):  # most slots hold none: a predictable branch
                out[i, j] = 0.0
                continue
            at = float(price[slot_store[i, j]])
            off = coupon_value(f, rate[i, j], at)
            m = min_spend[i, j]
            if m > 0:  # P(ticket >= min_spend) of the log-normal ticket (behavior.ticket_at_least)
                z = (math.log(max(float(m), 1e-12) / at) + sigma * sigma / 2) / sigma
                off *= 1.0 - 0.5 * math.erfc(-z / math.sqrt(2.0))
            out[i, j] = off * w


def weighted_values(pop, price: np.ndarray, day: int, weight: np.ndarray, out: np.ndarray | None = None,
                    sigma: float | None = None) -> np.ndarray:
    """(N, K) :func:`expected_values` times each consumer's ``weight``, in one compiled pass.

    Args:
        pop: the :class:`~sim.world.population.Population` (its coupon wallet).
        price: (S,) each store's average ticket.
        day: today.
        weight: (N,) each consumer's weight of a coupon's money (its deal weight).
        out: an (N, K) float64 array to write into (reused day after day); a new one if ``None``.
        sigma: the ticket's log-normal sigma (default :data:`~sim.rules.behavior.TICKET_SIGMA`).
    """
    from sim.rules.behavior import TICKET_SIGMA

    if out is None:
        out = np.empty(pop.slot_coupon.shape)
    _weighted_values(pop.slot_coupon, pop.slot_coupon_rate, pop.slot_coupon_expiry, pop.slot_coupon_min,
                     pop.slot_store, np.asarray(price, dtype=np.float64), weight, day,
                     float(TICKET_SIGMA if sigma is None else sigma), out)
    return out
