import numpy as np

from sim.engine.model import O2OModel


def _model(small_cfg, seed=0, **over):
    base = {"campaign.push_coupon.enabled": False, "campaign.brand_share": 0.5,
            "stores.servers_min": 1, "stores.servers_max": 1, "population.app_reach": 1.0}
    base.update(over)
    return O2OModel(small_cfg(base, seed=seed))


def _finish(model):
    for _ in range(model.cfg.days):
        model.step()
    return model


def _brand_total(model, column):
    brand = model.brand_stores
    return sum(int(r[column][brand].sum()) for r in model.recorder.store_rows)


def test_reservation_removes_the_wait_from_the_choice_and_the_queue(small_cfg):
    model = _model(small_cfg, **{"campaign.reservation.enabled": True})
    terms = model.utility_terms(0)
    lever = model.levers[0]
    lever.shape_choice(model, 0, terms)
    pop = model.population
    brand = np.isin(pop.slot_store, model.brand_stores) & pop.reachable[:, None]
    assert (np.broadcast_to(terms.wait_min, brand.shape)[brand] == 0).all()
    booked = _finish(model)
    plain = _finish(_model(small_cfg))
    assert booked.levers[0].bookings > 0
    assert _brand_total(booked, "balked") < _brand_total(plain, "balked")


def test_booked_visitors_go_first(small_cfg):
    from sim.engine.service import Visits, simulate_day

    v = Visits(consumer=np.arange(3), store=np.zeros(3, int), arrival_min=np.array([600.0, 601.0, 602.0]),
               patience_min=np.full(3, 500.0), balk_min=np.full(3, 1e9), service_min=np.full(3, 30.0),
               priority=np.array([1, 1, 0]))
    log = []
    simulate_day(v, np.array([1]), np.array([30.0]), np.array([1320.0]), np.array([10]), log)
    starts = [e[2] for e in log if e[3] == "start"]
    assert starts == [0, 2, 1]  # the booking (consumer 2) jumps the walk-in who came earlier


def test_realtime_info_prevents_trips_that_would_fail(small_cfg):
    over = {"campaign.realtime_info.enabled": True, "stores.stock_factor": 0.05}
    informed = _finish(_model(small_cfg, **over))
    assert informed.levers[0].visibility.avoided > 0
    assert _brand_total(informed, "balked") + _brand_total(informed, "stockouts") == 0
    blind = _finish(_model(small_cfg, **{"stores.stock_factor": 0.05}))
    assert _brand_total(blind, "balked") + _brand_total(blind, "stockouts") > 0
