"""The dashboard's Mesa model: one O2O city, one OMO city, or both on the same seed, stepped together.

Core objects:
    * :data:`MODES` - ``O2O``, ``OMO`` or ``O2O vs OMO`` (side by side).
    * :data:`ARM_SCENARIOS` - the scenario behind each arm: ``o2o_reference``
      and ``omo_full`` (the pair of the O2O-versus-OMO study).
    * :class:`Levers` - the levers a class can move (discount, targeting radius,
      send hour, capacity, each OMO feature) and how they become Hydra overrides
      (:meth:`Levers.overrides`).
    * :class:`Arm` - one :class:`~sim.engine.model.O2OModel` with its
      :class:`~sim.viz.journey.DayTap` and a history row per day.
    * :class:`DashboardModel` - a ``mesa.Model`` whose :meth:`DashboardModel.step`
      steps every arm by one day; SolaraViz builds it again from its keyword
      arguments on Reset.
    * :class:`DashboardError` - what a failed day raises: plain words for the page,
      the original exception chained for the server log.

Every browser session builds its own models in its own thread and shares none of
their state. Configs are composed one at a time (:data:`CONFIG_LOCK`: Hydra keeps its
state in a process-wide singleton) and kept by their overrides (:data:`CONFIG_CACHE_SIZE`
of them, a few KB each), so a session with the same controls as an earlier one skips
Hydra; each model gets its own copy. A built city's Mesa grid registers its own cell
class in the process-wide ``copyreg`` table, which would keep the class and the grid's
property layers for the life of the server: :meth:`Arm.build` removes it once the grid
is freed.

Both arms of the side-by-side mode use the same seed, so they share the city,
the people, the network and every random draw except where their strategies
differ (common random numbers, as in :mod:`sim.studies.compare`).
"""

from __future__ import annotations

import copy
import copyreg
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field, fields

import mesa
import numpy as np

from sim.config import SimConfig
from sim.engine.model import O2OModel
from sim.outputs.results import attributed_roi
from sim.viz.journey import DayTap, install_tap, journey_stages, stage_counts

__all__ = ["ARM_SCENARIOS", "CONFIG_CACHE_SIZE", "CONFIG_LOCK", "HORIZON_DAYS", "MODES", "OMO_FEATURES",
           "Arm", "DashboardError", "DashboardModel", "Levers", "forget_cell_class_when_freed"]

MODES = ("O2O vs OMO", "O2O", "OMO")
ARM_SCENARIOS = {"O2O": "o2o_reference", "OMO": "omo_full"}
#: Days a dashboard run lasts: the four-week push campaign and two months after it.
HORIZON_DAYS = 90
#: Default servers per store (``stores.servers_min`` / ``servers_max``) that ``capacity`` scales.
BASE_SERVERS = (3, 8)
OMO_FEATURES = ("unified_points", "integrated_inventory", "pickup", "delivery", "personalised_targeting")
#: Held while a config is composed: Hydra's global state allows one composition at a time per process.
CONFIG_LOCK = threading.Lock()
#: Composed configs kept, by their overrides (the least recently used goes first).
CONFIG_CACHE_SIZE = 32
_CONFIGS: OrderedDict[tuple[str, ...], SimConfig] = OrderedDict()


@dataclass(frozen=True)
class Levers:
    """What the controls set; defaults are the study's.

    Attributes:
        mode: one of :data:`MODES`.
        consumers: population size.
        stores: number of stores.
        seed: seed of every random stream (both arms share it).
        discount: push coupon, percent off as a fraction.
        radius_km: geo-fence of the push campaign around participating stores.
        send_hour: hour the pushes go out.
        capacity: multiplies every store's servers (1 = the default 3 to 8).
        unified_points, integrated_inventory, pickup, delivery, personalised_targeting:
            the OMO package's features (OMO arm only).
    """

    mode: str = "O2O vs OMO"
    consumers: int = 3000
    stores: int = 25
    seed: int = 0
    discount: float = 0.2
    radius_km: float = 2.0
    send_hour: int = 8
    capacity: float = 1.0
    unified_points: bool = True
    integrated_inventory: bool = True
    pickup: bool = True
    delivery: bool = True
    personalised_targeting: bool = True

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode={self.mode!r}; allowed: one of {', '.join(MODES)}")
        if not 0.1 <= float(self.capacity) <= 10.0:
            raise ValueError(f"capacity={self.capacity!r}; allowed: a number in [0.1, 10]")

    @property
    def arms(self) -> tuple[str, ...]:
        """Arm names this mode runs, O2O first."""
        return ("O2O", "OMO") if self.mode == "O2O vs OMO" else (self.mode,)

    def servers(self) -> tuple[int, int]:
        """(servers_min, servers_max) after scaling by ``capacity``."""
        lo = max(1, round(BASE_SERVERS[0] * self.capacity))
        return lo, max(lo, round(BASE_SERVERS[1] * self.capacity))

    def overrides(self, arm: str) -> list[str]:
        """Hydra overrides of one arm's config."""
        lo, hi = self.servers()
        out = [f"scenario={ARM_SCENARIOS[arm]}", f"seed={int(self.seed)}", f"days={HORIZON_DAYS}",
               f"population.size={int(self.consumers)}", f"stores.count={int(self.stores)}",
               f"stores.servers_min={lo}", f"stores.servers_max={hi}",
               f"campaign.push_coupon.discount={float(self.discount)}",
               f"campaign.push_coupon.radius_km={float(self.radius_km)}",
               f"campaign.push_coupon.send_hour={int(self.send_hour)}"]
        if arm == "OMO":
            out += [f"campaign.omo.{name}={str(bool(getattr(self, name))).lower()}" for name in OMO_FEATURES]
        return out

    def config(self, arm: str) -> SimConfig:
        """One arm's validated config, a copy of its own.

        Raises:
            ConfigError: for a value the config refuses.
        """
        from sim import load_config

        key = tuple(self.overrides(arm))
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
        name: ``O2O`` or ``OMO``.
        model: the engine.
        tap: its recorder (today's intents, trips and shares received).
        stage: (N,) journey stage of every consumer after the last step.
        history: one dict per recorded day (see :meth:`record`).
    """

    name: str
    model: O2OModel
    tap: DayTap
    stage: np.ndarray
    history: list[dict] = field(default_factory=list)

    @classmethod
    def build(cls, name: str, cfg: SimConfig) -> Arm:
        """Build the engine (its warm-up included) and install the tap."""
        model = O2OModel(cfg)
        forget_cell_class_when_freed(model.city.grid)
        tap = install_tap(model)
        return cls(name, model, tap, journey_stages(model, tap))

    def step(self) -> None:
        """One day, then the journey stages and the day's history row."""
        self.model.step()
        self.stage = journey_stages(self.model, self.tap)
        self.history.append(self.record())

    def record(self) -> dict:
        """The day just stepped: stage counts, funnel, ratings and money so far."""
        rows = self.tap.rows
        today = rows[-1]
        spend = sum(r["discount_cost"] + r["campaign_cost"] for r in rows)
        roi = attributed_roi(self.model.cfg.stores.margin, self.tap.redeemed_gross, spend)
        return {"day": today["day"], **stage_counts(self.stage),
                "visits": today["visits"], "purchases": today["purchases"], "intents": today["intents"],
                "shares": today["shares"], "mean_rating": today["mean_rating"],
                "revenue": sum(r["revenue"] for r in rows), "spend": spend, "roi": roi}


class DashboardError(RuntimeError):
    """A day of the dashboard failed; the message is plain words, the cause is chained."""


class DashboardModel(mesa.Model):
    """The arms of the chosen mode, stepped together one day at a time.

    Every keyword argument is a field of :class:`Levers`; SolaraViz passes the
    controls' values here on Reset.

    Attributes:
        levers: the :class:`Levers` in force.
        arms: the :class:`Arm` objects, O2O first.
        running: false once :data:`HORIZON_DAYS` days have been simulated.
    """

    def __init__(self, scenario=None, **kwargs):
        # ``scenario`` is the mesa.experimental Scenario that SolaraViz passes back on Reset: unused
        known = {f.name for f in fields(Levers)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ValueError(f"DashboardModel: unknown control {unknown[0]!r}; "
                             f"allowed: {', '.join(sorted(known))}")
        self.levers = Levers(**kwargs)
        super().__init__(rng=int(self.levers.seed))
        self.arms = [Arm.build(name, self.levers.config(name)) for name in self.levers.arms]
        self._today: dict = {}
        self._today_day = self.day
        self._today_lock = threading.Lock()

    def once_a_day(self, key, make):
        """``make()``, computed once per simulated day of this model and kept until the next step.

        The panels' images: SolaraViz draws a panel several times per step.
        """
        with self._today_lock:
            if self._today_day != self.day:
                self._today.clear()
                self._today_day = self.day
            if key not in self._today:
                self._today[key] = make()
            return self._today[key]

    @property
    def day(self) -> int:
        """Days simulated so far (after the warm-up)."""
        return self.arms[0].model.day

    def step(self) -> None:
        """One day in every arm.

        Raises:
            DashboardError: when an arm fails (the original exception is its ``__cause__``).
        """
        day = self.day + 1
        for arm in self.arms:
            try:
                arm.step()
            except Exception as err:
                raise DashboardError(f"the {arm.name} city could not simulate day {day}") from err
        self.running = self.day < HORIZON_DAYS



