"""sim.kernels.cache: cached kernels are dropped when a module they import changes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sim.kernels.cache import fingerprints, refresh


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def _package(root: Path) -> Path:
    pkg = root / "pkg"
    _write(pkg / "__init__.py", "")
    _write(pkg / "helper.py", "def f(x):\n    return x + 1\n")
    _write(pkg / "caller.py", "from .helper import f\n")
    _write(pkg / "other.py", "import math\n")
    _write(pkg / "grouped.py", "from . import (\n    helper,\n    other as o,\n)\n")
    _write(pkg / "sub" / "__init__.py", "")
    _write(pkg / "sub" / "deep.py", "    from ..caller import f  # (inside a function)\n")
    return pkg


def _caches(pkg: Path) -> dict[str, Path]:
    files = {"caller": pkg / "__pycache__" / "caller.g-3.py312.nbi",
             "caller_code": pkg / "__pycache__" / "caller.g-3.py312.1.nbc",
             "other": pkg / "__pycache__" / "other.h-1.py312.nbi",
             "grouped": pkg / "__pycache__" / "grouped.k-2.py312.nbi",
             "deep": pkg / "sub" / "__pycache__" / "deep.d-1.py312.nbi"}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"cached")
    return files


def test_a_module_is_fingerprinted_with_what_it_imports(tmp_path):
    pkg = _package(tmp_path)
    before = fingerprints(pkg)
    _write(pkg / "helper.py", "def f(x):\n    return x + 2\n")
    after = fingerprints(pkg)
    changed = {f.relative_to(pkg).as_posix() for f in before if before[f] != after[f]}
    assert changed == {"helper.py", "caller.py", "grouped.py", "sub/deep.py"}


def test_refresh_deletes_only_the_kernels_whose_sources_changed(tmp_path):
    pkg = _package(tmp_path)
    _caches(pkg)
    assert len(refresh(pkg)) == 5  # nothing recorded yet: every cached kernel is suspect
    files = _caches(pkg)
    assert refresh(pkg) == []  # recorded and unchanged
    _write(pkg / "helper.py", "def f(x):\n    return x + 2\n")
    deleted = set(refresh(pkg))
    assert deleted == {files[k] for k in ("caller", "caller_code", "grouped", "deep")}
    assert files["other"].exists()
    assert refresh(pkg) == []


def _run(root: Path) -> str:
    code = "import sys; sys.path.insert(0, sys.argv[1]); from pkg.caller import g; print(g(1))"
    return subprocess.run([sys.executable, "-c", code, str(root)], check=True, capture_output=True,
                          text=True).stdout.strip()


def _numba_package(root: Path, refreshed: bool) -> Path:
    pkg = root / "pkg"
    init = ("from pathlib import Path\nfrom sim.kernels.cache import refresh\n"
            "refresh(Path(__file__).parent)\n"
            if refreshed else "")
    _write(pkg / "__init__.py", init)
    _write(pkg / "helper.py", "from numba import njit\n@njit(cache=True)\ndef f(x):\n    return x + 1\n")
    _write(pkg / "caller.py", "from numba import njit\nfrom .helper import f\n"
                              "@njit(cache=True)\ndef g(x):\n    return f(x) * 10\n")
    return pkg


def test_a_changed_helper_reaches_its_cached_caller(tmp_path):
    """End to end with numba: without the refresh, the caller's cache keeps the old helper."""
    for refreshed, want_after in ((False, "20"), (True, "30")):
        root = tmp_path / str(refreshed)
        pkg = _numba_package(root, refreshed)
        assert _run(root) == "20"  # compiled and cached
        _write(pkg / "helper.py", "from numba import njit\n@njit(cache=True)\ndef f(x):\n    return x + 2\n")
        assert _run(root) == want_after
