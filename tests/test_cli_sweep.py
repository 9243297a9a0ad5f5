"""Sweeps through the real command line: joblib, resume, failures, Ctrl-C, submitit and Ray."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim.cli.job
from sim.cli import main
from sim.cli.sweep import plan

SMALL = ["population.size=300", "stores.count=5", "days=3"]


def _cli(args, cwd, timeout=300):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def test_plan_expands_like_hydra_and_checks_every_run():
    p = plan(["-m", "campaign.push_coupon.discount=0.1,0.2,0.3", "seed=range(4)", *SMALL])
    assert p.multirun and len(p.jobs) == 12
    assert len({j["key"] for j in p.jobs}) == 12
    again = plan(["-m", "campaign.push_coupon.discount=0.1,0.2,0.3", "seed=range(4)", *SMALL])
    assert again.sweep_dir == p.sweep_dir and again.jobs == p.jobs
    single = plan(SMALL)
    assert not single.multirun


def test_a_new_results_version_starts_a_new_sweep_folder(monkeypatch):
    import sim

    args = ["-m", "campaign.push_coupon.discount=0.1,0.2", *SMALL]
    now = plan(args).sweep_dir
    monkeypatch.setattr(sim, "RESULTS_VERSION", sim.RESULTS_VERSION + 1)
    after = plan(args).sweep_dir
    assert after != now and after.parent == now.parent  # runs of the older engine are not resumed


def test_plan_experiment_file_is_a_sweep():
    p = plan(["+experiment=discount_sweep", *SMALL])
    assert p.multirun and len(p.jobs) == 15
    assert p.sweep_dir.name.startswith("discount_sweep-")


@pytest.mark.parametrize("args, key", [
    (["-m", "campaign.push_coupon.discount=0.1,1.5"], "campaign.push_coupon.discount"),
    (["-m", "population.size=100,-1"], "population.size"),
    (["-m", "seed=0,1", "network=nope"], "network"),
    (["-m", "seed=0,1", "+foo=1"], "foo"),
])
def test_sweep_refuses_any_bad_run_before_running(args, key, tmp_path):
    out = _cli([*SMALL, *args], tmp_path, timeout=120)
    assert out.returncode == 2
    assert key in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "multirun").exists()


def test_single_run_refuses_a_sweep_value(tmp_path):
    out = _cli(["campaign.push_coupon.discount=0.1,0.2", *SMALL], tmp_path, timeout=120)
    assert out.returncode == 2 and "add -m" in out.stderr


@pytest.mark.slow
def test_joblib_sweep_aggregates_and_resumes(tmp_path):
    args = ["-m", "campaign.push_coupon.discount=0.1,0.4", "seed=range(2)", *SMALL]
    first = _cli(args, tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    sweep_dir = Path(first.stdout.strip().splitlines()[-1])
    frame = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert len(frame) == 4 and (frame["status"] == "ok").all()
    assert sorted(frame["seed"]) == [0, 0, 1, 1]
    assert {"visits", "attributed_roi", "redemption_rate", "overrides"} <= set(frame.columns)
    assert (sweep_dir / "sweep.png").stat().st_size > 10_000
    stamps = {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*/summary.json")}
    second = _cli(args, tmp_path)
    assert second.returncode == 0 and "4 already finished" in second.stderr
    assert stamps == {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*/summary.json")}


def test_failed_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    real_run = sim.cli.job.run

    def flaky(cfg, progress=False):
        if cfg.seed == 1:
            raise RuntimeError("simulated crash")
        return real_run(cfg, progress=progress)

    monkeypatch.setattr(sim.cli.job, "run", flaky)
    monkeypatch.chdir(tmp_path)
    code = main(["-m", "launcher=serial", "seed=0,1,2", *SMALL])
    assert code == 1
    sweep_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    frame = pd.read_parquet(sweep_dir / "sweep.parquet").sort_values("seed")
    assert frame["status"].tolist() == ["ok", "failed", "ok"]
    assert "simulated crash" in frame["error"].iloc[1]
    monkeypatch.setattr(sim.cli.job, "run", real_run)
    assert main(["-m", "launcher=serial", "seed=0,1,2", *SMALL]) == 0  # retried, now ok
    frame = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert (frame["status"] == "ok").all()


@pytest.mark.slow
def test_ctrl_c_keeps_finished_runs_and_resumes(tmp_path):
    # runs of a few seconds each (about 2.5 s on one core), so that Ctrl-C lands while most are still to come
    args = ["-m", "hydra.launcher.n_jobs=1", "seed=range(10)", "population.size=30000", "days=60"]
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 240
    done = []
    while time.time() < deadline and not done:  # a run's status.json says running first, ok at its end
        done = [p for p in tmp_path.glob("multirun/*/*/status.json") if '"ok"' in p.read_text()]
        time.sleep(0.1)
    assert done, "no run finished in time"
    running = []
    while time.time() < deadline and not running:  # Ctrl-C while the next run is in progress in a worker
        running = [p for p in tmp_path.glob("multirun/*/*/status.json") if '"running"' in p.read_text()]
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, (proc.returncode, err[-3000:])
    assert "resume" in err
    sweep_dir = next((tmp_path / "multirun").iterdir())
    frame = pd.read_parquet(sweep_dir / "sweep.parquet")
    finished = int((frame["status"] == "ok").sum())
    assert 1 <= finished < 10, frame[["run", "status"]]
    # the run in progress is marked interrupted (never failed, whatever error Ctrl-C surfaced as)
    assert set(frame["status"]) <= {"ok", "missing", "interrupted"}, frame[["status", "error"]]
    assert (frame["status"] == "interrupted").sum() == 1, frame[["status", "error"]]
    for key in frame.loc[frame["status"] == "interrupted", "run"]:
        assert json.loads((sweep_dir / key / "status.json").read_text())["status"] == "interrupted"
    again = _cli(args, tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"{finished} already finished" in again.stderr
    assert (pd.read_parquet(sweep_dir / "sweep.parquet")["status"] == "ok").all()


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["submitit_local", "ray_local"])
def test_cluster_launchers_run_the_same_sweep(launcher, tmp_path):
    out = _cli(["-m", f"launcher={launcher}", "seed=0,1", *SMALL], tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    sweep_dir = Path(out.stdout.strip().splitlines()[-1])
    frame = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert len(frame) == 2 and (frame["status"] == "ok").all()
    jobs = json.loads((sweep_dir / "jobs.json").read_text())["jobs"]
    assert all(("launcher=" + launcher) not in j["key"] for j in jobs)


def test_ctrl_c_that_surfaces_as_another_error_still_counts_as_interrupted(tmp_path, monkeypatch):
    # Ctrl-C can land where a library turns it into its own error, which Hydra then reports
    # with sys.exit(1): the sweep must still report an interruption, keep its runs and say how to resume
    import sim.cli as cli

    def ctrl_c_then_hydra_exit(args):
        cli.INTERRUPTED.set()
        raise SystemExit(1)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_hydra_main", ctrl_c_then_hydra_exit)
    try:
        assert main(["-m", "seed=0,1", *SMALL]) == 130
    finally:
        cli.INTERRUPTED.clear()
    sweep_dir = next((tmp_path / "multirun").iterdir())
    assert set(pd.read_parquet(sweep_dir / "sweep.parquet")["status"]) == {"missing"}


def test_a_run_failing_after_ctrl_c_is_not_recorded_as_failed(tmp_path, monkeypatch):
    import sim.cli as cli

    class FakeHydra:
        class runtime:
            output_dir = str(tmp_path)
            choices = {}

        class sweep:
            dir = str(tmp_path)
        mode = sim.cli.job.RunMode.MULTIRUN

    def broken(*args, **kwargs):
        raise RuntimeError("signal turned into a library error")

    monkeypatch.setattr(sim.cli.job.HydraConfig, "get", staticmethod(lambda: FakeHydra))
    monkeypatch.setattr(sim.cli.job, "to_sim_config", broken)
    flag = iter([False, True, True])  # not yet interrupted when the run starts, interrupted when it fails
    monkeypatch.setattr(cli.INTERRUPTED, "is_set", lambda: next(flag))
    with pytest.raises(KeyboardInterrupt):
        sim.cli.job.run_job({})
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "interrupted"
    monkeypatch.setattr(cli.INTERRUPTED, "is_set", lambda: False)
    assert sim.cli.job.run_job({}) == "failed"
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "failed"


def test_runs_not_started_when_the_ctrl_c_exception_was_lost(tmp_path, monkeypatch):
    # Python can swallow the KeyboardInterrupt (raised inside a weakref callback during garbage
    # collection it is only printed): the marker left in the sweep folder still stops later runs
    import signal

    import sim.cli as cli

    real_run = sim.cli.job.run

    def run_then_lost_ctrl_c(cfg, progress=False):
        results = real_run(cfg, progress)
        try:
            signal.raise_signal(signal.SIGINT)  # the sweep's handler: flag, marker, KeyboardInterrupt
        except KeyboardInterrupt:
            pass  # ... which is lost
        return results

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sim.cli.job, "run", run_then_lost_ctrl_c)
    try:
        assert main(["-m", "launcher=serial", "seed=range(4)", *SMALL]) == 130
    finally:
        cli.INTERRUPTED.clear()
    sweep_dir = next((tmp_path / "multirun").iterdir())
    status = pd.read_parquet(sweep_dir / "sweep.parquet")["status"].tolist()
    assert status == ["ok", "missing", "missing", "missing"]
    assert not (sweep_dir / ".interrupted").exists()  # a resume starts clean
    again = _cli(["-m", "launcher=serial", "seed=range(4)", *SMALL], tmp_path)
    assert again.returncode == 0 and "1 already finished" in again.stderr
