"""The dashboard in a real browser: Debian's chromium (``make browser``) driven by playwright, offline.

One server serves the module's tests. The class session drives every lesson, changes a setting
and checks the pending badge, looks inside a store and a consumer, runs to the end and checks the
finished state, exports, and saves screenshots at 1280x800 and 1920x1080 (in the test's
temporary folder, printed). The speed test times steps in the page at 3,000 and 20,000 consumers.
"""

import io
import json
import re
import statistics
import sys
import zipfile
from pathlib import Path

import pytest

from sim.viz.browser import (
    PAGE_TIMEOUT_MS,
    chromium_path,
    free_port,
    server_process,
    serving,
    session,
)
from sim.viz.export import EXPORT_FILES
from sim.viz.lessons import LESSONS
from sim.viz.panels import FINISHED, PENDING
from sim.viz.server import PAGE_TITLE
from sim.viz.settings import HORIZON_DAYS, OMO_FEATURES

#: The step time targets (seconds, drawing included): median of the timed steps.
TARGET_S = {3000: 0.3, 20000: 1.0}
TIMED_STEPS = 10


def test_chromium_is_installed():
    assert Path(chromium_path()).is_file()  # raises "run `make browser`" when missing: never skipped


@pytest.fixture(scope="module")
def served():
    chromium_path()
    log = io.StringIO()
    with serving(free_port(), log) as url:
        yield url, log


def assert_clean(s, log):
    assert s.requests and s.foreign_requests() == []  # offline: nothing asked of another host
    assert s.failed == [] and s.page_errors == [] and s.console_errors == []
    assert "Could not load URL" not in log.getvalue()  # the server fetched nothing
    assert not s.has(".o2o-error")


@pytest.mark.slow
def test_a_class_session_every_lesson_to_the_end(served, tmp_path):
    url, log = served
    shots = tmp_path / "screenshots"
    with session(url, (1280, 800)) as s:
        # the presentation layout: title, and guide, maps and charts on screen without scrolling
        assert s.page.title() == PAGE_TITLE
        assert s.text(".o2o-lesson-title") == LESSONS["o2o_omo"].title
        for part in (".o2o-guide", ".o2o-map", ".o2o-chart", ".o2o-inside-cell", ".o2o-bar",
                     ".o2o-control-unified_points", ".o2o-control-personalised_targeting"):
            assert s.in_view(part), part
        assert "runs on" not in s.page.inner_text("body")  # no Solara banner over the panels
        assert s.page.locator(".o2o-map").count() == 2
        assert s.page.locator(".o2o-echart").count() == 5  # two maps, three charts
        s.screenshot(shots / "o2o_omo_1280x800_day0.png")

        # a setting waits for Reset, and says so in class units
        assert not s.has(".o2o-pending")
        assert s.nudge("discount_pct") == "Push coupon: 25% off"
        assert s.text(".o2o-pending") == PENDING
        s.step()
        assert s.day() == 1 and s.has(".o2o-pending")  # the run goes on with the settings in force
        assert "Push coupon: 20% off" in s.text(".o2o-inforce")
        s.reset()
        assert not s.has(".o2o-pending") and "Push coupon: 25% off" in s.text(".o2o-inforce")
        # switching every OMO feature off makes the two cities one: the guide says so
        for feature in OMO_FEATURES:
            s.nudge(feature)
        s.reset()
        assert "the two cities stay identical" in s.text(".o2o-guide")
        for _ in range(3):
            s.step()
        assert s.chart_title("o2o-chart-money") == "OMO against O2O, days 0-2: +¥0"

        # what is shown applies at once, and the guide follows it
        s.choose_view("OMO only")
        s.wait_text(".o2o-guide", "Only the OMO city is shown")
        s.wait_drawn(3, "focus")
        assert s.page.locator(".o2o-map").count() == 1
        assert s.text(".o2o-map-caption").startswith("OMO, day 3") and s.day() == 3
        assert s.chart_title("o2o-chart-money").startswith("Brand's profit in OMO, days 0-2")
        s.choose_view("Side by side")
        s.wait_text(".o2o-guide", "Two copies of one city")
        s.wait_drawn(3, "both")

        # every lesson: its guide and question, a day drawn, a look inside
        for key, lesson in LESSONS.items():
            s.choose_lesson(lesson.title)
            assert lesson.question in s.text(".o2o-question")
            assert s.day() == 0
            s.step()
            s.step()
            captions = s.page.locator(".o2o-map-caption").all_inner_texts()
            assert [c.split(",")[0] for c in captions] == [lesson.cities[0].name, lesson.cities[1].name]
            assert all(re.search(r"day 2: [\d,]+ trips", c) for c in captions), captions
            s.screenshot(shots / f"{key}_1280x800_day2.png")
        s.click_map_item("stores", 1)
        s.wait_text(".o2o-inside-cell .o2o-cell-head", r"^Store \d+ in ")
        assert "rating" in s.text(".o2o-inside-cell")
        s.click_map_item("unaware", 0)
        s.wait_text(".o2o-inside-cell .o2o-cell-head", r"^Consumer \d+ in ")
        assert "Lives" in s.text(".o2o-inside-cell")

        # the first lesson again, every feature on, played to the end: the last day drawn, finished, no error
        s.choose_lesson(LESSONS["o2o_omo"].title)
        for feature in OMO_FEATURES:
            assert s.nudge(feature).endswith(": on")
        s.reset()
        s.page.locator(".o2o-speed").first.click()
        s.page.locator(".v-menu__content .v-list-item").filter(has_text=re.compile("^8$")).first.click()
        s.play_to_end()
        assert s.day() == HORIZON_DAYS
        assert s.text(".o2o-finished").startswith(FINISHED)
        assert s.disabled("button.o2o-step") and s.disabled("button.o2o-play")
        s.wait_drawn(HORIZON_DAYS)
        assert all(f"day {HORIZON_DAYS}:" in c for c in s.page.locator(".o2o-map-caption").all_inner_texts())
        s.page.wait_for_timeout(1500)  # nothing else happens after the end
        assert s.day() == HORIZON_DAYS and not s.has(".o2o-error")
        s.screenshot(shots / "o2o_omo_1280x800_finished.png")
        assert "error in step" not in s.page.inner_text("body")

        # the export: figures and the series
        path = s.export(tmp_path)
        with zipfile.ZipFile(path) as z:
            assert sorted(z.namelist()) == sorted(EXPORT_FILES)
            series = z.read("series.csv").decode()
            assert series.count("\n") == 2 * HORIZON_DAYS + 1  # two cities, every day, a header
            assert z.read("charts.png").startswith(b"\x89PNG")

        s.resize(1920, 1080)
        for part in (".o2o-guide", ".o2o-map", ".o2o-chart", ".o2o-inside-cell"):
            assert s.in_view(part), part
        s.screenshot(shots / "o2o_omo_1920x1080_finished.png")
        assert_clean(s, log)
    print("screenshots:", *sorted(p.name for p in shots.iterdir()), "in", shots)
    assert len(list(shots.glob("*.png"))) == 3 + len(LESSONS)


@pytest.mark.slow
def test_every_chart_text_is_at_least_12px_at_1920x1080(served):
    url, log = served
    with session(url, (1920, 1080)) as s:
        sizes = []
        for lesson in ("O2O vs OMO", "OMO one feature at a time", "Group-buy overload"):
            if lesson != s.text(".o2o-lesson-title"):
                s.choose_lesson(lesson)
            for _ in range(4):
                s.step()
            s.page.mouse.move(*_centre(s, ".o2o-chart-brand_visits, .o2o-chart-service"))  # a tooltip too
            s.page.wait_for_timeout(400)
            sizes += s.chart_text_sizes()
        assert_clean(s, log)
    kinds = {kind for kind, _, _ in sizes}
    assert {"svg", "html"} <= kinds, kinds  # chart text (SVG) and panel text (captions, key, tooltip)
    small = [(kind, text, round(px, 1)) for kind, text, px in sizes if px < 12]
    assert small == [], small[:20]
    assert len(sizes) > 100


def _centre(s, selector):
    box = s.page.locator(selector).first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


@pytest.mark.slow
def test_a_step_appears_in_time_at_3000_and_20000_consumers(served, tmp_path):
    url, _ = served
    measured = {}
    with session(url, (1280, 800)) as s:
        for consumers in (3000, 20000):
            if consumers != 3000:
                s.nudge("consumers", "End")
                assert "Consumers: 20,000" in s.text(".o2o-control-consumers")
                s.reset()
            for _ in range(2):
                s.step()  # warm-up
            measured[consumers] = [s.step() for _ in range(TIMED_STEPS)]
    report = {n: {"median_s": round(statistics.median(t), 3), "max_s": round(max(t), 3),
                  "min_s": round(min(t), 3)} for n, t in measured.items()}
    (tmp_path / "step_times.json").write_text(json.dumps(report))
    print("dashboard step times (drawing included):", report)
    for n, target in TARGET_S.items():
        assert report[n]["median_s"] <= target, report


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
    from sim.viz.app import ERROR_MESSAGE
    from sim.viz.server import offline_env

    script = tmp_path / "broken_dashboard.py"
    script.write_text(BROKEN_STEP)
    env = offline_env()
    env["PYTHONMALLOC"] = "malloc"  # serve in this process: the patch above stays in force
    port, log = free_port(), io.StringIO()
    cmd = [sys.executable, str(script), "--port", str(port)]
    with server_process(port, log, cmd=cmd, env=env) as srv, session(srv.url) as s:
        s.page.locator("button.o2o-step").first.click()
        s.page.locator(".o2o-error").first.wait_for(timeout=PAGE_TIMEOUT_MS)
        text, html = s.page.inner_text("body"), s.page.content()
        s.screenshot(tmp_path / "error_panel.png")
        s.page.get_by_role("button", name="Start again").click()  # a fresh model
        s.wait_drawn(0)
        recovered = not s.has(".o2o-error")
        page_errors, console_errors = s.page_errors, s.console_errors

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
