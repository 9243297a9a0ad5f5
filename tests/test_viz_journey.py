import numpy as np
import pytest
from conftest import make_cfg

from sim.engine.model import O2OModel
from sim.viz.journey import (
    ADVOCATE_DAYS,
    CUSTOMER_HABIT,
    STAGES,
    DayTap,
    campaign_stores,
    install_tap,
    journey_stages,
    stage_counts,
)


@pytest.fixture(scope="module")
def stepped():
    cfg = make_cfg({"campaign.reverse_o2o.enabled": True}, days=20)
    model = O2OModel(cfg)
    tap = install_tap(model)
    for _ in range(8):
        model.step()
    return model, tap


def test_tap_counts_exactly_what_the_plain_recorder_counts():
    cfg = make_cfg(days=12)
    plain, tapped = O2OModel(cfg), O2OModel(cfg)
    install_tap(tapped)
    for _ in range(6):
        plain.step()
        tapped.step()
    assert isinstance(tapped.recorder, DayTap)
    assert tapped.recorder.rows == plain.recorder.rows


def test_install_tap_refuses_a_model_that_has_recorded_days():
    model = O2OModel(make_cfg(days=5))
    model.step()
    with pytest.raises(ValueError, match="recorded 1 days"):
        install_tap(model)


def test_tap_keeps_todays_trips_intents_and_shares(stepped):
    model, tap = stepped
    today = tap.rows[-1]
    assert tap.trip_consumer.size == today["visits"] > 0
    assert tap.intent_consumer.size == today["intents"] >= tap.trip_consumer.size
    assert tap.trip_served.sum() == today["purchases"]
    assert np.all(model.population.last_visit_day[tap.trip_consumer] == model.day - 1)
    # each trip's slot holds the store it went to
    pop = model.population
    assert np.array_equal(pop.slot_store[tap.trip_consumer, tap.trip_slot], tap.trip_store)


def test_campaign_stores_are_the_brand_and_the_participating_stores(stepped):
    model, _ = stepped
    stores = campaign_stores(model)
    push = next(lv for lv in model.levers if lv.name == "push_coupon")
    assert set(model.brand_stores) <= set(stores)
    assert set(push.stores) <= set(stores)
    assert stores.size == np.union1d(model.brand_stores, push.stores).size


def test_stages_follow_the_documented_rules(stepped):
    model, tap = stepped
    stage = journey_stages(model, tap)
    pop = model.population
    mine = np.isin(pop.slot_store, campaign_stores(model))
    visiting = np.unique(tap.trip_consumer[np.isin(tap.trip_store, campaign_stores(model))])
    assert visiting.size > 0
    assert np.all(stage[visiting] == STAGES.index("visiting"))
    assert (stage == STAGES.index("visiting")).sum() == visiting.size
    unaware = stage == STAGES.index("unaware")
    assert not (pop.slot_aware & mine)[unaware].any()
    loyal = np.isin(stage, [STAGES.index("customer"), STAGES.index("advocate")])
    assert np.all((np.where(mine, pop.slot_habit, 0) >= CUSTOMER_HABIT).any(axis=1)[loyal])
    counts = stage_counts(stage)
    assert list(counts) == list(STAGES)
    assert sum(counts.values()) == pop.size
    assert counts["customer"] > 0 and counts["aware"] > 0


def test_a_customer_who_shared_well_recently_is_an_advocate(stepped):
    model, tap = stepped
    stage = journey_stages(model, tap)
    customers = np.flatnonzero(stage == STAGES.index("customer"))
    who = customers[0]
    saved = tap.last_good_share[who]
    try:
        tap.last_good_share[who] = model.day - 1
        assert journey_stages(model, tap)[who] == STAGES.index("advocate")
        tap.last_good_share[who] = model.day - 1 - ADVOCATE_DAYS
        assert journey_stages(model, tap)[who] == STAGES.index("customer")
    finally:
        tap.last_good_share[who] = saved


def test_a_customer_whose_habit_fades_falls_back_to_aware(stepped):
    model, tap = stepped
    stage = journey_stages(model, tap)
    pop = model.population
    who = np.flatnonzero(stage == STAGES.index("customer"))[0]
    saved = pop.slot_habit[who].copy()
    try:
        pop.slot_habit[who] = 0.0
        assert journey_stages(model, tap)[who] == STAGES.index("aware")
    finally:
        pop.slot_habit[who] = saved


def test_tap_keeps_every_days_events_with_the_sending_lever(stepped):
    model, tap = stepped
    assert [ev.day for ev in tap.events] == [r["day"] for r in tap.rows]
    names = [lv.name for lv in model.levers]
    for ev, row in zip(tap.events, tap.rows, strict=True):
        assert ev.trip_consumer.size == row["visits"] and ev.intent_consumer.size == row["intents"]
        assert int((ev.trip_outcome == 0).sum()) == row["purchases"]  # SERVED
        assert ev.msg_consumer.size == ev.msg_lever.size == ev.msg_noticed.size
        assert set(ev.msg_lever.tolist()) <= set(range(len(names)))
    sent = [ev for ev in tap.events if ev.msg_consumer.size]
    assert sent and all(names[lv] == "push_coupon" for ev in sent for lv in ev.msg_lever)
    assert any(ev.msg_noticed.any() and not ev.msg_noticed.all() for ev in sent)
    last = tap.events[-1]
    assert np.array_equal(last.share_sender, model.pending_shares["sender"])
