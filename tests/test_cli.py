"""sim.cli: the command line (errors, scenario list, a tiny run) and the scenario catalogue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import SCENARIO_DIR

import sim
from sim.cli import list_scenarios, main

SCENARIOS = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def run_cli(args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


# --------------------------------------------------------------------------- errors


def test_bad_value_exits_2_with_one_readable_line(tmp_path):
    proc = run_cli(["population.size=-3", f"hydra.run.dir={tmp_path}/run"], cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert "population.size" in lines[0] and "-3" in lines[0]
    assert not (tmp_path / "run").exists()      # nothing ran


@pytest.mark.parametrize("override,key", [
    # out of range
    ("population.push_opt_in=1.5", "population.push_opt_in"),
    ("behavior.follow_through=-0.1", "behavior.follow_through"),
    ("population.size=-3", "population.size"),
    ("population.size=0", "population.size"),
    ("stores.count=0", "stores.count"),
    ("stores.servers_min=0", "stores.servers_min"),
    ("campaign.push_coupon.send_hour=24", "campaign.push_coupon.send_hour"),
    ("campaign.push_coupon.send_hour=-1", "campaign.push_coupon.send_hour"),
    ("days=0", "days"),
    ("campaign.push_coupon.budget=-5", "campaign.push_coupon.budget"),
    ("campaign.push_coupon.radius_km=50", "campaign.push_coupon.radius_km"),
    # unknown keys, also added with +
    ("foo=1", "foo"),
    ("+foo=1", "foo"),
    ("+population.colour=red", "population.colour"),
    # wrong type
    ("population.size=abc", "population.size"),
    ("population.size=2.5", "population.size"),
    ("campaign.push_coupon.enabled=maybe", "campaign.push_coupon.enabled"),
    # unknown group option (the message lists the valid ones)
    ("network=nope", "network"),
    ("scenario=nope", "scenario"),
    ("launcher=nope", "launcher"),
    # inconsistent combinations
    ("stores.servers_max=1", "stores.servers_max"),
    ("stores.close_hour=9", "stores.close_hour"),
    ("population.push_opt_in=0", "population.push_opt_in"),
])
def test_main_refuses_bad_overrides_before_running(override, key, capsys):
    assert main([override]) == 2
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and key in lines[0], lines
    assert "allowed:" in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_unknown_group_option_lists_the_valid_ones(capsys):
    assert main(["network=nope"]) == 2
    err = capsys.readouterr().err
    assert all(k in err for k in ("watts_strogatz", "barabasi_albert", "spatial"))


# --------------------------------------------------------------------------- list


def test_list_scenarios_reads_the_catalogue():
    items = list_scenarios()
    assert [name for name, _ in items] == SCENARIOS
    for name, story in items:
        assert story and not story.startswith("@package"), name
        first_comment = next(ln.lstrip("# ").strip() for ln in
                             (SCENARIO_DIR / f"{name}.yaml").read_text().splitlines()
                             if ln.startswith("#") and "@package" not in ln and ln.lstrip("# ").strip())
        assert story.startswith(first_comment)           # the story opens the file


def test_main_list_prints_one_line_per_scenario(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(SCENARIOS)
    for line, name in zip(lines, SCENARIOS, strict=True):
        assert line.split()[0] == name


def test_python_m_sim_list(tmp_path):
    proc = run_cli(["list"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name, story in list_scenarios():
        assert name in proc.stdout and story in proc.stdout
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- a tiny run


def test_tiny_run_writes_a_results_folder(tmp_path):
    run_dir = tmp_path / "run"
    proc = run_cli(["population.size=300", "stores.count=5", "days=3", "seed=2",
                    f"hydra.run.dir={run_dir}"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    folder = Path(last)
    if not folder.is_absolute():
        folder = tmp_path / folder
    assert folder.is_dir(), last
    assert folder.resolve() == run_dir.resolve()
    for name in ("daily.parquet", "stores.parquet", "summary.json", "config.yaml"):
        assert (folder / name).is_file() and (folder / name).stat().st_size > 0, name
    pngs = list((folder / "figures").glob("*.png"))
    assert len(pngs) == 3 and all(p.stat().st_size > 0 for p in pngs)
    daily = pd.read_parquet(folder / "daily.parquet")
    assert len(daily) == 3
    cfg = yaml.safe_load((folder / "config.yaml").read_text())
    assert cfg["population"]["size"] == 300 and cfg["stores"]["count"] == 5 and cfg["seed"] == 2
    # everything went to the run folder: nothing else appeared in the working directory
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


# --------------------------------------------------------------------------- scenario smoke


def test_catalogue_is_not_empty():
    assert "default" in SCENARIOS


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_runs_three_days(name):
    cfg = sim.load_config([f"scenario={name}", "population.size=500", "stores.count=8", "days=3"])
    assert cfg.scenario == name
    assert cfg.population.size == 500 and cfg.days == 3
    r = sim.run(cfg)
    assert len(r.daily) == 3
    assert len(r.stores) == 3 * 8
    assert r.summary["scenario"] == name
    assert r.summary["visits"] > 0
    assert r.summary["campaign_spend"] <= r.summary["budget"] + 1e-6


def test_runs_started_together_get_their_own_folders(tmp_path):
    args = [sys.executable, "-m", "sim", "population.size=200", "stores.count=4", "days=2"]
    procs = [subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    folders = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        folders.append(Path(out.strip().splitlines()[-1]))
    assert folders[0] != folders[1]
    for f in folders:
        assert (f / "summary.json").exists() and (f / "config.yaml").exists()
        assert (f / "status.json").exists()


def test_user_scenarios_by_folder_file_or_search_path(tmp_path):
    folder = tmp_path / "mine"
    (folder / "scenario").mkdir(parents=True)
    text = "# @package _global_\n# A 1 km coupon.\ncampaign:\n  push_coupon:\n    radius_km: 1.0\n"
    (folder / "coupon_1km.yaml").write_text(text)
    (folder / "scenario" / "near_coupon.yaml").write_text(text)
    small = ["population.size=300", "stores.count=5", "days=3"]
    for i, args in enumerate((["--scenario-dir", str(folder), "scenario=coupon_1km"],
                              [f"scenario={folder / 'coupon_1km.yaml'}"],
                              [f"hydra.searchpath=[file://{folder}]", "scenario=near_coupon"])):
        run_dir = tmp_path / f"run{i}"
        proc = run_cli([*args, *small, f"hydra.run.dir={run_dir}"], cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-2000:]
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["scenario"] in ("coupon_1km", "near_coupon")
        assert "report:" in proc.stdout and "The brand (" in proc.stdout  # the run's story, then its report
    listing = run_cli(["list", "--scenario-dir", str(folder)], cwd=tmp_path).stdout
    assert "coupon_1km" in listing and "A 1 km coupon." in listing
