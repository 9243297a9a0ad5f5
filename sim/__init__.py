"""o2o-sim: an agent-based simulator of O2O (online-to-offline) consumer behaviour.

Public API:
    * :func:`load_config` - compose the Hydra configs under ``configs/`` (with
      Hydra override strings) into a typed :class:`~sim.config.SimConfig`.
    * :func:`run` - simulate a config and return :class:`~sim.results.Results`.
    * :class:`~sim.model.O2OModel` - the Mesa model, for step-by-step use.
"""

from __future__ import annotations

from . import kernel_cache

kernel_cache.refresh()  # before any compiled kernel loads: drop those whose inlined helpers changed

from .config import ConfigError, SimConfig  # noqa: E402
from .model import O2OModel  # noqa: E402
from .results import Results  # noqa: E402
from .runner import run  # noqa: E402

__all__ = ["ConfigError", "O2OModel", "Results", "SimConfig", "load_config", "run"]
__version__ = "0.2.0"
#: Raised whenever a change makes a config and seed give different numbers (the CHANGELOG's
#: "results differ" entries). Sweep folders are named with it, so a study re-run after such a
#: change starts afresh instead of resuming runs made by the older engine. 2: counter-based draws.
#: 3: the brand runs every lever at its own stores; points with breakage; pooled OMO stock.
RESULTS_VERSION = 3


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
    from .cli.compose import load_config as _load

    return _load(overrides or [], config_name=config_name)
