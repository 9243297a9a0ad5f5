import numpy as np
import pytest

from sim.rules.codes import SERVED
from sim.viz.inside import MAX_LINES, STORE_DAYS, consumer_story, store_story


def busy_consumer(arm):
    """A consumer who visited a brand store and received a message."""
    for ev in arm.tap.events:
        for c, s, o in zip(ev.trip_consumer, ev.trip_store, ev.trip_outcome, strict=True):
            if arm.model.is_brand[s] and o == SERVED and any(c in e.msg_consumer for e in arm.tap.events):
                return int(c), ev.day, int(s)
    raise AssertionError("nobody visited a brand store after a message")


def test_a_consumers_journey_tells_messages_intents_visits_and_facts(stepped_dashboard):
    arm = stepped_dashboard.arms[0]
    who, day, store = busy_consumer(arm)
    story = consumer_story(arm, who)
    assert story.title == f"Consumer {who} in O2O"
    visit = f"Day {day}: went to store {store} (the brand's): bought"
    assert any(line.startswith(visit) for line in story.lines)
    assert any("received a push coupon" in line for line in story.lines)
    assert any(line.startswith(f"Day {day}: meant to go to store {store}") for line in story.lines)
    days = [int(line.split(":")[0].split()[1]) for line in story.lines]
    assert days == sorted(days, reverse=True) and len(story.lines) <= MAX_LINES  # newest first
    assert story.facts[0].startswith("Today: ")
    assert any(f.startswith("Bought at the brand") and not f.startswith("Bought at the brand 0 ")
               for f in story.facts)


def test_a_consumer_with_nothing_yet_says_so(stepped_dashboard):
    arm = stepped_dashboard.arms[0]
    touched = set()
    for ev in arm.tap.events:
        for part in (ev.msg_consumer, ev.intent_consumer, ev.trip_consumer, ev.reached, ev.share_sender):
            touched |= set(part.tolist())
    quiet = next(c for c in range(arm.model.population.size) if c not in touched)
    assert consumer_story(arm, quiet).lines == ["Nothing happened to this consumer yet: no message, share, "
                                                 "intent or visit."]


def test_a_stores_days_come_from_the_recorder(stepped_dashboard):
    arm = stepped_dashboard.arms[1]
    store = int(arm.model.brand_stores[0])
    story = store_story(arm, store)
    assert story.title == f"Store {store} in OMO" and "the brand's store" in story.facts[0]
    assert story.columns[:3] == ["day", "visits", "bought"]
    rows = arm.tap.store_rows
    assert len(story.rows) == min(STORE_DAYS, len(rows))
    latest = rows[-1]
    assert story.rows[0][:3] == [str(latest["day"][store]), str(latest["visits"][store]),
                                 str(latest["purchases"][store])]
    assert story.rows[0][-1] == f"{latest['rating'][store]:.2f}"


def test_ids_outside_the_city_are_refused(stepped_dashboard):
    arm = stepped_dashboard.arms[0]
    with pytest.raises(IndexError, match="allowed: 0 to"):
        consumer_story(arm, arm.model.population.size)
    with pytest.raises(IndexError, match="allowed: 0 to"):
        store_story(arm, -1)
    assert np.all(arm.stage >= 0)
