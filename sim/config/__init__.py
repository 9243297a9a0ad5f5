"""The run's configuration: typed schema, validation, Hydra composition, documentation.

Modules:
    * :mod:`sim.config.schema` - the dataclasses of every section, :func:`param` ranges,
      :class:`ConfigError` and :func:`validate` (re-exported here: ``from sim.config import SimConfig``).
    * :mod:`sim.config.compose` - :func:`~sim.config.compose.load_config`: Hydra configs and
      overrides into a validated :class:`SimConfig`.
    * :mod:`sim.config.resources` - the memory a config will need, checked before anything runs.
    * :mod:`sim.config.naming` - a sweep run's folder name (its run key).
    * :mod:`sim.config.docs` - docs/CONFIG.md from the schema.

Importing this package loads only the schema (no Hydra, no numpy).
"""

from sim.config.schema import (
    CATEGORIES,
    NETWORK_KINDS,
    NONNEG,
    P01,
    POS,
    TIE_STRENGTHS,
    UNIT_LIMITS,
    WOM_FORMS,
    AdsConfig,
    BehaviorConfig,
    CampaignConfig,
    CityConfig,
    ConfigError,
    CRMConfig,
    EconomicsConfig,
    GroupBuyConfig,
    NetworkConfig,
    OMOConfig,
    PopulationConfig,
    PushCouponConfig,
    RealTimeInfoConfig,
    ReferralConfig,
    ReservationConfig,
    ReverseO2OConfig,
    SimConfig,
    StoresConfig,
    UGCRewardConfig,
    WordOfMouthConfig,
    allowed,
    check_type,
    from_dict,
    iter_params,
    param,
    to_dict,
    validate,
)

__all__ = [
    "AdsConfig",
    "BehaviorConfig",
    "CATEGORIES",
    "CRMConfig",
    "CampaignConfig",
    "CityConfig",
    "ConfigError",
    "EconomicsConfig",
    "GroupBuyConfig",
    "NETWORK_KINDS",
    "NONNEG",
    "NetworkConfig",
    "OMOConfig",
    "P01",
    "POS",
    "PopulationConfig",
    "PushCouponConfig",
    "RealTimeInfoConfig",
    "ReferralConfig",
    "ReservationConfig",
    "ReverseO2OConfig",
    "SimConfig",
    "StoresConfig",
    "TIE_STRENGTHS",
    "UGCRewardConfig",
    "UNIT_LIMITS",
    "WOM_FORMS",
    "WordOfMouthConfig",
    "allowed",
    "check_type",
    "from_dict",
    "iter_params",
    "param",
    "to_dict",
    "validate",
]
