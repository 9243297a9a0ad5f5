import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from sim.viz import server
from sim.viz.browser import free_port
from sim.viz.server import SESSION_TIMEOUT, command, is_loopback, main, offline_env, parse_port


@pytest.fixture
def no_serving(monkeypatch):
    monkeypatch.setattr(server, "serve", lambda *a, **k: pytest.fail("server started"))


@pytest.fixture
def served(monkeypatch):
    calls = []
    monkeypatch.setattr(server, "serve", lambda host, port: calls.append((host, port)) or 0)
    monkeypatch.delenv(server._QUIET, raising=False)
    return calls


@pytest.mark.parametrize("text", ["1", "8765", " 65535 "])
def test_parse_port_accepts_valid_ports(text):
    assert parse_port(text) == int(text)


@pytest.mark.parametrize("text", ["0", "65536", "-1", "http", "", "80.5"])
def test_parse_port_names_the_bad_value(text):
    with pytest.raises(ValueError, match=f"--port={text!r}; allowed: an integer from 1 to 65535"):
        parse_port(text)


def test_main_refuses_a_bad_port_before_starting_anything(no_serving, capsys):
    assert main(["--port", "99999"]) == 2
    assert "invalid --port='99999'" in capsys.readouterr().err
    assert main(["--host", " "]) == 2


def test_main_serves_the_app_on_the_given_address(served, capsys):
    port = free_port()
    assert main(["--host", "127.0.0.1", "--port", str(port)]) == 0
    assert served == [("127.0.0.1", port)]
    captured = capsys.readouterr()
    assert captured.out == f"o2o-dashboard: serving on http://127.0.0.1:{port}/ (Ctrl-C stops it)\n"
    assert captured.err == ""  # a loopback address: no warning


def test_a_host_beyond_loopback_gets_a_one_line_warning(served, capsys):
    port = free_port()
    assert main(["--host", "0.0.0.0", "--port", str(port)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("o2o-dashboard: warning: --host=0.0.0.0")
    assert "no authentication" in err
    assert main(["--host", "localhost", "--port", str(port)]) == 0
    assert capsys.readouterr().err == ""


def test_the_replacement_process_does_not_announce_twice(served, monkeypatch, capsys):
    monkeypatch.setenv(server._QUIET, "1")
    assert main(["--host", "0.0.0.0", "--port", str(free_port())]) == 0
    assert capsys.readouterr() == ("", "")
    assert server._QUIET not in os.environ  # not passed on to anything the server starts


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("127.0.0.2", True),
                                                ("0.0.0.0", False), ("no such host!", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_the_command_runs_this_server_module():
    cmd = command("0.0.0.0", 8000)
    assert cmd == [sys.executable, "-m", "sim.viz.server", "--host", "0.0.0.0", "--port", "8000"]


def test_offline_env_keeps_the_rest_of_the_environment():
    env = offline_env({"PATH": "/bin", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "True"})
    assert env["PATH"] == "/bin"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_ASSETS_PROXY"] == "True"
    assert env["SOLARA_APP"] == "sim.viz.app" and env["SOLARA_MODE"] == "production"
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == SESSION_TIMEOUT
    assert offline_env({"SOLARA_KERNEL_CULL_TIMEOUT": "30s"})["SOLARA_KERNEL_CULL_TIMEOUT"] == "30s"


def test_main_refuses_a_host_that_does_not_resolve(no_serving, capsys):
    assert main(["--host", "no such host!", "--port", "8765"]) == 2
    err = capsys.readouterr().err
    assert "invalid --host='no such host!'; allowed: an address or name of this machine" in err


def test_main_refuses_a_port_already_in_use(no_serving, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--host", "127.0.0.1", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"--port={port}: cannot listen there" in err and "allowed: a free port" in err


def test_check_address_accepts_a_free_loopback_port():
    server.check_address("127.0.0.1", free_port())


BUILD = """
import json
from starlette.routing import Mount
import solara.settings, solara.server.settings as s
from sim.viz.server import build_app
from sim.viz.assets import WithLocalAssets
app = build_app()
import solara.server.starlette as st
print(json.dumps({
    "wrapped": isinstance(app, WithLocalAssets) and app.app is st.app,
    "cdn_routes": [r.path for r in st.app.router.routes if isinstance(r, Mount) and "cdn" in r.path],
    "proxy": solara.settings.assets.proxy, "telemetry": s.telemetry.mixpanel_enable,
    "mode": s.main.mode, "cull": s.kernel.cull_timeout,
}))
"""


def test_build_app_drops_solaras_cdn_proxy_and_wraps_the_app():
    out = subprocess.run([sys.executable, "-c", BUILD], env=offline_env(), capture_output=True, text=True,
                         timeout=120, check=True)
    built = json.loads(out.stdout.strip().splitlines()[-1])
    assert built == {"wrapped": True, "cdn_routes": [], "proxy": True, "telemetry": False,
                     "mode": "production", "cull": SESSION_TIMEOUT}


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


#: What start-up and a page load must not print: Solara's cookie warning, or any warning at all.
STARTUP_NOISE = ("cookie", "samesite", "warning", "traceback")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_stops_the_whole_server_and_start_up_prints_no_warning(sig, tmp_path):
    port = free_port()
    script = Path(sys.executable).parent / "o2o-dashboard"  # the console script a teacher runs
    out = tmp_path / "server.log"
    with out.open("w") as log:
        proc = subprocess.Popen([str(script), "--host", "127.0.0.1", "--port", str(port)], env=offline_env(),
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "the server exited on its own"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.5)
        serving = psutil.Process(proc.pid)
        assert serving.children(recursive=True) == []  # the server is this process: no child to orphan
        assert serving.environ().get("PYTHONMALLOC") == "malloc"  # it replaced itself (same pid)
        proc.send_signal(sig)
        assert proc.wait(timeout=15) in (0, -sig)
        assert _port_free(port)
        assert not psutil.pid_exists(proc.pid) or psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    printed = out.read_text()
    assert printed.startswith(f"o2o-dashboard: serving on http://127.0.0.1:{port}/")
    assert not [w for w in STARTUP_NOISE if w in printed.lower()], printed


def test_the_page_is_solaras_without_its_banner_and_with_its_title():
    env = offline_env({})
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False" and env["SOLARA_THEME_TITLE"] == server.PAGE_TITLE
