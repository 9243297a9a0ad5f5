"""Check that an optimisation left results unchanged: run scenarios here and at another revision.

Usage::

    python experiments/bench/same_results.py --against HEAD~1 [--scenarios default omo_full ...]
        [--consumers 4000 --stores 30 --days 30 --seed 0]

For each scenario, one run of the working tree and one of ``--against`` (a
git revision, checked out into a temporary worktree) on the same config; the
daily, store-day, coupon and store frames and the summary must be identical. Prints one line per scenario
and exits with status 1 if any differs. Both runs use this checkout's Python
environment, so compare revisions with the same dependencies. Results are
identical only on the same machine: numeric libraries may round differently
on other CPUs.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIOS = tuple(sorted(p.stem for p in (REPO / "scenarios").glob("*.yaml")))  # every scenario

CHILD = """
import pickle, sys
sys.path.insert(0, {root!r})
from sim import load_config, run  # the package's own names: the same in every layout
frames = {{}}
for scenario in {scenarios!r}:
    cfg = load_config([f"scenario={{scenario}}", "population.size={consumers}", "stores.count={stores}",
                       "days={days}", "seed={seed}"])
    result = run(cfg)
    frames[scenario] = (result.daily, result.stores, result.coupons, result.store_info,
                        repr(sorted(result.summary.items())))
with open({out!r}, "wb") as fh:
    pickle.dump(frames, fh)
"""


def frames_at(root: Path, out: Path, a: argparse.Namespace) -> dict:
    """Run every scenario with the code under ``root``: its frames and its summary (as text)."""
    code = CHILD.format(root=str(root), scenarios=tuple(a.scenarios), consumers=a.consumers, stores=a.stores,
                        days=a.days, seed=a.seed, out=str(out))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
    with open(out, "rb") as fh:
        return pickle.load(fh)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="git revision to compare with, e.g. HEAD~1")
    ap.add_argument("--scenarios", nargs="+", default=list(DEFAULT_SCENARIOS))
    ap.add_argument("--consumers", type=int, default=4000)
    ap.add_argument("--stores", type=int, default=30)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "other"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), a.against], check=True,
                       cwd=REPO)
        try:
            theirs = frames_at(tree, Path(tmp) / "theirs.pkl", a)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], check=True, cwd=REPO)
        ours = frames_at(REPO, Path(tmp) / "ours.pkl", a)
    differ = []
    for scenario in a.scenarios:
        same = all(x == y if isinstance(x, str) else x.equals(y)
                   for x, y in zip(ours[scenario], theirs[scenario], strict=True))
        print(f"{scenario:24s} {'identical' if same else 'DIFFERENT'}")
        if not same:
            differ.append(scenario)
    print(f"{len(a.scenarios) - len(differ)} of {len(a.scenarios)} scenarios identical to {a.against}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
