"""The command line's Ctrl-C flag, shared by the sweep (:mod:`sim.cli`) and its runs (:mod:`sim.cli.job`).

Core object: :data:`INTERRUPTED` - set when Ctrl-C reached a sweep: a run failing from then on
was interrupted, not broken. A module of its own, so that a run's job reads the flag without
importing the command line, which imports the job.
"""

from __future__ import annotations

import threading

__all__ = ["INTERRUPTED"]

#: Set when Ctrl-C reached a sweep: a run failing from then on was interrupted, not broken.
INTERRUPTED = threading.Event()
