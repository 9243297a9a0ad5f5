"""Time per simulated day of every scenario, against the ``baseline`` scenario's.

Core functions:
    * :func:`measure_scenario` - one scenario in this process: its config from
      :func:`sim.load_config` (``scenario=NAME`` at the given size), a small model of it
      first (so the compiled kernels its days use are loaded before anything is timed),
      then for each repeat a new :class:`~sim.engine.model.O2OModel` built and warmed up
      (untimed) and its recorded days timed one step at a time.
    * :func:`measure` - every scenario asked for, each in a fresh process pinned to one core
      (``taskset -c 0`` where available), or all in this process (``in_process``).
    * :func:`table` - the Markdown table: milliseconds per recorded day (each repeat's mean day,
      median and range over the repeats), consumer-days/s and the ratio to ``baseline`` (the
      same city and people without any campaign), against the target of at most 1.5 times.

A scenario's own settings stay as they are (its warm-up, its city); only the population,
the stores, the days and the seed are set. ``baseline`` is always measured (the ratio needs
it). ``make bench`` (``experiments/bench/run.py``) writes the table to docs/PERFORMANCE.md.

Usage::

    python experiments/bench/scenarios.py [--consumers 50000] [--stores 100] [--days 30] [--repeats 3]
        [--scenarios baseline default ...] [--quick] [--in-process] [--json PATH]

``--quick`` (2,000 consumers, 20 stores, 3 days, one repeat, all in this process unless
told otherwise) checks the harness, not the targets.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # after the script's folder: this module's name is also the scenarios folder's
    sys.path.append(str(REPO))

#: Every scenario shipped (``scenarios/*.yaml``), in name order.
SCENARIOS = tuple(sorted(p.stem for p in (REPO / "scenarios").glob("*.yaml")))
REFERENCE = "baseline"
#: The target: a scenario's day takes at most this many times the baseline's.
TARGET_RATIO = 1.5
#: Sizes of the full measurement and of ``--quick``.
FULL = {"consumers": 50_000, "stores": 100, "days": 30, "repeats": 3}
QUICK = {"consumers": 2000, "stores": 20, "days": 3, "repeats": 1}
#: The model that loads a scenario's compiled kernels before its timed runs.
WARM_SIZE = {"consumers": 2000, "stores": 40}
COLUMNS = ("scenario", "ms per day", "min-max ms", "consumer-days/s", "x baseline", "target", "met")


def overrides(name: str, consumers: int, stores: int, days: int, seed: int = 0) -> list[str]:
    """The overrides of one measured run of scenario ``name``."""
    return [f"scenario={name}", f"population.size={consumers}", f"stores.count={stores}", f"days={days}",
            f"seed={seed}"]


def _step_days(model, days: int) -> list[float]:
    """Seconds of each of the next ``days`` steps."""
    out = []
    for _ in range(days):
        t = time.perf_counter()
        model.step()
        out.append(time.perf_counter() - t)
    return out


def _warm(name: str, consumers: int, stores: int, days: int, seed: int) -> None:
    """Run a small model of the scenario for the same days, so that its compiled kernels are loaded."""
    from sim import load_config
    from sim.engine.model import O2OModel

    small = load_config(overrides(name, min(consumers, WARM_SIZE["consumers"]),
                                  min(stores, WARM_SIZE["stores"]), days, seed))
    model = O2OModel(small)
    while model.day < 0:
        model.step()
    _step_days(model, days)


def measure_scenario(name: str, consumers: int, stores: int, days: int, repeats: int, seed: int = 0,
                     warm: bool = True) -> dict:
    """Time the recorded days of scenario ``name`` in this process.

    Args:
        name: a scenario of ``scenarios/``.
        consumers: consumers of each run.
        stores: stores of each run.
        days: recorded days of each run, timed (after the scenario's own warm-up, untimed).
        repeats: runs, each a new model on the same config and seed.
        seed: the runs' seed.
        warm: run a small model of the scenario first (kernels loaded before the timed runs).

    Returns:
        ``{"scenario", "consumers", "stores", "days", "warmup_days", "repeats", "ms_per_day"
        (median over the repeats of each run's mean recorded day), "min_ms", "max_ms",
        "setup_s" (median of building and warming up a model), "visits" (of the last run)}``.
    """
    from sim import load_config
    from sim.engine.model import O2OModel

    cfg = load_config(overrides(name, consumers, stores, days, seed))
    if warm:
        _warm(name, consumers, stores, days, seed)
    means, setups, visits = [], [], 0
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        model = O2OModel(cfg)
        while model.day < 0:  # the warm-up, where the model does not do it while being built
            model.step()
        setups.append(time.perf_counter() - t0)
        means.append(statistics.fmean(_step_days(model, days)))
        visits = int(sum(row["visits"] for row in model.recorder.rows))
        del model
    return {"scenario": name, "consumers": consumers, "stores": stores, "days": days,
            "warmup_days": cfg.warmup_days, "repeats": repeats,
            "ms_per_day": 1000 * statistics.median(means), "min_ms": 1000 * min(means),
            "max_ms": 1000 * max(means), "setup_s": statistics.median(setups), "visits": visits}


def _pinned() -> list[str]:
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


def measure(names: list[str], consumers: int, stores: int, days: int, repeats: int, seed: int = 0,
            in_process: bool = False, pin: bool = True) -> list[dict]:
    """:func:`measure_scenario` of each of ``names`` (``baseline`` first, added if missing).

    Args:
        names: scenarios to measure.
        consumers: consumers of each run.
        stores: stores of each run.
        days: recorded days of each run, timed.
        repeats: runs of each scenario.
        seed: the runs' seed.
        in_process: measure every scenario in this process instead of each in a fresh one.
        pin: run the fresh processes on one core (``taskset -c 0``, where available).

    Returns:
        One result per scenario, ``baseline`` first.

    Raises:
        ValueError: a name that is not a scenario of ``scenarios/``.
        subprocess.CalledProcessError: a scenario's process failed (its error is on standard error).
    """
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {list(SCENARIOS)}")
    ordered = [REFERENCE, *[n for n in dict.fromkeys(names) if n != REFERENCE]]
    results = []
    for name in ordered:
        if in_process:
            results.append(measure_scenario(name, consumers, stores, days, repeats, seed))
            continue
        cmd = [*(_pinned() if pin else []), sys.executable, str(Path(__file__).resolve()), "--child", name,
               "--consumers", str(consumers), "--stores", str(stores), "--days", str(days),
               "--repeats", str(repeats), "--seed", str(seed)]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=REPO)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def command_line(consumers: int, stores: int, days: int, repeats: int, names: list[str] | None = None) -> str:
    """The command that measures the same table."""
    text = (f"python experiments/bench/scenarios.py --consumers {consumers} --stores {stores} --days {days} "
            f"--repeats {repeats}")
    return text + (f" --scenarios {' '.join(names)}" if names else "")


def table(results: list[dict]) -> list[str]:
    """The Markdown table of ``results`` (from :func:`measure`; ``baseline`` among them), one row each."""
    base = next(r for r in results if r["scenario"] == REFERENCE)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results:
        ratio = r["ms_per_day"] / base["ms_per_day"]
        rate = r["consumers"] / (r["ms_per_day"] / 1000)
        lines.append(f"| {r['scenario']} | {r['ms_per_day']:.2f} | {r['min_ms']:.2f}-{r['max_ms']:.2f} | "
                     f"{rate:,.0f} | {ratio:.2f}x | <= {TARGET_RATIO:g}x baseline | "
                     f"{'yes' if ratio <= TARGET_RATIO else 'no'} |")
    return lines


def summary(results: list[dict]) -> str:
    """One sentence: how many scenarios meet the target, and the slowest."""
    base = next(r for r in results if r["scenario"] == REFERENCE)
    ratios = {r["scenario"]: r["ms_per_day"] / base["ms_per_day"] for r in results}
    met = sum(v <= TARGET_RATIO for v in ratios.values())
    worst = max(ratios, key=ratios.get)
    return (f"{met} of {len(ratios)} scenarios within {TARGET_RATIO:g}x the baseline's day "
            f"({base['ms_per_day']:.2f} ms); the slowest: {worst} at {ratios[worst]:.2f}x.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--consumers", type=int)
    ap.add_argument("--stores", type=int)
    ap.add_argument("--days", type=int, help="recorded days timed in each run")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenarios", nargs="+", default=None, help="default: every scenario")
    ap.add_argument("--quick", action="store_true", help="tiny sizes in this process: checks the harness")
    ap.add_argument("--in-process", action="store_true", help="every scenario in this process")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)  # one scenario, its result as a JSON line
    a = ap.parse_args(argv)
    sizes = {k: getattr(a, k) if getattr(a, k) is not None else v
             for k, v in (QUICK if a.quick else FULL).items()}
    if a.child:
        print(json.dumps(measure_scenario(a.child, seed=a.seed, **sizes)))
        return 0
    names = a.scenarios or list(SCENARIOS)
    t0 = time.time()
    try:
        results = measure(names, seed=a.seed, in_process=a.in_process or a.quick, **sizes)
    except ValueError as err:
        print(f"scenarios.py: {err}", file=sys.stderr)
        return 2
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python experiments/bench/scenarios.py", *given])
    print(f"`{command}`: "
          f"{(time.time() - t0) / 60:.1f} min, {sizes['consumers']:,} consumers x {sizes['stores']} stores, "
          f"{sizes['days']} recorded days, median of {sizes['repeats']}")
    print()
    print("\n".join(table(results)))
    print()
    print(summary(results))
    if a.json:
        a.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
