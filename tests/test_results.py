"""sim.outputs.results (and the schemas of sim.outputs.recorder): frames, summary, save and load."""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.config import from_dict
from sim.outputs.files import atomic_write
from sim.outputs.recorder import SOURCES, attribute
from sim.outputs.results import Results
from sim.outputs.run_folder import RunFolderError, verify

SUMMARY_KEYS = {"consumers", "stores", "days", "seed", "visits", "purchases", "unique_customers",
                "conversion_rate", "redemption_rate", "revenue", "campaign_cost", "attributed_roi",
                "repeat_rate", "brand_contribution", "others_contribution", "platform_contribution",
                "brand_spend", "currency",
                "mean_wait_min", "final_mean_rating"}
DAILY_KEYS = {"day", "exposed", "aware", "intents", "visits", "balked", "purchases", "redemptions",
              "revenue", "discount_cost", "campaign_cost", "reviews", "shares", "mean_wait_min",
              "mean_rating"}
STORE_KEYS = {"day", "store_id", "visits", "purchases", "balked", "mean_wait_min", "rating"}
FILES = {"daily.parquet", "stores.parquet", "summary.json", "config.yaml", "pnl.parquet", "costs.parquet",
         "reviews.parquet", "consumers.parquet"}


def _leftover_tmp(folder):
    return [os.path.join(root, f) for root, _, files in os.walk(folder) for f in files
            if f.endswith(".tmp")]


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


# --------------------------------------------------------------------------- content


def test_summary_has_the_documented_keys(finished_results):
    s = finished_results.summary
    assert SUMMARY_KEYS <= set(s), SUMMARY_KEYS - set(s)
    cfg = finished_results.config
    assert s["consumers"] == cfg.population.size and s["stores"] == cfg.stores.count
    assert s["days"] == cfg.days and s["seed"] == cfg.seed


def test_frames_have_the_documented_columns(finished_results):
    assert DAILY_KEYS <= set(finished_results.daily.columns)
    assert STORE_KEYS <= set(finished_results.stores.columns)
    assert len(finished_results.daily) == finished_results.config.days
    assert finished_results.daily["day"].tolist() == list(range(finished_results.config.days))
    assert set(finished_results.to_frames()) == {"daily", "stores", "store_info", "coupons", "pnl", "costs",
                                                 "reviews", "consumers"}
    from sim.outputs.coupon_ledger import COUPON_COLUMNS
    from sim.outputs.ledger import COST_COLUMNS, PNL_COLUMNS

    assert list(finished_results.pnl.columns) == list(PNL_COLUMNS)
    assert list(finished_results.costs.columns) == list(COST_COLUMNS)
    assert len(finished_results.pnl) == 3 * finished_results.config.days  # brand, others, platform

    assert list(finished_results.coupons.columns) == list(COUPON_COLUMNS)
    from sim.outputs.review_ledger import REVIEW_COLUMNS

    reviews = finished_results.reviews
    assert list(reviews.columns) == list(REVIEW_COLUMNS)
    assert len(reviews) == finished_results.summary["reviews"] > 0
    assert reviews.groupby("day").size().reindex(finished_results.daily["day"], fill_value=0).tolist() == \
        finished_results.daily["reviews"].tolist()
    assert reviews["stars"].between(1, 5).all()
    served = reviews["outcome"] == "served"
    assert ((reviews["satisfaction_class"] == "failed") == ~served).all()
    assert not reviews.loc[~served, "deal_used"].any()  # a failed visit paid nothing
    daily = finished_results.daily
    by_valence = daily[["shares_positive", "shares_negative", "shares_neutral"]].sum(axis=1)
    assert (by_valence == daily["shares"]).all()
    info = finished_results.store_info
    assert len(info) == finished_results.config.stores.count
    assert info["store_id"].tolist() == list(range(len(info)))


def test_summary_rates_are_consistent(finished_results, finished_model):
    s = finished_results.summary
    assert 0 <= s["conversion_rate"] <= 1
    assert 0 <= s["redemption_rate"] <= 1
    assert s["redemption_rate"] == pytest.approx(s["redemptions"] / s["coupons_issued"])
    assert 0 <= s["repeat_rate"] <= 1
    assert s["mean_wait_min"] >= 0
    assert s["campaign_spend"] > 0
    margin = finished_results.config.stores.margin
    assert s["attributed_roi"] == pytest.approx((margin * s["redeemed_gross_revenue"] - s["campaign_spend"])
                                     / s["campaign_spend"])
    purchases = finished_model.recorder.customer_purchases
    assert s["unique_customers"] == int((purchases > 0).sum())
    assert s["repeat_rate"] == pytest.approx((purchases >= 2).sum() / (purchases > 0).sum())


def test_attribution_precedence(finished_model):
    pop = finished_model.population
    src = {name: i for i, name in enumerate(SOURCES)}
    # pick a real (consumer, slot) and force each source in turn on a copy of its state
    c, k = np.array([0]), np.array([0])
    names = ("slot_coupon", "slot_coupon_expiry", "slot_coupon_lever", "slot_prompt", "slot_prompt_lever",
             "slot_social", "slot_memory")
    saved = {n: getattr(pop, n)[0, 0].copy() for n in names}
    try:
        pop.slot_coupon[0, 0], pop.slot_coupon_expiry[0, 0] = 0, -1
        pop.slot_prompt[0, 0], pop.slot_social[0, 0], pop.slot_memory[0, 0] = 0, 0, np.nan
        assert attribute(pop, c, k, 5).tolist() == [src["organic"]]
        pop.slot_memory[0, 0] = 4.0
        assert attribute(pop, c, k, 5).tolist() == [src["repeat"]]
        pop.slot_social[0, 0] = 1.0
        assert attribute(pop, c, k, 5).tolist() == [src["share"]]       # share beats repeat
        pop.slot_coupon[0, 0], pop.slot_coupon_expiry[0, 0], pop.slot_coupon_lever[0, 0] = 10.0, 5, 0
        assert attribute(pop, c, k, 5).tolist() == [src["push"]]        # push beats share
        assert attribute(pop, c, k, 5, crm_levers=(0,)).tolist() == [src["crm"]]  # the coupon came from CRM
        assert attribute(pop, c, k, 6).tolist() == [src["share"]]       # expired coupon no longer counts
        pop.slot_prompt[0, 0], pop.slot_prompt_lever[0, 0] = 0.5, 1
        assert attribute(pop, c, k, 6, crm_levers=(1,)).tolist() == [src["crm"]]  # a CRM reminder's prompt
    finally:
        for n, v in saved.items():
            getattr(pop, n)[0, 0] = v


# --------------------------------------------------------------------------- save / load


@pytest.fixture(scope="module")
def saved(finished_results, tmp_path_factory):
    folder = tmp_path_factory.mktemp("run") / "out"
    returned = finished_results.save(folder)
    return folder, returned


def test_save_writes_every_file_atomically(saved):
    folder, returned = saved
    assert returned == folder
    names = {p.name for p in folder.iterdir()}
    assert FILES | {"store_info.parquet", "city.npz", "figures"} <= names
    pngs = sorted(p.name for p in (folder / "figures").glob("*.png"))
    assert len(pngs) == 3
    assert _leftover_tmp(folder) == []
    for p in folder.rglob("*"):
        if p.is_file():
            assert p.stat().st_size > 0, p


def test_load_round_trips_frames_summary_and_config(saved, finished_results):
    folder, _ = saved
    back = Results.load(folder)
    pd.testing.assert_frame_equal(back.daily, finished_results.daily, check_exact=True)
    pd.testing.assert_frame_equal(back.stores, finished_results.stores, check_exact=True)
    pd.testing.assert_frame_equal(back.store_info, finished_results.store_info, check_exact=True)
    pd.testing.assert_frame_equal(back.reviews, finished_results.reviews, check_exact=True)
    assert back.summary.keys() == finished_results.summary.keys()
    for k, v in finished_results.summary.items():
        assert _same(back.summary[k], v), k
    assert back.config == finished_results.config
    np.testing.assert_array_equal(back.city["population_density"],
                                  finished_results.city["population_density"])


def test_saved_summary_is_plain_json_and_config_is_yaml(saved, finished_results):
    folder, _ = saved
    data = json.loads((folder / "summary.json").read_text())
    assert data["visits"] == finished_results.summary["visits"]
    cfg = yaml.safe_load((folder / "config.yaml").read_text())
    assert from_dict(cfg) == finished_results.config


def test_nan_kpis_survive_json(small_cfg, tmp_path):
    # no campaign: nobody messaged, so conversion and redemption rates are undefined (NaN)
    r = sim.run(small_cfg({"campaign.push_coupon.enabled": False}, days=3))
    assert math.isnan(r.summary["conversion_rate"]) and math.isnan(r.summary["attributed_roi"])
    r.save(tmp_path, figures=False)
    text = (tmp_path / "summary.json").read_text()
    assert "NaN" not in text                    # strict JSON
    assert json.loads(text)["conversion_rate"] is None
    back = Results.load(tmp_path)
    assert math.isnan(back.summary["conversion_rate"])
    assert not (tmp_path / "figures").exists()
    assert _leftover_tmp(tmp_path) == []


def test_status_json_lists_every_file_with_its_checksum(saved):
    folder, _ = saved
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "ok" and status["format"] == 1 and status["seconds"] >= 0
    assert {"started", "finished"} <= set(status)
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
             and p.name not in ("status.json", ".o2o-sim.lock")}
    assert set(status["files"]) == files  # every file of the run, figures included
    for name, meta in status["files"].items():
        data = (folder / name).read_bytes()
        assert meta == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}, name
    assert verify(folder)["status"] == "ok"


def test_save_refuses_a_used_folder_unless_told_to_overwrite(small_cfg, tmp_path):
    first = sim.run(small_cfg(seed=1, days=3))
    second = sim.run(small_cfg(seed=2, days=3))
    first.save(tmp_path)
    files = lambda: {p: p.read_bytes() for p in tmp_path.rglob("*")  # noqa: E731
                     if p.is_file() and p.name != ".o2o-sim.lock"}
    before = files()
    with pytest.raises(FileExistsError, match="already holds a run"):
        second.save(tmp_path, figures=False)
    assert before == files()  # untouched
    second.save(tmp_path, figures=False, overwrite=True)
    assert not (tmp_path / "figures").exists()  # the earlier run's figures went with it: one seed only
    assert Results.load(tmp_path).summary["seed"] == 2
    assert verify(tmp_path)["status"] == "ok"
    assert _leftover_tmp(tmp_path) == []


def test_save_never_writes_into_a_folder_of_other_files(finished_results, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(FileExistsError, match="not a run"):
            finished_results.save(tmp_path, figures=False, overwrite=overwrite)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".o2o-sim.lock") == ["notes.txt"]


def test_load_refuses_a_damaged_run(finished_results, tmp_path):
    finished_results.save(tmp_path, figures=False)
    data = bytearray((tmp_path / "daily.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "daily.parquet").write_bytes(bytes(data))
    with pytest.raises(RunFolderError, match="damaged.*daily.parquet"):
        Results.load(tmp_path)


def test_a_save_that_fails_leaves_a_failed_run_not_an_ok_one(finished_results, tmp_path, monkeypatch):
    finished_results.save(tmp_path, figures=False)
    real = pd.DataFrame.to_parquet

    def full_disk(self, path, *args, **kwargs):
        if "stores" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    with pytest.raises(OSError, match="No space left"):
        finished_results.save(tmp_path, figures=False, overwrite=True)
    st = verify(tmp_path)
    assert st["status"] == "failed" and st["errno"] == errno.ENOSPC
    assert not (tmp_path / "summary.json").exists()  # the earlier run's files were cleared first
    assert _leftover_tmp(tmp_path) == []


def test_atomic_write_success_and_failure(tmp_path):
    target = tmp_path / "sub" / "file.txt"
    atomic_write(target, lambda p: open(p, "w").write("first"))
    assert target.read_text() == "first"

    def broken(p):
        with open(p, "w") as fh:
            fh.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text() == "first"        # the old file is untouched
    assert _leftover_tmp(tmp_path) == []
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_saved_files_get_normal_permissions(saved):
    """Atomic writes go through a private temporary file; the result must not stay private.

    A plain ``open(path, "w")`` creates files with mode ``0o666 & ~umask`` (usually 0644), so
    results can be read by a dashboard or a colleague; ``tempfile.mkstemp`` creates 0600.
    """
    folder, _ = saved
    mask = os.umask(0)
    os.umask(mask)
    expected = 0o666 & ~mask
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in folder.rglob("*") if p.is_file()}
    wrong = {name: mode for name, mode in modes.items() if mode != oct(expected)}
    assert not wrong, f"expected mode {oct(expected)} (umask {oct(mask)}), got {wrong}"


def test_a_saved_run_carries_its_provenance(finished_results, tmp_path):
    from sim.outputs.provenance import PROVENANCE_KEYS

    finished_results.save(tmp_path / "run", figures=False)
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert set(PROVENANCE_KEYS) <= set(saved) and "wall_seconds" in saved
    assert saved["results_version"] == sim.RESULTS_VERSION
    header = (tmp_path / "run" / "config.yaml").read_text().splitlines()[0]
    assert header.startswith("# package_version: ")
    assert yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["seed"] == saved["seed"]
    back = Results.load(tmp_path / "run")
    assert back.provenance["results_version"] == sim.RESULTS_VERSION and "git_commit" not in back.summary
