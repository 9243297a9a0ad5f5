"""Look inside: one consumer's journey or one store's days, in plain sentences, from a city's records.

Core objects:
    * :class:`Story` - a title, a few facts and lines (newest first) or table rows.
    * :func:`consumer_story` - a consumer's journey so far: the messages they received (and
      whether they noticed), their intents, visits and orders (outcome, wait, coupon used,
      review, share) and the friends' shares they read, from the day events the
      :class:`~sim.viz.journey.DayTap` keeps.
    * :func:`store_story` - a store's days: visits, purchases, visitors who balked or gave up
      waiting, stock-outs, mean wait and rating, from the recorder's store rows.
    * :data:`LEVER_WORDS`, :data:`OUTCOME_WORDS`, :data:`CHANNEL_WORDS` - the engine's names
      and codes in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config import CATEGORIES
from sim.rules.codes import BALKED, CLOSED, DELIVERY, IN_STORE, PICKUP, RENEGED, SERVED, STOCKOUT
from sim.viz.journey import STAGES

__all__ = ["CHANNEL_WORDS", "LEVER_WORDS", "MAX_LINES", "OUTCOME_WORDS", "STORE_DAYS", "Story",
           "consumer_story", "store_story"]

#: Most lines of a consumer's journey shown (the newest).
MAX_LINES = 40
#: Days of a store shown (the latest).
STORE_DAYS = 10
LEVER_WORDS = {"push_coupon": "a push coupon", "crm": "a CRM message", "group_buy": "the group-buy deal",
               "omo": "an OMO offer", "reverse_o2o": "a member's message", "ads": "an ad",
               "referral": "a referral coupon", "ugc_reward": "a reward offer",
               "reservation": "a booking offer",
               "realtime_info": "live information"}
OUTCOME_WORDS = {SERVED: "bought", BALKED: "saw the queue and left (balked)", RENEGED: "gave up waiting",
                 CLOSED: "found it closing", STOCKOUT: "found it sold out"}
CHANNEL_WORDS = {IN_STORE: "went to", PICKUP: "ordered ahead and picked up at",
                 DELIVERY: "had delivered from"}


@dataclass
class Story:
    """What the look-inside panel shows.

    Attributes:
        title: who or what.
        facts: a few short facts.
        lines: events, newest first (a consumer).
        columns, rows: a table, latest day first (a store).
    """

    title: str
    facts: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _store_words(model, store: int) -> str:
    brand = " (the brand's)" if model.is_brand[store] else ""
    return f"store {store}{brand}"


def consumer_story(arm, consumer: int) -> Story:
    """The journey of ``consumer`` in ``arm`` (an :class:`~sim.viz.model.Arm`) so far.

    Raises:
        IndexError: for an id that is not a consumer of the city.
    """
    model = arm.model
    pop = model.population
    if not 0 <= consumer < pop.size:
        raise IndexError(f"consumer {consumer}; allowed: 0 to {pop.size - 1}")
    names = [lv.name for lv in model.levers]
    brand_xy = model.store_table.xy[model.brand_stores]
    nearest = (float(np.min(np.hypot(*(brand_xy - pop.home_xy[consumer]).T))) if brand_xy.size
               else float("nan"))
    lines, bought = [], 0
    for ev in arm.tap.events:
        day = []
        for lever, noticed in zip(ev.msg_lever[ev.msg_consumer == consumer],
                                  ev.msg_noticed[ev.msg_consumer == consumer], strict=True):
            what = LEVER_WORDS.get(names[lever], names[lever]) if 0 <= lever < len(names) else "a message"
            day.append(f"received {what}" + ("" if noticed else ", did not notice it"))
        if np.any(ev.reached == consumer):
            day.append("read a friend's share")
        for store in ev.intent_store[ev.intent_consumer == consumer]:
            day.append(f"meant to go to {_store_words(model, int(store))}")
        for k in np.flatnonzero(ev.trip_consumer == consumer):
            store, outcome, channel = int(ev.trip_store[k]), int(ev.trip_outcome[k]), int(ev.trip_channel[k])
            text = (f"{CHANNEL_WORDS.get(channel, 'went to')} {_store_words(model, store)}: "
                    f"{OUTCOME_WORDS.get(outcome, 'visited')}")
            if channel == IN_STORE and outcome != BALKED and ev.trip_wait[k] >= 0.5:
                text += f" after {ev.trip_wait[k]:.0f} min"
            if ev.trip_redeem[k]:
                text += ", used a coupon"
            if ev.trip_review[k]:
                text += ", posted a review"
            bought += bool(outcome == SERVED and model.is_brand[store])
            day.append(text)
        for store, valence in zip(ev.share_store[ev.share_sender == consumer],
                                  ev.share_valence[ev.share_sender == consumer], strict=True):
            mood = "good" if valence > 0 else "bad"
            day.append(f"shared a {mood} experience of {_store_words(model, int(store))} with friends")
        lines += [f"Day {ev.day}: {text}" for text in day]
    facts = [f"Today: {STAGES[int(arm.stage[consumer])]}",
             f"Lives {nearest:.1f} km from the nearest brand store",
             ("Member" if pop.member[consumer] else "Not a member") + " of the brand's programme",
             f"Bought at the brand {bought} time{'s' * (bought != 1)} in this run"]
    if not lines:
        lines = ["Nothing happened to this consumer yet: no message, share, intent or visit."]
    return Story(f"Consumer {consumer} in {arm.name}", facts, list(reversed(lines))[:MAX_LINES])


def store_story(arm, store: int) -> Story:
    """The latest days of ``store`` in ``arm``.

    Raises:
        IndexError: for an id that is not a store of the city.
    """
    model = arm.model
    table = model.store_table
    if not 0 <= store < table.count:
        raise IndexError(f"store {store}; allowed: 0 to {table.count - 1}")
    owner = ("the brand's store (it runs the campaign)" if model.is_brand[store]
             else "another merchant's store")
    facts = [f"A {CATEGORIES[int(table.category[store])]}, {owner}",
             f"{int(table.servers[store])} servers, open {int(table.open_hour[store]):02d}:00-"
             f"{int(table.close_hour[store]):02d}:00",
             f"Rating now {float(table.rating[store]):.2f} stars from {int(table.rating_n[store])} reviews"]
    columns = ["day", "visits", "bought", "balked", "gave up", "sold out", "wait, min", "rating"]
    rows = []
    for r in reversed(arm.tap.store_rows[-STORE_DAYS:]):
        wait = r["mean_wait_min"][store]
        rows.append([str(int(r["day"][store])), str(int(r["visits"][store])), str(int(r["purchases"][store])),
                     str(int(r["balked"][store])), str(int(r["reneged"][store])),
                     str(int(r["stockouts"][store])),
                     "-" if np.isnan(wait) else f"{wait:.1f}", f"{r['rating'][store]:.2f}"])
    return Story(f"Store {store} in {arm.name}", facts, columns=columns, rows=rows)
