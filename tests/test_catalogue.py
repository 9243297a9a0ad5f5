"""The results catalogue over real runs and sweeps: one Parquet dataset partitioned by experiment."""

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest
from conftest import make_cfg

from sim.cli import main
from sim.engine.runner import run
from sim.studies.catalogue import CATALOGUE_DIR, experiment_of, open_dataset

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
    discount = sweep["param.campaign.push_coupon.discount"]
    assert discount.dtype == "float64" and sorted(discount.unique()) == [0.1, 0.2, 0.3]  # numbers, as swept
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
    assert frame.loc[frame["run"] == lost.name, "status"].tolist() == ["incomplete"]  # files, no record
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


def test_damaged_and_unfinished_runs_are_never_listed_ok(tmp_path):
    runs = tmp_path / "outputs"
    for seed in range(5):
        run(make_cfg(seed=seed, days=3)).save(runs / f"r{seed}", figures=False)
    frame = open_dataset(tmp_path).to_table().to_pandas().set_index("run")
    assert (frame["status"] == "ok").all()
    (runs / "r1" / "summary.json").write_text('{"scenario": "def')          # truncated
    (runs / "r2" / "summary.json").unlink()                                 # deleted
    data = bytearray((runs / "r3" / "daily.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF                                            # corrupted in place
    (runs / "r3" / "daily.parquet").write_bytes(bytes(data))
    status = json.loads((runs / "r4" / "status.json").read_text())        # killed after summary.json
    (runs / "r4" / "status.json").write_text(json.dumps({"status": "running", "started": status["started"],
                                                         "pid": 1, "host": "gone"}))
    frame = open_dataset(tmp_path).to_table().to_pandas().set_index("run")  # no JSONDecodeError
    assert frame["status"].to_dict() == {"r0": "ok", "r1": "damaged", "r2": "damaged", "r3": "damaged",
                                         "r4": "incomplete"}
    assert "summary.json" in frame.loc["r1", "error"]
    assert "summary.json is missing" in frame.loc["r2", "error"]
    assert "daily.parquet" in frame.loc["r3", "error"]
    assert frame["visits"].notna().to_dict() == {"r0": True, "r1": False, "r2": False, "r3": False,
                                                 "r4": False}


def test_a_read_only_archive_is_catalogued_elsewhere(tmp_path, monkeypatch):
    import sim.studies.catalogue as catalogue

    run(make_cfg(seed=1, days=3)).save(tmp_path / "outputs" / "one", figures=False)
    monkeypatch.setattr(catalogue.os, "access", lambda path, mode: False)  # as if the folder were read-only
    elsewhere = catalogue._index_dir(tmp_path.resolve())
    try:
        frame = open_dataset(tmp_path).to_table().to_pandas()
        assert frame["status"].tolist() == ["ok"]
        assert not list((tmp_path / CATALOGUE_DIR).glob("*/*.parquet"))  # nothing written into the archive
        assert list(elsewhere.glob("*/*.parquet"))
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)


def test_a_column_numeric_in_one_source_and_text_in_another_reads_as_text(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.studies.catalogue import _numeric, _schema

    assert _numeric(pd.Series([0.1, "0.2", None])) and not _numeric(pd.Series(["group_buy", 1.0]))
    assert not _numeric(pd.Series([True, False]))
    pq.write_table(pa.table({"param.x": [0.1, 0.2]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"param.x": ["group_buy"]}), tmp_path / "b.parquet")
    assert _schema([tmp_path / "a.parquet", tmp_path / "b.parquet"]).field("param.x").type == pa.string()
    assert _schema([tmp_path / "a.parquet"]).field("param.x").type == pa.float64()
