"""Typed configuration of a run: dataclass schemas, defaults and validation.

Core objects:
    * :class:`SimConfig` - the whole run (seed, days and one section per module).
    * :class:`CityConfig`, :class:`PopulationConfig`, :class:`NetworkConfig`,
      :class:`StoresConfig`, :class:`BehaviorConfig`, :class:`CampaignConfig`
      (with one sub-section per lever, e.g. :class:`PushCouponConfig`).
    * :class:`ConfigError` - raised for bad values, naming key, value and what is allowed.
    * :func:`validate` - checks every range and cross-field rule before anything runs.
    * :func:`from_dict` - builds a :class:`SimConfig` from plain nested dicts.

The engine only ever sees these dataclasses; Hydra lives in :mod:`sim.cli` only.
Every behavioural default and its source is listed in ``docs/ODD.md``.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BehaviorConfig",
    "CampaignConfig",
    "CityConfig",
    "ConfigError",
    "NetworkConfig",
    "PopulationConfig",
    "PushCouponConfig",
    "SimConfig",
    "StoresConfig",
    "from_dict",
    "to_dict",
    "validate",
]

CATEGORIES = ("restaurant", "retail", "service")
NETWORK_KINDS = ("watts_strogatz", "barabasi_albert", "spatial")


class ConfigError(ValueError):
    """A configuration value is invalid; the message names key, value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid config: {key}={value!r}; allowed: {allowed}")


@dataclass
class CityConfig:
    """The city grid and how people move on it."""

    width: int = 40
    height: int = 40
    cell_km: float = 0.25
    districts: int = 4
    district_spread_km: float = 1.2
    background_density: float = 0.15
    work_in_center_share: float = 0.5
    walk_km: float = 0.8
    walk_speed_kmh: float = 4.8
    ride_speed_kmh: float = 18.0
    ride_access_min: float = 8.0
    ride_cost_per_km: float = 1.5


@dataclass
class PopulationConfig:
    """Consumer traits: the distributions each consumer's traits are drawn from."""

    size: int = 5000
    outside_utility_sd: float = 0.5
    money_weight_median: float = 0.035
    money_weight_sigma: float = 0.5
    value_of_time_median: float = 30.0
    value_of_time_sigma: float = 0.6
    app_reach: float = 0.7
    push_opt_in: float = 0.6
    trust_alpha: float = 3.0
    trust_beta: float = 2.0
    review_alpha: float = 1.0
    review_beta: float = 9.0
    share_alpha: float = 1.0
    share_beta: float = 6.0
    patience_median_scale: float = 1.0
    patience_sigma: float = 0.4
    has_work_share: float = 0.6
    initial_awareness_near: float = 0.6
    initial_familiar_share: float = 0.4
    awareness_decay_km: float = 1.5


@dataclass
class NetworkConfig:
    """The social network along which shares travel."""

    kind: str = "spatial"
    mean_degree: int = 8
    rewire_p: float = 0.1
    long_tie_share: float = 0.1
    neighbour_pool: int = 5


@dataclass
class StoresConfig:
    """The merchants: how many, of what kind, where, and how they serve."""

    count: int = 30
    restaurant_share: float = 0.5
    retail_share: float = 0.3
    quality_mean: float = 3.8
    quality_sd: float = 0.5
    price_restaurant: float = 80.0
    price_retail: float = 150.0
    price_service: float = 200.0
    price_sd: float = 0.3
    servers_min: int = 3
    servers_max: int = 8
    service_min_restaurant: float = 45.0
    service_min_retail: float = 8.0
    service_min_service: float = 50.0
    min_service_share: float = 0.3
    open_hour: int = 10
    close_hour: int = 22
    stock_factor: float = 1.0
    rating_prior_mean: float = 3.8
    rating_prior_weight: float = 10.0
    margin: float = 0.6
    booking_hassle_service: float = 0.6
    balk_wait_min: float = 30.0
    patience_min: float = 25.0
    patience_shape: float = 3.0


@dataclass
class BehaviorConfig:
    """Coefficients of the decision, satisfaction, review and share rules."""

    outside_utility: float = 3.0
    consideration_set: int = 10
    discovery_slots: int = 2
    asc_restaurant: float = 0.3
    asc_retail: float = 0.0
    asc_service: float = -0.3
    beta_quality: float = 0.9
    price_weight: float = 0.5
    beta_social: float = 0.4
    beta_loyalty: float = 0.35
    habit_decay: float = 0.97
    wait_aversion: float = 1.5
    doubt: float = 0.8
    review_confidence_n: float = 20.0
    prompt_utility: float = 1.0
    prompt_window_h: float = 1.5
    prompt_decay_h: float = 1.0
    follow_through: float = 0.85
    experience_sd: float = 0.7
    wait_penalty_per_10min: float = 0.25
    failed_visit_stars: float = 1.5
    memory_weight: float = 0.5
    review_base: float = 0.3
    review_slope: float = 0.6
    share_scale: float = 1.0
    negative_share_factor: float = 0.6
    share_reach: float = 0.3
    social_decay: float = 0.7
    wait_memory: float = 0.3


@dataclass
class PushCouponConfig:
    """Lever: a push message carrying a percent-off coupon from participating stores."""

    enabled: bool = True
    discount: float = 0.2
    radius_km: float = 2.0
    send_hour: int = 8
    budget: float = 20000.0
    frequency_cap: int = 2
    start_day: int = 3
    every_days: int = 7
    duration_days: int = 28
    validity_days: int = 7
    participating_share: float = 0.2
    cost_per_push: float = 0.05
    open_rate: float = 0.12


@dataclass
class CampaignConfig:
    """The campaign: one sub-section per lever (see :mod:`sim.campaigns`)."""

    name: str = "push_coupon"
    push_coupon: PushCouponConfig = field(default_factory=PushCouponConfig)


@dataclass
class SimConfig:
    """A whole run."""

    seed: int = 0
    days: int = 60
    scenario: str = "default"
    city: CityConfig = field(default_factory=CityConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    stores: StoresConfig = field(default_factory=StoresConfig)
    behavior: BehaviorConfig = field(default_factory=BehaviorConfig)
    campaign: CampaignConfig = field(default_factory=CampaignConfig)


# --------------------------------------------------------------------------- building


def _build(cls: type, data: dict[str, Any], prefix: str) -> Any:
    """Build dataclass ``cls`` from ``data``, refusing unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise ConfigError(prefix or "<root>", data, f"a mapping of {cls.__name__} fields")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if key not in names:
            raise ConfigError(path, value, f"one of the known keys {sorted(names)}")
        kwargs[key] = _coerce(hints[key], value, path)
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, path: str) -> Any:
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, path)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(path, value, "true or false")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(path, value, "an integer")
        if isinstance(value, float) and not value.is_integer():
            raise ConfigError(path, value, "an integer")
        return int(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(path, value, "a number")
        if not math.isfinite(float(value)):
            raise ConfigError(path, value, "a finite number")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(path, value, "a string")
        return value
    return value


def from_dict(data: dict[str, Any]) -> SimConfig:
    """Build and validate a :class:`SimConfig` from nested plain dicts.

    Args:
        data: nested mapping; missing keys take their defaults.

    Returns:
        The validated config.

    Raises:
        ConfigError: on an unknown key, a wrong type or a value out of range.
    """
    cfg = _build(SimConfig, dict(data), "")
    validate(cfg)
    return cfg


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dict of a config dataclass (for YAML / JSON output)."""
    return dataclasses.asdict(cfg)


# --------------------------------------------------------------------------- validation


def _check(ok: bool, key: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ConfigError(key, value, allowed)


def _positive(obj: Any, prefix: str, *names: str) -> None:
    for n in names:
        v = getattr(obj, n)
        _check(v > 0, f"{prefix}.{n}", v, "a number > 0")


def _non_negative(obj: Any, prefix: str, *names: str) -> None:
    for n in names:
        v = getattr(obj, n)
        _check(v >= 0, f"{prefix}.{n}", v, "a number >= 0")


def _probability(obj: Any, prefix: str, *names: str) -> None:
    for n in names:
        v = getattr(obj, n)
        _check(0.0 <= v <= 1.0, f"{prefix}.{n}", v, "a probability in [0, 1]")


def _hour(obj: Any, prefix: str, *names: str) -> None:
    for n in names:
        v = getattr(obj, n)
        _check(0 <= v <= 23, f"{prefix}.{n}", v, "an hour in 0-23")


def validate(cfg: SimConfig) -> None:
    """Check every range and cross-field rule; raise :class:`ConfigError` on the first failure."""
    _check(cfg.days >= 1, "days", cfg.days, "an integer >= 1")
    _check(cfg.seed >= 0, "seed", cfg.seed, "an integer >= 0")

    c = cfg.city
    _check(c.width >= 2, "city.width", c.width, "an integer >= 2")
    _check(c.height >= 2, "city.height", c.height, "an integer >= 2")
    _check(c.districts >= 1, "city.districts", c.districts, "an integer >= 1")
    _positive(c, "city", "cell_km", "district_spread_km", "walk_speed_kmh", "ride_speed_kmh")
    _non_negative(c, "city", "walk_km", "ride_access_min", "ride_cost_per_km")
    _probability(c, "city", "background_density", "work_in_center_share")

    p = cfg.population
    _check(p.size >= 1, "population.size", p.size, "an integer >= 1")
    _positive(p, "population", "money_weight_median", "value_of_time_median", "trust_alpha",
              "trust_beta", "review_alpha", "review_beta", "share_alpha", "share_beta",
              "patience_median_scale", "awareness_decay_km")
    _non_negative(p, "population", "money_weight_sigma", "value_of_time_sigma",
                  "outside_utility_sd", "patience_sigma")
    _probability(p, "population", "app_reach", "push_opt_in", "has_work_share",
                 "initial_awareness_near", "initial_familiar_share")

    n = cfg.network
    _check(n.kind in NETWORK_KINDS, "network.kind", n.kind, f"one of {list(NETWORK_KINDS)}")
    _check(n.mean_degree >= 2, "network.mean_degree", n.mean_degree, "an integer >= 2")
    _check(n.mean_degree < max(p.size, 3), "network.mean_degree", n.mean_degree,
           f"an integer below population.size ({p.size})")
    _probability(n, "network", "rewire_p", "long_tie_share")
    _check(n.neighbour_pool >= 1, "network.neighbour_pool", n.neighbour_pool, "an integer >= 1")

    s = cfg.stores
    _check(s.count >= 1, "stores.count", s.count, "an integer >= 1 (a city needs a store)")
    _probability(s, "stores", "restaurant_share", "retail_share", "margin")
    _check(0 < s.min_service_share <= 1, "stores.min_service_share", s.min_service_share,
           "a fraction in (0, 1]")
    _check(s.restaurant_share + s.retail_share <= 1.0 + 1e-9, "stores.retail_share", s.retail_share,
           f"at most 1 - stores.restaurant_share ({1 - s.restaurant_share:g})")
    _check(1.0 <= s.quality_mean <= 5.0, "stores.quality_mean", s.quality_mean, "a number in [1, 5]")
    _check(1.0 <= s.rating_prior_mean <= 5.0, "stores.rating_prior_mean", s.rating_prior_mean,
           "a number in [1, 5]")
    _check(s.servers_min >= 1, "stores.servers_min", s.servers_min,
           "an integer >= 1 (capacity: a store needs a server)")
    _check(s.servers_max >= s.servers_min, "stores.servers_max", s.servers_max,
           f"an integer >= stores.servers_min ({s.servers_min})")
    _positive(s, "stores", "price_restaurant", "price_retail", "price_service",
              "service_min_restaurant", "service_min_retail", "service_min_service",
              "stock_factor", "rating_prior_weight", "patience_min", "balk_wait_min",
              "patience_shape")
    _non_negative(s, "stores", "quality_sd", "price_sd", "booking_hassle_service")
    _hour(s, "stores", "open_hour", "close_hour")
    _check(s.close_hour > s.open_hour, "stores.close_hour", s.close_hour,
           f"an hour after stores.open_hour ({s.open_hour})")

    b = cfg.behavior
    _check(b.consideration_set >= 1, "behavior.consideration_set", b.consideration_set,
           "an integer >= 1")
    _check(0 <= b.discovery_slots < b.consideration_set, "behavior.discovery_slots",
           b.discovery_slots, f"an integer in [0, behavior.consideration_set) = [0, {b.consideration_set})")
    _probability(b, "behavior", "habit_decay", "follow_through", "memory_weight", "share_reach",
                 "social_decay", "wait_memory", "negative_share_factor", "review_base")
    _non_negative(b, "behavior", "beta_quality", "beta_social", "beta_loyalty", "wait_aversion",
                  "doubt", "prompt_utility", "experience_sd", "wait_penalty_per_10min",
                  "review_slope", "price_weight")
    _positive(b, "behavior", "review_confidence_n", "prompt_window_h", "prompt_decay_h", "share_scale")
    _check(1.0 <= b.failed_visit_stars <= 5.0, "behavior.failed_visit_stars", b.failed_visit_stars,
           "a number in [1, 5]")

    pc = cfg.campaign.push_coupon
    k = "campaign.push_coupon"
    _check(0.0 <= pc.discount < 1.0, f"{k}.discount", pc.discount, "a fraction in [0, 1)")
    _non_negative(pc, k, "budget", "cost_per_push", "start_day")
    _probability(pc, k, "participating_share", "open_rate")
    _hour(pc, k, "send_hour")
    _check(pc.radius_km > 0, f"{k}.radius_km", pc.radius_km, "a distance in km > 0")
    diag = math.hypot(c.width, c.height) * c.cell_km
    _check(pc.radius_km <= diag, f"{k}.radius_km", pc.radius_km,
           f"at most the city's diagonal ({diag:.2f} km)")
    _check(pc.frequency_cap >= 1, f"{k}.frequency_cap", pc.frequency_cap, "an integer >= 1")
    _check(pc.every_days >= 1, f"{k}.every_days", pc.every_days, "an integer >= 1")
    _check(pc.duration_days >= 1, f"{k}.duration_days", pc.duration_days, "an integer >= 1")
    _check(pc.validity_days >= 1, f"{k}.validity_days", pc.validity_days, "an integer >= 1")
