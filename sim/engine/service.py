"""The in-store day as a SimPy discrete-event simulation.

Core objects:
    * :class:`Visits` - the day's arrivals (consumer, store, minute of arrival,
      patience, balking threshold, service time) as arrays.
    * :func:`simulate_day` - runs one SimPy environment for all stores and
      returns per-visit outcomes and waits (and, on request, an event log).
    * Outcome codes :data:`SERVED`, :data:`BALKED`, :data:`RENEGED`,
      :data:`CLOSED`, :data:`STOCKOUT`.

Queueing rules (per store, first come first served, ``servers`` in parallel):

* **Balking** - on arrival, if every server is busy, the expected wait
  ``(queue + 1) * mean_service / servers`` is compared with the visitor's
  balking threshold; above it, the visitor leaves at once.
* **Reneging** - a visitor who waits longer than their patience leaves.
* **Closing** - service never starts after closing time; whoever still
  waits then is turned away, and so is anyone arriving after closing (CLOSED).
* **Stock-out** - each purchase uses one unit of the day's stock; a visitor
  reaching the counter after the stock ran out leaves without buying.

SimPy's event ordering is deterministic, so equal inputs give equal outputs.

By default the events are not run through SimPy itself but replayed by
:mod:`sim.kernels.store_day`, compiled code that follows SimPy's event order and
resource rules exactly (same outcomes, waits and stock, ties included; tested on
random days); SimPy runs when an event log is asked for, or with
``engine="simpy"``.

Only the part of a store's day where a queue can form goes through either.
:func:`first_event` finds, exactly and without events, each store's first
arrival that could find all servers busy, the stock gone or the door closed;
before it everyone is served on arrival, which is what SimPy would return
(tested). Visitors who finished before that moment are settled at once; the
rest, including those still being served then, go through SimPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from sim.rules.codes import BALKED, CLOSED, RENEGED, SERVED, STOCKOUT

__all__ = ["Visits", "first_event", "queue_free_stores", "simulate_day"]



@dataclass
class Visits:
    """One day's store arrivals (all arrays of length V).

    Attributes:
        consumer: consumer id.
        store: store id.
        arrival_min: minute of the day of arrival (0-1440).
        patience_min: how long the visitor will wait in the queue.
        balk_min: the visitor balks if the expected wait exceeds this.
        service_min: time at the counter / table once served.
        priority: queue priority (lower first, e.g. 0 for a reservation); None = all equal.
    """

    consumer: np.ndarray
    store: np.ndarray
    arrival_min: np.ndarray
    patience_min: np.ndarray
    balk_min: np.ndarray
    service_min: np.ndarray
    priority: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of visits V."""
        return self.consumer.size

    def subset(self, mask: np.ndarray) -> Visits:
        """The visits selected by a boolean mask or an index array."""
        return Visits(*(None if getattr(self, f) is None else getattr(self, f)[mask]
                        for f in self.__dataclass_fields__))


def first_event(visits: Visits, servers: np.ndarray, stock: np.ndarray,
                close_min: np.ndarray | None = None) -> np.ndarray:
    """(S,) minute of each store's first arrival that may meet a queue, no stock or a closed door.

    Stores without such an arrival today get +inf. If every visitor is served
    on arrival, visitor ``i`` is busy over ``[a_i, a_i + s_i)``; an arrival
    would have to wait only if the number of such intervals covering its
    arrival time reached ``servers``. Up to a store's first such arrival (or
    its first arrival beyond stock, or at or after closing) that no-wait
    schedule is self-consistent, so it is exactly what the queue produces, and
    nothing later can change it (first come, first served). Ties follow
    SimPy's processing order (the stable arrival order); an end exactly at an
    arrival counts as busy, which can only make the event earlier.
    """
    n_stores = servers.size
    t_star = np.full(n_stores, np.inf)
    if visits.size == 0:
        return t_star
    band = 4 * 1440.0  # each store's times in a band of its own: one sort handles all stores
    start = visits.store * band + visits.arrival_min
    end = start + visits.service_min
    order = np.argsort(start, kind="stable")
    rank = np.empty(visits.size, dtype=np.int64)
    rank[order] = np.arange(visits.size)
    busy = rank - np.searchsorted(np.sort(end), start, side="left")
    sorted_store = visits.store[order]
    first_of_store = np.searchsorted(sorted_store, visits.store, side="left")
    rank_in_store = rank - first_of_store
    event = (busy >= servers[visits.store]) | (rank_in_store >= stock[visits.store])
    if close_min is not None:
        event |= visits.arrival_min >= close_min[visits.store]
    np.minimum.at(t_star, visits.store[event], visits.arrival_min[event])
    return t_star


def queue_free_stores(visits: Visits, servers: np.ndarray, stock: np.ndarray,
                      close_min: np.ndarray | None = None) -> np.ndarray:
    """(S,) True for stores where nobody would ever wait, balk, miss stock or find it closed today."""
    return np.isinf(first_event(visits, servers, stock, close_min))


def simulate_day(
    visits: Visits,
    servers: np.ndarray,
    mean_service_min: np.ndarray,
    close_min: np.ndarray,
    stock: np.ndarray,
    log: list | None = None,
    fast_path: bool = True,
    engine: str = "compiled",
) -> tuple[np.ndarray, np.ndarray]:
    """Serve one day of visits.

    Args:
        visits: the arrivals.
        servers: (S,) parallel servers per store (>= 1).
        mean_service_min: (S,) mean service time, used for the balking estimate.
        close_min: (S,) closing minute of each store.
        stock: (S,) units in stock at opening; decremented in place per purchase.
        log: if a list is given, ``(minute, store, consumer, event)`` tuples are appended,
            with events ``arrive``, ``balk``, ``start``, ``renege``, ``closed``,
            ``stockout`` and ``done`` (all stores then go through SimPy).
        fast_path: with the SimPy engine, settle every visitor who finishes before the store's
            first possible queue without SimPy (see :func:`first_event`); the compiled replay
            always does so, store by store, as it goes (:func:`sim.kernels.store_day.serve_day`).
        engine: ``compiled`` replays SimPy's event rules in compiled code
            (:mod:`sim.kernels.store_day`, identical results); ``simpy`` runs SimPy itself
            (always used when ``log`` is given).

    Returns:
        ``(outcome, wait_min)``: (V,) outcome codes and minutes spent queueing
        (0 for balkers).
    """
    n = visits.size
    if engine == "compiled" and log is None and n:  # every visit in one compiled call (the usual case)
        from sim.kernels.store_day import serve_day

        prio = visits.priority if visits.priority is not None else np.zeros(n, dtype=np.int64)
        return serve_day(visits.store, visits.arrival_min, visits.patience_min, visits.balk_min,
                         visits.service_min, prio, servers, mean_service_min, close_min, stock)
    outcome = np.full(n, SERVED, dtype=np.int8)
    wait = np.zeros(n, dtype=np.float64)
    if n == 0:
        return outcome, wait
    todo = np.arange(n)
    if fast_path and log is None and engine == "simpy":  # (the compiled replay has its own)
        # visitors who finished before their store's first possible queue are served on arrival
        # and cannot affect anyone later: only the rest go through SimPy
        t_star = first_event(visits, servers, stock, close_min)[visits.store]
        done = visits.arrival_min + visits.service_min < t_star
        np.subtract.at(stock, visits.store[done], 1)
        todo = np.flatnonzero(~done)
        if todo.size == 0:
            return outcome, wait
    if engine not in ("compiled", "simpy"):
        raise ValueError(f"engine={engine!r}; allowed: 'compiled' or 'simpy'")
    env = simpy.Environment()
    used = np.unique(visits.store[todo])
    prioritised = visits.priority is not None and np.unique(visits.priority[todo]).size > 1
    kind = simpy.PriorityResource if prioritised else simpy.Resource
    resources = {int(s): kind(env, capacity=int(servers[s])) for s in used}
    priority_l = visits.priority.tolist() if prioritised else None
    record = log.append if log is not None else None

    # plain Python lists: faster element access inside SimPy processes than numpy scalars
    store_l = visits.store.tolist()
    consumer_l = visits.consumer.tolist()
    arrival_l = visits.arrival_min.tolist()
    patience_l = visits.patience_min.tolist()
    balk_l = visits.balk_min.tolist()
    service_l = visits.service_min.tolist()
    close_l = close_min.tolist()
    mean_l = mean_service_min.tolist()
    servers_l = servers.tolist()
    stock_l = stock.tolist()

    def customer(i: int):
        yield env.timeout(arrival_l[i])
        s = store_l[i]
        res = resources[s]
        now = env.now
        if record:
            record((now, s, consumer_l[i], "arrive"))
        if now >= close_l[s]:
            outcome[i] = CLOSED
            if record:
                record((now, s, consumer_l[i], "closed"))
            return
        if res.count >= servers_l[s]:
            expected = (len(res.queue) + 1) * mean_l[s] / servers_l[s]
            if expected > balk_l[i]:
                outcome[i] = BALKED
                if record:
                    record((now, s, consumer_l[i], "balk"))
                return
        with (res.request(priority=priority_l[i]) if priority_l else res.request()) as req:
            limit = min(patience_l[i], close_l[s] - now)
            got = yield req | env.timeout(max(limit, 0.0))
            wait[i] = env.now - now
            if req not in got:
                closing = patience_l[i] >= close_l[s] - now
                outcome[i] = CLOSED if closing else RENEGED
                if record:
                    record((env.now, s, consumer_l[i], "closed" if closing else "renege"))
                return
            if stock_l[s] <= 0:
                outcome[i] = STOCKOUT
                if record:
                    record((env.now, s, consumer_l[i], "stockout"))
                return
            stock_l[s] -= 1
            if record:
                record((env.now, s, consumer_l[i], "start"))
            yield env.timeout(service_l[i])
            if record:
                record((env.now, s, consumer_l[i], "done"))

    for i in todo[np.argsort(visits.arrival_min[todo], kind="stable")].tolist():
        env.process(customer(i))
    env.run()
    stock[:] = stock_l
    return outcome, wait
