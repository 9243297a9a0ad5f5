"""numpy's pairwise summation, compiled: sums that equal ``np.sum`` to the last bit.

Core function: :func:`pairwise_sum` (a slice of a 1-D float32 or float64 array).

``np.add.reduce`` on a contiguous 1-D float array sums in blocks: fewer than 8
values one after another, up to 128 values in 8 interleaved running sums
combined as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))`` then the
remainder, and longer runs split in two (the first half a multiple of 8) and
summed recursively (numpy/_core/src/umath/loops_utils.h.src). Compiled passes
that report sums use this order, so a day's totals are the same numbers numpy
gives (``tests/test_pairwise.py`` checks it against ``np.sum``).
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import njit

__all__ = ["pairwise_sum"]

_BLOCK = 128  # numpy's PW_BLOCKSIZE


@njit(cache=True)
def _block_sum(values, first, count):
    """The sum of at most 128 values, as numpy adds them: in turn below 8, else in 8 running sums."""
    if count < 8:
        total = np.float32(0.0)  # float32 stays float32; float64 values make it float64
        for i in range(first, first + count):
            total += values[i]
        return total
    r0, r1, r2, r3 = values[first], values[first + 1], values[first + 2], values[first + 3]
    r4, r5, r6, r7 = values[first + 4], values[first + 5], values[first + 6], values[first + 7]
    i = first + 8
    stop = first + count - count % 8
    while i < stop:
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(i, first + count):
        total += values[j]
    return total


@njit(cache=True)
def pairwise_sum(values, first, count):
    """The sum of ``values[first:first + count]`` in numpy's pairwise order, in the array's precision.

    numpy recurses; this walks the same tree of halves with a stack (a recursive compiled
    function cannot be cached for use by other compiled functions). Addition is commutative,
    so only the tree's shape fixes the result.

    Args:
        values: a 1-D float32 or float64 array.
        first: index of the first value summed.
        count: how many values (0 gives 0).

    Returns:
        The sum, as ``np.sum(values[first:first + count])`` gives it (a float32 sum is
        accumulated in float32 and returned as a Python float holding that value).
    """
    if count <= _BLOCK:
        return _block_sum(values, first, count)
    depth = 2 * 64  # halving from at most 2^63 values: at most 64 levels, two pending parts each
    part_first = np.empty(depth, dtype=np.int64)
    part_count = np.empty(depth, dtype=np.int64)
    part_split = np.zeros(depth, dtype=np.bool_)  # a part whose two halves are summed already
    done = np.empty(depth, dtype=values.dtype)
    n_parts, n_done = 1, 0
    part_first[0], part_count[0] = first, count
    while n_parts:
        n_parts -= 1
        f, c = part_first[n_parts], part_count[n_parts]
        if c <= _BLOCK:
            done[n_done] = _block_sum(values, f, c)
            n_done += 1
        elif part_split[n_parts]:
            n_done -= 1
            done[n_done - 1] = done[n_done - 1] + done[n_done]
        else:
            half = c // 2
            half -= half % 8
            part_split[n_parts] = True  # revisit once both halves are summed
            n_parts += 1
            part_first[n_parts], part_count[n_parts], part_split[n_parts] = f + half, c - half, False
            n_parts += 1
            part_first[n_parts], part_count[n_parts], part_split[n_parts] = f, half, False
            n_parts += 1
    return done[0]
