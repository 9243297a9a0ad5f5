"""``o2o-compare A B --reps 20 [overrides]``: a paired comparison of two scenarios.

Core function: :func:`main`. Both scenarios run on the same seeds (common
random numbers) with the same extra overrides. An arm written ``baseline:NAME``
is scenario NAME with every lever off: its matching baseline (same city, people,
stores and brand). One warning line names every setting outside ``campaign.*``
(and ``campaign.brand_share``) in which the arms differ: those differences are
mixed into the "campaign effect". The verdict (plain sentences) is printed first,
then the KPI table (differences B - A with 95% intervals, money ratios as ratios of
mean paired differences); both are written with figures to a report folder.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

__all__ = ["MAX_JOBS", "MAX_REPS", "main"]

MAX_REPS = 10_000  # 20,000 runs: far beyond what an interval needs
MAX_JOBS = 256


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad option reported in one line (exit status 2)."""

    def error(self, message: str):
        """Print ``o2o-compare: <message>`` and exit 2."""
        self.exit(2, f"{self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="o2o-compare", description=__doc__.splitlines()[0])
    p.add_argument("a", help="scenario A (the reference), e.g. baseline or baseline:omo_full")
    p.add_argument("b", help="scenario B, e.g. o2o_coupon_blast")
    p.add_argument("overrides", nargs="*", help="Hydra overrides applied to both, e.g. days=30")
    p.add_argument("--reps", type=int, default=20, help="replications (seeds) per scenario, >= 2")
    p.add_argument("--first-seed", type=int, default=0, help="first seed")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes")
    p.add_argument("--out", type=Path, default=None, help="report folder (default comparisons/A_vs_B-HASH)")
    return p


def _load(arm: str, overrides: list[str]):
    """An arm's config: a scenario, or ``baseline:NAME`` (NAME with every lever off)."""
    from ..compare import without_levers
    from ..config import ConfigError
    from .compose import load_config

    if arm.startswith("baseline:"):
        name = arm.split(":", 1)[1]
        if not name:
            raise ConfigError("scenario", arm,
                              "a scenario name, or baseline:<scenario name> (e.g. baseline:omo_full)")
        return without_levers(load_config([f"scenario={name}", *overrides]), arm)
    return load_config([f"scenario={arm}", *overrides])


def _differences_line(cfg_a, cfg_b) -> str | None:
    from ..compare import config_differences

    diffs = config_differences(cfg_a, cfg_b)
    if not diffs:
        return None
    listed = ", ".join(f"{k} ({a!r} vs {b!r})" for k, a, b in diffs)
    return (f"o2o-compare: warning: the arms differ outside the campaign in {listed}; these differences "
            "are part of the measured effect (compare with baseline:<scenario> for a matching baseline)")


def main(argv: list[str] | None = None) -> int:
    """Console entry point. Returns the exit status (2 for bad input)."""
    args = _parser().parse_intermixed_args(argv)
    from ..config import ConfigError

    for name, value, ok, allowed in (
            ("--reps", args.reps, 2 <= args.reps <= MAX_REPS, f"an integer in [2, {MAX_REPS}]"),
            ("--jobs", args.jobs, 1 <= args.jobs <= MAX_JOBS, f"an integer in [1, {MAX_JOBS}]"),
            ("--first-seed", args.first_seed, 0 <= args.first_seed <= 2**63 - 1 - args.reps,
             "an integer >= 0 (seeds are non-negative)"),
            ("--out", args.out, args.out is None or not args.out.exists() or args.out.is_dir(),
             "a folder (this path is an existing file)")):
        if not ok:
            print(f"o2o-compare: invalid {name}={value}; allowed: {allowed}", file=sys.stderr)
            return 2
    try:
        cfg_a = _load(args.a, args.overrides)
        cfg_b = _load(args.b, args.overrides)
    except ConfigError as err:
        print(f"o2o-compare: {err}", file=sys.stderr)
        return 2
    warning = _differences_line(cfg_a, cfg_b)
    if warning:
        print(warning, file=sys.stderr)

    from ..compare import compare
    from ..report import write_comparison

    digest = hashlib.sha1(" ".join([args.a, args.b, *args.overrides, str(args.reps),
                                    str(args.first_seed)]).encode()).hexdigest()[:8]
    name = f"{args.a}_vs_{args.b}".replace(":", "-")
    out = args.out or Path("comparisons") / f"{name}-{digest}"
    total = 2 * args.reps

    def progress(done: int) -> None:
        if sys.stderr.isatty():
            print(f"\ro2o-compare: {done}/{total} runs", end="" if done < total else "\n", file=sys.stderr)

    comp = compare(cfg_a, cfg_b, reps=args.reps, first_seed=args.first_seed, label_a=args.a,
                   label_b=args.b, n_jobs=args.jobs, progress=progress)
    table = write_comparison(comp, out)
    for line in comp.verdict():
        print(line)
    print()
    cols = ["kpi", "unit", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "narrowing", "note"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(out.resolve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
