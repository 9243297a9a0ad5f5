"""Campaign optimisation: the spec's checks, budget split, penalty, and the Optuna sweeper end to end."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.studies.research.optimize as opt
from sim.cli import main
from sim.config import ConfigError, from_dict
from sim.studies.compare import without_levers

TINY = ["population.size=300", "stores.count=5", "days=4", "warmup_days=0"]


def test_budget_split_follows_the_weights():
    spec = opt.parse_spec({"kpi": "attributed_roi",
                           "budget": {"total": 12000, "weights": {"push_coupon": 3, "ads": 1}}})
    cfg = opt.apply_budget(from_dict({}), spec)
    assert cfg.campaign.push_coupon.budget == pytest.approx(9000)
    assert cfg.campaign.ads.budget == pytest.approx(3000)
    base = without_levers(cfg)
    assert not base.campaign.push_coupon.enabled and not base.campaign.ads.enabled


def test_overspending_candidates_are_penalised_in_proportion():
    spec = opt.parse_spec({"kpi": "visits", "max_spend": 1000, "penalty": 50})
    assert opt.objective(spec, [10.0, 20.0], [900.0, 1000.0]) == (15.0, 15.0, True)
    mean, value, feasible = opt.objective(spec, [10.0, 20.0], [1400.0, 1600.0])
    assert not feasible and mean == 15.0 and value == pytest.approx(15.0 - 50 * 0.5)
    low = opt.parse_spec({"kpi": "mean_wait_min", "direction": "minimize", "max_spend": 1000, "penalty": 50})
    assert opt.objective(low, [1.0], [1500.0])[1] == pytest.approx(1.0 + 25)


@pytest.mark.parametrize("block, key", [
    ({"kpi": "attributed_roi", "direction": "up"}, "optimize.direction"),
    ({"kpi": "attributed_roi", "seeds": [0, 0]}, "optimize.seeds"),
    ({"kpi": "attributed_roi", "budget": {"total": 100, "weights": {"crm2": 1}}},
     "optimize.budget.weights.crm2"),
    ({"kpi": "attributed_roi", "budget": {"total": 100}}, "optimize.budget"),
    ({"kpi": "attributed_roi", "max_spend": -1}, "optimize.max_spend"),
    ({"kpi": "attributed_roi", "trials": 3}, "optimize.trials"),
])
def test_bad_optimize_blocks_are_refused(block, key):
    with pytest.raises(ConfigError, match=key):
        opt.parse_spec(block)


@pytest.mark.parametrize("params, key", [
    ({"campaign.push_coupon.dicount": "interval(0.1, 0.2)"}, "dicount"),
    ({"campaign.push_coupon.radius_km": "interval(3.0, 1.0)"}, "radius_km"),
    ({"campaign.push_coupon.discount": "interval(0.1, 1.5)"}, "campaign.push_coupon.discount"),
    ({"campaign.push_coupon.send_hour": "range(6, 30)"}, "campaign.push_coupon.send_hour"),
    ({"optimize.budget.weights.crm": "interval(0, 1)"}, "optimize.budget.weights.crm"),
    ({"campaign.push_coupon.discount": "0.2"}, "campaign.push_coupon.discount"),
])
def test_search_space_is_checked_against_the_config(params, key):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.cli.study import check_search_space

    spec = opt.parse_spec({"kpi": "attributed_roi",
                           "budget": {"total": 100, "weights": {"push_coupon": 1, "ads": 1}}})
    with pytest.raises(ConfigError, match=key):
        check_search_space(params, spec, TINY, OverridesParser.create())


@pytest.mark.parametrize("override, key", [
    ("+optimize.budget.weights.crm2=1", "optimize.budget.weights.crm2"),
    ("optimize.kpi=", "optimize.kpi"),
    ("optimize.seeds=[]", "optimize.seeds"),
    ("optimize.kpi=rio", "optimize.kpi='rio'; allowed: a numeric KPI of the run summary"),
])
def test_the_command_refuses_a_bad_search_space(override, key, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["+experiment=optimize_campaign", override, *TINY]) == 2
    err = capsys.readouterr().err
    assert key in err and "Traceback" not in err
    assert not (tmp_path / "multirun").exists()


def _planted(cfg, folder):
    """Visits peak at a 30% discount sent at 11:00; spend is the push budget; seeds add a little noise."""
    pc = cfg.campaign.push_coupon
    noise = np.random.default_rng(cfg.seed).normal(0, 1.0)
    visits = 1000 - 4000 * (pc.discount - 0.3) ** 2 - 3 * (pc.send_hour - 11) ** 2 + noise
    return {"visits": visits, "campaign_spend": pc.budget}


def test_the_optuna_sweeper_finds_a_planted_optimum_under_the_budget(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(opt, "evaluate", _planted)
    monkeypatch.setattr(opt, "CONFIRM_JOBS", 1)
    args = ["+experiment=optimize_campaign", "launcher=serial", "optimize.kpi=visits", "optimize.seeds=[0,1]",
            "optimize.max_spend=9000", "optimize.penalty=500", "optimize.confirm_seeds=4",
            "hydra.sweeper.n_trials=40", *TINY]
    assert main(args) == 0
    sweep_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    trials = pd.read_parquet(sweep_dir / "trials.parquet")
    assert len(trials) == 40 and trials["trial"].tolist() == list(range(40))
    best = json.loads((sweep_dir / "best.json").read_text())
    t = best["trial"]
    assert t["feasible"] and t["budget.push_coupon"] <= 9000
    assert abs(t["param.campaign.push_coupon.discount"] - 0.3) < 0.1
    assert abs(t["param.campaign.push_coupon.send_hour"] - 11) <= 3
    # infeasible candidates (push budget over 9,000) were seen and scored below their raw mean
    bad = trials[~trials["feasible"]]
    assert len(bad) > 0 and (bad["value"] < bad["mean"]).all()
    assert (trials.loc[trials["feasible"], "value"] == trials.loc[trials["feasible"], "mean"]).all()
    c = best["confirmation"]
    assert len(c["seeds"]) == 4 and not set(c["seeds"]) & {0, 1}
    assert c["ci_low"] <= c["mean"] <= c["ci_high"]
    assert (sweep_dir / "optimize.png").stat().st_size > 10_000


def test_trials_sharing_a_baseline_run_it_once_and_replace_a_damaged_one(tmp_path, monkeypatch):
    import os
    import time
    import warnings

    from conftest import make_cfg

    import sim.engine.runner
    from sim.outputs.run_folder import verify

    calls, real = tmp_path / "calls.txt", sim.engine.runner.run

    def counted(cfg, progress=False):
        with open(calls, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        time.sleep(0.5)  # long enough for the other process to arrive while this one runs
        return real(cfg, progress)

    monkeypatch.setattr(sim.engine.runner, "run", counted)
    folder, cfg = tmp_path / "baseline" / "seed=0", without_levers(make_cfg(seed=0, days=3))
    children = []
    for i in range(2):  # two trials evaluating the shared baseline at once
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                summary = opt.evaluate(cfg, folder)
                (tmp_path / f"out{i}.json").write_text(json.dumps(summary["visits"]))
                os._exit(0)
            except BaseException:  # noqa: BLE001
                os._exit(1)
        children.append(pid)
    assert [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children] == [0, 0]
    assert len(calls.read_text().splitlines()) == 1  # one ran it, the other waited and read it back
    assert (tmp_path / "out0.json").read_text() == (tmp_path / "out1.json").read_text()
    assert verify(folder)["status"] == "ok"
    (folder / "summary.json").write_text('{"visits": 1')  # damaged: never read back, run again
    assert opt.evaluate(cfg, folder)["visits"] == json.loads((tmp_path / "out0.json").read_text())
    assert len(calls.read_text().splitlines()) == 2 and verify(folder)["status"] == "ok"
