"""Files written atomically: a reader sees the old file or the new one, never half of one.

Core functions: :func:`atomic_write` (any writer, through a temporary file renamed into place)
and :func:`save_png` (a matplotlib figure, closed whatever happens).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "save_png"]


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then atomically rename the temporary file to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_png(fig, path: str | os.PathLike, dpi: int = 110) -> None:
    """Save a matplotlib figure as a PNG atomically, and close it whatever happens."""
    import matplotlib.pyplot as plt

    try:
        atomic_write(path, lambda p: fig.savefig(p, dpi=dpi, format="png"))
    finally:  # a failed write (full disk, Ctrl-C) must not leave the figure open
        plt.close(fig)
