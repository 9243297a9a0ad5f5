"""numba's ``njit`` for the package's compiled kernels, after the kernel cache is checked.

Core name: :func:`njit` (numba's own). Every module with compiled kernels imports it from here,
so the on-disk cache is checked (:func:`sim.kernels.cache.refresh_once`) when the first of them
loads - not when ``sim`` is imported - and before any kernel runs.
"""

from __future__ import annotations

from numba import njit

from sim.kernels.cache import refresh_once

__all__ = ["njit"]

refresh_once()
