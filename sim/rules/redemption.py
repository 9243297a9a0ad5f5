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
           "expected_values", "urgency"]


@njit(inline="always")
def urgency(days_left, strength, scale):
    """How much more a held coupon's value weighs in the choice as its expiry nears.

    ``1 + strength x exp(-days_left / scale)``: ``1 + strength`` on its last valid day
    (``days_left = 0``), fading towards 1 for coupons with long to run. Consumers redeem in a
    rush before a coupon expires (Inman & McAlister 1994: redemption rises as the expiration
    date approaches; anticipated regret of letting it lapse).

    Args:
        days_left: the coupon's last valid day minus today (>= 0 while it is valid).
        strength: the extra weight on the last day (``behavior.coupon_urgency``; 0: none).
        scale: the fade in days (``behavior.coupon_urgency_days``).
    """
    return 1.0 + strength * math.exp(-days_left / scale)


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


def expected_values(pop, price: np.ndarray, day: int, urgency_strength: float = 0.0,
                    urgency_days: float = 1.0) -> np.ndarray:
    """(N, K) expected money off from the coupon held for each slot (0 without one), as the choice sees it.

    A coupon valid today (:func:`coupon_valid`) takes off :func:`coupon_value` of the store's
    average ticket - a percent coupon ``min(rate x price, face cap)``, an amount coupon its face
    value - only if the ticket reaches the minimum spend, so the value is weighted by that
    chance (:func:`~sim.rules.behavior.ticket_at_least`), and by the coupon's :func:`urgency`.

    Args:
        pop: the :class:`~sim.world.population.Population` (its coupon wallet).
        price: (S,) each store's average ticket.
        day: today.
        urgency_strength: :func:`urgency`'s strength (0: the value alone).
        urgency_days: :func:`urgency`'s fade in days.
    """
    valid = (pop.slot_coupon > 0) & (pop.slot_coupon_expiry >= day)
    value = np.zeros(valid.shape)
    held = np.nonzero(valid)  # only the slots holding a coupon: most hold none
    if held[0].size:
        at = price[pop.slot_store[held]]
        rate, coupon = pop.slot_coupon_rate[held], pop.slot_coupon[held]
        face = np.where(rate > 0, np.minimum(rate * at, coupon), coupon)
        left = pop.slot_coupon_expiry[held].astype(np.float64) - day
        weight = 1.0 + urgency_strength * np.exp(-left / urgency_days)
        value[held] = face * ticket_at_least(pop.slot_coupon_min[held], at) * weight
    return value
