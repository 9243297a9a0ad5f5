"""``o2o-dashboard --host 127.0.0.1 --port 8765``: serve the dashboard, with nothing fetched at run time.

The dashboard runs Solara's Starlette app in this process under uvicorn (no ``solara run``
child), wrapped so that Solara's front-end files come read-only from the installed
``solara-assets`` package (:mod:`sim.viz.assets`) instead of Solara's fetching, deleting
CDN proxy.

Core functions:
    * :func:`parse_port` - a port from text, with a clear error for a bad value.
    * :func:`check_address` - the host resolves and the port is free there, before
      anything starts.
    * :func:`is_loopback` - whether every address of a host is a loopback address
      (anything else gets a warning: the page has no authentication).
    * :func:`offline_env` - the environment Solara reads when it is imported: usage
      telemetry off, front-end files from this server, production mode, no Solara banner
      over the page, the page's title, and
      sessions whose browser went away without closing are closed after
      :data:`SESSION_TIMEOUT` (``SOLARA_KERNEL_CULL_TIMEOUT`` overrides it).
    * :func:`build_app` - Solara's app without its CDN proxy route, inside
      :class:`~sim.viz.assets.WithLocalAssets`.
    * :func:`serve` - run it with uvicorn until SIGINT, SIGTERM or SIGHUP, in a process
      using the system allocator for Python objects (``PYTHONMALLOC=malloc``: it replaces
      itself with one when needed, keeping its process id), so that memory freed when a
      browser session closes can go back to the operating system (:mod:`sim.viz.memory`).
    * :func:`command` - the command line that runs this server as a child process.
    * :func:`main` - the console entry point; returns the exit status (2 for bad input).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import signal
import socket
import sys
import warnings

__all__ = ["APP", "LOG_CONFIG", "PAGE_TITLE", "SESSION_TIMEOUT", "build_app", "check_address", "command",
           "exposure_warning", "is_loopback", "main", "offline_env", "parse_port", "serve",
           "uses_system_malloc"]

#: The Solara app, as a module name.
APP = "sim.viz.app"
#: The browser tab's title (the page sets the same; kept here so the server needs no import of the app).
PAGE_TITLE = "o2o-sim classroom"
#: How long a session whose page disconnected without closing (a dropped network, a closed
#: laptop) is kept for the page to reconnect, before its memory is returned.
SESSION_TIMEOUT = "5m"
#: Seconds the server waits for open pages when it is stopped.
SHUTDOWN_GRACE_S = 3
#: Set in the environment of the replacement process (see :func:`serve`): the options were
#: checked and announced already.
_QUIET = "O2O_DASHBOARD_REEXEC"

#: Logging while serving: warnings of Solara and uvicorn, the dashboard's own errors
#: (the details behind the error panel), no access log.
LOG_CONFIG: dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "stream": "ext://sys.stderr"}},
    "loggers": {
        "sim.viz": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "solara": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "Solara": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "reacton": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


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


def is_loopback(host: str) -> bool:
    """Whether ``host`` resolves to loopback addresses only (127.0.0.0/8, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {info[4][0].split("%")[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def exposure_warning(host: str, port: int) -> str:
    """The one-line warning printed when the server listens beyond this machine."""
    return (f"o2o-dashboard: warning: --host={host} makes the dashboard reachable from other machines, "
            f"and the page has no authentication: anyone who can reach port {port} can use it")


def offline_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: this process's environment) set up to serve offline."""
    env = dict(os.environ if base is None else base)
    env["SOLARA_APP"] = APP
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no usage reports
    env["SOLARA_ASSETS_PROXY"] = "True"  # the page asks this server for its libraries (/_solara/cdn)
    env["SOLARA_MODE"] = "production"
    env["SOLARA_THEME_SHOW_BANNER"] = "False"  # Solara's corner banner would cover the page's panels
    env["SOLARA_THEME_TITLE"] = PAGE_TITLE  # the tab's title until the page sets its own
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", SESSION_TIMEOUT)
    return env


def build_app():
    """Solara's Starlette app, its CDN proxy route removed, wrapped to serve the local asset files.

    Sets up Solara first (the environment of :func:`offline_env`, then the same settings
    directly, in case Solara was imported before).
    """
    os.environ.update(offline_env())
    import solara.server.app as appmod
    import solara.server.settings as server_settings
    import solara.server.starlette as solara_starlette
    import solara.settings
    from starlette.routing import Mount

    from sim.viz import memory
    from sim.viz.assets import CDN_PREFIX, WithLocalAssets, installed_assets

    assets = installed_assets()  # fails here, before serving, when solara-assets is missing
    memory.install()
    solara.settings.assets.proxy = True
    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"
    server_settings.theme.show_banner = False
    server_settings.theme.title = PAGE_TITLE
    server_settings.kernel.cull_timeout = os.environ["SOLARA_KERNEL_CULL_TIMEOUT"]
    if "__default__" not in appmod.apps:
        appmod.apps["__default__"] = appmod.AppScript(APP)
    # Solara's /_solara/cdn handler fetches what it lacks and deletes folders: never reachable
    solara_starlette.app.router.routes[:] = [
        r for r in solara_starlette.app.router.routes if not (isinstance(r, Mount) and r.path == CDN_PREFIX)]
    # Solara warns on every first page load over plain http from an address (not "localhost")
    # that its session cookie falls back to SameSite=Lax; that fallback is what this page wants
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    return WithLocalAssets(solara_starlette.app, assets)


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, also stopped (gracefully) by SIGHUP."""

        @contextlib.contextmanager
        def capture_signals(self):
            hup = hasattr(signal, "SIGHUP") and _in_main_thread()
            previous = signal.signal(signal.SIGHUP, self.handle_exit) if hup else None
            try:
                with super().capture_signals():
                    yield
            finally:
                if hup:
                    signal.signal(signal.SIGHUP, signal.SIG_DFL if previous is None else previous)

    return Server


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def uses_system_malloc() -> bool:
    """Whether this interpreter allocates Python objects with the system allocator."""
    return os.environ.get("PYTHONMALLOC", "").split("_")[0] == "malloc"


def serve(host: str, port: int) -> int:
    """Serve the dashboard on ``host:port`` until stopped; the exit status.

    Python's own small-object allocator keeps a 1 MiB block as long as one object in it
    lives, so the churn of a browser session (widgets, figures, cities) leaves most of those
    blocks pinned by a few long-lived objects. Unless Python objects already come from the
    system allocator, this process first replaces itself (``os.execve``, same process id,
    so a signal to it reaches the server) with one where they do.
    """
    import uvicorn

    if not uses_system_malloc() and os.name == "posix":
        env = offline_env()
        env["PYTHONMALLOC"] = "malloc"
        env[_QUIET] = "1"
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, command(host, port), env)

    app = build_app()
    config = uvicorn.Config(app, host=host, port=port, log_config=LOG_CONFIG, access_log=False,
                            loop="asyncio", lifespan="on", timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
    server = _server_class()(config)
    server.run()
    return 0 if server.started else 1


def command(host: str, port: int) -> list[str]:
    """The command that runs this server on ``host:port`` (as ``o2o-dashboard`` does)."""
    return [sys.executable, "-m", "sim.viz.server", "--host", host, "--port", str(port)]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="o2o-dashboard", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; any other than a loopback address "
                        "makes the page, which has no authentication, reachable from other machines)")
    p.add_argument("--port", default="8765", help="port to listen on, 1-65535 (default 8765)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Validate the options, then run the server until it is stopped (Ctrl-C, SIGTERM, SIGHUP)."""
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
    if os.environ.pop(_QUIET, None) != "1":
        if not is_loopback(args.host):
            print(exposure_warning(args.host, port), file=sys.stderr, flush=True)
        print(f"o2o-dashboard: serving on http://{args.host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        return serve(args.host, port)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
