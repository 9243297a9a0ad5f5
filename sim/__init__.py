"""o2o-sim: an agent-based simulator of O2O (online-to-offline) consumer behaviour.

Public API (each loaded on first use, so ``import sim`` stays light):
    * :func:`load_config` - compose the Hydra configs under ``configs/`` (with
      Hydra override strings) into a typed :class:`~sim.config.SimConfig`.
    * :func:`run` - simulate a config and return :class:`~sim.outputs.results.Results`.
    * :class:`~sim.engine.model.O2OModel` - the Mesa model, for step-by-step use.

The package's layout is drawn in docs/ARCHITECTURE.md: ``config/``, ``random/``, ``world/``,
``rules/``, ``kernels/``, ``levers/``, ``engine/``, ``outputs/``, ``studies/``, ``cli/``, ``viz/``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.config import ConfigError, SimConfig
    from sim.engine.model import O2OModel
    from sim.engine.runner import run
    from sim.outputs.results import Results

__all__ = ["RESULTS_VERSION", "ConfigError", "O2OModel", "Results", "SimConfig", "__version__", "load_config",
           "run"]
__version__ = "0.2.0"
#: Raised whenever a change makes a config and seed give different numbers (the CHANGELOG's
#: "results differ" entries). Sweep folders are named with it, so a study re-run after such a
#: change starts afresh instead of resuming runs made by the older engine. 2: counter-based draws.
#: 3: the brand runs every lever at its own stores; points with breakage; pooled OMO stock.
RESULTS_VERSION = 4

#: public name -> the module that defines it (imported on first use)
_LAZY = {"ConfigError": "sim.config", "SimConfig": "sim.config", "O2OModel": "sim.engine.model",
         "Results": "sim.outputs.results", "run": "sim.engine.runner"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_config(overrides: list[str] | None = None, config_name: str = "config") -> SimConfig:
    """Compose ``configs/<config_name>.yaml`` with Hydra overrides into a :class:`SimConfig`.

    Args:
        overrides: Hydra override strings, e.g. ``["population.size=5000", "seed=3"]``.
        config_name: primary config file name.

    Returns:
        The validated config.

    Raises:
        ConfigError: for unknown keys, wrong types, unknown options or values out of range.
    """
    from sim.config.compose import load_config as _load

    return _load(overrides or [], config_name=config_name)
