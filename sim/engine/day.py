"""The phases of one simulated day, as functions of the model and the day's state.

Core objects: :class:`DayState` (what one phase hands the next) and one function per phase,
named as in the day plan (:mod:`sim.engine.plan`, which chooses and orders them):

* 1. Plan - :func:`messages`: each lever's messages for today.
* 2. Online - :func:`exposures` (messages noticed, coupons claimed), :func:`shares` (yesterday's
  shares reach friends), :func:`decide` (utilities, intents, store choices, follow-through),
  :func:`channels` (levers that offer pick-up or delivery draw each intent's channel).
* 3. Offline - :func:`trips` (arrival, patience and service draws; bookings go first and never
  balk), :func:`store_day_compiled` / :func:`store_day_simpy` / :func:`store_day_unlimited`
  (queues, servers, stock), :func:`pickups` (orders collected from what stock is left),
  :func:`visibility` (failures shown online: trips not made, or delivered from pooled stock).
* 4. After - :func:`purchases` (tickets, baskets topped up to a minimum spend, coupons redeemed),
  :func:`experience` (satisfaction, reviews, ratings, shares, memory, waits), :func:`adoption`
  (Bass's adopters talk),
  :func:`night` (coupons lapse, stores are forgotten, habit and social proof decay),
  :func:`record` (the day's tallies), :func:`levers_after` (levers' bookkeeping).

Lever effects on phases 3-4 are data (:mod:`sim.levers.effects`): each rule that reads them
has one home here, and every day - with or without levers - runs the same compiled passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.engine.service import Visits, simulate_day
from sim.kernels import visit_outcome
from sim.kernels.arrivals import arrivals
from sim.kernels.slot_upkeep import forget_and_lapse
from sim.levers.base import DayOutcome
from sim.random import keyed
from sim.rules import basket, behavior
from sim.rules import channels as channel_rules
from sim.rules.codes import BALKED, DELIVERY, IN_STORE, PICKUP, SERVED, STOCKOUT
from sim.world.city import trip_utils

__all__ = ["DayState", "adoption", "channels", "decide", "experience", "exposures", "levers_after",
           "messages", "night", "pickups", "purchases", "record", "shares", "store_day_compiled",
           "store_day_simpy", "store_day_unlimited", "trips", "visibility"]


@dataclass
class DayState:
    """What the day's phases hand each other (arrays over intents, then over trips).

    Attributes:
        day: today.
        levers: the levers acting today.
        exposures: the levers' messages (1. Plan).
        intent, intent_slot, follow, intent_channel: who intends to go, to which slot, whether
            they make the trip, by which channel (2. Online).
        visits, slot, channel, outcome, wait: the trips and what became of them (3. Offline).
        ticket, redeem, discount, platform, disconfirmation, review, share, served: the
            purchases and their consequences (4. After); ``disconfirmation`` is the satisfaction
            (disconfirmation plus perceived value).
        satisfaction_class, valence, stars: each visit's satisfaction class
            (:data:`sim.rules.behavior.SATISFACTION_CLASSES`), the social proof its share carries and
            its review's stars.
        topup: whether each trip's basket was topped up to its coupon's minimum spend.
        at: each trip's flat slot index (``consumer * K + slot``).
        z_ticket, z_experience: each trip's normal draws for the ticket and the experience.
    """

    day: int
    levers: list
    exposures: list = field(default_factory=list)
    intent: np.ndarray | None = None
    intent_slot: np.ndarray | None = None
    follow: np.ndarray | None = None
    intent_channel: np.ndarray | None = None
    visits: Visits | None = None
    slot: np.ndarray | None = None
    channel: np.ndarray | None = None
    outcome: np.ndarray | None = None
    wait: np.ndarray | None = None
    ticket: np.ndarray | None = None
    redeem: np.ndarray | None = None
    discount: np.ndarray | None = None
    platform: np.ndarray | None = None
    disconfirmation: np.ndarray | None = None
    review: np.ndarray | None = None
    share: np.ndarray | None = None
    served: np.ndarray | None = None
    satisfaction_class: np.ndarray | None = None
    valence: np.ndarray | None = None
    stars: np.ndarray | None = None
    topup: np.ndarray | None = None
    at: np.ndarray | None = None
    z_ticket: np.ndarray | None = None
    z_experience: np.ndarray | None = None


# ---------------------------------------------------------------------------- 1. plan
def messages(model, s: DayState) -> None:
    """Each lever decides today's messages within its budget and frequency cap."""
    for lever in s.levers:
        lever.new_day()
    plans = [lever.plan(model, s.day) for lever in s.levers]
    s.exposures = [p for p in plans if p is not None and p.size]


# ---------------------------------------------------------------------------- 2. online
def exposures(model, s: DayState) -> None:
    """Messages reach consumers, who notice them or not; coupons are claimed; prompts set."""
    model.apply_exposures(s.day, s.exposures)


def shares(model, s: DayState) -> None:
    """Yesterday's shares reach friends: awareness and social proof."""
    model.hear_shares(s.day)


def decide(model, s: DayState) -> None:
    """Utilities, logsums and the draws: who intends to visit, where, and who follows through."""
    s.intent, s.intent_slot, s.follow = model.decide(s.day)
    s.intent_channel = np.zeros(s.intent.size, dtype=np.int8)  # in store unless a lever offers another


def channels(model, s: DayState) -> None:
    """Each intent at a store of the day's channel nest draws its channel; levers' own hooks follow.

    The nest (:class:`~sim.levers.effects.ChannelNest`) offers pick-up and delivery beside the
    visit; an intent's channel is drawn from the channel logit of :mod:`sim.rules.channels`,
    with the same differences the decision pass valued the nest by.
    """
    nest = model.plan.nest
    if nest is not None and s.intent.size:
        pop, t, b = model.population, model.store_table, model.cfg.behavior
        store = pop.slot_store[s.intent, s.intent_slot]
        offered = np.flatnonzero(nest.stores[store] & nest.consumers[s.intent])
        c, store = s.intent[offered], store[offered]
        m, vot = pop.money_weight[c].astype(np.float64), pop.value_of_time[c].astype(np.float64)
        distance = pop.slot_distance[c, s.intent_slot[offered]]
        log_beta = b.beta_log_distance if b.distance_form == "log" else None
        travel = trip_utils(distance, m, vot, model.cfg.city, log_beta)
        wait_utils = m * vot * b.wait_aversion * t.expected_wait_min[store].astype(np.float64) / 60.0
        pick, deliver = channel_rules.deltas_at(wait_utils, travel, m, distance, nest.params)
        s.intent_channel[offered] = channel_rules.draw_channels(pick, deliver, model.uniforms(nest.stream, c))
    for lever in s.levers:
        lever.assign_channels(model, s.day, s.intent, s.intent_slot, s.intent_channel)


# ---------------------------------------------------------------------------- 3. offline
def trips(model, s: DayState) -> None:
    """Intenders who follow through: their arrival, patience, balking and service draws.

    A booking (:class:`~sim.levers.effects.Booking`) is an in-store visit, to a store that takes
    bookings, by a consumer reachable online: it goes ahead of walk-ins (priority 0) and never
    balks; the day's bookings are counted per store.
    """
    pop, t = model.population, model.store_table
    model.recorder.intents(s.intent, s.intent_slot, s.day)
    c, s.slot, s.channel = s.intent[s.follow], s.intent_slot[s.follow], s.intent_channel[s.follow]
    keys = tuple(model.draw_key(name) for name in ("arrival:hour", "arrival:minute", "service:patience",
                                                     "service:time"))
    s.visits = arrivals(pop, t, model.hour_cdf, c, s.slot, keys)
    for booking in model.plan.bookings:
        booked = booking.stores[s.visits.store] & pop.reachable[s.visits.consumer] & (s.channel == IN_STORE)
        s.visits.priority[booked] = 0
        s.visits.balk_min[booked] = np.inf
        booking.today = np.bincount(s.visits.store[booked], minlength=t.count)


def _serve_in_store(model, s: DayState, day_log: list | None) -> None:
    t = model.store_table
    stock = t.stock.copy()
    in_store = s.channel == IN_STORE
    close = t.close_hour * 60.0
    if in_store.all():  # every trip queues in store: no subset to take, nothing to scatter
        s.outcome, s.wait = simulate_day(s.visits, t.servers, t.service_min, close, stock, day_log)
    else:
        s.outcome, s.wait = np.full(s.visits.size, SERVED, dtype=np.int8), np.zeros(s.visits.size)
        s.outcome[in_store], s.wait[in_store] = simulate_day(s.visits.subset(in_store), t.servers,
                                                             t.service_min, close, stock, day_log)
    model.stock_left = stock


def store_day_compiled(model, s: DayState) -> None:
    """The store day in the compiled replay of SimPy's rules: queues, servers, balking, closing, stock."""
    _serve_in_store(model, s, None)


def store_day_simpy(model, s: DayState) -> None:
    """The store day in SimPy itself, keeping its event log (``O2OModel(keep_event_log=True)``)."""
    day_log: list = []
    _serve_in_store(model, s, day_log)
    model.event_log.extend((s.day, *event) for event in day_log)


def store_day_unlimited(model, s: DayState) -> None:
    """Stores without a capacity limit: everyone is served at once, from endless stock."""
    s.outcome, s.wait = np.full(s.visits.size, SERVED, dtype=np.int8), np.zeros(s.visits.size)
    model.stock_left = model.store_table.stock.copy()


def pickups(model, s: DayState) -> None:
    """Pick-ups skip the queue and take what stock is left, in order of arrival (deliveries need no trip)."""
    pick = np.flatnonzero(s.channel == PICKUP)
    if not pick.size:
        return
    store, stock = s.visits.store, model.stock_left
    pick = pick[np.lexsort((s.visits.arrival_min[pick], store[pick]))]
    first = np.r_[0, np.flatnonzero(np.diff(store[pick])) + 1]
    position = np.arange(pick.size) - np.repeat(first, np.diff(np.r_[first, pick.size]))
    short = position >= stock[store[pick]]
    s.outcome[pick[short]] = STOCKOUT
    np.subtract.at(stock, store[pick[~short]], 1)


def visibility(model, s: DayState) -> None:
    """Failures shown online (queues, empty shelves) stop the trips that would meet them.

    The rules (:class:`~sim.levers.effects.Visibility`) apply in the levers' order. A consumer
    reachable online who would find a shown store sold out (in store; without
    ``in_store_only``, any channel but delivery) does not go; with pooled delivery the order
    is delivered instead from the stock the rule's stores have left (first come, first
    served; each unit from the store with the most left, ties to the lowest id). One who
    would balk at a shown queue (in store) does not go either. Trips not made leave the
    day's records.
    """
    pop, v = model.population, s.visits
    keep = np.ones(v.size, dtype=bool)
    reachable = pop.reachable[v.consumer]
    for rule in model.plan.visibilities:
        shown = rule.stores[v.store] & reachable & keep
        if rule.stockout:
            channel_ok = (s.channel == IN_STORE) if rule.in_store_only else (s.channel != DELIVERY)
            sold_out = np.flatnonzero(shown & (s.outcome == STOCKOUT) & channel_ok)
            rule.avoided += int(sold_out.size)
            if rule.pooled_delivery and sold_out.size:
                stores = np.flatnonzero(rule.stores)
                left = np.maximum(model.stock_left[stores], 0)
                sold_out = sold_out[np.argsort(v.arrival_min[sold_out], kind="stable")]
                filled, sold_out = sold_out[:int(left.sum())], sold_out[int(left.sum()):]
                s.outcome[filled] = SERVED
                s.channel[filled] = DELIVERY
                most_left_first = stores[np.argsort(-left, kind="stable")]
                source = np.repeat(most_left_first, np.sort(left)[::-1])[:filled.size]
                np.subtract.at(model.stock_left, source, 1)
                rule.pooled += int(filled.size)
            keep[sold_out] = False
        if rule.balk:
            fails = (s.outcome == BALKED) | (s.outcome == STOCKOUT)
            balked = shown & keep & (s.channel == IN_STORE) & fails
            rule.avoided += int(balked.sum())
            keep[balked] = False
    if not keep.all():
        s.visits, s.outcome, s.wait = s.visits.subset(keep), s.outcome[keep], s.wait[keep]
        s.slot, s.channel = s.slot[keep], s.channel[keep]


# ---------------------------------------------------------------------------- 4. after
def purchases(model, s: DayState) -> None:
    """Tickets of the purchases; held coupons redeemed (valid, minimum spend reached, within the cap)."""
    pop, t = model.population, model.store_table
    s.wait[s.channel != IN_STORE] = 0.0  # an order made online never queued
    model.recorder.arrivals(s.visits.consumer, s.slot, s.day)
    c = s.visits.consumer
    s.served = s.outcome == SERVED
    s.z_ticket, s.z_experience = keyed.normal_rows([model.draw_key("experience:ticket"),
                                                    model.draw_key("experience:quality")], c)
    s.ticket = behavior.ticket(t.price[s.visits.store], s.z_ticket)
    s.at = c.astype(np.int64) * pop.slots + s.slot  # flat slot index: cheaper than [c, slot] pairs
    s.topup = np.zeros(c.size, dtype=bool)
    if model.may_hold_coupons and model.cfg.behavior.topup_rate > 0:
        _top_up(model, s)
    s.redeem, s.discount, s.platform = model.redeem(s.day, c, s.at, s.visits.store, s.ticket, s.served)


def _top_up(model, s: DayState) -> None:
    """Baskets a little below a held coupon's minimum spend are topped up to it (:mod:`sim.rules.basket`).

    A candidate tops up when its uniform of the keyed stream ``experience:topup`` is below its
    chance; its ticket becomes the minimum spend, which the recorder counts with the extra spend.
    """
    b, c = model.cfg.behavior, s.visits.consumer
    rows, chance, threshold = basket.top_ups(model.population, s.at, c, s.ticket, s.served, s.day,
                                             b.topup_rate, b.topup_gap_multiple)
    if not rows.size:
        return
    up = model.uniforms("experience:topup", c[rows]) < chance
    rows, threshold = rows[up], threshold[up]
    extra = threshold - s.ticket[rows]
    s.ticket[rows] = threshold
    s.topup[rows] = True
    model.recorder.topups(int(rows.size), float(extra.sum()))


def experience(model, s: DayState) -> None:
    """Satisfaction against expectation; reviews update ratings; shares queue for tomorrow; memory, waits.

    Review and share chances are multiplied per store by the levers' engagement rules
    (:class:`~sim.levers.effects.Engagement`), capped at 1.
    """
    pop, t, b = model.population, model.store_table, model.cfg.behavior
    c, store = s.visits.consumer, s.visits.store
    (experienced, s.disconfirmation, p_review, p_share, s.satisfaction_class, s.valence,
     s.stars) = visit_outcome.feelings(pop, s.at, c, store, t.rating, t.quality, s.z_experience, s.wait,
                                       s.served, b, model.cfg.wom, model.price_ratio, s.ticket, s.discount,
                                       s.redeem)
    for rule in model.plan.engagements:
        np.minimum(1.0, p_review * rule.review[store], out=p_review)
        np.minimum(1.0, p_share * rule.share[store], out=p_share)
    queued = (s.outcome != BALKED) & (s.channel == IN_STORE)  # pick-ups and deliveries never wait
    s.review, s.share, model.pending_shares = visit_outcome.settle(
        pop, t, s.at, c, store, experienced, s.disconfirmation, s.served, queued, s.wait, p_review, p_share,
        model.draw_key("experience:review"), model.draw_key("experience:share"), s.day, b, s.stars, s.valence)


def adoption(model, s: DayState) -> None:
    """Adoption "once" (Bass): a first purchase adopts; every adopter tells the market each day."""
    c, store = s.visits.consumer, s.visits.store
    first = s.served & (model.adopted_store[c] < 0)
    model.adopted_store[c[first]] = store[first]
    talkers = np.flatnonzero(model.adopted_store >= 0)
    model.pending_shares = {"sender": talkers, "store": model.adopted_store[talkers].astype(np.int64),
                            "valence": np.ones(talkers.size, dtype=np.float32)}


def night(model, s: DayState) -> None:
    """Coupons past their last day lapse; stores long without contact are forgotten; habit and proof decay.

    Habit decays in the same pass, then today's purchases add to it (decay, then +1, or the buyer's
    habit gain with segments); social proof decays for tomorrow (nothing reads it before tomorrow's
    shares and decisions). Today's purchases meet their categories' needs, and a day passes for
    every need (:class:`~sim.world.needs.Needs`).
    """
    pop, b = model.population, model.cfg.behavior
    bought = s.visits.consumer[s.served], s.visits.store[s.served]
    model.needs.bought(bought[0], model.store_table.category[bought[1]])
    model.needs.night()
    ticket = s.ticket[s.served]
    model.reference_prices.update(*bought, 1.0 - s.discount[s.served] / ticket, s.redeem[s.served])
    if s.day >= 0:
        model.coupon_book.expire(s.day)
    gains = pop.habit_gain[s.visits.consumer[s.served]] if model.segments.habit_weighted else None
    _, held = forget_and_lapse(pop, s.day, b.forget_after_days, b.forget_rate,
                               model.draw_key("experience:forget"), lapse=model.may_hold_coupons,
                               habit_decay=b.habit_decay, social_decay=b.social_decay, visited=s.at[s.served],
                               gains=gains)
    model.may_hold_coupons = held > 0


def record(model, s: DayState) -> None:
    """The day's visits, purchases, money, reviews and shares to the recorder and the ledger."""
    model.recorder.visits(s.visits, s.outcome, s.wait, s.slot, s.ticket, s.discount, s.redeem, s.review,
                          s.share, s.channel, s.platform)
    model.recorder.posts(s.visits.consumer, s.visits.store, s.outcome, s.redeem, s.review, s.stars,
                         s.satisfaction_class, s.share, s.valence)
    model.deal_returns.update(s.day, s.visits.consumer, s.visits.store, s.served, s.redeem, model.is_brand)


def levers_after(model, s: DayState) -> None:
    """Levers react to the day's visits: members' points, CRM records, rewards, referrals, bookings paid."""
    outcome = DayOutcome(consumer=s.visits.consumer, store=s.visits.store, slot=s.slot, channel=s.channel,
                         outcome=s.outcome, served=s.served, wait=s.wait, ticket=s.ticket,
                         discount=s.discount,
                         redeem=s.redeem, review=s.review, share=s.share, disconfirmation=s.disconfirmation)
    for lever in s.levers:
        lever.after_visits(model, s.day, outcome)
