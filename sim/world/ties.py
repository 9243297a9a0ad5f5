"""Strong and weak ties: which friendships are strong, chosen once when the network is built.

Core functions:
    * :func:`overlap` - the neighbourhood overlap of every tie (Onnela et al. 2007): the friends
      its two ends share, over the friends either has besides the other. Granovetter (1973)
      argued that strong ties are embedded (their ends share friends) and weak ties bridge
      groups; Onnela et al. measured tie strength rising with overlap in a national phone network.
    * :func:`strong_ties` - which ties are strong: the ``share`` of ties with the largest overlap
      (``how = "overlap"``, ties of equal overlap in a random order) or each tie at random
      (``how = "random"``). The answer is symmetric: the two CSR entries of a tie agree.
    * :func:`tie_weights` - each consumer's summed tie weight (weak ties weigh 1, strong ties
      ``strong_weight``), the denominator of degree-normalised word of mouth (docs/ODD.md 7.15).

Ties are the CSR entries of :class:`sim.world.social.SocialNetwork` (``indptr``, ``indices``,
rows sorted); a tie ``i - j`` is the entry ``(i, j)`` and its mirror ``(j, i)``.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import njit

__all__ = ["overlap", "strong_ties", "tie_weights"]


@njit(cache=True)
def _common(indices, a0, a1, b0, b1):
    """How many ids two sorted CSR rows share."""
    n = 0
    while a0 < a1 and b0 < b1:
        if indices[a0] == indices[b0]:
            n += 1
            a0 += 1
            b0 += 1
        elif indices[a0] < indices[b0]:
            a0 += 1
        else:
            b0 += 1
    return n


@njit(cache=True)
def _overlap(indptr, indices, out):
    for i in range(indptr.size - 1):
        ki = indptr[i + 1] - indptr[i]
        for x in range(indptr[i], indptr[i + 1]):
            j = indices[x]
            kj = indptr[j + 1] - indptr[j]
            n = _common(indices, indptr[i], indptr[i + 1], indptr[j], indptr[j + 1])
            others = (ki - 1) + (kj - 1) - n
            out[x] = n / others if others > 0 else 0.0


def overlap(indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """(2E,) neighbourhood overlap of each CSR entry ``(i, j)``: ``n_ij / ((k_i - 1) + (k_j - 1) - n_ij)``.

    ``n_ij`` is the number of friends ``i`` and ``j`` share and ``k`` their degrees (Onnela et al.
    2007); 0 when neither has another friend. Rows must be sorted (as CSR rows are here).
    """
    out = np.empty(indices.size)
    _overlap(indptr, indices, out)
    return out


@njit(cache=True)
def _upper(indptr, indices, with_overlap):
    """Each tie once - its entry ``(i, j)`` with ``i < j``, in CSR order - and, if asked, its overlap."""
    n_upper = 0
    for i in range(indptr.size - 1):
        for x in range(indptr[i], indptr[i + 1]):
            n_upper += indices[x] > i
    upper = np.empty(n_upper, dtype=np.int64)
    score = np.zeros(n_upper if with_overlap else 0)
    at = 0
    for i in range(indptr.size - 1):
        ki = indptr[i + 1] - indptr[i]
        for x in range(indptr[i], indptr[i + 1]):
            j = indices[x]
            if j <= i:
                continue
            upper[at] = x
            if with_overlap:
                kj = indptr[j + 1] - indptr[j]
                n = _common(indices, indptr[i], indptr[i + 1], indptr[j], indptr[j + 1])
                others = (ki - 1) + (kj - 1) - n
                score[at] = n / others if others > 0 else 0.0
            at += 1
    return upper, score


@njit(cache=True)
def _mirror(indptr, indices, first, out):
    """Copy each first-half entry ``(i, j)``, ``i < j``, to its mirror ``(j, i)``."""
    for i in range(indptr.size - 1):
        for x in range(indptr[i], indptr[i + 1]):
            j = indices[x]
            if j <= i:
                continue
            lo, hi = indptr[j], indptr[j + 1]
            while lo < hi:  # binary search of i in j's sorted row
                mid = (lo + hi) // 2
                if indices[mid] < i:
                    lo = mid + 1
                else:
                    hi = mid
            out[lo] = first[x]


def strong_ties(indptr: np.ndarray, indices: np.ndarray, share: float, how: str,
                rng: np.random.Generator) -> np.ndarray:
    """Which ties are strong, as a (2E,) mask over the CSR entries (symmetric).

    Args:
        indptr: (N + 1,) CSR row pointers.
        indices: (2E,) friends, sorted within each row.
        share: the share of ties that are strong, in [0, 1].
        how: ``"overlap"`` - the ``round(share x E)`` ties with the largest neighbourhood overlap
            (:func:`overlap`), ties of equal overlap taken in a random order; ``"random"`` - each tie
            strong with chance ``share``.
        rng: the stream the random order or the draws come from (one uniform per tie, ``i < j``,
            in CSR order).

    Returns:
        (2E,) bool: entry ``x`` is a strong tie. Both entries of a tie agree.
    """
    if how not in ("overlap", "random"):
        raise ValueError(f"network.tie_strength={how!r}; allowed: 'overlap' or 'random'")
    ranked = how == "overlap" and 0.0 < share < 1.0
    upper, score = _upper(indptr, indices, ranked)  # each tie once: its entry (i, j) with i < j
    u = rng.random(upper.size)
    first = np.zeros(indices.size, dtype=bool)
    if share <= 0.0 or share >= 1.0:  # all weak or all strong: nothing to rank or draw
        first[:] = share >= 1.0
        return first
    if how == "random":
        first[upper] = u < share
    else:
        first[upper[_top(score, u, int(round(share * upper.size)))]] = True
    out = first.copy()
    _mirror(indptr, indices, first, out)
    return out


def _top(score: np.ndarray, u: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest scores, equal scores at the threshold taken by smallest ``u``.

    The first ``k`` of ``np.lexsort((u, -score))``, as a set, in linear time.
    """
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    threshold = np.partition(score, score.size - k)[score.size - k]  # the k-th largest score
    above = np.flatnonzero(score > threshold)
    at = np.flatnonzero(score == threshold)
    need = k - above.size
    if need < at.size:  # ties at the threshold: the smallest uniforms
        at = at[np.argpartition(u[at], need - 1)[:need]] if need > 0 else at[:0]
    return np.concatenate([above, at])


def tie_weights(indptr: np.ndarray, strong: np.ndarray, strong_weight: float) -> np.ndarray:
    """(N,) each consumer's summed tie weight: 1 per weak tie, ``strong_weight`` per strong tie.

    0 for a consumer without friends.
    """
    n = indptr.size - 1
    row = np.repeat(np.arange(n), np.diff(indptr))
    return np.bincount(row, weights=np.where(strong, strong_weight, 1.0), minlength=n)
