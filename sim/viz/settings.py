"""What a class can set on the dashboard, in the units a class uses, and how it becomes Hydra overrides.

Core objects:
    * :class:`Settings` - every value the controls set (city size, seed, capacity, the push
      coupon, the OMO features, the group-buy deal, the CRM programme). A run is built from
      one :class:`Settings`; changes apply when Reset is pressed.
    * :class:`Control` and :data:`CONTROLS` - one control per field: its label, range, step
      and how its value reads in class units (:meth:`Control.text`: ``20% off``, ``2.0 km``,
      ``08:00``).
    * :data:`OMO_FEATURES`, :data:`FEATURE_NAMES` and :data:`FEATURE_SHORT` - the OMO
      package's five features and their names in plain words.
    * :func:`common_overrides` - the Hydra overrides every city of a run shares (seed, days,
      size, servers).

Percentages are whole numbers here (``discount_pct=20``) and fractions in the engine's config
(``campaign.push_coupon.discount=0.2``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["BASE_SERVERS", "CONTROLS", "FEATURE_NAMES", "FEATURE_SHORT", "HORIZON_DAYS", "OMO_FEATURES",
           "Control", "Settings", "changed", "common_overrides"]

#: Days a dashboard run lasts: a four-week campaign and two months after it.
HORIZON_DAYS = 90
#: Default servers per store (``stores.servers_min`` / ``servers_max``) that ``capacity`` scales.
BASE_SERVERS = (3, 8)
OMO_FEATURES = ("unified_points", "integrated_inventory", "pickup", "delivery", "personalised_targeting")
FEATURE_NAMES = {"unified_points": "unified points", "integrated_inventory": "integrated inventory",
                 "pickup": "order ahead, pick up", "delivery": "delivery",
                 "personalised_targeting": "personalised targeting"}
#: The features' names where space is short (legends, the cities of the one-feature lesson).
FEATURE_SHORT = {"unified_points": "points", "integrated_inventory": "inventory", "pickup": "pick-up",
                 "delivery": "delivery", "personalised_targeting": "targeting"}


@dataclass(frozen=True)
class Settings:
    """The controls' values (defaults: the scenarios' own).

    Attributes:
        consumers: population size.
        stores: number of stores.
        seed: seed of every random stream (every city of a run shares it).
        capacity: multiplies every store's servers (1 = the default 3 to 8).
        discount_pct: push coupon, percent off.
        radius_km: push targeting radius around the brand's stores.
        send_hour: hour the (generic) push goes out.
        unified_points, integrated_inventory, pickup, delivery, personalised_targeting:
            the OMO package's features (the OMO city of the O2O-vs-OMO lesson).
        deal_discount_pct: group-buy deal, percent off.
        deal_threshold: buyers who must commit for the deal to go through.
        deal_servers: most servers of the deal's shop (the fewest is one less, at least 1).
        context_radius_km: targeting radius of the context-aware push.
        winback_discount_pct: CRM win-back coupon, percent off.
        lapsed_days: days without a brand purchase after which a member gets the win-back coupon.
    """

    consumers: int = 3000
    stores: int = 25
    seed: int = 0
    capacity: float = 1.0
    discount_pct: int = 20
    radius_km: float = 2.0
    send_hour: int = 8
    unified_points: bool = True
    integrated_inventory: bool = True
    pickup: bool = True
    delivery: bool = True
    personalised_targeting: bool = True
    deal_discount_pct: int = 40
    deal_threshold: int = 120
    deal_servers: int = 2
    context_radius_km: float = 1.0
    winback_discount_pct: int = 25
    lapsed_days: int = 35

    def __post_init__(self):
        for f in fields(self):
            control = CONTROLS.get(f.name)
            if control is not None and not control.allows(getattr(self, f.name)):
                raise ValueError(f"{f.name}={getattr(self, f.name)!r}; allowed: {control.allowed()}")

    def servers(self) -> tuple[int, int]:
        """(servers_min, servers_max) of every store after scaling by ``capacity``."""
        lo = max(1, round(BASE_SERVERS[0] * self.capacity))
        return lo, max(lo, round(BASE_SERVERS[1] * self.capacity))

    def features_on(self) -> tuple[str, ...]:
        """The OMO features switched on, in :data:`OMO_FEATURES` order."""
        return tuple(name for name in OMO_FEATURES if getattr(self, name))


@dataclass(frozen=True)
class Control:
    """One control of the sidebar.

    Attributes:
        label: what it is, in plain words.
        kind: ``int``, ``float`` or ``bool``.
        lo, hi, step: the slider's range (unused for ``bool``).
        unit: how the value reads: ``pct`` (20% off), ``km``, ``hour`` (08:00), ``x`` (x1.5),
            ``count`` (3,000), ``days``, ``plain``.
    """

    label: str
    kind: str
    lo: float = 0
    hi: float = 1
    step: float = 1
    unit: str = "plain"

    def allows(self, value) -> bool:
        """Whether ``value`` is one the control can take (a bool for checkboxes, else within range)."""
        if self.kind == "bool":
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return self.lo <= value <= self.hi

    def allowed(self) -> str:
        """The allowed values, in words."""
        if self.kind == "bool":
            return "true or false"
        return f"a number from {self.text(self.lo)} to {self.text(self.hi)}"

    def text(self, value) -> str:
        """``value`` in class units."""
        if self.kind == "bool":
            return "on" if value else "off"
        match self.unit:
            case "pct":
                return f"{value:.0f}% off"
            case "km":
                return f"{value:g} km"
            case "hour":
                return f"{int(value):02d}:00"
            case "x":
                lo, hi = (max(1, round(BASE_SERVERS[0] * value)), round(BASE_SERVERS[1] * value))
                return f"x{value:g} ({lo}-{max(lo, hi)} servers a store)"
            case "count":
                return f"{int(value):,}"
            case "days":
                return f"{int(value)} days"
        return f"{value:g}"


CONTROLS: dict[str, Control] = {
    "consumers": Control("Consumers", "int", 1000, 20000, 1000, "count"),
    "stores": Control("Stores", "int", 10, 40, 1, "count"),
    "seed": Control("Seed (another city and its people)", "int", 0, 50, 1),
    "capacity": Control("Store capacity", "float", 0.5, 2.0, 0.25, "x"),
    "discount_pct": Control("Push coupon", "int", 0, 60, 5, "pct"),
    "radius_km": Control("Push sent within", "float", 0.5, 5.0, 0.25, "km"),
    "send_hour": Control("Push sent at", "int", 0, 23, 1, "hour"),
    "unified_points": Control("Unified points", "bool"),
    "integrated_inventory": Control("Integrated inventory", "bool"),
    "pickup": Control("Order ahead, pick up", "bool"),
    "delivery": Control("Delivery", "bool"),
    "personalised_targeting": Control("Personalised targeting", "bool"),
    "deal_discount_pct": Control("Group deal", "int", 10, 70, 5, "pct"),
    "deal_threshold": Control("Buyers needed for the deal", "int", 20, 300, 10, "count"),
    "deal_servers": Control("Deal shop's servers (at most)", "int", 1, 6, 1, "count"),
    "context_radius_km": Control("Context push sent within", "float", 0.5, 5.0, 0.25, "km"),
    "winback_discount_pct": Control("Win-back coupon", "int", 0, 60, 5, "pct"),
    "lapsed_days": Control("Win-back after no purchase for", "int", 14, 63, 7, "days"),
}


def changed(pending: Settings, in_force: Settings, names) -> list[str]:
    """The names among ``names`` whose pending value differs from the one in force."""
    return [n for n in names if getattr(pending, n) != getattr(in_force, n)]


def common_overrides(s: Settings) -> list[str]:
    """Overrides every city of a run shares: seed, length, size and servers."""
    lo, hi = s.servers()
    return [f"seed={int(s.seed)}", f"days={HORIZON_DAYS}", f"population.size={int(s.consumers)}",
            f"stores.count={int(s.stores)}", f"stores.servers_min={lo}", f"stores.servers_max={hi}"]
