"""Per-store settings: one store's quality, capacity, hours, price and rating set by id in the config.

Core functions:
    * :func:`apply_overrides` - at set-up, replaces the drawn quality, servers, opening hours and
      price of the stores named in ``stores.overrides``; their daily stock and price premium follow.
    * :func:`set_ratings` - on day 0 (after the warm-up), gives the named stores the public rating
      and review count asked for.

The config is validated before anything runs (ids of existing stores, values within range:
:mod:`sim.config.schema`); docs/ODD.md 7.3a gives the rules.
"""

from __future__ import annotations

import numpy as np

from sim.config import StoresConfig
from sim.world.stores import StoreTable, daily_stock

__all__ = ["apply_overrides", "set_ratings"]


def apply_overrides(table: StoreTable, cfg: StoresConfig) -> np.ndarray:
    """Replace the drawn quality, servers, hours and price of the stores in ``cfg.overrides``, in place.

    A store whose servers or hours change gets the daily stock they give
    (:func:`~sim.world.stores.daily_stock`); a store whose price changes gets the premium over its
    category's usual price. Keys left unset keep what was drawn.

    Args:
        table: the store table (after the brand's stores were sized).
        cfg: the stores config.

    Returns:
        The ids of the stores changed (sorted).
    """
    usual = np.array([cfg.price_restaurant, cfg.price_retail, cfg.price_service])
    for ov in cfg.overrides:
        j = ov.id
        if ov.quality is not None:
            table.quality[j] = ov.quality
        if ov.price is not None:
            table.price[j] = ov.price
            table.price_premium[j] = ov.price - usual[table.category[j]]
        if ov.servers is not None:
            table.servers[j] = ov.servers
        if ov.open_hour is not None:
            table.open_hour[j] = ov.open_hour
        if ov.close_hour is not None:
            table.close_hour[j] = ov.close_hour
        if ov.servers is not None or ov.open_hour is not None or ov.close_hour is not None:
            table.stock[j] = daily_stock(table.servers[j], table.open_hour[j], table.close_hour[j],
                                         table.service_min[j], cfg.stock_factor)
    return np.array(sorted(ov.id for ov in cfg.overrides), dtype=np.int64)


def set_ratings(table: StoreTable, cfg: StoresConfig) -> None:
    """Give the stores in ``cfg.overrides`` with a rating or review count that rating from then on, in place.

    Store ``j`` gets ``n`` reviews averaging ``r`` and its prior mean becomes ``r``, so the
    public rating (:attr:`~sim.world.stores.StoreTable.rating`) is exactly ``r`` now, and its
    reviews count ``n`` towards resolving doubt (docs/ODD.md 7.7). An unset ``rating`` keeps the
    store's current rating; an unset ``review_count`` keeps its current number of reviews.
    The shared prior mean becomes a per-store array the first time a store is given one.
    """
    named = [ov for ov in cfg.overrides if ov.rating is not None or ov.review_count is not None]
    if not named:
        return
    current = table.rating
    prior = np.broadcast_to(np.asarray(table.rating_prior_mean, dtype=np.float64), (table.count,)).copy()
    for ov in named:
        j = ov.id
        r = float(current[j]) if ov.rating is None else ov.rating
        n = float(table.rating_n[j]) if ov.review_count is None else float(ov.review_count)
        prior[j] = r
        table.rating_n[j] = n
        table.rating_sum[j] = r * n
    table.rating_prior_mean = prior
