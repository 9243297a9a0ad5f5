"""Sweep planning for the command line: expand, check, name, watch.

Core objects:
    * :class:`SweepPlan` - every run of a multirun (its overrides and folder key),
      the sweep folder, the plan's fingerprint and whether the command is a sweep at all.
    * :func:`plan` - expands ``-m`` sweeps and ``+experiment=NAME`` files exactly
      as Hydra's basic sweeper will, so every run's config can be checked before
      anything runs and finished runs can be recognised on a re-run; a study file
      (``sensitivity:`` or ``optimize:``, :mod:`sim.cli.study`) is planned as its study.
      It also refuses, before anything is written, what a command must not run: a run or
      sweep folder holding other files, a sweep folder holding another sweep (its
      ``jobs.json`` plans different runs), a folder path with ``=``, a folder that cannot
      be written, an empty sweep and a launcher without workers.
    * :func:`check_sweep_folder` - the comparison of a plan with the sweep recorded in its folder.
    * :class:`Progress` - a progress bar (runs done, ETA) fed by watching the
      sweep folder, so it works with any launcher (joblib, submitit, Ray).

A single run is planned with one composition, and the values given on its command line
are checked before that (so a bad one is refused within a fraction of a second);
:mod:`sim.studies.sweeps` (numpy, pandas) is imported only for a sweep.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from sim.cli.study import check_kpis, check_search_space, sensitivity_jobs, study_of
from sim.config import ConfigError
from sim.config.compose import (
    VERSION_BASE,
    check_overrides,
    config_dir,
    config_of,
    load_config,
    register_configs,
)
from sim.config.naming import run_key
from sim.outputs import run_folder
from sim.outputs.files import atomic_write
from sim.outputs.run_folder import STATUS_FILE

__all__ = ["EXCLUDE_FROM_KEY", "Progress", "SweepPlan", "check_sweep_folder", "plan"]

#: Overrides that choose where or how runs execute, not what they compute.
EXCLUDE_FROM_KEY = ("launcher", "experiment")
#: What a sweep folder holds besides its run folders (bookkeeping of the command, Hydra, studies),
#: besides :data:`~sim.studies.sweeps.INTERRUPT_MARKER`.
SWEEP_FILES = ("design.parquet", "multirun.yaml", "sweep.parquet", "sweep.png",
               "sensitivity.parquet", "sensitivity.json", "sensitivity.png", "trials.parquet", "best.json",
               "optimize.png", "optimization_results.yaml")
#: Hydra arguments that may make a command a sweep (besides ``-m`` and an experiment file).
SWEEP_HYDRA_KEYS = ("hydra.mode", "hydra.sweeper", "hydra/sweeper")
#: Hydra arguments naming output folders.
DIR_ARGS = ("hydra.run.dir", "hydra.sweep.dir")


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

    #: Hash of what the sweep computes (its runs, its study, its experiment file), kept in ``jobs.json``.
    fingerprint: str = ""
    #: A sensitivity study's design table (written to ``design.parquet``).
    design: Any = None
    #: Keys of the runs found ``ok`` by the last :meth:`finished`.
    finished_keys: set[str] | None = field(default=None, repr=False)

    def write_jobs(self) -> None:
        """Record the expected runs and the plan's fingerprint in the sweep folder (``jobs.json``).

        Call it holding the sweep folder's lock (:func:`sim.outputs.run_folder.locked`).

        Raises:
            ConfigError: the folder holds another sweep (see :func:`check_sweep_folder`).
        """
        from sim.studies.sweeps import JOBS_FILE

        assert self.sweep_dir is not None
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        check_sweep_folder(self)
        text = json.dumps({"fingerprint": self.fingerprint, "jobs": self.jobs}, indent=1) + "\n"
        atomic_write(self.sweep_dir / JOBS_FILE, lambda p: Path(p).write_text(text))
        if self.design is not None:
            _write_design(self.sweep_dir, self.design)

    def finished(self) -> int:
        """Runs already finished and verified ``ok``: exactly the runs a resume skips.

        Also kept in :attr:`finished_keys` (the progress bar starts from them).
        """
        from sim.studies.sweeps import run_status

        assert self.sweep_dir is not None
        self.finished_keys = {j["key"] for j in self.jobs
                              if run_status(self.sweep_dir / j["key"])["status"] == "ok"}
        return len(self.finished_keys)

    def done(self, since: float, before: set[str]) -> int:
        """Runs in ``before`` (ok at the start) plus runs that ended since ``since`` (cheap: no checksums)."""
        from sim.studies.sweeps import run_status

        assert self.sweep_dir is not None
        count = 0
        for job in self.jobs:
            if job["key"] in before:
                count += 1
                continue
            path = self.sweep_dir / job["key"] / STATUS_FILE
            try:
                if path.stat().st_mtime < since:
                    continue
            except OSError:
                continue
            count += run_status(path.parent, verify=False)["status"] in ("ok", "failed", "interrupted")
        return count


def _is_hydra_arg(arg: str) -> bool:
    return arg.startswith(("hydra.", "hydra/", "+hydra.", "~hydra."))


def _names_experiment(task_args: list[str]) -> bool:
    """Whether the command names an experiment file (which may make it a sweep or a study)."""
    return any(a.lstrip("+~").startswith("experiment=") for a in task_args)


def _names_sweep(hydra_args: list[str]) -> bool:
    """Whether a Hydra argument may make the command a sweep (its mode, its sweeper)."""
    return any(a.lstrip("+~").startswith(SWEEP_HYDRA_KEYS) for a in hydra_args)


def _compose_hydra(task_overrides: list[str], hydra_overrides: list[str]):
    register_configs()
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base=VERSION_BASE):
        return compose(config_name="config", overrides=task_overrides + hydra_overrides,
                       return_hydra_config=True)


def plan(args: list[str]) -> SweepPlan:
    """Expand the command's runs and check every run's config and the folders they go to.

    Nothing is written, except a sensitivity study's ``design.parquet`` in its own sweep folder.

    Args:
        args: command-line arguments after the program name.

    Returns:
        The plan; for a single run, only ``multirun=False`` and the hydra args.

    Raises:
        ConfigError: for the first run whose config is invalid (naming it), a bad Hydra
            argument (a folder path with ``=``, ``hydra.launcher.n_jobs`` not a worker count),
            an empty sweep, or an output folder the command must not use.
        sim.outputs.run_folder.RunFolderError: the output folder cannot be written or is in use.
    """
    multirun_flag = any(a in ("-m", "--multirun") for a in args)
    words = [a for a in args if not a.startswith("-")]
    hydra_args = [a for a in words if _is_hydra_arg(a)]
    task_args = [a for a in words if not _is_hydra_arg(a)]
    # a search path adds config groups (e.g. a folder of scenarios): every config check needs it
    searchpath = [a for a in hydra_args if a.split("=", 1)[0].lstrip("+") == "hydra.searchpath"]
    _check_dir_args(hydra_args)
    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(task_args)
    except Exception as err:  # noqa: BLE001 - Hydra raises several types for bad syntax
        allowed = f"valid Hydra override syntax ({err})"
        raise ConfigError("<overrides>", " ".join(task_args), allowed) from None
    sweeping = [o for o in parsed if o.is_sweep_override()]
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
    if not (multirun_flag or _names_experiment(task_args) or _names_sweep(hydra_args)):
        check_overrides(fixed)  # a single run's bad value, refused before Hydra composes anything

    composable = [a for a in hydra_args if "=" in a and "," not in a]
    try:
        cfg = _compose_hydra(fixed, composable)
    except Exception as err:  # noqa: BLE001 - a bad fixed override: load_config gives the friendly error
        load_config([*fixed, *searchpath])
        raise _hydra_arg_error(err, composable) from None
    mode = str(cfg.hydra.get("mode") or "")
    raw = cfg.hydra.sweeper.get("params")
    params = OmegaConf.to_container(raw, resolve=False) if raw is not None else {}
    study = study_of(cfg)
    multirun = multirun_flag or mode.endswith("MULTIRUN") or bool(params) or study is not None
    if not multirun:
        if sweeping:
            raise ConfigError(sweeping[0].key_or_group, sweeping[0].input_line.split("=", 1)[1],
                              "a single value (add -m to sweep over several)")
        if all(a in composable for a in searchpath):  # the run's config is the one composed above
            config_of(cfg, [*task_args, *searchpath])
        else:
            load_config([*task_args, *searchpath])
        _check_run_dir(hydra_args, cfg)
        return SweepPlan(multirun=False, hydra_args=hydra_args)
    _check_launcher(cfg)
    sweep_dir, hydra_args = _sweep_dir(words, task_args, hydra_args)
    _check_sweep_dir(sweep_dir, hydra_args)
    if study is not None:
        result = _plan_study(study, task_args, sweep_dir, hydra_args, parser, params)
    else:
        lines = [f"{k}={v}" for k, v in params.items()] + task_args
        batches = BasicSweeper.split_arguments(parser.parse_overrides(lines), None)
        job_lists = [job for batch in batches for job in batch]
        if not job_lists:
            raise _empty_sweep(lines, parser)
        jobs, checked = [], set()
        for i, job in enumerate(job_lists):
            dirname = get_overrides_dirname(parser.parse_overrides(job), list(EXCLUDE_FROM_KEY), ",", "=")
            jobs.append({"key": run_key(dirname), "overrides": list(job)})
            no_seed = tuple(o for o in job if not o.startswith("seed="))
            if no_seed not in checked:
                checked.add(no_seed)
                try:
                    load_config([*job, *searchpath])
                except ConfigError as err:
                    raise ConfigError(err.key, err.value,
                                      f"{err.allowed} (run {i}: {' '.join(job)})") from None
            else:
                seed = next((o.split("=", 1)[1] for o in job if o.startswith("seed=")), "0")
                if not seed.isdigit():
                    raise ConfigError("seed", seed, "an integer >= 0")
        result = SweepPlan(multirun=True, sweep_dir=sweep_dir, jobs=jobs, hydra_args=hydra_args)
    result.fingerprint = _fingerprint(result, task_args, params)
    check_sweep_folder(result)
    if result.design is not None and run_folder.lock_holder(sweep_dir) is None:
        _write_design(sweep_dir, result.design)  # the study's sample, readable before it runs
    return result


def _experiment_text(task_args: list[str]) -> tuple[str | None, str]:
    """The experiment named by ``+experiment=NAME`` and the text of its file (empty if none)."""
    experiment = next((o.split("=", 1)[1] for o in task_args
                       if o.lstrip("+").startswith("experiment=")), None)
    source = config_dir() / "experiment" / f"{experiment}.yaml" if experiment else None
    return experiment, source.read_text() if source is not None and source.exists() else ""


def _fingerprint(result: SweepPlan, task_args: list[str], params: dict) -> str:
    """What the sweep computes: its run keys, its study and search space, its experiment file.

    Where and how the runs execute (launcher, workers, Hydra settings) is left out, so the same
    sweep can be resumed on another launcher.
    """
    kind, spec = result.study if result.study else (None, None)
    fixed = sorted(a for a in task_args if not a.lstrip("+~").startswith("launcher="))
    content = {"runs": [j["key"] for j in result.jobs], "study": kind, "spec": repr(spec),
               "search": {k: str(v) for k, v in sorted(params.items())} if kind == "optimize" else {},
               "fixed": fixed if kind == "optimize" else [], "experiment": _experiment_text(task_args)[1]}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def check_sweep_folder(result: SweepPlan) -> None:
    """Refuse a sweep folder that holds another sweep.

    The sweep recorded in ``jobs.json`` is the same when its fingerprint is; a ``jobs.json``
    without one (an older layout) when it lists the same runs; an unreadable one when every run
    folder in the sweep folder is a run of this plan.

    Raises:
        ConfigError: naming the folder.
    """
    from sim.studies.sweeps import JOBS_FILE

    assert result.sweep_dir is not None
    path = result.sweep_dir / JOBS_FILE
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = None
    keys = [j["key"] for j in result.jobs]
    if isinstance(data, dict) and data.get("fingerprint"):
        same = data["fingerprint"] == result.fingerprint
    elif isinstance(data, dict) and isinstance(data.get("jobs"), list):
        same = [j.get("key") for j in data["jobs"] if isinstance(j, dict)] == keys
    else:
        same = all(d.name in set(keys) for d in result.sweep_dir.iterdir()
                   if d.is_dir() and (d / STATUS_FILE).exists())
    if not same:
        raise ConfigError("hydra.sweep.dir", str(result.sweep_dir),
                          "a folder of this sweep only: it holds another sweep (its jobs.json plans "
                          "different runs); choose another folder")


def _write_design(sweep_dir: Path, design) -> None:
    from sim.studies.research import sensitivity

    sweep_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(sweep_dir / sensitivity.DESIGN_FILE, lambda p: design.to_parquet(p, index=False))


def _dir_arg(hydra_args: list[str], key: str) -> str | None:
    values = [a.split("=", 1)[1] for a in hydra_args if a.lstrip("+").split("=", 1)[0] == key]
    return values[-1] if values else None


def _check_dir_args(hydra_args: list[str]) -> None:
    for key in DIR_ARGS:
        value = _dir_arg(hydra_args, key)
        if value is not None and ("=" in value or not value.strip()):
            raise ConfigError(key, value, "a folder path without '=' (Hydra reads '=' as the end of the key)")


def _hydra_arg_error(err: Exception, hydra_args: list[str]) -> ConfigError:
    """A Hydra argument that does not compose, as a ConfigError naming it."""
    text = f"{err}\n{err.__cause__ or ''}"
    m = re.search(r"override (\S+?)=(\S*)", text)
    key, value = (m.group(1).lstrip("+~"), m.group(2)) if m else ("<hydra arguments>", " ".join(hydra_args))
    if key.endswith("n_jobs"):
        return ConfigError(key, value, "an integer >= 1 (or -1: one worker per CPU)")
    cause = str(err.__cause__ or err).strip().splitlines()
    return ConfigError(key, value, cause[0] if cause else type(err).__name__)


def _check_launcher(cfg) -> None:
    launcher = cfg.hydra.get("launcher")
    if launcher is None or "n_jobs" not in launcher:
        return
    n = launcher.get("n_jobs")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n == 0):
        raise ConfigError("hydra.launcher.n_jobs", n, "an integer >= 1 (or -1: one worker per CPU)")


def _empty_sweep(lines: list[str], parser) -> ConfigError:
    for line in lines:
        if not [job for batch in BasicSweeper.split_arguments(parser.parse_overrides([line]), None)
                for job in batch]:
            key, _, value = line.partition("=")
            return ConfigError(key, value, "a sweep with at least one value (e.g. range(1, 4) or 0,1,2)")
    return ConfigError("<sweep>", " ".join(lines), "a sweep with at least one run")


def _check_writable(path: Path, what: str) -> None:
    reason = run_folder.writable_or_reason(path)
    if reason:
        raise run_folder.RunFolderError(f"cannot write the {what} folder {path}: {reason}", 1)


def _shown(names: list[str]) -> str:
    return ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")


def _check_run_dir(hydra_args: list[str], cfg) -> None:
    """A single run's folder: new or empty (Hydra's own files aside), and writable."""
    given = _dir_arg(hydra_args, "hydra.run.dir")
    if given is None:
        given = str(OmegaConf.to_container(cfg.hydra.run, resolve=False).get("dir", "outputs"))
    fixed = given.split("${", 1)[0]  # a folder named by the time (the default) is a new one
    path = Path(fixed or ".")
    if fixed == given:
        if path.exists() and not path.is_dir():
            raise ConfigError("hydra.run.dir", given, "a folder (this is a file)")
        names = run_folder.contents(path)
        if names:
            holder = run_folder.lock_holder(path)
            if holder is not None:
                raise run_folder.FolderBusyError(f"the run folder {path} is in use by {holder}")
            foreign = [n for n in names if n not in run_folder.RUN_FILES and not n.endswith(".tmp")]
            if foreign:
                allowed = f"a new or empty folder (it holds files that are not a run: {_shown(foreign)})"
                raise ConfigError("hydra.run.dir", given, allowed)
            state = run_folder.verify(path)["status"]
            allowed = (f"a new or empty folder (it holds an earlier run, status {state}; "
                       "runs are never overwritten)")
            raise ConfigError("hydra.run.dir", given, allowed)
    _check_writable(path, "run")


def _check_sweep_dir(sweep_dir: Path, hydra_args: list[str]) -> None:
    """A sweep's folder: new, empty or a sweep's (never one holding other files), and writable."""
    from sim.studies.sweeps import INTERRUPT_MARKER, JOBS_FILE

    given = _dir_arg(hydra_args, "hydra.sweep.dir") or str(sweep_dir)
    if sweep_dir.exists() and not sweep_dir.is_dir():
        raise ConfigError("hydra.sweep.dir", given, "a folder (this is a file)")
    if sweep_dir.is_dir() and not (sweep_dir / JOBS_FILE).exists():
        known = (*SWEEP_FILES, INTERRUPT_MARKER)
        foreign = [n for n in run_folder.contents(sweep_dir)
                   if n not in known and not n.endswith(".tmp")]
        if foreign:
            raise ConfigError("hydra.sweep.dir", given, "a new or empty folder, or a sweep's (it holds files "
                                                        f"that are not a sweep: {_shown(foreign)})")
    _check_writable(sweep_dir, "sweep")


def _sweep_dir(words: list[str], task_args: list[str], hydra_args: list[str]) -> tuple[Path, list[str]]:
    """The sweep folder (stable per command) and the hydra args that set it."""
    given = _dir_arg(hydra_args, "hydra.sweep.dir")
    if given is not None:
        return Path(given).resolve(), hydra_args
    # the experiment file's text too: an edited study (ranges, KPI, fixed values) gets a new folder
    # instead of reusing runs made for the old one; so does an engine whose results changed
    from sim import RESULTS_VERSION

    experiment, text = _experiment_text(task_args)
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
        from sim.studies.research import optimize

        spec = optimize.parse_spec(block)
        check_search_space(params, spec, task_args, parser)
        check_kpis("optimize.kpi", [spec.kpi], task_args, tuple(optimize.INCREMENTAL))
        return SweepPlan(multirun=True, sweep_dir=sweep_dir, hydra_args=hydra_args, study=(kind, spec))
    spec, jobs, design = sensitivity_jobs(block, task_args)
    for job in jobs:
        dirname = get_overrides_dirname(parser.parse_overrides(job["overrides"]), list(EXCLUDE_FROM_KEY),
                                        ",", "=")
        job["key"] = run_key(dirname)
    return SweepPlan(multirun=True, sweep_dir=sweep_dir, jobs=jobs, hydra_args=hydra_args, study=(kind, spec),
                     design=design)


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

        assert self.sweep.sweep_dir is not None
        since = time.time()
        if self.sweep.finished_keys is None:
            self.sweep.finished()
        before = set(self.sweep.finished_keys or ())
        bar = tqdm(total=len(self.sweep.jobs), initial=len(before), desc="runs", unit="run",
                   dynamic_ncols=True)
        done = len(before)
        while not self._stop.is_set():
            time.sleep(self.interval)
            now = self.sweep.done(since, before)
            if now > done:
                bar.update(now - done)
                done = now
        now = self.sweep.done(since, before)
        bar.update(max(0, now - done))
        bar.close()
