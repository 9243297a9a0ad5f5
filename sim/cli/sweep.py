"""Sweep planning for the command line: expand, check, name, watch.

Core objects:
    * :class:`SweepPlan` - every run of a multirun (its overrides and folder key),
      the sweep folder and whether the command is a sweep at all.
    * :func:`plan` - expands ``-m`` sweeps and ``+experiment=NAME`` files exactly
      as Hydra's basic sweeper will, so every run's config can be checked before
      anything runs and finished runs can be recognised on a re-run; a study file
      (``sensitivity:`` or ``optimize:``, :mod:`sim.cli.study`) is planned as its study.
    * :class:`Progress` - a progress bar (runs done, ETA) fed by watching the
      sweep folder, so it works with any launcher (joblib, submitit, Ray).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from ..config import ConfigError
from ..results import atomic_write
from ..sweeps import JOBS_FILE, run_key, run_status
from .compose import VERSION_BASE, config_dir, load_config, register_configs
from .study import check_kpis, check_search_space, sensitivity_jobs, study_of

__all__ = ["EXCLUDE_FROM_KEY", "Progress", "SweepPlan", "plan"]

#: Overrides that choose where or how runs execute, not what they compute.
EXCLUDE_FROM_KEY = ("launcher", "experiment")


@dataclass
class SweepPlan:
    """What a command will run."""

    multirun: bool
    sweep_dir: Path | None = None
    jobs: list[dict] = field(default_factory=list)
    hydra_args: list[str] = field(default_factory=list)
    #: ``(kind, spec)`` for a study (sensitivity, optimize) started from an experiment file.
    study: tuple | None = None

    @property
    def planned(self) -> list[list[str]] | None:
        """The runs to hand to the basic sweeper as they are (a sensitivity study), else None."""
        if self.study and self.study[0] == "sensitivity":
            return [j["overrides"] for j in self.jobs]
        return None

    def write_jobs(self) -> None:
        """Record the expected runs in the sweep folder (``jobs.json``)."""
        assert self.sweep_dir is not None
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"jobs": self.jobs}, indent=1) + "\n"
        atomic_write(self.sweep_dir / JOBS_FILE, lambda p: Path(p).write_text(text))

    def finished(self) -> int:
        """Runs already finished (ok or failed) in the sweep folder."""
        assert self.sweep_dir is not None
        return sum(run_status(self.sweep_dir / j["key"])["status"] != "missing" for j in self.jobs)


def _is_hydra_arg(arg: str) -> bool:
    return arg.startswith(("hydra.", "hydra/", "+hydra.", "~hydra."))


def _compose_hydra(task_overrides: list[str], hydra_overrides: list[str]):
    register_configs()
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base=VERSION_BASE):
        return compose(config_name="config", overrides=task_overrides + hydra_overrides,
                       return_hydra_config=True)


def plan(args: list[str]) -> SweepPlan:
    """Expand the command's runs and check every run's config.

    Args:
        args: command-line arguments after the program name.

    Returns:
        The plan; for a single run, only ``multirun=False`` and the hydra args.

    Raises:
        ConfigError: for the first run whose config is invalid (naming it).
    """
    multirun_flag = any(a in ("-m", "--multirun") for a in args)
    words = [a for a in args if not a.startswith("-")]
    hydra_args = [a for a in words if _is_hydra_arg(a)]
    task_args = [a for a in words if not _is_hydra_arg(a)]
    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(task_args)
    except Exception as err:  # noqa: BLE001 - Hydra raises several types for bad syntax
        allowed = f"valid Hydra override syntax ({err})"
        raise ConfigError("<overrides>", " ".join(task_args), allowed) from None
    sweeping = [o for o in parsed if o.is_sweep_override()]
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]

    try:
        cfg = _compose_hydra(fixed, [a for a in hydra_args if "=" in a and "," not in a])
    except Exception:  # noqa: BLE001 - a bad fixed override: load_config gives the friendly error
        load_config(fixed)
        raise
    mode = str(cfg.hydra.get("mode") or "")
    raw = cfg.hydra.sweeper.get("params")
    params = OmegaConf.to_container(raw, resolve=False) if raw is not None else {}
    study = study_of(cfg)
    multirun = multirun_flag or mode.endswith("MULTIRUN") or bool(params) or study is not None
    if not multirun:
        if sweeping:
            raise ConfigError(sweeping[0].key_or_group, sweeping[0].input_line.split("=", 1)[1],
                              "a single value (add -m to sweep over several)")
        load_config(task_args)
        return SweepPlan(multirun=False, hydra_args=hydra_args)
    sweep_dir, hydra_args = _sweep_dir(words, task_args, hydra_args)
    if study is not None:
        return _plan_study(study, task_args, sweep_dir, hydra_args, parser, params)

    lines = [f"{k}={v}" for k, v in params.items()] + task_args
    batches = BasicSweeper.split_arguments(parser.parse_overrides(lines), None)
    job_lists = [job for batch in batches for job in batch]
    jobs, checked = [], set()
    for i, job in enumerate(job_lists):
        dirname = get_overrides_dirname(parser.parse_overrides(job), list(EXCLUDE_FROM_KEY), ",", "=")
        jobs.append({"key": run_key(dirname), "overrides": list(job)})
        no_seed = tuple(o for o in job if not o.startswith("seed="))
        if no_seed not in checked:
            checked.add(no_seed)
            try:
                load_config(list(job))
            except ConfigError as err:
                raise ConfigError(err.key, err.value, f"{err.allowed} (run {i}: {' '.join(job)})") from None
        else:
            seed = next((o.split("=", 1)[1] for o in job if o.startswith("seed=")), "0")
            if not seed.isdigit():
                raise ConfigError("seed", seed, "an integer >= 0")

    return SweepPlan(multirun=True, sweep_dir=sweep_dir, jobs=jobs, hydra_args=hydra_args)


def _sweep_dir(words: list[str], task_args: list[str], hydra_args: list[str]) -> tuple[Path, list[str]]:
    """The sweep folder (stable per command) and the hydra args that set it."""
    given = [a for a in hydra_args if a.startswith("hydra.sweep.dir=")]
    if given:
        return Path(given[0].split("=", 1)[1]).resolve(), hydra_args
    experiment = next((o.split("=", 1)[1] for o in task_args
                       if o.lstrip("+").startswith("experiment=")), None)
    # the experiment file's text too: an edited study (ranges, KPI, fixed values) gets a new folder
    # instead of reusing runs made for the old one; so does an engine whose results changed
    from .. import RESULTS_VERSION

    source = config_dir() / "experiment" / f"{experiment}.yaml" if experiment else None
    text = source.read_text() if source is not None and source.exists() else ""
    key = f"results {RESULTS_VERSION}\n" + " ".join(sorted(words)) + text
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    name = f"{experiment}-{digest}" if experiment else f"sweep-{digest}"
    sweep_dir = Path("multirun") / name
    return sweep_dir.resolve(), [*hydra_args, f"hydra.sweep.dir={sweep_dir}"]


def _plan_study(study: tuple[str, dict], task_args: list[str], sweep_dir: Path, hydra_args: list[str],
                parser, params: dict) -> SweepPlan:
    """A sensitivity study's runs (its sample points), or an optimisation (runs chosen as it goes)."""
    kind, block = study
    if kind == "optimize":
        from ..research import optimize

        spec = optimize.parse_spec(block)
        check_search_space(params, spec, task_args, parser)
        check_kpis("optimize.kpi", [spec.kpi], task_args, tuple(optimize.INCREMENTAL))
        return SweepPlan(multirun=True, sweep_dir=sweep_dir, hydra_args=hydra_args, study=(kind, spec))
    spec, jobs = sensitivity_jobs(block, task_args, sweep_dir)
    for job in jobs:
        dirname = get_overrides_dirname(parser.parse_overrides(job["overrides"]), list(EXCLUDE_FROM_KEY),
                                        ",", "=")
        job["key"] = run_key(dirname)
    return SweepPlan(multirun=True, sweep_dir=sweep_dir, jobs=jobs, hydra_args=hydra_args, study=(kind, spec))


class Progress:
    """Progress bar over a sweep's runs, updated by polling the sweep folder.

    Args:
        sweep: the plan being run.
        interval: seconds between polls.
    """

    def __init__(self, sweep: SweepPlan, interval: float = 0.5):
        self.sweep = sweep
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Progress:
        if self.sweep.jobs:  # an optimisation's runs are not known in advance: no bar
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        from tqdm.auto import tqdm

        start = self.sweep.finished()
        bar = tqdm(total=len(self.sweep.jobs), initial=start, desc="runs", unit="run",
                   dynamic_ncols=True)
        done = start
        while not self._stop.is_set():
            time.sleep(self.interval)
            now = self.sweep.finished()
            if now > done:
                bar.update(now - done)
                done = now
        now = self.sweep.finished()
        bar.update(max(0, now - done))
        bar.close()
