"""Keeps numba's on-disk cache of the package's compiled kernels in step with their sources.

Core function: :func:`refresh` - run when the package is imported, before any kernel runs.

numba drops a cached kernel when the file that defines it changes, but not when a compiled
function it calls from another module changes: the caller's cached machine code keeps the
old callee inlined (or fails to load, or crashes). So a kernel could silently compute with
an outdated helper after an edit or an upgrade. :func:`refresh` fingerprints each module
with the sources of the package modules it imports, transitively (:func:`fingerprints`),
and deletes a module's cache files (``__pycache__/<module>.*.nbi`` and ``.nbc``) when its
fingerprint differs from the one recorded with them; numba then compiles that module's
kernels afresh. Where the package's directory cannot be written, numba keeps its cache in
its user-wide cache directory instead, which this module leaves alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

__all__ = ["fingerprints", "refresh"]

PACKAGE = Path(__file__).resolve().parent
STAMP = "kernel-sources.json"  # in each __pycache__: module file -> fingerprint of its cached kernels

# "from .x import a", "from ..x.y import a", "from . import a, b" (parenthesised names too)
_RELATIVE = re.compile(r"^[ \t]*from[ \t]+(\.+)([\w.]*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([\w \t,]*))",
                       re.MULTILINE)


def _imports(path: Path, files: set[Path]) -> set[Path]:
    """The package ``files`` that ``path`` imports relatively (modules, or a package's ``__init__.py``)."""
    found = set()
    for dots, dotted, in_parentheses, on_the_line in _RELATIVE.findall(path.read_text(encoding="utf-8")):
        names = in_parentheses or on_the_line
        base = path.parent
        for _ in range(len(dots) - 1):
            base = base.parent
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
    direct = {f: _imports(f, known) for f in files}
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


def refresh(root: Path = PACKAGE) -> list[Path]:
    """Delete the cached kernels of every module whose fingerprint changed; returns the files deleted."""
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
    return deleted


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kernel-sources-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
