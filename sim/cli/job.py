"""The Hydra task: one run in its own folder, skipped if already finished.

Core function: :func:`run_job` - composes the typed config from Hydra's DictConfig and
runs it in its folder, which it holds locked (:func:`sim.outputs.run_folder.locked`) while it
works. In a sweep, a run whose folder verifies ``ok`` is skipped; any other is (re-)run:
its stale status and files are cleared first (:func:`sim.outputs.run_folder.begin`), then the
results and figures are written with ``status.json`` last; after Ctrl-C
(:data:`~sim.studies.sweeps.INTERRUPT_MARKER` in the sweep folder) a run not yet started does not
start. A failing run records its error and the sweep goes on; a run stopped by Ctrl-C,
also when the interrupt surfaced as another error (a compiled kernel turns it into a
``SystemError``), is recorded ``interrupted``. A single run refuses a folder that is not
new or empty, and reports a fault of the machine (read-only or full disk) or Ctrl-C in
one line with exit status 1 or 130. In an ``optimize:`` study a job is one Optuna trial
and returns its value.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from sim.cli.interrupt import INTERRUPTED
from sim.config.compose import scenario_label, to_sim_config
from sim.engine.runner import run
from sim.outputs import run_folder
from sim.studies.sweeps import INTERRUPT_MARKER, mark_failed, mark_interrupted, run_status

__all__ = ["run_job"]

log = logging.getLogger("o2o-sim")


def run_job(cfg) -> str:
    """Hydra task function (see module docstring). Returns the run's status."""
    for noisy in ("MESA", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    sweeping = hc.mode == RunMode.MULTIRUN
    if sweeping and cfg.get("optimize") is not None:  # an Optuna trial: the value on the common seeds
        return _trial(cfg, hc, out)
    if not sweeping:
        return _single(cfg, hc, out)
    if run_status(out)["status"] == "ok":
        return "skipped"
    if INTERRUPTED.is_set() or (Path(hc.sweep.dir) / INTERRUPT_MARKER).exists():
        return "interrupted"  # Ctrl-C came before this run started: left for the resume
    try:
        with run_folder.locked(out, wait=False), _watch_sigint() as watch:
            run_folder.begin(out)  # a stale status (ok of an earlier run, failed) is gone from here on
            try:
                start = time.perf_counter()
                sim_cfg = to_sim_config(cfg, _label(hc))
                results = run(sim_cfg, progress=False)
                results.save(out, overwrite=True, seconds=time.perf_counter() - start)
            except KeyboardInterrupt as err:
                _record(mark_interrupted, out, err)
                raise
            except Exception as err:
                if watch["hit"] or _interrupted(err):  # Ctrl-C surfaced as another error: stopped, not broken
                    _record(mark_interrupted, out, err)
                    raise KeyboardInterrupt from err
                _record(mark_failed, out, err)
                fault = run_folder.environment_fault(err)
                if fault is None:
                    log.error("run failed: %s: %s", type(err).__name__, err)
                else:  # not through the log: its file is on the disk that just failed
                    print(f"run not written: {run_folder.describe_fault(fault, out)}", file=sys.stderr)
                return "failed"
    except run_folder.FolderBusyError as err:
        log.error("run not started: %s", err)
        return "busy"
    except OSError as err:  # the folder cannot be written at all (read-only, full): nothing to record
        print(f"run not started: {run_folder.describe_fault(err, out)}", file=sys.stderr)
        return "failed"
    return "ok"


def _single(cfg, hc, out: Path) -> str:
    """One run outside a sweep: refuse a used folder, report faults of the machine in one line."""
    try:
        with run_folder.locked(out, wait=False):
            names = run_folder.contents(out)
            if names:
                raise run_folder.FolderNotEmptyError(
                    f"the run folder {out} is not new or empty (it holds {', '.join(names[:4])}): "
                    "a run is never written over other files")
            run_folder.begin(out)
            try:
                start = time.perf_counter()
                sim_cfg = to_sim_config(cfg, _label(hc))
                results = run(sim_cfg, progress=sys.stderr.isatty())
                results.save(out, overwrite=True, seconds=time.perf_counter() - start)
            except KeyboardInterrupt as err:
                _record(mark_interrupted, out, err)
                raise
            except Exception as err:
                _record(mark_failed, out, err)
                raise
    except run_folder.RunFolderError as err:
        _stop(str(err), err.exit_status)
    except KeyboardInterrupt:
        _stop(f"interrupted; the run in {out} is marked interrupted", 130)
    except Exception as err:
        fault = run_folder.environment_fault(err)
        if fault is None:
            raise
        _stop(f"{run_folder.describe_fault(fault, out)} (the run in {out} is not ok)", 1)
    s, econ = results.summary, sim_cfg.economics
    sym = econ.currency_symbol
    print(f"visits={s['visits']} purchases={s['purchases']} redemptions={s['redemptions']} "
          f"revenue={sym}{s['revenue']:,.0f} campaign_spend={sym}{s['campaign_spend']:,.0f} "
          f"brand_profit={sym}{s['brand_contribution']:,.0f} attributed_roi={s['attributed_roi']:.2f} "
          f"mean_wait_min={s['mean_wait_min']:.1f} (money in {econ.currency}; attributed_roi credits "
          "every coupon sale to the campaign and is not incremental: "
          "o2o-compare baseline:<scenario> <scenario> gives the incremental return)")
    from sim.studies.verdict import run_story

    for line in run_story(s, econ.currency, sym):
        print(line)
    report = out / "report.html"
    print(f"report: {report.resolve() if report.exists() else out.resolve()}")
    print(out)
    return "ok"


def _label(hc) -> str | None:
    """The run's scenario label: the scenario and every change of the campaign on the command line."""
    return scenario_label(hc.runtime.choices.get("scenario"), list(hc.overrides.task))


def _stop(message: str, status: int) -> None:
    """One line on standard error, then the exit status (Hydra passes ``SystemExit`` through)."""
    print(f"o2o-sim: {message}", file=sys.stderr)
    raise SystemExit(status)


def _record(mark, out: Path, err: BaseException) -> None:
    """Write a final status; a folder that can no longer be written keeps ``running`` (read: incomplete)."""
    with contextlib.suppress(OSError):
        mark(out, err)


def _interrupted(err: BaseException) -> bool:
    """Whether Ctrl-C is behind ``err`` (the flag of the sweep, or a KeyboardInterrupt in its chain)."""
    if INTERRUPTED.is_set():
        return True
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, KeyboardInterrupt):
            return True
        err = err.__cause__ or err.__context__
    return False


@contextlib.contextmanager
def _watch_sigint():
    """Note Ctrl-C while a run is in progress, in whatever process runs it (a launcher's worker too).

    The previous handler still runs (in the sweep's own process it flags the sweep and stops
    the runs not yet started); without one, Ctrl-C raises KeyboardInterrupt as usual.
    """
    state = {"hit": False}
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN or previous is None:
        yield state
        return

    def handler(signum, frame):
        state["hit"] = True
        if callable(previous) and previous is not signal.default_int_handler:
            previous(signum, frame)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


def _trial(cfg, hc, out: Path) -> float:
    """One trial of an ``optimize:`` study (:func:`sim.studies.research.optimize.run_trial`)."""
    from omegaconf import OmegaConf

    from sim.studies.research import optimize

    spec = optimize.parse_spec(OmegaConf.to_container(cfg.optimize, resolve=True))
    sim_cfg = to_sim_config(cfg, _label(hc))
    return optimize.run_trial(spec, sim_cfg, out, Path(hc.sweep.dir), int(hc.job.num),
                              list(hc.overrides.task))
