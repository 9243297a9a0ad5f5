"""Campaign optimisation: lever settings that maximise a KPI under a budget, with the Optuna sweeper.

Core objects:
    * :class:`OptimizeSpec` and :func:`parse_spec` - the ``optimize:`` block of an experiment
      file (KPI, direction, common seeds, budget split, spend constraint, confirmation seeds).
    * :func:`apply_budget` - a total budget split across levers by weights.
    * :func:`objective` - a trial's value: the KPI's mean over the common seeds, penalised
      when the mean spend passes ``max_spend``.
    * :func:`run_trial` - one Optuna trial: the candidate on every common seed (each seed an
      ordinary run folder with ``status.json``, so a re-run resumes), ``trial.json``, the value.
      Run folders are verified before they are reused and locked while they are written, so
      trials running at once share a baseline run without running it twice.
    * :func:`finish` - all trials as ``trials.parquet``, the best feasible one re-evaluated on
      fresh seeds for a confidence interval (``best.json``), and ``optimize.png``.

Common random numbers: every candidate is evaluated on the same seeds, so trials differ
only where their settings do. Incremental KPIs (``incremental_visits``,
``incremental_purchases``, ``incremental_revenue``) are the paired difference with the
same config without any campaign (every lever disabled) on the same seed.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import CampaignConfig, SimConfig, from_dict, to_dict
from sim.outputs import run_folder
from sim.outputs.files import atomic_write, save_png
from sim.studies.compare import without_levers
from sim.studies.research.spec import require, require_block
from sim.studies.sweeps import mark_done, mark_failed, mark_interrupted, parse_value, run_status

__all__ = ["INCREMENTAL", "OptimizeSpec", "apply_budget", "evaluate", "finish", "objective",
           "parse_spec", "run_trial"]

#: Incremental KPIs: the candidate minus the no-campaign run on the same seed.
INCREMENTAL = {"incremental_visits": "visits", "incremental_purchases": "purchases",
               "incremental_revenue": "revenue", "incremental_brand_profit": "brand_contribution"}
BUDGET_LEVERS = tuple(name for name, sub in CampaignConfig().__dict__.items() if hasattr(sub, "budget"))
KEYS = {"kpi", "direction", "seeds", "budget", "max_spend", "penalty", "confirm_seeds"}


@dataclass(frozen=True)
class OptimizeSpec:
    """An optimisation study.

    Attributes:
        kpi: summary KPI (docs/OUTPUTS.md) or an incremental KPI (:data:`INCREMENTAL`).
        direction: ``maximize`` or ``minimize``.
        seeds: the common seeds every trial runs on.
        total_budget: the total split across ``weights`` (None: lever budgets as configured).
        weights: ``{lever: weight}``; lever budget = total x weight / sum of weights.
        max_spend: most mean campaign spend of a feasible trial (None: no constraint).
        penalty: KPI units taken off (maximize) or added (minimize) per 100% overspend.
        confirm_seeds: fresh seeds on which the best trial is re-evaluated.
    """

    kpi: str
    direction: str = "maximize"
    seeds: tuple[int, ...] = (0, 1, 2)
    total_budget: float | None = None
    weights: dict[str, float] = field(default_factory=dict)
    max_spend: float | None = None
    penalty: float = 100.0
    confirm_seeds: int = 10


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def parse_spec(block: Any) -> OptimizeSpec:
    """Check the ``optimize:`` block.

    Raises:
        ConfigError: naming the first bad key, its value and what is allowed.
    """
    require_block(block, "optimize", KEYS, "kpi, seeds and budget")
    kpi = block.get("kpi")
    require(isinstance(kpi, str) and kpi, "optimize.kpi", kpi,
            f"a summary KPI (docs/OUTPUTS.md, e.g. brand_contribution) or one of {sorted(INCREMENTAL)}")
    direction = block.get("direction", "maximize")
    require(direction in ("maximize", "minimize"), "optimize.direction", direction, "maximize or minimize")
    seeds = block.get("seeds", [0, 1, 2])
    require(isinstance(seeds, list) and seeds and all(isinstance(s, int) and s >= 0 for s in seeds)
            and len(set(seeds)) == len(seeds), "optimize.seeds", seeds, "a list of distinct integers >= 0")
    budget = block.get("budget") or {}
    require(isinstance(budget, dict) and set(budget) <= {"total", "weights"}, "optimize.budget", budget,
            "a mapping with total and weights {lever: weight}")
    total = budget.get("total")
    require(total is None or (_number(total) and total > 0), "optimize.budget.total", total, "a number > 0")
    weights = budget.get("weights") or {}
    require(isinstance(weights, dict), "optimize.budget.weights", weights, "a mapping {lever: weight}")
    for lever, w in weights.items():
        require(lever in BUDGET_LEVERS, f"optimize.budget.weights.{lever}", w,
                f"a lever with a budget: one of {list(BUDGET_LEVERS)}")
        require(_number(w) and w >= 0, f"optimize.budget.weights.{lever}", w, "a number >= 0")
    require((total is None) == (not weights), "optimize.budget", budget,
            "both total and weights (a split), or neither")
    max_spend = block.get("max_spend")
    require(max_spend is None or (_number(max_spend) and max_spend > 0), "optimize.max_spend", max_spend,
            "a number > 0, or null for no constraint")
    penalty = block.get("penalty", 100.0)
    require(_number(penalty) and penalty >= 0, "optimize.penalty", penalty, "a number >= 0")
    confirm = block.get("confirm_seeds", 10)
    require(isinstance(confirm, int) and confirm >= 2, "optimize.confirm_seeds", confirm, "an integer >= 2")
    return OptimizeSpec(kpi=kpi, direction=direction, seeds=tuple(seeds),
                        total_budget=None if total is None else float(total),
                        weights={k: float(v) for k, v in weights.items()},
                        max_spend=None if max_spend is None else float(max_spend), penalty=float(penalty),
                        confirm_seeds=confirm)


def apply_budget(cfg: SimConfig, spec: OptimizeSpec) -> SimConfig:
    """``cfg`` with the total budget split across the levers by weight (unchanged without a split)."""
    if spec.total_budget is None:
        return cfg
    data = to_dict(cfg)
    total_w = sum(spec.weights.values())
    for lever, w in spec.weights.items():
        share = w / total_w if total_w > 0 else 1.0 / len(spec.weights)
        data["campaign"][lever]["budget"] = spec.total_budget * share
    return from_dict(data)


def evaluate(cfg: SimConfig, folder: Path) -> dict[str, Any]:
    """Summary of ``cfg`` run in ``folder``; read back if the folder already holds a run that verifies ok.

    The folder is locked while it is looked at and written: a process evaluating the same
    folder (trials sharing a baseline) waits, then reads the run back. A damaged, incomplete,
    failed or interrupted run in it is replaced.
    """
    from sim.engine.runner import run

    folder = Path(folder)
    with run_folder.locked(folder):
        if run_status(folder)["status"] != "ok":
            start = time.perf_counter()
            res = run(cfg)
            res.save(folder, figures=False, overwrite=True, seconds=time.perf_counter() - start)
        return json.loads((folder / "summary.json").read_text())


def _with_baseline(spec: OptimizeSpec, cfg: SimConfig, seed: int, out: Path, base_dir: Path
                   ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The candidate's summary on ``seed`` (in ``out``), and its baseline's when the KPI is incremental.

    The baseline is the same config with every lever off (:func:`sim.studies.compare.without_levers`),
    run in ``base_dir/baseline``.
    """
    summary = evaluate(replace(cfg, seed=int(seed)), out / f"seed={seed}")
    if spec.kpi not in INCREMENTAL:
        return summary, None
    base = replace(without_levers(cfg), seed=int(seed))
    return summary, evaluate(base, base_dir / "baseline" / f"seed={seed}")


def _kpi(spec: OptimizeSpec, summary: dict, base: dict | None) -> float:
    if spec.kpi in INCREMENTAL:
        key = INCREMENTAL[spec.kpi]
        return float(summary[key]) - float(base[key])
    if spec.kpi not in summary:
        known = sorted(k for k, v in summary.items() if _number(v))
        raise ValueError(f"optimize.kpi={spec.kpi!r} is not a summary KPI; known: {known}")
    value = summary[spec.kpi]
    return float("nan") if value is None else float(value)


def objective(spec: OptimizeSpec, values: list[float], spends: list[float]) -> tuple[float, float, bool]:
    """``(mean KPI, value returned to Optuna, feasible)``.

    Infeasible (mean spend above ``max_spend``): the mean is made worse by
    ``penalty x (mean spend / max_spend - 1)``, so the sampler learns where the edge is.
    """
    mean = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    spend = float(np.mean(spends))
    feasible = spec.max_spend is None or spend <= spec.max_spend
    value = mean
    if not feasible:
        cut = spec.penalty * (spend / spec.max_spend - 1.0)
        value = mean - cut if spec.direction == "maximize" else mean + cut
    if not np.isfinite(value):  # a KPI undefined for this candidate (e.g. ROI without spend): worst
        value = -1e12 if spec.direction == "maximize" else 1e12
    return mean, value, feasible


def run_trial(spec: OptimizeSpec, cfg: SimConfig, out: Path, sweep_dir: Path, number: int,
              overrides: list[str]) -> float:
    """Evaluate one candidate on the common seeds and return the value for Optuna.

    Each seed runs in ``out/seed=<s>/`` and, for incremental KPIs, the no-campaign run in
    ``sweep_dir/baseline/seed=<s>/`` (shared by all trials); finished runs are read back.
    Writes the candidate's ``config.yaml`` (budgets applied), ``trial.json`` and then
    ``status.json`` listing those two with their checksums; a finished trial (verified) returns
    its recorded value, any other starts afresh (its seed runs that verify ok are reused).
    """
    with run_folder.locked(out):
        status = run_status(out)
        if status["status"] == "ok" and "trial.json" in status.get("files", {}):
            return float(json.loads((out / "trial.json").read_text())["value"])
        run_folder.begin(out)  # a stale trial record is gone; its seed runs are kept and verified
        try:
            value = _run_trial(spec, cfg, out, sweep_dir, number, overrides)
        except KeyboardInterrupt as err:
            with contextlib.suppress(OSError):
                mark_interrupted(out, err)
            raise
        except Exception as err:
            with contextlib.suppress(OSError):
                mark_failed(out, err)
            raise
        mark_done(out, files=["config.yaml", "trial.json"])
        return value


def _run_trial(spec: OptimizeSpec, cfg: SimConfig, out: Path, sweep_dir: Path, number: int,
               overrides: list[str]) -> float:
    import yaml

    cfg = apply_budget(cfg, spec)
    cfg_text = yaml.safe_dump(to_dict(cfg), sort_keys=False)
    atomic_write(out / "config.yaml", lambda p: Path(p).write_text(cfg_text))
    values, spends = [], []
    for seed in spec.seeds:
        summary, base = _with_baseline(spec, cfg, seed, out, sweep_dir)
        values.append(_kpi(spec, summary, base))
        spends.append(float(summary["campaign_spend"]))
    mean, value, feasible = objective(spec, values, spends)
    record = {"number": number, "overrides": overrides, "kpi": spec.kpi, "seeds": list(spec.seeds),
              "per_seed": values, "mean": mean, "spend": float(np.mean(spends)), "feasible": feasible,
              "value": value, "budgets": {lv: getattr(cfg.campaign, lv).budget for lv in spec.weights}}
    text = json.dumps(record, indent=2) + "\n"
    atomic_write(out / "trial.json", lambda p: Path(p).write_text(text))
    return value


def _trials(sweep_dir: Path) -> pd.DataFrame:
    """One row per trial folder: the verified ones from ``trial.json``, the others with their status."""
    rows = []
    folders = sorted({p.parent for name in ("trial.json", "status.json")
                      for p in sweep_dir.glob(f"*/{name}")})
    for folder in folders:
        status = run_status(folder)
        if status["status"] == "ok" and "trial.json" not in status.get("files", {}):
            continue  # an ordinary run folder, not a trial
        if status["status"] != "ok":
            rows.append({"trial": np.nan, "run": folder.name, "status": status["status"],
                         "error": status.get("error", ""), "mean": np.nan, "value": np.nan, "spend": np.nan,
                         "feasible": False})
            continue
        rec = json.loads((folder / "trial.json").read_text())
        row = {"trial": rec["number"], "run": folder.name, "status": "ok", "error": "", "mean": rec["mean"],
               "value": rec["value"], "spend": rec["spend"], "feasible": rec["feasible"]}
        for ov in rec["overrides"]:
            key, _, val = ov.lstrip("+~").partition("=")
            if key not in ("experiment", "launcher"):
                row[f"param.{key}"] = parse_value(val)
        row.update({f"budget.{k}": v for k, v in rec["budgets"].items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not len(frame):
        return frame
    if frame["trial"].notna().all():
        frame["trial"] = frame["trial"].astype(int)
    return frame.sort_values("trial", ignore_index=True)


def _ci95(values: np.ndarray) -> tuple[float, float, float]:
    from scipy import stats

    mean = float(np.mean(values))
    half = float(stats.t.ppf(0.975, values.size - 1) * np.std(values, ddof=1) / np.sqrt(values.size))
    return mean, mean - half, mean + half


def confirm(spec: OptimizeSpec, best_run: Path, out: Path, n_jobs: int = 2) -> dict[str, Any]:
    """Re-evaluate the best trial on ``confirm_seeds`` fresh seeds: its KPI with a 95% t-interval.

    Runs ``n_jobs`` processes (joblib); ``n_jobs=1`` runs in this process.
    """
    import yaml
    from joblib import Parallel, delayed

    cfg = from_dict(yaml.safe_load((best_run / "config.yaml").read_text()))
    fresh = [max(spec.seeds) + 1000 + i for i in range(spec.confirm_seeds)]

    def one(seed: int) -> tuple[float, float]:
        summary, base = _with_baseline(spec, cfg, seed, out, out)
        return _kpi(spec, summary, base), float(summary["campaign_spend"])

    pairs = ([one(s) for s in fresh] if n_jobs == 1
             else Parallel(n_jobs=n_jobs)(delayed(one)(s) for s in fresh))
    values = np.array([p[0] for p in pairs])
    mean, lo, hi = _ci95(values)
    return {"seeds": fresh, "per_seed": values.tolist(), "mean": mean, "ci_low": lo, "ci_high": hi,
            "spend": float(np.mean([p[1] for p in pairs]))}


def plot(spec: OptimizeSpec, trials: pd.DataFrame, best: dict, path: Path) -> None:
    """Trial values in order with the running best, and the value against each searched setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = [c for c in trials.columns if c.startswith("param.")
              and pd.api.types.is_numeric_dtype(trials[c]) and trials[c].nunique() > 1]
    ncols = min(3, 1 + len(params))
    nrows = -(-(1 + len(params)) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 3.5 * nrows), squeeze=False)
    for extra in axes.ravel()[1 + len(params):]:
        extra.set_visible(False)
    ax = axes[0, 0]
    ok = trials["feasible"].to_numpy(bool)
    ax.scatter(trials["trial"][ok], trials["mean"][ok], s=14, label="feasible trial")
    ax.scatter(trials["trial"][~ok], trials["mean"][~ok], s=14, marker="x", color="tab:red",
               label="over max_spend")
    run_best = (np.maximum if spec.direction == "maximize" else np.minimum).accumulate(
        np.where(ok, trials["mean"], -np.inf if spec.direction == "maximize" else np.inf))
    ax.step(trials["trial"], run_best, where="post", color="k", lw=1, label="best so far")
    c = best["confirmation"]
    ax.errorbar([trials["trial"].max() + 1], [c["mean"]], yerr=[[c["mean"] - c["ci_low"]],
                [c["ci_high"] - c["mean"]]], fmt="D", color="tab:green", capsize=4,
                label=f"best on {len(c['seeds'])} fresh seeds, 95% CI")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"{spec.kpi} (mean over {len(spec.seeds)} common seeds)")
    ax.legend(fontsize=7)
    for ax, p in zip(axes.ravel()[1:], params, strict=False):
        ax.scatter(trials[p][ok], trials["mean"][ok], s=14)
        ax.scatter(trials[p][~ok], trials["mean"][~ok], s=14, marker="x", color="tab:red")
        ax.axvline(best["trial"][p], color="tab:green", lw=1)
        ax.set_xlabel(p.split(".", 1)[1].replace("campaign.", ""), fontsize=8)
        ax.set_ylabel(spec.kpi, fontsize=8)
    fig.suptitle(f"Optimisation of {spec.kpi} ({spec.direction}): {len(trials)} trials", fontsize=10)
    fig.tight_layout()
    save_png(fig, path)


#: Processes used to confirm the best trial (:func:`confirm`).
CONFIRM_JOBS = 2


def finish(sweep_dir: str | Path, spec: OptimizeSpec, n_jobs: int | None = None) -> pd.DataFrame:
    """Write the study's report.

    Writes ``trials.parquet`` and, when some trial is feasible, ``best.json`` (the best
    trial confirmed on fresh seeds) and ``optimize.png``.

    Returns:
        The trials table (one row per finished trial).
    """
    sweep_dir = Path(sweep_dir)
    trials = _trials(sweep_dir)
    atomic_write(sweep_dir / "trials.parquet", lambda p: trials.to_parquet(p, index=False))
    done = trials[trials["status"] == "ok"].reset_index(drop=True) if len(trials) else trials
    feasible = done[done["feasible"].astype(bool)] if len(done) else done
    if feasible.empty:
        return trials
    pick = feasible["mean"].idxmax() if spec.direction == "maximize" else feasible["mean"].idxmin()
    row = done.loc[pick].drop(["error"])
    best = {"spec": asdict(spec), "trial": {k: (v.item() if isinstance(v, np.generic) else v)
                                            for k, v in row.items()}}
    best["confirmation"] = confirm(spec, sweep_dir / row["run"], sweep_dir / "best",
                                   n_jobs=n_jobs or CONFIRM_JOBS)
    text = json.dumps(best, indent=2, default=str) + "\n"
    atomic_write(sweep_dir / "best.json", lambda p: Path(p).write_text(text))
    plot(spec, done, best, sweep_dir / "optimize.png")
    return trials
