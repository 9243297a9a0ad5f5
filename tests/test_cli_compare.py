import pandas as pd

from sim.cli.compare import main

SMALL = ["days=6", "population.size=600", "stores.count=6", "campaign.push_coupon.start_day=1"]


def test_compare_writes_a_report(tmp_path, capsys):
    out = tmp_path / "rep"
    args = ["baseline", "o2o_coupon_blast", *SMALL, "--reps", "2", "--jobs", "1", "--out", str(out)]
    assert main(args) == 0
    table = pd.read_parquet(out / "comparison.parquet")
    assert {"kpi", "diff", "ci_low", "ci_high", "narrowing"} <= set(table.columns)
    assert (out / "uplift.png").stat().st_size > 5_000
    md = (out / "comparison.md").read_text()
    assert "| visits |" in md and "o2o_coupon_blast vs baseline" in md
    assert str(out.resolve()) in capsys.readouterr().out


def test_compare_refuses_bad_input(tmp_path, capsys):
    assert main(["baseline", "nope", "--reps", "2", "--out", str(tmp_path / "x")]) == 2
    assert "scenario" in capsys.readouterr().err
    assert main(["baseline", "default", "--reps", "1"]) == 2
    assert not (tmp_path / "x").exists()
