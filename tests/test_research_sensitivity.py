"""Sensitivity studies: the analysis on analytic functions, the file's checks, a study run end to end."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.config import ConfigError
from sim.studies.research import sensitivity as sa

TINY = ["population.size=300", "stores.count=5", "days=4", "warmup_days=0"]


def _spec(method, params, **kw):
    return sa.parse_spec({"method": method, "parameters": params, "kpis": ["y"], **kw})


def test_sobol_analysis_recovers_the_ishigami_indices():
    spec = _spec("sobol", {"behavior.outside_utility": [-np.pi, np.pi],
                           "behavior.asc_restaurant": [-np.pi, np.pi],
                           "behavior.asc_retail": [-np.pi, np.pi]}, n=1024, salib_seed=3)
    x = sa.sample(spec)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    table = sa.analyze(spec, x, {"y": y}).set_index(["parameter", "index"])["value"]
    names = spec.names
    # analytic values (Ishigami a=7, b=0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244
    for name, s1, st in zip(names, (0.314, 0.442, 0.0), (0.558, 0.442, 0.244), strict=True):
        assert table[(name, "S1")] == pytest.approx(s1, abs=0.05)
        assert table[(name, "ST")] == pytest.approx(st, abs=0.05)


def test_a_sample_too_small_for_its_parameters_says_so():
    params = {"behavior.outside_utility": [-np.pi, np.pi], "behavior.asc_restaurant": [-np.pi, np.pi],
              "behavior.asc_retail": [-np.pi, np.pi], "behavior.asc_service": [-np.pi, np.pi]}
    small = _spec("sobol", params, n=4, salib_seed=1)
    warning = sa.sample_warning(small)
    assert warning and "sensitivity.n=4" in warning and "sensitivity.n=128" in warning
    x = sa.sample(small)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    table = sa.analyze(small, x, {"y": y})
    assert (table["note"] != "").all()  # every index of a too-small sample carries a note
    assert sa.sample_warning(_spec("sobol", params, n=128)) is None
    assert "trajectories=4" in sa.sample_warning(_spec("morris", params, trajectories=4))
    assert sa.sample_warning(_spec("morris", params, trajectories=10)) is None


def test_morris_ranks_a_dead_parameter_last():
    spec = _spec("morris", {"behavior.outside_utility": [0.0, 1.0], "behavior.asc_restaurant": [0.0, 1.0],
                            "behavior.asc_retail": [1.0, 2.0]}, trajectories=20, levels=4)
    x = sa.sample(spec)
    y = 5 * x[:, 0] + x[:, 1] ** 2  # the third parameter does nothing
    table = sa.analyze(spec, x, {"y": y})
    mu_star = table[table["index"] == "mu_star"].set_index("parameter")["value"]
    assert mu_star.idxmin() == "behavior.asc_retail"
    assert mu_star["behavior.asc_retail"] == pytest.approx(0.0, abs=1e-12)
    assert mu_star["behavior.outside_utility"] > mu_star["behavior.asc_restaurant"] > 0
    lo, hi = table.loc[table["index"] == "mu_star", ["ci_low", "ci_high"]].to_numpy().T
    assert (lo <= mu_star.loc[spec.names].to_numpy() + 1e-12).all() and (hi >= lo).all()


def test_design_runs_each_distinct_point_once_on_common_seeds():
    spec = _spec("morris", {"campaign.push_coupon.discount": [0.1, 0.4],
                            "campaign.push_coupon.send_hour": [6, 21]},
                 trajectories=12, levels=4, replications=3)
    frame = sa.design(spec)
    jobs = sa.point_jobs(spec, frame, ["days=3"], base_seed=5)
    assert len(jobs) == frame["point"].nunique() * 3
    assert len({tuple(ov) for _, ov in jobs}) == len(jobs)
    assert {ov[2] for _, ov in jobs} == {"seed=5", "seed=6", "seed=7"}
    hours = {ov[1] for _, ov in jobs}
    assert all(h.split("=")[1].isdigit() for h in hours)  # an integer key gets integer values


@pytest.mark.parametrize("block, key", [
    ({"method": "sobol", "parameters": {"campaign.push_coupon.dicount": [0.1, 0.3]}}, "dicount"),
    ({"method": "sobol", "parameters": {"campaign.push_coupon.discount": [0.3, 0.1],
                                        "behavior.outside_utility": [1, 2]}}, "discount"),
    ({"method": "fast", "parameters": {"campaign.push_coupon.discount": [0.1, 0.3]}}, "sensitivity.method"),
    ({"method": "sobol", "parameters": {"campaign.push_coupon.discount": [0.1, 1.5],
                                        "behavior.outside_utility": [1, 2]}}, "discount"),
    ({"method": "sobol", "n": 12, "parameters": {"campaign.push_coupon.discount": [0.1, 0.3],
                                                 "behavior.outside_utility": [1, 2]}}, "sensitivity.n"),
])
def test_bad_study_blocks_are_refused_naming_the_key(block, key):
    with pytest.raises(ConfigError, match=key):
        sa.parse_spec(block)


@pytest.mark.parametrize("override, key", [
    ("+sensitivity.parameters={campaign.push_coupon.dicount:[0.1,0.2],days:[2,3]}", "dicount"),
    ("+sensitivity.parameters={campaign.push_coupon.discount:[0.4,0.1],days:[2,3]}", "discount"),
    ("sensitivity.method=fast", "sensitivity.method"),
])
def test_the_command_refuses_a_bad_file_before_running(override, key, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["+experiment=sobol_campaign", override, *TINY]) == 2
    err = capsys.readouterr().err
    assert key in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "multirun").exists()


@pytest.mark.slow
def test_a_sobol_study_runs_as_a_sweep_and_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["+experiment=sobol_campaign", "sensitivity.n=2", "sensitivity.replications=2",
            "~sensitivity.parameters",
            "+sensitivity.parameters={campaign.push_coupon.discount:[0.05,0.5],campaign.push_coupon.open_rate:[0.02,0.4]}",
            "launcher=serial", *TINY]
    assert main(args) == 0
    sweep_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    runs = pd.read_parquet(sweep_dir / "sweep.parquet")
    design = pd.read_parquet(sweep_dir / "design.parquet")
    assert len(design) == 2 * (2 + 2) and len(runs) == design["point"].nunique() * 2
    assert (runs["status"] == "ok").all() and set(runs["seed"]) == {0, 1}
    table = pd.read_parquet(sweep_dir / "sensitivity.parquet")
    assert set(table["kpi"]) == {"visits", "redemptions", "attributed_roi"}
    assert set(table["index"]) == {"S1", "ST"} and (table["ci_low"] <= table["ci_high"]).all()
    record = json.loads((sweep_dir / "sensitivity.json").read_text())
    assert record["status"] == "ok" and record["runs_ok"] == len(runs)
    assert (sweep_dir / "sensitivity.png").stat().st_size > 10_000
    # a run lost (interrupted, node gone): the same command runs only that one again
    lost = sweep_dir / runs["run"].iloc[0]
    (lost / "status.json").unlink()
    stamps = {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*/status.json")}
    assert main(args) == 0
    assert f"({len(runs) - 1} already finished, resuming)" in capsys.readouterr().err
    assert stamps == {p: p.stat().st_mtime_ns for p in stamps}
    assert (lost / "status.json").exists()


@pytest.mark.parametrize("name, method", [("sobol_campaign", "sobol"), ("morris_campaign", "morris")])
def test_the_shipped_study_files_plan_as_sweeps_of_their_sample(name, method, tmp_path, monkeypatch):
    from sim.cli.sweep import plan

    monkeypatch.chdir(tmp_path)
    p = plan([f"+experiment={name}"])
    spec = p.study[1]
    assert p.multirun and p.study[0] == "sensitivity" and spec.method == method
    design = pd.read_parquet(p.sweep_dir / "design.parquet")
    assert len(p.jobs) == design["point"].nunique() * spec.replications
    assert len({j["key"] for j in p.jobs}) == len(p.jobs)
    assert p.sweep_dir.name.startswith(f"{name}-") and p.planned == [j["overrides"] for j in p.jobs]


def test_an_unknown_kpi_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["+experiment=sobol_campaign", "sensitivity.n=2", "sensitivity.kpis=[visits,vistis]",
            "~sensitivity.parameters",
            "+sensitivity.parameters={campaign.push_coupon.discount:[0.05,0.5],campaign.push_coupon.open_rate:[0.02,0.4]}",
            "sensitivity.replications=1", "launcher=serial", *TINY]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("o2o-sim: invalid config: sensitivity.kpis='vistis'; allowed: a numeric KPI of "
                          "the run summary (docs/OUTPUTS.md) (closest: visits")
    assert not (tmp_path / "multirun").exists()
