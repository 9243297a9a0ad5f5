"""Keeps numba's on-disk cache of the package's compiled kernels in step with their sources.

Core functions: :func:`refresh` - run once, when the first module with compiled kernels is
imported (:mod:`sim.kernels.jit`), before any kernel runs; :func:`fingerprints`.

numba drops a cached kernel when the file that defines it changes, but not when a compiled
function it calls from another module changes: the caller's cached machine code keeps the
old callee inlined (or fails to load, or crashes). So a kernel could silently compute with
an outdated helper after an edit or an upgrade. :func:`refresh` fingerprints each module
with the sources of the package modules it imports, transitively (:func:`fingerprints`),
and deletes a module's cache files (``__pycache__/<module>.*.nbi`` and ``.nbc``) when its
fingerprint differs from the one recorded with them; numba then compiles that module's
kernels afresh. Where the package's directory cannot be written, numba keeps its cache in
its user-wide cache directory instead, which this module leaves alone.

The check is cheap when nothing changed: the size and modification time of every source
file are kept with the fingerprints (``kernel-snapshot.json`` in the package's
``__pycache__``), and the sources are hashed again only when one of them differs. A file
modified within :data:`RACY_SECONDS` of the snapshot is not trusted to it (a second edit
in the same clock tick could keep both), so it is hashed until it is older.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

__all__ = ["fingerprints", "refresh", "refresh_once"]

PACKAGE = Path(__file__).resolve().parents[1]  # the sim package
STAMP = "kernel-sources.json"  # in each __pycache__: module file -> fingerprint of its cached kernels
SNAPSHOT = "kernel-snapshot.json"  # in the package's __pycache__: source file -> [size, mtime_ns]
#: A source modified this close to the snapshot is hashed again next time (same-tick edits).
RACY_SECONDS = 2.0

# "from .x import a", "from ..x.y import a", "from . import a, b" (parenthesised names too), and the
# same with the package's own name instead of the dots ("from sim.x import a", "from sim import a")
_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.+|\w+\.?)([\w.]*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([\w \t,]*))",
                     re.MULTILINE)
_PLAIN_IMPORT = re.compile(r"^[ \t]*import[ \t]+(\w+)\.([\w.]+)", re.MULTILINE)


def _imports(path: Path, files: set[Path], root: Path) -> set[Path]:
    """The package ``files`` that ``path`` imports (modules, or a package's ``__init__.py``).

    Relative imports and absolute ones through the package's name (``root.name``) count.
    """
    found = set()
    text = path.read_text(encoding="utf-8")
    for package, dotted in _PLAIN_IMPORT.findall(text):
        if package == root.name:
            target = root.joinpath(*dotted.split("."))
            found |= {c for c in (target.with_suffix(".py"), target / "__init__.py") if c in files}
    for dots, dotted, in_parentheses, on_the_line in _IMPORT.findall(text):
        names = in_parentheses or on_the_line
        if dots.startswith("."):
            base = path.parent
            for _ in range(len(dots) - 1):
                base = base.parent
        elif dots.rstrip(".") == root.name:
            base = root
        else:  # another package
            continue
        if dotted:
            target = base.joinpath(*dotted.split("."))
            candidates = [target.with_suffix(".py"), target / "__init__.py"]
        else:  # "from . import a, b": the names are the modules
            modules = [base / name.split()[0] for name in names.split(",") if name.strip()]
            candidates = [m.with_suffix(".py") for m in modules] + [m / "__init__.py" for m in modules]
        found |= {c for c in candidates if c in files}
    return found


def fingerprints(root: Path = PACKAGE) -> dict[Path, str]:
    """Each module under ``root``: a hash of its source and of the package modules it imports, in turn."""
    files = sorted(root.rglob("*.py"), key=str)
    known = set(files)
    direct = {f: _imports(f, known, root) for f in files}
    lines = {f: f"{f.relative_to(root).as_posix()}:{hashlib.sha256(f.read_bytes()).hexdigest()}\n".encode()
             for f in files}
    out = {}
    for f in files:
        seen, todo = {f}, [f]
        while todo:
            for dep in direct.get(todo.pop(), ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        out[f] = hashlib.sha256(b"".join(sorted(lines[dep] for dep in seen))).hexdigest()
    return out


def _snapshot(root: Path) -> dict[str, list[int]]:
    """Each source file's size and modification time (ns), by path relative to ``root``."""
    out = {}
    for f in root.rglob("*.py"):
        st = f.stat()
        out[f.relative_to(root).as_posix()] = [st.st_size, st.st_mtime_ns]
    return out


def refresh(root: Path = PACKAGE) -> list[Path]:
    """Delete the cached kernels of every module whose fingerprint changed; returns the files deleted.

    Nothing is hashed when every source's size and modification time match the last snapshot.
    """
    snapshot_path = root / "__pycache__" / SNAPSHOT
    snapshot = _snapshot(root)
    try:
        if json.loads(snapshot_path.read_text(encoding="utf-8")) == snapshot:
            return []
    except (OSError, ValueError):
        pass
    deleted = []
    by_dir: dict[Path, dict[Path, str]] = {}
    for f, digest in fingerprints(root).items():
        by_dir.setdefault(f.parent / "__pycache__", {})[f] = digest
    for cache_dir, digests in by_dir.items():
        try:
            cache_dir.mkdir(exist_ok=True)  # (stamped before numba writes there, so its kernels count)
        except OSError:
            continue
        if not os.access(cache_dir, os.W_OK):
            continue
        stamp_path = cache_dir / STAMP
        try:
            recorded = json.loads(stamp_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            recorded = {}
        current = {f.name: digest for f, digest in digests.items()}
        for name, digest in current.items():
            if recorded.get(name) == digest:
                continue
            for cached in cache_dir.glob(f"{Path(name).stem}.*.nb[ic]"):
                try:
                    cached.unlink()
                    deleted.append(cached)
                except FileNotFoundError:  # another process got there first
                    pass
        if recorded != current:
            _write_atomically(stamp_path, json.dumps(current, indent=0, sort_keys=True))
    racy = time.time_ns() - int(RACY_SECONDS * 1e9)
    if snapshot_path.parent.is_dir() and os.access(snapshot_path.parent, os.W_OK):
        trusted = {name: st for name, st in snapshot.items() if st[1] < racy}  # racy files: hash next time
        _write_atomically(snapshot_path, json.dumps(trusted, indent=0, sort_keys=True))
    return deleted


_refreshed = False


def refresh_once() -> None:
    """:func:`refresh` the package's own kernels, once per process."""
    global _refreshed
    if not _refreshed:
        _refreshed = True
        refresh(PACKAGE)


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kernel-sources-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
