"""Fit the default reach of word of mouth (``behavior.share_reach``) to the share of sales it drives.

The target is the Word of Mouth Marketing Association's Return on Word of Mouth study (2014):
in marketing-mix models of six categories, word of mouth drove 13% of sales
(``sim/studies/validation/data/word_of_mouth.json``). The engine's counterpart is the causal share
of purchases: every seed runs with word of mouth and without it (``behavior.share_reach = 0``),
on the same city, people and draws (common random numbers), and the share is
``1 - purchases without / purchases with``, pooled over seeds
(:func:`sim.studies.validation.wom.causal_share`).

Every grid value of ``share_reach`` runs the same seeds; the run without word of mouth is the
same for all of them. A quadratic in ``share_reach``, weighted by the inverse variance of each
point, is fitted to the pooled shares and solved for the target; the standard error of the
fitted value is the target's sampling error carried through the curve's slope (delta method).
The fitted value is checked on fresh seeds by ``experiments/validation/run.py``.

Writes ``--out/wom_calibration.json`` (target, grid, fitted value and its standard error) and
``--out/wom_calibration.png``, and says whether ``sim/config/schema.py`` holds the fitted default.

Usage (from the repository root)::

    .venv/bin/python experiments/validation/calibrate_wom.py [--seeds 10] [--jobs 2] [--out docs/validation]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402

from sim.config import BehaviorConfig  # noqa: E402
from sim.config.compose import load_config  # noqa: E402
from sim.outputs.files import atomic_write, save_png  # noqa: E402
from sim.studies.validation import wom  # noqa: E402

#: The grid of ``behavior.share_reach`` values, and the seeds of the fit (fresh seeds verify it).
REACH_GRID = (1.0, 1.5, 2.0, 2.5)
FIT_SEED0 = 200


def _purchases(overrides: tuple[str, ...]) -> int:
    from sim.engine.runner import run

    return int(run(load_config(list(overrides))).summary["purchases"])


def grid_shares(seeds: range, jobs: int) -> dict:
    """Purchases without word of mouth and at every grid value, per seed; pooled causal shares."""
    jobs_list = [(f"seed={s}", "behavior.share_reach=0") for s in seeds]
    jobs_list += [(f"seed={s}", f"behavior.share_reach={q}") for q in REACH_GRID for s in seeds]
    out = np.array(Parallel(n_jobs=jobs)(delayed(_purchases)(o) for o in jobs_list), dtype=float)
    n = len(seeds)
    without = out[:n]
    with_wom = out[n:].reshape(len(REACH_GRID), n)
    share = 1.0 - without.sum() / with_wom.sum(axis=1)
    per_seed = 1.0 - without / with_wom
    se = per_seed.std(axis=1, ddof=1) / np.sqrt(n)
    return {"reach": list(REACH_GRID), "seeds": list(seeds), "without": without.tolist(),
            "with": with_wom.tolist(), "share": share.tolist(), "se": se.tolist()}


def fit_reach(grid: dict, target: float) -> tuple[float, float, np.ndarray]:
    """The ``share_reach`` whose fitted causal share is ``target``, its standard error, and the curve.

    Returns:
        ``(reach, se, coef)``: the root of the weighted quadratic within the grid's range, the
        delta-method standard error ``se(share at the root) / slope`` (the mean standard error of
        the grid points, as the verification's would be), and the quadratic's coefficients.
    """
    q, share, se = np.array(grid["reach"]), np.array(grid["share"]), np.array(grid["se"])
    coef = np.polyfit(q, share, 2, w=1.0 / se)
    roots = np.roots(coef - np.array([0.0, 0.0, target]))
    inside = [r.real for r in roots if abs(r.imag) < 1e-12 and q.min() - 0.5 <= r.real <= q.max() + 0.5]
    if not inside:
        raise RuntimeError(f"no share_reach in [{q.min() - 0.5}, {q.max() + 0.5}] gives {target:.1%}: "
                           f"grid shares {np.round(share, 4).tolist()}")
    root = min(inside, key=lambda r: abs(r - np.median(q)))
    slope = np.polyval(np.polyder(coef), root)
    return float(root), float(se.mean() / slope), coef


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds per grid point (common to all points)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "outputs" / "validation")
    args = ap.parse_args(argv)
    t0 = time.time()
    target = wom.load_target()
    seeds = range(FIT_SEED0, FIT_SEED0 + args.seeds)
    grid = grid_shares(seeds, args.jobs)
    reach, reach_se, coef = fit_reach(grid, target["share_of_sales"])
    fitted = round(reach, 2)
    default = BehaviorConfig().share_reach
    print(f"grid: share_reach {grid['reach']} -> causal share {np.round(grid['share'], 4).tolist()}")
    print(f"fitted behavior.share_reach = {fitted} (se {reach_se:.2f}); the schema's default is {default}",
          flush=True)
    result = {"command": "python experiments/validation/calibrate_wom.py " + " ".join(
                  argv if argv is not None else sys.argv[1:]),
              "target": {"share_of_sales": target["share_of_sales"], "source": target["source"]["study"]},
              "grid": grid, "quadratic": coef.tolist(),
              "fitted": {"behavior.share_reach": fitted, "se": round(reach_se, 3)},
              "default_holds_fit": bool(abs(default - fitted) < 1e-9),
              "minutes": round((time.time() - t0) / 60, 1)}
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out / "wom_calibration.json",
                 lambda p: Path(p).write_text(json.dumps(result, indent=2) + "\n"))
    fig, ax = plt.subplots(figsize=(4.8, 3.6))
    q = np.linspace(min(grid["reach"]) - 0.2, max(grid["reach"]) + 0.2, 100)
    ax.errorbar(grid["reach"], grid["share"], yerr=2 * np.array(grid["se"]), fmt="o", color="tab:blue",
                label=f"engine, {args.seeds} paired seeds (2 se)")
    ax.plot(q, np.polyval(coef, q), "-", color="tab:blue", lw=1, label="weighted quadratic")
    ax.axhline(target["share_of_sales"], color="k", ls="--", lw=1, label="WOMMA (2014): 13% of sales")
    ax.axvline(fitted, color="tab:orange", lw=1, label=f"fitted share_reach = {fitted}")
    ax.set_xlabel("behavior.share_reach (friends told per share)")
    ax.set_ylabel("share of purchases caused by word of mouth")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, args.out / "wom_calibration.png")
    print(f"wrote {args.out / 'wom_calibration.json'} in {(time.time() - t0) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
