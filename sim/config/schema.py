"""Typed configuration of a run: dataclass schemas, defaults, allowed ranges and validation.

Core objects:
    * :class:`SimConfig` - the whole run (seed, days and one section per module).
    * :class:`CityConfig`, :class:`PopulationConfig`, :class:`NetworkConfig`,
      :class:`StoresConfig`, :class:`BehaviorConfig`, :class:`CampaignConfig`
      (with one sub-section per lever, e.g. :class:`PushCouponConfig`).
    * :func:`param` - declares a field with its meaning, unit and allowed range
      (the single source of truth for validation and for docs/CONFIG.md).
    * :class:`ConfigError` - raised for bad values, naming key, value and what is allowed.
    * :func:`validate` - checks every field's range, then the cross-field rules.
    * :func:`from_dict` - builds a :class:`SimConfig` from plain nested dicts.

The engine only ever sees these dataclasses; Hydra lives in :mod:`sim.cli` only.
Every behavioural default and its source is listed in ``docs/ODD.md``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BehaviorConfig",
    "CalendarConfig",
    "CalendarEvent",
    "CampaignConfig",
    "CityConfig",
    "ConfigError",
    "EconomicsConfig",
    "NetworkConfig",
    "PopulationConfig",
    "CRMConfig",
    "OMOConfig",
    "ReverseO2OConfig",
    "PushCouponConfig",
    "SegmentConfig",
    "SimConfig",
    "StoreOverride",
    "StoresConfig",
    "WordOfMouthConfig",
    "allowed",
    "check_list",
    "check_type",
    "from_dict",
    "in_range",
    "iter_params",
    "param",
    "param_list",
    "parse_list",
    "to_dict",
    "validate",
]

CATEGORIES = ("restaurant", "retail", "service")
NETWORK_KINDS = ("watts_strogatz", "barabasi_albert", "spatial", "complete")
#: How strong ties are chosen when the network is built (docs/ODD.md 7.5).
TIE_STRENGTHS = ("overlap", "random")
#: How a share's reach is normalised over ties (docs/ODD.md 7.15).
WOM_FORMS = ("receiver", "sender", "per_tie")


class ConfigError(ValueError):
    """A configuration value is invalid; the message names key, value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid config: {key}={_shown(value)}; allowed: {allowed}")

    def __reduce__(self):
        """Pickle by the three fields (a worker process's error reaches the parent intact)."""
        return (type(self), (self.key, self.value, self.allowed))


def _shown(value: Any) -> str:
    """``repr`` of a value, shortened so that one error stays one readable line."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 80 else text[:77] + "..."


#: Upper bound (and, for signed quantities, lower bound -x) of a numeric field declared without one,
#: by unit: far beyond any sensible value, so that an absurd one is refused before anything runs.
UNIT_LIMITS = {
    "currency": 1e9, "currency/km": 1e6, "currency/h": 1e7, "utils/currency": 1e3, "km": 1e7, "km/h": 1e3,
    "min": 10080.0, "h": 168.0, "days": 36500, "day": 36500, "count": 10**9, "utils": 1e6, "utils/star": 1e3,
    "1/star": 1e3, "stars": 4.0, "reviews": 1e9, "purchases": 1e6, "-": 1e6,
}


def param(default: Any, help: str, unit: str = "", *, ge: float | None = None, gt: float | None = None,
          le: float | None = None, lt: float | None = None, choices: tuple | None = None,
          note: str = "") -> Any:
    """A config field with its meaning, unit and allowed range.

    Args:
        default: default value.
        help: one-line meaning.
        unit: unit of measure ("probability", "hour", "km", "min", "currency", ...).
        ge: inclusive lower bound.
        gt: exclusive lower bound.
        le: inclusive upper bound.
        lt: exclusive upper bound.
        choices: allowed values.
        note: why the range is what it is (appended to the error message).

    A numeric field declared with no upper bound gets the bound of its unit in
    :data:`UNIT_LIMITS` (and its negative as lower bound if it has none either).
    """
    if choices is None and le is None and lt is None and unit in UNIT_LIMITS:  # no value is unbounded
        le = UNIT_LIMITS[unit]
        if ge is None and gt is None:
            ge = -le
    meta = {"help": help, "unit": unit, "ge": ge, "gt": gt, "le": le, "lt": lt, "choices": choices,
            "note": note}
    return field(default=default, metadata=meta)


def _num(x: float) -> str:
    if isinstance(x, int):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:g}"


def allowed(f: dataclasses.Field, tp: type) -> str:
    """Human-readable allowed range of a field declared with :func:`param` or :func:`param_list`."""
    m = f.metadata
    if not m:
        return "any value of the type"
    if list_item(tp) is not None:
        return _allowed_list(f, tp)
    inner = optional_of(tp)
    if inner is not None:
        return allowed(f, inner) + ", or null (not set)"
    kind = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(tp, "a value")
    ge, gt, le, lt = m["ge"], m["gt"], m["le"], m["lt"]
    if m["choices"]:
        text = f"one of {list(m['choices'])}"
    elif m["unit"] == "probability" and ge == 0 and le == 1:
        text = "a probability in [0, 1]"
    elif m["unit"] == "hour" and ge == 0 and le == 23:
        text = "an hour in 0-23"
    elif (ge is not None or gt is not None) and (le is not None or lt is not None):
        lo = f"[{_num(ge)}" if ge is not None else f"({_num(gt)}"
        hi = f"{_num(le)}]" if le is not None else f"{_num(lt)})"
        text = f"{kind} in {lo}, {hi}"
    elif ge is not None:
        text = f"{kind} >= {_num(ge)}"
    elif gt is not None:
        text = f"{kind} > {_num(gt)}"
    elif le is not None:
        text = f"{kind} <= {_num(le)}"
    elif lt is not None:
        text = f"{kind} < {_num(lt)}"
    else:
        text = kind
    return f"{text} ({m['note']})" if m["note"] else text


def check_type(key: str, value: Any, tp: type, f: dataclasses.Field | None = None) -> None:
    """The one type rule of every config field, for the command line, :func:`from_dict` and :func:`validate`.

    ``bool`` fields take only ``True``/``False`` (not 0, 1 or 2); ``int`` fields an integer
    (not a bool); ``float`` fields a finite number (not a bool, not NaN or infinity);
    ``str`` fields a string.

    An optional field (``float | None``) also takes ``None`` (not set); a list field is checked
    by :func:`check_list`.

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    declared, inner = tp, optional_of(tp)
    if inner is not None:
        if value is None:
            return
        tp = inner
    if tp is bool:
        ok, kind = isinstance(value, bool), "true or false"
    elif tp is int:
        ok, kind = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif tp is float:
        ok = (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(float(value)))
        kind = "a finite number"
    elif tp is str:
        ok, kind = isinstance(value, str), "a string"
    else:
        return
    if not ok:
        text = allowed(f, declared) if f is not None and f.metadata else kind
        raise ConfigError(key, value, text.replace("a number", "a finite number") if tp is float else text)


def in_range(f: dataclasses.Field, value: Any) -> bool:
    """Whether ``value`` is within the field's declared range or among its choices (:func:`param`).

    Args:
        f: a field declared with :func:`param` (a field without metadata allows anything).
        value: a value of the field's type (:func:`check_type`).
    """
    m = f.metadata
    if not m:
        return True
    if m["choices"]:
        return value in m["choices"]
    return not ((m["ge"] is not None and value < m["ge"]) or (m["gt"] is not None and value <= m["gt"])
                or (m["le"] is not None and value > m["le"]) or (m["lt"] is not None and value >= m["lt"]))

def optional_of(tp: Any) -> Any:
    """``X`` for an optional field's type ``X | None``, else ``None``."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0]
    return None


def list_item(tp: Any) -> Any:
    """The item type ``X`` of a list field's type ``list[X]``, else ``None``."""
    return typing.get_args(tp)[0] if typing.get_origin(tp) is list else None


def param_list(default: Callable[[], list], help: str, unit: str = "", *, length: int | None = None,
               ge: float | None = None, gt: float | None = None, le: float | None = None,
               lt: float | None = None, note: str = "") -> Any:
    """A config field holding a list: of numbers (each within the range given) or of records.

    A record is a dataclass whose fields are declared with :func:`param`; each is checked
    against its own range (:func:`check_list`). Lists are replaced whole, never merged
    (``stores.overrides=[{id: 3, rating: 4.5}]`` on the command line).

    Args:
        default: makes the default list.
        help: one-line meaning.
        unit: unit of each number (lists of numbers).
        length: the exact length required (``None``: any length).
        ge: inclusive lower bound of each number (lists of numbers).
        gt: exclusive lower bound of each number.
        le: inclusive upper bound of each number.
        lt: exclusive upper bound of each number.
        note: why the rule is what it is (appended to the error message).
    """
    meta = {"help": help, "unit": unit, "ge": ge, "gt": gt, "le": le, "lt": lt, "choices": None,
            "note": note, "length": length}
    return field(default_factory=default, metadata=meta)


def _allowed_list(f: dataclasses.Field, tp: Any) -> str:
    item, m = list_item(tp), f.metadata
    size = f"{m.get('length')} " if m.get("length") else ""
    if dataclasses.is_dataclass(item):
        keys = ", ".join(x.name for x in dataclasses.fields(item))
        text = f"a list of {size}records with keys {{{keys}}}"
    else:
        bounds = {k: m[k] for k in ("ge", "gt", "le", "lt")}
        each = allowed(dataclasses.field(metadata={**m, **bounds, "note": "", "choices": None}), item)
        text = f"a list of {size}values, each {each}"
    return f"{text} ({m['note']})" if m.get("note") else text


def check_list(key: str, value: Any, f: dataclasses.Field, tp: Any) -> None:
    """A list field's value: a list of the declared length, each item of its type and within its range.

    Items are named ``key[i]`` (numbers) or ``key[i].field`` (records) in the error.

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    item, m = list_item(tp), f.metadata
    if not isinstance(value, list) or (m.get("length") and len(value) != m["length"]):
        raise ConfigError(key, value, allowed(f, tp))
    for i, x in enumerate(value):
        where = f"{key}[{i}]"
        if not dataclasses.is_dataclass(item):
            check_type(where, x, item, f)
            if not in_range(f, x):
                raise ConfigError(where, x, allowed(dataclasses.field(metadata={**m, "note": ""}), item))
            continue
        if not isinstance(x, item):
            raise ConfigError(where, x, allowed(f, tp))
        hints = typing.get_type_hints(item)
        for g in dataclasses.fields(item):
            v = getattr(x, g.name)
            check_type(f"{where}.{g.name}", v, hints[g.name], g)
            if v is not None and not in_range(g, v):
                raise ConfigError(f"{where}.{g.name}", v, allowed(g, hints[g.name]))


def parse_list(key: str, value: Any, f: dataclasses.Field, tp: Any) -> list:
    """A list field's value built from plain data (records from mappings) and checked item by item.

    The rules of :func:`from_dict` and :func:`check_list`; the rules tying an item to other
    fields (a store id below ``stores.count``, ...) are :func:`validate`'s.

    Raises:
        ConfigError: naming the item's key (``key[i].field``), the value and what is allowed.
    """
    built = _coerce(tp, value, key, f)
    check_list(key, built, f, tp)
    return built


P01 = {"ge": 0.0, "le": 1.0, "unit": "probability"}
POS = {"gt": 0.0}
NONNEG = {"ge": 0.0}


@dataclass
class CityConfig:
    """The city grid and how people move on it."""

    width: int = param(40, "grid width", "cells", ge=2, le=5000)
    height: int = param(40, "grid height", "cells", ge=2, le=5000)
    cell_km: float = param(0.25, "side of a grid cell", "km", gt=0.0, le=100.0)
    districts: int = param(4, "district centres (the first is central)", "count", ge=1, le=10000)
    district_spread_km: float = param(1.2, "spread of a district's population around its centre", "km", **POS)
    background_density: float = param(0.15, "share of residents spread uniformly over the city", **P01)
    work_in_center_share: float = param(0.5, "share of workplace density on the central district", **P01)
    walk_km: float = param(0.8, "longest one-way trip made on foot; beyond it people ride", "km", **NONNEG)
    walk_speed_kmh: float = param(4.8, "walking speed", "km/h", **POS)
    ride_speed_kmh: float = param(18.0, "riding speed (transit, taxi, bike)", "km/h", **POS)
    ride_access_min: float = param(8.0, "access time of a ride (wait, walk to stop)", "min", **NONNEG)
    ride_cost_per_km: float = param(1.5, "out-of-pocket cost of a ride", "currency/km", **NONNEG)
    spatial: bool = param(True, "trips cost time and money; false makes every trip free and instant "
                          "(docking without space)")


@dataclass
class SegmentConfig:
    """A persona segment: its share of the consumers and how its traits differ from the population's.

    Factors multiply the population's trait (a median, a drawn value or the odds of a
    probability); shifts add to it. A segment given with only a name and share has the
    population's traits (docs/ODD.md 7.2a).
    """

    name: str = param("all", "label of the segment (Results.consumers, calendar scopes)")
    share: float = param(1.0, "share of the consumers in this segment (the segments' shares sum to 1)", **P01)
    money_weight_factor: float = param(1.0, "multiplies population.money_weight_median (price sensitivity)",
                                       "-", gt=0.0, le=100.0)
    value_of_time_factor: float = param(1.0, "multiplies population.value_of_time_median", "-", gt=0.0,
                                        le=100.0)
    outside_utility_shift: float = param(0.0, "added to the outside option (positive: visits less often)",
                                         "utils", ge=-20.0, le=20.0)
    trust_factor: float = param(1.0, "multiplies each member's drawn trust in reviews (capped at 1)", "-",
                                ge=0.0, le=100.0)
    reach_odds: float = param(1.0, "multiplies the odds of being reachable online (population.app_reach)",
                              "-", ge=0.0, le=1e6)
    opt_in_odds: float = param(1.0, "multiplies the odds of accepting pushes (population.push_opt_in)", "-",
                               ge=0.0, le=1e6)
    deal_weight: float = param(1.0, "deal proneness: weight of a held coupon's value in the choice, and of "
                               "the chance of topping a basket up to a minimum spend", "-", ge=0.0, le=100.0)
    habit_gain: float = param(1.0, "loyalty strength: habit stock added per purchase (and at set-up)",
                              "purchases", ge=0.0, le=100.0)
    review_factor: float = param(1.0, "multiplies each member's drawn review propensity (capped at 1)", "-",
                                 ge=0.0, le=100.0)
    share_factor: float = param(1.0, "multiplies each member's drawn share propensity (capped at 1)", "-",
                                ge=0.0, le=100.0)


def default_segments() -> list[SegmentConfig]:
    """The default persona mix; shares, traits and their sources in docs/ODD.md 7.2a and 8.3a."""
    return [
        SegmentConfig("deal_seekers", 0.24, money_weight_factor=1.15, value_of_time_factor=0.8,
                      deal_weight=1.4, habit_gain=0.7, share_factor=1.3),
        SegmentConfig("loyalists", 0.26, money_weight_factor=0.85, trust_factor=0.92, deal_weight=0.6,
                      habit_gain=1.3, share_factor=0.9),
        SegmentConfig("digital_first", 0.25, value_of_time_factor=1.3, trust_factor=1.17, reach_odds=8.14,
                      opt_in_odds=2.667, habit_gain=0.9, review_factor=1.3, share_factor=1.1),
        SegmentConfig("offline_first", 0.25, value_of_time_factor=0.9, trust_factor=0.9, reach_odds=0.351,
                      opt_in_odds=0.444, habit_gain=1.1, review_factor=0.7, share_factor=0.7),
    ]


@dataclass
class PopulationConfig:
    """Consumer traits: the distributions each consumer's traits are drawn from."""

    size: int = param(5000, "number of consumers", "count", ge=1, le=100_000_000)
    outside_utility_sd: float = param(0.5, "spread of the outside option across consumers", "utils", **NONNEG)
    money_weight_median: float = param(0.035, "median utils per currency unit (price sensitivity)",
                                       "utils/currency", **POS)
    money_weight_sigma: float = param(0.5, "log-normal sigma of money weight", "-", **NONNEG)
    value_of_time_median: float = param(30.0, "median value of time", "currency/h", **POS)
    value_of_time_sigma: float = param(0.6, "log-normal sigma of value of time", "-", **NONNEG)
    app_reach: float = param(0.7, "share reachable online (has the app / follows merchants)", **P01)
    push_opt_in: float = param(0.6, "share accepting push messages", **P01)
    trust_alpha: float = param(3.0, "Beta alpha of trust in reviews", "-", **POS)
    trust_beta: float = param(2.0, "Beta beta of trust in reviews", "-", **POS)
    review_alpha: float = param(1.0, "Beta alpha of review propensity", "-", **POS)
    review_beta: float = param(9.0, "Beta beta of review propensity", "-", **POS)
    share_alpha: float = param(1.0, "Beta alpha of share propensity", "-", **POS)
    share_beta: float = param(6.0, "Beta beta of share propensity", "-", **POS)
    patience_median_scale: float = param(1.0, "median multiplier of store patience and balking", "-", **POS)
    patience_sigma: float = param(0.4, "log-normal sigma of that multiplier", "-", **NONNEG)
    has_work_share: float = param(0.6, "share with a workplace (else work = home)", **P01)
    member_share: float = param(0.0, "share already members of the brand's programme at the start", **P01)
    initial_awareness_near: float = param(0.6, "chance of knowing a store at distance 0", **P01)
    initial_familiar_share: float = param(0.4, "share of known stores already tried before day 0", **P01)
    initial_habit: float = param(1.5, "habit stock of a store tried before day 0", "purchases", **NONNEG)
    awareness_decay_km: float = param(1.5, "distance scale of initial awareness", "km", **POS)
    deal_proneness_alpha: float = param(2.0, "Beta alpha of deal proneness (the pleasure of using a deal "
                                        "itself)", "-", **POS)
    deal_proneness_beta: float = param(2.0, "Beta beta of deal proneness", "-", **POS)
    segments: list[SegmentConfig] = param_list(default_segments, "persona segments with correlated traits "
                                               "(empty: traits drawn independently)")


@dataclass
class NetworkConfig:
    """The social network along which shares travel."""

    kind: str = param("spatial", "graph model; complete = everyone mixes with everyone (mean field, "
                      "the Bass model's assumption)", choices=NETWORK_KINDS)
    mean_degree: int = param(8, "mean number of friends", "count", ge=2, le=1000)
    rewire_p: float = param(0.1, "Watts-Strogatz rewiring probability", **P01)
    long_tie_share: float = param(0.1, "spatial: share of friends drawn anywhere in the city", **P01)
    neighbour_pool: int = param(5, "spatial: friends drawn among this many x their number of nearest people",
                                "-", ge=1, le=1000)
    strong_tie_share: float = param(0.3, "share of friendships that are strong ties (close friends, family); "
                                    "the rest are weak ties (acquaintances)", **P01)
    tie_strength: str = param("overlap", "which ties are strong: those whose two ends share the most friends "
                              "(neighbourhood overlap), or drawn at random", choices=TIE_STRENGTHS)


@dataclass
class StoreOverride:
    """One store's own settings, replacing what was drawn for it (docs/ODD.md 7.3a); unset keys keep it."""

    id: int = param(0, "the store's id (0 .. stores.count - 1)", "count", ge=0, le=99_999)
    quality: float | None = param(None, "true quality", "stars", ge=1.0, le=5.0)
    rating: float | None = param(None, "public rating shown on day 0 (its reviews' mean and the store's "
                                 "prior mean)", "stars", ge=1.0, le=5.0)
    review_count: int | None = param(None, "reviews behind that rating on day 0", "count", ge=0, le=10**9)
    servers: int | None = param(None, "parallel servers (the daily stock follows)", "count", ge=1, le=1000)
    open_hour: int | None = param(None, "opening hour", "hour", ge=0, le=23)
    close_hour: int | None = param(None, "closing hour (after open_hour)", "hour", ge=0, le=23)
    price: float | None = param(None, "average ticket (its premium over the category's usual price follows)",
                                "currency", gt=0.0, le=1e9)


@dataclass
class StoresConfig:
    """The merchants: how many, of what kind, where, and how they serve."""

    count: int = param(30, "number of stores", "count", ge=1, le=100_000, note="a city needs a store")
    restaurant_share: float = param(0.5, "share of restaurants", **P01)
    retail_share: float = param(0.3, "share of retail stores (the rest are services)", **P01)
    quality_mean: float = param(3.8, "mean true quality", "stars", ge=1.0, le=5.0)
    quality_sd: float = param(0.5, "sd of true quality", "stars", **NONNEG)
    price_restaurant: float = param(80.0, "usual ticket at a restaurant", "currency", **POS)
    price_retail: float = param(150.0, "usual ticket at a retail store", "currency", **POS)
    price_service: float = param(200.0, "usual ticket at a service (beauty, fitness)", "currency", **POS)
    price_sd: float = param(0.3, "log-normal sigma of a store's price around its category's", "-", **NONNEG)
    servers_min: int = param(3, "fewest parallel servers (tables, cashiers, staff)", "count", ge=1, le=1000,
                             note="capacity: a store needs a server")
    servers_max: int = param(8, "most parallel servers", "count", ge=1, le=1000)
    service_min_restaurant: float = param(45.0, "mean service time at a restaurant", "min", **POS)
    service_min_retail: float = param(8.0, "mean service time at a retail store", "min", **POS)
    service_min_service: float = param(50.0, "mean service time at a service", "min", **POS)
    min_service_share: float = param(0.3, "shortest service as a share of the mean", "fraction",
                                     gt=0.0, le=1.0)
    open_hour: int = param(10, "opening hour", "hour", ge=0, le=23)
    close_hour: int = param(22, "closing hour", "hour", ge=0, le=23)
    stock_factor: float = param(1.0, "daily stock as a multiple of mean daily throughput", "-", **POS)
    rating_prior_mean: float = param(3.8, "prior mean of the public rating", "stars", ge=1.0, le=5.0)
    rating_prior_weight: float = param(10.0, "prior weight of the rating, in reviews", "reviews", **POS)
    margin: float = param(0.6, "gross margin on a ticket", "fraction", ge=0.0, le=1.0)
    booking_hassle_service: float = param(0.6, "booking hassle of services", "utils", **NONNEG)
    balk_wait_min: float = param(30.0, "expected wait above which an arrival balks (median consumer)", "min",
                                 **POS)
    patience_min: float = param(25.0, "mean patience in the queue (median consumer)", "min", **POS)
    patience_shape: float = param(3.0, "gamma shape of patience (1 = exponential)", "-", **POS)
    brand_servers_min: int = param(0, "fewest servers at each of the brand's stores (0 = drawn as at any "
                                   "store)", "count", ge=0, le=1000)
    brand_servers_max: int = param(0, "most servers at each of the brand's stores (0 = drawn as at any "
                                   "store)", "count", ge=0, le=1000)
    capacity_limited: bool = param(True, "servers, queues, closing time and stock limit service; false "
                                   "serves every arrival at once (docking without capacity)")
    overrides: list[StoreOverride] = param_list(list, "settings of single stores by id: quality, rating, "
                                                "review count, servers, hours, price")


@dataclass
class BehaviorConfig:
    """Coefficients of the decision, satisfaction, review and share rules."""

    outside_utility: float = param(2.55, "mean utility of not visiting any modelled store today", "utils")
    consideration_set: int = param(10, "stores a consumer considers (K)", "count", ge=1, le=1000)
    discovery_slots: int = param(2, "of which slots for stores learned online (D < K)", "count", ge=0)
    asc_restaurant: float = param(0.3, "category constant: restaurants", "utils")
    asc_retail: float = param(0.0, "category constant: retail", "utils")
    asc_service: float = param(-0.3, "category constant: services", "utils")
    beta_quality: float = param(0.9, "utils per star of expected quality above 3", "utils/star", **NONNEG)
    price_weight: float = param(0.5, "weight of a store's price premium over its category's usual", "-",
                                **NONNEG)
    beta_social: float = param(0.4, "utils per (decayed) friend's share", "utils", **NONNEG)
    beta_loyalty: float = param(0.35, "utils per log(1 + habit)", "utils", **NONNEG)
    habit_decay: float = param(0.9, "daily retention of habit", **P01)
    forget_after_days: int = param(30, "days without any contact after which a store may be forgotten",
                                   "days", ge=1)
    forget_rate: float = param(0.03, "daily chance of forgetting such a store (awareness, memory, habit)",
                               **P01)
    wait_aversion: float = param(1.5, "waiting time weighed against travel time", "-", **NONNEG)
    doubt: float = param(0.8, "doubt about a never-visited store, before reviews", "utils", **NONNEG)
    review_confidence_n: float = param(20.0, "reviews that resolve half of the doubt of a trusting reader",
                                       "reviews", **POS)
    prompt_utility: float = param(1.8, "utility of a perfectly timed message, on its day", "utils", **NONNEG)
    prompt_window_h: float = param(1.0, "best lead time of a message before a peak", "h", **POS)
    prompt_carryover: float = param(0.3, "share of a message's prompt still there the next day (a visit "
                                    "planned for a later day; 0: the prompt lasts its day only)", **P01)
    prompt_decay_h: float = param(1.0, "fall-off of the prompt away from that lead", "h", **POS)
    follow_through: float = param(0.85, "chance an intent becomes a visit", **P01)
    experience_sd: float = param(0.7, "sd of an experience around true quality", "stars", **NONNEG)
    wait_penalty_per_10min: float = param(0.25, "stars lost per 10 min of waiting", "stars", **NONNEG)
    failed_visit_stars: float = param(1.5, "experienced quality of a failed visit (balk, renege, closed, "
                                      "stock-out) for satisfaction and memory; its review is 1 star",
                                      "stars", ge=1.0, le=5.0)
    memory_weight: float = param(0.5, "weight of the newest experience in memory", **P01)
    review_base: float = param(0.3, "review chance at zero disconfirmation, per unit propensity", **P01)
    review_slope: float = param(0.6, "added review chance per star of disconfirmation", "1/star", **NONNEG)
    share_scale: float = param(1.0, "disconfirmation at which the share chance saturates", "stars", **POS)
    negative_share_factor: float = param(0.6, "relative willingness to share a bad experience", **P01)
    share_reach: float = param(1.28, "reach of a share (q): friends told per share, divided over ties "
                               "(wom.form sender, receiver; complete mixing: consumers told per share); the "
                               "chance each friend sees it (wom.form per_tie, at most 1)", "-", ge=0.0,
                               le=100.0)
    social_decay: float = param(0.7, "daily retention of a share's influence", **P01)
    wait_memory: float = param(0.3, "weight of today's waits in a store's expected wait", **P01)
    adoption: str = param("repeat", "repeat: customers may buy again; once: the first purchase is an "
                          "adoption, after which the consumer buys no more and tells the market every "
                          "day (the Bass model's imitation)", choices=("repeat", "once"))
    distance_form: str = param("cost", "how distance enters utility: the generalised cost of the trip "
                               "(money + value of time), or beta_log_distance x ln(km) (Huff's gravity "
                               "model)", choices=("cost", "log"))
    beta_log_distance: float = param(1.5, "distance decay of the log form: utils per ln(km)", "utils",
                                     **NONNEG)
    need_weight: float = param(1.0, "weight of ln P(the category's need has arisen since the last purchase) "
                               "in the utility of its stores (0: no purchase cycle)", "utils", **NONNEG)
    cycle_restaurant_days: float = param(3.0, "mean days for the need to eat out to arise again after a "
                                         "restaurant purchase", "days", **POS)
    cycle_retail_days: float = param(7.0, "mean days for a shopping need to arise again after a retail "
                                     "purchase", "days", **POS)
    cycle_service_days: float = param(14.0, "mean days for a service need to arise again after a service "
                                      "purchase", "days", **POS)
    need_initial_days: float = param(28.0, "mean days since the last purchase in a category when the run "
                                     "starts (1 + exponential draws)", "days", **NONNEG)
    loss_aversion: float = param(2.25, "weight of paying more than the share of the price remembered from "
                                 "one's last deal at that store (a loss against the reference price)", "-",
                                 **NONNEG)
    reference_weight: float = param(0.5, "how far one purchase at that store moves the remembered share "
                                    "towards what was paid", **P01)
    coupon_urgency: float = param(0.5, "extra weight of a held coupon's value on its last valid day "
                                  "(use it or lose it): the value counts 1 + urgency x "
                                  "exp(-days left / coupon_urgency_days) times", "-", **NONNEG)
    coupon_urgency_days: float = param(1.0, "how fast that urgency fades with the days a coupon has left",
                                       "days", **POS)
    topup_rate: float = param(0.5, "chance of topping a basket up to a coupon's minimum spend when the "
                              "gap is near 0 (falls to 0 as the gap reaches topup_gap_multiple x the saving)",
                              **P01)
    topup_gap_multiple: float = param(2.0, "largest top-up, as a multiple of the money the coupon saves",
                                      "-", ge=0.0, le=100.0)


@dataclass
class PushCouponConfig:
    """Lever: a push message carrying a coupon from participating stores, with targeting and timing."""

    enabled: bool = param(True, "run this lever")
    coupon_kind: str = param("percent", "percent off, or a fixed amount off", choices=("percent", "amount"))
    discount: float = param(0.2, "percent off, as a fraction (percent coupons)", "fraction", ge=0.0, lt=1.0)
    amount_off: float = param(15.0, "money off (amount coupons)", "currency", **NONNEG)
    min_spend: float = param(0.0, "minimum ticket for the coupon to apply (spend X save Y)", "currency",
                             **NONNEG)
    redemption_cap: int = param(0, "most redemptions over the campaign (0 = no cap)", "count", ge=0)
    audience: str = param("geo", "who can be targeted: within radius_km of a participating store, or "
                          "everyone", choices=("geo", "everyone"))
    segment: str = param("all", "target segment by purchase history (new, active, lapsed, vip) or online "
                         "activity (browsers)", choices=("all", "new", "active", "lapsed", "vip", "browsers"))
    active_days: int = param(30, "a customer is active if they bought within this many days, else lapsed",
                             "days", ge=1)
    vip_purchases: int = param(8, "purchases that make a customer VIP", "count", ge=1)
    radius_km: float = param(2.0, "geo-fence around participating stores (home or work inside)", "km", **POS)
    reach_decay_km: float = param(0.0, "location-based feeds: a consumer in the audience is reached with "
                                  "chance 1 / (1 + (d / reach_decay_km)^2), d the distance to the featured "
                                  "store (0 = everyone in the audience)", "km", **NONNEG)
    timing: str = param("fixed", "send at send_hour, or at each category's best hour before its peak",
                        choices=("fixed", "context"))
    send_hour: int = param(8, "hour the pushes go out (timing: fixed)", "hour", ge=0, le=23)
    fatigue_free: int = param(4, "pushes a consumer tolerates before any opt-out", "count", ge=0)
    fatigue_rate: float = param(0.05, "chance of opting out per push beyond fatigue_free", **P01)
    budget: float = param(20000.0, "total budget: messages + discounts paid + face value of coupons "
                          "outstanding", "currency", **NONNEG)
    frequency_cap: int = param(4, "most pushes per consumer over the campaign", "count", ge=1)
    start_day: int = param(3, "first send day", "day", ge=0)
    every_days: int = param(7, "days between send days", "days", ge=1)
    duration_days: int = param(28, "length of the campaign", "days", ge=1)
    validity_days: int = param(7, "days a coupon stays valid, send day included", "days", ge=1)
    cost_per_push: float = param(0.05, "cost of one push message", "currency", **NONNEG)
    open_rate: float = param(0.12, "chance a push sent at an awake hour is noticed", **P01)


@dataclass
class ReverseO2OConfig:
    """Lever: an in-store QR code that makes visitors members, reachable online (offline -> online)."""

    enabled: bool = param(False, "run this lever")
    join_rate: float = param(0.25, "chance a served visitor at a brand store scans and joins", **P01)
    join_reward: float = param(5.0, "reward paid per join (a small gift or points)", "currency", **NONNEG)


@dataclass
class CRMConfig:
    """Lever: a member database with repurchase reminders, win-back coupons and VIP perks."""

    enabled: bool = param(False, "run this lever")
    start_day: int = param(0, "first day of the programme", "day", ge=0)
    every_days: int = param(7, "days between CRM sends", "days", ge=1)
    reminder_after_days: int = param(14, "remind members this many days after their last brand purchase",
                                     "days", ge=1)
    lapsed_days: int = param(35, "members without a brand purchase this long get a win-back coupon", "days",
                             ge=1)
    winback_discount: float = param(0.25, "win-back coupon, percent off", "fraction", ge=0.0, lt=1.0)
    validity_days: int = param(10, "days a win-back coupon stays valid", "days", ge=1)
    vip_purchases: int = param(6, "brand purchases that make a member VIP", "count", ge=1)
    vip_discount: float = param(0.05, "standing VIP discount at brand stores", "fraction", ge=0.0, lt=1.0)
    open_rate: float = param(0.3, "chance a member notices a CRM message", **P01)
    cost_per_message: float = param(0.02, "cost of one CRM message", "currency", **NONNEG)
    budget: float = param(20000.0, "total budget: messages, discounts, perks", "currency", **NONNEG)


@dataclass
class OMOConfig:
    """Lever: the OMO package - unified points, integrated inventory, pick-up and delivery."""

    enabled: bool = param(False, "run this lever")
    unified_points: bool = param(True, "members earn points on every brand purchase, any channel")
    points_rate: float = param(0.05, "value of points earned per unit spent", "fraction", ge=0.0, lt=1.0)
    integrated_inventory: bool = param(True, "stock visible online: no wasted trip to a sold-out store")
    pickup: bool = param(True, "order online, pick up without queueing")
    pickup_hassle: float = param(0.2, "hassle of ordering ahead", "utils", **NONNEG)
    delivery: bool = param(True, "order online, delivered home")
    delivery_fee: float = param(8.0, "delivery fee paid by the consumer", "currency", **NONNEG)
    delivery_radius_km: float = param(15.0, "delivery reach from a brand store", "km", **POS)
    delivery_penalty: float = param(0.4, "utility lost by not experiencing the store", "utils", **NONNEG)
    channel_nest_scale: float = param(0.3, "nesting of a store's channels (1 = independent options, "
                                      "near 0 = the best channel only)", "-", gt=0.0, le=1.0)
    personalised_targeting: bool = param(True, "unified data: pushes feature the store each consumer liked "
                                         "best, not the nearest")
    fixed_cost_per_store_day: float = param(30.0, "running cost of the OMO systems per brand store and day",
                                            "currency", **NONNEG)


@dataclass
class AdsConfig:
    """Lever: social and search ads for the brand's stores, paid per thousand impressions."""

    enabled: bool = param(False, "run this lever")
    daily_reach: float = param(0.05, "share of all consumers shown an ad each day", **P01)
    click_rate: float = param(0.02, "chance an impression is noticed and read", **P01)
    prompt: float = param(0.3, "utility of an ad read today", "utils", **NONNEG)
    cpm: float = param(20.0, "cost per thousand impressions", "currency", **NONNEG)
    budget: float = param(10000.0, "total budget", "currency", **NONNEG)


@dataclass
class ReservationConfig:
    """Lever: online reservations at the brand's stores - skip the queue for a little booking hassle."""

    enabled: bool = param(False, "run this lever")
    hassle: float = param(0.15, "hassle of booking a table or slot online", "utils", **NONNEG)
    fee_per_booking: float = param(0.5, "platform fee per reservation", "currency", **NONNEG)


@dataclass
class RealTimeInfoConfig:
    """Lever: live crowding and stock of the brand's stores online (no trip to a queue or empty shelf)."""

    enabled: bool = param(False, "run this lever")
    cost_per_store_day: float = param(5.0, "cost of publishing live data per brand store and day", "currency",
                                      **NONNEG)


@dataclass
class GroupBuyConfig:
    """Lever: a group-buy deal - the price drops for everyone once enough buyers commit in the window."""

    enabled: bool = param(False, "run this lever")
    start_day: int = param(3, "first day of the commitment window", "day", ge=0)
    window_days: int = param(5, "days buyers can commit", "days", ge=1)
    threshold: int = param(150, "commitments needed for the deal to go through", "count", ge=1)
    deal_discount: float = param(0.4, "price cut once the deal is on", "fraction", ge=0.0, lt=1.0)
    commit_rate: float = param(0.35, "chance a consumer who notices the deal commits", **P01)
    validity_days: int = param(7, "days the deal price can be used once on", "days", ge=1)
    open_rate: float = param(0.12, "chance the deal's message is noticed", **P01)
    radius_km: float = param(3.0, "reach of the deal's messages around the store", "km", **POS)
    cost_per_message: float = param(0.05, "cost of one message", "currency", **NONNEG)
    budget: float = param(50000.0, "total budget: messages + discounts", "currency", **NONNEG)


@dataclass
class ReferralConfig:
    """Lever: referral rewards - a share carries a coupon for friends; the sharer is paid on redemption."""

    enabled: bool = param(False, "run this lever")
    friend_discount: float = param(0.2, "friend's coupon, percent off", "fraction", ge=0.0, lt=1.0)
    referrer_reward: float = param(10.0, "paid to the sharer per redeemed referral", "currency", **NONNEG)
    validity_days: int = param(14, "days a referral coupon stays valid", "days", ge=1)
    budget: float = param(20000.0, "total budget: discounts + rewards", "currency", **NONNEG)


@dataclass
class UGCRewardConfig:
    """Lever: a reward for posting a review or sharing the visit (user-generated content)."""

    enabled: bool = param(False, "run this lever")
    review_boost: float = param(0.5, "relative rise of the review chance at brand stores", "-", **NONNEG)
    share_boost: float = param(0.5, "relative rise of the share chance at brand stores", "-", **NONNEG)
    reward: float = param(3.0, "reward per review or share", "currency", **NONNEG)


@dataclass
class CampaignConfig:
    """The campaign: one sub-section per lever (see :mod:`sim.levers.base`)."""

    name: str = param("push_coupon", "label of the campaign (the config group option)")
    brand_share: float = param(0.2, "share of stores in the brand: the merchant who runs and pays for "
                               "every lever (at least one store)", **P01)
    push_coupon: PushCouponConfig = field(default_factory=PushCouponConfig)
    reverse_o2o: ReverseO2OConfig = field(default_factory=ReverseO2OConfig)
    crm: CRMConfig = field(default_factory=CRMConfig)
    omo: OMOConfig = field(default_factory=OMOConfig)
    ads: AdsConfig = field(default_factory=AdsConfig)
    reservation: ReservationConfig = field(default_factory=ReservationConfig)
    realtime_info: RealTimeInfoConfig = field(default_factory=RealTimeInfoConfig)
    group_buy: GroupBuyConfig = field(default_factory=GroupBuyConfig)
    referral: ReferralConfig = field(default_factory=ReferralConfig)
    ugc_reward: UGCRewardConfig = field(default_factory=UGCRewardConfig)


@dataclass
class EconomicsConfig:
    """Who earns what: currency, platform commission, delivery and points accounting (docs/OUTPUTS.md)."""

    currency: str = param("CNY", "ISO 4217 code of the money in every table, console line and figure")
    currency_symbol: str = param("\u00a5", "symbol printed before amounts")
    commission_rate: float = param(0.10, "platform commission on orders that redeem a platform coupon or "
                                   "group-buy deal (share of the amount paid)", "fraction", ge=0.0, le=1.0)
    delivery_commission_rate: float = param(0.20, "platform commission on delivery orders (share of the "
                                            "amount paid; delivery_operator: platform)", "fraction",
                                            ge=0.0, le=1.0)
    delivery_operator: str = param("platform", "who runs deliveries: collects the consumer's fee and pays "
                                   "the rider", choices=("platform", "brand"))
    delivery_cost_per_order: float = param(4.7, "rider cost of one delivery", "currency", ge=0.0, le=1e6)
    points_breakage: float = param(0.30, "expected share of points issued that are never redeemed (values "
                                   "the points still outstanding)", **P01)
    points_expiry_days: int = param(180, "a member's points lapse after this many days without a brand "
                                    "purchase", "days", ge=1, le=100000)


SIGNED = {"ge": -1.0, "le": 1.0}


@dataclass
class WordOfMouthConfig:
    """Word of mouth and reviews: how shares travel the ties, who posts, with which valence (docs/ODD.md)."""

    form: str = param("receiver", "how a share's reach is spread over ties: receiver = the network Bass "
                      "model (a consumer hears with chance share_reach x the tie-weighted share of friends "
                      "sharing); sender = each sharer's word divided among its friends; per_tie = every "
                      "tie reached with chance share_reach (no normalisation)", choices=WOM_FORMS)
    strong_tie_weight: float = param(2.0, "a strong tie's weight in carrying a share, relative to a weak "
                                     "tie's 1", "-", gt=0.0, le=100.0)
    strong_tie_influence: float = param(1.5, "social proof of a share heard over a strong tie, relative to "
                                        "a weak tie's 1", "-", ge=0.0, le=100.0)
    posting: str = param("classes", "who reviews and shares: by satisfaction class (classes), or the "
                         "earlier rule rising with |disconfirmation| (disconfirmation: behavior.review_base, "
                         "review_slope, share_scale, negative_share_factor; a failed visit's review has 1 "
                         "star)", choices=("classes", "disconfirmation"))
    neutral_band: float = param(0.5, "satisfaction (stars) within +-this is neutral", "stars", gt=0.0)
    extreme_band: float = param(1.5, "satisfaction (stars) at least this far from 0 is very (dis)satisfied",
                                "stars", gt=0.0)
    review_very_dissatisfied: float = param(1.6, "review chance factor (x review propensity), very "
                                            "dissatisfied", "-", ge=0.0, le=100.0)
    review_dissatisfied: float = param(0.9, "review chance factor, dissatisfied", "-", ge=0.0, le=100.0)
    review_neutral: float = param(0.3, "review chance factor, neutral", "-", ge=0.0, le=100.0)
    review_satisfied: float = param(0.8, "review chance factor, satisfied", "-", ge=0.0, le=100.0)
    review_very_satisfied: float = param(1.4, "review chance factor, very satisfied", "-", ge=0.0, le=100.0)
    review_failed: float = param(1.6, "review chance factor of a failed visit (balked, reneged, closed, "
                                 "stock-out)", "-", ge=0.0, le=100.0)
    share_very_dissatisfied: float = param(1.2, "share chance factor (x share propensity), very "
                                           "dissatisfied", "-", ge=0.0, le=100.0)
    share_dissatisfied: float = param(0.6, "share chance factor, dissatisfied", "-", ge=0.0, le=100.0)
    share_neutral: float = param(0.2, "share chance factor, neutral", "-", ge=0.0, le=100.0)
    share_satisfied: float = param(0.5, "share chance factor, satisfied", "-", ge=0.0, le=100.0)
    share_very_satisfied: float = param(1.0, "share chance factor, very satisfied", "-", ge=0.0, le=100.0)
    share_failed: float = param(0.8, "share chance factor of a failed visit", "-", ge=0.0, le=100.0)
    valence_very_dissatisfied: float = param(-1.0, "social proof of a very dissatisfied share", "-",
                                             **SIGNED)
    valence_dissatisfied: float = param(-0.5, "social proof of a dissatisfied share", "-", **SIGNED)
    valence_neutral: float = param(0.0, "social proof of a neutral share", "-", **SIGNED)
    valence_satisfied: float = param(0.5, "social proof of a satisfied share", "-", **SIGNED)
    valence_very_satisfied: float = param(1.0, "social proof of a very satisfied share", "-", **SIGNED)
    valence_failed: float = param(-1.0, "social proof of a failed visit's share", "-", **SIGNED)
    failed_stars_sd: float = param(0.7, "spread of a failed visit's review stars around "
                                   "behavior.failed_visit_stars (rounded, 1-5)", "stars", ge=0.0)
    price_satisfaction: float = param(0.0, "satisfaction (stars) per 100% paid below the category's usual "
                                      "price (a discount raises perceived value; a dear store lowers it)",
                                      "stars", ge=0.0)
    deal_satisfaction: float = param(0.3, "satisfaction (stars) a fully deal-prone consumer gets from using "
                                     "a coupon or deal itself", "stars", ge=0.0)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class CalendarEvent:
    """A dated shock to visiting: a holiday, a storm, a local event (docs/ODD.md 7.8a)."""

    name: str = param("event", "label of the event")
    day: int = param(0, "first day of the event, counted from the campaign's day 0", "day", ge=-36500,
                     le=36500)
    last_day: int | None = param(None, "last day of the event (not set: the first day only)", "day",
                                 ge=-36500, le=36500)
    lift: float = param(0.0, "relative change of the odds of visiting a store in scope (-0.2: about 20% "
                        "fewer visits)", "-", gt=-1.0, le=100.0)
    scope: str = param("all", "who or what it applies to: all, a category (restaurant, retail, service) "
                       "or a segment's name")


def _dow(*values: float) -> Callable[[], list[float]]:
    return lambda: list(values)


@dataclass
class CalendarConfig:
    """The calendar: day-of-week profiles, paydays and dated events shifting the will to visit (7.8a)."""

    enabled: bool = param(True, "apply the calendar; false: every day is alike")
    start_weekday: str = param("mon", "weekday of the campaign's day 0", choices=WEEKDAYS)
    start_month_day: int = param(1, "day of the month of day 0 (months of 30 days)", "day", ge=1, le=30)
    dow_restaurant: list[float] = param_list(_dow(0.91, 0.91, 0.98, 0.97, 1.14, 1.12, 0.96),
                                             "odds index of visiting a restaurant, Monday to Sunday", "-",
                                             length=7, gt=0.0, le=100.0)
    dow_retail: list[float] = param_list(_dow(0.92, 0.92, 0.95, 0.97, 1.06, 1.15, 1.03),
                                         "odds index of visiting a retail store, Monday to Sunday", "-",
                                         length=7, gt=0.0, le=100.0)
    dow_service: list[float] = param_list(_dow(0.85, 0.92, 0.95, 1.0, 1.08, 1.2, 1.0),
                                          "odds index of visiting a service, Monday to Sunday", "-",
                                          length=7, gt=0.0, le=100.0)
    paydays: list[int] = param_list(list, "days of the month wages are paid (none: no payday cycle)", "day",
                                    ge=1, le=30)
    payday_lift: float = param(0.055, "relative change of the odds of visiting in the days after a payday",
                               "-", gt=-1.0, le=100.0)
    payday_window_days: int = param(14, "days a payday's lift lasts, payday included", "days", ge=1, le=30)
    payday_scope: str = param("all", "what the payday lift applies to: all, a category or a segment's name")
    events: list[CalendarEvent] = param_list(list, "dated events: holidays, weather shocks, local events")


@dataclass
class SimConfig:
    """A whole run."""

    seed: int = param(0, "seed of every random stream", ge=0, le=2**63 - 1)
    days: int = param(60, "simulated (recorded) days", "days", ge=1, le=36500)
    warmup_days: int = param(30, "days simulated before day 0 without campaigns or records, so the "
                             "organic loop starts near its steady state", "days", ge=0)
    scenario: str = param("default", "scenario name (set from the scenario group)")
    city: CityConfig = field(default_factory=CityConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    stores: StoresConfig = field(default_factory=StoresConfig)
    behavior: BehaviorConfig = field(default_factory=BehaviorConfig)
    campaign: CampaignConfig = field(default_factory=CampaignConfig)
    economics: EconomicsConfig = field(default_factory=EconomicsConfig)
    wom: WordOfMouthConfig = field(default_factory=WordOfMouthConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)


def iter_params(cls: type = SimConfig, prefix: str = ""):
    """Yield ``(dotted key, field, type)`` for every leaf field of a config dataclass."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            yield from iter_params(tp, key + ".")
        else:
            yield key, f, tp


# --------------------------------------------------------------------------- building


def _build(cls: type, data: dict[str, Any], prefix: str) -> Any:
    """Build dataclass ``cls`` from ``data``, refusing unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise ConfigError(prefix or "<root>", data, f"a mapping of {cls.__name__} fields")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            raise ConfigError(path, value, f"one of the known keys {sorted(fields)}")
        kwargs[key] = _coerce(hints[key], value, path, fields[key])
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, path: str, f: dataclasses.Field | None = None) -> Any:
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, path)
    item = list_item(tp)
    if item is not None:  # a list field: each item built or coerced, named by its position
        if not isinstance(value, list | tuple):
            raise ConfigError(path, value, allowed(f, tp) if f is not None else "a list")
        return [_coerce(item, x, f"{path}[{i}]", None if dataclasses.is_dataclass(item) else f)
                for i, x in enumerate(value)]
    inner = optional_of(tp)
    if inner is not None:
        return None if value is None else _coerce(inner, value, path, f)
    if tp is int and isinstance(value, float) and value.is_integer():
        value = int(value)  # YAML's 5.0 for an integer field
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    check_type(path, value, tp, f)
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
    if not isinstance(data, dict):
        raise ConfigError("<config>", data, "a mapping of settings (e.g. {'population': {'size': 2000}})")
    cfg = _build(SimConfig, dict(data), "")
    validate(cfg)
    return cfg


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dict of a config dataclass (for YAML / JSON output)."""
    return dataclasses.asdict(cfg)


# --------------------------------------------------------------------------- validation


def _check(ok: bool, key: str, value: Any, allowed_text: str) -> None:
    if not ok:
        raise ConfigError(key, value, allowed_text)


def _get(cfg: Any, key: str) -> Any:
    for part in key.split("."):
        if not dataclasses.is_dataclass(cfg):
            raise ConfigError(key.rsplit(".", 1)[0], cfg, "a config section")
        cfg = getattr(cfg, part)
    return cfg


def validate(cfg: SimConfig) -> None:
    """Check every field's declared range, then the rules that tie fields together.

    Raises:
        ConfigError: on the first failure, naming the key, the value and what is allowed.
    """
    if not isinstance(cfg, SimConfig):
        raise ConfigError("<config>", cfg, "a SimConfig (sim.load_config or sim.config.from_dict)")
    for key, f, tp in iter_params(SimConfig):
        value = _get(cfg, key)
        if list_item(tp) is not None:
            check_list(key, value, f, tp)
            continue
        check_type(key, value, tp, f)
        _check(in_range(f, value), key, value, allowed(f, tp))

    c, p, n, s, b = cfg.city, cfg.population, cfg.network, cfg.stores, cfg.behavior
    _check(n.mean_degree < max(p.size, 3), "network.mean_degree", n.mean_degree,
           f"an integer below population.size ({p.size})")
    _check(s.restaurant_share + s.retail_share <= 1.0 + 1e-9, "stores.retail_share", s.retail_share,
           f"at most 1 - stores.restaurant_share ({1 - s.restaurant_share:g})")
    _check(s.servers_max >= s.servers_min, "stores.servers_max", s.servers_max,
           f"an integer >= stores.servers_min ({s.servers_min})")
    brand_range_ok = (s.brand_servers_max >= s.brand_servers_min
                      and (s.brand_servers_max > 0) == (s.brand_servers_min > 0))
    _check(brand_range_ok,
           "stores.brand_servers_max", s.brand_servers_max,
           f"0 together with stores.brand_servers_min, or an integer >= stores.brand_servers_min "
           f"({s.brand_servers_min}) >= 1")
    _check(s.close_hour > s.open_hour, "stores.close_hour", s.close_hour,
           f"an hour after stores.open_hour ({s.open_hour})")
    _check(b.discovery_slots < b.consideration_set, "behavior.discovery_slots", b.discovery_slots,
           f"an integer in [0, behavior.consideration_set) = [0, {b.consideration_set})")
    w = cfg.wom
    if w.form == "per_tie" and n.kind != "complete":
        _check(b.share_reach <= 1.0, "behavior.share_reach", b.share_reach,
               "a probability in [0, 1] with wom.form=per_tie (the chance each friend sees a share)")
    _check(w.extreme_band > w.neutral_band, "wom.extreme_band", w.extreme_band,
           f"a number above wom.neutral_band ({w.neutral_band:g}): very (dis)satisfied lies beyond neutral")

    pc, k = cfg.campaign.push_coupon, "campaign.push_coupon"
    diag = math.hypot(c.width, c.height) * c.cell_km
    _check(pc.radius_km <= diag, f"{k}.radius_km", pc.radius_km,
           f"at most the city's diagonal ({diag:.2f} km)")
    crm = cfg.campaign.crm
    if crm.enabled:
        _check(p.member_share > 0 or cfg.campaign.reverse_o2o.enabled, "campaign.crm.enabled", True,
               "false while membership is off: CRM needs members (set population.member_share > 0 or "
               "enable campaign.reverse_o2o)")
    if pc.enabled:
        _check(p.app_reach > 0 and p.push_opt_in > 0, "population.push_opt_in", p.push_opt_in,
               f"> 0 with population.app_reach > 0 (now {p.app_reach:g}) while {k} is enabled: "
               "nobody could receive a push")
    _check_segments(p)
    _check_store_overrides(s)
    _check_calendar(cfg.calendar, p, s)


def _check_segments(p: PopulationConfig) -> None:
    """Segment names are unique and non-empty, and the shares sum to 1."""
    seen: set[str] = set()
    for i, seg in enumerate(p.segments):
        key = f"population.segments[{i}].name"
        _check(bool(seg.name.strip()), key, seg.name, "a non-empty name")
        _check(seg.name not in seen, key, seg.name,
               f"a name not used by another segment (taken: {sorted(seen)})")
        _check(seg.name not in ("all", *CATEGORIES), key, seg.name,
               f"a name other than 'all' and the categories {list(CATEGORIES)} (calendar scopes)")
        seen.add(seg.name)
    if p.segments:
        total = math.fsum(seg.share for seg in p.segments)
        _check(abs(total - 1.0) <= 1e-6, "population.segments", [seg.share for seg in p.segments],
               f"segments whose shares sum to 1 (these sum to {total:g}), or an empty list (no segments)")


def _check_store_overrides(s: StoresConfig) -> None:
    """Each override names an existing store once; its hours end after they start."""
    seen: set[int] = set()
    for i, ov in enumerate(s.overrides):
        key = f"stores.overrides[{i}]"
        _check(ov.id < s.count, f"{key}.id", ov.id,
               f"the id of a store, an integer in [0, {s.count - 1}] (stores.count={s.count})")
        _check(ov.id not in seen, f"{key}.id", ov.id,
               "an id given once (merge the two overrides of this store)")
        seen.add(ov.id)
        open_hour = s.open_hour if ov.open_hour is None else ov.open_hour
        close_hour = s.close_hour if ov.close_hour is None else ov.close_hour
        _check(close_hour > open_hour, f"{key}.close_hour", close_hour,
               f"an hour after the store's opening hour ({open_hour})")


def _check_calendar(cal: CalendarConfig, p: PopulationConfig, s: StoresConfig) -> None:
    """Scopes name a category, a segment or all; events end on or after their first day."""
    scopes = ["all", *CATEGORIES, *(seg.name for seg in p.segments)]
    _check(cal.payday_scope in scopes, "calendar.payday_scope", cal.payday_scope, f"one of {scopes}")
    for i, ev in enumerate(cal.events):
        key = f"calendar.events[{i}]"
        _check(ev.scope in scopes, f"{key}.scope", ev.scope, f"one of {scopes}")
        if ev.last_day is not None:
            _check(ev.last_day >= ev.day, f"{key}.last_day", ev.last_day,
                   f"a day >= its first day ({ev.day})")
