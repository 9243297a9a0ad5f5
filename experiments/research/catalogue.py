"""Worked example: every run and sweep under ``multirun/`` read back as one Parquet dataset.

Opens the catalogue (:func:`sim.studies.catalogue.open_dataset`), counts the runs of each experiment,
and plots visits against campaign spend for every finished run, one colour per experiment,
reading only the columns it needs. Run the other examples first (``sobol.py``, ``optimize.py``)
so there is something to read. Writes into ``--out`` (default
``outputs/research``): ``<out>/catalogue.png`` and ``catalogue.md``.

Usage (from the repository root)::

    .venv/bin/python experiments/research/catalogue.py [FOLDER]   # default: multirun
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow.dataset as ds  # noqa: E402
from _common import REPO, markdown_table, save_figure, write_doc  # noqa: E402

from sim.studies.catalogue import open_dataset  # noqa: E402


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else REPO / "multirun"
    dataset = open_dataset(folder)
    columns = ["experiment", "run", "status", "visits", "campaign_spend", "attributed_roi"]
    table = dataset.to_table(columns=columns, filter=ds.field("status") == "ok")
    frame = table.to_pandas()
    summary = frame.groupby("experiment").agg(runs=("run", "size"), mean_visits=("visits", "mean"),
                                              mean_spend=("campaign_spend", "mean")).reset_index()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, sub in frame.groupby("experiment"):
        ax.scatter(sub["campaign_spend"], sub["visits"], s=10, alpha=0.6, label=f"{name} ({len(sub)} runs)")
    ax.set_xlabel("campaign spend (currency)")
    ax.set_ylabel("store visits over the run")
    ax.set_title(f"The catalogue: {len(frame)} finished runs from {frame['experiment'].nunique()} "
                 "experiments, one dataset", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, "catalogue.png")
    md = (f"`open_dataset('{folder.relative_to(REPO) if folder.is_relative_to(REPO) else folder}')`: "
          f"{dataset.count_rows()} rows (runs), {len(dataset.schema.names)} columns, partitions "
          f"{sorted(frame['experiment'].unique())}.\n\n" + markdown_table(summary, ".1f"))
    write_doc("catalogue.md", md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
