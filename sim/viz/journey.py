"""Where each consumer stands in the journey towards the campaign's stores, read from model state.

Core objects:
    * :data:`STAGES` - the six journey stages, in funnel order: ``unaware``,
      ``aware``, ``intending``, ``visiting``, ``customer``, ``advocate``.
    * :class:`DayTap` - a :class:`~sim.outputs.recorder.DayRecorder` that also keeps what
      the engine hands the recorder each day and does not store elsewhere:
      today's intents, today's trips (consumer, store, channel, outcome) and the
      friends reached today by yesterday's shares. It counts exactly what the
      plain recorder counts (it only keeps copies).
    * :class:`DayEvents` - one day's copies, kept for every day of the run (the messages each
      consumer received, intents, trips, shares read and sent), so that a consumer's journey
      can be looked up afterwards (:mod:`sim.viz.inside`).
    * :func:`install_tap` - swaps a freshly built model's recorder for a
      :class:`DayTap` (the model builds a new, empty recorder after its warm-up,
      so nothing is lost).
    * :func:`campaign_stores` - the stores the journey is about: the brand's
      stores (QR joins, CRM, the OMO package) and the push campaign's
      participating stores.
    * :func:`journey_stages` - the stage of every consumer after the day just
      stepped.

How a stage is read (the first rule that holds wins, so today's activity shows
over standing state):

============  ================================================================
stage         model state
============  ================================================================
visiting      a trip to, or an order from, a campaign store today (the store
              day's visits: in store, pick-up or delivery, whatever the outcome)
intending     formed an intent today for a campaign store but did not go
              (the follow-through draw failed, or OMO's stock check called
              the trip off)
advocate      a customer (below) who shared a good experience of a campaign
              store within the last :data:`ADVOCATE_DAYS` days (the model's
              queued shares, valence +1)
customer      holds a purchase habit at a campaign store of at least
              :data:`CUSTOMER_HABIT` (``slot_habit``: +1 per purchase, decaying
              by ``behavior.habit_decay`` a day - with the default 0.9 one
              purchase stays above 0.25 for 13 days; customers who stop buying
              fall back to ``aware``)
aware         considers at least one campaign store (``slot_aware``)
unaware       none of the above
============  ================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.outputs.coupon_ledger import CouponLedger
from sim.outputs.recorder import DayRecorder
from sim.rules.codes import SERVED

__all__ = ["ADVOCATE_DAYS", "CUSTOMER_HABIT", "STAGES", "DayEvents", "DayTap", "campaign_stores",
           "install_tap", "journey_stages", "stage_counts"]

STAGES = ("unaware", "aware", "intending", "visiting", "customer", "advocate")
#: Habit stock (purchases, decaying daily) at a campaign store that makes a consumer a customer.
CUSTOMER_HABIT = 0.25
#: A positive share keeps a customer an advocate for this many days.
ADVOCATE_DAYS = 7

UNAWARE, AWARE, INTENDING, VISITING, CUSTOMER, ADVOCATE = range(len(STAGES))


@dataclass(frozen=True)
class DayEvents:
    """What happened to whom on one day (arrays; one entry per message, intent, trip or share).

    Attributes:
        day: the day.
        msg_consumer, msg_lever, msg_noticed: messages sent (recipient, sending lever's index,
            whether it was noticed).
        intent_consumer, intent_store: intents formed.
        trip_consumer, trip_store, trip_channel, trip_outcome, trip_wait, trip_redeem,
            trip_review, trip_share: trips and orders, with their outcome code, wait (minutes),
            and whether a coupon was redeemed, a review posted, the experience shared.
        reached: consumers who read a friend's share.
        share_sender, share_store, share_valence: shares posted today (read by friends tomorrow).
    """

    day: int
    msg_consumer: np.ndarray
    msg_lever: np.ndarray
    msg_noticed: np.ndarray
    intent_consumer: np.ndarray
    intent_store: np.ndarray
    trip_consumer: np.ndarray
    trip_store: np.ndarray
    trip_channel: np.ndarray
    trip_outcome: np.ndarray
    trip_wait: np.ndarray
    trip_redeem: np.ndarray
    trip_review: np.ndarray
    trip_share: np.ndarray
    reached: np.ndarray
    share_sender: np.ndarray
    share_store: np.ndarray
    share_valence: np.ndarray


class _LeverNote(CouponLedger):
    """The coupon ledger, noting the lever of the message batch being applied.

    The model records each lever's claimed coupons just before that lever's messages
    (``exposed``), so the note tells :class:`DayTap` which lever sent them.
    """

    lever = -1

    def claimed(self, day, lever, *args, **kwargs) -> None:
        """Note the lever, then record as the plain ledger does."""
        self.lever = int(lever)
        super().claimed(day, lever, *args, **kwargs)


class DayTap(DayRecorder):
    """The model's day recorder, keeping copies of today's intents, trips and shares received.

    Attributes:
        intent_consumer, intent_store: today's intents (consumer, chosen store).
        trip_consumer, trip_store, trip_channel, trip_served: today's visits and orders.
        trip_slot: the consideration slot of each trip (for its distance).
        reached_by_share: consumers who read a friend's share today.
        last_good_share: per consumer, the last day they shared a good experience of a
            campaign store (-inf = never since the tap was installed).
        events: one :class:`DayEvents` per recorded day.
    """

    def __init__(self, model):
        super().__init__(model)
        self.coupons = _LeverNote()
        self._clear_today()
        self.last_good_share = np.full(model.population.size, -np.inf)
        self.events: list[DayEvents] = []

    def _clear_today(self) -> None:
        empty = np.empty(0, dtype=np.int64)
        self.intent_consumer = self.intent_store = empty
        self.trip_consumer = self.trip_store = self.trip_slot = self.trip_channel = empty
        self.trip_served = np.empty(0, dtype=bool)
        self.trip_outcome = np.empty(0, dtype=np.int8)
        self.trip_wait = np.empty(0)
        self.trip_redeem = self.trip_review = self.trip_share = np.empty(0, dtype=bool)
        self.reached_by_share = empty
        self._messages: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def start_day(self, day: int) -> None:
        """Reset today's counters and copies."""
        super().start_day(day)
        self._clear_today()

    def exposed(self, targets: np.ndarray, noticed: np.ndarray, coupons: int) -> None:
        """A lever's messages (kept with the lever that sent them)."""
        super().exposed(targets, noticed, coupons)
        targets = np.asarray(targets, dtype=np.int64)
        self._messages.append((targets, np.full(targets.size, self.coupons.lever, dtype=np.int64),
                               np.isin(targets, noticed)))

    def shared_in(self, friends: np.ndarray) -> None:
        """Friends reached by yesterday's shares (kept for the network panel)."""
        super().shared_in(friends)
        self.reached_by_share = np.unique(friends)

    def intents(self, consumer: np.ndarray, slot: np.ndarray, day: int) -> None:
        """Consumers who decided to go today, and where."""
        super().intents(consumer, slot, day)
        self.intent_consumer = consumer.astype(np.int64)
        self.intent_store = self.model.population.slot_store[consumer, slot].astype(np.int64)

    def visits(self, visits, outcome, wait, slot, ticket, discount, redeem, review, share,
               channel=None, platform=None) -> None:
        """The day's visits (kept as trips for the map)."""
        super().visits(visits, outcome, wait, slot, ticket, discount, redeem, review, share, channel,
                       platform)
        self.trip_consumer = visits.consumer.astype(np.int64)
        self.trip_store = visits.store.astype(np.int64)
        self.trip_slot = np.asarray(slot, dtype=np.int64)
        self.trip_channel = (np.zeros(visits.size, dtype=np.int64) if channel is None
                             else np.asarray(channel, dtype=np.int64))
        self.trip_served = outcome == SERVED
        self.trip_outcome = np.asarray(outcome, dtype=np.int8).copy()
        self.trip_wait = np.asarray(wait, dtype=float).copy()
        self.trip_redeem, self.trip_review, self.trip_share = (np.asarray(a, dtype=bool).copy()
                                                               for a in (redeem, review, share))

    def end_day(self, day: int) -> None:
        """Close the day, note today's good shares about campaign stores, keep the day's events."""
        super().end_day(day)
        shares = self.model.pending_shares
        about = np.isin(shares["store"], campaign_stores(self.model))
        good = shares["sender"][about & (shares["valence"] > 0)]
        self.last_good_share[good] = day
        messages = [np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
                    for parts in zip(*self._messages, strict=True)] if self._messages else [
            np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)]
        self.events.append(DayEvents(
            day, *messages, self.intent_consumer, self.intent_store, self.trip_consumer, self.trip_store,
            self.trip_channel, self.trip_outcome, self.trip_wait, self.trip_redeem, self.trip_review,
            self.trip_share, self.reached_by_share, np.asarray(shares["sender"], dtype=np.int64).copy(),
            np.asarray(shares["store"], dtype=np.int64).copy(), np.asarray(shares["valence"]).copy()))


def install_tap(model) -> DayTap:
    """Give a freshly built model a :class:`DayTap` as its recorder.

    Raises:
        ValueError: if the model has already recorded a day (its counts would be lost).
    """
    if model.recorder.rows:
        raise ValueError(f"install_tap: the model has recorded {len(model.recorder.rows)} days; "
                         "allowed: a model straight after construction")
    model.recorder = DayTap(model)
    return model.recorder


def campaign_stores(model) -> np.ndarray:
    """Sorted ids of the brand's stores and of every lever's participating stores."""
    stores = [np.asarray(model.brand_stores)]
    stores += [np.asarray(lv.stores) for lv in model.levers if getattr(lv, "stores", None) is not None]
    return np.unique(np.concatenate(stores)).astype(np.int64)


def journey_stages(model, tap: DayTap) -> np.ndarray:
    """(N,) stage index (into :data:`STAGES`) of every consumer after the last step."""
    pop = model.population
    n = pop.size
    mine = np.zeros(model.store_table.count, dtype=bool)
    mine[campaign_stores(model)] = True
    slot_mine = (pop.slot_store >= 0) & mine[np.maximum(pop.slot_store, 0)]
    stage = np.full(n, UNAWARE, dtype=np.int8)
    stage[(pop.slot_aware & slot_mine).any(axis=1)] = AWARE
    customer = (np.where(slot_mine, pop.slot_habit, 0.0) >= CUSTOMER_HABIT).any(axis=1)
    stage[customer] = CUSTOMER
    today = model.day - 1  # the day just stepped
    stage[customer & (tap.last_good_share > today - ADVOCATE_DAYS)] = ADVOCATE
    intending = tap.intent_consumer[mine[tap.intent_store]] if tap.intent_consumer.size else []
    stage[intending] = INTENDING
    visiting = tap.trip_consumer[mine[tap.trip_store]] if tap.trip_consumer.size else []
    stage[visiting] = VISITING
    return stage


def stage_counts(stage: np.ndarray) -> dict[str, int]:
    """Consumers per stage, in :data:`STAGES` order."""
    counts = np.bincount(stage, minlength=len(STAGES))
    return {name: int(c) for name, c in zip(STAGES, counts, strict=True)}
