"""A day without levers, from the trips to the nightly pass, in three compiled calls.

Core functions: :func:`applies` and :func:`trips_to_night`. On a day when no lever acts (no
campaign, or the warm-up), nothing outside the engine reads or changes the day between the
trips and the night. The model's offline and after-visit steps
(:meth:`sim.engine.model.O2OModel._offline`, :meth:`~sim.engine.model.O2OModel._after`: arrivals, the
store day, the visits' sources, the experience, reviews, shares, memory and expected waits,
forgetting) then run as compositions of the same compiled passes, without going back to
Python between them: :func:`_trips` (who makes the trip, and the trip's draws), numpy's vectorised
``log1p`` of the service draws (as :func:`sim.kernels.arrivals.arrivals`), :func:`_visit_day`
(everything else), and the tickets from their draws (:func:`sim.rules.behavior.ticket`, as the
model). Every rule is
written once, in the passes it calls; the numbers are the same bits as the model's general
path (``tests/test_quiet_day.py`` runs both on the same days).
"""

from __future__ import annotations

import numpy as np

from sim.engine.service import Visits
from sim.kernels.arrivals import _service_times, _trip_draws
from sim.kernels.jit import njit
from sim.kernels.slot_upkeep import _forget_and_lapse
from sim.kernels.store_day import _serve_day
from sim.kernels.visit_outcome import _feelings, _settle, feeling_constants
from sim.outputs.recorder import SHARE_ATTRIBUTION_WEIGHT, _attribute, _lever_masks
from sim.random.keyed import _normal_at
from sim.rules import behavior
from sim.rules.codes import BALKED, SERVED

__all__ = ["applies", "trips_to_night"]


def applies(model) -> bool:
    """Whether today's trips can go through :func:`trips_to_night` (no lever, nothing the general path adds).

    Not with an active lever (its hooks sit between the steps), a coupon that may still be
    held (redemptions), a SimPy event log, stores without a capacity limit, or adoption
    "once" (adopters' shares).
    """
    return (not model.active_levers and not model.may_hold_coupons and model.event_log is None
            and model.cfg.stores.capacity_limited and model.cfg.behavior.adoption != "once")


@njit(cache=True)
def _trips(intent, chosen, follow, slot_store, hour_cdf, hour_key, minute_key, patience_key, service_key,
           patience_shape, patience_min, patience_scale, balk_wait_min):
    """Who follows through, their slots and stores, and their arrival, patience, balking and service draws.

    Returns ``(consumer, slot, store, draws)`` with ``draws`` rows arrival, patience, balk,
    ``-u`` of the service draw (its ``log1p`` next) and a row for the service time.
    """
    n = 0
    for r in range(follow.size):
        n += follow[r]
    consumer = np.empty(n, dtype=np.int64)
    slot = np.empty(n, dtype=np.int64)
    v = 0
    for r in range(follow.size):
        if follow[r]:
            consumer[v] = intent[r]
            slot[v] = chosen[r]
            v += 1
    store = np.empty(n, dtype=np.int64)
    draws = np.empty((5, n))
    _trip_draws(consumer, slot, slot_store, hour_cdf, hour_key, minute_key, patience_key, service_key,
                patience_shape, patience_min, patience_scale, balk_wait_min,
                store, draws[0], draws[1], draws[2], draws[3])
    return consumer, slot, store, draws


@njit(cache=True)
def _visit_day(consumer, slot, store, draws, service_min, min_service_min, servers, close, stock,
               record, crm, ad, share_weight, slot_coupon, slot_coupon_expiry, slot_coupon_lever, slot_prompt,
               slot_prompt_lever, slot_social, slot_memory, slot_aware, slot_touched, slot_habit,
               ticket_key, quality_key, rating_sum, rating_n, store_rating, quality, trust, review_propensity,
               share_propensity, feeling_constants, review_key, share_key, expected_wait, wait_memory, day,
               memory_weight, last_visit, purchases, satisfaction,
               forget_key, idle_before, forget_rate, habit_decay, social_decay):
    """Service, store day, sources, experience, reviews, shares, memory, expected waits and the night.

    The model's order: the store day serves (stock copied: each day opens full); with
    ``record``, each visit's source is read before anything changes and the ticket's normal is
    drawn; the feelings read memory and the ratings (``store_rating``, the day's
    :attr:`~sim.world.stores.StoreTable.rating`) before :func:`_settle` updates them; the
    nightly pass (no coupon held) then decays, forgets and adds today's purchases to habit.

    Returns:
        ``(service, outcome, wait, source, z_ticket, review, share, sender, share_store,
        valence)``; ``source`` and ``z_ticket`` are empty without ``record``.
    """
    n = consumer.size
    k = slot_memory.shape[1]
    service = draws[4]
    _service_times(store, draws[3], service_min, min_service_min, service)
    outcome = np.zeros(n, dtype=np.int8)
    wait = np.zeros(n)
    _serve_day(store, draws[0], draws[1], draws[2], service, np.ones(n, dtype=np.int64), servers, service_min,
               close, stock.copy(), outcome, wait)
    source = np.empty(n if record else 0, dtype=np.int8)
    z_ticket = np.empty(n if record else 0)
    if record:
        _attribute(slot_coupon, slot_coupon_expiry, slot_coupon_lever, slot_prompt, slot_prompt_lever,
                   slot_social, slot_memory, consumer, slot, day, crm, ad, share_weight, source)
        for v in range(n):
            z_ticket[v] = _normal_at(ticket_key, consumer[v])
    at = np.empty(n, dtype=np.int64)
    served = np.empty(n, dtype=np.bool_)
    queued = np.empty(n, dtype=np.bool_)
    z_exp = np.empty(n)
    for v in range(n):
        at[v] = consumer[v] * k + slot[v]
        served[v] = outcome[v] == SERVED
        queued[v] = outcome[v] != BALKED  # (every visit is in store)
        z_exp[v] = _normal_at(quality_key, consumer[v])
    memory = slot_memory.reshape(-1)
    feel = np.empty((4, n))
    _feelings(memory, at, consumer, store, store_rating, quality, trust, review_propensity, share_propensity,
              z_exp, wait, served, feeling_constants, feel[0], feel[1], feel[2], feel[3])
    review = np.empty(n, dtype=np.bool_)
    share = np.empty(n, dtype=np.bool_)
    touched = slot_touched.reshape(-1)
    sender, share_store, valence = _settle(
        at, consumer, store, feel[0], feel[1], served, queued, wait, feel[2], feel[3], review_key, share_key,
        rating_sum, rating_n, expected_wait, wait_memory, memory, touched, day, memory_weight, last_visit,
        purchases, satisfaction, review, share)
    visited = np.empty(n, dtype=np.int64)
    n_visited = 0
    for v in range(n):
        visited[n_visited] = at[v]
        n_visited += served[v]
    _forget_and_lapse(slot_aware.reshape(-1), touched, memory, slot_habit.reshape(-1),
                      slot_social.reshape(-1), None, forget_key, idle_before, forget_rate, habit_decay,
                      social_decay, day, visited[:n_visited])
    return service, outcome, wait, source, z_ticket, review, share, sender, share_store, valence


def trips_to_night(model, day: int, intent: np.ndarray, slot: np.ndarray, follow: np.ndarray) -> None:
    """Today's trips, store day, experiences and night for a day :func:`applies` to.

    Args:
        model: the :class:`~sim.engine.model.O2OModel`; its population, store table, recorder and
            pending shares are updated as its general path would.
        day: today.
        intent: (I,) consumers who intend to visit (from :meth:`~sim.engine.model.O2OModel._online_decide`).
        slot: (I,) the slot of the store each chose.
        follow: (I,) whether each makes the trip.
    """
    pop, t, b, recorder = model.population, model.store_table, model.cfg.behavior, model.recorder
    recorder.intents(intent, slot, day)
    consumer, slot, store, draws = _trips(
        intent, slot.astype(np.int64, copy=False), follow, pop.slot_store, model.hour_cdf,
        model.draw_key("arrival:hour"), model.draw_key("arrival:minute"), model.draw_key("service:patience"),
        model.draw_key("service:time"), float(t.patience_shape), t.patience_min, pop.patience_scale,
        t.balk_wait_min)
    np.log1p(draws[3], out=draws[3])  # numpy's vectorised log1p, as sim.kernels.arrivals
    record = recorder.records
    crm, ad = _lever_masks(*recorder.lever_kinds) if record else _lever_masks((), ())
    if day >= 0:
        model.coupon_book.expire(day)
    (service, outcome, wait, source, z_ticket, review, share, sender, share_store,
     valence) = _visit_day(
        consumer, slot, store, draws, t.service_min, t.min_service_min, t.servers, t.close_hour * 60.0,
        t.stock, record, crm, ad, np.float32(SHARE_ATTRIBUTION_WEIGHT), pop.slot_coupon,
        pop.slot_coupon_expiry, pop.slot_coupon_lever, pop.slot_prompt, pop.slot_prompt_lever,
        pop.slot_social, pop.slot_memory, pop.slot_aware, pop.slot_touched, pop.slot_habit,
        model.draw_key("experience:ticket"), model.draw_key("experience:quality"), t.rating_sum, t.rating_n,
        t.rating, t.quality, pop.trust, pop.review_propensity, pop.share_propensity, feeling_constants(b),
        model.draw_key("experience:review"), model.draw_key("experience:share"), t.expected_wait_min,
        float(b.wait_memory), day, np.float32(b.memory_weight), pop.last_visit_day, pop.purchases,
        pop.satisfaction, model.draw_key("experience:forget"), day - b.forget_after_days,
        float(b.forget_rate), pop.slot_habit.dtype.type(b.habit_decay),
        pop.slot_social.dtype.type(b.social_decay))
    model.pending_shares = {"sender": sender, "store": share_store, "valence": valence}
    if record:
        n = consumer.size
        recorder.arrivals(consumer, slot, day, source=source)
        visits = Visits(consumer, store, draws[0], draws[1], draws[2], service)
        recorder.visits(visits, outcome, wait, slot, behavior.ticket(t.price[store], z_ticket), np.zeros(n),
                        np.zeros(n, dtype=bool), review, share, np.zeros(n, dtype=np.int8))
