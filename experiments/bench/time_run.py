"""Time one engine workload: median wall time of repeated runs and peak memory.

Usage:
    python experiments/bench/time_run.py --consumers 50000 --stores 100 --days 90 --repeats 3

Prints one Markdown table row (workload, median s, min-max s, consumer-days/s,
peak RSS MB). Each repeat runs in a fresh process so peak RSS is per run. Besides the
whole run (set-up, warm-up, recorded days), the recorded days' steps are timed alone:
their consumer-days/s is the rate compared with the plain-Mesa baseline, whose time
is its daily steps too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = """
import json, resource, time
from sim.config import SimConfig
from sim.engine.model import O2OModel
from sim.engine.runner import run
stepped = [0.0]  # seconds in the recorded days' steps (after set-up and warm-up)
plain_step = O2OModel.step
def timed_step(self):
    t = time.perf_counter()
    plain_step(self)
    if self.day > 0:  # the day just stepped was a recorded one
        stepped[0] += time.perf_counter() - t
O2OModel.step = timed_step
cfg = SimConfig(seed={seed}, days={days})
cfg.population.size = {consumers}
cfg.stores.count = {stores}
t0 = time.perf_counter()
res = run(cfg)
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"wall": wall, "days_s": stepped[0], "rss_mb": rss, "visits": res.summary["visits"]}}))
"""


def measure(consumers: int, stores: int, days: int, repeats: int, seed: int = 0,
            pin: list[str] | None = None) -> dict:
    """Median, range and peak RSS of ``repeats`` runs, each in a fresh process (``pin``: e.g. taskset)."""
    walls, days_s, rss, visits = [], [], [], 0
    for _ in range(repeats):
        code = CHILD.format(seed=seed, days=days, consumers=consumers, stores=stores)
        out = subprocess.run([*(pin or []), sys.executable, "-c", code], check=True, capture_output=True,
                             text=True)
        rec = json.loads(out.stdout.strip().splitlines()[-1])
        walls.append(rec["wall"])
        days_s.append(rec["days_s"])
        rss.append(rec["rss_mb"])
        visits = rec["visits"]
    med = statistics.median(walls)
    return {"consumers": consumers, "stores": stores, "days": days, "repeats": repeats, "median_s": med,
            "min_s": min(walls), "max_s": max(walls), "cd_per_s": consumers * days / med,
            "days_cd_per_s": consumers * days / statistics.median(days_s),
            "rss_mb": max(rss), "visits": visits}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--consumers", type=int, default=50_000)
    ap.add_argument("--stores", type=int, default=100)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    w = measure(a.consumers, a.stores, a.days, a.repeats, a.seed)
    print(f"| {a.consumers:,} consumers x {a.stores} stores x {a.days} days | {w['median_s']:.2f} | "
          f"{w['min_s']:.2f}-{w['max_s']:.2f} | {w['cd_per_s']:,.0f} | {w['rss_mb']:.0f} | "
          f"{w['visits']:,} |")


if __name__ == "__main__":
    main()
