"""The day plan: the ordered, named phases one simulated day runs, built once from the active levers.

Core objects:
    * :class:`Phase` - one named step of the day (a function of the model and the
      :class:`~sim.engine.day.DayState`), with the stage it belongs to and what it does.
    * :class:`DayPlan` - the phases in order, and the lever effects the phases read as data
      (bookings, visibility rules, engagement multipliers, the channel nest:
      :mod:`sim.levers.effects`). It prints as a numbered list, runs a day, and can time each
      phase.
    * :func:`build_plan` - the plan for a model and a set of levers: phases no lever needs are
      left out (no lever phase without a lever, no pick-ups without a channel
      lever, no visibility rule without one), and the store day's engine is chosen once
      (compiled; SimPy when an event log is kept; everyone served when capacity is unlimited).

A model has two plans: the warm-up's (the organic loop alone) and the campaign's (its
levers); both run the same compiled passes. docs/ODD.md's step order is generated from
:func:`build_plan`'s phases (:mod:`sim.engine.describe`) and checked against them (``tests/test_plan.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sim.engine import day as phases
from sim.engine.day import DayState
from sim.levers.effects import Booking, ChannelNest, Engagement, Visibility

__all__ = ["STAGES", "DayPlan", "Phase", "build_plan"]

#: The day's stages, in order (docs/ODD.md section 3).
STAGES = ("1. Plan", "2. Online", "3. Offline", "4. After", "5. Record")


@dataclass(frozen=True)
class Phase:
    """One named step of the day.

    Attributes:
        name: short name (unique in a plan), e.g. ``store_day``.
        stage: one of :data:`STAGES`.
        run: the step: ``run(model, state)``.
    """

    name: str
    stage: str
    run: Callable[[object, DayState], None]

    @property
    def doc(self) -> str:
        """The first line of the step's docstring: what it does."""
        return (self.run.__doc__ or "").strip().splitlines()[0]


@dataclass
class DayPlan:
    """The day's phases in order, and the lever effects they read (see module docstring).

    Attributes:
        phases: the steps, in the order they run.
        levers: the levers acting on days run by this plan.
        bookings, visibilities, engagements: the levers' effects, in the levers' order.
        nest: the channel nest a lever offers (at most one lever offers other channels).
        timed: when true, :meth:`run` adds each phase's wall time to :attr:`seconds`.
        seconds: wall time per phase name (with ``timed``).
    """

    phases: list[Phase]
    levers: list
    bookings: list[Booking] = field(default_factory=list)
    visibilities: list[Visibility] = field(default_factory=list)
    engagements: list[Engagement] = field(default_factory=list)
    nest: ChannelNest | None = None
    timed: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The phases' names, in order."""
        return [p.name for p in self.phases]

    def __str__(self) -> str:
        lines, stage = [], None
        for i, p in enumerate(self.phases, 1):
            if p.stage != stage:
                stage = p.stage
                lines.append(stage)
            lines.append(f"  {i:2d}. {p.name:<20s} {p.doc}")
        return "\n".join(lines)

    def run(self, model, day: int) -> DayState:
        """Run one day's phases in order; returns the day's final state."""
        state = DayState(day=day, levers=self.levers)
        if not self.timed:
            for p in self.phases:
                p.run(model, state)
            return state
        for p in self.phases:
            t0 = time.perf_counter()
            p.run(model, state)
            self.seconds[p.name] = self.seconds.get(p.name, 0.0) + time.perf_counter() - t0
        return state


def build_plan(model, levers: list, keep_event_log: bool = False) -> DayPlan:
    """The day plan for ``model`` with ``levers`` acting (see module docstring).

    Args:
        model: the :class:`~sim.engine.model.O2OModel` (its config is read).
        levers: the levers acting on the days this plan runs (none for the warm-up).
        keep_event_log: run the store day in SimPy and keep its event log.
    """
    cfg = model.cfg
    touches = set().union(*(lever.touches for lever in levers)) if levers else set()
    plan = DayPlan(phases=[], levers=list(levers),
                   bookings=[lv.booking for lv in levers if lv.booking is not None],
                   visibilities=[lv.visibility for lv in levers if lv.visibility is not None],
                   engagements=[lv.engagement for lv in levers if lv.engagement is not None])
    nests = [lv for lv in levers if lv.channel_nest is not None]
    if len(nests) > 1:
        raise ValueError(f"levers {', '.join(lv.name for lv in nests)} each offer other channels (pick-up, "
                         "delivery); at most one lever may offer them in a run")
    plan.nest = nests[0].channel_nest if nests else None
    channels = plan.nest is not None or "channels" in touches

    def add(stage: str, step: Callable, name: str | None = None) -> None:
        plan.phases.append(Phase(name or step.__name__, stage, step))

    plan_stage, online, offline, after, record = STAGES
    if levers:  # (every lever starts its day's cost book, whether or not it sends anything)
        add(plan_stage, phases.messages)
    add(online, phases.exposures)
    add(online, phases.shares)
    add(online, phases.decide)
    if channels:
        add(online, phases.channels)
    add(offline, phases.trips)
    if not cfg.stores.capacity_limited:
        add(offline, phases.store_day_unlimited, "store_day")
    elif keep_event_log:
        add(offline, phases.store_day_simpy, "store_day")
    else:
        add(offline, phases.store_day_compiled, "store_day")
    if channels and cfg.stores.capacity_limited:  # (unlimited stock: nothing to take)
        add(offline, phases.pickups)
    if plan.visibilities:
        add(offline, phases.visibility)
    add(after, phases.purchases)
    add(after, phases.experience)
    if cfg.behavior.adoption == "once":
        add(after, phases.adoption)
    add(after, phases.night)
    add(record, phases.record)
    if "after_visits" in touches:
        add(record, phases.levers_after)
    return plan

