"""The dashboard's Mesa model: the cities of a lesson, built on one seed and stepped together a day at a time.

Core objects:
    * :class:`Arm` - one city: an :class:`~sim.engine.model.O2OModel` with its
      :class:`~sim.viz.journey.DayTap`, the journey stage of every consumer, one history row
      per day and the brand's money (:class:`~sim.viz.money.BrandMoney`).
    * :class:`DashboardModel` - a ``mesa.Model`` holding a lesson's cities
      (:data:`~sim.viz.lessons.LESSONS`); :meth:`DashboardModel.advance` steps every city by
      one day and does nothing once the run is finished (:data:`~sim.viz.settings.HORIZON_DAYS`
      days), so the page never asks the engine for a day past the end.
    * :class:`DashboardError` - what a failed day raises: plain words for the page, the
      original exception chained for the server log.
    * :data:`CONFIG_LOCK`, :data:`CONFIG_CACHE_SIZE` - configs are composed one at a time
      (Hydra keeps its state in a process-wide singleton) and kept by their overrides, so a
      session with the same controls as an earlier one skips Hydra; each city gets a copy.

Every browser session builds its own models in its own thread and shares none of their
state. A built city's Mesa grid registers its own cell class in the process-wide
``copyreg`` table, which would keep the class and the grid's property layers for the life
of the server: :meth:`Arm.build` removes it once the grid is freed
(:func:`forget_cell_class_when_freed`).
"""

from __future__ import annotations

import copy
import copyreg
import itertools
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field, fields

import mesa
import numpy as np

from sim.config import SimConfig
from sim.engine.model import O2OModel
from sim.viz.journey import DayTap, install_tap, journey_stages, stage_counts
from sim.viz.lessons import LESSONS, City, Lesson
from sim.viz.money import BrandMoney, day_items
from sim.viz.settings import HORIZON_DAYS, Settings

__all__ = ["CONFIG_CACHE_SIZE", "CONFIG_LOCK", "Arm", "DashboardError", "DashboardModel", "compose",
           "forget_cell_class_when_freed"]

#: Held while a config is composed: Hydra's global state allows one composition at a time per process.
CONFIG_LOCK = threading.Lock()
#: Composed configs kept, by their overrides (the least recently used goes first).
CONFIG_CACHE_SIZE = 32
_CONFIGS: OrderedDict[tuple[str, ...], SimConfig] = OrderedDict()
_RUNS = itertools.count(1)


def compose(overrides: list[str]) -> SimConfig:
    """The validated config of ``overrides``, a copy of its own.

    Raises:
        ConfigError: for a value the config refuses.
    """
    from sim import load_config

    key = tuple(overrides)
    with CONFIG_LOCK:
        cfg = _CONFIGS.get(key)
        if cfg is None:
            cfg = _CONFIGS[key] = load_config(list(key))
            while len(_CONFIGS) > CONFIG_CACHE_SIZE:
                _CONFIGS.popitem(last=False)
        else:
            _CONFIGS.move_to_end(key)
    return copy.deepcopy(cfg)


def forget_cell_class_when_freed(grid) -> bool:
    """Remove ``grid``'s cell class from the process-wide ``copyreg`` table once ``grid`` is freed.

    Mesa's grids make a cell class of their own and register it for pickling, forever;
    the class holds the grid's property layers. Returns whether there was one to remove.
    """
    klass = getattr(grid, "cell_klass", None)
    if klass is None or klass not in copyreg.dispatch_table:
        return False
    weakref.finalize(grid, copyreg.dispatch_table.pop, klass, None)
    return True


@dataclass
class Arm:
    """One simulated city of the dashboard.

    Attributes:
        city: the lesson's :class:`~sim.viz.lessons.City` it runs.
        model: the engine.
        tap: its recorder (today's intents, trips and shares; every day's events).
        stage: (N,) journey stage of every consumer after the last step.
        history: one dict per recorded day (see :meth:`record`).
        money: the brand's profit items so far.
    """

    city: City
    model: O2OModel
    tap: DayTap
    stage: np.ndarray
    history: list[dict] = field(default_factory=list)
    money: BrandMoney = field(default_factory=BrandMoney)

    @property
    def name(self) -> str:
        """The city's name."""
        return self.city.name

    @classmethod
    def build(cls, city: City, settings: Settings) -> Arm:
        """Build the engine (its warm-up included) and install the tap."""
        model = O2OModel(compose(city.overrides(settings)))
        forget_cell_class_when_freed(model.city.grid)
        tap = install_tap(model)
        return cls(city, model, tap, journey_stages(model, tap))

    def step(self) -> None:
        """One day, then the journey stages, the day's history row and the brand's money."""
        self.model.step()
        self.stage = journey_stages(self.model, self.tap)
        self.money.add(day_items(self.tap.ledger, self.model.day - 1))
        self.history.append(self.record())

    def record(self) -> dict:
        """The day just stepped: stage counts, funnel, the brand's stores and its money so far."""
        today, store = self.tap.rows[-1], self.tap.store_rows[-1]
        brand = self.model.is_brand
        waits = store["mean_wait_min"][brand]
        waits = waits[~np.isnan(waits)]
        events = self.tap.events[-1]
        return {"day": today["day"], **stage_counts(self.stage),
                "visits": today["visits"], "purchases": today["purchases"],
                "brand_visits": int(store["visits"][brand].sum()),
                "brand_purchases": int(store["purchases"][brand].sum()),
                "brand_balked": int(store["balked"][brand].sum() + store["reneged"][brand].sum()),
                "brand_wait_min": float(waits.mean()) if waits.size else 0.0,
                "brand_rating": float(store["rating"][brand].mean()),
                "visits_push": today["visits_push"], "visits_crm": today["visits_crm"],
                "messages": int(events.msg_consumer.size),
                **{f"brand_{k}": v for k, v in self.money.totals.items()}}


class DashboardError(RuntimeError):
    """A day of the dashboard failed; the message is plain words, the cause is chained."""


class DashboardModel(mesa.Model):
    """A lesson's cities, stepped together one day at a time.

    Args:
        lesson: a key of :data:`~sim.viz.lessons.LESSONS`.
        **settings: fields of :class:`~sim.viz.settings.Settings` (the rest keep their defaults).

    Attributes:
        lesson: the :class:`~sim.viz.lessons.Lesson`.
        settings: the :class:`~sim.viz.settings.Settings` in force.
        arms: one :class:`Arm` per city of the lesson, the reference first.
        horizon: days a run lasts.
        run_id: a number unique to this run in the server (the page marks what it drew with it).
        running: false once the run is finished (Mesa's convention).
    """

    def __init__(self, lesson: str = "o2o_omo", **settings):
        if lesson not in LESSONS:
            raise ValueError(f"DashboardModel: lesson={lesson!r}; allowed: {', '.join(LESSONS)}")
        known = {f.name for f in fields(Settings)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"DashboardModel: unknown control {unknown[0]!r}; "
                             f"allowed: {', '.join(sorted(known))}")
        self.lesson: Lesson = LESSONS[lesson]
        self.settings = Settings(**settings)
        super().__init__(rng=int(self.settings.seed))
        self.horizon = HORIZON_DAYS
        self.run_id = next(_RUNS)
        self.arms = [Arm.build(city, self.settings) for city in self.lesson.cities]
        self._lock = threading.RLock()

    @property
    def day(self) -> int:
        """Days simulated so far (after the warm-up)."""
        return self.arms[0].model.day

    @property
    def finished(self) -> bool:
        """Whether every day of the run has been simulated."""
        return self.day >= self.horizon

    def arm(self, name: str) -> Arm:
        """The city called ``name``.

        Raises:
            KeyError: naming the cities there are.
        """
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise KeyError(f"no city {name!r}; there are: {', '.join(a.name for a in self.arms)}")

    def advance(self) -> bool:
        """Step one day unless the run is finished; whether a day was simulated (what the page calls)."""
        with self._lock:
            if self.finished:
                self.running = False
                return False
            self.step()  # Mesa's step: its clock (``time``, ``steps``) moves with the days
            return True

    def step(self) -> None:
        """One day in every city (nothing once the run is finished: the engine refuses days past its end).

        Raises:
            DashboardError: when a city fails (the original exception is its ``__cause__``).
        """
        with self._lock:
            if not self.finished:
                day = self.day + 1
                for arm in self.arms:
                    try:
                        arm.step()
                    except Exception as err:
                        raise DashboardError(f"the {arm.name} city could not simulate day {day}") from err
            self.running = not self.finished
