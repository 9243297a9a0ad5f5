"""The same Sobol file on submitit (the SLURM code path) and on a local Ray instance, resumed after a loss."""

import json
import subprocess
import sys

import pandas as pd
import pytest

SMALL = ["population.size=300", "stores.count=5", "days=4", "warmup_days=0",
         "~sensitivity.parameters",
         "+sensitivity.parameters={campaign.push_coupon.discount:[0.05,0.5],campaign.push_coupon.open_rate:[0.02,0.4]}",
         "sensitivity.n=2", "sensitivity.replications=1"]


def _cli(args, cwd, timeout=600):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_sobol_study_on_submitit_then_resumed_on_ray(tmp_path):
    sweep_dir = tmp_path / "study"
    args = ["+experiment=sobol_campaign", *SMALL, f"hydra.sweep.dir={sweep_dir}"]
    first = _cli([*args, "launcher=submitit_local"], tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    runs = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert len(runs) == 8 and (runs["status"] == "ok").all()
    assert any((sweep_dir / ".submitit").iterdir())  # the runs went through submitit
    indices = pd.read_parquet(sweep_dir / "sensitivity.parquet")
    # three runs lost (a node went down): the other launcher picks up only those
    lost = runs["run"].iloc[:3].tolist()
    for key in lost:
        (sweep_dir / key / "status.json").unlink()
    kept = {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*/status.json")}
    second = _cli([*args, "launcher=ray_local"], tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "(5 already finished, resuming)" in second.stderr
    assert "Started a local Ray instance" in second.stderr
    assert kept == {p: p.stat().st_mtime_ns for p in kept}
    assert all(json.loads((sweep_dir / k / "status.json").read_text())["status"] == "ok" for k in lost)
    again = pd.read_parquet(sweep_dir / "sensitivity.parquet")
    pd.testing.assert_frame_equal(indices, again)  # same seeds, same runs, same indices
