"""Studies started from an experiment file: sensitivity analyses and campaign optimisations.

Core objects:
    * :func:`study_of` - which study block (``sensitivity`` or ``optimize``) a composed
      config holds, if any.
    * :func:`sensitivity_jobs` - the runs of a sensitivity study (its sample points on
      common seeds) and its design table (written to the sweep folder by the plan).
    * :func:`planned_batches` - hands a precomputed list of runs to Hydra's basic
      sweeper, so the sample points are launched as ordinary sweep jobs by whichever
      launcher is configured (joblib, submitit, Ray).
    * :func:`check_search_space` - an optimisation's searched settings, checked up front.
    * :func:`check_kpis` - the study's KPI names against what a run of its config reports,
      checked up front (a one-day run of a small copy of the city).
    * :func:`finish` - the study's outputs once the sweep has ended (also after Ctrl-C), and
      the count of runs by status.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.plugins import Plugins
from omegaconf import OmegaConf

from sim.config.compose import STUDY_KEYS

__all__ = ["check_kpis", "check_search_space", "finish", "planned_batches", "sensitivity_jobs", "study_of"]


def study_of(cfg) -> tuple[str, dict[str, Any]] | None:
    """``(kind, block)`` of the study in a composed config, or ``None`` for a plain sweep."""
    found = [(k, cfg.get(k)) for k in STUDY_KEYS if cfg.get(k) is not None]
    if not found:
        return None
    if len(found) > 1:
        from sim.config import ConfigError

        raise ConfigError(found[1][0], "...", f"one study per experiment file (already {found[0][0]})")
    kind, block = found[0]
    return kind, OmegaConf.to_container(block, resolve=True)


def sensitivity_jobs(block: dict, task_args: list[str]) -> tuple[Any, list[dict], Any]:
    """Check a ``sensitivity`` block and list its runs.

    Args:
        block: the ``sensitivity:`` mapping.
        task_args: the command's overrides (each run gets them; a ``seed=`` is the first seed).

    Returns:
        The parsed spec, the runs as ``{"point", "overrides"}`` (keys added by the caller) and
        the design table (``design.parquet``, written by :func:`sim.cli.sweep.plan`).

    Raises:
        ConfigError: for a bad block, or a parameter end the config refuses.
    """
    from sim.config.compose import load_config
    from sim.studies.research import sensitivity
    from sim.studies.research.spec import format_value

    spec = sensitivity.parse_spec(block)
    seed_args = [a for a in task_args if a.startswith("seed=")]
    fixed = [a for a in task_args if not a.startswith("seed=")]
    base_seed = int(seed_args[-1].split("=", 1)[1]) if seed_args else 0
    for name, (lo, hi, tp) in spec.parameters.items():  # both ends of every range, with the rest fixed
        for end in (lo, hi):
            load_config([*fixed, f"{name}={format_value(end, tp)}"])
    check_kpis("sensitivity.kpis", list(spec.kpis), fixed)
    frame = sensitivity.design(spec)
    jobs = [{"point": point, "overrides": ov}
            for point, ov in sensitivity.point_jobs(spec, frame, fixed, base_seed)]
    return spec, jobs, frame


def check_kpis(key: str, names: list[str], task_args: list[str], extra: tuple[str, ...] = ()) -> None:
    """Check KPI names against the summary a run of ``task_args`` reports, before anything runs.

    The summary's keys depend on the levers switched on, so they are read off a one-day
    run of a copy of the config with at most 300 consumers (about a second). If that
    small run cannot be made, the names are checked after the runs instead.

    Args:
        key: the config key the names come from (for the message).
        names: the KPI names.
        task_args: the study's fixed overrides.
        extra: other accepted names (an optimisation's incremental KPIs).

    Raises:
        ConfigError: naming the first unknown KPI, with the closest known names.
    """
    import dataclasses
    import difflib

    from sim.config import ConfigError
    from sim.config.compose import load_config
    from sim.engine.runner import run

    cfg = load_config(task_args)
    small = dataclasses.replace(cfg, days=1, warmup_days=0,
                                population=dataclasses.replace(cfg.population,
                                                               size=min(cfg.population.size, 300)))
    try:
        known = {k for k, v in run(small).summary.items() if isinstance(v, int | float)} | set(extra)
    except (ConfigError, ValueError):
        return
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=3)
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise ConfigError(key, name, f"a numeric KPI of the run summary (docs/OUTPUTS.md){hint}")


def check_search_space(params: dict, spec, task_args: list[str], parser) -> None:
    """Check an optimisation's ``hydra.sweeper.params`` before anything runs.

    Every key must be a numeric config key or ``optimize.budget.weights.<lever>`` of a
    lever in the split; every value an ``interval(lo, hi)``, ``range(...)`` or choice
    list whose ends the config accepts.

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    from sim.config.compose import load_config
    from sim.studies.research.spec import numeric_keys, require

    require(bool(params), "hydra.sweeper.params", params,
            "at least one searched setting, e.g. campaign.push_coupon.discount: interval(0.05, 0.5)")
    known = numeric_keys()
    for key, text in params.items():
        where = f"hydra.sweeper.params.{key}"
        weight = key.startswith("optimize.budget.weights.")
        if weight:
            require(key.rsplit(".", 1)[1] in spec.weights, where, text,
                    f"a lever of optimize.budget.weights ({sorted(spec.weights)})")
        else:
            require(key in known, where, text, "a numeric config key (docs/CONFIG.md)")
        try:
            override = parser.parse_overrides([f"{key}={text}"])[0]
        except Exception:  # noqa: BLE001 - Hydra raises several types for bad syntax
            override = None
        sweep_ok = override is not None and override.is_sweep_override()
        require(sweep_ok, where, text, "interval(low, high), range(start, stop) or a choice a,b,c")
        if override.is_interval_sweep():
            value = override.value()
            require(value.start < value.end, where, text, "interval(low, high) with low < high")
            ends = [value.start, value.end]
        elif override.is_range_sweep():  # Optuna samples range(start, stop) with both ends included
            value = override.value()
            require(value.start < value.stop, where, text, "range(start, stop) with start < stop")
            ends = [value.start, value.stop]
        else:
            ends = list(override.sweep_string_iterator())
        if not weight:
            tp = known[key][1]
            for end in ends:
                load_config([*task_args, f"{key}={end if tp is float else int(float(end))}"])


@contextlib.contextmanager
def planned_batches(jobs: list[list[str]] | None):
    """While active, Hydra's basic sweeper launches exactly ``jobs`` (one batch) instead of a grid.

    The sweeper still composes and checks every job and hands the batch to the
    configured launcher; only the expansion of the command into runs is replaced.
    ``None`` leaves the sweeper alone.
    """
    if jobs is None:
        yield
        return
    # Hydra's plugin scan loads its own copy of the module: patch the class it instantiates
    sweeper = Plugins.instance().class_name_to_class[f"{BasicSweeper.__module__}.BasicSweeper"]
    original = sweeper.__dict__["split_arguments"]
    sweeper.split_arguments = staticmethod(lambda overrides, max_batch_size: [[list(j) for j in jobs]])
    try:
        yield
    finally:
        sweeper.split_arguments = original


def finish(sweep) -> tuple[dict[str, int], bool]:
    """Write the sweep's table and the study's outputs.

    Returns:
        The number of runs by status (``ok``, ``failed``, ``interrupted``, ``damaged``,
        ``incomplete``, ``running``, ``missing``; trials for an optimisation), and whether the
        study's analysis was written (always true for a plain sweep; false when a sensitivity
        KPI is not a summary key).
    """
    from sim.studies.sweeps import write_sweep

    kind = sweep.study[0] if sweep.study else None
    if kind == "optimize":
        from sim.studies.research import optimize

        trials = optimize.finish(sweep.sweep_dir, sweep.study[1])
        counts = trials["status"].value_counts().to_dict() if len(trials) else {}
        return {str(k): int(v) for k, v in counts.items()}, True
    frame = write_sweep(sweep.sweep_dir, figure=kind is None)
    analysed = True
    if kind == "sensitivity":
        from sim.studies.research import sensitivity

        try:
            table = sensitivity.finish(sweep.sweep_dir, sweep.study[1], frame)
        except ValueError as err:
            print(f"o2o-sim: {err}", file=sys.stderr)
            table, analysed = None, False
        if table is not None:
            print(f"sensitivity: {sweep.sweep_dir / 'sensitivity.parquet'} and sensitivity.png",
                  file=sys.stderr)
    counts = frame["status"].value_counts().to_dict()
    return {str(k): int(v) for k, v in counts.items()}, analysed
