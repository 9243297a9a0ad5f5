"""The city: a Mesa grid with districts, uneven density, distances and travel.

Core objects:
    * :class:`City` - the Mesa ``OrthogonalMooreGrid`` plus property layers
      ``population_density``, ``work_density`` and ``district``, and the
      geometry (cell size in km) used to turn positions into distances.
    * :func:`build_city` - draws district centres and the density surfaces.
    * :func:`travel_cost` - round-trip travel time (h) and money cost for a distance.
    * :func:`distance_utility` - the log-distance decay of Huff's gravity model.

Positions are continuous kilometres (a cell centre plus a jitter inside the
cell), so distances are smooth; the grid is the spatial index and the layer
that the map and Mesa tools see.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid

from sim.config import CityConfig

__all__ = ["LOG_DISTANCE_FLOOR_KM", "City", "build_city", "distance_utility", "travel_cost", "trip_utils"]

#: Distances below this count as this in the log form (a store next door is not infinitely close).
LOG_DISTANCE_FLOOR_KM = 0.05


@dataclass
class City:
    """Grid, density surfaces and geometry of the simulated city.

    Attributes:
        grid: Mesa grid; stores are placed on its cells.
        cfg: the city section of the config.
        centres_km: (D, 2) district centres in km.
        population_density: (W, H) relative residential density (sums to 1).
        work_density: (W, H) relative workplace density (sums to 1).
        district: (W, H) id of the nearest district centre.
    """

    grid: OrthogonalMooreGrid
    cfg: CityConfig
    centres_km: np.ndarray
    population_density: np.ndarray
    work_density: np.ndarray
    district: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """Grid dimensions (width, height) in cells."""
        return (self.cfg.width, self.cfg.height)

    @property
    def size_km(self) -> tuple[float, float]:
        """City extent in km."""
        return (self.cfg.width * self.cfg.cell_km, self.cfg.height * self.cfg.cell_km)

    def sample_positions(
        self, rng: np.random.Generator, n: int, density: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` positions from a density surface.

        Args:
            rng: generator to draw from.
            n: number of positions.
            density: (W, H) non-negative weights.

        Returns:
            ``(cells, xy)``: (n, 2) integer cell coordinates and (n, 2) float km positions.
        """
        flat = density.ravel() / density.sum()
        idx = rng.choice(flat.size, size=n, p=flat)
        cx, cy = np.unravel_index(idx, density.shape)
        cells = np.stack([cx, cy], axis=1).astype(np.int32)
        xy = (cells + rng.random((n, 2))) * self.cfg.cell_km
        return cells, xy.astype(np.float64)

    def cell_of(self, xy: np.ndarray) -> np.ndarray:
        """Integer cell coordinates of km positions (clipped to the grid)."""
        cells = np.floor(np.asarray(xy) / self.cfg.cell_km).astype(np.int32)
        cells[:, 0] = np.clip(cells[:, 0], 0, self.cfg.width - 1)
        cells[:, 1] = np.clip(cells[:, 1], 0, self.cfg.height - 1)
        return cells


def build_city(cfg: CityConfig, rng: np.random.Generator, mesa_random: random.Random) -> City:
    """Build the grid and its density layers.

    Residential density is a mixture of Gaussian bumps around ``cfg.districts``
    centres (weights drawn from a Dirichlet) plus a uniform background share.
    Work density puts ``work_in_center_share`` of its mass on the first
    (central) district, the rest following residential density.

    Args:
        cfg: city config.
        rng: the "city" stream.
        mesa_random: the model's seeded ``random.Random`` that Mesa's grid requires.

    Returns:
        The :class:`City`.
    """
    grid = OrthogonalMooreGrid((cfg.width, cfg.height), torus=False, random=mesa_random)
    w_km, h_km = cfg.width * cfg.cell_km, cfg.height * cfg.cell_km
    centre = np.array([[w_km / 2, h_km / 2]])
    others = rng.uniform([0.15 * w_km, 0.15 * h_km], [0.85 * w_km, 0.85 * h_km],
                         size=(cfg.districts - 1, 2))
    centres = np.vstack([centre, others])
    weights = rng.dirichlet(np.full(cfg.districts, 2.0))

    xs = (np.arange(cfg.width) + 0.5) * cfg.cell_km
    ys = (np.arange(cfg.height) + 0.5) * cfg.cell_km
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    d2 = (gx[..., None] - centres[:, 0]) ** 2 + (gy[..., None] - centres[:, 1]) ** 2
    bumps = np.exp(-d2 / (2 * cfg.district_spread_km**2))
    residential = (bumps * weights).sum(-1)
    residential = residential / residential.sum()
    residential = (1 - cfg.background_density) * residential + cfg.background_density / residential.size
    central = bumps[..., 0] / bumps[..., 0].sum()
    work = cfg.work_in_center_share * central + (1 - cfg.work_in_center_share) * residential
    district = d2.argmin(-1).astype(np.int16)

    for name, arr, dtype in (("population_density", residential, float),
                             ("work_density", work, float), ("district", district, int)):
        layer = grid.create_property_layer(name, default_value=dtype(0), dtype=dtype)
        layer.data[:] = arr
    return City(grid, cfg, centres, residential, work, district)


def travel_cost(distance_km: np.ndarray, cfg: CityConfig) -> tuple[np.ndarray, np.ndarray]:
    """Round-trip travel time (hours) and out-of-pocket cost for one-way distances.

    With ``cfg.spatial`` false every trip is free and instant. Within ``walk_km``
    people walk (free, ``walk_speed_kmh``); beyond it they ride
    (``ride_access_min`` of access time plus ``ride_speed_kmh``, ``ride_cost_per_km``).

    Args:
        distance_km: one-way distances.
        cfg: city config.

    Returns:
        ``(hours, money)`` arrays, same shape as ``distance_km``.
    """
    d = np.asarray(distance_km, dtype=np.float64)
    if not cfg.spatial:  # space switched off: every trip is free and instant
        zero = np.where(np.isfinite(d), 0.0, np.inf)
        return zero, zero
    walk = d <= cfg.walk_km
    hours = np.where(walk, d / cfg.walk_speed_kmh, cfg.ride_access_min / 60 + d / cfg.ride_speed_kmh)
    money = np.where(walk, 0.0, d * cfg.ride_cost_per_km)
    return 2 * hours, 2 * money


def distance_utility(distance_km: np.ndarray, cfg: CityConfig, beta_log_distance: float) -> np.ndarray:
    """Utility lost to distance in the log form: ``beta * ln(max(d, floor) / 1 km)``.

    With it, a multinomial logit over stores is Huff's gravity model: choice
    shares proportional to ``A_j * d_ij ** -beta`` (Huff 1964). Zero everywhere
    when space is switched off (``cfg.spatial`` false).
    """
    d = np.asarray(distance_km, dtype=np.float64)
    if not cfg.spatial:
        return np.where(np.isfinite(d), 0.0, np.inf)
    return beta_log_distance * np.log(np.maximum(d, LOG_DISTANCE_FLOOR_KM))


def trip_utils(distance_km: np.ndarray, money_weight: np.ndarray, value_of_time: np.ndarray, cfg: CityConfig,
               beta_log_distance: float | None = None) -> np.ndarray:
    """Utility lost to the trip.

    ``m x (money + vot x hours)`` of :func:`travel_cost`, or with ``beta_log_distance``
    (Huff's form) the log-distance term of :func:`distance_utility` alone.

    Args:
        distance_km: one-way distances.
        money_weight: the travellers' weights of money (same shape, or broadcastable).
        value_of_time: their values of time, likewise.
        cfg: city config.
        beta_log_distance: the log form's coefficient; ``None`` for the trip's cost.
    """
    if beta_log_distance is not None:
        return distance_utility(distance_km, cfg, beta_log_distance)
    hours, money = travel_cost(distance_km, cfg)
    m = np.asarray(money_weight, dtype=np.float64)
    return m * (money + np.asarray(value_of_time, dtype=np.float64) * hours)
