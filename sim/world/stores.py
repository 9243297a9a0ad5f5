"""Stores: Mesa agents on the city grid, backed by one table of arrays.

Core objects:
    * :class:`StoreTable` - every store attribute as an (S,) array: the form the
      vectorised decision code reads.
    * :class:`Store` - a ``mesa.discrete_space.FixedAgent`` placed on a grid cell;
      its attributes are views into the table, so agents and arrays never disagree.
    * :func:`build_stores` - draws locations, categories, prices, quality and capacity.
    * :data:`HOURLY_PROFILE`, :data:`PEAK_HOURS` - when each category's customers come.
    * :func:`arrival_hour` (and :func:`hour_at` for one visitor) - the hour each visitor arrives,
      drawn from its store's profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mesa.discrete_space import FixedAgent

from sim.config import CATEGORIES, StoresConfig
from sim.kernels.jit import njit

__all__ = ["HOURLY_PROFILE", "PEAK_HOURS", "Store", "StoreTable", "arrival_hour", "build_stores", "hour_at"]

#: Peak hours of demand per category (restaurants: lunch and dinner).
PEAK_HOURS: dict[str, tuple[float, ...]] = {
    "restaurant": (12.0, 18.5),
    "retail": (17.0,),
    "service": (11.0, 18.0),
}


def _profile(peaks: tuple[float, ...], width: float) -> np.ndarray:
    hours = np.arange(24) + 0.5
    bumps = sum(np.exp(-0.5 * ((hours - p) / width) ** 2) for p in peaks)
    return bumps + 0.05


#: Relative arrival intensity by hour of day per category (before opening hours are applied).
HOURLY_PROFILE: dict[str, np.ndarray] = {
    "restaurant": _profile(PEAK_HOURS["restaurant"], 1.0),
    "retail": _profile(PEAK_HOURS["retail"], 2.5),
    "service": _profile(PEAK_HOURS["service"], 2.0),
}


@dataclass
class StoreTable:
    """All store state as arrays of length S.

    Attributes:
        xy: (S, 2) position in km.
        cell: (S, 2) grid cell.
        category: category index into :data:`sim.config.CATEGORIES`.
        price: average ticket (currency).
        price_premium: price minus the category's usual price (currency).
        quality: true quality on the 1-5 scale.
        servers: parallel servers (tables, cashiers, staff).
        service_min: mean service time (minutes).
        min_service_min: shortest possible service (minutes).
        open_hour, close_hour: opening hours.
        stock: units available per day.
        hassle: booking hassle (utils).
        patience_min: mean patience of its customers in a queue (minutes).
        patience_shape: gamma shape of patience (1 = exponential; larger = fewer very impatient).
        balk_wait_min: a queue whose expected wait exceeds this makes arrivals balk.
        rating_sum, rating_n: sum and count of review stars.
        rating_prior_mean, rating_prior_weight: Bayesian prior of the public rating (the mean is one
            number shared by every store, or an (S,) array once a store was given its own rating:
            :func:`sim.world.store_overrides.set_ratings`).
        expected_wait_min: what consumers expect to wait (EWMA of past waits).
    """

    xy: np.ndarray
    cell: np.ndarray
    category: np.ndarray
    price: np.ndarray
    price_premium: np.ndarray
    quality: np.ndarray
    servers: np.ndarray
    service_min: np.ndarray
    min_service_min: np.ndarray
    open_hour: np.ndarray
    close_hour: np.ndarray
    stock: np.ndarray
    hassle: np.ndarray
    patience_min: np.ndarray
    patience_shape: float
    balk_wait_min: np.ndarray
    rating_sum: np.ndarray
    rating_n: np.ndarray
    rating_prior_mean: float | np.ndarray
    rating_prior_weight: float
    expected_wait_min: np.ndarray

    @property
    def count(self) -> int:
        """Number of stores S."""
        return self.xy.shape[0]

    @property
    def rating(self) -> np.ndarray:
        """Public rating: Bayesian average of review stars, always within [1, 5]."""
        w = self.rating_prior_weight
        return (self.rating_prior_mean * w + self.rating_sum) / (w + self.rating_n)

    def max_served(self) -> np.ndarray:
        """Upper bound on customers served per day from capacity and opening hours."""
        open_min = (self.close_hour - self.open_hour) * 60.0
        return self.servers * (np.floor(open_min / self.min_service_min) + 1)

    def hour_weights(self) -> np.ndarray:
        """(S, 24) probability of each arrival hour, zero outside opening hours."""
        hours = np.arange(24)
        prof = np.stack([HOURLY_PROFILE[CATEGORIES[c]] for c in self.category])
        open_ = (hours >= self.open_hour[:, None]) & (hours < self.close_hour[:, None])
        prof = prof * open_
        return prof / prof.sum(axis=1, keepdims=True)


class Store(FixedAgent):
    """A merchant on the grid. Attributes read through to the :class:`StoreTable`.

    Args:
        model: the owning Mesa model.
        index: row in the table.
        table: the store table.
        cell: the grid cell it stands on.
    """

    def __init__(self, model, index: int, table: StoreTable, cell):
        super().__init__(model)
        self.index = index
        self.table = table
        self.cell = cell

    category = property(lambda self: CATEGORIES[self.table.category[self.index]])
    price = property(lambda self: float(self.table.price[self.index]))
    quality = property(lambda self: float(self.table.quality[self.index]))
    servers = property(lambda self: int(self.table.servers[self.index]))
    stock = property(lambda self: int(self.table.stock[self.index]))
    rating = property(lambda self: float(self.table.rating[self.index]))
    xy = property(lambda self: tuple(self.table.xy[self.index]))


def daily_stock(servers, open_hour, close_hour, service_min, stock_factor: float) -> np.ndarray:
    """Units a store can sell a day: ``ceil(stock_factor x servers x open minutes / mean service)``."""
    throughput = servers * (close_hour - open_hour) * 60.0 / service_min
    return np.ceil(stock_factor * throughput).astype(np.int64)


def size_brand_stores(table: StoreTable, brand: np.ndarray, cfg: StoresConfig,
                      rng: np.random.Generator) -> None:
    """Give the brand's stores their own server range (``stores.brand_servers_min/max``), in place.

    Nothing changes when the range is 0 (the brand's stores are drawn as any store). Their
    daily stock follows their servers (:func:`daily_stock`); no other store changes.
    """
    if cfg.brand_servers_max <= 0:
        return
    servers = rng.integers(cfg.brand_servers_min, cfg.brand_servers_max + 1, size=brand.size)
    table.servers[brand] = servers
    table.stock[brand] = daily_stock(servers, table.open_hour[brand], table.close_hour[brand],
                                     table.service_min[brand], cfg.stock_factor)


def build_stores(cfg: StoresConfig, city, rng: np.random.Generator) -> StoreTable:
    """Draw the store table.

    Locations follow a mix of residential and work density (merchants go where
    people are); category by the configured shares; price lognormal around the
    category price; quality normal, clipped to [1, 5]; servers uniform.

    Args:
        cfg: stores config.
        city: the :class:`~sim.world.city.City`.
        rng: the "stores" stream.

    Returns:
        The :class:`StoreTable`.
    """
    s = cfg.count
    density = 0.5 * city.population_density + 0.5 * city.work_density
    cells, xy = city.sample_positions(rng, s, density)
    shares = np.array([cfg.restaurant_share, cfg.retail_share,
                       max(0.0, 1.0 - cfg.restaurant_share - cfg.retail_share)])
    category = rng.choice(len(CATEGORIES), size=s, p=shares / shares.sum()).astype(np.int8)
    base_price = np.array([cfg.price_restaurant, cfg.price_retail, cfg.price_service])[category]
    price = base_price * np.exp(cfg.price_sd * rng.standard_normal(s) - 0.5 * cfg.price_sd**2)
    quality = np.clip(cfg.quality_mean + cfg.quality_sd * rng.standard_normal(s), 1.0, 5.0)
    servers = rng.integers(cfg.servers_min, cfg.servers_max + 1, size=s)
    service_min = np.array([cfg.service_min_restaurant, cfg.service_min_retail,
                            cfg.service_min_service])[category]
    open_hour = np.full(s, cfg.open_hour, dtype=np.int64)
    close_hour = np.full(s, cfg.close_hour, dtype=np.int64)
    stock = daily_stock(servers, open_hour, close_hour, service_min, cfg.stock_factor)
    hassle = np.where(category == CATEGORIES.index("service"), cfg.booking_hassle_service, 0.0)
    return StoreTable(
        xy=xy,
        cell=cells,
        category=category,
        price=price,
        price_premium=price - base_price,
        quality=quality,
        servers=servers.astype(np.int64),
        service_min=service_min.astype(np.float64),
        min_service_min=service_min * cfg.min_service_share,
        open_hour=open_hour,
        close_hour=close_hour,
        stock=stock,
        hassle=hassle,
        patience_min=np.full(s, cfg.patience_min),
        patience_shape=cfg.patience_shape,
        balk_wait_min=np.full(s, cfg.balk_wait_min),
        rating_sum=np.zeros(s),
        rating_n=np.zeros(s),
        rating_prior_mean=cfg.rating_prior_mean,
        rating_prior_weight=cfg.rating_prior_weight,
        expected_wait_min=np.zeros(s),
    )


@njit(cache=True)
def hour_at(hour_cdf, store, u):
    """The arrival hour uniform ``u`` gives at ``store``: its CDF steps below ``u``, at most the last."""
    hours = hour_cdf.shape[1]
    steps = 0
    for h in range(hours):
        steps += hour_cdf[store, h] < u
    return min(steps, hours - 1)


@njit(cache=True)
def _arrival_hour(hour_cdf, store, uniforms, out):
    for v in range(store.size):
        out[v] = hour_at(hour_cdf, store[v], uniforms[v])


def arrival_hour(hour_cdf: np.ndarray, store: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """The hour of the day each visitor arrives: inverse CDF of its store's hourly profile.

    Args:
        hour_cdf: (S, 24) cumulative :meth:`StoreTable.hour_weights`.
        store: (V,) store of each visitor.
        uniforms: (V,) uniforms in [0, 1).

    Returns:
        (V,) int64 hours: the number of CDF steps below the uniform (at most 23),
        the same as ``np.minimum((hour_cdf[store] < uniforms[:, None]).sum(axis=1), 23)``.
    """
    out = np.empty(store.size, dtype=np.int64)
    _arrival_hour(np.ascontiguousarray(hour_cdf, dtype=np.float64), store.astype(np.int64, copy=False),
                  np.asarray(uniforms, dtype=np.float64), out)
    return out
