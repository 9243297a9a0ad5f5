import socket

import pytest

from sim.viz import server
from sim.viz.server import command, main, offline_env, parse_port


@pytest.mark.parametrize("text", ["1", "8765", " 65535 "])
def test_parse_port_accepts_valid_ports(text):
    assert parse_port(text) == int(text)


@pytest.mark.parametrize("text", ["0", "65536", "-1", "http", "", "80.5"])
def test_parse_port_names_the_bad_value(text):
    with pytest.raises(ValueError, match=f"--port={text!r}; allowed: an integer from 1 to 65535"):
        parse_port(text)


def test_main_refuses_a_bad_port_before_starting_anything(monkeypatch, capsys):
    monkeypatch.setattr(server.subprocess, "call", lambda *a, **k: pytest.fail("server started"))
    assert main(["--port", "99999"]) == 2
    assert "invalid --port='99999'" in capsys.readouterr().err
    assert main(["--host", " "]) == 2


def test_main_serves_the_app_on_the_given_address(monkeypatch):
    calls = []
    monkeypatch.setattr(server.subprocess, "call", lambda cmd, env: calls.append((cmd, env)) or 0)
    assert main(["--host", "127.0.0.1", "--port", "9001"]) == 0
    cmd, env = calls[0]
    assert cmd == command("127.0.0.1", 9001)
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


def test_the_command_runs_the_app_module_in_production_mode():
    cmd = command("0.0.0.0", 8000)
    assert cmd[1:5] == ["-m", "solara", "run", "sim.viz.app"]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "8000"
    assert "--production" in cmd and "--no-open" in cmd


def test_offline_env_keeps_the_rest_of_the_environment():
    env = offline_env({"PATH": "/bin", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "True"})
    assert env["PATH"] == "/bin"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_ASSETS_PROXY"] == "True"


def test_main_refuses_a_host_that_does_not_resolve(monkeypatch, capsys):
    monkeypatch.setattr(server.subprocess, "call", lambda *a, **k: pytest.fail("server started"))
    assert main(["--host", "no such host!", "--port", "8765"]) == 2
    err = capsys.readouterr().err
    assert "invalid --host='no such host!'; allowed: an address or name of this machine" in err


def test_main_refuses_a_port_already_in_use(monkeypatch, capsys):
    monkeypatch.setattr(server.subprocess, "call", lambda *a, **k: pytest.fail("server started"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--host", "127.0.0.1", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"--port={port}: cannot listen there" in err and "allowed: a free port" in err


def test_check_address_accepts_a_free_loopback_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server.check_address("127.0.0.1", port)
