"""``o2o-compare A B [--a KEY=VALUE] [--b KEY=VALUE] [settings] --reps 20``: two campaigns, paired.

Core function: :func:`main`. Each arm is a scenario name (shipped, or in a user
scenario folder: ``--scenario-dir`` or ``$O2O_SIM_SCENARIOS``), the path of a
scenario YAML file, or ``baseline:<either>`` - that scenario with every lever off,
its matching baseline (same city, people, stores and brand). ``--a`` and ``--b``
(repeatable) set one arm's own settings; settings given without a flag, anywhere
on the line, apply to both. Both arms run on the same seeds (common random
numbers). One warning line names every setting outside ``campaign.*`` (and
``campaign.brand_share``) in which the arms differ: those differences are mixed
into the "campaign effect". The verdict (plain sentences) is printed first, then
the KPI table (differences B - A with 95% intervals, money ratios as ratios of mean
paired differences); both are written with figures to a report folder.

Example: ``o2o-compare default group_buy --a campaign.push_coupon.radius_km=1
--b campaign.group_buy.deal_discount=0.3 --reps 20 days=60``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
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
    p.add_argument("a", help="arm A (the reference): a scenario name, a YAML file, or baseline:<either>")
    p.add_argument("b", help="arm B: a scenario name, a YAML file, or baseline:<either>")
    p.add_argument("overrides", nargs="*", help="settings of both arms, e.g. days=30")
    p.add_argument("--a", dest="a_overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting of arm A only (repeat for several)")
    p.add_argument("--b", dest="b_overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting of arm B only (repeat for several)")
    p.add_argument("--reps", type=int, default=20, help="replications (seeds) per arm, >= 2")
    p.add_argument("--first-seed", type=int, default=0, help="first seed")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes")
    p.add_argument("--scenario-dir", type=Path, action="append", default=[],
                   help="a folder of your own scenario files (also $O2O_SIM_SCENARIOS)")
    p.add_argument("--out", type=Path, default=None,
                   help="report folder (default outputs/comparisons/A_vs_B-HASH)")
    return p


def _differences_line(cfg_a, cfg_b) -> str | None:
    from sim.studies.compare import config_differences

    diffs = config_differences(cfg_a, cfg_b)
    if not diffs:
        return None
    listed = ", ".join(f"{k} ({a!r} vs {b!r})" for k, a, b in diffs)
    return (f"o2o-compare: warning: the arms differ outside the campaign in {listed}; these differences "
            "are part of the measured effect (compare with baseline:<scenario> for a matching baseline)")


def main(argv: list[str] | None = None) -> int:
    """Console entry point. Returns the exit status (2 for bad input)."""
    args = _parser().parse_intermixed_args(argv)
    from sim.config import ConfigError

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
    from sim.config.compose import add_scenario_dirs
    from sim.studies.compare import arm_config

    try:
        add_scenario_dirs(args.scenario_dir)
        cfg_a, label_a = arm_config(args.a, args.a_overrides, args.overrides)
        cfg_b, label_b = arm_config(args.b, args.b_overrides, args.overrides)
    except ConfigError as err:
        print(f"o2o-compare: {err}", file=sys.stderr)
        return 2
    warning = _differences_line(cfg_a, cfg_b)
    if warning:
        print(warning, file=sys.stderr)

    from sim.studies.compare import compare
    from sim.studies.report import write_comparison

    digest = hashlib.sha1(" ".join([label_a, label_b, *args.overrides, str(args.reps),
                                    str(args.first_seed)]).encode()).hexdigest()[:8]
    name = re.sub(r"[^A-Za-z0-9_.=+-]", "-", f"{Path(args.a).stem}_vs_{Path(args.b).stem}")[:80]
    out = args.out or Path("outputs") / "comparisons" / f"{name}-{digest}"
    from tqdm.auto import tqdm

    with tqdm(total=2 * args.reps, desc="o2o-compare runs", unit="run", file=sys.stderr,
              disable=not sys.stderr.isatty(), leave=False) as bar:
        comp = compare(cfg_a, cfg_b, reps=args.reps, first_seed=args.first_seed, label_a=label_a,
                       label_b=label_b, n_jobs=args.jobs, progress=lambda done: bar.update(done - bar.n))
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
