"""``make bench``: every performance workload, measured, written to docs/PERFORMANCE.md.

Workloads (targets from the project's performance issues):

* M - 50,000 consumers x 100 stores x 90 days, one core, median of 3, end to end (target <= 1 s);
* L - 1,000,000 consumers x 1,000 stores x 30 days, one core (target <= 60 s, <= 4 GB);
* sweep - 100 runs of 5,000 consumers x 50 stores x 60 days on 2 cores, end to end (target <= 60 s);
* scaling - 10^3 to 10^6 consumers (1 store per 1,000 consumers, 30 days), and 15 to 120
  days at 50,000 consumers: the curves;
* baseline - the same daily decisions in plain Mesa against the engine (target >= 50x), and
  the engine running the default push-coupon campaign against it at 50,000 consumers
  (target >= 100x; ``plain_mesa.py --scenario default``);
* scenarios - every scenario's time per simulated day at 50,000 consumers x 100 stores
  against the ``baseline`` scenario's (target <= 1.5x; ``scenarios.py``);
* start-up - ``import sim`` (target <= 0.3 s), ``o2o-sim`` refusing a bad value (<= 0.5 s) and
  the default ``make run`` end to end (<= 1.5 s), fresh processes (``startup.py``).

Each engine run is a fresh process (``time_run.py``), so peak RSS is per run.
The generated block of docs/PERFORMANCE.md (between the ``bench:begin`` and
``bench:end`` markers) is replaced; the rest of the file is kept. The scaling
plot goes to docs/img/scaling.png. Every table names the command that measures it.

Usage::

    .venv/bin/python experiments/bench/run.py [--quick] [--out PATH]

``--quick`` runs every part at small sizes (a smoke run of the harness, under a minute) and
prints the block without writing docs/PERFORMANCE.md or the plot unless ``--out`` / ``--plot``
are given; ``make bench BENCH_ARGS=--quick`` runs it. The full run takes about 8 minutes.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import startup  # noqa: E402
import time_run  # noqa: E402

import scenarios  # noqa: E402

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

SWEEP_CHILD = """
import time
from joblib import Parallel, delayed
from sim.config import SimConfig
from sim.engine.runner import run
def one(seed):
    cfg = SimConfig(seed=seed, days={days})
    cfg.population.size, cfg.stores.count = {consumers}, {stores}
    return run(cfg).summary["visits"]
t0 = time.perf_counter()
Parallel(n_jobs=2)(delayed(one)(s) for s in range({runs}))
print(time.perf_counter() - t0)
"""


def _pinned() -> list[str]:
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


def workload(consumers: int, stores: int, days: int, repeats: int) -> dict:
    """Median and range of ``repeats`` runs on one core (``time_run.measure``)."""
    return time_run.measure(consumers, stores, days, repeats, pin=_pinned())


def sweep(runs: int, consumers: int, stores: int, days: int, repeats: int) -> dict:
    """Median and range of the wall seconds of ``runs`` independent runs on 2 worker processes."""
    code = SWEEP_CHILD.format(runs=runs, consumers=consumers, stores=stores, days=days)
    walls = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                             cwd=REPO)
        walls.append(float(out.stdout.strip().splitlines()[-1]))
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "cd_per_s": runs * consumers * days / statistics.median(walls)}


def baseline(consumers: int, stores: int, days: int, repeats: int, scenario: str | None = None) -> dict:
    """Median (plain-Mesa, engine) consumer-days/s of the daily steps on the same workload.

    With ``scenario``, the engine runs that scenario with its campaign (``--scenario``); plain Mesa
    runs the same city and people without a campaign.
    """
    cmd = [*_pinned(), sys.executable, str(HERE / "plain_mesa.py"), "--consumers", str(consumers),
           "--stores", str(stores), "--days", str(days)] + (["--scenario", scenario] if scenario else [])
    plain, engine = [], []
    for _ in range(repeats):
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO).stdout
        rates = [float(m.replace(",", "")) for m in re.findall(r"([\d,]+) consumer-days/s", out)]
        plain.append(rates[0])
        engine.append(rates[1])
    shown = " ".join(["python experiments/bench/plain_mesa.py", *cmd[cmd.index("--consumers"):]])
    return {"consumers": consumers, "stores": stores, "days": days, "scenario": scenario,
            "plain": statistics.median(plain), "engine": statistics.median(engine),
            "ratio": statistics.median(e / p for e, p in zip(engine, plain, strict=True)),
            "command": shown, "target": 100 if scenario else 50}


def plot_scaling(consumers: list[int], seconds: list[float], days: list[int], day_seconds: list[float],
                 warmup: int, path: Path, scaling_days: int = 30,
                 day_size: tuple[int, int] = (50_000, 100)) -> None:
    """Wall time against consumers (slope-1 guide through the largest run) and against days (fitted line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.6))
    ax.loglog(consumers, seconds, "o-", label=f"engine, {scaling_days} days")
    ax.loglog(consumers, [seconds[-1] * x / consumers[-1] for x in consumers], "k--", lw=1,
              label="linear (through the largest run)")
    ax.set_xlabel("consumers (1 store per 1,000)")
    ax.set_ylabel("wall seconds (one core)")
    ax.set_title(f"Against consumers, {scaling_days} days (+{warmup} warm-up)", fontsize=8)
    ax.legend(fontsize=8)
    simulated = [d + warmup for d in days]
    bx.plot(simulated, day_seconds, "o-", label=f"engine, {day_size[0]:,} consumers")
    import numpy as np

    per_day, fixed = np.polyfit(simulated, day_seconds, 1)
    bx.plot([0, simulated[-1]], [fixed, fixed + per_day * simulated[-1]], "k--", lw=1,
            label=f"least squares: {fixed:.1f} s + {per_day * 1000:.0f} ms/day")
    bx.set_xlim(0, simulated[-1] * 1.05)
    bx.set_ylim(0, max(day_seconds) * 1.1)
    bx.set_xlabel(f"simulated days (recorded + {warmup} warm-up)")
    bx.set_ylabel("wall seconds (one core)")
    bx.set_title(f"Against days, {day_size[0]:,} consumers x {day_size[1]} stores", fontsize=8)
    bx.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _row(w: dict, label: str, versus_plain: str, target: str = "") -> str:
    return (f"| {label} | {w['median_s']:.2f} | {w['min_s']:.2f}-{w['max_s']:.2f} | {w['cd_per_s']:,.0f} | "
            f"{w['rss_mb']:,.0f} | {versus_plain} | {target} |")


def _time_run_command(w: dict) -> str:
    return (f"python experiments/bench/time_run.py --consumers {w['consumers']} --stores {w['stores']} "
            f"--days {w['days']} --repeats {w['repeats']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="small sizes: checks the harness, not the targets; prints the block only")
    ap.add_argument("--out", type=Path, default=None, help="default docs/PERFORMANCE.md (none with --quick)")
    ap.add_argument("--plot", type=Path, default=None,
                    help="default docs/img/scaling.png (none with --quick)")
    a = ap.parse_args(argv)
    q = a.quick
    out = a.out if a.out is not None or q else REPO / "docs" / "PERFORMANCE.md"
    plot = a.plot if a.plot is not None or q else REPO / "docs" / "img" / "scaling.png"
    t0 = time.time()
    reps = 1 if q else 3  # the targets are medians of at least 3 runs
    m = workload(5000 if q else 50_000, 50 if q else 100, 10 if q else 90, reps)
    big = workload(20_000 if q else 1_000_000, 20 if q else 1000, 5 if q else 30, reps)
    sweep_n = 4 if q else 100
    sweep_w = sweep(sweep_n, 2000 if q else 5000, 20 if q else 50, 10 if q else 60, reps)
    sizes = [1000, 3000] if q else [1000, 10_000, 100_000]
    scaling = [workload(n, max(10, n // 1000), 5 if q else 30, reps) for n in sizes]
    if not q:  # L is the 10^6 point of the curve (same size, stores and days)
        scaling.append(big)
    day_counts = [5, 10] if q else [15, 30, 60, 120]
    by_days = [workload(3000 if q else 50_000, 10 if q else 100, d, reps) for d in day_counts]
    baselines = ([baseline(2000, 20, 3, 1), baseline(2000, 20, 7, 1, scenario="default")] if q
                 else [baseline(5000, 50, 20, reps), baseline(50_000, 100, 10, reps),
                       baseline(50_000, 100, 14, reps, scenario="default")])
    per_scenario = scenarios.QUICK if q else scenarios.FULL
    scenario_rows = scenarios.measure(list(scenarios.SCENARIOS), in_process=q, **per_scenario)
    startup_reps = 2 if q else 7
    starts = startup.measure(startup_reps)
    from sim.config import SimConfig

    if plot is not None:
        plot_scaling([w["consumers"] for w in scaling], [w["median_s"] for w in scaling], day_counts,
                     [w["median_s"] for w in by_days], SimConfig().warmup_days, plot,
                     scaling[0]["days"], (by_days[0]["consumers"], by_days[0]["stores"]))

    organic = [b for b in baselines if b["scenario"] is None]

    def times_plain(w: dict) -> str:  # recorded days against the plain-Mesa days at the nearest size
        near = min(organic, key=lambda b: abs(math.log(b["consumers"] / w["consumers"])))
        return f"{w['days_cd_per_s'] / near['plain']:.1f}x"

    def engine_label(b: dict) -> str:
        return f"engine with scenario {b['scenario']}'s campaign" if b["scenario"] else "engine, no campaign"

    command = "python experiments/bench/run.py" + (" --quick" if q else "")
    scenario_command = scenarios.command_line(**per_scenario) + (" --in-process" if q else "")
    startup_command = f"python experiments/bench/startup.py --repeats {startup_reps}"
    lines = [BEGIN, "", f"Generated by `make bench` (`{command}`) in {(time.time() - t0) / 60:.1f} min; "
             f"medians of {reps} runs. One core pinned (`taskset -c 0`) except the sweep (2 workers) and "
             "the start-up commands; each engine run is a fresh process, its time including set-up, "
             "warm-up and loading the compiled kernels. Each table below names the command that "
             "measures it alone.", "",
             f"Workloads, end to end: each row is `taskset -c 0 {_time_run_command(m)}` with the row's "
             "sizes (M's command shown).", "",
             "| workload | median s | min-max s | consumer-days/s | peak RSS MB | x plain Mesa | target |",
             "|---|---|---|---|---|---|---|",
             _row(m, f"M: {m['consumers']:,} x {m['stores']} stores x {m['days']} days", times_plain(m),
                  "<= 1 s"),
             _row(big, f"L: {big['consumers']:,} x {big['stores']} stores x {big['days']} days",
                  times_plain(big), "<= 60 s, <= 4 GB"),
             *[_row(w, f"scaling: {w['consumers']:,} x {w['stores']} x {w['days']} days", times_plain(w))
               for w in scaling],
             *[_row(w, f"days: {w['consumers']:,} x {w['stores']} x {w['days']} days", times_plain(w))
               for w in by_days], "",
             f"Sweep: {sweep_n} runs on 2 workers, end to end: median {sweep_w['median_s']:.1f} s "
             f"({sweep_w['min_s']:.1f}-{sweep_w['max_s']:.1f}; target <= 60 s; `{command}` only: joblib "
             "over `sim.engine.runner.run`).", "",
             "Plain-Mesa baseline (`experiments/bench/plain_mesa.py`), daily steps only, on the same "
             "workload as the engine (the engine's kernels loaded first). The 'x plain Mesa' column above "
             "divides the rate of each run's recorded days (set-up and warm-up excluded, as for the "
             "baseline) by the plain-Mesa rate at the nearest of the sizes without a campaign. With a "
             "campaign (`--scenario`), the engine runs the scenario's campaign and plain Mesa the same "
             "city and people without one (it has no levers), so that ratio is a lower bound:", "",
             "| workload | plain Mesa consumer-days/s | engine consumer-days/s | engine / plain Mesa "
             "| target | command |",
             "|---|---|---|---|---|---|",
             *[f"| {b['consumers']:,} x {b['stores']} stores x {b['days']} days, {engine_label(b)} | "
               f"{b['plain']:,.0f} | {b['engine']:,.0f} | {b['ratio']:.1f}x | >= {b['target']}x | "
               f"`{b['command']}` |" for b in baselines], "",
             f"Scenarios: time per simulated day at {per_scenario['consumers']:,} consumers x "
             f"{per_scenario['stores']} stores (`{scenario_command}`). Each scenario in a fresh process "
             "pinned to one core" + (" (here all in one process)" if q else "") + ": a small model of "
             "it first, to load the compiled kernels its days use, then for each repeat a new model "
             f"built and warmed up (untimed) and its {per_scenario['days']} recorded days timed step "
             "by step; the mean day of each repeat, median of "
             f"{per_scenario['repeats']}. The scenario's own settings (warm-up, city) are kept.", "",
             *scenarios.table(scenario_rows), "",
             scenarios.summary(scenario_rows), "",
             f"Start-up (`{startup_command}`): fresh processes, each timed from its start to its end, "
             f"median of {startup_reps} after one untimed run; `python -m sim` is `make run`'s command "
             "(compose and check the config, simulate, write the results, figures and report), run in a "
             "temporary folder.", "",
             *startup.table(starts), ""]
    if plot is not None:
        page_dir = out.parent if out is not None else REPO / "docs"
        lines += [f"![Scaling]({os.path.relpath(plot, page_dir)})", ""]
    lines.append(END)
    block = "\n".join(lines)
    if out is not None:
        text = out.read_text() if out.exists() else "# Performance\n"
        if BEGIN in text and END in text:
            text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
        else:
            head, _, rest = text.partition("\n")
            text = head + "\n\n" + block + "\n" + rest
        tmp = out.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, out)
    print(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
