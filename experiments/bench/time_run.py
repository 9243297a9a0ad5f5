"""Time one engine workload: median wall time of repeated runs and peak memory.

Usage:
    python experiments/bench/time_run.py --consumers 50000 --stores 100 --days 90 --repeats 3

Prints one Markdown table row (workload, median s, min-max s, consumer-days/s,
peak RSS MB). Each repeat runs in a fresh process so peak RSS is per run.
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
from sim.runner import run
cfg = SimConfig(seed={seed}, days={days})
cfg.population.size = {consumers}
cfg.stores.count = {stores}
t0 = time.perf_counter()
res = run(cfg)
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"wall": wall, "rss_mb": rss, "visits": res.summary["visits"]}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--consumers", type=int, default=50_000)
    ap.add_argument("--stores", type=int, default=100)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    walls, rss, visits = [], [], 0
    for _ in range(a.repeats):
        code = CHILD.format(seed=a.seed, days=a.days, consumers=a.consumers, stores=a.stores)
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        rec = json.loads(out.stdout.strip().splitlines()[-1])
        walls.append(rec["wall"])
        rss.append(rec["rss_mb"])
        visits = rec["visits"]
    med = statistics.median(walls)
    print(f"| {a.consumers:,} consumers x {a.stores} stores x {a.days} days | {med:.2f} | "
          f"{min(walls):.2f}-{max(walls):.2f} | {a.consumers * a.days / med:,.0f} | {max(rss):.0f} | "
          f"{visits:,} |")


if __name__ == "__main__":
    main()
