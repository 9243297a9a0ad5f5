"""Where a result came from: the package, its results version, the code's commit and the platform.

Core function: :func:`provenance` - a flat dict (``package_version``, ``results_version``,
``git_commit``, ``git_dirty``, ``python_version``, ``numpy_version``) that every run's
``summary.json``, the header of its ``config.yaml`` and every ``sweep.parquet`` row carry
(docs/OUTPUTS.md). ``git_commit`` and ``git_dirty`` are read when the package runs from a
git checkout (None otherwise); ``git_dirty`` is True when tracked files differ from the commit.
"""

from __future__ import annotations

import functools
import platform
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["PROVENANCE_KEYS", "provenance", "yaml_header"]

PROVENANCE_KEYS = ("package_version", "results_version", "git_commit", "git_dirty", "python_version",
                   "numpy_version")
_CHECKOUT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(_CHECKOUT), *args], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def _code() -> tuple[str | None, bool | None]:
    if not (_CHECKOUT / ".git").exists():
        return None, None
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return commit.strip(), (None if status is None else bool(status.strip()))


def provenance() -> dict[str, Any]:
    """The provenance of results made by this process (see module docstring)."""
    import numpy

    from sim import RESULTS_VERSION, __version__

    commit, dirty = _code()
    return {"package_version": __version__, "results_version": RESULTS_VERSION, "git_commit": commit,
            "git_dirty": dirty, "python_version": platform.python_version(),
            "numpy_version": numpy.__version__}


def yaml_header(extra: dict[str, Any] | None = None) -> str:
    """The provenance as YAML comment lines (a config file stays loadable)."""
    items = {**provenance(), **(extra or {})}
    return "".join(f"# {key}: {value}\n" for key, value in items.items())
