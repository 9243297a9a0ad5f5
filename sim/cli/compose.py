"""Hydra composition: schemas in the ConfigStore, YAML groups, overrides -> :class:`SimConfig`.

Core functions:
    * :func:`register_configs` - stores :class:`~sim.config.SimConfig` as the
      schema ``base_config`` so every YAML group is type-checked against it.
    * :func:`load_config` - composes ``configs/`` with override strings and
      returns the typed, validated dataclass (the engine never sees a DictConfig).
    * :func:`config_dir` - where the ``configs/`` folder is.
    * :class:`CommandConfig` - the schema Hydra composes: :class:`~sim.config.SimConfig`
      plus the study blocks (``sensitivity``, ``optimize``) of experiment files.

Hydra's own errors (unknown key, wrong type, unknown group option) are turned
into :class:`~sim.config.ConfigError` messages that name the key, the value
and what is allowed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from ..config import ConfigError, SimConfig, from_dict
from ..sweeps import run_key

__all__ = ["STUDY_KEYS", "CommandConfig", "config_dir", "load_config", "register_configs", "to_sim_config"]

VERSION_BASE = "1.3"


def config_dir() -> Path:
    """The ``configs/`` folder (``$O2O_SIM_CONFIGS`` overrides the repository's)."""
    env = os.environ.get("O2O_SIM_CONFIGS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "configs"


@dataclass
class CommandConfig(SimConfig):
    """The command line's schema: a run's config plus the study blocks an experiment file may hold.

    ``sensitivity`` and ``optimize`` describe a study (:mod:`sim.research`); they are
    dropped before the run's :class:`SimConfig` is built.
    """

    sensitivity: Any = None
    optimize: Any = None


STUDY_KEYS = ("sensitivity", "optimize")


def register_configs() -> None:
    """Register the structured-config schema and the ``o2o_run_key`` resolver (idempotent)."""
    ConfigStore.instance().store(name="base_config", node=CommandConfig)
    if not OmegaConf.has_resolver("o2o_run_key"):
        OmegaConf.register_new_resolver("o2o_run_key", run_key)


def to_sim_config(cfg: DictConfig, scenario: str | None = None) -> SimConfig:
    """Convert a composed DictConfig to a validated :class:`SimConfig`."""
    cfg = cfg.copy()
    with open_dict(cfg):
        cfg.pop("hydra", None)
        for key in STUDY_KEYS:
            cfg.pop(key, None)
    data = OmegaConf.to_container(cfg, resolve=True)
    if scenario:
        data["scenario"] = scenario
    return from_dict(data)  # refuses keys added with `+` that the schema does not know


def _override_value(key: str, overrides: list[str]) -> str:
    for ov in overrides:
        name, _, value = ov.lstrip("+~").partition("=")
        if name == key:
            return value
    return "?"


def _friendly(err: Exception, overrides: list[str]) -> ConfigError:
    """Turn a Hydra / OmegaConf error into a ConfigError naming key, value and what is allowed."""
    text = f"{err}\n{err.__cause__ or ''}"
    full = re.search(r"full_key: ([\w.]+)", text)
    m = re.search(r"Could not find '([^/']+)/([^']+)'", text)
    if m:
        group, value = m.groups()
        options = re.findall(r"^\s*\t?(\S+)$", text.split("Available options:")[-1], re.M)
        allowed = f"one of {options}" if options else "an existing option"
        return ConfigError(group, value, allowed)
    m = re.search(r"Key '([^']+)' (?:not in|is not in struct)", text)
    if m:
        key = full.group(1) if full else m.group(1)
        return ConfigError(key, _override_value(key, overrides),
                           "only keys defined in the schema (see docs/CONFIG.md)")
    m = re.search(r"Value '([^']*)' (?:of type '\w+' )?(?:could not be converted to|is not a valid) "
                  r"(\w+)", text)
    if m:
        return ConfigError(full.group(1) if full else "?", m.group(1), f"a value of type {m.group(2)}")
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return ConfigError("<overrides>", " ".join(overrides), first)


def load_config(overrides: list[str], config_name: str = "config") -> SimConfig:
    """Compose the configs with Hydra overrides and return a validated :class:`SimConfig`.

    Args:
        overrides: Hydra override strings (``key=value``, ``group=option``, ``+key=value``).
        config_name: primary config in :func:`config_dir`.

    Raises:
        ConfigError: with a readable message for every kind of bad input.
    """
    register_configs()
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base=VERSION_BASE):
            cfg = compose(config_name=config_name, overrides=list(overrides),
                          return_hydra_config=True)
            scenario = cfg.hydra.runtime.choices.get("scenario")
            return to_sim_config(cfg, scenario)
    except ConfigError:
        raise
    except (HydraException, OmegaConfBaseException, ValueError, TypeError) as err:
        raise _friendly(err, list(overrides)) from None
