"""The calendar: which weekday and day of the month each simulated day is, and how it moves visiting.

Core objects:
    * :class:`Calendar` - built from the calendar config and the segment names; for a day, the
      utility shift of each category's stores (:meth:`Calendar.category_shift`) and of every
      store for each segment's consumers (:meth:`Calendar.segment_shift`).
    * :func:`weekday`, :func:`month_day` - a day's weekday (0 = Monday) and day of the month.
    * :func:`lift_utils` - the utility shift that multiplies the odds of a visit by ``1 + lift``.

Days are counted from the campaign's day 0 (warm-up days are negative), with day 0 on
``calendar.start_weekday`` and ``calendar.start_month_day`` of a 30-day month. A day-of-week
index, a payday lift and an event's lift each multiply the odds of visiting a store in their
scope; the shift is added to the category constants (scope ``all`` or a category) or, for a
segment's consumers, subtracted from their outside option (docs/ODD.md 7.8a). Nothing here
draws a random number.
"""

from __future__ import annotations

import math

import numpy as np

from sim.config import CATEGORIES, CalendarConfig
from sim.config.schema import WEEKDAYS

__all__ = ["MONTH_DAYS", "Calendar", "lift_utils", "month_day", "weekday"]

#: Length of the calendar's month (a model month: paydays recur every 30 days).
MONTH_DAYS = 30


def weekday(day: int, start_weekday: str = "mon") -> int:
    """Weekday of ``day`` (0 = Monday ... 6 = Sunday), day 0 being ``start_weekday``."""
    return (WEEKDAYS.index(start_weekday) + day) % 7


def month_day(day: int, start_month_day: int = 1) -> int:
    """Day of the month (1-30) of ``day``, day 0 being ``start_month_day``."""
    return (start_month_day - 1 + day) % MONTH_DAYS + 1


def lift_utils(lift: float) -> float:
    """Utility added to a visit to multiply its odds by ``1 + lift`` (``ln(1 + lift)``)."""
    return math.log1p(lift)


class Calendar:
    """The day-by-day utility shifts of a run's calendar (see module docstring).

    Args:
        cfg: the calendar config.
        segment_names: the run's segment names, by segment id (scopes may name them).
    """

    def __init__(self, cfg: CalendarConfig, segment_names: tuple[str, ...]):
        self.cfg = cfg
        self.segment_names = tuple(segment_names)
        self.dow_utils = np.log(np.array([cfg.dow_restaurant, cfg.dow_retail, cfg.dow_service])).T  # (7, 3)
        scopes = [cfg.payday_scope, *(ev.scope for ev in cfg.events)] if cfg.enabled else []
        #: whether any shift applies to a segment's consumers (their outside option moves)
        self.by_segment = any(scope in self.segment_names for scope in scopes)

    def is_payday_window(self, day: int) -> bool:
        """Whether ``day`` falls within ``payday_window_days`` of a payday (the payday included)."""
        if not self.cfg.paydays:
            return False
        today = month_day(day, self.cfg.start_month_day)
        return any((today - pay) % MONTH_DAYS < self.cfg.payday_window_days for pay in self.cfg.paydays)

    def _shifts(self, day: int) -> list[tuple[str, float]]:
        """The day's (scope, utility shift) pairs from paydays and events."""
        cfg, out = self.cfg, []
        if self.is_payday_window(day):
            out.append((cfg.payday_scope, lift_utils(cfg.payday_lift)))
        for ev in cfg.events:
            last = ev.day if ev.last_day is None else ev.last_day
            if ev.day <= day <= last:
                out.append((ev.scope, lift_utils(ev.lift)))
        return out

    def category_shift(self, day: int) -> np.ndarray:
        """(3,) utility added to every store of each category on ``day`` (0 with the calendar off)."""
        shift = np.zeros(len(CATEGORIES))
        if not self.cfg.enabled:
            return shift
        shift += self.dow_utils[weekday(day, self.cfg.start_weekday)]
        for scope, utils in self._shifts(day):
            if scope == "all":
                shift += utils
            elif scope in CATEGORIES:
                shift[CATEGORIES.index(scope)] += utils
        return shift

    def segment_shift(self, day: int) -> np.ndarray:
        """(G,) utility added to every store for each segment's consumers on ``day``."""
        shift = np.zeros(len(self.segment_names))
        if not self.cfg.enabled:
            return shift
        for scope, utils in self._shifts(day):
            if scope in self.segment_names and scope not in ("all", *CATEGORIES):
                shift[self.segment_names.index(scope)] += utils
        return shift
