"""Drive the served dashboard in Debian's chromium through playwright (the tests, the README screenshot).

Core objects:
    * :func:`chromium_path` - the ``chromium`` on PATH (installed by ``make browser``);
      raises with the command to run when it is missing. Playwright never downloads a
      browser of its own here.
    * :func:`free_port`, :func:`server_process` and :func:`serving` - start
      ``o2o-dashboard`` (or another command) on a free loopback port in a subprocess,
      wait until it answers, stop it afterwards (its output is kept for the caller);
      :class:`Served` is what :func:`server_process` yields (URL and process id).
    * :class:`Session` and :func:`session` - one browser page on the dashboard, with what a
      teacher does: choose a lesson, a view, move a setting, Step (timed in the page, from the
      click until every chart has drawn the new day), Play to the end, click a store or a
      consumer on a map, Export, resize, take screenshots; and what a test measures: every
      request, failed response, console error and page error, and the size of every piece of
      text in the charts as drawn (:meth:`Session.chart_text_sizes`).
    * :class:`Visit` and :func:`visit` - load the page, step, read the captions, screenshot
      (what ``experiments/dashboard_screenshot.py`` uses for the README's picture).

Timing: each chart marks the revision it has finished drawing (``data-rendered``, see
:mod:`sim.viz.echart`); :meth:`Session.step` clicks Step and waits in the page until every
chart's drawn revision is the new day's, so a step's time includes the server's work, the
transfer and the drawing.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from sim.viz.server import command, offline_env

__all__ = ["LOCAL_HOSTS", "Served", "Session", "Visit", "chromium_path", "free_port", "server_process",
           "serving", "session", "visit", "zip_names"]

LOCAL_HOSTS = ("127.0.0.1", "localhost")
#: Seconds allowed for the server to answer, and for the page to draw its first model.
START_TIMEOUT_S = 90
PAGE_TIMEOUT_MS = 90_000

#: Installed before the page loads: records the font of every text drawn on a canvas (maps),
#: in CSS pixels after the canvas' transform and the device pixel ratio.
CANVAS_TEXT_PROBE = """
(() => {
  window.__o2oCanvasText = [];
  for (const name of ["fillText", "strokeText"]) {
    const original = CanvasRenderingContext2D.prototype[name];
    CanvasRenderingContext2D.prototype[name] = function (text, ...rest) {
      const m = /([0-9.]+)px/.exec(this.font || "");
      const t = this.getTransform();
      const scale = Math.sqrt(Math.abs(t.a * t.d - t.b * t.c)) / (window.devicePixelRatio || 1);
      if (m && String(text).trim()) {
        window.__o2oCanvasText.push([String(text), parseFloat(m[1]) * scale]);
      }
      return original.call(this, text, ...rest);
    };
  }
})();
"""

#: Every piece of text in the page's charts and chart panels, as drawn: SVG text (its computed font
#: size times the scale of its transform to the screen) and HTML text, with what it says.
CHART_TEXT_JS = """
() => {
  const out = [];
  for (const t of document.querySelectorAll(".o2o-cell svg text, .o2o-cell svg tspan")) {
    if (!t.textContent.trim() || t.querySelector("tspan")) continue;
    const size = parseFloat(getComputedStyle(t).fontSize);
    const m = t.getScreenCTM();
    const scale = m ? Math.sqrt(Math.abs(m.a * m.d - m.b * m.c)) : 1;
    const box = t.getBoundingClientRect();
    if (box.width > 0 && box.height > 0) out.push(["svg", t.textContent.trim(), size * scale]);
  }
  const walker = document.createTreeWalker(document.querySelector(".o2o-panels") || document.body,
                                           NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest("svg")) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden")
      out.push(["html", node.textContent.trim().slice(0, 40), parseFloat(getComputedStyle(el).fontSize)]);
  }
  for (const [text, size] of (window.__o2oCanvasText || [])) out.push(["canvas", text, size]);
  return out;
}
"""

#: Resolves when every chart shows a revision of day ``day`` (and view ``mode``, unless null) and has
#: finished drawing it.
DRAWN_JS = """
([day, mode]) => new Promise((resolve) => {
  const done = () => {
    const charts = [...document.querySelectorAll(".o2o-echart")];
    return charts.length > 0 && charts.every((c) => c.dataset.revision
      && c.dataset.rendered === c.dataset.revision && c.dataset.revision.split(":")[1] === String(day)
      && (mode === null || c.dataset.revision.split(":")[2].split(".")[0] === mode));
  };
  const check = () => (done() ? resolve(true) : requestAnimationFrame(check));
  check();
})
"""

#: Clicks Step and resolves with the milliseconds until every chart has drawn the next day
#: (-1 after ``limit`` ms).
TIMED_STEP_JS = """
([day, limit]) => new Promise((resolve) => {
  const t0 = performance.now();
  document.querySelector("button.o2o-step").click();
  const want = String(day + 1);
  const check = () => {
    const charts = [...document.querySelectorAll(".o2o-echart")];
    const ok = charts.length > 0 && charts.every((c) => c.dataset.rendered === c.dataset.revision
      && c.dataset.revision.split(":")[1] === want);
    if (ok) resolve(performance.now() - t0);
    else if (performance.now() - t0 > limit) resolve(-1);
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})
"""

#: The screen position of a data item of a series on the map ``index`` (0 = first map) that no store
#: covers: the store farthest from the others, or the consumer farthest from every store.
ITEM_POSITION_JS = """
([index, series]) => {
  const box = document.querySelectorAll(".o2o-map .o2o-echart")[index];
  const chart = box.__o2oChart;
  const all = chart.getOption().series;
  const px = (name, item) => { const v = Array.isArray(item) ? item : item.value;
    return [...chart.convertToPixel({ seriesName: name }, [v[0], v[1]]), v[2]]; };
  const stores = all.find((x) => x.name === "stores").data.map((d) => px("stores", d));
  const s = all.find((x) => x.name === series && x.data && x.data.length);
  if (!s) return null;
  const items = s.data.slice(0, 400).map((d) => px(series, d));
  let best = null, bestGap = -1;
  for (const [x, y, id] of items) {
    let gap = Infinity;
    for (const [sx, sy, sid] of stores) {
      if (sid !== id || series !== "stores") gap = Math.min(gap, Math.hypot(x - sx, y - sy));
    }
    if (gap > bestGap) { bestGap = gap; best = [x, y, id]; }
  }
  const r = box.getBoundingClientRect();
  return [r.left + best[0], r.top + best[1], best[2]];
}
"""


def chromium_path() -> str:
    """Path of Debian's chromium.

    Raises:
        RuntimeError: when no ``chromium`` is on PATH (``make browser`` installs it).
    """
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("chromium not found on PATH; run `make browser` "
                           "(apt-get install -y chromium) - the browser test needs it")
    return path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Served:
    """A running dashboard server.

    Attributes:
        url: its page, ``http://127.0.0.1:<port>/``.
        pid: its process id.
    """

    url: str
    pid: int


@contextlib.contextmanager
def server_process(port: int, log: io.StringIO | None = None, cmd: list[str] | None = None,
                   env: dict[str, str] | None = None):
    """Run a dashboard server on 127.0.0.1:``port`` while the block runs; yield a :class:`Served`.

    Args:
        port: a free port.
        log: receives the server's output (stdout and stderr) when it stops.
        cmd: the command (default: :func:`~sim.viz.server.command`, as ``o2o-dashboard``).
        env: its environment (default: :func:`~sim.viz.server.offline_env`).

    Raises:
        RuntimeError: if the server exits or does not answer within the timeout.
    """
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd or command("127.0.0.1", port), env=env or offline_env(), stdout=out,
                                stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    out.seek(0)
                    raise RuntimeError(f"dashboard server exited with {proc.returncode}:\n{out.read()}")
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dashboard server did not answer on {url} in {START_TIMEOUT_S} s")
                time.sleep(0.5)
            yield Served(url, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if log is not None:
                out.seek(0)
                log.write(out.read())


@contextlib.contextmanager
def serving(port: int, log: io.StringIO | None = None):
    """Run ``o2o-dashboard`` on 127.0.0.1:``port`` while the block runs; yield its URL.

    Args:
        port: a free port.
        log: receives the server's output when it stops.

    Raises:
        RuntimeError: if the server exits or does not answer within the timeout.
    """
    with server_process(port, log) as served:
        yield served.url


class Session:
    """One browser page on the dashboard (see module docstring); made by :func:`session`.

    Attributes:
        page: the playwright page.
        requests: every URL the page requested.
        failed: ``(status, url)`` of responses with status >= 400, and requests that failed.
        console_errors: console messages of type error.
        page_errors: uncaught exceptions in the page.
    """

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.failed: list[tuple] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(("failed", r.url)))
        page.on("response", lambda r: self.failed.append((r.status, r.url)) if r.status >= 400 else None)
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

    # ---------------------------------------------------------------- reading the page
    def foreign_requests(self) -> list[str]:
        """Requests to any host other than this machine's loopback."""
        return [u for u in self.requests
                if not u.startswith(("data:", "blob:")) and urlparse(u).hostname not in LOCAL_HOSTS]

    def text(self, selector: str) -> str:
        """The visible text of the first element matching ``selector`` ("" if there is none)."""
        loc = self.page.locator(selector)
        return loc.first.inner_text() if loc.count() else ""

    def day(self) -> int:
        """The day the top bar shows."""
        match = re.search(r"Day (\d+) of", self.text(".o2o-day"))
        if match is None:
            raise RuntimeError(f"no day in the top bar: {self.text('.o2o-bar')!r}")
        return int(match.group(1))

    def has(self, selector: str) -> bool:
        """Whether an element matching ``selector`` is on the page."""
        return self.page.locator(selector).count() > 0

    def disabled(self, selector: str) -> bool:
        """Whether the button matching ``selector`` is disabled."""
        return self.page.locator(selector).first.is_disabled()

    def in_view(self, selector: str) -> bool:
        """Whether every element matching ``selector`` lies wholly inside the window (no scrolling)."""
        return self.page.evaluate(
            """(sel) => { const all = [...document.querySelectorAll(sel)];
                return all.length > 0 && all.every((e) => { const r = e.getBoundingClientRect();
                  return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 0.5
                    && r.right <= innerWidth + 0.5; }); }""", selector)

    def chart_title(self, cell: str) -> str:
        """The title of the chart in the panel with class ``cell`` (``o2o-chart-money``), as drawn."""
        return self.page.evaluate(
            "(cell) => document.querySelector(`.${cell} .o2o-echart`).__o2oChart.getOption().title[0].text",
            cell)

    def chart_text_sizes(self) -> list[tuple[str, str, float]]:
        """``(kind, text, px)`` of every text in the panels as drawn (kind: ``svg``, ``html``, ``canvas``)."""
        return [tuple(x) for x in self.page.evaluate(CHART_TEXT_JS)]

    # ---------------------------------------------------------------- waiting
    def wait_drawn(self, day: int | None = None, mode: str | None = None,
                   timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
        """Wait until every chart has drawn day ``day`` (default: the day in the top bar).

        ``mode``: and in that view (``both``, ``reference`` or ``focus``; default: any).
        """
        day = self.day() if day is None else day
        self.page.wait_for_function(f"() => ({DRAWN_JS})([{int(day)}, {json.dumps(mode)}])",
                                    timeout=timeout_ms)

    def wait_text(self, selector: str, pattern: str, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
        """Wait until the element ``selector`` shows text matching the regular expression ``pattern``."""
        self.page.locator(selector).filter(has_text=re.compile(pattern)).first.wait_for(timeout=timeout_ms)

    # ---------------------------------------------------------------- doing
    def step(self) -> float:
        """Press Step; seconds until every chart has drawn the next day (measured in the page)."""
        day = self.day()
        ms = self.page.evaluate(TIMED_STEP_JS, [day, PAGE_TIMEOUT_MS])
        if ms < 0:
            raise RuntimeError(f"day {day + 1} was not drawn within {PAGE_TIMEOUT_MS / 1000:.0f} s: "
                               f"{self.drawn_state()}; page errors: {self.page_errors}; "
                               f"console errors: {self.console_errors}")
        return ms / 1000.0

    def drawn_state(self) -> list[tuple[str, str]]:
        """``(revision wanted, revision drawn)`` of every chart."""
        return [tuple(x) for x in self.page.evaluate(
            "() => [...document.querySelectorAll('.o2o-echart')].map((c) => [c.dataset.revision || '', "
            "c.dataset.rendered || ''])")]

    def choose_lesson(self, title: str) -> None:
        """Choose the lesson ``title`` (Reset if it is on screen); wait until its day 0 is drawn."""
        if self.text(".o2o-lesson-title") == title:  # choosing it again changes nothing: a new run
            self.reset()
            return
        before = self.run_id()
        self.page.locator(".o2o-lesson").first.click()
        self.page.locator(".v-menu__content .v-list-item").filter(
            has_text=re.compile(f"^{re.escape(title)}$")).first.click()
        self.wait_text(".o2o-lesson-title", f"^{re.escape(title)}$")
        self.wait_new_run(before)

    def choose_view(self, label: str) -> None:
        """Press the view button ``label`` (``Side by side``, ``<city> only``)."""
        buttons = self.page.locator(".o2o-view .v-btn")
        buttons.filter(has_text=re.compile(f"^{re.escape(label)}$")).first.click()

    def nudge(self, control: str, key: str = "ArrowRight") -> str:
        """Press ``key`` on the slider, or click the checkbox, of setting ``control``; its text once changed.

        A checkbox's text is its label and ``on`` or ``off``.
        """
        box = self.page.locator(f".o2o-control-{control}").first
        tick = box.locator("input[type=checkbox]")
        if tick.count():
            before = tick.first.is_checked()
            tick.first.click(force=True)
            self.page.wait_for_function(
                "([sel, before]) => document.querySelector(sel + ' input').checked !== before",
                arg=[f".o2o-control-{control}", before], timeout=PAGE_TIMEOUT_MS)
            return f"{box.inner_text().strip()}: {'on' if tick.first.is_checked() else 'off'}"
        before = box.inner_text()
        box.locator("[role=slider]").first.focus()
        self.page.keyboard.press(key)
        self.page.wait_for_function(
            "([sel, before]) => document.querySelector(sel).innerText !== before",
            arg=[f".o2o-control-{control}", before], timeout=PAGE_TIMEOUT_MS)
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        return box.inner_text()

    def run_id(self) -> str:
        """The run the charts show (the first part of their revision)."""
        return self.page.evaluate(
            "() => (document.querySelector('.o2o-echart').dataset.revision || '').split(':')[0]")

    def wait_new_run(self, before: str, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
        """Wait until the charts show a run other than ``before``, its day 0 drawn."""
        self.page.wait_for_function(
            "(before) => { const c = [...document.querySelectorAll('.o2o-echart')]; return c.length > 0 && "
            "c.every((x) => x.dataset.revision && x.dataset.revision.split(':')[0] !== before "
            "&& x.dataset.revision.split(':')[1] === '0' && x.dataset.rendered === x.dataset.revision); }",
            arg=before, timeout=timeout_ms)

    def reset(self) -> None:
        """Press Reset and wait for the new run's day 0 to be drawn."""
        before = self.run_id()
        self.page.locator("button.o2o-reset").first.click()
        self.wait_new_run(before)

    def play_to_end(self, timeout_ms: int = 300_000) -> None:
        """Press Play and wait until the run is finished and its last day drawn."""
        self.page.locator("button.o2o-play").first.click()
        self.page.locator(".o2o-finished").first.wait_for(timeout=timeout_ms)
        self.wait_drawn()

    def click_map_item(self, series: str, map_index: int = 0) -> int:
        """Click a data item of ``series`` (``stores`` or a journey stage) on a map; its id."""
        self.page.wait_for_timeout(500)  # a layout change (a badge in the bar) resizes the maps
        found = self.page.evaluate(ITEM_POSITION_JS, [map_index, series])
        if found is None:
            raise RuntimeError(f"no {series!r} on map {map_index}")
        x, y, ident = found
        self.page.mouse.click(x, y)
        return int(ident)

    def export(self, out_dir: Path) -> Path:
        """Press Export and save the file it downloads into ``out_dir``; its path."""
        with self.page.expect_download(timeout=PAGE_TIMEOUT_MS) as info:
            self.page.locator("button.o2o-export").first.click()
        download = info.value
        path = Path(out_dir) / download.suggested_filename
        download.save_as(str(path))
        return path

    def resize(self, width: int, height: int) -> None:
        """Resize the window and wait until the charts have drawn at the new size."""
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.wait_for_timeout(700)  # the charts redraw on resize (their revision is unchanged)
        self.wait_drawn()

    def screenshot(self, path: Path) -> Path:
        """The window as a PNG at ``path``."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))
        return Path(path)


@contextlib.contextmanager
def session(url: str, viewport: tuple[int, int] = (1280, 800)):
    """A :class:`Session` on the dashboard at ``url`` in Debian's chromium, its first day drawn.

    Raises:
        RuntimeError: when the page does not draw in time (with what the page reported).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                          accept_downloads=True)
            context.add_init_script(CANVAS_TEXT_PROBE)
            s = Session(context.new_page())
            s.page.goto(url)
            try:
                s.page.locator(".o2o-day").first.wait_for(timeout=PAGE_TIMEOUT_MS)
                s.wait_drawn(0)
            except PlaywrightTimeout:
                raise RuntimeError(f"the dashboard did not draw within {PAGE_TIMEOUT_MS / 1000:.0f} s; "
                                   f"page errors: {s.page_errors}; failed: {s.failed}; "
                                   f"console errors: {s.console_errors}") from None
            yield s
        finally:
            browser.close()


@dataclass
class Visit:
    """What one visit of the page saw (:func:`visit`).

    Attributes:
        requests, failed, console_errors, page_errors: as :class:`Session` records them.
        day_before, day_after: the day in the top bar before and after the steps.
        captions: the first map's caption (``map``) and the lesson's title (``lesson``).
        step_s: seconds each step took to appear (drawing included).
        title: the browser tab's title.
        screenshots: files written.
    """

    requests: list[str] = field(default_factory=list)
    failed: list[tuple] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    day_before: int = -1
    day_after: int = -1
    captions: dict[str, str] = field(default_factory=dict)
    step_s: list[float] = field(default_factory=list)
    title: str = ""
    screenshots: list[Path] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests to any host other than this machine's loopback."""
        return [u for u in self.requests
                if not u.startswith(("data:", "blob:")) and urlparse(u).hostname not in LOCAL_HOSTS]


def visit(url: str, out_dir: Path, steps: int = 1, viewport: tuple[int, int] = (1600, 1000)) -> Visit:
    """Load the dashboard at ``url``, press Step ``steps`` times, record and screenshot.

    Screenshots: ``dashboard_start.png`` (as loaded) and ``dashboard.png`` (after the steps),
    the whole window, in ``out_dir``.
    """
    out_dir = Path(out_dir)
    seen = Visit()
    with session(url, viewport) as s:
        seen.title = s.page.title()
        seen.day_before = s.day()
        seen.screenshots.append(s.screenshot(out_dir / "dashboard_start.png"))
        seen.step_s = [s.step() for _ in range(steps)]
        seen.day_after = s.day()
        seen.captions = {"map": s.text(".o2o-map-caption"), "lesson": s.text(".o2o-lesson-title")}
        seen.screenshots.append(s.screenshot(out_dir / "dashboard.png"))
        seen.requests, seen.failed = s.requests, s.failed
        seen.console_errors, seen.page_errors = s.console_errors, s.page_errors
    return seen


def zip_names(path: Path) -> list[str]:
    """The files in the zip at ``path`` (an export)."""
    with zipfile.ZipFile(path) as z:
        return z.namelist()
