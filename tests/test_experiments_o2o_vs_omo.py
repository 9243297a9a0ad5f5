"""The O2O-vs-OMO study script (experiments/o2o_vs_omo/run.py) end to end at a tiny size."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import load_script

import sim

TINY = ["--reps", "2", "--days", "5", "--consumers", "600", "--jobs", "1"]
TINY_OVERRIDES = ["days=5", "population.size=600"]


def _load():
    return load_script("experiments/o2o_vs_omo/run.py")


@pytest.fixture(scope="module")
def study_out(tmp_path_factory):
    """One tiny run of the whole study (with the feature decomposition), shared by the tests below."""
    study = _load()
    out = tmp_path_factory.mktemp("study")
    import contextlib
    import io

    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = study.main([*TINY, "--out", str(out)])
    assert status == 0
    return study, out, stdout.getvalue()


def test_study_writes_its_report(study_out):
    study, out, stdout = study_out
    for name in ("comparison.md", "comparison.parquet", "runs_a.parquet", "runs_b.parquet", "RESULTS.md"):
        assert (out / name).stat().st_size > 0, name
    for name in ("uplift.png", "funnel_side_by_side.png", "loop.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (out / name).stat().st_size > 5_000

    table = pd.read_parquet(out / "comparison.parquet")
    runs_a = pd.read_parquet(out / "runs_a.parquet")
    expected = {k for k in study.KPI_CANDIDATES if k in runs_a.columns}
    core = {"brand_visits", "brand_purchases", "brand_customers", "brand_spend", "brand_contribution",
            "others_contribution", "platform_contribution", "visits", "purchases", "unique_customers",
            "repeat_rate", "mean_wait_min", "balk_rate", "final_mean_rating", "members", "omo_avoided_trips"}
    assert core <= expected
    kpi_rows = table[table["kpi"].isin(expected)]
    assert set(kpi_rows["kpi"]) == expected  # every available KPI has a row (extra money rows allowed)
    assert (kpi_rows["n"] == 2).all()
    assert {"incremental_roi", "cac", "cost_per_incremental_visit"} <= set(table["kpi"])
    assert {"diff", "ci_low", "ci_high", "narrowing", "unit"} <= set(table.columns)
    units = table.set_index("kpi")["unit"]
    assert units["brand_contribution"] == "CNY" and units["omo_points"] == "CNY"
    # OMO's lever counters are 0 in the O2O arm, by construction
    row = table.set_index("kpi").loc["omo_avoided_trips"]
    assert row["mean_a"] == 0

    results = (out / "RESULTS.md").read_text()
    assert "experiments/o2o_vs_omo/run.py --reps 2 --days 5 --consumers 600 --jobs 1" in results
    assert "--no-features" not in results
    assert "o2o_reference" in results and "omo_full" in results
    assert "upper bound" not in results
    for kpi in expected:
        assert f"| {kpi} |" in results
    head, rest = results.split("## Interpretation", 1)
    interpretation = rest.split("## Which OMO features pay", 1)[0]
    assert interpretation.count("\n1. ") == 1 and "\n3. " in interpretation
    assert "**Money (CNY).**" in interpretation
    assert "| visits |" in (out / "comparison.md").read_text()
    assert str(out.resolve()) in stdout


def test_feature_outputs_hold_a_row_per_arm(study_out):
    study, out, _ = study_out
    feats = pd.read_parquet(out / "features.parquet")
    keys = set(feats["contrast"])
    for f in study.FEATURES:
        assert {f"alone:{f}", f"without:{f}", f"inside:{f}"} <= keys, f
    assert "full" in keys and len(feats) == 1 + 3 * len(study.FEATURES)
    assert set(feats["group"]) == {"package", "added alone", "removed", "inside the package"}
    assert set(feats["verdict"]) <= {"pays", "loses", "not settled"}
    assert (feats["n"] == 2).all() and (feats["currency"] == "CNY").all()
    # the verdict follows the paired CI of the brand's incremental profit
    for r in feats.itertuples():
        lo, hi = r.d_brand_contribution_low, r.d_brand_contribution_high
        assert r.verdict == ("pays" if lo > 0 else "loses" if hi < 0 else "not settled")
    # every arm with the OMO lever pays its running cost (30/store/day x 6 stores x 5 days); it cancels inside
    running = feats.set_index("contrast")["running_cost_diff"]
    assert running["alone:pickup"] == running["without:delivery"] == 30.0 * 6 * 5
    assert running["inside:pickup"] == 0

    sens = pd.read_parquet(out / "features_sensitivity.parquet")
    assert len(sens) == len(feats) * sens["terms"].nunique()
    assert set(sens["delivery_operator"]) == {"platform", "brand"}
    assert {0.0, 0.1, 0.2, 0.3} <= set(sens.loc[sens["delivery_operator"] == "platform",
                                                 "delivery_commission_rate"])
    be = pd.read_parquet(out / "features_breakeven.parquet")
    assert list(be["contrast"]) == list(feats["contrast"])
    assert (out / "feature_profit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "feature_profit.png").stat().st_size > 10_000

    results = (out / "RESULTS.md").read_text()
    section = results.split("## Which OMO features pay", 1)[1]
    for label in feats["label"]:
        assert f"| {label} |" in section, label
    assert "feature_profit.png" in section and "### Commission and delivery cost" in section
    assert "is paid whenever the lever is on" in section


def test_recomputed_profit_matches_the_runs(study_out):
    study, out, _ = study_out
    cfg = sim.load_config(["scenario=omo_full", *TINY_OVERRIDES])
    terms = study.default_terms(cfg)
    runs = pd.read_parquet(out / "features_runs.parquet")
    by_arm = {arm: frame.reset_index(drop=True) for arm, frame in runs.groupby("arm")}
    feats = pd.read_parquet(out / "features.parquet").set_index("contrast")
    sens = pd.read_parquet(out / "features_sensitivity.parquet")
    default = sens[sens["default"]].set_index("contrast")
    assert len(default) == len(feats)
    for c in study.contrasts():
        a = by_arm[c.arm_a].set_index("seed").sort_index()["brand_contribution"]
        b = by_arm[c.arm_b].set_index("seed").sort_index()["brand_contribution"]
        from_runs = float((b - a).mean())  # the runs' own Δ brand profit, paired by seed
        recomputed = float(study.delta(by_arm, c, terms).mean())
        scale = max(1.0, abs(from_runs))
        assert recomputed == pytest.approx(from_runs, abs=1e-6 * scale), c.key
        assert feats.loc[c.key, "d_brand_contribution"] == pytest.approx(from_runs, abs=1e-6 * scale), c.key
        assert default.loc[c.key, "diff"] == pytest.approx(from_runs, abs=1e-6 * scale), c.key
    # a delivery arm's profit does depend on the delivery commission
    alone = next(c for c in study.contrasts() if c.key == "alone:delivery")
    if by_arm["alone:delivery"]["brand_delivery_sales"].sum() > 0:
        zero = study.delta(by_arm, alone, {**terms, "delivery_commission_rate": 0.0}).mean()
        assert zero > study.delta(by_arm, alone, terms).mean()


def test_commission_and_delivery_terms_are_pure_accounting(study_out):
    """Re-running with other terms changes no behaviour, and the recomputation gives its profits."""
    study, out, _ = study_out
    cfg = sim.load_config(["scenario=omo_full", *TINY_OVERRIDES])
    runs = pd.read_parquet(out / "features_runs.parquet")
    seed0 = runs[(runs["arm"] == "omo_full") & (runs["seed"] == 0)].reset_index(drop=True)
    other = dict(commission_rate=0.05, delivery_commission_rate=0.3, delivery_operator="brand",
                 delivery_cost_per_order=10.0)
    rerun = sim.run(dataclasses.replace(cfg, seed=0, economics=dataclasses.replace(cfg.economics, **other)))
    assert rerun.summary["brand_visits"] == seed0.loc[0, "brand_visits"]
    assert rerun.summary["brand_delivery_orders"] == seed0.loc[0, "brand_delivery_orders"]
    again = study.recompute_money(seed0, **other, delivery_fee=cfg.campaign.omo.delivery_fee)
    for col in ("brand_contribution", "others_contribution", "platform_contribution"):
        assert again.loc[0, col] == pytest.approx(rerun.summary[col], rel=1e-9, abs=1e-6), col
    assert not np.isclose(again.loc[0, "brand_contribution"], seed0.loc[0, "brand_contribution"])


def test_study_without_features(tmp_path, capsys):
    study = _load()
    out = tmp_path / "study"
    assert study.main([*TINY, "--out", str(out), "--no-features"]) == 0
    assert (out / "RESULTS.md").stat().st_size > 0 and not (out / "features.parquet").exists()
    results = (out / "RESULTS.md").read_text()
    assert "--no-features" in results and "## Which OMO features pay" not in results
    assert str(out.resolve()) in capsys.readouterr().out


def test_study_refuses_bad_input(tmp_path, capsys):
    study = _load()
    assert study.main(["--reps", "1", "--out", str(tmp_path / "x")]) == 2
    assert "--reps" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
