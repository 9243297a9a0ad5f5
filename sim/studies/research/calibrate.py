"""Calibration: fit behavioural parameters to target moments in a data file (simulated method of moments).

Core objects:
    * :func:`load_targets` - target moments from a JSON or YAML file: each moment a number or a
      list under its name, with an optional standard error under ``se_<name>``
      (``sim/studies/validation/data/tianchi_o2o.json`` is such a file).
    * :func:`simulated_moments` - the same moments measured on runs (pooled over the common
      seeds, with between-seed standard errors), reusing :mod:`sim.studies.validation.tianchi`.
    * :func:`fit` - the estimator: a Latin hypercube design in the parameter box, every point on
      the same seeds, a quadratic response surface per moment, the inverse-variance weighted
      distance to the targets minimised on the surfaces, and the parameters' standard errors
      by the delta method, ``Cov = (J' W J)^-1``.
    * :func:`model_evaluator` - evaluates design points by running the model (joblib).
    * :func:`plot_fit` - targets against the fitted moments, and the loss over the box.

Moments known by name: ``redemption_15d`` and ``redemptions_within_500m_share`` (Tianchi's
15-day redemption and share of redemptions within 500 m), ``redemption_by_distance_bucket``
(the redemption curve over 500 m buckets 1 .. ``buckets - 1`` relative to bucket 0: its
shape, as the data's note asks) and any summary KPI (e.g. ``conversion_rate``; mean over seeds).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import SimConfig, from_dict, to_dict
from sim.studies.research.spec import parse_ranges, require, require_block
from sim.studies.validation import tianchi

__all__ = ["CURVE", "CalibrationSpec", "fit", "load_targets", "model_evaluator", "plot_fit",
           "simulated_moments", "surface"]

CURVE = "redemption_by_distance_bucket"
Moments = dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (values, standard errors)


@dataclass(frozen=True)
class CalibrationSpec:
    """What to fit.

    Attributes:
        parameters: ``{config key: (low, high, type)}`` searched.
        moments: names of the target moments fitted.
        seeds: the common seeds every design point runs on.
        design_points: size of the Latin hypercube design (at least the surface's terms + 2).
        buckets: distance buckets of the redemption curve used (bucket 0 is the reference).
        design_seed: seed of the design.
    """

    parameters: dict[str, tuple[float, float, type]]
    moments: tuple[str, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    design_points: int = 16
    buckets: int = 6
    design_seed: int = 0

    @property
    def names(self) -> list[str]:
        """Parameter names in order."""
        return list(self.parameters)


#: The keys a calibration block may have.
KEYS = frozenset({"parameters", "moments", "seeds", "design_points", "buckets", "design_seed"})


def parse_spec(block: Any) -> CalibrationSpec:
    """Check a calibration block (``parameters``, ``moments``, ``seeds``, ``design_points``, ...).

    Raises:
        ConfigError: naming the first bad key, its value and what is allowed.
    """
    require_block(block, "calibration", KEYS, "parameters and moments")
    params = parse_ranges(block.get("parameters"), "calibration.parameters")
    moments = block.get("moments")
    require(isinstance(moments, list) and moments and all(isinstance(m, str) for m in moments),
            "calibration.moments", moments, "a list of moment names present in the targets file")
    seeds = block.get("seeds", 3)
    seeds = list(range(seeds)) if isinstance(seeds, int) else seeds
    require(isinstance(seeds, list) and len(seeds) >= 2, "calibration.seeds", seeds,
            "a count >= 2 or a list of at least two seeds (standard errors need two)")
    d = len(params)
    terms = (d + 1) * (d + 2) // 2
    n = block.get("design_points", max(16, terms + 4))
    require(isinstance(n, int) and n >= terms + 2, "calibration.design_points", n,
            f"an integer >= {terms + 2} (a quadratic surface in {d} parameters has {terms} terms)")
    buckets = block.get("buckets", 6)
    require(isinstance(buckets, int) and 2 <= buckets <= 11, "calibration.buckets", buckets,
            "an integer in [2, 11]")
    return CalibrationSpec(parameters=params, moments=tuple(moments), seeds=tuple(int(s) for s in seeds),
                           design_points=n, buckets=buckets, design_seed=int(block.get("design_seed", 0)))


def load_targets(path: str | Path, names: tuple[str, ...], buckets: int = 6) -> Moments:
    """Target moments from a JSON or YAML file.

    The redemption curve is turned into its shape (buckets ``1 .. buckets - 1`` over bucket 0).
    Without ``se_<name>`` the standard error is 0 (the simulation's own error then weights it).

    Raises:
        KeyError: a moment is not in the file (naming the moments the file has).
    """
    import yaml

    text = Path(path).read_text()
    data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    out: Moments = {}
    for name in names:
        if name not in data:
            raise KeyError(f"moment {name!r} is not in {path}; it has "
                           f"{sorted(k for k, v in data.items() if isinstance(v, int | float | list))}")
        value = np.atleast_1d(np.asarray(data[name], dtype=float))
        se = np.atleast_1d(np.asarray(data.get(f"se_{name}", np.zeros_like(value)), dtype=float))
        if name == CURVE:
            value, se = value[1:buckets] / value[0], se[1:buckets] / value[0]
        out[name] = (value, np.broadcast_to(se, value.shape).copy())
    return out


def simulated_moments(runs: list[Any], names: tuple[str, ...], buckets: int = 6) -> Moments:
    """The named moments of several runs (:class:`~sim.outputs.results.Results` on common seeds).

    Coupon moments pool the runs' coupons (:func:`sim.studies.validation.tianchi.pool`, between-run
    standard errors); the curve's error is the between-run spread of each run's shape; a
    summary KPI is the mean over runs with its standard error.
    """
    measures = [tianchi.measure(r.coupons, r.config.days) for r in runs]
    pooled = tianchi.pool(measures)
    out: Moments = {}
    for name in names:
        if name == "redemption_15d":
            out[name] = (np.array([pooled[name]]), np.array([pooled["se_redemption_15d"]]))
        elif name == "redemptions_within_500m_share":
            out[name] = (np.array([pooled[name]]), np.array([pooled["se_within_500m"]]))
        elif name == CURVE:
            rows = pooled["rows_by_bucket"][:buckets].astype(float)
            hits = pooled["redeemed_by_bucket"][:buckets].astype(float)
            rate = hits / np.maximum(rows, 1.0)
            shape = rate[1:] / rate[0] if rate[0] > 0 else np.full(buckets - 1, np.nan)
            per_run = []
            for m in measures:
                r = m["redeemed_by_bucket"][:buckets] / np.maximum(m["rows_by_bucket"][:buckets], 1)
                per_run.append(r[1:] / r[0] if r[0] > 0 else np.full(buckets - 1, np.nan))
            se = np.nanstd(np.array(per_run), axis=0, ddof=1) / np.sqrt(len(runs))
            out[name] = (shape, se)
        else:
            if name not in runs[0].summary:
                raise KeyError(f"moment {name!r} is neither a coupon moment nor a summary KPI")
            vals = np.array([float(r.summary[name]) for r in runs])
            out[name] = (np.array([vals.mean()]), np.array([vals.std(ddof=1) / np.sqrt(len(vals))]))
    return out


def _design(spec: CalibrationSpec) -> np.ndarray:
    """A Latin hypercube in the unit box, with the centre first."""
    from scipy.stats import qmc

    pts = qmc.LatinHypercube(len(spec.parameters), seed=spec.design_seed).random(spec.design_points - 1)
    return np.vstack([np.full(len(spec.parameters), 0.5), pts])


def _to_box(spec: CalibrationSpec, u: np.ndarray) -> np.ndarray:
    lo = np.array([b[0] for b in spec.parameters.values()])
    hi = np.array([b[1] for b in spec.parameters.values()])
    return lo + np.asarray(u) * (hi - lo)


def _terms(u: np.ndarray) -> np.ndarray:
    u = np.atleast_2d(u)
    cols = [np.ones(len(u))] + [u[:, i] for i in range(u.shape[1])]
    cols += [u[:, i] * u[:, j] for i in range(u.shape[1]) for j in range(i, u.shape[1])]
    return np.stack(cols, axis=1)


def surface(u: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Quadratic least-squares response surface of each column of ``y`` over unit-box points ``u``."""
    ok = np.isfinite(y).all(axis=1)
    coef = np.linalg.lstsq(_terms(u[ok]), y[ok], rcond=None)[0]
    return lambda v: _terms(v) @ coef


def _flat(moments: Moments, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    return (np.concatenate([moments[n][0] for n in names]), np.concatenate([moments[n][1] for n in names]))


def fit(spec: CalibrationSpec, targets: Moments, evaluate: Callable[[list[dict[str, float]]], list[Moments]]
        ) -> dict[str, Any]:
    """Fit the parameters to the targets (see the module docstring).

    Args:
        spec: what to fit.
        targets: :func:`load_targets`'s moments.
        evaluate: maps design points (``{key: value}``) to their simulated moments (same seeds
            for every point); :func:`model_evaluator` runs the model.

    Returns:
        ``fitted`` ({key: value}), ``se`` and ``ci95`` per parameter, the design and its moments,
        the surfaces' moments at the fit, the verification run's moments at the fit, the loss
        (chi-square with ``moments - parameters`` degrees of freedom when they over-identify).
    """
    from scipy.optimize import minimize

    names = spec.moments
    target, target_se = _flat(targets, names)
    u = _design(spec)
    points = [dict(zip(spec.names, map(float, x), strict=True)) for x in _to_box(spec, u)]
    sims = evaluate(points)
    y = np.array([_flat(m, names)[0] for m in sims])
    sim_se = np.nanmean(np.array([_flat(m, names)[1] for m in sims]), axis=0)
    sigma = np.sqrt(target_se ** 2 + sim_se ** 2)
    sigma = np.where(sigma > 0, sigma, np.nanmax(sigma) if np.isfinite(sigma).any() else 1.0)
    f = surface(u, y)

    def loss(v: np.ndarray) -> float:
        return float(np.sum(((f(v)[0] - target) / sigma) ** 2))

    starts = u[np.argsort([np.nansum(((row - target) / sigma) ** 2) for row in y])[:4]]
    best = min((minimize(loss, s, method="L-BFGS-B", bounds=[(0.0, 1.0)] * u.shape[1]) for s in starts),
               key=lambda r: r.fun)
    u_hat = best.x
    scale = np.array([hi - lo for lo, hi, _ in spec.parameters.values()])
    h = 1e-4
    jac = np.stack([(f(u_hat + h * e)[0] - f(u_hat - h * e)[0]) / (2 * h) for e in np.eye(len(u_hat))],
                   axis=1) / scale  # d moment / d parameter (original units)
    w = np.diag(1.0 / sigma ** 2)
    try:
        cov = np.linalg.inv(jac.T @ w @ jac)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        se = np.full(len(u_hat), np.nan)
    theta = _to_box(spec, u_hat)
    fitted = {k: float(v) for k, v in zip(spec.names, theta, strict=True)}
    check = _flat(evaluate([fitted])[0], names)
    at_bound = [k for k, v in zip(spec.names, u_hat, strict=True) if v < 1e-3 or v > 1 - 1e-3]
    return {
        "parameters": {k: list(v[:2]) for k, v in spec.parameters.items()},
        "moments": list(names), "seeds": list(spec.seeds),
        "fitted": fitted,
        "se": dict(zip(spec.names, map(float, se), strict=True)),
        "ci95": {k: [fitted[k] - 1.96 * s, fitted[k] + 1.96 * s]
                 for k, s in zip(spec.names, se, strict=True)},
        "at_bound": at_bound,
        "target": target.tolist(), "target_se": target_se.tolist(), "sigma": sigma.tolist(),
        "surface_at_fit": f(u_hat)[0].tolist(),
        "verified": check[0].tolist(), "verified_se": check[1].tolist(),
        "loss": float(best.fun), "dof": int(len(target) - len(u_hat)),
        "verified_loss": float(np.sum(((check[0] - target) / sigma) ** 2)),
        "design": [{**p, "moments": row.tolist()} for p, row in zip(points, y, strict=True)],
        "labels": [_label(n, i, len(targets[n][0])) for n in names for i in range(len(targets[n][0]))],
    }


def _label(name: str, i: int, size: int) -> str:
    if name == CURVE:
        return f"redemption {0.5 * (i + 1):g}-{0.5 * (i + 2):g} km / under 0.5 km"
    return f"{name}[{i}]" if size > 1 else name


def _run_one(cfg_data: dict, seed: int):
    from sim.engine.runner import run

    data = dict(cfg_data)
    data["seed"] = seed
    return run(from_dict(data))


def model_evaluator(base: SimConfig, spec: CalibrationSpec, n_jobs: int = 2
                    ) -> Callable[[list[dict[str, float]]], list[Moments]]:
    """An ``evaluate`` for :func:`fit` that runs ``base`` with each point's values on the common seeds."""
    from joblib import Parallel, delayed

    def with_point(point: dict[str, float]) -> dict:
        data = to_dict(base)
        for key, value in point.items():
            *parents, leaf = key.split(".")
            node = data
            for p in parents:
                node = node[p]
            node[leaf] = int(round(value)) if spec.parameters[key][2] is int else value
        return data

    def evaluate(points: list[dict[str, float]]) -> list[Moments]:
        jobs = [(with_point(p), s) for p in points for s in spec.seeds]
        runs = Parallel(n_jobs=n_jobs)(delayed(_run_one)(d, s) for d, s in jobs)
        k = len(spec.seeds)
        return [simulated_moments(runs[i * k:(i + 1) * k], spec.moments, spec.buckets)
                for i in range(len(points))]

    return evaluate


def plot_fit(result: dict[str, Any], path: str | Path) -> None:
    """Targets, design points and the fit's verified moments (with 95% bars), one marker per moment."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.outputs.files import save_png

    labels = result["labels"]
    x = np.arange(len(labels))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.0), gridspec_kw={"width_ratios": [3, 2]})
    ax = axes[0]
    design = np.array([d["moments"] for d in result["design"]])
    for row in design:
        ax.plot(x, row, color="0.8", lw=0.8, zorder=1)
    ax.errorbar(x, result["target"], yerr=1.96 * np.array(result["target_se"]), fmt="ks", capsize=3,
                label="target (data)", zorder=3)
    ax.errorbar(x + 0.1, result["verified"], yerr=1.96 * np.array(result["verified_se"]), fmt="o",
                color="tab:red", capsize=3, label="model at the fit", zorder=4)
    ax.plot([], [], color="0.8", label="design points")
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    ax.set_title(f"Moments: loss {result['verified_loss']:.1f} on {len(labels)} moments", fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[1]
    names = list(result["fitted"])
    for i, name in enumerate(names):
        lo, hi = result["parameters"][name]
        c = (result["fitted"][name] - lo) / (hi - lo)
        ci = [(v - lo) / (hi - lo) for v in result["ci95"][name]]
        ax.errorbar([c], [i], xerr=[[c - ci[0]], [ci[1] - c]], fmt="o", color="tab:red", capsize=4)
        ax.text(c, i + 0.18, f"{result['fitted'][name]:.3g} ± {1.96 * result['se'][name]:.2g}",
                ha="center", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.6, len(names) - 0.3)
    ax.set_xlabel("position in the searched range (0 = low, 1 = high)")
    ax.set_title("Fitted parameters, 95% intervals (delta method)", fontsize=10)
    fig.tight_layout()
    save_png(fig, path)
