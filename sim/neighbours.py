"""The k nearest points of every point, found on a uniform grid in compiled code.

Core function: :func:`k_nearest` - for each of N points in the plane, the indices of its
``k`` nearest points (itself first), nearest first, the answer ``scipy.spatial.cKDTree``'s
``query(xy, k)`` gives (distances compared as ``dx * dx + dy * dy``, as the tree does;
``tests/test_neighbours.py`` checks the two agree, clustered cities included).

Points are bucketed into square cells holding about four points each (a counting sort);
each point then scans rings of cells around its own, nearest ring first, keeping the
``k`` best in a sorted buffer, and stops once the ``k``-th best is no farther than any
point of the next ring can be (``r`` cells out, at least ``r`` cell widths away). Over the
tree it saves the tree's construction and traversal: about three times faster for the
friendship graph's 21 neighbours of 50,000 homes. Two points at exactly the same distance
from a third (a measure-zero event for the continuous positions the city draws) may come
in either order, as in the tree.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["k_nearest"]

_POINTS_PER_CELL = 4.0


@njit(cache=True)
def _k_nearest(x, y, k, x0, y0, h, gx, gy, out):
    n = x.size
    cx = np.minimum(((x - x0) / h).astype(np.int64), gx - 1)
    cy = np.minimum(((y - y0) / h).astype(np.int64), gy - 1)
    cell = cx * gy + cy
    start = np.zeros(gx * gy + 1, dtype=np.int64)  # counting sort of the points by cell
    for i in range(n):
        start[cell[i] + 1] += 1
    for c in range(gx * gy):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    member = np.empty(n, dtype=np.int64)
    for i in range(n):
        member[fill[cell[i]]] = i
        fill[cell[i]] += 1
    sx, sy = x[member], y[member]  # positions in cell order: each cell's points are contiguous
    best_d = np.empty(k)
    best_i = np.empty(k, dtype=np.int64)
    widest = max(gx, gy)
    for qm in range(n):  # queries in cell order too, so neighbouring queries share cells in cache
        q = member[qm]
        qx, qy, qcx, qcy = x[q], y[q], cx[q], cy[q]
        found = 0
        r = 0
        while True:
            for a in range(max(qcx - r, 0), min(qcx + r, gx - 1) + 1):
                edge_a = a == qcx - r or a == qcx + r
                step = 1 if edge_a else 2 * r  # inside the ring's columns only its two ends
                b = qcy - r
                while b <= qcy + r:
                    if 0 <= b < gy:
                        c = a * gy + b
                        for m in range(start[c], start[c + 1]):
                            dx = sx[m] - qx
                            dy = sy[m] - qy
                            d = dx * dx + dy * dy
                            if found == k and d >= best_d[k - 1]:
                                continue
                            pos = found if found < k else k - 1  # insert, keeping the buffer sorted
                            while pos > 0 and best_d[pos - 1] > d:
                                best_d[pos] = best_d[pos - 1]
                                best_i[pos] = best_i[pos - 1]
                                pos -= 1
                            best_d[pos] = d
                            best_i[pos] = member[m]
                            if found < k:
                                found += 1
                    b += step if r > 0 else 1
            if found == k:
                reach = r * h  # any point of ring r + 1 is at least this far
                if best_d[k - 1] <= reach * reach:
                    break
            if r > widest:
                break
            r += 1
        for j in range(k):
            out[q, j] = best_i[j]


def k_nearest(xy: np.ndarray, k: int) -> np.ndarray:
    """(N, k) indices of each point's ``k`` nearest points (itself first), nearest first.

    Args:
        xy: (N, 2) positions (finite).
        k: neighbours per point, 1 <= k <= N.

    Returns:
        (N, k) int64 indices.
    """
    xy = np.asarray(xy, dtype=np.float64)
    n = xy.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"k_nearest: k must be in [1, {n}] (the number of points), got {k}")
    if not np.isfinite(xy).all():
        raise ValueError("k_nearest: positions must be finite")
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    wx, wy = x1 - x0, y1 - y0
    # about _POINTS_PER_CELL points a cell, also when the points lie on a line (no area)
    h = max(math.sqrt(wx * wy * _POINTS_PER_CELL / n), max(wx, wy) * _POINTS_PER_CELL / n, 1e-12)
    while (int(wx / h) + 1) * (int(wy / h) + 1) > 4 * n + 16:  # never far more cells than points
        h *= 2.0
    gx = int(wx / h) + 1
    gy = int(wy / h) + 1
    out = np.empty((n, k), dtype=np.int64)
    _k_nearest(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), k, x0, y0, h, gx, gy, out)
    return out
