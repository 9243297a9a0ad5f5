"""The dashboard in a real browser: Debian's chromium (``make browser``) driven by playwright."""

import io
import re
import sys
from pathlib import Path

import pytest

from sim.viz.browser import PAGE_TIMEOUT_MS, chromium_path, free_port, server_process, serving, visit
from sim.viz.model import Levers


def test_chromium_is_installed():
    assert Path(chromium_path()).is_file()  # raises "run `make browser`" when missing: never skipped


@pytest.mark.slow
def test_dashboard_loads_offline_steps_and_draws(tmp_path):
    chromium_path()
    log = io.StringIO()
    with serving(free_port(), log) as url:
        seen = visit(url, tmp_path, steps=1)
    server_log = log.getvalue()

    # offline: the page asked nothing of any other host, and the server fetched nothing
    assert seen.requests and seen.foreign_requests() == []
    assert "Could not load URL" not in server_log, server_log
    # the front end loaded whole and raised nothing (e.g. Vue 3 widgets: "GlobalVue.use is not a function")
    assert seen.failed == []
    assert seen.page_errors == []
    assert seen.console_errors == []
    assert seen.grid_items == 4  # SolaraViz's grid: map, charts, network, guide
    assert seen.title == "o2o-sim: O2O versus OMO"

    # Step advanced the model by one day
    assert seen.time_after == seen.time_before + 1

    # the map shows the stores and today's trips; the charts hold a day of data
    stores = Levers().stores
    assert re.match(rf"Day 1: {stores} stores on the map; O2O [1-9][0-9,]* trips, OMO [1-9][0-9,]* trips",
                    seen.captions["map"]), seen.captions
    assert re.match(r"Charts: 1 days of data; today O2O [1-9]\d* visits, OMO [1-9]\d* visits",
                    seen.captions["charts"]), seen.captions
    assert seen.captions["network"].startswith("Day 1: O2O ")
    assert seen.map_image_std > 10  # a drawn map, not a blank image

    assert [p.name for p in seen.screenshots] == ["dashboard_start.png", "dashboard.png"]
    assert all(p.stat().st_size > 50_000 for p in seen.screenshots)


BROKEN_STEP = '''
import sys

import sim.viz.model as vm


def broken_step(self):
    raise FileNotFoundError("/srv/secret/place/kernel.py: forced failure on Step")


vm.DashboardModel.step = broken_step  # every model of this server fails on its first Step
from sim.viz.server import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
'''


@pytest.mark.slow
def test_an_error_shows_the_friendly_panel_not_a_traceback(tmp_path):
    from playwright.sync_api import sync_playwright

    from sim.viz.app import ERROR_MESSAGE
    from sim.viz.server import offline_env

    script = tmp_path / "broken_dashboard.py"
    script.write_text(BROKEN_STEP)
    env = offline_env()
    env["PYTHONMALLOC"] = "malloc"  # serve in this process: the patch above stays in force
    port, log = free_port(), io.StringIO()
    page_errors, console_errors = [], []
    cmd = [sys.executable, str(script), "--port", str(port)]
    with server_process(port, log, cmd=cmd, env=env) as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.goto(served.url)
            page.locator(".o2o-map-caption").first.wait_for(timeout=PAGE_TIMEOUT_MS)
            page.get_by_role("button", name="Step").click()
            page.locator(".o2o-error").first.wait_for(timeout=PAGE_TIMEOUT_MS)
            text, html = page.inner_text("body"), page.content()
            page.screenshot(path=str(tmp_path / "error_panel.png"), full_page=True)
            page.get_by_role("button", name="Start again").click()  # a fresh model
            page.locator(".o2o-map-caption").first.wait_for(timeout=PAGE_TIMEOUT_MS)
            recovered = page.locator(".o2o-error").count() == 0
        finally:
            browser.close()

    assert " ".join(ERROR_MESSAGE.split()) in " ".join(text.split())
    for leak in ("Traceback", "/srv/secret", "forced failure", 'File "', ".py"):
        assert leak not in text, leak
    for leak in ("Traceback (most recent", "/srv/secret", "forced failure", 'File "/', "site-packages"):
        assert leak not in html, leak
    assert page_errors == [] and console_errors == []
    assert recovered
    server_log = log.getvalue()  # the details are in the server's log
    assert "Traceback" in server_log and "forced failure on Step" in server_log
    assert "ERROR sim.viz.app: dashboard error" in server_log
