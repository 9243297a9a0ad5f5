"""sim.kernels.store_day: the compiled store day's queues, stock, order and first possible queue."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from sim.kernels.store_day import serve_day, serve_sorted, store_order, warm_up
from sim.rules.codes import BALKED, RENEGED, SERVED, STOCKOUT


def _serve(arrival, service, patience, balk, servers=1, stock=10, priority=None, close=1320.0):
    n = len(arrival)
    stock_arr = np.array([stock])
    out = serve_sorted(np.zeros(n, dtype=np.int64), np.array(arrival, float), np.array(patience, float),
                       np.array(balk, float), np.array(service, float),
                       np.zeros(n, dtype=np.int64) if priority is None else np.array(priority),
                       np.array([servers]), np.array([10.0]), np.array([close]), stock_arr)
    return out[0].tolist(), out[1].tolist(), int(stock_arr[0])


def test_one_server_queue_with_a_reneger_and_a_balker():
    # 600: A served 600-610; 601: B waits until 610; 602: C gives up after 3 min; 603: D balks
    outcome, wait, stock = _serve([600, 601, 602, 603], [10, 10, 10, 10], [30, 30, 3, 30], [60, 60, 60, 5])
    assert outcome == [SERVED, SERVED, RENEGED, BALKED]
    assert wait == [0.0, 9.0, 3.0, 0.0] and stock == 8


def test_stock_runs_out_and_priority_jumps_the_queue():
    outcome, _, stock = _serve([600, 601], [10, 10], [60, 60], [60, 60], stock=1)
    assert outcome == [SERVED, STOCKOUT] and stock == 0
    # the third visitor (priority 0) overtakes the second (priority 1): served 610-620, the second 620-630
    outcome, wait, _ = _serve([600, 601, 602], [10, 10, 10], [60, 60, 60], [60, 60, 60], priority=[1, 1, 0])
    assert wait == [0.0, 19.0, 8.0]


def test_warm_up_compiles_without_error():
    warm_up()


@settings(max_examples=40, deadline=None)
@given(seed=hst.integers(0, 10_000), visits=hst.integers(0, 500), stores=hst.integers(1, 40),
       coarse=hst.booleans())
def test_store_order_is_lexsort_by_store_then_arrival_ties_kept_in_order(seed, visits, stores, coarse):
    rng = np.random.default_rng(seed)
    store = rng.integers(0, stores, visits)
    arrival = rng.uniform(0, 1440, visits)
    if coarse:  # many exact ties
        arrival = np.floor(arrival / 60) * 60
    np.testing.assert_array_equal(store_order(store, arrival, stores), np.lexsort((arrival, store)))


def test_visits_out_of_arrival_order_within_a_store_are_refused():
    one = np.ones(2)
    with pytest.raises(ValueError, match="sorted by arrival"):
        serve_sorted(np.zeros(2, dtype=np.int64), np.array([610.0, 600.0]), one * 10, one * 10, one * 5,
                     np.zeros(2, dtype=np.int64), np.ones(1, dtype=np.int64), np.ones(1) * 5,
                     np.ones(1) * 1320, np.ones(1, dtype=np.int64))


@settings(max_examples=30, deadline=None)
@given(seed=hst.integers(0, 10_000), visits=hst.integers(0, 400), stores=hst.integers(1, 12))
def test_serve_day_is_ordering_then_serving(seed, visits, stores):
    """Visits in any order: the outcomes, waits and stock of sorting first, then serve_sorted."""
    rng = np.random.default_rng(seed)
    store = rng.integers(0, stores, visits)
    arrival = np.floor(rng.uniform(540, 1400, visits) / 5) * 5  # whole 5 minutes: many ties
    patience, balk, service = (rng.exponential(scale, visits) for scale in (15, 20, 8))
    priority = rng.integers(0, 2, visits)
    servers, mean = rng.integers(1, 3, stores), np.full(stores, 8.0)
    close, stock = np.full(stores, 1320.0), rng.integers(0, 40, stores)
    stock_day, stock_sorted = stock.copy(), stock.copy()
    outcome, wait = serve_day(store, arrival, patience, balk, service, priority, servers, mean, close,
                              stock_day)
    order = store_order(store, arrival, stores)
    o, w = serve_sorted(store[order], arrival[order], patience[order], balk[order], service[order],
                        priority[order], servers, mean, close, stock_sorted)
    want_outcome, want_wait = np.empty_like(o), np.empty_like(w)
    want_outcome[order], want_wait[order] = o, w
    np.testing.assert_array_equal(outcome, want_outcome)
    np.testing.assert_array_equal(wait, want_wait)
    np.testing.assert_array_equal(stock_day, stock_sorted)


@settings(max_examples=30, deadline=None)
@given(seed=hst.integers(0, 10_000), visits=hst.integers(1, 300), stores=hst.integers(1, 8))
def test_first_possible_queue_is_first_event(seed, visits, stores):
    """The compiled sweep finds each store's first possible queue, stock-out or closed door as first_event."""
    from sim.engine.service import Visits, first_event
    from sim.kernels.store_day import _first_possible_queue

    rng = np.random.default_rng(seed)
    store = rng.integers(0, stores, visits)
    arrival = np.floor(rng.uniform(540, 1400, visits) / 5) * 5  # ties, and ends landing on arrivals
    service = np.floor(rng.exponential(20, visits) / 5) * 5 + 5
    servers, stock = rng.integers(1, 4, stores), rng.integers(0, 30, stores)
    close = rng.choice([1320.0, 1440.0], stores)
    v = Visits(consumer=np.arange(visits), store=store, arrival_min=arrival, patience_min=arrival,
               balk_min=arrival, service_min=service)
    want = first_event(v, servers, stock, close)
    order = store_order(store, arrival, stores)
    bounds = np.searchsorted(store[order], np.arange(stores + 1))
    ends = np.empty(servers.max() + 1)
    got = [_first_possible_queue(order, arrival, service, bounds[s], bounds[s + 1], servers[s], stock[s],
                                 close[s], ends) for s in range(stores)]
    np.testing.assert_array_equal(got, want)
