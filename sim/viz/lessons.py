"""The lessons a class can choose: which cities run side by side, what to watch and the question to answer.

Core objects:
    * :class:`City` - one city of a lesson: its name, colour, what it does in plain words and
      its Hydra overrides from the :class:`~sim.viz.settings.Settings`.
    * :class:`Lesson` - a story: its cities (the first is the reference the others are compared
      with), the controls that matter, the three charts it shows, a short guide and the
      question for the class.
    * :data:`LESSONS` - the five lessons by key: ``o2o_omo`` (O2O vs OMO), ``features`` (OMO
      one feature at a time), ``group_buy`` (group-buy overload), ``context`` (context-aware
      vs generic push), ``crm`` (CRM win-back).

Every city of a lesson is built from the same seed, so the cities share the streets, the
people, the friendships and every random draw except where their strategies differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.viz.settings import FEATURE_NAMES, FEATURE_SHORT, OMO_FEATURES, Settings, common_overrides

__all__ = ["CITY_CONTROLS", "LESSONS", "City", "Lesson", "omo_running_cost"]

#: Controls every lesson shows (after its own).
CITY_CONTROLS = ("consumers", "stores", "seed", "capacity")
#: The OMO systems' running cost per brand store and day (``campaign.omo.fixed_cost_per_store_day``).
OMO_RUNNING_COST = 30.0


@dataclass(frozen=True)
class City:
    """One city of a lesson.

    Attributes:
        name: short name shown on maps and legends (``O2O``, ``OMO``, ``+ delivery``).
        colour: its colour in every chart.
        does: what its brand does, in plain words (for the guide).
        scenario: a function of the :class:`~sim.viz.settings.Settings` giving the city's
            Hydra overrides besides the shared ones.
    """

    name: str
    colour: str
    does: str
    scenario: Callable[[Settings], list[str]]

    def overrides(self, s: Settings) -> list[str]:
        """Every Hydra override of this city's config."""
        return self.scenario(s) + common_overrides(s)


@dataclass(frozen=True)
class Lesson:
    """A story for the class.

    Attributes:
        key: its identifier.
        title: its name in the lesson selector.
        cities: the cities; the first is the reference.
        controls: the :class:`~sim.viz.settings.Settings` fields that matter (shown first).
        charts: the two story charts (keys of :data:`sim.viz.charts.CHARTS`); the money
            chart always follows.
        guide: what the page shows, in plain words (a function of the settings in force).
        question: the question the class should answer.
        push_days: the days the push campaign sends (shaded in the charts), or None.
    """

    key: str
    title: str
    cities: tuple[City, ...]
    controls: tuple[str, ...]
    charts: tuple[str, str]
    guide: Callable[[Settings], str]
    question: str
    push_days: tuple[int, int] | None = None

    @property
    def reference(self) -> City:
        """The city the others are compared with."""
        return self.cities[0]


def _push(s: Settings) -> list[str]:
    return [f"campaign.push_coupon.discount={s.discount_pct / 100:g}",
            f"campaign.push_coupon.radius_km={s.radius_km:g}",
            f"campaign.push_coupon.send_hour={s.send_hour}"]


def _omo(features: tuple[str, ...]) -> list[str]:
    """OMO with exactly ``features`` on; with none, no OMO lever at all (nothing to run or pay for)."""
    if not features:
        return ["scenario=o2o_reference"]
    return ["scenario=omo_full"] + [f"campaign.omo.{f}={str(f in features).lower()}" for f in OMO_FEATURES]


def _deal_shop(s: Settings) -> list[str]:
    return [f"stores.brand_servers_min={max(1, s.deal_servers - 1)}",
            f"stores.brand_servers_max={s.deal_servers}"]


def omo_running_cost(s: Settings) -> str:
    """The OMO systems' running cost in words."""
    return f"¥{OMO_RUNNING_COST:g} a store a day"


O2O = City("O2O", "#dd8452", "pushes coupons and invites shoppers to join by QR code; its channels, "
           "stock and membership stay apart", lambda s: ["scenario=o2o_reference", *_push(s)])
FEATURE_COLOURS = ("#4c72b0", "#55a868", "#c44e52", "#8172b3", "#937860")


def _o2o_omo_guide(s: Settings) -> str:
    on = s.features_on()
    base = ("Two copies of one city: same streets, people, friends and luck. Both brands push a "
            f"{s.discount_pct}%-off coupon weekly for four weeks (days 3-24) and invite shoppers to join by "
            "QR code. ")
    if not on:
        return base + ("No OMO feature is on, so the OMO city runs exactly the O2O campaign and pays no "
                       "OMO running cost: the two cities stay identical. Tick a feature and press Reset.")
    features = ", ".join(FEATURE_SHORT[f] for f in on)
    return base + (f"The OMO brand also merges its channels ({features}) for {omo_running_cost(s)}. "
                   "Who keeps the customers once the coupons stop, and at what cost?")


def _features_guide(s: Settings) -> str:
    return ("Six copies of one city. O2O is the reference; each other city adds one OMO feature, alone, to "
            "it. A feature alone still pays the whole running cost of the OMO systems "
            f"({omo_running_cost(s)})"
            ", as a brand that buys them for one feature would. The money chart shows what each feature "
            "adds to the brand's profit against O2O, item by item; the maps show the city you pick.")


def _group_buy_guide(s: Settings) -> str:
    return (f"A small shop with at most {s.deal_servers} server{'s' * (s.deal_servers > 1)} sells a "
            f"{s.deal_discount_pct}%-off group deal from day 3. Once {s.deal_threshold} buyers commit, they "
            "all come in the week the deal is valid. The other city has the same shop and no deal. Watch "
            "the deal shop: visitors who find the queue too long give up (balk), waits grow, unhappy "
            "customers post low reviews and the public rating falls.")


def _context_guide(s: Settings) -> str:
    return (f"Both brands push the same {s.discount_pct}%-off coupon weekly for four weeks (days 3-24). "
            "The generic "
            f"push goes out at {s.send_hour:02d}:00 to everyone within {s.radius_km:g} km of a brand store; "
            "the context-aware push goes out shortly before each store's busy hour (11:00 for restaurants, "
            f"16:00 for shops, 10:00 for services) and only to people within {s.context_radius_km:g} km.")


def _crm_guide(s: Settings) -> str:
    return ("Both brands invite shoppers to join by scanning a QR code in the shop, building a member list. "
            "The CRM brand also uses it: a reminder two weeks after a purchase, a "
            f"{s.winback_discount_pct}%-off win-back coupon to members who have not bought for "
            f"{s.lapsed_days} days, and a standing 5% perk for regulars (VIPs). The other brand keeps the "
            "list and sends nothing.")


def _feature_city(feature: str, colour: str) -> City:
    return City(f"+ {FEATURE_SHORT[feature]}", colour, f"runs O2O plus {FEATURE_NAMES[feature]} alone",
                lambda s: _omo((feature,)) + _push(s))


LESSONS: dict[str, Lesson] = {lesson.key: lesson for lesson in (
    Lesson("o2o_omo", "O2O vs OMO",
           (O2O, City("OMO", "#4c72b0", "runs the same campaign and merges its channels",
                      lambda s: _omo(s.features_on()) + _push(s))),
           ("discount_pct", "radius_km", "send_hour", *OMO_FEATURES), ("customers", "brand_visits"),
           _o2o_omo_guide,
           "After 90 days, does merging channels earn the brand more than it costs? "
           "Which cost is the biggest?",
           push_days=(3, 30)),
    Lesson("features", "OMO one feature at a time",
           (O2O, *(_feature_city(f, c) for f, c in zip(OMO_FEATURES, FEATURE_COLOURS, strict=True))),
           ("discount_pct", "radius_km", "send_hour"), ("profit", "brand_visits"), _features_guide,
           "Which features pay for themselves on their own, and which only add cost?", push_days=(3, 30)),
    Lesson("group_buy", "Group-buy overload",
           (City("No deal", "#7f7f7f", "has the same small shop and no deal",
                 lambda s: ["scenario=baseline_small_brand", *_deal_shop(s)]),
            City("Group deal", "#c44e52", "sells a group-buy deal at its small shop",
                 lambda s: ["scenario=group_buy_overload", *_deal_shop(s),
                            f"campaign.group_buy.deal_discount={s.deal_discount_pct / 100:g}",
                            f"campaign.group_buy.threshold={s.deal_threshold}"])),
           ("deal_discount_pct", "deal_threshold", "deal_servers"), ("service", "rating"), _group_buy_guide,
           "The deal brings a crowd: is the shop better off a month later? What would you change?"),
    Lesson("context", "Context-aware vs generic push",
           (City("Generic push", "#dd8452", "pushes at a fixed hour to everyone nearby",
                 lambda s: ["scenario=default", *_push(s)]),
            City("Context push", "#55a868", "pushes before each store's busy hour, to people close by",
                 lambda s: ["scenario=context_push",
                            f"campaign.push_coupon.discount={s.discount_pct / 100:g}",
                            f"campaign.push_coupon.radius_km={s.context_radius_km:g}"])),
           ("discount_pct", "send_hour", "radius_km", "context_radius_km"), ("push_visits", "brand_visits"),
           _context_guide, "Which push brings more visits per message, and which earns the brand more?",
           push_days=(3, 30)),
    Lesson("crm", "CRM win-back",
           (City("QR joins", "#7f7f7f", "builds a member list and sends nothing",
                 lambda s: ["scenario=crm_winback", "campaign.crm.enabled=false"]),
            City("CRM", "#8172b3", "sends reminders, win-back coupons and VIP perks to its members",
                 lambda s: ["scenario=crm_winback",
                            f"campaign.crm.winback_discount={s.winback_discount_pct / 100:g}",
                            f"campaign.crm.lapsed_days={s.lapsed_days}"])),
           ("winback_discount_pct", "lapsed_days"), ("customers", "crm_visits"), _crm_guide,
           "Do reminders and win-back coupons bring lapsed members back, and are they worth the discounts?"),
)}
