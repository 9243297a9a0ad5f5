"""Worked example: Sobol sensitivity of the push-coupon campaign (``configs/experiment/sobol_campaign.yaml``).

Four levers (discount, geo-fence radius, send hour, open rate) over their ranges;
192 sample points on one common seed (192 runs of 3,000 consumers over 30 days, about
4 minutes on 2 cores). Extra arguments are passed to ``o2o-sim``, e.g. ``launcher=ray_local``.
Writes into ``--out`` (default
``outputs/research``): ``<out>/sobol.png`` and ``<out>/sobol.md`` (the indices).

Usage (from the repository root)::

    .venv/bin/python experiments/research/sobol.py [launcher=ray_local|submitit_local|slurm|ray_cluster]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from _common import markdown_table, publish, run_study, write_doc  # noqa: E402


def main(argv: list[str]) -> int:
    sweep_dir = run_study("sobol_campaign", argv)
    table = pd.read_parquet(sweep_dir / "sensitivity.parquet")
    wide = table.pivot_table(index=["kpi", "parameter"], columns="index",
                             values=["value", "ci_low", "ci_high"], sort=False)

    def cell(idx: str) -> list[str]:
        return [f"{v:.2f} [{lo:.2f}, {hi:.2f}]" for v, lo, hi in
                zip(wide[("value", idx)], wide[("ci_low", idx)], wide[("ci_high", idx)], strict=True)]

    rows = pd.DataFrame({"KPI": [k for k, _ in wide.index], "parameter": [p for _, p in wide.index],
                         "S1 [95% CI]": cell("S1"), "ST [95% CI]": cell("ST")})
    publish(sweep_dir / "sensitivity.png", "sobol.png")
    text = (f"Sobol indices from `{sweep_dir.relative_to(Path.cwd())}` "
            f"(`o2o-sim {' '.join(['+experiment=sobol_campaign', *argv])}`)\n\n" + markdown_table(rows))
    write_doc("sobol.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
