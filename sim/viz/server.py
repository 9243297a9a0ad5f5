"""``o2o-dashboard --host 127.0.0.1 --port 8765``: serve the dashboard, with nothing fetched at run time.

Core functions:
    * :func:`parse_port` - a port from text, with a clear error for a bad value.
    * :func:`check_address` - the host resolves and the port is free there, before
      anything starts.
    * :func:`offline_env` - the environment Solara runs in: its front-end files
      come from the locally installed ``solara-assets`` (Solara's own cache of
      the CDN libraries, under ``<venv>/share/solara/cdn``), usage telemetry is
      off, and production mode skips the start-up check that loads a page from
      Solara's web site.
    * :func:`command` - the ``solara run`` command line.
    * :func:`main` - the console entry point; returns the exit status (2 for bad input).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys

__all__ = ["APP", "check_address", "command", "main", "offline_env", "parse_port"]

#: The Solara app, as a module name (``solara run`` imports it).
APP = "sim.viz.app"


def parse_port(text: str) -> int:
    """The port number in ``text``.

    Raises:
        ValueError: unless ``text`` is an integer in 1..65535 (the message names the value).
    """
    try:
        port = int(str(text).strip())
    except ValueError:
        raise ValueError(f"invalid --port={text!r}; allowed: an integer from 1 to 65535") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"invalid --port={text!r}; allowed: an integer from 1 to 65535")
    return port


def check_address(host: str, port: int) -> None:
    """Check that the server could listen on ``host:port`` (the name resolves, the port is free).

    Raises:
        ValueError: naming the host or port and what is allowed.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        raise ValueError(f"invalid --host={host!r}; allowed: an address or name of this machine, "
                         "such as 127.0.0.1") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself will
        try:
            probe.bind(address)
        except OSError as err:
            raise ValueError(f"invalid --host={host!r} --port={port}: cannot listen there ({err.strerror}); "
                             "allowed: a free port on an address of this machine") from None


def offline_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: this process's environment) set up to serve offline."""
    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no usage reports
    env["SOLARA_ASSETS_PROXY"] = "True"  # serve the CDN libraries from the local cache (solara-assets)
    return env


def command(host: str, port: int) -> list[str]:
    """The ``solara run`` command serving the dashboard on ``host:port``."""
    return [sys.executable, "-m", "solara", "run", APP, "--host", host, "--port", str(port),
            "--production", "--no-open", "--log-level", "warning"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="o2o-dashboard", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", default="8765", help="port to listen on, 1-65535 (default 8765)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Validate the options, then run the server until it is stopped (Ctrl-C)."""
    args = _parser().parse_args(argv)
    try:
        port = parse_port(args.port)
    except ValueError as err:
        print(f"o2o-dashboard: {err}", file=sys.stderr)
        return 2
    if not args.host.strip():
        print("o2o-dashboard: invalid --host=''; allowed: an address such as 127.0.0.1", file=sys.stderr)
        return 2
    try:
        check_address(args.host, port)
    except ValueError as err:
        print(f"o2o-dashboard: {err}", file=sys.stderr)
        return 2
    print(f"o2o-dashboard: serving on http://{args.host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.call(command(args.host, port), env=offline_env())
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
