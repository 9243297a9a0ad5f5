"""The day's trips as store arrivals: when each visitor comes, how patient, how long served.

Core function: :func:`arrivals` - for each trip, in compiled passes: the arrival hour (inverse
CDF of the store's hourly profile, as :func:`sim.world.stores.arrival_hour`) and minute; the
patience in the queue (a gamma variate of mean 1 times the store's mean patience and the
visitor's patience scale); the balking threshold (the store's, times the same scale); and the
service time (the store's shortest service plus an exponential extra with the store's mean).
Every draw is counter-based (:mod:`sim.random.keyed`, counter = the consumer), and the numbers are
those of the array expressions they replace (``tests/test_arrivals.py``); the service time's
logarithm is numpy's vectorised ``log1p``, between the two passes.
"""

from __future__ import annotations

import numpy as np

from sim.engine.service import Visits
from sim.kernels.jit import njit
from sim.random.keyed import gamma_at, uniform_at
from sim.world.stores import hour_at

__all__ = ["arrivals"]


@njit(cache=True)
def _trip_draws(consumer, slot, slot_store, hour_cdf, hour_key, minute_key, patience_key, service_key,
                patience_shape, patience_min, patience_scale, balk_wait_min,
                store, arrival, patience, balk, log_term):
    for v in range(consumer.size):
        c = consumer[v]
        s = slot_store[c, slot[v]]
        store[v] = s
        arrival[v] = hour_at(hour_cdf, s, uniform_at(hour_key, c)) * 60.0 + uniform_at(minute_key, c) * 60.0
        scale = float(patience_scale[c])
        patience[v] = gamma_at(patience_shape, patience_key, c) / patience_shape * patience_min[s] * scale
        balk[v] = balk_wait_min[s] * scale
        log_term[v] = -uniform_at(service_key, c)  # log1p of it next: log(1 - u)


@njit(cache=True)
def _service_times(store, log_term, service_min, min_service_min, out):
    for v in range(store.size):
        s = store[v]
        out[v] = min_service_min[s] - log_term[v] * (service_min[s] - min_service_min[s])


def arrivals(pop, table, hour_cdf: np.ndarray, consumer: np.ndarray, slot: np.ndarray,
             keys: tuple[np.uint64, np.uint64, np.uint64, np.uint64]) -> Visits:
    """The day's trips as :class:`~sim.engine.service.Visits` (everyone with queue priority 1).

    Args:
        pop: the :class:`~sim.world.population.Population`.
        table: the :class:`~sim.world.stores.StoreTable`.
        hour_cdf: (S, 24) cumulative hourly arrival profile of each store.
        consumer: (V,) who makes a trip today (each at most once).
        slot: (V,) the slot of the store each goes to.
        keys: keys of the arrival-hour, arrival-minute, patience and service-time draws.

    Returns:
        The visits, in the order of ``consumer``.
    """
    n = consumer.size
    consumer = consumer.astype(np.int64, copy=False)
    store = np.empty(n, dtype=np.int64)
    arrival, patience, balk, log_term, service = np.empty((5, n))  # (rows: contiguous)
    hour_key, minute_key, patience_key, service_key = keys
    _trip_draws(consumer, slot.astype(np.int64, copy=False), pop.slot_store, hour_cdf, np.uint64(hour_key),
                np.uint64(minute_key), np.uint64(patience_key), np.uint64(service_key),
                float(table.patience_shape), table.patience_min, pop.patience_scale, table.balk_wait_min,
                store, arrival, patience, balk, log_term)
    np.log1p(log_term, out=log_term)  # numpy's vectorised log1p, as the array expression used
    _service_times(store, log_term, table.service_min, table.min_service_min, service)
    return Visits(consumer=consumer, store=store, arrival_min=arrival, patience_min=patience, balk_min=balk,
                  service_min=service, priority=np.ones(n, dtype=np.int64))
