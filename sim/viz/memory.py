"""Give a closed browser session's memory back to the operating system.

A session builds two cities (numpy arrays, tens of MB) and draws figures in its own
thread. When it closes, Solara drops the session and collects the garbage, but the
freed memory stays with the process: Python's small-object allocator keeps every
1 MiB block in which one long-lived object remains (the server avoids it, see
:func:`sim.viz.server.serve`), and glibc keeps freed memory in each thread's arena for
reuse. The server therefore limits glibc to a few arenas and hands free memory back to
the kernel a moment after each session closes.

Core objects:
    * :func:`tune_allocator` - ``mallopt``: at most :data:`ARENAS` malloc arenas
      (also the fastest setting measured); a no-op without glibc.
    * :func:`release_memory` - a full garbage collection, then ``malloc_trim(0)``.
    * :class:`ReleaseAfterClose` - runs :func:`release_memory` once in a background
      thread :data:`RELEASE_DELAY_S` seconds after a session closes (a burst of closing
      sessions gives one release).
    * :func:`install` - both of the above for every Solara session (``solara.lifecycle``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import threading
import time

__all__ = ["ARENAS", "RELEASE_DELAY_S", "ReleaseAfterClose", "install", "release_memory",
           "tune_allocator"]

logger = logging.getLogger(__name__)

#: Malloc arenas allowed (glibc's default is eight per core, each keeping its own free memory).
ARENAS = 2
#: Seconds after a session closes before the release (Solara collects its garbage after 1 s).
RELEASE_DELAY_S = 2.0

_M_ARENA_MAX = -8  # glibc malloc.h


def _libc():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


_LIBC = _libc()


def tune_allocator() -> bool:
    """Limit glibc's malloc arenas to :data:`ARENAS`; False where glibc is not in use."""
    if _LIBC is None:
        return False
    return _LIBC.mallopt(_M_ARENA_MAX, ARENAS) == 1


def release_memory() -> None:
    """Collect the garbage, then return the allocator's free memory to the operating system."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class ReleaseAfterClose:
    """Schedules :func:`release_memory` after sessions close, at most one pending at a time.

    Args:
        delay_s: seconds to wait before releasing.
        release: what to run (default :func:`release_memory`).
    """

    def __init__(self, delay_s: float = RELEASE_DELAY_S, release=release_memory):
        self.delay_s = delay_s
        self.release = release
        self.releases = 0
        self._lock = threading.Lock()
        self._pending = False

    def schedule(self) -> None:
        """Release in ``delay_s`` seconds, unless a release is already waiting."""
        with self._lock:
            if self._pending:
                return
            self._pending = True
        thread = threading.Thread(target=self._run, name="o2o-release-memory", daemon=True)
        # Solara's Thread records the session it was started in: this one must keep none alive
        thread.current_context = None
        thread.start()

    def _run(self) -> None:
        time.sleep(self.delay_s)
        with self._lock:
            self._pending = False
        try:
            self.release()
        except Exception:  # a failed release must not take the server down
            logger.exception("releasing memory after a session closed failed")
        self.releases += 1

    def on_session_start(self):
        """``solara.lifecycle.on_kernel_start`` callback: release when the session closes."""
        return self.schedule


def install() -> ReleaseAfterClose:
    """Tune the allocator and release memory after every Solara session closes."""
    import solara.lifecycle

    tune_allocator()
    releaser = ReleaseAfterClose()
    solara.lifecycle.on_kernel_start(releaser.on_session_start)
    return releaser
