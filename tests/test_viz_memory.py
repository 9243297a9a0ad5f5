"""Closed dashboard sessions give their memory back: 20 real Chromium sessions, then RSS near idle."""

import json
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from sim.viz.browser import chromium_path, free_port, server_process

#: Sessions opened together, in turn; 20 in all, the first ten at once (two cores used to time out).
BATCHES = (10, 5, 5)
TOLERANCE = 0.10
DRAW_TIMEOUT_MS = 60_000


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def open_sessions(url: str) -> int:
    """Sessions the server holds (Solara's /resourcez)."""
    with urllib.request.urlopen(url + "resourcez", timeout=10) as r:
        return json.loads(r.read())["kernels"]["total"]


def wait_until(predicate, timeout_s: float, step_s: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def settled_rss(pid: int, timeout_s: float = 15.0) -> float:
    """RSS once it stops moving (two readings a second apart within 1 MB), after the release runs."""
    time.sleep(3)  # the server collects and trims two seconds after a session closes
    last = rss_mb(pid)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(1)
        now = rss_mb(pid)
        if abs(now - last) < 1:
            return now
        last = now
    return last


def run_sessions(browser, url: str, n: int) -> float:
    """Open ``n`` pages at once (each its own browser profile), wait until each drew its map, close them."""
    contexts = [browser.new_context() for _ in range(n)]
    pages = [c.new_page() for c in contexts]
    start = time.monotonic()
    for page in pages:
        page.goto(url)
    for page in pages:
        page.locator(".o2o-map-caption").first.wait_for(timeout=DRAW_TIMEOUT_MS)
        assert page.locator(".o2o-map-caption").first.inner_text().startswith("O2O, day 0: ")
    drawn_s = time.monotonic() - start
    for page in pages:
        page.close(run_before_unload=True)  # a tab closed by its user
    for context in contexts:
        context.close()
    return drawn_s


@pytest.mark.slow
def test_twenty_closed_sessions_leave_the_server_near_its_idle_memory(tmp_path):
    from playwright.sync_api import sync_playwright

    port = free_port()
    with server_process(port) as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            run_sessions(browser, served.url, 1)  # warm-up: imports, compiled kernels, compressed assets
            assert wait_until(lambda: open_sessions(served.url) == 0, 30), "the warm-up session stayed open"
            idle = settled_rss(served.pid)

            peaks, drawn = [], []
            for n in BATCHES:
                drawn.append(run_sessions(browser, served.url, n))
                peaks.append(rss_mb(served.pid))
                assert wait_until(lambda: open_sessions(served.url) == 0, 120), "closed sessions were kept"
            after = settled_rss(served.pid)
        finally:
            browser.close()

    report = {"idle_mb": round(idle), "after_mb": round(after), "peak_mb": round(max(peaks)),
              "sessions": sum(BATCHES), "first_batch_drawn_s": round(drawn[0], 1)}
    (tmp_path / "memory.json").write_text(json.dumps(report))
    print("dashboard memory:", report)
    assert after <= idle * (1 + TOLERANCE), report


def test_closing_sessions_in_a_burst_gives_one_release_later(caplog):
    from sim.viz.memory import ReleaseAfterClose

    calls = []
    releaser = ReleaseAfterClose(delay_s=0.3, release=lambda: calls.append(time.monotonic()))
    start = time.monotonic()
    for _ in range(5):  # five sessions closing together
        releaser.on_session_start()()  # what Solara calls when a session closes
    assert calls == []
    assert wait_until(lambda: releaser.releases == 1, 5, 0.05)
    assert len(calls) == 1 and calls[0] - start >= 0.3
    releaser.schedule()  # a later close gives another release
    assert wait_until(lambda: releaser.releases == 2, 5, 0.05) and len(calls) == 2


def test_a_failed_release_is_logged_and_the_next_one_still_runs(caplog):
    from sim.viz.memory import ReleaseAfterClose

    def fail():
        raise RuntimeError("no trim here")

    releaser = ReleaseAfterClose(delay_s=0.01, release=fail)
    releaser.schedule()
    assert wait_until(lambda: releaser.releases == 1, 5, 0.05)
    assert "releasing memory after a session closed failed" in caplog.text
    releaser.schedule()
    assert wait_until(lambda: releaser.releases == 2, 5, 0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_the_allocator_is_tuned_and_trimmed_with_glibc():
    code = "from sim.viz import memory; print(memory.tune_allocator()); memory.release_memory()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "True"
