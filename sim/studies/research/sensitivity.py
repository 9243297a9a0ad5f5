"""Global sensitivity analysis (Sobol, Morris) whose sample points are ordinary sweep runs.

Core objects:
    * :class:`SensitivitySpec` and :func:`parse_spec` - the ``sensitivity:`` block of an
      experiment file, checked before anything runs.
    * :func:`design` - the SALib sample (one row per model evaluation) and the distinct
      points it visits (Morris trajectories revisit grid points: each is run once).
    * :func:`point_jobs` - the override lists of the runs: every point on the same
      ``replications`` seeds (common random numbers).
    * :func:`analyze` - indices with 95% confidence intervals from a design and its outputs
      (tidy: kpi, parameter, index, value, ci_low, ci_high); model-free, so it is tested
      on analytic functions.
    * :func:`finish` - reads the finished runs of a sweep folder and writes
      ``sensitivity.parquet``, ``sensitivity.json`` and ``sensitivity.png``, atomically.

Outputs of a point are the mean over its seeds. Sobol uses Saltelli's scheme
(``n (D + 2)`` points, first-order and total indices, bootstrap intervals);
Morris uses ``trajectories (D + 1)`` points on a ``levels`` grid (mu*, its
bootstrap interval, sigma).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.outputs.files import atomic_write, save_png
from sim.studies.research.spec import format_value, parse_ranges, require, require_block

__all__ = ["METHODS", "SensitivitySpec", "analyze", "design", "finish", "parse_spec", "plot", "point_jobs",
           "sample_warning"]

METHODS = ("sobol", "morris")
DESIGN_FILE = "design.parquet"
#: Smallest Sobol base sample per parameter below which the indices are noise: Saltelli's
#: estimators need hundreds of base samples for stable first-order indices (Saltelli et al.
#: 2010, Comput. Phys. Commun. 181, 259-270); 32 per parameter is a floor, not a target.
SOBOL_N_PER_PARAMETER = 32
#: Fewest Morris trajectories for a ranking worth reading (Campolongo, Cariboni & Saltelli
#: 2007, Environ. Model. Softw. 22, 1509-1518, use 10 to 20).
MORRIS_MIN_TRAJECTORIES = 10


@dataclass(frozen=True)
class SensitivitySpec:
    """A sensitivity study.

    Attributes:
        method: ``sobol`` or ``morris``.
        parameters: ``{config key: (low, high, int or float)}``.
        kpis: summary KPIs analysed (docs/OUTPUTS.md).
        n: Sobol base sample size (a power of 2).
        trajectories: Morris trajectories.
        levels: Morris grid levels (even).
        replications: seeds per point (the same seeds for every point).
        salib_seed: seed of the SALib sample and of its bootstrap.
    """

    method: str
    parameters: dict[str, tuple[float, float, type]]
    kpis: tuple[str, ...]
    n: int = 16
    trajectories: int = 10
    levels: int = 4
    replications: int = 2
    salib_seed: int = 0

    @property
    def names(self) -> list[str]:
        """Parameter names in file order."""
        return list(self.parameters)

    def problem(self) -> dict[str, Any]:
        """The SALib problem definition."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [[lo, hi] for lo, hi, _ in self.parameters.values()]}

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (types as names)."""
        data = asdict(self)
        data["parameters"] = {k: [lo, hi, tp.__name__] for k, (lo, hi, tp) in self.parameters.items()}
        return data


KEYS = {"method", "parameters", "kpis", "n", "trajectories", "levels", "replications", "salib_seed"}


def _int(block: dict, name: str, default: int, low: int) -> int:
    value = block.get(name, default)
    require(isinstance(value, int) and not isinstance(value, bool) and value >= low,
            f"sensitivity.{name}", value, f"an integer >= {low}")
    return int(value)


def parse_spec(block: Any) -> SensitivitySpec:
    """Check the ``sensitivity:`` block of an experiment file.

    Raises:
        ConfigError: naming the first bad key, its value and what is allowed.
    """
    require_block(block, "sensitivity", KEYS, "method, parameters and kpis")
    method = block.get("method")
    require(method in METHODS, "sensitivity.method", method, f"one of {list(METHODS)}")
    params = parse_ranges(block.get("parameters"), "sensitivity.parameters")
    kpis = block.get("kpis", ["visits"])
    kpis = [kpis] if isinstance(kpis, str) else kpis
    require(isinstance(kpis, list) and kpis and all(isinstance(k, str) for k in kpis), "sensitivity.kpis",
            kpis, "a KPI name or a list of them (summary keys, docs/OUTPUTS.md)")
    n = _int(block, "n", 16, 2)
    require(n & (n - 1) == 0, "sensitivity.n", n, "a power of 2 (Sobol sequences balance only then)")
    levels = _int(block, "levels", 4, 2)
    require(levels % 2 == 0, "sensitivity.levels", levels, "an even integer >= 2")
    require(method != "sobol" or len(params) >= 2, "sensitivity.parameters", list(params),
            "at least two parameters for a Sobol analysis")
    return SensitivitySpec(method=method, parameters=params, kpis=tuple(kpis), n=n,
                           trajectories=_int(block, "trajectories", 10, 2), levels=levels,
                           replications=_int(block, "replications", 2, 1),
                           salib_seed=_int(block, "salib_seed", 0, 0))


def sample_warning(spec: SensitivitySpec) -> str | None:
    """Why the sample is too small for its number of parameters, or None when it is not.

    Sobol: a base sample ``n`` below ``SOBOL_N_PER_PARAMETER x D``; Morris: fewer than
    ``MORRIS_MIN_TRAJECTORIES`` trajectories.
    """
    d = len(spec.parameters)
    if spec.method == "sobol" and spec.n < SOBOL_N_PER_PARAMETER * d:
        need = 1 << max(0, (SOBOL_N_PER_PARAMETER * d - 1).bit_length())
        return (f"sensitivity.n={spec.n} is too small for {d} parameters: Sobol indices from so few base "
                f"samples can fall outside [0, 1] and their bootstrap intervals are unreliable; use "
                f"sensitivity.n={need} or more ({spec.n * (d + 2)} evaluations now, {need * (d + 2)} then)")
    if spec.method == "morris" and spec.trajectories < MORRIS_MIN_TRAJECTORIES:
        return (f"sensitivity.trajectories={spec.trajectories} is too few: a Morris ranking needs "
                f"{MORRIS_MIN_TRAJECTORIES} or more trajectories")
    return None


def sample(spec: SensitivitySpec) -> np.ndarray:
    """The SALib sample: one row per model evaluation, one column per parameter."""
    if spec.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(spec.problem(), spec.n, calc_second_order=False, seed=spec.salib_seed)
    from SALib.sample import morris

    return morris.sample(spec.problem(), spec.trajectories, num_levels=spec.levels, seed=spec.salib_seed)


def design(spec: SensitivitySpec) -> pd.DataFrame:
    """The sample with its override values and distinct-point index.

    Returns:
        One row per evaluation: the sampled value of each parameter (columns named
        after it), ``point`` (index of the distinct point, in order of first use) and
        ``overrides`` (the point's override strings, space-separated).
    """
    x = sample(spec)
    frame = pd.DataFrame(x, columns=spec.names)
    tps = [tp for _, _, tp in spec.parameters.values()]
    frame["overrides"] = [" ".join(f"{k}={format_value(v, tp)}" for k, v, tp in zip(spec.names, row, tps,
                                                                                    strict=True))
                          for row in x]
    frame["point"] = pd.factorize(frame["overrides"])[0]
    return frame


def point_jobs(spec: SensitivitySpec, frame: pd.DataFrame, fixed: list[str], base_seed: int = 0
               ) -> list[tuple[int, list[str]]]:
    """``(point, overrides)`` of every run: each distinct point on seeds ``base_seed + r``.

    Args:
        spec: the study.
        frame: :func:`design`'s table.
        fixed: the command's other overrides (added to every run; no ``seed=``).
        base_seed: first seed.
    """
    firsts = frame.drop_duplicates("point").sort_values("point")
    return [(int(p), [*ov.split(" "), f"seed={base_seed + r}", *fixed])
            for p, ov in zip(firsts["point"], firsts["overrides"], strict=True)
            for r in range(spec.replications)]


def analyze(spec: SensitivitySpec, x: np.ndarray, outputs: dict[str, np.ndarray]) -> pd.DataFrame:
    """Indices with 95% confidence intervals, one row per KPI, parameter and index.

    Args:
        spec: the study (method, names, seed of the bootstrap).
        x: the design (rows of :func:`sample`).
        outputs: ``{kpi: one value per design row}``.

    Returns:
        Columns ``kpi, parameter, index, value, ci_low, ci_high, note``: Sobol ``S1`` and ``ST``;
        Morris ``mu_star`` (with interval), ``sigma`` and ``mu`` (without, NaN bounds).
        ``note`` says when an index cannot be read: a Sobol index outside [0, 1] or an
        interval wider than 1 (a sample too small, :func:`sample_warning`), or the study's
        own sample warning.
    """
    small = sample_warning(spec)
    rows = []
    for kpi, y in outputs.items():
        y = np.asarray(y, dtype=float)
        if spec.method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(spec.problem(), y, calc_second_order=False, conf_level=0.95,
                                seed=spec.salib_seed)
            for i, name in enumerate(spec.names):
                for idx in ("S1", "ST"):
                    v, c = float(res[idx][i]), float(res[f"{idx}_conf"][i])
                    bad = not (-0.05 <= v <= 1.05) or not 2 * c <= 1.0
                    note = ("unreliable: outside [0, 1] or a bootstrap interval wider than 1 (too small "
                            "a sample)") if bad else (f"sample too small: {small}" if small else "")
                    rows.append((kpi, name, idx, v, v - c, v + c, note))
        else:
            from SALib.analyze import morris

            res = morris.analyze(spec.problem(), x, y, num_levels=spec.levels, conf_level=0.95,
                                 seed=spec.salib_seed)
            for i, name in enumerate(spec.names):
                v, c = float(res["mu_star"][i]), float(res["mu_star_conf"][i])
                note = f"sample too small: {small}" if small else ""
                rows.append((kpi, name, "mu_star", v, v - c, v + c, note))
                rows.append((kpi, name, "sigma", float(res["sigma"][i]), np.nan, np.nan, note))
                rows.append((kpi, name, "mu", float(res["mu"][i]), np.nan, np.nan, note))
    return pd.DataFrame(rows, columns=["kpi", "parameter", "index", "value", "ci_low", "ci_high", "note"])


def plot(spec: SensitivitySpec, table: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """One panel per KPI: Sobol S1 and ST bars, or Morris mu* bars, with 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kpis = list(dict.fromkeys(table["kpi"]))
    fig, axes = plt.subplots(1, len(kpis), figsize=(4.2 * len(kpis) + 1.5, 3.8), squeeze=False)
    shown = ("S1", "ST") if spec.method == "sobol" else ("mu_star",)
    width = 0.8 / len(shown)
    for ax, kpi in zip(axes[0], kpis, strict=True):
        sub = table[table["kpi"] == kpi]
        pos = np.arange(len(spec.names))
        for j, idx in enumerate(shown):
            s = sub[sub["index"] == idx].set_index("parameter").loc[spec.names]
            err = np.vstack([s["value"] - s["ci_low"], s["ci_high"] - s["value"]])
            ax.bar(pos + (j - (len(shown) - 1) / 2) * width, s["value"], width, yerr=err, capsize=3,
                   label={"S1": "first order S1", "ST": "total ST", "mu_star": "mu* (mean |effect|)"}[idx])
        ax.set_xticks(pos, [n.split(".")[-1] for n in spec.names], rotation=30, ha="right", fontsize=8)
        ax.set_title(kpi, fontsize=10)
        ax.axhline(0, color="0.4", lw=0.6)
        ax.legend(fontsize=7)
    fig.suptitle(title or f"{spec.method.capitalize()} sensitivity, 95% bootstrap intervals", fontsize=10)
    fig.tight_layout()
    save_png(fig, path)


def _write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, indent=2, default=str) + "\n"
    atomic_write(path, lambda p: Path(p).write_text(text))


def finish(sweep_dir: str | Path, spec: SensitivitySpec, runs: pd.DataFrame) -> pd.DataFrame | None:
    """Analyse a finished sensitivity sweep and write its outputs.

    Args:
        sweep_dir: the sweep folder (holds ``design.parquet`` and ``jobs.json``).
        spec: the study.
        runs: :func:`sim.studies.sweeps.collect`'s table of the sweep (one row per run).

    Returns:
        The indices table, or ``None`` when some point has no finished run yet (then
        ``sensitivity.json`` says which, and nothing else is written).

    Raises:
        ValueError: a KPI of the study is not in the runs' summaries.
    """
    sweep_dir = Path(sweep_dir)
    frame = pd.read_parquet(sweep_dir / DESIGN_FILE)
    jobs = json.loads((sweep_dir / "jobs.json").read_text())["jobs"]
    point_of = {j["key"]: j["point"] for j in jobs}
    ok = runs[runs["status"] == "ok"].copy()
    ok["point"] = ok["run"].map(point_of)
    missing_kpis = [k for k in spec.kpis if k not in ok.columns] if len(ok) else []
    if missing_kpis:
        known = sorted(c for c in ok.columns if c not in ("run", "overrides", "status", "error", "point")
                       and not c.startswith("param."))
        raise ValueError(f"sensitivity.kpis: {missing_kpis} not in the runs' summaries; known: {known}")
    means = ok.groupby("point")[list(spec.kpis)].mean() if len(ok) else pd.DataFrame()
    lacking = sorted(set(frame["point"]) - set(means.index))
    summary = {"method": spec.method, "spec": spec.to_json(), "evaluations": len(frame),
               "points": int(frame["point"].nunique()), "runs": len(runs), "runs_ok": len(ok)}
    if lacking:
        _write_json(sweep_dir / "sensitivity.json", {**summary, "status": "incomplete",
                                                     "points_without_runs": lacking})
        return None
    x = frame[spec.names].to_numpy(dtype=float)
    outputs = {k: means.loc[frame["point"], k].to_numpy(dtype=float) for k in spec.kpis}
    table = analyze(spec, x, outputs)
    warning = sample_warning(spec)
    atomic_write(sweep_dir / "sensitivity.parquet", lambda p: table.to_parquet(p, index=False))
    _write_json(sweep_dir / "sensitivity.json", {**summary, "status": "ok", "warning": warning,
                                                 "indices": table.to_dict(orient="records")})
    caution = ("\nWARNING: sample too small for the number of parameters; indices unreliable"
               if warning else "")
    plot(spec, table, sweep_dir / "sensitivity.png",
         f"{spec.method.capitalize()} sensitivity: {len(frame)} evaluations, {spec.replications} seed(s) "
         f"per point, 95% bootstrap intervals{caution}")
    return table
