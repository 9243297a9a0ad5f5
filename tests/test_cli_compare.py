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


def _user_scenario(folder):
    folder.mkdir(exist_ok=True)
    path = folder / "coupon_1km.yaml"
    path.write_text("# @package _global_\n# A 1 km coupon.\ncampaign:\n  push_coupon:\n    radius_km: 1.0\n")
    return path


def test_each_arm_takes_its_own_settings_and_shared_ones_anywhere(tmp_path, capsys):
    out = tmp_path / "rep"
    args = ["default", "group_buy", "--a", "campaign.push_coupon.radius_km=1", "--b",
            "campaign.group_buy.deal_discount=0.3", "--reps", "2", *SMALL, "--jobs", "1", "--out", str(out)]
    assert main(args) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("group_buy+campaign.group_buy.deal_discount=0.3 against "
                            "default+campaign.push_coupon.radius_km=1")
    a = pd.read_parquet(out / "runs_a.parquet")
    b = pd.read_parquet(out / "runs_b.parquet")
    assert (a["days"] == 6).all() and (b["days"] == 6).all()  # the shared setting reached both arms
    # the label names every change of the campaign (the shared start day, then the arm's radius)
    assert set(a["scenario"]) == {"default+campaign.push_coupon.start_day=1+campaign.push_coupon.radius_km=1"}


def test_an_arm_may_be_a_yaml_file_or_a_scenario_of_a_user_folder(tmp_path, capsys, monkeypatch):
    path = _user_scenario(tmp_path / "mine")
    args = ["baseline", str(path), *SMALL, "--reps", "2", "--jobs", "1", "--out", str(tmp_path / "f")]
    assert main(args) == 0
    by_file = pd.read_parquet(tmp_path / "f" / "runs_b.parquet")
    monkeypatch.delenv("O2O_SIM_SCENARIOS", raising=False)
    assert main(["baseline", "coupon_1km", "--scenario-dir", str(path.parent), *SMALL, "--reps", "2",
                 "--jobs", "1", "--out", str(tmp_path / "d")]) == 0
    by_name = pd.read_parquet(tmp_path / "d" / "runs_b.parquet")
    pd.testing.assert_frame_equal(by_file, by_name)  # the same scenario, found either way
    assert set(by_name["scenario"]) == {"coupon_1km+campaign.push_coupon.start_day=1"}
    capsys.readouterr()
    assert main(["baseline", str(tmp_path / "missing.yaml"), "--reps", "2"]) == 2
    assert "existing YAML file" in capsys.readouterr().err
