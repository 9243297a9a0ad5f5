"""The terms of OMO's other channels at the brand's slots, in one compiled pass.

Core function: :func:`brand_channel_terms` - for every slot holding a brand store, of a
consumer reachable online: its flat index, the money-weighted cost of the expected wait, the
trip's cost (before any log-distance term), the money-weighted delivery fee and the distance.
The numbers are those of the numpy expressions
:class:`sim.levers.omo.OMO` writes with them (the same float32 and float64 steps:
``tests/test_channels.py``), without building an (N, K) mask or gathering slot by slot.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels.jit import njit

__all__ = ["LINEAR", "LOG", "NO_SPACE", "brand_channel_terms"]

#: How the trip costs: by time and money (a spatial city), only by a log-distance term added
#: afterwards (Huff's form), or nothing but an infinite distance (no space).
LINEAR, LOG, NO_SPACE = 0, 1, 2


@njit(cache=True)
def _brand_channel_terms(slot_store, slot_distance, is_brand, reachable, money_weight, value_of_time,
                         store_wait, wait_aversion, fee, form, walk_km, walk_speed, ride_access_h, ride_speed,
                         ride_cost):
    n, k = slot_store.shape
    online = 0
    for c in range(n):
        if reachable[c]:
            for j in range(k):
                s = slot_store[c, j]
                online += (s >= 0) and is_brand[max(s, 0)]
    flat = np.empty(online, dtype=np.int64)
    wait_cost = np.empty(online)
    travel = np.empty(online)
    m_fee = np.empty(online, dtype=np.float32)
    distance = np.empty(online, dtype=np.float32)
    o = 0
    for c in range(n):
        if not reachable[c]:
            continue
        m = money_weight[c]
        vot = value_of_time[c]
        mv = m * vot  # float32, as numpy's product of the two float32 arrays
        for j in range(k):
            s = slot_store[c, j]
            if s < 0 or not is_brand[s]:
                continue
            d32 = slot_distance[c, j]
            d = np.float64(d32)
            hours = 0.0
            money = 0.0
            if form == LINEAR:
                if d <= walk_km:
                    hours = 2.0 * (d / walk_speed)
                else:
                    hours = 2.0 * (ride_access_h + d / ride_speed)
                    money = 2.0 * (d * ride_cost)
            elif form == NO_SPACE and not math.isfinite(d):
                hours = np.inf
                money = np.inf
            flat[o] = c * k + j
            wait_cost[o] = mv * wait_aversion * store_wait[s] / 60.0
            travel[o] = m * (money + vot * hours)
            m_fee[o] = m * fee
            distance[o] = d32
            o += 1
    return flat, wait_cost, travel, m_fee, distance


def brand_channel_terms(pop, is_brand: np.ndarray, expected_wait: np.ndarray, wait_aversion: float,
                        delivery_fee: float, city, log_distance: bool) -> tuple[np.ndarray, ...]:
    """The channel terms at the brand slots of consumers reachable online (see module docstring).

    Args:
        pop: the :class:`~sim.world.population.Population` (slots, reach, money and time weights).
        is_brand: (S,) the brand's stores.
        expected_wait: (S,) each store's expected wait (minutes).
        wait_aversion: the behaviour's wait aversion.
        delivery_fee: the fee of a delivery (currency).
        city: the :class:`~sim.config.CityConfig` (how the trip costs).
        log_distance: distance enters as a log term instead of the trip's cost (the caller adds it).

    Returns:
        ``(flat, wait_cost, travel, m_fee, distance)``: the online brand slots' flat indices
        (increasing), ``m x vot x wait_aversion x wait / 60``, ``m x (money + vot x hours)`` of
        the trip, ``m x delivery_fee`` (float32) and the distance (km, float32).
    """
    form = LOG if log_distance else NO_SPACE if not city.spatial else LINEAR
    return _brand_channel_terms(
        pop.slot_store, pop.slot_distance, np.ascontiguousarray(is_brand, dtype=np.bool_), pop.reachable,
        pop.money_weight, pop.value_of_time, expected_wait.astype(np.float64, copy=False),
        np.float32(wait_aversion), np.float32(delivery_fee), form, float(city.walk_km),
        float(city.walk_speed_kmh), float(city.ride_access_min / 60), float(city.ride_speed_kmh),
        float(city.ride_cost_per_km))
