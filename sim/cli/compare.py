"""``o2o-compare A B --reps 20 [overrides]``: a paired comparison of two scenarios.

Core function: :func:`main`. Both scenarios run on the same seeds (common
random numbers) with the same extra overrides; the KPI table (differences
B - A with 95% intervals, and how much narrower they are than with
independent seeds) is printed and written with a figure to a report folder.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="o2o-compare", description=__doc__.splitlines()[0])
    p.add_argument("a", help="scenario A (the reference), e.g. baseline")
    p.add_argument("b", help="scenario B, e.g. o2o_coupon_blast")
    p.add_argument("overrides", nargs="*", help="Hydra overrides applied to both, e.g. days=30")
    p.add_argument("--reps", type=int, default=20, help="replications (seeds) per scenario, >= 2")
    p.add_argument("--first-seed", type=int, default=0, help="first seed")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes")
    p.add_argument("--out", type=Path, default=None, help="report folder (default comparisons/A_vs_B-HASH)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Console entry point. Returns the exit status (2 for bad input)."""
    args = _parser().parse_args(argv)
    from ..config import ConfigError
    from .compose import load_config

    if args.reps < 2:
        print(f"o2o-compare: invalid --reps={args.reps}; allowed: an integer >= 2", file=sys.stderr)
        return 2
    try:
        cfg_a = load_config([f"scenario={args.a}", *args.overrides])
        cfg_b = load_config([f"scenario={args.b}", *args.overrides])
    except ConfigError as err:
        print(f"o2o-compare: {err}", file=sys.stderr)
        return 2

    from ..compare import compare
    from ..report import write_comparison

    digest = hashlib.sha1(" ".join([args.a, args.b, *args.overrides, str(args.reps),
                                    str(args.first_seed)]).encode()).hexdigest()[:8]
    out = args.out or Path("comparisons") / f"{args.a}_vs_{args.b}-{digest}"
    comp = compare(cfg_a, cfg_b, reps=args.reps, first_seed=args.first_seed, label_a=args.a,
                   label_b=args.b, n_jobs=args.jobs)
    table = write_comparison(comp, out)
    cols = ["kpi", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "narrowing"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(out.resolve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
