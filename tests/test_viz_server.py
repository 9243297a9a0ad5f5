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
