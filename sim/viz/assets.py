"""The dashboard's front-end files, served read-only from the installed ``solara-assets`` package.

Solara's page loads its JavaScript, CSS and fonts from ``/_solara/cdn/<package>@<version>/...``.
Solara's own handler of that path is a caching proxy: a path it does not have is fetched
from the internet and written into the cache, and a path that names a folder of the cache
is deleted. The dashboard answers the path itself, from the files the ``solara-assets``
wheel installed (``<prefix>/share/solara/cdn``), and never writes, deletes or fetches.

Core objects:
    * :data:`CDN_PREFIX` - the URL path of Solara's front-end files.
    * :class:`InstalledAssets` and :func:`installed_assets` - the asset folder and the
      files the package's install record lists (nothing else is ever served).
    * :class:`LocalAssets` - an ASGI app: GET or HEAD of a listed, regular file inside the
      folder (symlinks resolved) gets the file; anything else gets 404 (405 for other
      methods); no request reaches the network or the file system's write side.
    * :class:`WithLocalAssets` - an ASGI app that sends ``/_solara/cdn`` requests to a
      :class:`LocalAssets` and everything else to the wrapped app (Solara's).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.staticfiles import NotModifiedResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ASSETS_DIST", "CDN_PREFIX", "InstalledAssets", "LocalAssets", "WithLocalAssets",
           "installed_assets"]

#: URL path under which Solara's page asks for its front-end libraries.
CDN_PREFIX = "/_solara/cdn"
#: The distribution holding those files.
ASSETS_DIST = "solara-assets"
_CDN_PARTS = ("share", "solara", "cdn")
#: Encoded slash, backslash or NUL in the raw path: no asset URL has them.
_ENCODED_SEPARATOR = re.compile(rb"%(2f|5c|00)", re.IGNORECASE)
#: An exact npm version in the path (``@10.1.1/``): the content behind such a URL never changes.
_EXACT_VERSION = re.compile(r"@\d+\.\d+\.\d+(?:[-+][\w.]+)?/")


@dataclass(frozen=True)
class InstalledAssets:
    """Solara's front-end files as installed.

    Attributes:
        root: the asset folder (``<prefix>/share/solara/cdn``), resolved.
        names: every file under it that the package installed, as a ``/``-separated
            path relative to ``root`` (e.g. ``requirejs@2.3.6/require.js``).
    """

    root: Path
    names: frozenset[str]


def installed_assets(dist: str = ASSETS_DIST) -> InstalledAssets:
    """The files the ``solara-assets`` distribution installed under ``share/solara/cdn``.

    Raises:
        RuntimeError: when the distribution is not installed or lists no such file.
    """
    try:
        files = importlib.metadata.distribution(dist).files or []
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeError(f"{dist} is not installed; install the viz extra: "
                           "pip install -e '.[viz]'") from None
    root, names = None, set()
    for file in files:
        parts = file.parts
        for i in range(len(parts) - len(_CDN_PARTS)):
            if parts[i:i + len(_CDN_PARTS)] == _CDN_PARTS:
                names.add("/".join(parts[i + len(_CDN_PARTS):]))
                if root is None:
                    base = file.locate().parents[len(parts) - i - len(_CDN_PARTS) - 1]
                    root = Path(os.path.realpath(base))
                break
    if root is None:
        raise RuntimeError(f"{dist} lists no file under {'/'.join(_CDN_PARTS)}; reinstall it")
    return InstalledAssets(root, frozenset(names))


class LocalAssets:
    """ASGI app serving :class:`InstalledAssets` read-only; the request path is relative to the root.

    A file is served only if its path is one of ``assets.names`` (so no ``..``, no empty
    or ``.`` segment, no folder, no encoded slash), and its real path (symlinks resolved)
    is a regular file inside ``assets.root``. Everything else is a 404. Exact-version
    paths are marked immutable for browsers; text files are compressed once, as Solara
    does for its other static files.
    """

    def __init__(self, assets: InstalledAssets, compress: bool = True):
        self.assets = assets
        self.compress = compress

    def resolve(self, name: str) -> tuple[str, os.stat_result] | None:
        """The real path and stat of the listed file ``name``, or None when it may not be served."""
        if name not in self.assets.names:
            return None
        root = str(self.assets.root)
        try:
            real = os.path.realpath(os.path.join(root, *name.split("/")))
            if os.path.commonpath([real, root]) != root:
                return None  # a symlink out of the folder
            st = os.stat(real)
        except (OSError, ValueError):
            return None
        return (real, st) if stat.S_ISREG(st.st_mode) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request."""
        if scope["type"] != "http":  # a websocket to an asset path
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        response = await self.response(scope)
        await response(scope, receive, send)

    async def response(self, scope: Scope) -> Response:
        """The response to the HTTP request ``scope``, whose ``path`` is relative to the asset root."""
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("Method Not Allowed", status_code=405, headers={"Allow": "GET, HEAD"})
        raw = scope.get("raw_path") or b""
        name = scope["path"].removeprefix("/")
        found = None if _ENCODED_SEPARATOR.search(raw) else self.resolve(name)
        if found is None:
            return PlainTextResponse("Not Found", status_code=404)
        full_path, st = found
        response: Response = FileResponse(full_path, stat_result=st)
        if _not_modified(response.headers, Headers(scope=scope)):
            response = NotModifiedResponse(response.headers)
            if self.compress:
                from solara.server import compress

                compress.update_not_modified(response, full_path, st, scope)
        elif self.compress:
            from solara.server import compress

            response = await compress.compress_file_response(response, scope)
        if _EXACT_VERSION.search(name + "/"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _not_modified(response_headers, request_headers: Headers) -> bool:
    if_none_match = request_headers.get("if-none-match")
    if if_none_match:
        etag = response_headers["etag"]
        return etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return False


class WithLocalAssets:
    """ASGI app: ``/_solara/cdn/...`` from :class:`LocalAssets`, every other request to ``app``.

    Args:
        app: the wrapped app (Solara's Starlette app).
        assets: the files to serve (default: :func:`installed_assets`).
    """

    def __init__(self, app: ASGIApp, assets: InstalledAssets | None = None):
        self.app = app
        self.local = LocalAssets(assets if assets is not None else installed_assets())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one connection (lifespan events go to ``app``)."""
        if scope["type"] in ("http", "websocket"):
            path = scope["path"]
            root_path = scope.get("root_path", "")
            if root_path and path.startswith(root_path):
                path = path[len(root_path):]
            if path == CDN_PREFIX or path.startswith(CDN_PREFIX + "/"):
                scope = dict(scope, path=path[len(CDN_PREFIX):] or "/", root_path="",
                             raw_path=(scope.get("raw_path") or b""))
                await self.local(scope, receive, send)
                return
        await self.app(scope, receive, send)
