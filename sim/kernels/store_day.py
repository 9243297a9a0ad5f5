"""The store day without SimPy: SimPy's own event rules, compiled.

Core functions: :func:`store_order` - the order that groups visits by store and,
within a store, by arrival (a stable sort, as ``np.lexsort((arrival, store))``: counting by
store, then insertion in short runs and merges);
:func:`serve_sorted` - serves one day of visits, already grouped
by store and, within a store, by arrival time (ties in SimPy's process-creation order), and returns
every visit's outcome and wait; :func:`serve_day` - both in one call, on visits in
any order (what :func:`sim.engine.service.simulate_day` uses). It replays exactly what
:func:`sim.engine.service.simulate_day` does in SimPy - the same events, scheduled in
the same ``(time, event id)`` order, with the same resource rules (a release
grants the head of the queue; a new request is granted at once if a server is
free; a priority queue sorts by ``(priority, request time)`` and then arrival)
- so outcomes, waits and stock agree exactly, ties included (tested against
SimPy on random days). Compiled with numba; stores do not interact, so each is
replayed alone with its own event counter.

Event kinds of a visit: arrival, request granted, patience/closing timeout,
"wait over" (the condition ``granted or timeout``; the process resumes when it
is processed), end of service, and release of the server. When nothing else is
due at the same minute, a request granted on arrival and a release after
service are settled at once instead of through the event heap: they would be
the next events processed, so the order, and every outcome, is the same
(tested with whole-minute ties).
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import njit
from sim.rules.codes import BALKED, CLOSED, RENEGED, SERVED, STOCKOUT

__all__ = ["serve_day", "serve_sorted", "store_order", "warm_up"]

_ARRIVE, _GRANTED, _TIMEOUT, _WAIT_OVER, _SERVICE_END, _RELEASE = 0, 1, 2, 3, 4, 5


@njit(cache=True)
def _push(ht, he, hk, hc, size, t, e, k, c):
    i = size
    ht[i], he[i], hk[i], hc[i] = t, e, k, c
    while i > 0:
        parent = (i - 1) // 2
        if ht[parent] < ht[i] or (ht[parent] == ht[i] and he[parent] < he[i]):
            break
        ht[parent], ht[i] = ht[i], ht[parent]
        he[parent], he[i] = he[i], he[parent]
        hk[parent], hk[i] = hk[i], hk[parent]
        hc[parent], hc[i] = hc[i], hc[parent]
        i = parent
    return size + 1


@njit(cache=True)
def _pop(ht, he, hk, hc, size):
    t, e, k, c = ht[0], he[0], hk[0], hc[0]
    size -= 1
    ht[0], he[0], hk[0], hc[0] = ht[size], he[size], hk[size], hc[size]
    i = 0
    while True:
        left, right, best = 2 * i + 1, 2 * i + 2, i
        if left < size and (ht[left] < ht[best] or (ht[left] == ht[best] and he[left] < he[best])):
            best = left
        if right < size and (ht[right] < ht[best] or (ht[right] == ht[best] and he[right] < he[best])):
            best = right
        if best == i:
            break
        ht[best], ht[i] = ht[i], ht[best]
        he[best], he[i] = he[i], he[best]
        hk[best], hk[i] = hk[i], hk[best]
        hc[best], hc[i] = hc[i], hc[best]
        i = best
    return t, e, k, c, size


@njit(cache=True)
def _remove_at(queue, q_prio, q_time, qlen, m):
    """Remove position ``m`` of the waiting queue; returns the new length."""
    for r in range(m, qlen - 1):
        queue[r], q_prio[r], q_time[r] = queue[r + 1], q_prio[r + 1], q_time[r + 1]
    return qlen - 1


@njit(cache=True)
def _grant_head(queue, q_prio, q_time, qlen, users, in_users, granted, ht, he, hk, hc, size, now, eid):
    """Give a server to the head of the queue and schedule its "granted" event."""
    head = queue[0]
    qlen = _remove_at(queue, q_prio, q_time, qlen, 0)
    in_users[head] = True
    granted[head] = True
    size = _push(ht, he, hk, hc, size, now, eid, _GRANTED, head)
    return qlen, users + 1, size, eid + 1


@njit(cache=True)
def _serve_store(lo, hi, arrival, patience, balk, service, priority, servers, mean, close, stock,
                 outcome, wait, ht, he, hk, hc, queue, q_prio, q_time, flags):
    """Replay one store's day (visits ``lo:hi``, sorted by arrival); returns the stock left.

    ``ht``/``he``/``hk``/``hc`` (the event heap), ``queue``/``q_prio``/``q_time`` and ``flags``
    are work arrays of at least the sizes below, shared by all stores of the day.
    """
    n = hi - lo
    size = 0
    # Arrivals were scheduled first, in creation order, so they hold event ids 0..n-1 and come
    # sorted by (time, id): rather than sitting in the heap they are merged with it as a
    # second sorted stream (on a time tie the arrival goes first, its id being smaller).
    nxt = 0
    eid = n
    qlen = 0                                     # queue: waiting requests, in SimPy's queue order
    users = 0
    flags[:, :n] = False
    in_users = flags[0]
    granted = flags[1]                           # request triggered
    granted_done = flags[2]                      # request processed
    cond_set = flags[3]                          # "wait over" triggered
    while size > 0 or nxt < n:
        if nxt < n and (size == 0 or arrival[lo + nxt] <= ht[0]):
            now, kind, j = arrival[lo + nxt], _ARRIVE, nxt
            nxt += 1
        else:
            now, _, kind, j, size = _pop(ht, he, hk, hc, size)
        i = lo + j
        if kind == _ARRIVE:
            if now >= close:
                outcome[i] = CLOSED
                continue
            if users >= servers:
                if (qlen + 1) * mean / servers > balk[i]:
                    outcome[i] = BALKED
                    continue
            # the request joins the queue at its place, then the head is tried
            pos = qlen
            while pos > 0 and (q_prio[pos - 1] > priority[i]
                               or (q_prio[pos - 1] == priority[i] and q_time[pos - 1] > now)):
                pos -= 1
            for m in range(qlen, pos, -1):
                queue[m], q_prio[m], q_time[m] = queue[m - 1], q_prio[m - 1], q_time[m - 1]
            queue[pos], q_prio[pos], q_time[pos] = j, priority[i], now
            qlen += 1
            alone = (size == 0 or ht[0] > now) and (nxt >= n or arrival[lo + nxt] > now)
            if qlen == 1 and users < servers and alone:
                # granted on arrival with no other event at this minute: its "granted" and "wait
                # over" events would be the next two processed, so they are settled here, each
                # taking the event id it would have taken (granted, the unused timeout, wait over)
                qlen = 0
                in_users[j] = granted[j] = granted_done[j] = cond_set[j] = True
                users += 1
                eid += 3
                kind = _WAIT_OVER  # settled by the wait-over rule below, now
            else:
                if users < servers:
                    qlen, users, size, eid = _grant_head(queue, q_prio, q_time, qlen, users, in_users,
                                                         granted, ht, he, hk, hc, size, now, eid)
                limit = min(patience[i], close - now)
                if not granted[j]:
                    size = _push(ht, he, hk, hc, size, now + max(limit, 0.0), eid, _TIMEOUT, j)
                # else the request was granted on arrival: its "granted" event, (now, smaller id),
                # ends the wait before the timeout could, which would be a no-op; the id stays taken
                eid += 1
                continue
        if kind == _GRANTED or kind == _TIMEOUT:  # either ends the wait ("granted or timeout")
            if kind == _GRANTED:
                granted_done[j] = True
            if not cond_set[j]:
                cond_set[j] = True
                size = _push(ht, he, hk, hc, size, now, eid, _WAIT_OVER, j)
                eid += 1
        elif kind == _WAIT_OVER:
            wait[i] = now - arrival[i]
            leave = False
            if not granted_done[j]:
                outcome[i] = CLOSED if patience[i] >= close - arrival[i] else RENEGED
                leave = True
                if not granted[j]:  # cancel: leave the queue
                    for m in range(qlen):
                        if queue[m] == j:
                            qlen = _remove_at(queue, q_prio, q_time, qlen, m)
                            break
            elif stock <= 0:
                outcome[i] = STOCKOUT
                leave = True
            else:
                stock -= 1
                outcome[i] = SERVED
                size = _push(ht, he, hk, hc, size, now + service[i], eid, _SERVICE_END, j)
                eid += 1
            if leave:  # release (a no-op on the users if never granted), processed later
                if in_users[j]:
                    in_users[j] = False
                    users -= 1
                size = _push(ht, he, hk, hc, size, now, eid, _RELEASE, j)
                eid += 1
        elif kind == _SERVICE_END:
            in_users[j] = False
            users -= 1
            if size == 0 or ht[0] > now:  # (an arrival at this minute would have come first)
                eid += 1
                kind = _RELEASE  # nothing else at this minute: the release is next, processed below
            else:
                size = _push(ht, he, hk, hc, size, now, eid, _RELEASE, j)
                eid += 1
        if kind == _RELEASE:  # try the head of the queue
            if qlen > 0 and users < servers:
                qlen, users, size, eid = _grant_head(queue, q_prio, q_time, qlen, users, in_users, granted,
                                                     ht, he, hk, hc, size, now, eid)
    return stock


@njit(cache=True)
def _serve_all(bounds, store_of_group, arrival, patience, balk, service, priority, servers, mean, close,
               stock, outcome, wait):
    most = 0
    for g in range(bounds.size - 1):
        most = max(most, bounds[g + 1] - bounds[g])
    cap = 8 * most + 8  # events pending at once: at most a few per visit
    ht = np.empty(cap)
    he = np.empty(cap, dtype=np.int64)
    hk = np.empty(cap, dtype=np.int64)
    hc = np.empty(cap, dtype=np.int64)
    queue = np.empty(most, dtype=np.int64)
    q_prio = np.empty(most, dtype=np.int64)
    q_time = np.empty(most)
    flags = np.empty((4, most), dtype=np.bool_)
    for g in range(bounds.size - 1):
        s = store_of_group[g]
        stock[s] = _serve_store(bounds[g], bounds[g + 1], arrival, patience, balk, service, priority,
                                servers[s], mean[s], close[s], stock[s], outcome, wait,
                                ht, he, hk, hc, queue, q_prio, q_time, flags)


_RUN = 32  # sorted by insertion in runs of this many, then the runs are merged


@njit(cache=True)
def _sort_by_key(order, lo, hi, key, spare):
    """Stably sort ``order[lo:hi]`` by ``key[order[...]]``: insertion in short runs, then merges.

    ``spare`` is a work array at least as long as ``order``.
    """
    for run in range(lo, hi, _RUN):  # insertion: stable (an element passes only strictly larger keys)
        end = min(run + _RUN, hi)
        for r in range(run + 1, end):
            i = order[r]
            q = r
            while q > run and key[order[q - 1]] > key[i]:
                order[q] = order[q - 1]
                q -= 1
            order[q] = i
    width = _RUN
    src, dst = order, spare
    in_spare = False
    while width < hi - lo:  # bottom-up merges; on a tie the left run's element goes first
        for left in range(lo, hi, 2 * width):
            mid, right = min(left + width, hi), min(left + 2 * width, hi)
            a, b = left, mid
            for out in range(left, right):
                if b >= right or (a < mid and key[src[a]] <= key[src[b]]):
                    dst[out] = src[a]
                    a += 1
                else:
                    dst[out] = src[b]
                    b += 1
        src, dst = dst, src
        in_spare = not in_spare
        width *= 2
    if in_spare:
        order[lo:hi] = spare[lo:hi]


@njit(cache=True)
def _store_order(store, arrival, n_stores):
    """A stable counting sort by store, then each store's visits stably by arrival: ``np.lexsort``'s order."""
    n = store.size
    start = np.zeros(n_stores + 1, dtype=np.int64)
    for i in range(n):
        start[store[i] + 1] += 1
    for s in range(n_stores):
        start[s + 1] += start[s]
    fill = start.copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        order[fill[store[i]]] = i
        fill[store[i]] += 1
    spare = np.empty(n, dtype=np.int64)
    for s in range(n_stores):
        _sort_by_key(order, start[s], start[s + 1], arrival, spare)
    return order


@njit(cache=True)
def _first_possible_queue(order, arrival, service, lo, hi, servers, stock, close, ends):
    """The arrival minute of a store's first visitor who may meet a queue, no stock or a closed door.

    Visits ``order[lo:hi]`` are the store's, by arrival. Until that visitor, everyone is served on
    arrival (``ends`` holds the service ends not yet past; an end at an arrival counts as busy,
    which can only make the minute earlier); +inf if nobody. As
    :func:`sim.engine.service.first_event`, for one store.
    """
    busy = 0
    for r in range(lo, hi):
        i = order[r]
        now = arrival[i]
        still = 0
        for m in range(busy):  # ends before now are over
            if ends[m] >= now:
                ends[still] = ends[m]
                still += 1
        busy = still
        if busy >= servers or r - lo >= stock or now >= close:
            return now
        ends[busy] = now + service[i]
        busy += 1
    return np.inf


@njit(cache=True)
def _serve_day(store, arrival, patience, balk, service, priority, servers, mean, close, stock, outcome, wait):
    """Order the visits (:func:`_store_order`), serve each store's, and write outcomes in the given order.

    A visitor who is served on arrival and gone before the store's first possible queue
    (:func:`_first_possible_queue`) is settled at once - served, no wait, one unit of stock - as
    SimPy would: nobody else can meet them in a queue, so the rest are replayed without them
    (the rule :func:`sim.engine.service.simulate_day`'s ``fast_path`` uses with SimPy).
    """
    n = store.size
    order = _store_order(store, arrival, servers.size)
    ends = np.empty(servers.max() + 1)
    replay = np.empty(n, dtype=np.int64)  # the visits left to replay, grouped by store and by arrival
    n_replay = 0
    lo = 0
    while lo < n:
        s = store[order[lo]]
        hi = lo
        while hi < n and store[order[hi]] == s:
            hi += 1
        first = _first_possible_queue(order, arrival, service, lo, hi, servers[s], stock[s], close[s], ends)
        for r in range(lo, hi):
            i = order[r]
            if arrival[i] + service[i] < first:
                outcome[i] = SERVED
                wait[i] = 0.0
                stock[s] -= 1
            else:
                replay[n_replay] = i
                n_replay += 1
        lo = hi
    replay = replay[:n_replay]
    bounds = np.empty(n_replay + 1, dtype=np.int64)
    group_store = np.empty(n_replay, dtype=np.int64)
    n_groups = 0
    for r in range(n_replay):
        s = store[replay[r]]
        if r == 0 or s != group_store[n_groups - 1]:
            bounds[n_groups] = r
            group_store[n_groups] = s
            n_groups += 1
    bounds[n_groups] = n_replay
    sorted_outcome = np.zeros(n_replay, dtype=np.int8)
    sorted_wait = np.zeros(n_replay)
    _serve_all(bounds[:n_groups + 1], group_store[:n_groups], arrival[replay], patience[replay], balk[replay],
               service[replay], priority[replay], servers, mean, close, stock, sorted_outcome, sorted_wait)
    for r in range(n_replay):
        outcome[replay[r]] = sorted_outcome[r]
        wait[replay[r]] = sorted_wait[r]


def serve_day(store: np.ndarray, arrival: np.ndarray, patience: np.ndarray, balk: np.ndarray,
              service: np.ndarray, priority: np.ndarray, servers: np.ndarray, mean: np.ndarray,
              close: np.ndarray, stock: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Serve one day of visits in any order: :func:`store_order` then :func:`serve_sorted`, in one call.

    Arguments as :func:`serve_sorted`'s, but ``store`` and ``arrival`` need no order; ``stock``
    is decremented in place.

    Returns:
        ``(outcome, wait)`` in the given order.
    """
    n = store.size
    outcome, wait = np.zeros(n, dtype=np.int8), np.zeros(n)
    if n == 0:
        return outcome, wait
    stock_work = stock if stock.dtype == np.int64 else stock.astype(np.int64)  # (int64: in place)
    _serve_day(*_kernel_args(store, arrival, patience, balk, service, priority, servers, mean, close),
               stock_work, outcome, wait)
    if stock_work is not stock:
        stock[:] = stock_work
    return outcome, wait


def _kernel_args(store, arrival, patience, balk, service, priority, servers, mean, close) -> tuple:
    """The store-day inputs in the kernels' dtypes (int64 ids, counts and priorities; float64 minutes)."""
    i64, f64 = np.int64, np.float64
    return (store.astype(i64, copy=False), arrival.astype(f64, copy=False), patience.astype(f64, copy=False),
            balk.astype(f64, copy=False), service.astype(f64, copy=False), priority.astype(i64, copy=False),
            servers.astype(i64, copy=False), mean.astype(f64, copy=False), close.astype(f64, copy=False))


def store_order(store: np.ndarray, arrival: np.ndarray, n_stores: int) -> np.ndarray:
    """Indices that sort visits by store, then by arrival, ties in the given order.

    The same permutation as ``np.lexsort((arrival, store))``, in linear time over the
    stores (a counting sort) plus a small stable sort per store.

    Args:
        store: (V,) store ids in ``[0, n_stores)``.
        arrival: (V,) arrival minutes.
        n_stores: the number of stores.
    """
    return _store_order(store.astype(np.int64, copy=False), arrival.astype(np.float64, copy=False),
                        int(n_stores))


def serve_sorted(store: np.ndarray, arrival: np.ndarray, patience: np.ndarray, balk: np.ndarray,
                 service: np.ndarray, priority: np.ndarray, servers: np.ndarray, mean: np.ndarray,
                 close: np.ndarray, stock: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Serve visits grouped by store (contiguous), each group sorted by arrival, ties in creation order.

    That is the order :func:`store_order` gives. Visits are SimPy processes created in this
    order, so a tie in arrival time is resolved by it, as SimPy does.

    Args:
        store: (V,) store of each visit; visits of a store are contiguous.
        arrival: (V,) minute of arrival.
        patience: (V,) minutes the visitor will wait.
        balk: (V,) balking threshold on the expected wait (minutes).
        service: (V,) service minutes.
        priority: (V,) queue priority (lower first).
        servers: (S,) parallel servers.
        mean: (S,) mean service minutes (the balking estimate).
        close: (S,) closing minute.
        stock: (S,) units at opening; decremented in place.

    Returns:
        ``(outcome, wait)`` in the given order.
    """
    n = store.size
    outcome = np.zeros(n, dtype=np.int8)
    wait = np.zeros(n)
    if n == 0:
        return outcome, wait
    if ((np.diff(arrival) < 0) & (store[1:] == store[:-1])).any():
        raise ValueError("serve_sorted: within a store, visits must be sorted by arrival (see store_order)")
    starts = np.flatnonzero(np.r_[True, store[1:] != store[:-1]])
    bounds = np.r_[starts, n].astype(np.int64)
    stock_work = stock.astype(np.int64)
    store, *rest = _kernel_args(store, arrival, patience, balk, service, priority, servers, mean, close)
    _serve_all(bounds, store[starts], *rest, stock_work, outcome, wait)
    stock[:] = stock_work
    return outcome, wait


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels now, e.g. before timing a benchmark."""
    one = np.ones(1)
    serve_day(np.zeros(1, dtype=np.int64), one * 600, one * 10, one * 10, one * 5,
              np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64), one * 5, one * 1320,
              np.ones(1, dtype=np.int64))
    serve_sorted(np.zeros(1, dtype=np.int64), one * 600, one * 10, one * 10, one * 5,
                 np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64), one * 5, one * 1320,
                 np.ones(1, dtype=np.int64))
