"""Strategy levers: small plug-ins with one protocol, and their registry.

Core objects:
    * :data:`LEVERS` - config section name -> lever class, in the order levers act in each phase.
    * :func:`build_levers` - one lever per enabled section of a campaign config.

The protocol (:class:`~sim.levers.base.Lever`, :class:`~sim.levers.base.Exposures`,
:class:`~sim.levers.base.CouponBook`) is in :mod:`sim.levers.base`, which imports no concrete
lever; each lever is one module here. A new lever is one class registered in :data:`LEVERS`,
a config dataclass (:mod:`sim.config.schema`) and a YAML option under ``configs/campaign/``.
"""

from __future__ import annotations

from sim.config import CampaignConfig
from sim.levers.base import Lever
from sim.levers.membership import CRM, ReverseO2O
from sim.levers.omo import OMO
from sim.levers.push_coupon import PushCoupon
from sim.levers.social_levers import Ads, GroupBuy, Referral, UGCReward
from sim.levers.store_levers import RealTimeInfo, Reservation

__all__ = ["LEVERS", "build_levers"]

#: Registry: config section name -> lever class (the order levers act in each phase).
LEVERS: dict[str, type[Lever]] = {
    "push_coupon": PushCoupon, "ads": Ads, "reverse_o2o": ReverseO2O, "crm": CRM, "omo": OMO,
    "reservation": Reservation, "realtime_info": RealTimeInfo, "group_buy": GroupBuy,
    "referral": Referral, "ugc_reward": UGCReward,
}


def build_levers(cfg: CampaignConfig) -> list[Lever]:
    """Instantiate every enabled lever of the campaign config, in registry order."""
    levers: list[Lever] = []
    for name, cls in LEVERS.items():
        section = getattr(cfg, name)
        if section.enabled:
            levers.append(cls(section, len(levers)))
    return levers
