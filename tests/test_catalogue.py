"""The results catalogue over real runs and sweeps: one Parquet dataset partitioned by experiment."""

import json
import os
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from conftest import make_cfg

from sim.catalogue import CATALOGUE_DIR, experiment_of
from sim.cli import main
from sim.results import open_dataset
from sim.runner import run

TINY = ["population.size=300", "stores.count=5", "days=3", "warmup_days=0", "launcher=serial"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """Two sweeps (one named experiment, one ad-hoc) and a lone run, all real."""
    base = tmp_path_factory.mktemp("cat")
    cwd = os.getcwd()
    os.chdir(base)
    try:
        assert main(["+experiment=discount_sweep", "seed=range(2)", *TINY]) == 0
        assert main(["-m", "campaign.push_coupon.discount=0.1,0.4", *TINY]) == 0
    finally:
        os.chdir(cwd)
    run(make_cfg(seed=7, days=5)).save(base / "outputs" / "one", figures=False)
    return base


def test_every_run_is_one_row_partitioned_by_experiment(root):
    dataset = open_dataset(root)
    assert isinstance(dataset, ds.Dataset)
    frame = dataset.to_table().to_pandas()
    counts = frame["experiment"].value_counts().to_dict()
    assert counts == {"discount_sweep": 6, "sweep": 2, "runs": 1}
    assert (frame["status"] == "ok").all()
    lone = frame[frame["experiment"] == "runs"].iloc[0]
    assert lone["seed"] == 7 and lone["path"] == "outputs/one"
    sweep = frame[frame["experiment"] == "discount_sweep"]
    assert sorted(sweep["param.campaign.push_coupon.discount"].unique()) == ["0.1", "0.2", "0.3"]
    for _, row in sweep.iterrows():  # every row points at its run folder, whose summary it carries
        summary = json.loads((root / row["path"] / "summary.json").read_text())
        assert row["visits"] == summary["visits"]
    parts = sorted(p.parent.name for p in (root / CATALOGUE_DIR).glob("*/*.parquet"))
    assert parts == ["experiment=discount_sweep", "experiment=runs", "experiment=sweep"]


def test_filters_on_the_partition_read_only_that_experiment(root):
    table = open_dataset(root).to_table(filter=ds.field("experiment") == "sweep", columns=["visits", "run"])
    assert table.num_rows == 2


def test_the_index_follows_new_failed_and_removed_runs(root):
    before = {p: p.stat().st_mtime_ns for p in (root / CATALOGUE_DIR).glob("*/*.parquet")}
    open_dataset(root)
    assert before == {p: p.stat().st_mtime_ns for p in before}  # nothing changed: nothing rewritten
    run(make_cfg(seed=8, days=5)).save(root / "outputs" / "two", figures=False)
    sweep_dir = next((root / "multirun").glob("sweep-*"))
    lost = next(p for p in sweep_dir.iterdir() if (p / "status.json").exists())
    (lost / "status.json").unlink()
    frame = open_dataset(root).to_table().to_pandas()
    assert (frame["experiment"] == "runs").sum() == 2
    assert frame.loc[frame["run"] == lost.name, "status"].tolist() == ["missing"]
    import shutil

    shutil.rmtree(root / "outputs" / "two")
    assert (open_dataset(root).to_table().to_pandas()["experiment"] == "runs").sum() == 1


def test_an_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no run or sweep"):
        open_dataset(tmp_path)


def test_experiment_names_come_from_sweep_folders():
    assert experiment_of(Path("multirun/sobol_campaign-1a2b3c4d")) == "sobol_campaign"
    assert experiment_of(Path("multirun/sweep-0123abcd")) == "sweep"
    assert experiment_of(Path("elsewhere/my study")) == "my_study"


def test_runs_a_study_keeps_beside_its_jobs_are_catalogued(tmp_path):
    # an optimisation lists no jobs in advance; its trials keep one run folder per seed
    study = tmp_path / "multirun" / "optimize_campaign-0123abcd"
    study.mkdir(parents=True)
    (study / "jobs.json").write_text('{"jobs": []}\n')
    run(make_cfg(seed=3, days=5)).save(study / "trial-a" / "seed=3", figures=False)
    frame = open_dataset(tmp_path).to_table().to_pandas()
    assert frame["experiment"].tolist() == ["optimize_campaign"]
    assert frame["run"].tolist() == ["trial-a/seed=3"] and frame["seed"].tolist() == [3]
