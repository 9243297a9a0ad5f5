"""The O2O-vs-OMO study script (experiments/o2o_vs_omo/run.py) end to end at a tiny size."""

from __future__ import annotations

import pandas as pd
from conftest import load_script


def _load():
    return load_script("experiments/o2o_vs_omo/run.py")


def test_study_writes_its_report(tmp_path, capsys):
    study = _load()
    out = tmp_path / "study"
    args = ["--reps", "2", "--days", "5", "--consumers", "600", "--jobs", "1", "--out", str(out)]
    assert study.main(args) == 0
    for name in ("comparison.md", "comparison.parquet", "runs_a.parquet", "runs_b.parquet", "RESULTS.md"):
        assert (out / name).stat().st_size > 0, name
    for name in ("uplift.png", "funnel_side_by_side.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (out / name).stat().st_size > 5_000

    table = pd.read_parquet(out / "comparison.parquet")
    runs_a = pd.read_parquet(out / "runs_a.parquet")
    expected = {k for k in study.KPI_CANDIDATES if k in runs_a.columns}
    core = {"visits", "purchases", "unique_customers", "repeat_rate", "revenue", "campaign_spend",
            "mean_wait_min", "balk_rate", "final_mean_rating", "members", "omo_avoided_trips"}
    assert core <= expected
    kpi_rows = table[table["kpi"].isin(expected)]
    assert set(kpi_rows["kpi"]) == expected  # every available KPI has a row (extra money rows allowed)
    assert (kpi_rows["n"] == 2).all()
    assert {"diff", "ci_low", "ci_high", "narrowing"} <= set(table.columns)
    # OMO's lever counters are 0 in the O2O arm, by construction
    row = table.set_index("kpi").loc["omo_avoided_trips"]
    assert row["mean_a"] == 0

    results = (out / "RESULTS.md").read_text()
    assert "experiments/o2o_vs_omo/run.py --reps 2 --days 5 --consumers 600 --jobs 1" in results
    assert "o2o_reference" in results and "omo_full" in results
    for kpi in expected:
        assert f"| {kpi} |" in results
    interpretation = results.split("## Interpretation", 1)[1]
    assert interpretation.count("\n1. ") == 1 and "\n3. " in interpretation
    assert "| visits |" in (out / "comparison.md").read_text()
    assert str(out.resolve()) in capsys.readouterr().out


def test_study_refuses_bad_input(tmp_path, capsys):
    study = _load()
    assert study.main(["--reps", "1", "--out", str(tmp_path / "x")]) == 2
    assert "--reps" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
