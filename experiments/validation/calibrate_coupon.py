"""Fit the ``calibrated_coupon`` scenario to the Tianchi O2O coupon moments.

Two steps, both reproducible from this command:

1. **Campaign design from the data.** The location-based feed's reach
   (``campaign.push_coupon.reach_decay_km``) is set by bisection so that half of
   the coupons go to consumers within 500 m of the store, as in the data. This
   involves no behaviour: it is the share, among the consumers the feed reaches,
   of those living or working within 500 m of the featured store.
2. **Behaviour fitted to two moments.** ``behavior.outside_utility`` (how often
   people eat out at the district's restaurants at all) and
   ``population.value_of_time_median`` (how much a longer trip costs) are fitted to
   the 15-day redemption rate (6.1%) and the share of redemptions within 500 m
   (70%). Every grid point runs the same seeds (common random numbers); the
   coupons of all seeds are pooled; a quadratic response surface (in outside
   utility and log value of time; redemption on the logit scale, each point
   weighted by its coupon or redemption count) is fitted to each moment by least
   squares, and the point minimising the squared, standard-error-weighted
   distance to both targets is taken. The distance curve of redemption is *not* fitted: it
   is the out-of-sample check.

Writes ``--out/calibration.json`` (targets, grid, fitted values, the verification
at fresh seeds) and ``--out/calibration.png``, and says whether
``scenarios/calibrated_coupon.yaml`` holds the fitted values.

Usage (from the repository root)::

    .venv/bin/python experiments/validation/calibrate_coupon.py [--seeds 3] [--jobs 2] [--out docs/validation]
        [--refit]

``--refit`` re-fits from the grid already in ``--out/calibration.json`` (no grid runs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from joblib import Parallel, delayed  # noqa: E402

from sim.config.compose import load_config  # noqa: E402
from sim.engine.model import O2OModel  # noqa: E402
from sim.engine.runner import run  # noqa: E402
from sim.outputs.files import atomic_write  # noqa: E402
from sim.studies.validation import tianchi  # noqa: E402

SCENARIO = "calibrated_coupon"
OUTSIDE_GRID = (4.4, 4.8, 5.2, 5.6)
VOT_GRID = (60.0, 110.0, 180.0, 300.0)


def near_share_of_audience(reach_decay_km: float, seeds: range) -> float:
    """Share of the feed's audience (reachable, opted in) within 500 m of its featured store."""
    near = total = 0
    for seed in seeds:
        cfg = load_config([f"scenario={SCENARIO}", f"seed={seed}", "warmup_days=0",
                           f"campaign.push_coupon.reach_decay_km={reach_decay_km}"])
        model = O2OModel(cfg)
        lever, pop = model.levers[0], model.population
        d = lever.distance_to_target(model)
        audience = (lever.target_store >= 0) & pop.reachable & pop.push_opt_in
        near += int((audience & (d < 0.5)).sum())
        total += int(audience.sum())
    return near / total


def fit_reach_decay(target: float, seeds: range) -> float:
    """Bisection on reach_decay_km (the share within 500 m falls as the reach widens)."""
    lo, hi = 0.05, 5.0
    for _ in range(14):
        mid = float(np.sqrt(lo * hi))
        if near_share_of_audience(mid, seeds) > target:
            lo = mid
        else:
            hi = mid
    return round(float(np.sqrt(lo * hi)), 3)


def moments(overrides: list[str], seeds: range) -> dict:
    """Pooled coupon moments of the scenario with ``overrides`` over ``seeds``."""
    measures = []
    for seed in seeds:
        res = run(load_config([f"scenario={SCENARIO}", f"seed={seed}", *overrides]))
        measures.append(tianchi.measure(res.coupons, res.config.days))
        measures[-1]["visits_per_consumer_day"] = res.summary["visits"] / res.config.population.size / \
            res.config.days
    pooled = tianchi.pool(measures)
    pooled["per_seed"] = [{"rows_by_bucket": m["rows_by_bucket"].tolist(),
                           "redeemed_by_bucket": m["redeemed_by_bucket"].tolist()} for m in measures]
    pooled["visits_per_consumer_day"] = float(np.mean([m["visits_per_consumer_day"] for m in measures]))
    return pooled


def _point(o: float, v: float, reach: float, seeds: range) -> dict:
    m = moments([f"behavior.outside_utility={o}", f"population.value_of_time_median={v}",
                 f"campaign.push_coupon.reach_decay_km={reach}"], seeds)
    return {"outside_utility": o, "value_of_time_median": v, **_jsonable(m)}


def _jsonable(m: dict) -> dict:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in m.items()}


def _design(o: np.ndarray, v: np.ndarray) -> np.ndarray:
    lv = np.log(v)
    return np.stack([np.ones_like(o), o, lv, o * o, lv * lv, o * lv], axis=-1)


def response_surfaces(grid: list[dict]):
    """Quadratic response surfaces (in outside utility and log value of time), least squares.

    Redemption is fitted on the logit scale, the near share as is; each point is weighted by
    its number of coupons (resp. redemptions), so noisy points count less. Returns two
    callables ``(outside, vot) -> value``.
    """
    o = np.array([g["outside_utility"] for g in grid])
    v = np.array([g["value_of_time_median"] for g in grid])
    rate = np.array([g["redemption_15d"] for g in grid])
    near = np.array([g["redemptions_within_500m_share"] for g in grid])
    x = _design(o, v)
    w_rate = np.sqrt([g["coupons"] for g in grid])
    w_near = np.sqrt([g["redeemed"] for g in grid])
    b_rate = np.linalg.lstsq(x * w_rate[:, None], np.log(rate / (1 - rate)) * w_rate, rcond=None)[0]
    b_near = np.linalg.lstsq(x * w_near[:, None], near * w_near, rcond=None)[0]

    def f_rate(oo, vv):
        return 1.0 / (1.0 + np.exp(-_design(np.asarray(oo, float), np.asarray(vv, float)) @ b_rate))

    def f_near(oo, vv):
        return _design(np.asarray(oo, float), np.asarray(vv, float)) @ b_near

    return f_rate, f_near


def fit_behaviour(grid: list[dict], target_rate: float, target_near: float) -> tuple[float, float]:
    """Minimise the standard-error-weighted distance of both response surfaces to the targets."""
    f_rate, f_near = response_surfaces(grid)
    se_rate = np.nanmean([g["se_redemption_15d"] for g in grid])
    se_near = np.nanmean([g["se_within_500m"] for g in grid])
    oo, vv = np.meshgrid(np.linspace(min(OUTSIDE_GRID), max(OUTSIDE_GRID), 251),
                         np.geomspace(min(VOT_GRID), max(VOT_GRID), 251), indexing="ij")
    loss = ((f_rate(oo, vv) - target_rate) / se_rate) ** 2 + ((f_near(oo, vv) - target_near) / se_near) ** 2
    i = np.unravel_index(int(np.argmin(loss)), loss.shape)
    return round(float(oo[i]), 2), float(round(float(vv[i]) / 5.0) * 5.0)


def parameter_se(grid: list[dict], fitted: tuple[float, float],
                 se_moments: tuple[float, float]) -> list[float]:
    """Standard errors of the two fitted parameters by the delta method.

    With ``J`` the Jacobian of (redemption, near share) with respect to (outside
    utility, value of time) on the response surfaces at the fit, and ``S`` the
    diagonal covariance of the two measured moments, ``Cov = J^-1 S J^-T``.
    """
    f_rate, f_near = response_surfaces(grid)
    o, v = fitted
    h_o, h_v = 0.01, v * 0.01
    jac = np.array([[(f(o + h_o, v) - f(o - h_o, v)) / (2 * h_o), (f(o, v + h_v) - f(o, v - h_v)) / (2 * h_v)]
                    for f in (f_rate, f_near)], dtype=float)
    inv = np.linalg.inv(jac)
    cov = inv @ np.diag(np.square(se_moments)) @ inv.T
    return [float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1]))]


def _figure(grid: list[dict], fitted: tuple[float, float], targets: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f_rate, f_near = response_surfaces(grid)
    oo, vv = np.meshgrid(np.linspace(min(OUTSIDE_GRID), max(OUTSIDE_GRID), 101),
                         np.geomspace(min(VOT_GRID), max(VOT_GRID), 101), indexing="ij")
    rate, near = f_rate(oo, vv), f_near(oo, vv)
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.plot([g["value_of_time_median"] for g in grid], [g["outside_utility"] for g in grid], ".", color="0.6",
            label="grid points")
    c1 = ax.contour(vv, oo, rate, levels=[0.04, 0.061, 0.08, 0.12], colors="tab:blue")
    ax.clabel(c1, fmt=lambda x: f"redeem {x:.1%}")
    c2 = ax.contour(vv, oo, near, levels=[0.6, 0.65, 0.7, 0.75], colors="tab:orange",
                    linestyles="--")
    ax.clabel(c2, fmt=lambda x: f"<500 m {x:.0%}")
    ax.plot(fitted[1], fitted[0], "k*", ms=14, label="fitted")
    ax.set_xlabel("population.value_of_time_median (currency/h)")
    ax.set_ylabel("behavior.outside_utility (utils)")
    ax.set_title(f"Calibration to Tianchi: redemption {targets['redemption_15d']:.1%} (blue), "
                 f"{targets['redemptions_within_500m_share']:.0%} within 500 m (orange)", fontsize=9)
    ax.legend(loc="lower left")
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=120, format="png"))
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6, help="seeds per grid point (common to all points)")
    ap.add_argument("--verify-seeds", type=int, default=20, help="fresh seeds for the verification")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "outputs" / "validation")
    ap.add_argument("--refit", action="store_true", help="re-fit from the grid in --out/calibration.json")
    args = ap.parse_args(argv)
    t0 = time.time()
    targets = tianchi.load_moments()
    seeds = range(args.seeds)
    command = "python experiments/validation/calibrate_coupon.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    if args.refit:
        old = json.loads((args.out / "calibration.json").read_text())
        grid, reach = old["grid"], old["fitted"]["campaign.push_coupon.reach_decay_km"]
        command = old["command"].split(" (grid), then")[0] + " (grid), then " + command
    else:
        reach = fit_reach_decay(targets["rows_within_500m_share"], seeds)
        print(f"reach_decay_km = {reach} (half of the feed's audience within 500 m)", flush=True)
        grid = Parallel(n_jobs=args.jobs)(delayed(_point)(o, v, reach, seeds)
                                          for o in OUTSIDE_GRID for v in VOT_GRID)
    fitted = fit_behaviour(grid, targets["redemption_15d"], targets["redemptions_within_500m_share"])
    print(f"fitted: behavior.outside_utility = {fitted[0]}, population.value_of_time_median = {fitted[1]}",
          flush=True)
    fresh = range(1000, 1000 + args.verify_seeds)
    check = Parallel(n_jobs=args.jobs)(
        delayed(moments)([f"behavior.outside_utility={fitted[0]}",
                          f"population.value_of_time_median={fitted[1]}",
                          f"campaign.push_coupon.reach_decay_km={reach}"], range(s, s + 1)) for s in fresh)
    verified = tianchi.pool([{"rows_by_bucket": np.array(c["per_seed"][0]["rows_by_bucket"]),
                              "redeemed_by_bucket": np.array(c["per_seed"][0]["redeemed_by_bucket"])}
                             for c in check])
    verified["visits_per_consumer_day"] = float(np.mean([c["visits_per_consumer_day"] for c in check]))
    fitted_se = parameter_se(grid, fitted, (verified["se_redemption_15d"], verified["se_within_500m"]))
    print(f"delta-method se: outside_utility {fitted_se[0]:.3f}, value_of_time_median {fitted_se[1]:.1f}")
    preset = yaml.safe_load((REPO / "scenarios" / f"{SCENARIO}.yaml").read_text())
    in_preset = (preset.get("behavior", {}).get("outside_utility"),
                 preset.get("population", {}).get("value_of_time_median"),
                 preset.get("campaign", {}).get("push_coupon", {}).get("reach_decay_km"))
    result = {
        "command": command,
        "targets": {k: targets[k] for k in ("redemption_15d", "rows_within_500m_share",
                                            "redemptions_within_500m_share")},
        "seeds_per_point": args.seeds, "grid": grid,
        "fitted": {"campaign.push_coupon.reach_decay_km": reach, "behavior.outside_utility": fitted[0],
                   "population.value_of_time_median": fitted[1]},
        "fitted_se": {"behavior.outside_utility": fitted_se[0],
                      "population.value_of_time_median": fitted_se[1]},
        "verification_seeds": list(fresh), "verification": _jsonable(verified),
        "preset_matches_fit": list(in_preset) == [fitted[0], fitted[1], reach],
        "seconds": round(time.time() - t0, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out / "calibration.json",
                 lambda p: Path(p).write_text(json.dumps(result, indent=2) + "\n"))
    _figure(grid, fitted, targets, args.out / "calibration.png")
    print(f"verification at fresh seeds: redemption {verified['redemption_15d']:.4f} "
          f"(se {verified['se_redemption_15d']:.4f}), within 500 m "
          f"{verified['redemptions_within_500m_share']:.3f} (se {verified['se_within_500m']:.3f}), "
          f"coupons within 500 m {verified['rows_within_500m_share']:.3f}")
    if not result["preset_matches_fit"]:
        print(f"scenarios/{SCENARIO}.yaml holds {in_preset}; the fit says {[fitted[0], fitted[1], reach]}: "
              "update the preset", file=sys.stderr)
    print(f"wrote {args.out}/calibration.json and calibration.png in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
