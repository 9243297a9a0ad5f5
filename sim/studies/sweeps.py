"""Sweeps on disk: run folders, completion markers, the aggregate table and its figure.

Core objects:
    * :func:`mark_done`, :func:`mark_failed`, :func:`mark_interrupted`, :func:`run_status` -
      the ``status.json`` of each run folder (:mod:`sim.outputs.run_folder`): written last, atomically,
      listing the run's files with their checksums; :func:`run_status` verifies them, so a
      sweep re-run skips only runs that are really ``ok``.
    * :data:`INTERRUPT_MARKER` - the file Ctrl-C leaves in a running sweep's folder, so
      that runs not yet started, in any process or on any node, do not start.
    * :func:`read_jobs` - the runs a sweep folder expects (``jobs.json``).
    * :func:`collect` - one row per expected run: overrides, seed, status, error
      and summary KPIs (never silently dropping a failed, damaged or missing run).
    * :func:`write_sweep` - ``sweep.parquet`` and ``sweep.png`` (KPIs against the
      swept parameter, mean and 95% confidence band over seeds).

No Hydra here: the command line (:mod:`sim.cli`) expands the sweep and calls these; each run's
folder is named by :func:`sim.config.naming.run_key`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.outputs import run_folder
from sim.outputs.files import atomic_write, save_png
from sim.outputs.run_folder import STATUS_FILE as STATUS_FILE  # re-exported: the name of the status record

__all__ = ["DEFAULT_KPIS", "STATUSES", "collect", "mark_done", "mark_failed", "mark_interrupted",
           "parse_value", "plot_sweep", "read_jobs", "run_status", "write_sweep"]

JOBS_FILE = "jobs.json"
#: Left in the sweep folder by Ctrl-C while the sweep runs: runs not yet started then do not start.
INTERRUPT_MARKER = ".interrupted"
DEFAULT_KPIS = ("brand_contribution", "brand_visits", "visits", "redemption_rate", "mean_wait_min",
                "final_mean_rating")
#: Every status a run can be reported with (docs/OUTPUTS.md 7.2), ``ok`` first.
STATUSES = ("ok", "failed", "interrupted", "damaged", "incomplete", "running", "missing")
BASE_COLUMNS = ("run", "overrides", "status", "error")


def mark_done(folder: str | Path, seconds: float | None = None, files: list[str] | None = None) -> None:
    """Write the completion record (last file of a finished run) with the checksums of its files.

    Args:
        folder: the run folder.
        seconds: wall-clock seconds of the run, recorded when given.
        files: the run's files relative to the folder (``None``: every file in it, see
            :func:`sim.outputs.run_folder.finish`).
    """
    run_folder.finish(folder, files, seconds=seconds)


def mark_failed(folder: str | Path, err: BaseException) -> None:
    """Record a failed run with its error and traceback (and the errno of a fault of the machine)."""
    run_folder.fail(folder, err)


def mark_interrupted(folder: str | Path, err: BaseException | None = None) -> None:
    """Record a run stopped by Ctrl-C: it is run again by a resume, and never counted as failed."""
    run_folder.interrupt(folder, err)


def run_status(folder: str | Path, verify: bool = True) -> dict[str, Any]:
    """The run's status record; ``{"status": "missing"}`` if it never started.

    Args:
        folder: the run folder.
        verify: check every file ``status.json`` lists against its size and checksum
            (:func:`sim.outputs.run_folder.verify`: ``ok``, ``damaged``, ``incomplete``, ``running``,
            ``failed``, ``interrupted`` or ``missing``); ``False`` returns the record as written
            (cheap: for progress bars).
    """
    return run_folder.verify(folder) if verify else run_folder.read_status(folder)


def read_jobs(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """The runs listed in the sweep folder's ``jobs.json``.

    Raises:
        FileNotFoundError: the folder has no ``jobs.json``.
        ValueError: ``jobs.json`` is unreadable (the message names it).
    """
    path = Path(sweep_dir) / JOBS_FILE
    try:
        jobs = json.loads(path.read_text())["jobs"]
        if not isinstance(jobs, list) or not all(isinstance(j, dict) and "key" in j for j in jobs):
            raise TypeError("no list of jobs")
    except FileNotFoundError:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is damaged ({type(err).__name__}: {err})") from None
    return jobs


def parse_value(text: str) -> Any:
    """An override's value as int, else float, else the text itself (``"0.2"`` -> 0.2)."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def collect(sweep_dir: str | Path) -> pd.DataFrame:
    """One row per run listed in ``jobs.json``: overrides, seed, status, error, KPIs.

    Every run is verified (:func:`run_status`); KPIs are read only from runs that are ``ok``.
    """
    sweep_dir = Path(sweep_dir)
    rows = []
    for job in read_jobs(sweep_dir):
        folder = sweep_dir / job["key"]
        status = run_status(folder)
        row: dict[str, Any] = {"run": job["key"], "overrides": " ".join(job["overrides"]),
                               "status": status["status"], "error": status.get("error", "")}
        for ov in job["overrides"]:
            key, _, value = ov.lstrip("+~").partition("=")
            row[f"param.{key}"] = parse_value(value)
        if status["status"] == "ok":
            summary = _summary(folder)
            if summary is None:
                row.update(status="damaged", error="summary.json is unreadable")
            else:
                row.update({k: (np.nan if v is None else v) for k, v in summary.items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in BASE_COLUMNS:
        if col not in frame:
            frame[col] = pd.Series(dtype=object)
    if "param.seed" in frame:  # runs without a summary: seed from the overrides
        frame["seed"] = frame["seed"].fillna(frame["param.seed"]) if "seed" in frame else frame["param.seed"]
    return frame


def _summary(folder: Path) -> dict[str, Any] | None:
    try:
        summary = json.loads((folder / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


def _ci95(values: np.ndarray) -> tuple[float, float, float]:
    from scipy import stats

    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, mean, mean
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return mean, mean - half, mean + half


#: Fewer seeds than this give no interval worth drawing (a t-interval from 2 seeds is 12.7 s.d. wide).
MIN_SEEDS_FOR_BANDS = 3


def _is_money(kpi: str) -> bool:
    """A KPI in the run's currency (contributions, sales, spend, costs, fees)."""
    words = ("contribution", "revenue", "spend", "sales", "cost", "discounts", "commission", "fees", "cac")
    return any(w in kpi for w in words)


def _paired(sub: pd.DataFrame, x_param: str, xs: list) -> pd.DataFrame | None:
    """``seed x value`` table of a group when every value ran on the same seeds (>= 2), else None."""
    if "seed" not in sub or len(xs) < 2:
        return None
    seeds = [frozenset(sub.loc[sub[x_param] == x, "seed"]) for x in xs]
    if len(seeds[0]) < 2 or any(s != seeds[0] for s in seeds):
        return None
    return sub


def plot_sweep(frame: pd.DataFrame, path: str | Path, kpis: tuple[str, ...] = DEFAULT_KPIS) -> str | None:
    """KPIs against the swept parameter, with 95% intervals over seeds.

    When every value of the swept parameter ran on the same seeds (common random numbers),
    each panel shows the **paired difference** from the first value (mean over seeds of
    ``KPI(x, seed) - KPI(x_0, seed)`` with its paired t-interval): the comparison the seeds
    were shared for. Otherwise it shows the mean with a t-interval. With fewer than
    :data:`MIN_SEEDS_FOR_BANDS` seeds no interval is drawn and the figure says why.

    Returns:
        The warning printed on the figure, or None.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = frame[frame["status"] == "ok"]
    params = [c for c in frame.columns if c.startswith("param.") and c != "param.seed"
              and frame[c].nunique() > 1]
    kpis = tuple(k for k in kpis if k in ok)
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    x_param = max(params, key=lambda c: frame[c].nunique()) if params else None
    group_params = [p for p in params if p != x_param]
    n_seeds = ok["seed"].nunique() if "seed" in ok else 0
    bands = n_seeds >= MIN_SEEDS_FOR_BANDS
    known = ok["currency"].dropna() if "currency" in ok else pd.Series(dtype=object)
    currency = str(known.iloc[0]) if len(known) else ""
    paired_any = False
    for ax, kpi in zip(axes.ravel(), kpis, strict=False):
        if ok.empty:
            continue
        groups = ok.groupby(group_params) if group_params else [((), ok)]
        paired_here = False
        for label, sub in groups:
            if x_param is None:
                xs, stats_ = [0], [_ci95(sub[kpi].to_numpy(dtype=float))]
            else:
                xs = sorted(sub[x_param].unique(), key=lambda v: (isinstance(v, str), v))
                pairs = _paired(sub, x_param, xs)
                if pairs is not None:
                    table = (pairs.groupby(["seed", x_param])[kpi].mean().unstack(x_param)
                             .reindex(columns=xs))  # a value whose KPI is NaN in every seed stays
                    stats_ = [_ci95((table[x] - table[xs[0]]).to_numpy(dtype=float)) for x in xs]
                    paired_here = paired_any = True
                else:
                    stats_ = [_ci95(sub.loc[sub[x_param] == x, kpi].to_numpy(dtype=float)) for x in xs]
            mean, lo, hi = (np.array(s) for s in zip(*stats_, strict=True))
            pos = np.arange(len(xs)) if any(isinstance(x, str) for x in xs) else np.array(xs, float)
            name = ", ".join(f"{p[6:]}={v}" for p, v in zip(group_params, np.atleast_1d(label),
                                                           strict=False)) or None
            ax.plot(pos, mean, marker="o", label=name)
            if bands:
                ax.fill_between(pos, lo, hi, alpha=0.25)
            if any(isinstance(x, str) for x in xs):
                ax.set_xticks(pos, [str(x) for x in xs])
        unit = f" ({currency})" if currency and _is_money(kpi) else ""
        if paired_here:
            ax.axhline(0, color="0.4", lw=0.6)
            ax.set_title(f"{kpi}{unit}: change from\n{x_param[6:].rsplit('.', 1)[-1]}={xs[0]}", fontsize=9)
        else:
            ax.set_title(f"{kpi}{unit}", fontsize=10)
        ax.set_xlabel(x_param[6:] if x_param else "")
        if group_params:
            ax.legend(fontsize=7)
    counts = frame["status"].value_counts()
    others = ", ".join(f"{int(counts[s])} {s}" for s in STATUSES[1:] if counts.get(s, 0))
    what = ("paired differences over shared seeds, 95% paired interval" if paired_any
            else "mean and 95% confidence band")
    warning = None if bands or ok.empty else (
        f"only {n_seeds} seed(s): no interval drawn; run {MIN_SEEDS_FOR_BANDS} or more seeds for one")
    fig.suptitle(f"Sweep: {what} over {n_seeds} seed(s); {len(ok)} runs ok"
                 + (f", {others}" if others else "") + (f"\nWARNING: {warning}" if warning else ""),
                 fontsize=10)
    fig.tight_layout()
    save_png(fig, path)
    return warning


def write_sweep(sweep_dir: str | Path, figure: bool = True) -> pd.DataFrame:
    """Aggregate a sweep folder into ``sweep.parquet`` and (unless ``figure=False``) ``sweep.png``.

    Returns:
        The table (one row per run).
    """
    sweep_dir = Path(sweep_dir)
    frame = collect(sweep_dir)
    atomic_write(sweep_dir / "sweep.parquet", lambda p: frame.to_parquet(p, index=False))
    if figure:
        warning = plot_sweep(frame, sweep_dir / "sweep.png")
        if warning:
            print(f"sweep: {warning}", file=sys.stderr)
    return frame
