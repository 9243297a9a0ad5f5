"""Finding consideration-set slots by who holds them and which store fills them, in one compiled pass.

Core function: :func:`slots_at` - the flat indices (``consumer * K + slot``) of the slots that
hold one of a set of stores, for consumers of a set, in increasing order: what
``np.flatnonzero(consumer_mask[:, None] & store_mask[slot_store])`` gives, without building the
(N, K) mask. Levers that change the choice only at the brand's slots (OMO, CRM, reservations)
use it, so their cost grows with the slots they touch, not with every slot.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import njit

__all__ = ["slots_at"]


@njit(cache=True)
def _slots_at(slot_store, store_mask, consumer_mask):
    n, k = slot_store.shape
    count = 0
    for c in range(n):
        if consumer_mask[c]:
            for j in range(k):
                s = slot_store[c, j]
                count += (s >= 0) and store_mask[max(s, 0)]
    out = np.empty(count, dtype=np.int64)
    i = 0
    for c in range(n):
        if consumer_mask[c]:
            for j in range(k):
                s = slot_store[c, j]
                if s >= 0 and store_mask[s]:
                    out[i] = c * k + j
                    i += 1
    return out


def slots_at(slot_store: np.ndarray, store_mask: np.ndarray, consumer_mask: np.ndarray) -> np.ndarray:
    """Flat indices of the slots holding a store of ``store_mask``, for consumers of ``consumer_mask``.

    Args:
        slot_store: (N, K) store id in each slot (-1 = empty).
        store_mask: (S,) bool, the stores wanted.
        consumer_mask: (N,) bool, the consumers wanted.

    Returns:
        (M,) int64 flat indices ``consumer * K + slot``, in increasing order.
    """
    return _slots_at(slot_store, np.ascontiguousarray(store_mask, dtype=np.bool_),
                     np.ascontiguousarray(consumer_mask, dtype=np.bool_))
