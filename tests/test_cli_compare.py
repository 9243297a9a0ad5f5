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


def test_verdict_first_and_a_warning_when_the_worlds_differ(tmp_path, capsys):
    out = tmp_path / "rep"
    args = ["baseline", "group_buy_overload", *SMALL, "--reps", "2", "--jobs", "1", "--out", str(out)]
    assert main(args) == 0
    captured = capsys.readouterr()
    warning = [line for line in captured.err.splitlines() if "warning" in line]
    assert len(warning) == 1  # one line naming every setting outside the campaign
    assert "stores.brand_servers_max" in warning[0] and "campaign.brand_share" in warning[0]
    first = captured.out.splitlines()[0]
    assert first.startswith("group_buy_overload against baseline, paired over 2 seeds: the brand (1 store)")
    md = (out / "comparison.md").read_text()
    assert md.index("## Verdict") < md.index("| KPI | unit |")
    assert "in how many" not in md and "reached its threshold in" in md
    assert "| brand_contribution | CNY |" in md


def test_a_matching_baseline_gives_no_warning(tmp_path, capsys):
    args = ["baseline:group_buy_overload", "group_buy_overload", *SMALL, "--reps", "2", "--jobs", "1",
            "--out", str(tmp_path / "rep")]
    assert main(args) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_baseline_arm_needs_a_scenario_name(capsys):
    assert main(["baseline:", "default", "--reps", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "baseline:<scenario name>" in err[0]
