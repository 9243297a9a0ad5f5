"""The Hydra task: one run in its own folder, skipped if already finished.

Core function: :func:`run_job` - composes the typed config from Hydra's
DictConfig, and unless the folder already holds a finished run, simulates,
writes the results and figures, and writes ``status.json`` last; after Ctrl-C
(:data:`~sim.sweeps.INTERRUPT_MARKER` in the sweep folder) a run not yet started
does not start. In an
``optimize:`` study a job is one Optuna trial and returns its value. In a sweep a
failing run records its error and the sweep goes on; a single run re-raises.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from ..runner import run
from ..sweeps import INTERRUPT_MARKER, mark_done, mark_failed, run_status
from . import INTERRUPTED
from .compose import to_sim_config

__all__ = ["run_job"]


def run_job(cfg) -> str:
    """Hydra task function (see module docstring). Returns the run's status."""
    for noisy in ("MESA", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    sweeping = hc.mode == RunMode.MULTIRUN
    if sweeping and cfg.get("optimize") is not None:  # an Optuna trial: the value on the common seeds
        return _trial(cfg, hc, out)
    if sweeping and run_status(out)["status"] == "ok":
        return "skipped"
    if sweeping and (INTERRUPTED.is_set() or (Path(hc.sweep.dir) / INTERRUPT_MARKER).exists()):
        return "interrupted"  # Ctrl-C came before this run started: left for the resume
    start = time.perf_counter()
    try:
        sim_cfg = to_sim_config(cfg, hc.runtime.choices.get("scenario"))
        results = run(sim_cfg, progress=not sweeping and sys.stderr.isatty())
        results.save(out)
    except Exception as err:
        if not sweeping:
            raise
        if INTERRUPTED.is_set():  # Ctrl-C surfaced as another error: the run did not fail, it was stopped
            raise KeyboardInterrupt from err
        mark_failed(out, err)
        logging.getLogger("o2o-sim").error("run failed: %s: %s", type(err).__name__, err)
        return "failed"
    mark_done(out, time.perf_counter() - start)
    if not sweeping:
        s, econ = results.summary, sim_cfg.economics
        sym = econ.currency_symbol
        print(f"visits={s['visits']} purchases={s['purchases']} redemptions={s['redemptions']} "
              f"revenue={sym}{s['revenue']:,.0f} campaign_spend={sym}{s['campaign_spend']:,.0f} "
              f"brand_profit={sym}{s['brand_contribution']:,.0f} attributed_roi={s['attributed_roi']:.2f} "
              f"mean_wait_min={s['mean_wait_min']:.1f} (money in {econ.currency}; attributed_roi credits "
              "every coupon sale to the campaign and is not incremental: "
              "o2o-compare baseline:<scenario> <scenario> gives the incremental return)")
        print(out)
    return "ok"


def _trial(cfg, hc, out: Path) -> float:
    """One trial of an ``optimize:`` study (:func:`sim.research.optimize.run_trial`)."""
    from omegaconf import OmegaConf

    from ..research import optimize

    spec = optimize.parse_spec(OmegaConf.to_container(cfg.optimize, resolve=True))
    sim_cfg = to_sim_config(cfg, hc.runtime.choices.get("scenario"))
    return optimize.run_trial(spec, sim_cfg, out, Path(hc.sweep.dir), int(hc.job.num),
                              list(hc.overrides.task))
