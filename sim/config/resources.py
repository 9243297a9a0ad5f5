"""What a run will need, estimated before anything is allocated, and the refusal of one that cannot fit.

Core objects:
    * :func:`estimate` - a run's peak memory (bytes) and wall time (seconds) from its
      config alone: consumers and their consideration sets and friendships, the city's
      grid cells, and the store-day records.
    * :func:`check_resources` - raises :class:`ResourceError` (a
      :class:`~sim.config.ConfigError`, one line naming the key that dominates the
      estimate) when the estimated peak exceeds the memory available.
    * :data:`MEMORY_ENV` - the environment variable that sets the limit instead
      (in GiB; ``off`` disables the check).

The coefficients were measured on the engine (peak resident memory of whole runs
at 10^3 to 10^6 consumers, K of 10 and 30, 8 and 40 friends, 40^2 and 2000^2 cells,
up to 3,000 stores x 300 days; docs/PERFORMANCE.md) and carry a 15% margin: the
estimate errs on the high side (by about 1.3x at the L workload).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sim.config import ConfigError, SimConfig

__all__ = ["MEMORY_ENV", "Estimate", "ResourceError", "available_memory", "check_resources", "estimate"]

MEMORY_ENV = "O2O_SIM_MEMORY_GB"
GIB = 1024**3

_BASE = 385e6  # the interpreter, numpy, numba, pandas, Mesa and SimPy loaded
_FLOOR = 450e6  # the import-time peak, which small runs never pass
_PER_SLOT = 77.0  # bytes per consumer per consideration slot
_PER_FRIEND = 52.0  # bytes per consumer per friend (mean degree)
_PER_CONSUMER = -330.0  # the rest of a consumer's bytes (the fit's intercept)
_PER_STORE_DAY = 715.0  # records of one store on one day
_PER_CELL = 1335.0  # one grid cell (Mesa's cell objects and property layers)
_MARGIN = 1.15
_CONSUMER_DAYS_PER_S = 2.0e6  # a conservative rate of the compiled day
_CELLS_PER_S = 45_000.0  # building the grid


class ResourceError(ConfigError):
    """A run that would not fit in memory; the message names the key that dominates the estimate."""


@dataclass(frozen=True)
class Estimate:
    """A run's estimated peak memory and wall time, and the key whose value costs the most memory."""

    peak_bytes: float
    seconds: float
    main_key: str

    @property
    def peak_gib(self) -> float:
        """The peak in GiB."""
        return self.peak_bytes / GIB


def estimate(cfg: SimConfig) -> Estimate:
    """Peak memory and wall time of ``cfg`` (see module docstring)."""
    n, k = cfg.population.size, cfg.behavior.consideration_set
    per_consumer = max(200.0, _PER_CONSUMER + _PER_SLOT * k + _PER_FRIEND * cfg.network.mean_degree)
    parts = {
        "population.size": n * per_consumer,
        "city.width": cfg.city.width * cfg.city.height * _PER_CELL,
        "days": cfg.stores.count * cfg.days * _PER_STORE_DAY,
    }
    peak = max(_FLOOR, _BASE + sum(parts.values())) * _MARGIN
    seconds = (2.0 + n * (cfg.days + cfg.warmup_days) / _CONSUMER_DAYS_PER_S
               + cfg.city.width * cfg.city.height / _CELLS_PER_S)
    return Estimate(peak, seconds, max(parts, key=parts.get))


def available_memory() -> float | None:
    """Bytes of memory available to a new run: ``$O2O_SIM_MEMORY_GB``, else the system's, else None."""
    limit = os.environ.get(MEMORY_ENV, "").strip()
    if limit:
        if limit.lower() == "off":
            return None
        try:
            value = float(limit)
        except ValueError:
            raise ConfigError(MEMORY_ENV, limit, "a number of GiB, or off") from None
        if not value > 0:
            raise ConfigError(MEMORY_ENV, limit, "a number of GiB > 0, or off")
        return value * GIB
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_resources(cfg: SimConfig) -> Estimate:
    """Refuse a run whose estimated peak memory exceeds what is available.

    Returns:
        The estimate, when the run fits.

    Raises:
        ResourceError: naming the key whose value costs the most, the estimate, what is
            available and the override (:data:`MEMORY_ENV`).
    """
    est = estimate(cfg)
    available = available_memory()
    if available is not None and est.peak_bytes > available:
        value = {"population.size": cfg.population.size, "city.width": cfg.city.width,
                 "days": cfg.days}[est.main_key]
        raise ResourceError(est.main_key, value,
                            f"a run that fits in memory: this one needs about {est.peak_gib:,.1f} GiB at its "
                            f"peak and {available / GIB:,.1f} GiB is available (set {MEMORY_ENV}=<GiB> or "
                            f"{MEMORY_ENV}=off to override)")
    return est
