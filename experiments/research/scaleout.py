"""Worked example: one Sobol file on two cluster launchers, with a lost node in between.

The study of ``configs/experiment/sobol_campaign.yaml`` at a screening size (n = 8:
48 sample points of 1,000 consumers over 20 days) runs first through
``launcher=submitit_local`` (the SLURM code path: every run a submitit job). Then a
third of the runs are lost, as when a node goes down (their ``status.json`` is
deleted), and the same command resumes through ``launcher=ray_local`` (a local Ray
instance, the Ray cluster code path): only the lost runs are run again, and the
indices come out identical, since every run is keyed by its settings and seed.

Writes into ``--out`` (default
``outputs/research``): ``<out>/scaleout.png`` (runs per launcher and wall time; the indices
of the first pass against those after the resume) and ``<out>/scaleout.md``.

Usage (from the repository root)::

    .venv/bin/python experiments/research/scaleout.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from _common import REPO, markdown_table, save_figure, write_doc  # noqa: E402

STUDY = ["+experiment=sobol_campaign", "population.size=1000", "stores.count=10", "days=20",
         "sensitivity.n=8", "hydra.sweep.dir=multirun/scaleout_example"]
LOST_SHARE = 3  # every third run is lost


def _run(launcher: str) -> tuple[float, str]:
    """``o2o-sim`` with the study and ``launcher``; its wall seconds and stderr."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "sim", *STUDY, f"launcher={launcher}"], cwd=REPO,
                         capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"launcher={launcher}: o2o-sim exited with status {out.returncode}\n"
                         f"{out.stderr[-3000:]}")
    return time.perf_counter() - start, out.stderr


def _figure(passes: list[dict], first: pd.DataFrame, resumed: pd.DataFrame, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    names = [p["label"] for p in passes]
    ran = [p["ran"] for p in passes]
    skipped = [p["skipped"] for p in passes]
    ax.barh(names, ran, color="tab:blue", label="runs made")
    ax.barh(names, skipped, left=ran, color="lightgrey", label="finished before: skipped")
    for y, p in enumerate(passes):
        ax.text(p["ran"] + p["skipped"] + 0.5, y, f"{p['seconds']:.0f} s", va="center", fontsize=8)
    ax.set_xlim(0, max(r + s for r, s in zip(ran, skipped, strict=True)) * 1.2)
    ax.set_xlabel("sample points of the study")
    ax.set_title("Runs per pass (a third lost in between)", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    ax.invert_yaxis()
    merged = first.merge(resumed, on=["kpi", "parameter", "index"], suffixes=("_first", "_resumed"))
    for kind, marker in (("S1", "o"), ("ST", "s")):
        part = merged[merged["index"] == kind]
        bx.scatter(part["value_first"], part["value_resumed"], marker=marker, label=kind, alpha=0.8)
    lo = min(merged["value_first"].min(), 0.0) - 0.05
    hi = max(merged["value_first"].max(), 1.0) + 0.05
    bx.plot([lo, hi], [lo, hi], "k--", lw=1, label="identical")
    bx.set_xlabel("index after the first pass (submitit_local)")
    bx.set_ylabel("index after the resume (ray_local)")
    bx.set_title(f"Sobol indices, {merged['kpi'].nunique()} KPIs x {merged['parameter'].nunique()} levers\n"
                 "(n = 8: the values are noise; the match is the point)", fontsize=9)
    bx.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, name)


def _spread(indices: pd.DataFrame) -> str:
    """How far the indices stray, in words (from the data, not assumed)."""
    values = indices.loc[indices["index"].isin(["S1", "ST"]), "value"]
    outside = int(((values < 0) | (values > 1)).sum())
    return (f"they range from {values.min():.2f} to {values.max():.2f}, {outside} of {values.size} "
            "outside [0, 1]")


def main() -> int:
    sweep_dir = REPO / "multirun" / "scaleout_example"
    if sweep_dir.exists():  # start from nothing, so both passes are measured
        import shutil

        shutil.rmtree(sweep_dir)
    seconds, _ = _run("submitit_local")
    runs = pd.read_parquet(sweep_dir / "sweep.parquet")
    if not (runs["status"] == "ok").all():
        raise SystemExit("the first pass left runs unfinished")
    first = pd.read_parquet(sweep_dir / "sensitivity.parquet")
    lost = runs["run"].iloc[::LOST_SHARE].tolist()
    for key in lost:  # the node holding these runs went down
        (sweep_dir / key / "status.json").unlink()
    resumed_s, log = _run("ray_local")
    resumed = pd.read_parquet(sweep_dir / "sensitivity.parquet")
    identical = first.equals(resumed)
    passes = [{"label": "submitit_local", "ran": len(runs), "skipped": 0, "seconds": seconds},
              {"label": "ray_local (resume)", "ran": len(lost), "skipped": len(runs) - len(lost),
               "seconds": resumed_s}]
    _figure(passes, first, resumed, "scaleout.png")
    table = pd.DataFrame({"pass": [p["label"] for p in passes], "runs made": [p["ran"] for p in passes],
                          "skipped (finished before)": [p["skipped"] for p in passes],
                          "wall s": [round(p["seconds"], 1) for p in passes]})
    resume_line = next((line for line in log.splitlines() if "already finished" in line), "")
    text = (f"`o2o-sim {' '.join(STUDY)}` with `launcher=submitit_local`, then "
            f"{len(lost)} of {len(runs)} runs lost and the same command with `launcher=ray_local`.\n\n"
            + markdown_table(table, ".1f")
            + f"\nResume message: `{resume_line.strip()}`. Indices after the resume identical to the "
            f"first pass: {identical}. At n = 8 the indices themselves are noise ({_spread(first)}); "
            "the study's own size is n = 32 and more (docs/RESEARCH.md). Each submitit job starts a "
            "Python process of its own, hence the first pass's time.\n")
    write_doc("scaleout.md", text)
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
