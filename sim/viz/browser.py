"""Drive the served dashboard in a real browser: Debian's chromium through playwright.

Core objects:
    * :func:`chromium_path` - the ``chromium`` on PATH (installed by ``make browser``);
      raises with the command to run when it is missing. Playwright never
      downloads a browser of its own here.
    * :func:`free_port`, :func:`server_process` and :func:`serving` - start
      ``o2o-dashboard`` (or another command) on a free loopback port in a subprocess,
      wait until it answers, stop it afterwards (its output is kept for the caller);
      :class:`Served` is what :func:`server_process` yields (URL and process id).
    * :class:`Visit` and :func:`visit` - load the page, check the grid is drawn,
      press Step, wait for the step counter to move, read the panels' captions,
      measure the map image, take screenshots; every request, failed response,
      console error and page error is recorded, so a caller can require that
      nothing left the machine and the front end raised nothing.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from sim.viz.server import command, offline_env

__all__ = ["LOCAL_HOSTS", "Served", "Visit", "chromium_path", "free_port", "server_process", "serving",
           "visit"]

LOCAL_HOSTS = ("127.0.0.1", "localhost")
#: Seconds allowed for the server to answer, and for the page to draw its first model.
START_TIMEOUT_S = 90
PAGE_TIMEOUT_MS = 60_000


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


@dataclass
class Visit:
    """What one visit of the page saw.

    Attributes:
        requests: every URL the page requested.
        failed: ``(status, url)`` of responses with status >= 400, and requests that failed.
        console_errors: console messages of type error.
        page_errors: uncaught exceptions in the page.
        time_before, time_after: the step counter ("Time: N") before and after pressing Step.
        captions: the panels' caption text after the step, by panel (map, charts, network).
        map_image_std: spread of the map image's pixel values (0 = a blank image).
        grid_items: panels in SolaraViz's grid.
        title: the browser tab's title.
        screenshots: files written.
    """

    requests: list[str] = field(default_factory=list)
    failed: list[tuple] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    time_before: float = float("nan")
    time_after: float = float("nan")
    captions: dict[str, str] = field(default_factory=dict)
    map_image_std: float = 0.0
    grid_items: int = 0
    title: str = ""
    screenshots: list[Path] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests to any host other than this machine's loopback."""
        return [u for u in self.requests
                if not u.startswith(("data:", "blob:")) and urlparse(u).hostname not in LOCAL_HOSTS]


def _step_counter(page) -> float:
    text = page.get_by_text(re.compile(r"^Time: [0-9.]+$")).first.inner_text()
    return float(text.split(":")[1])


def visit(url: str, out_dir: Path, steps: int = 1, viewport: tuple[int, int] = (1600, 1000)) -> Visit:
    """Load the dashboard at ``url``, press Step ``steps`` times, record and screenshot.

    Screenshots: ``dashboard_start.png`` (as loaded) and ``dashboard.png`` (after
    the steps), full page, in ``out_dir``.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seen = Visit()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.on("request", lambda r: seen.requests.append(r.url))
            page.on("requestfailed", lambda r: seen.failed.append(("failed", r.url)))
            page.on("response", lambda r: seen.failed.append((r.status, r.url)) if r.status >= 400 else None)
            page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
            page.goto(url)
            try:
                page.get_by_text(re.compile(r"^Time: [0-9.]+$")).first.wait_for(timeout=PAGE_TIMEOUT_MS)
                page.locator(".o2o-map-caption").first.wait_for(timeout=PAGE_TIMEOUT_MS)
            except PlaywrightTimeout:
                raise RuntimeError(f"the dashboard did not draw within {PAGE_TIMEOUT_MS / 1000:.0f} s; "
                                   f"page errors: {seen.page_errors}; failed: {seen.failed}; "
                                   f"console errors: {seen.console_errors}") from None
            page.wait_for_timeout(1500)
            seen.grid_items = page.locator(".vue-grid-item:not(.vue-grid-placeholder)").count()
            seen.title = page.title()
            seen.time_before = _step_counter(page)
            start = out_dir / "dashboard_start.png"
            page.screenshot(path=str(start), full_page=True)
            seen.screenshots.append(start)
            for _ in range(steps):
                before = _step_counter(page)
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"Time: {before + 1}").first.wait_for(timeout=PAGE_TIMEOUT_MS)
            page.wait_for_timeout(2000)  # the panels redraw after the counter
            seen.time_after = _step_counter(page)
            for name in ("map", "charts", "network"):
                seen.captions[name] = page.locator(f".o2o-{name}-caption").first.inner_text()
            seen.map_image_std = _image_std(page.locator(".o2o-map img").first.screenshot())
            end = out_dir / "dashboard.png"
            page.screenshot(path=str(end), full_page=True)
            seen.screenshots.append(end)
        finally:
            browser.close()
    return seen


def _image_std(png: bytes) -> float:
    """Spread of the grey levels of a PNG (0 for a blank image)."""
    import numpy as np
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float).std())

