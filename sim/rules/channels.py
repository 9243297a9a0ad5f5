"""The channel nest: pick-up and delivery offered beside the store visit, as readable rules.

Core functions:
    * :func:`channel_deltas` - a slot's utility differences of picking up and of having it
      delivered against walking in, divided by the nest scale (one scalar function, inlined
      by the compiled decision pass and by :func:`deltas_at`).
    * :func:`deltas_at` - the same for many slots at once (its numpy face, for intents and tests).
    * :func:`nest_gain` - what the store's utility gains from its other channels, the nested
      logit's ``lambda * log(1 + sum_c exp(d_c / lambda))``.
    * :func:`nest_extra` - the gain at every slot from the full terms (the numpy reference).
    * :func:`draw_channels` - each intent's channel, with chances proportional to
      ``exp(d_c / lambda)`` (walking in: ``d = 0``).

A channel the nest does not offer (or a delivery beyond the radius) has a difference of
``-inf``: its weight is 0 and it adds nothing to the store's utility. The differences are
those of :class:`~sim.levers.omo.OMO`'s docstring: pick-up ``+ wait cost - pickup_hassle``;
delivery ``+ travel cost + wait cost - money-weighted fee - delivery_penalty``.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import njit
from sim.rules.codes import DELIVERY, IN_STORE, PICKUP

__all__ = ["channel_deltas", "deltas_at", "draw_channels", "nest_extra", "nest_gain"]


@njit(inline="always")
def channel_deltas(wait_utils, travel, money_weight, distance, params):
    """One slot's (pick-up, delivery) utility differences against walking in, over the nest scale.

    Args:
        wait_utils: the money-weighted cost of the store's expected wait at this slot (utils).
        travel: the trip's cost (utils; a log-distance term included).
        money_weight: the consumer's weight of money (utils per currency unit).
        distance: the trip's one-way distance (km).
        params: ``(pickup_hassle, delivery_fee, delivery_penalty, delivery_radius_km, scale)``;
            ``pickup_hassle = inf`` when pick-up is not offered, ``delivery_radius_km < 0`` when
            delivery is not.
    """
    pickup_hassle, fee, penalty, radius, scale = params
    pick = (wait_utils - pickup_hassle) / scale
    deliver = -np.inf
    if distance <= radius:
        deliver = (travel + wait_utils - money_weight * fee - penalty) / scale
    return pick, deliver


@njit(cache=True)
def _deltas_at(wait_utils, travel, money_weight, distance, params, pick, deliver):
    for r in range(wait_utils.shape[0]):
        pick[r], deliver[r] = channel_deltas(wait_utils[r], travel[r], money_weight[r], distance[r], params)


def deltas_at(wait_utils: np.ndarray, travel: np.ndarray, money_weight: np.ndarray, distance: np.ndarray,
              params: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`channel_deltas` of many slots (same-length float arrays); returns (pick-up, delivery)."""
    f64 = np.float64
    args = [np.ascontiguousarray(a, dtype=f64) for a in (wait_utils, travel, money_weight, distance)]
    pick, deliver = np.empty(args[0].size), np.empty(args[0].size)
    _deltas_at(*args, tuple(float(x) for x in params), pick, deliver)
    return pick, deliver


def nest_gain(pick: np.ndarray, deliver: np.ndarray, scale: float) -> np.ndarray:
    """The store's utility gain from its other channels: ``scale * log1p(exp(pick) + exp(deliver))``.

    ``pick`` and ``deliver`` are already divided by ``scale``; a channel at ``-inf`` adds nothing.
    """
    with np.errstate(over="ignore"):
        return scale * np.log1p(np.exp(pick) + np.exp(deliver))


def draw_channels(pick: np.ndarray, deliver: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Each intent's channel code by inverse CDF of the channel logit (walk in, pick up, deliver).

    Args:
        pick: the intents' pick-up differences over the nest scale (``-inf``: not offered).
        deliver: their delivery differences, likewise.
        u: one uniform in [0, 1) per intent.
    """
    pick, deliver = np.asarray(pick, dtype=np.float64), np.asarray(deliver, dtype=np.float64)
    top = np.maximum(0.0, np.maximum(pick, deliver))
    w = np.stack([np.exp(-top), np.exp(pick - top), np.exp(deliver - top)], axis=1)
    cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    drawn = np.minimum((cdf <= np.asarray(u)[:, None]).sum(axis=1), 2)
    return np.array([IN_STORE, PICKUP, DELIVERY], dtype=np.int8)[drawn]


def nest_extra(terms, nest, slot_store: np.ndarray, slot_distance: np.ndarray, store_wait: np.ndarray,
               wait_aversion: float) -> np.ndarray:
    """(N, K) the nest's gain at every slot (0 where it is not offered), from the full terms.

    The numpy reference of what the compiled decision pass adds slot by slot: at each slot of a
    nest store held by a nest consumer, :func:`nest_gain` of :func:`channel_deltas` with the
    store's own expected wait.

    Args:
        terms: the day's :class:`~sim.rules.behavior.UtilityTerms` (money and time weights, trip cost).
        nest: the :class:`~sim.levers.effects.ChannelNest`.
        slot_store: (N, K) store id in each slot (-1 = empty).
        slot_distance: (N, K) one-way distance of each slot (km).
        store_wait: (S,) each store's expected wait (minutes).
        wait_aversion: the behaviour's wait aversion.
    """
    shape = slot_store.shape
    store = np.maximum(slot_store, 0)
    at = (slot_store >= 0) & nest.stores[store] & nest.consumers[:, None]
    m = np.broadcast_to(terms.money_weight, shape)[at].astype(np.float64)
    vot = np.broadcast_to(terms.value_of_time, shape)[at].astype(np.float64)
    wait_utils = m * vot * wait_aversion * np.asarray(store_wait, dtype=np.float64)[store[at]] / 60.0
    travel = np.broadcast_to(terms.travel_utils(), shape)[at]
    pick, deliver = deltas_at(wait_utils, travel, m, slot_distance[at], nest.params)
    gain = np.zeros(shape)
    gain[at] = nest_gain(pick, deliver, nest.scale)
    return gain
