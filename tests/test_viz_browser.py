"""The dashboard in a real browser: Debian's chromium (``make browser``) driven by playwright."""

import io
import re
from pathlib import Path

import pytest

from sim.viz.browser import chromium_path, free_port, serving, visit
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
