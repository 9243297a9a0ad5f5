"""sim.studies.sweeps: run status markers, the sweep's table of every expected run, and its figure."""

import errno
import hashlib
import json

import numpy as np
import pandas as pd

from sim.config.naming import run_key
from sim.studies.sweeps import (
    collect,
    mark_done,
    mark_failed,
    mark_interrupted,
    plot_sweep,
    run_status,
    write_sweep,
)


def _jobs(tmp_path, jobs):
    (tmp_path / "jobs.json").write_text(json.dumps({"jobs": jobs}))


def test_status_markers_roundtrip(tmp_path):
    assert run_status(tmp_path)["status"] == "missing"
    (tmp_path / "summary.json").write_text('{"visits": 1}\n')
    mark_done(tmp_path, 1.23)
    st = run_status(tmp_path)
    assert st["status"] == "ok" and st["seconds"] == 1.23 and st["format"] == 1
    assert st["files"] == {"summary.json": {
        "size": 14, "sha256": hashlib.sha256(b'{"visits": 1}\n').hexdigest()}}
    try:
        raise RuntimeError("boom")
    except RuntimeError as err:
        mark_failed(tmp_path, err)
    st = run_status(tmp_path)
    assert st["status"] == "failed" and "RuntimeError: boom" in st["error"] and "Traceback" in st["traceback"]
    assert "errno" not in st
    mark_failed(tmp_path, OSError(errno.ENOSPC, "No space left on device", "x.parquet"))
    assert run_status(tmp_path)["errno"] == errno.ENOSPC  # a fault of the machine is told apart
    mark_interrupted(tmp_path)
    assert run_status(tmp_path)["status"] == "interrupted"


def test_verification_names_the_damaged_file(tmp_path):
    (tmp_path / "summary.json").write_text('{"visits": 1}\n')
    (tmp_path / "daily.parquet").write_bytes(b"PAR1" + bytes(100) + b"PAR1")
    mark_done(tmp_path, 0.5)
    assert run_status(tmp_path)["status"] == "ok"
    assert run_status(tmp_path, verify=False)["status"] == "ok"
    data = bytearray((tmp_path / "daily.parquet").read_bytes())
    data[50] ^= 0xFF  # same size, one byte flipped
    (tmp_path / "daily.parquet").write_bytes(bytes(data))
    st = run_status(tmp_path)
    assert st["status"] == "damaged" and st["file"] == "daily.parquet" and "daily.parquet" in st["error"]
    assert run_status(tmp_path, verify=False)["status"] == "ok"  # the record alone does not know
    (tmp_path / "daily.parquet").unlink()
    st = run_status(tmp_path)
    assert st["status"] == "damaged" and "daily.parquet is missing" in st["error"]
    (tmp_path / "status.json").write_text('{"status": "o')  # the record itself truncated
    st = run_status(tmp_path)
    assert st["status"] == "damaged" and st["file"] == "status.json"
    (tmp_path / "status.json").write_text('{"status": "ok", "seconds": 1.0}')  # older layout: no checksums
    assert run_status(tmp_path)["status"] == "incomplete"
    (tmp_path / "status.json").unlink()  # files without a record: started, never finished
    assert run_status(tmp_path)["status"] == "incomplete"


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


def test_collect_reports_damaged_and_unfinished_runs_never_ok(tmp_path):
    jobs = [{"key": f"seed={i}-0000000{i}", "overrides": [f"seed={i}"]} for i in range(6)]
    _jobs(tmp_path, jobs)
    for i, job in enumerate(jobs):
        folder = tmp_path / job["key"]
        folder.mkdir()
        (folder / "summary.json").write_text(json.dumps({"seed": i, "visits": 10 + i}))
        (folder / "daily.parquet").write_bytes(b"PAR1" + bytes(64) + b"PAR1")
        mark_done(folder, 0.1)
    first = lambda i: tmp_path / jobs[i]["key"]  # noqa: E731
    (first(1) / "summary.json").write_text('{"seed": 1, "vis')        # truncated
    (first(2) / "summary.json").unlink()                              # deleted
    data = bytearray((first(3) / "daily.parquet").read_bytes())
    data[10] ^= 0x01
    (first(3) / "daily.parquet").write_bytes(bytes(data))            # corrupted
    (first(4) / "status.json").write_text(json.dumps({"status": "running", "started": "2020-01-01T00:00:00",
                                                      "pid": 1, "host": "gone"}))  # killed mid-run
    frame = write_sweep(tmp_path, figure=False)                       # no JSONDecodeError
    assert frame["status"].tolist() == ["ok", "damaged", "damaged", "damaged", "incomplete", "ok"]
    assert "summary.json" in frame.loc[1, "error"] and "summary.json is missing" in frame.loc[2, "error"]
    assert "daily.parquet" in frame.loc[3, "error"] and "never finished" in frame.loc[4, "error"]
    assert frame["visits"].isna().tolist() == [False, True, True, True, True, False]  # KPIs only from ok runs
    assert frame["seed"].tolist() == [0, 1, 2, 3, 4, 5]
    assert pd.read_parquet(tmp_path / "sweep.parquet")["status"].tolist() == frame["status"].tolist()


def test_an_empty_sweep_still_has_its_columns(tmp_path):
    _jobs(tmp_path, [])
    assert list(collect(tmp_path).columns) == ["run", "overrides", "status", "error"]


def _frame(seeds, values=(0.1, 0.2, 0.3)):
    rows = []
    rng = np.random.default_rng(0)
    for seed in seeds:
        city = rng.normal(0, 50)  # a seed's city: shared by every value (common random numbers)
        for v in values:
            rows.append({"status": "ok", "seed": seed, "param.campaign.push_coupon.discount": v,
                         "visits": 1000 + city + 100 * v + rng.normal(0, 1), "redemption_rate": 0.01 * v})
    return pd.DataFrame(rows)


def test_sweep_figure_shows_paired_differences_and_warns_below_three_seeds(tmp_path, monkeypatch):
    import matplotlib.axes

    titles = []
    monkeypatch.setattr(matplotlib.axes.Axes, "set_title",
                        lambda self, text, *a, **k: titles.append(text))
    assert plot_sweep(_frame([0, 1, 2, 3]), tmp_path / "a.png", ("visits",)) is None
    assert titles[0] == "visits: change from\ndiscount=0.1"
    titles.clear()
    warning = plot_sweep(_frame([0, 1]), tmp_path / "b.png", ("visits", "redemption_rate"))
    assert "only 2 seed(s): no interval drawn" in warning
    unshared = _frame([0, 1, 2, 3])
    unshared.loc[unshared["param.campaign.push_coupon.discount"] == 0.3, "seed"] += 10  # other seeds
    titles.clear()
    plot_sweep(unshared, tmp_path / "c.png", ("visits",))
    assert titles[0] == "visits"  # no pairing to use: levels, not differences
