import json

import numpy as np
import pandas as pd

from sim.sweeps import collect, mark_done, mark_failed, run_key, run_status, write_sweep


def _jobs(tmp_path, jobs):
    (tmp_path / "jobs.json").write_text(json.dumps({"jobs": jobs}))


def test_run_key_is_stable_and_distinct():
    a = run_key("campaign.push_coupon.discount=0.1,seed=0")
    assert a == run_key("campaign.push_coupon.discount=0.1,seed=0")
    assert a != run_key("campaign.push_coupon.discount=0.1,seed=1")
    assert "/" not in run_key("a=x/y") and run_key("") .startswith("defaults-")


def test_status_markers_roundtrip(tmp_path):
    assert run_status(tmp_path)["status"] == "missing"
    mark_done(tmp_path, 1.23)
    assert run_status(tmp_path) == {"status": "ok", "seconds": 1.23}
    try:
        raise RuntimeError("boom")
    except RuntimeError as err:
        mark_failed(tmp_path, err)
    st = run_status(tmp_path)
    assert st["status"] == "failed" and "RuntimeError: boom" in st["error"] and "Traceback" in st["traceback"]


def test_collect_keeps_failed_and_missing_runs(tmp_path):
    jobs = []
    for d in (0.1, 0.2):
        for seed in (0, 1, 2):
            ov = [f"campaign.push_coupon.discount={d}", f"seed={seed}"]
            jobs.append({"key": run_key(",".join(ov)), "overrides": ov})
    _jobs(tmp_path, jobs)
    for i, job in enumerate(jobs):
        folder = tmp_path / job["key"]
        folder.mkdir()
        if i == 4:
            mark_failed(folder, ValueError("bad"))
            continue
        if i == 5:
            continue  # never finished
        d = float(job["overrides"][0].split("=")[1])
        summary = {"seed": int(job["overrides"][1][5:]), "visits": 100 + 1000 * d + i,
                   "purchases": 90, "attributed_roi": None, "redemption_rate": d, "mean_wait_min": 1.0,
                   "final_mean_rating": 3.9}
        (folder / "summary.json").write_text(json.dumps(summary))
        mark_done(folder, 0.1)
    frame = write_sweep(tmp_path)
    assert len(frame) == 6
    assert list(frame["status"]) == ["ok", "ok", "ok", "ok", "failed", "missing"]
    assert "ValueError: bad" in frame.loc[4, "error"]
    assert frame.loc[0, "param.campaign.push_coupon.discount"] == 0.1
    assert np.isnan(frame.loc[0, "attributed_roi"])  # JSON null becomes NaN, not a dropped row
    back = pd.read_parquet(tmp_path / "sweep.parquet")
    pd.testing.assert_frame_equal(back, frame)
    png = (tmp_path / "sweep.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))
    assert collect(tmp_path)["seed"].tolist()[:4] == [0, 1, 2, 0]
