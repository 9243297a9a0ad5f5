"""sim/viz/assets.py: Solara's front-end files served read-only, from the install record only."""

import asyncio
import gzip
import hashlib
import os
import sys
from pathlib import Path

import pytest

from sim.viz.assets import CDN_PREFIX, InstalledAssets, LocalAssets, WithLocalAssets, installed_assets

A_JS = b"console.log('a');\n" * 200  # > 1 KiB, so it is compressible


def listing(*roots: Path) -> dict[str, tuple[int, str]]:
    """Every file under the roots (symlinks not followed): size and sha256."""
    out = {}
    for root in roots:
        for dirpath, _, files in os.walk(root):
            for name in files:
                path = Path(dirpath, name)
                if path.is_symlink():
                    out[str(path)] = (-1, os.readlink(path))
                else:
                    out[str(path)] = (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


@pytest.fixture
def tree(tmp_path):
    root, outside = tmp_path / "cdn", tmp_path / "outside"
    (root / "pkg@1.0.0" / "dist").mkdir(parents=True)
    outside.mkdir()
    (root / "pkg@1.0.0" / "dist" / "a.js").write_bytes(A_JS)
    (root / "pkg@1.0.0" / "dist" / "b.css").write_text("body {}\n")
    (root / "pkg@1.0.0" / "dist" / "unlisted.js").write_text("not in the record\n")
    (outside / "secret.txt").write_text("secret\n")
    (root / "link-out.js").symlink_to(outside / "secret.txt")
    (root / "link-in.js").symlink_to(root / "pkg@1.0.0" / "dist" / "a.js")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    names = {"pkg@1.0.0/dist/a.js", "pkg@1.0.0/dist/b.css", "link-out.js", "link-in.js", "linkdir/secret.txt",
             "missing.js", "pkg@1.0.0/dist"}  # a folder listed by mistake is still never served
    return root, outside, InstalledAssets(Path(os.path.realpath(root)), frozenset(names))


def request(app, path: str, method: str = "GET", raw: bytes | None = None, headers=()):
    """Call an ASGI app with one HTTP request; (status, headers, body)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": raw if raw is not None else path.encode(),
             "root_path": "", "query_string": b"", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers]}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    return (start["status"], {k.decode(): v.decode() for k, v in start["headers"]},
            b"".join(m.get("body", b"") for m in sent[1:]))


def test_a_listed_file_is_served_whole(tree):
    root, _, assets = tree
    app = LocalAssets(assets, compress=False)
    status, headers, body = request(app, "/pkg@1.0.0/dist/a.js")
    assert (status, body) == (200, A_JS)
    assert headers["cache-control"] == "public, max-age=31536000, immutable"  # an exact version
    status, headers, body = request(app, "/pkg@1.0.0/dist/a.js", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) == len(A_JS)
    status, _, body = request(app, "/link-in.js")  # a symlink inside the folder is fine
    assert (status, body) == (200, A_JS)


def test_a_revalidation_gets_304_and_text_is_compressed(tree):
    _, _, assets = tree
    app = LocalAssets(assets)
    status, headers, body = request(app, "/pkg@1.0.0/dist/a.js", headers=[("Accept-Encoding", "gzip")])
    assert status == 200 and headers["content-encoding"] == "gzip" and gzip.decompress(body) == A_JS
    status, _, body = request(app, "/pkg@1.0.0/dist/a.js", headers=[("If-None-Match", headers["etag"])])
    assert status == 304 and body == b""


HOSTILE = [
    "/pkg@1.0.0",  # a folder: Solara's proxy deleted such folders
    "/pkg@1.0.0/", "/pkg@1.0.0/dist", "/pkg@1.0.0/dist/", "/", "",
    "/pkg@1.0.0/dist/unlisted.js",  # on disk, not installed by the package
    "/missing.js",  # installed, since removed: never fetched
    "/nope@9.9.9/index.js",  # unknown package: Solara's proxy fetched it from the internet
    "/../outside/secret.txt", "/pkg@1.0.0/dist/../../../outside/secret.txt", "/./pkg@1.0.0/dist/a.js",
    "//pkg@1.0.0/dist/a.js", "/pkg@1.0.0\\dist\\a.js", "/pkg@1.0.0/dist/a.js\x00.txt",
    "/link-out.js",  # listed, but a symlink out of the folder
    "/linkdir/secret.txt",  # listed, through a symlinked folder out of the folder
]


@pytest.mark.parametrize("path", HOSTILE)
def test_anything_else_is_404_and_nothing_changes_on_disk(tree, path):
    root, outside, assets = tree
    before = listing(root, outside)
    status, _, body = request(LocalAssets(assets), path)
    assert status == 404 and b"secret" not in body and b"console" not in body
    assert listing(root, outside) == before


def test_encoded_separators_are_404_even_for_a_listed_file(tree):
    _, _, assets = tree
    app = LocalAssets(assets)
    # the server decodes %2F into the path; the raw path still shows it
    assert request(app, "/pkg@1.0.0/dist/a.js", raw=b"/pkg@1.0.0%2Fdist%2Fa.js")[0] == 404
    assert request(app, "/pkg@1.0.0/dist/a.js", raw=b"/pkg@1.0.0/dist%5ca.js")[0] == 404
    assert request(app, "/../x", raw=b"/%2e%2e%2fx")[0] == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_only_reads_are_allowed(tree, method):
    root, outside, assets = tree
    before = listing(root, outside)
    status, headers, _ = request(LocalAssets(assets), "/pkg@1.0.0/dist/a.js", method=method)
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert listing(root, outside) == before


def test_the_wrapper_sends_only_the_cdn_path_to_the_local_files(tree):
    _, _, assets = tree
    seen = []

    async def inner(scope, receive, send):
        seen.append((scope["type"], scope.get("path")))
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 299, "headers": []})
            await send({"type": "http.response.body", "body": b"inner"})

    app = WithLocalAssets(inner, assets)
    assert request(app, f"{CDN_PREFIX}/pkg@1.0.0/dist/b.css")[2] == b"body {}\n"
    assert request(app, f"{CDN_PREFIX}/pkg@1.0.0")[0] == 404
    assert request(app, CDN_PREFIX)[0] == 404
    assert request(app, f"{CDN_PREFIX}/")[0] == 404
    assert request(app, f"{CDN_PREFIX}x/pkg@1.0.0/dist/b.css")[0] == 299  # not the CDN path
    assert request(app, "/")[0] == 299
    assert seen == [("http", f"{CDN_PREFIX}x/pkg@1.0.0/dist/b.css"), ("http", "/")]

    async def lifespan():
        await app({"type": "lifespan"}, None, None)

    asyncio.run(lifespan())
    assert seen[-1] == ("lifespan", None)

    closed = []

    async def websocket():
        async def send(message):
            closed.append(message)

        await app({"type": "websocket", "path": f"{CDN_PREFIX}/x"}, None, send)

    asyncio.run(websocket())
    assert closed == [{"type": "websocket.close", "code": 1008}]


def test_the_installed_assets_are_solara_assets_files():
    assets = installed_assets()
    assert assets.root == Path(os.path.realpath(Path(sys.prefix, "share", "solara", "cdn")))
    assert "requirejs@2.3.6/require.js" in assets.names
    assert "@widgetti/solara-vuetify-app@10.1.1/dist/fonts.css" in assets.names
    assert "@widgetti/solara-vuetify-app@10.1.1" not in assets.names  # folders are not listed
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in assets.names)
    assert len(assets.names) > 3000


def test_a_missing_distribution_is_a_clear_error():
    with pytest.raises(RuntimeError, match="not installed; install the viz extra"):
        installed_assets("no-such-distribution-o2o")
