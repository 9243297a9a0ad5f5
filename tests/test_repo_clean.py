"""No command writes into the repository's tracked files: each documented command, run in a clean clone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

BIN = os.path.dirname(sys.executable)
TINY = ["days=3", "warmup_days=2", "population.size=300", "stores.count=6"]

COMMANDS = [
    [f"{BIN}/o2o-sim", *TINY],
    [f"{BIN}/o2o-sim", "-m", "seed=0,1", *TINY],
    [f"{BIN}/o2o-compare", "baseline", "default", "--reps", "2", "--jobs", "1", *TINY],
    [f"{BIN}/o2o-sim", "list"],
    [sys.executable, "-c", "from sim.studies.catalogue import open_dataset; open_dataset('.')"],
    [sys.executable, "experiments/o2o_vs_omo/run.py", "--reps", "2", "--days", "3", "--consumers", "300",
     "--jobs", "1", "--no-features"],
]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                    reason="needs git and the project's checkout")
def test_documented_commands_leave_a_clean_clone_clean(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--local", str(REPO), str(clone)], check=True)
    env = {**os.environ, "O2O_SIM_MEMORY_GB": "20"}
    for command in COMMANDS:
        done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        status = subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=clone,
                                capture_output=True, text=True, check=True).stdout
        assert status == "", (command, status)
    assert (clone / "outputs").is_dir()  # the runs went where the docs say
