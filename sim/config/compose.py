"""Hydra composition: schemas in the ConfigStore, YAML groups, overrides -> :class:`SimConfig`.

Core functions:
    * :func:`register_configs` - stores :class:`~sim.config.SimConfig` as the
      schema ``base_config`` so every YAML group is type-checked against it.
    * :func:`load_config` - composes ``configs/`` with override strings and
      returns the typed, validated dataclass (the engine never sees a DictConfig);
      :func:`config_of` - the same from a config the command line already composed.
    * :func:`check_overrides` - the type and range of each value on the command line,
      checked before anything is composed.
    * :func:`config_dir` - where the ``configs/`` folder is.
    * :class:`CommandConfig` - the schema Hydra composes: :class:`~sim.config.SimConfig`
      plus the study blocks (``sensitivity``, ``optimize``) of experiment files.

Hydra's own errors (unknown key, wrong type, unknown group option) are turned
into :class:`~sim.config.ConfigError` messages that name the key, the value
and what is allowed.

Hydra, OmegaConf and PyYAML are imported on first use: ``o2o-sim list`` and the
folder and file checks of user scenarios never load them, and nothing here loads
numpy or pandas.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.config import ConfigError, SimConfig, allowed, check_type, from_dict, iter_params
from sim.config.naming import run_key
from sim.config.resources import check_resources
from sim.config.schema import in_range, list_item, parse_list  # validate's rules, on command-line values

if TYPE_CHECKING:
    import yaml
    from omegaconf import DictConfig

__all__ = ["SCENARIOS_ENV", "STUDY_KEYS", "CommandConfig", "add_scenario_dirs", "check_overrides",
           "check_scenario_file", "config_dir", "config_of", "find_scenario", "load_config",
           "register_configs", "scenario_label", "scenario_overrides", "to_sim_config", "user_scenario_dirs"]

VERSION_BASE = "1.3"
#: Hydra's composition state is global to the process: one composition at a time.
_COMPOSING = threading.RLock()
SCENARIO_HEADER = "# @package _global_"


#: Folders of user scenarios (``os.pathsep``-separated), honoured by every command.
SCENARIOS_ENV = "O2O_SIM_SCENARIOS"


def config_dir() -> Path:
    """The ``configs/`` folder (``$O2O_SIM_CONFIGS`` overrides the repository's)."""
    env = os.environ.get("O2O_SIM_CONFIGS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "configs"


@dataclass
class CommandConfig(SimConfig):
    """The command line's schema: a run's config plus the study blocks an experiment file may hold.

    ``sensitivity`` and ``optimize`` describe a study (:mod:`sim.studies.research`); they are
    dropped before the run's :class:`SimConfig` is built.
    """

    sensitivity: Any = None
    optimize: Any = None


STUDY_KEYS = ("sensitivity", "optimize")


def register_configs() -> None:
    """Register the structured-config schema and the ``o2o_run_key`` resolver (idempotent)."""
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    ConfigStore.instance().store(name="base_config", node=CommandConfig)
    if not OmegaConf.has_resolver("o2o_run_key"):
        OmegaConf.register_new_resolver("o2o_run_key", run_key)


def to_sim_config(cfg: DictConfig, scenario: str | None = None) -> SimConfig:
    """Convert a composed DictConfig to a validated :class:`SimConfig`."""
    from omegaconf import OmegaConf, open_dict

    cfg = cfg.copy()
    with open_dict(cfg):
        cfg.pop("hydra", None)
        for key in STUDY_KEYS:
            cfg.pop(key, None)
    data = OmegaConf.to_container(cfg, resolve=True)
    if scenario:
        data["scenario"] = scenario
    return from_dict(data)  # refuses keys added with `+` that the schema does not know


def scenario_label(scenario: str | None, overrides: list[str]) -> str | None:
    """The run's ``scenario`` label: the scenario, then every override of the campaign, joined by ``+``.

    ``["scenario=default", "campaign=group_buy"]`` gives ``default+campaign=group_buy``, so a run
    whose campaign was changed on the command line is never labelled as the plain scenario.
    """
    if scenario is None:
        return None
    changed = [ov.lstrip("+~") for ov in overrides if ov.lstrip("+~").startswith(("campaign=", "campaign."))]
    return "+".join([scenario, *changed])


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
    m = re.search(r"In '([^']+)': \w+ raised while composing config:\n(.+?)(?:\n|$)", text)
    if m:  # a config file's content does not fit the schema: name the key and the file
        where, detail = m.groups()
        key = full.group(1) if full and full.group(1) else where.split("/")[0]
        return ConfigError(key, f"{where}.yaml", f"a value that fits the schema: {detail.strip()}")
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return ConfigError("<overrides>", " ".join(overrides), first)


def _yaml_error(err: yaml.YAMLError, overrides: list[str]) -> ConfigError:
    """A YAML problem in a config file as one line naming the file, the line and the problem."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"{mark.name} line {mark.line + 1}, column {mark.column + 1}" if mark else "a config file"
    problem = (getattr(err, "problem", None) or str(err).splitlines()[0]).strip()
    if "constructor" in problem or "tag" in problem:
        problem = "a tag such as !!python/... (plain YAML only: nothing in a config file is executed)"
    scenario = _override_value("scenario", overrides)
    if scenario == "?":
        return ConfigError("<config file>", where, f"a valid YAML file; {where}: {problem}")
    return ConfigError("scenario", scenario, f"a valid YAML file; {where}: {problem}")


def user_scenario_dirs() -> list[Path]:
    """The folders of user scenarios named by ``$O2O_SIM_SCENARIOS`` (each must exist).

    Raises:
        ConfigError: a named folder does not exist.
    """
    out = []
    for part in os.environ.get(SCENARIOS_ENV, "").split(os.pathsep):
        if not part.strip():
            continue
        folder = Path(part).expanduser()
        if not folder.is_dir():
            raise ConfigError(SCENARIOS_ENV, part, "a folder of scenario YAML files (this one is missing)")
        out.append(folder.resolve())
    return out


def add_scenario_dirs(dirs: list[str | os.PathLike]) -> None:
    """Put folders of user scenarios first in ``$O2O_SIM_SCENARIOS`` (for this process and its children).

    Raises:
        ConfigError: a folder does not exist.
    """
    for d in dirs:
        if not Path(d).expanduser().is_dir():
            raise ConfigError("--scenario-dir", str(d), "an existing folder of scenario files")
    known = [d for d in os.environ.get(SCENARIOS_ENV, "").split(os.pathsep) if d]
    os.environ[SCENARIOS_ENV] = os.pathsep.join([str(Path(d).expanduser().resolve()) for d in dirs] + known)


def builtin_scenarios() -> set[str]:
    """Names of the scenarios shipped in ``configs/scenario``."""
    return {p.stem for p in (config_dir() / "scenario").glob("*.yaml")}


def find_scenario(arg: str) -> tuple[str, Path | None]:
    """Where scenario ``arg`` comes from: ``(name, file)``; ``file`` is None for a shipped scenario.

    ``arg`` is a shipped scenario's name, the name of a file in a user scenario folder
    (``$O2O_SIM_SCENARIOS``), or the path of a YAML file. A user scenario may not reuse a
    shipped scenario's name (it would be shadowed).

    Raises:
        ConfigError: a file that does not exist, or a name taken by a shipped scenario.
    """
    builtin = builtin_scenarios()
    if arg.endswith((".yaml", ".yml")) or os.sep in arg:
        path = Path(arg).expanduser()
        if not path.is_file():
            raise ConfigError("scenario", arg, "a scenario name or the path of an existing YAML file")
        name = path.stem
        if name in builtin:
            raise ConfigError("scenario", arg, f"a file whose name is not a shipped scenario's ({name!r} is "
                              "one): rename it")
        return name, path.resolve()
    if arg in builtin:
        return arg, None
    for folder in user_scenario_dirs():
        for suffix in (".yaml", ".yml"):
            if (folder / f"{arg}{suffix}").is_file():
                return arg, folder / f"{arg}{suffix}"
    return arg, None  # unknown: Hydra's error lists the options


def _overlay(name: str, path: Path) -> Path:
    """A search-path folder holding ``scenario/<name>.yaml`` as a link to ``path`` (made once per file)."""
    key = hashlib.sha1(f"{name}\0{path}".encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"o2o-sim-scenarios-{os.getuid()}" / key
    link = root / "scenario" / f"{name}.yaml"
    if not link.is_symlink() or link.resolve() != path:
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = link.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(path)
        os.replace(tmp, link)
    return root


def scenario_overrides(overrides: list[str]) -> list[str]:
    """``overrides`` with a user scenario made reachable by Hydra.

    ``scenario=<file or user scenario name>`` becomes ``scenario=<name>`` plus a
    ``hydra.searchpath`` entry for it; shipped scenarios pass unchanged.
    """
    out = []
    for ov in overrides:
        key, eq, value = ov.partition("=")
        if key != "scenario" or not eq or not value:
            out.append(ov)
            continue
        name, path = find_scenario(value)
        if path is None:
            out.append(ov)
            continue
        check_scenario_file(name, path)
        out += [f"scenario={name}", f"hydra.searchpath=[file://{_overlay(name, path)}]"]
    return out


def check_scenario_file(name: str, path: Path | None = None) -> Path:
    """Check that the scenario file ``name`` is plain YAML with its header and holds a mapping.

    The header is ``# @package _global_`` (without it the settings would land under ``scenario``).

    Returns:
        Its path.

    Raises:
        ConfigError: one line naming the scenario, the file and what is wrong.
    """
    path = path or config_dir() / "scenario" / f"{name}.yaml"
    if not path.is_file():
        return path  # an unknown option: Hydra's error lists the known ones
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError("scenario", name, f"a readable UTF-8 YAML file ({path}: {err})") from None
    if not text.strip():
        raise ConfigError("scenario", name, f"a scenario file with settings ({path} is empty); "
                          "start from scenarios/default.yaml")
    if SCENARIO_HEADER not in text.splitlines()[:5]:
        raise ConfigError("scenario", name, f"a scenario file whose first line is '{SCENARIO_HEADER}' "
                          f"({path} lacks it, so its settings would not apply)")
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:  # a stream: the error's mark names the file
            data = yaml.safe_load(fh)
    except yaml.YAMLError as err:
        raise _yaml_error(err, [f"scenario={name}"]) from None
    if not isinstance(data, dict):
        raise ConfigError("scenario", name,
                          f"a YAML mapping of settings ({path} holds a {type(data).__name__})")
    return path


_FIELDS = {key: (f, tp) for key, f, tp in iter_params(SimConfig)}


def check_overrides(overrides: list[str]) -> None:
    """Each ``key=value`` of a config field has a value of the field's type, within the field's range.

    The rules are those of :func:`~sim.config.validate` (:func:`~sim.config.check_type`, then the
    declared range or choices), with the same message, applied to the command line's own values
    before anything is composed: a bad value is refused at once. Hydra would turn
    ``campaign.ads.enabled=2`` into ``True``; here it is refused, as :func:`~sim.config.from_dict`
    refuses it. Lists, mappings and null name their key (a list field takes a list, each of its items
    checked by :func:`~sim.config.schema.parse_list`). Sweep values (``a,b``, ``range(...)``) are
    checked run by run later; the rules that tie fields together, once the config is composed.

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception:  # noqa: BLE001 - malformed: composing gives the friendly error
        return
    for ov in parsed:
        key = ov.key_or_group
        if key not in _FIELDS or ov.is_sweep_override() or ov.is_delete():
            continue
        f, tp = _FIELDS[key]
        value = ov.value()
        if list_item(tp) is not None:  # a list: each item's keys, types and ranges, named by position
            parse_list(key, value, f, tp)
            continue
        if value is None or isinstance(value, list | dict):
            raise ConfigError(key, value, allowed(f, tp))
        if tp is str and isinstance(value, int | float) and not isinstance(value, bool):
            continue  # a number as text: OmegaConf keeps it as a string
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        check_type(key, value, tp, f)
        if not in_range(f, value):
            raise ConfigError(key, value, allowed(f, tp))


def load_config(overrides: list[str], config_name: str = "config") -> SimConfig:
    """Compose the configs with Hydra overrides and return a validated :class:`SimConfig`.

    Safe to call from several threads (composition is serialised: Hydra's state is global).
    The run's estimated peak memory is checked against what is available
    (:func:`sim.config.resources.check_resources`).

    Args:
        overrides: Hydra override strings (``key=value``, ``group=option``, ``+key=value``).
        config_name: primary config in :func:`config_dir`.

    Raises:
        ConfigError: with a readable one-line message for every kind of bad input.
    """
    if isinstance(overrides, str) or not isinstance(overrides, list | tuple) \
            or not all(isinstance(o, str) for o in overrides):
        raise ConfigError("overrides", overrides,
                          "a list of 'key=value' strings, e.g. ['population.size=5000']")
    overrides = _checked_overrides(list(overrides))
    with _COMPOSING:
        cfg = _compose(overrides, config_name)
    check_resources(cfg)
    return cfg


def config_of(composed: DictConfig, overrides: list[str]) -> SimConfig:
    """The validated :class:`SimConfig` of a config already composed from ``overrides``.

    Gives what :func:`load_config` gives for the same overrides, with the same checks and
    messages, without composing again: for a command that composed the config (with its
    ``hydra`` node) for its own use.

    Args:
        composed: the composed config (``hydra`` and the study blocks are left out).
        overrides: the override strings it was composed from.

    Raises:
        ConfigError: with a readable one-line message for every kind of bad input.
    """
    overrides = _checked_overrides(list(overrides))
    with _friendly_errors(overrides):
        scenario = scenario_label(composed.hydra.runtime.choices.get("scenario"), overrides)
        cfg = to_sim_config(composed, scenario)
    check_resources(cfg)
    return cfg


def _checked_overrides(overrides: list[str]) -> list[str]:
    """The checks made before composing: values of the command line, the scenario's file.

    Returns:
        The overrides with a user scenario made reachable (:func:`scenario_overrides`).
    """
    check_overrides(overrides)
    scenario = _override_value("scenario", overrides)
    if scenario != "?" and re.fullmatch(r"[\w.-]+", scenario) and scenario in builtin_scenarios():
        check_scenario_file(scenario)
    return scenario_overrides(overrides)


@contextlib.contextmanager
def _friendly_errors(overrides: list[str]):
    """Turn the errors of composing ``overrides`` into one-line :class:`ConfigError` messages."""
    import yaml
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        yield
    except ConfigError:
        raise
    except yaml.YAMLError as err:
        raise _yaml_error(err, overrides) from None
    except (HydraException, OmegaConfBaseException, ValueError, TypeError) as err:
        cause = err.__cause__ or err.__context__
        if isinstance(cause, yaml.YAMLError):
            raise _yaml_error(cause, overrides) from None
        raise _friendly(err, overrides) from None


def _compose(overrides: list[str], config_name: str) -> SimConfig:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_configs()
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with _friendly_errors(overrides):
        with initialize_config_dir(config_dir=str(config_dir()), version_base=VERSION_BASE):
            cfg = compose(config_name=config_name, overrides=overrides, return_hydra_config=True)
            scenario = scenario_label(cfg.hydra.runtime.choices.get("scenario"), overrides)
            return to_sim_config(cfg, scenario)
