"""sim.engine.service: the SimPy store day, checked on event logs of hand-built visits."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.service import Visits, queue_free_stores, simulate_day
from sim.rules.codes import BALKED, CLOSED, OUTCOMES, RENEGED, SERVED, STOCKOUT

BIG = 1e9


def make_visits(arrival, service, patience=None, balk=None, store=None):
    n = len(arrival)
    return Visits(
        consumer=np.arange(100, 100 + n),
        store=np.zeros(n, dtype=np.int64) if store is None else np.asarray(store, dtype=np.int64),
        arrival_min=np.asarray(arrival, dtype=np.float64),
        patience_min=np.full(n, BIG) if patience is None else np.asarray(patience, dtype=np.float64),
        balk_min=np.full(n, BIG) if balk is None else np.asarray(balk, dtype=np.float64),
        service_min=np.asarray(service, dtype=np.float64),
    )


def serve(visits, servers=(1,), mean=(10.0,), close=(1320.0,), stock=(1000,), fast_path=False):
    log: list = []
    stock = np.array(stock, dtype=np.int64)
    outcome, wait = simulate_day(visits, np.array(servers, dtype=np.int64), np.array(mean, dtype=float),
                                 np.array(close, dtype=float), stock, log=log, fast_path=fast_path)
    return outcome, wait, stock, log


def events(log, consumer):
    return [(t, e) for t, _, c, e in log if c == consumer]


def test_outcome_codes():
    assert OUTCOMES[SERVED] == "served" and OUTCOMES[BALKED] == "balked"
    assert OUTCOMES[RENEGED] == "reneged" and OUTCOMES[CLOSED] == "closed"
    assert OUTCOMES[STOCKOUT] == "stockout"


def test_queueing_one_server_three_simultaneous_arrivals():
    services = [10.0, 20.0, 30.0]
    v = make_visits([600.0, 600.0, 600.0], services)
    outcome, wait, stock, log = serve(v)
    assert outcome.tolist() == [SERVED] * 3
    # served first come first served; each waits for the services before it
    np.testing.assert_allclose(wait, [0.0, 10.0, 30.0])
    starts = [t for t, _, _, e in log if e == "start"]
    assert starts == [600.0, 610.0, 630.0]
    dones = [t for t, _, _, e in log if e == "done"]
    assert dones == [610.0, 630.0, 660.0]
    assert stock.tolist() == [997]
    assert events(log, 101) == [(600.0, "arrive"), (610.0, "start"), (630.0, "done")]
    times = [t for t, *_ in log]
    assert times == sorted(times)


def test_queueing_two_servers():
    v = make_visits([600.0, 600.0, 600.0], [10.0, 25.0, 5.0])
    outcome, wait, _, log = serve(v, servers=(2,))
    assert outcome.tolist() == [SERVED] * 3
    np.testing.assert_allclose(wait, [0.0, 0.0, 10.0])


def test_balking_when_expected_wait_exceeds_threshold():
    # server busy 600-660; mean service 60 -> expected wait 60 > 30: balk at once
    v = make_visits([600.0, 601.0], [60.0, 10.0], balk=[BIG, 30.0])
    outcome, wait, stock, log = serve(v, mean=(60.0,))
    assert outcome.tolist() == [SERVED, BALKED]
    assert wait[1] == 0.0
    assert events(log, 101) == [(601.0, "arrive"), (601.0, "balk")]
    assert stock.tolist() == [999]


def test_no_balking_below_threshold_or_when_a_server_is_free():
    v = make_visits([600.0, 601.0], [60.0, 10.0], balk=[BIG, 90.0])
    outcome, wait, _, _ = serve(v, mean=(60.0,))
    assert outcome.tolist() == [SERVED, SERVED]
    assert wait[1] == pytest.approx(59.0)
    # a free server: nobody balks, whatever the threshold
    v = make_visits([600.0, 601.0], [60.0, 10.0], balk=[0.0, 0.0])
    outcome, _, _, _ = serve(v, servers=(2,), mean=(60.0,))
    assert outcome.tolist() == [SERVED, SERVED]


def test_balking_counts_the_queue_ahead():
    # one server busy, one already waiting: expected (1 + 1) * 20 = 40 min
    v = make_visits([600.0, 601.0, 602.0], [60.0, 10.0, 10.0], balk=[BIG, BIG, 35.0])
    outcome, _, _, _ = serve(v, mean=(20.0,))
    assert outcome.tolist() == [SERVED, SERVED, BALKED]
    v = make_visits([600.0, 601.0, 602.0], [60.0, 10.0, 10.0], balk=[BIG, BIG, 45.0])
    outcome, _, _, _ = serve(v, mean=(20.0,))
    assert outcome.tolist() == [SERVED, SERVED, SERVED]


def test_reneging_after_patience():
    v = make_visits([600.0, 605.0], [60.0, 10.0], patience=[BIG, 10.0])
    outcome, wait, stock, log = serve(v)
    assert outcome.tolist() == [SERVED, RENEGED]
    assert wait[1] == pytest.approx(10.0)
    assert events(log, 101) == [(605.0, "arrive"), (615.0, "renege")]
    assert stock.tolist() == [999]


def test_patient_visitor_is_served_when_server_frees():
    v = make_visits([600.0, 605.0], [60.0, 10.0], patience=[BIG, 56.0])
    outcome, wait, _, log = serve(v)
    assert outcome.tolist() == [SERVED, SERVED]
    assert wait[1] == pytest.approx(55.0)
    assert (660.0, "start") in events(log, 101)


def test_closing_turns_away_whoever_still_waits():
    v = make_visits([600.0, 610.0], [100.0, 10.0], patience=[BIG, 1000.0])
    outcome, wait, _, log = serve(v, close=(660.0,))
    assert outcome.tolist() == [SERVED, CLOSED]
    assert wait[1] == pytest.approx(50.0)
    assert events(log, 101) == [(610.0, "arrive"), (660.0, "closed")]
    # the customer already at the counter finishes after closing time
    assert events(log, 100)[-1] == (700.0, "done")


def test_arrival_after_closing_is_not_served():
    """Module contract: "service never starts after closing time"."""
    v = make_visits([1330.0], [10.0])
    outcome, _, _, log = serve(v, close=(1320.0,))
    starts = [t for t, _, _, e in log if e == "start"]
    assert all(t <= 1320.0 for t in starts), f"service started at {starts} after closing (1320)"
    assert outcome.tolist() == [CLOSED]


def test_stockout_for_the_second_served_visitor():
    v = make_visits([600.0, 700.0], [10.0, 10.0])
    outcome, wait, stock, log = serve(v, stock=(1,))
    assert outcome.tolist() == [SERVED, STOCKOUT]
    assert stock.tolist() == [0]
    assert events(log, 101) == [(700.0, "arrive"), (700.0, "stockout")]
    assert wait[1] == 0.0


def test_stores_are_independent():
    # store 0 congested, store 1 idle
    v = make_visits([600.0, 600.0, 600.0], [30.0, 30.0, 30.0], store=[0, 0, 1])
    outcome, wait, stock, _ = serve(v, servers=(1, 1), mean=(30.0, 30.0), close=(1320.0, 1320.0),
                                    stock=(5, 5))
    assert outcome.tolist() == [SERVED, SERVED, SERVED]
    np.testing.assert_allclose(wait, [0.0, 30.0, 0.0])
    assert stock.tolist() == [3, 4]


def test_empty_day():
    v = make_visits([], [])
    outcome, wait, stock, log = serve(v)
    assert outcome.size == wait.size == 0 and log == [] and stock.tolist() == [1000]


def test_every_visitor_arrives_once_and_ends_once_in_the_log():
    rng = np.random.default_rng(3)
    n = 60
    v = make_visits(rng.integers(600, 720, n).astype(float), rng.uniform(5, 40, n),
                    patience=rng.uniform(1, 60, n), balk=rng.uniform(5, 60, n))
    outcome, wait, _, log = serve(v, mean=(20.0,), close=(700.0,), stock=(40,))
    end_of = {SERVED: "done", BALKED: "balk", RENEGED: "renege", CLOSED: "closed", STOCKOUT: "stockout"}
    for i in range(n):
        ev = [e for _, _, c, e in log if c == 100 + i]
        assert ev[0] == "arrive" and ev.count("arrive") == 1
        assert ev[-1] == end_of[int(outcome[i])]
    assert (wait >= 0).all()
    assert set(np.unique(outcome).tolist()) >= {SERVED, BALKED}


def _random_instance(rng):
    s = int(rng.integers(1, 6))
    n = int(rng.integers(0, 60))
    servers = rng.integers(1, 4, s)
    mean = rng.uniform(5, 40, s)
    close = rng.integers(16, 23, s) * 60.0
    stock = rng.integers(1, 30, s)
    store = rng.integers(0, s, n)
    # integer minutes in a narrow window: many ties and many overlaps
    arrival = rng.integers(600, 600 + int(rng.integers(20, 400)), n).astype(float)
    service = np.where(rng.random(n) < 0.2, rng.integers(5, 30, n).astype(float), rng.uniform(2, 60, n))
    v = Visits(consumer=rng.permutation(n), store=store, arrival_min=arrival,
               patience_min=rng.uniform(0, 90, n), balk_min=rng.uniform(0, 90, n), service_min=service)
    return v, servers, mean, close, stock


def _same_day_two_ways(v, servers, mean, close, stock, first: dict, second: dict) -> np.ndarray:
    """Serve one day as ``simulate_day(**first)`` and ``(**second)``; return the outcomes.

    Asserts that outcomes, waits and the stock left are equal.
    """
    s_a, s_b = stock.copy(), stock.copy()
    o_a, w_a = simulate_day(v, servers, mean, close, s_a, **first)
    o_b, w_b = simulate_day(v, servers, mean, close, s_b, **second)
    np.testing.assert_array_equal(o_a, o_b)
    np.testing.assert_array_equal(w_a, w_b)
    np.testing.assert_array_equal(s_a, s_b)
    return o_b


def test_fast_path_gives_identical_outcomes_waits_and_stock():
    rng = np.random.default_rng(2024)
    quiet_seen = congested_seen = 0
    for _ in range(300):
        v, servers, mean, close, stock = _random_instance(rng)
        _same_day_two_ways(v, servers, mean, close, stock, {"fast_path": True, "engine": "simpy"},
                           {"fast_path": False, "engine": "simpy"})
        free = queue_free_stores(v, servers, stock, close)
        quiet_seen += int(free[np.unique(v.store)].sum()) if v.size else 0
        congested_seen += int((~free).sum())
    assert quiet_seen > 50 and congested_seen > 50      # both branches were exercised


def test_queue_free_stores_flags_congestion_short_stock_and_late_arrivals():
    # store 0: overlap on one server; store 1: back to back (end == next arrival) -> still flagged
    # store 2: spaced out; store 3: spaced out but more arrivals than stock; store 4: no visits;
    # store 5: spaced out but the second arrival comes at closing time
    v = make_visits(
        [600.0, 605.0, 600.0, 610.0, 600.0, 700.0, 600.0, 700.0, 600.0, 720.0],
        [10.0] * 10,
        store=[0, 0, 1, 1, 2, 2, 3, 3, 5, 5],
    )
    servers = np.ones(6, dtype=np.int64)
    stock = np.array([10, 10, 10, 1, 10, 10])
    close = np.array([1320.0, 1320.0, 1320.0, 1320.0, 1320.0, 720.0])
    free = queue_free_stores(v, servers, stock, close)
    assert free.tolist() == [False, False, True, False, True, False]
    # two servers absorb store 0's overlap
    free2 = queue_free_stores(v, np.array([2, 1, 1, 1, 1, 1]), stock, close)
    assert free2[0]


def test_queue_free_stores_are_really_queue_free():
    rng = np.random.default_rng(7)
    for _ in range(100):
        v, servers, mean, close, stock = _random_instance(rng)
        free = queue_free_stores(v, servers, stock, close)
        outcome, wait = simulate_day(v, servers, mean, close, stock.copy(), fast_path=False)
        quiet = free[v.store]
        assert (outcome[quiet] == SERVED).all()
        assert (wait[quiet] == 0).all()


def test_simulate_day_is_deterministic():
    rng = np.random.default_rng(11)
    v, servers, mean, close, stock = _random_instance(rng)
    a = serve(v, servers=servers, mean=mean, close=close, stock=stock)
    b = serve(v, servers=servers, mean=mean, close=close, stock=stock)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[3] == b[3]


def test_first_event_marks_the_first_possible_queue_stockout_or_closing():
    from sim.engine.service import first_event

    v = Visits(consumer=np.arange(6), store=np.array([0, 0, 0, 1, 1, 2]),
               arrival_min=np.array([600.0, 610.0, 620.0, 700.0, 705.0, 1330.0]),
               patience_min=np.full(6, 30.0), balk_min=np.full(6, 60.0),
               service_min=np.array([30.0, 30.0, 30.0, 10.0, 10.0, 10.0]))
    servers, stock = np.array([2, 5, 5]), np.array([10, 1, 10])
    t = first_event(v, servers, stock, np.array([1320.0, 1320.0, 1320.0]))
    # store 0: the third arrival finds both servers busy; store 1: the second exceeds stock;
    # store 2: arrives after closing
    assert t.tolist() == [620.0, 705.0, 1330.0]


def test_partial_simpy_days_equal_full_simpy_with_priorities():
    rng = np.random.default_rng(11)
    for _ in range(300):
        n_stores, n = int(rng.integers(1, 5)), int(rng.integers(0, 100))
        v = Visits(consumer=np.arange(n), store=rng.integers(0, n_stores, n),
                   arrival_min=rng.uniform(600, 1330, n).round(), patience_min=rng.gamma(3, 8, n),
                   balk_min=rng.uniform(5, 40, n), service_min=rng.uniform(5, 60, n),
                   priority=rng.integers(0, 2, n))
        servers, stock = rng.integers(1, 4, n_stores), rng.integers(3, 30, n_stores)
        s1, s2 = stock.copy(), stock.copy()
        close = np.full(n_stores, 1320.0)
        a = simulate_day(v, servers, np.full(n_stores, 30.0), close, s1, fast_path=True, engine="simpy")
        b = simulate_day(v, servers, np.full(n_stores, 30.0), close, s2, fast_path=False, engine="simpy")
        assert (a[0] == b[0]).all() and np.allclose(a[1], b[1]) and (s1 == s2).all()


def test_compiled_store_day_equals_simpy_with_ties_and_priorities():
    rng = np.random.default_rng(99)
    kinds = set()
    for trial in range(400):
        v, servers, mean, close, stock = _random_instance(rng)
        if trial % 2:
            v.priority = rng.integers(0, 2, v.size)
        for fast in (False, True):
            o_p = _same_day_two_ways(v, servers, mean, close, stock,
                                     {"fast_path": fast, "engine": "compiled"},
                                     {"fast_path": fast, "engine": "simpy"})
            kinds |= set(np.unique(o_p).tolist())
    assert kinds == {SERVED, BALKED, RENEGED, CLOSED, STOCKOUT}  # every outcome was compared


def test_unknown_store_day_engine_is_refused():
    v, servers, mean, close, stock = _random_instance(np.random.default_rng(3))
    with pytest.raises(ValueError, match="engine"):
        simulate_day(v, servers, mean, close, stock, fast_path=False, engine="nope")


def test_compiled_store_day_equals_simpy_with_whole_minute_ties():
    """Service ends, patience running out and arrivals on the same minute, on busy and quiet days.

    The replay settles a visitor granted on arrival, and a server's release, without queue
    events when nothing else happens at that minute; these days check that it does so only then.
    """
    rng = np.random.default_rng(5)
    for trial in range(300):
        v, servers, mean, close, stock = _random_instance(rng)
        n = v.size
        v.service_min, v.patience_min = v.service_min.round(), v.patience_min.round()
        if trial % 2:  # quiet: spread out, more servers, most served on arrival
            v.arrival_min = np.where(rng.random(n) < 0.3, v.arrival_min, rng.uniform(600, 1300, n))
            servers = servers + rng.integers(0, 3, servers.size)
        if trial % 3 == 0:
            v.priority = rng.integers(0, 2, n)
        _same_day_two_ways(v, servers, mean, close, stock, {"fast_path": False, "engine": "compiled"},
                           {"fast_path": False, "engine": "simpy"})
