"""The running dashboard server deletes nothing, fetches nothing and reaches no other machine.

The server runs with a ``sitecustomize`` that installs an audit hook (``sys.addaudithook``):
every DNS lookup of, and every socket connection to, an address that is not loopback is
written to a log and refused at once, so an attempt fails fast and is seen.
"""

import hashlib
import http.client
import io
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sim.viz.assets import installed_assets
from sim.viz.browser import free_port, server_process
from sim.viz.server import command, offline_env

NET_HOOK = textwrap.dedent('''
    """Test hook: log and refuse every lookup of, and connection to, another machine."""
    import errno, ipaddress, os, socket, sys

    _LOG = os.environ["O2O_NET_LOG"]

    def _local(host):
        if isinstance(host, bytes):
            host = host.decode()
        if host in (None, "", "localhost"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def _note(kind, what):
        with open(_LOG, "a") as f:
            f.write(f"{os.getpid()} {kind} {what!r}\\n")

    def _hook(event, args):
        if event == "socket.getaddrinfo" and not _local(args[0]):
            _note("refused-lookup", args[0])
            raise socket.gaierror(socket.EAI_NONAME, "lookups of other machines are refused in this test")
        if event == "socket.connect":
            sock, address = args
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
                _note("refused-connect", address)
                raise OSError(errno.ENETUNREACH, "connections to other machines are refused in this test")

    sys.addaudithook(_hook)
    _note("hook", sys.argv[:3])
''')


@pytest.fixture
def net_hook(tmp_path):
    """An environment whose Python processes log and refuse outbound lookups and connections."""
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(NET_HOOK)
    log = tmp_path / "net.log"
    env = offline_env()
    env["PYTHONPATH"] = os.pathsep.join([str(hook_dir), *filter(None, [env.get("PYTHONPATH")])])
    env["O2O_NET_LOG"] = str(log)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(proxy, None)
    return env, log


def asset_listing(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``root``: size and sha256."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = Path(dirpath, name)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[str(path.relative_to(root))] = (path.stat().st_size, digest)
    return out


def get(port: int, path: str, method: str = "GET") -> tuple[int, bytes, float]:
    """One request with the path sent exactly as given; (status, body, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    conn.request(method, path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body, time.perf_counter() - start


CDN = "/_solara/cdn"
HOSTILE = [
    f"{CDN}/@widgetti/solara-vuetify-app@10.1.1",  # a folder: Solara's proxy deleted it (109 files)
    f"{CDN}/@widgetti/solara-vuetify-app@10.1.1/",
    f"{CDN}/@widgetti/solara-vuetify-app@10.1.1/dist",
    f"{CDN}/@widgetti",
    f"{CDN}/requirejs@2.3.6",  # one segment: Solara's proxy looks for .../__main.js, then fetches it
    f"{CDN}/",
    CDN,
    f"{CDN}/not-a-package@1.0.0/index.js",  # not cached: Solara's proxy fetched it (about 7 s)
    f"{CDN}/@widgetti/solara-vuetify-app@10.1.2/dist/fonts.css",
    f"{CDN}/../../../pyvenv.cfg",
    f"{CDN}/%2e%2e/%2e%2e/%2e%2e/pyvenv.cfg",
    f"{CDN}/..%2f..%2f..%2fpyvenv.cfg",
    f"{CDN}/@widgetti%2fsolara-vuetify-app@10.1.1",
    f"{CDN}/@widgetti%2fsolara-vuetify-app@10.1.1%2fdist%2ffonts.css",
    f"{CDN}//etc/passwd",
    f"{CDN}/requirejs@2.3.6/require.js/..",
    f"{CDN}/requirejs@2.3.6/require.js%00",
    f"{CDN}/%5c..%5c..%5cpyvenv.cfg",
]


@pytest.mark.slow
def test_hostile_cdn_paths_delete_nothing_and_reach_no_other_machine(net_hook):
    env, net_log = net_hook
    assets = installed_assets()
    before = asset_listing(assets.root)
    assert len(before) == len(assets.names)  # the whole cache is there to start with

    port, log, timings = free_port(), io.StringIO(), {}
    with server_process(port, log, cmd=command("127.0.0.1", port), env=env):
        status, body, _ = get(port, f"{CDN}/requirejs@2.3.6/require.js")
        assert status == 200 and body == (assets.root / "requirejs@2.3.6" / "require.js").read_bytes()
        for path in HOSTILE:
            status, body, timings[path] = get(port, path)
            assert status == 404, (path, status, body[:200])
        for method in ("DELETE", "PUT", "POST"):
            assert get(port, f"{CDN}/requirejs@2.3.6/require.js", method)[0] == 405
        assert get(port, "/")[0] == 200  # the page itself still renders

    assert asset_listing(assets.root) == before
    notes = net_log.read_text()
    assert " hook " in notes, "the audit hook did not run in the server"
    assert "refused" not in notes, notes
    assert "Could not load URL" not in log.getvalue(), log.getvalue()
    slowest = max(timings, key=timings.get)
    print(f"hostile paths: {len(timings)} requests, slowest {timings[slowest] * 1000:.1f} ms ({slowest}), "
          f"median {sorted(timings.values())[len(timings) // 2] * 1000:.1f} ms")
    assert timings[slowest] < 1.0, (slowest, timings[slowest])


def test_the_hook_catches_an_outbound_attempt_and_fails_it_fast(net_hook):
    env, net_log = net_hook
    url = "https://cdn.jsdelivr.net/npm/requirejs@2.3.6/require.js"
    code = ("import urllib.request\n"
            f"try:\n    urllib.request.urlopen({url!r}, timeout=20)\n"
            "except OSError as err:\n    print('failed:', err)\n"
            "import socket\n"
            "try:\n    socket.socket().connect(('192.0.2.1', 80))\n"
            "except OSError as err:\n    print('failed:', err)\n")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - start < 10
    assert out.stdout.count("failed:") == 2, out
    notes = net_log.read_text()
    assert "refused-lookup 'cdn.jsdelivr.net'" in notes and "refused-connect ('192.0.2.1', 80)" in notes
