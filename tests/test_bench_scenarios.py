"""experiments/bench/scenarios.py: the per-scenario table of `make bench`, on tiny sizes (no timing)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import REPO, load_script

SCRIPT = REPO / "experiments" / "bench" / "scenarios.py"
HEADER = "| scenario | ms per day | min-max ms | consumer-days/s | x baseline | target | met |"
ROW = re.compile(r"^\| (?P<name>\w+) \| (?P<ms>\d+\.\d\d) \| (?P<lo>\d+\.\d\d)-(?P<hi>\d+\.\d\d) \| "
                 r"(?P<rate>[\d,]+) \| (?P<ratio>\d+\.\d\d)x \| <= 1\.5x baseline \| (?P<met>yes|no) \|$")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=REPO,
                          timeout=600)


def _rows(stdout: str) -> list[dict]:
    lines = stdout.splitlines()
    start = lines.index(HEADER)
    assert lines[start + 1] == "|---|---|---|---|---|---|---|"
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        m = ROW.match(line)
        assert m, line
        rows.append(m.groupdict())
    return rows


def test_quick_table_has_one_row_per_scenario_and_the_ratio_to_baseline():
    proc = _run("--quick", "--consumers", "2000", "--days", "3", "--scenarios", "default", "omo_full")
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = proc.stdout.splitlines()[0]
    assert first.startswith("`python experiments/bench/scenarios.py --quick") and "2,000 consumers" in first
    rows = _rows(proc.stdout)
    assert [r["name"] for r in rows] == ["baseline", "default", "omo_full"]  # baseline added, first
    base_ms = float(rows[0]["ms"])
    assert rows[0]["ratio"] == "1.00" and base_ms > 0
    half = 0.005  # the table's milliseconds are rounded to 2 decimals
    for r in rows:
        ms, lo, hi = float(r["ms"]), float(r["lo"]), float(r["hi"])
        assert 0 < lo <= ms <= hi
        ratio, rate = float(r["ratio"]), int(r["rate"].replace(",", ""))
        assert (ms - half) / (base_ms + half) - half <= ratio <= (ms + half) / (base_ms - half) + half
        assert 2000 / ((ms + half) / 1000) - 1 <= rate <= 2000 / ((ms - half) / 1000) + 1
        assert r["met"] == ("yes" if ratio <= 1.5 else "no")
    met = sum(r["met"] == "yes" for r in rows)
    assert re.search(rf"^{met} of 3 scenarios within 1\.5x the baseline's day", proc.stdout, re.M)


def test_a_fresh_process_per_scenario_gives_the_same_fields(tmp_path):
    out = tmp_path / "scenarios.json"
    proc = _run("--consumers", "1000", "--stores", "10", "--days", "2", "--repeats", "2",
                "--scenarios", "baseline", "--json", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [r["name"] for r in _rows(proc.stdout)] == ["baseline"]
    (result,) = json.loads(out.read_text())
    assert result["scenario"] == "baseline" and result["repeats"] == 2
    assert (result["consumers"], result["stores"], result["days"]) == (1000, 10, 2)
    assert result["min_ms"] <= result["ms_per_day"] <= result["max_ms"] and result["visits"] > 0
    assert result["warmup_days"] >= 0 and result["setup_s"] > 0


def test_unknown_scenario_is_refused():
    proc = _run("--quick", "--scenarios", "no_such_scenario")
    assert proc.returncode == 2 and "no_such_scenario" in proc.stderr


def test_every_shipped_scenario_is_measured_by_default():
    bench = load_script("experiments/bench/scenarios.py")
    assert set(bench.SCENARIOS) == {p.stem for p in (REPO / "scenarios").glob("*.yaml")}
    assert "baseline" in bench.SCENARIOS and bench.TARGET_RATIO == 1.5
