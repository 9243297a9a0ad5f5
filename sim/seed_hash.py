"""numpy's ``SeedSequence`` hash, with the seed's share computed once.

Core object: :class:`SeedHasher` - ``SeedHasher(seed).state64(spawn_key)`` equals
``np.random.SeedSequence(seed, spawn_key=spawn_key).generate_state(1, np.uint64)[0]``
(``tests/test_seed_hash.py`` checks it on random seeds and keys). The daily keys of the
counter-based streams (:meth:`sim.rng.Streams.key`) differ only in their spawn keys, so
mixing the seed into the entropy pool once and only the spawn key per call makes a key
about ten times cheaper than building a ``SeedSequence`` for it.

The algorithm is numpy's (``numpy/random/bit_generator.pyx``: ``hashmix``, ``mix``,
``mix_entropy``, ``generate_state``; after M. E. O'Neill's seed_seq_fe), in 32-bit words.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeedHasher"]

_MASK = 0xFFFFFFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = 16
_POOL = 4


def _words(n: int) -> list[int]:
    """Little-endian 32-bit words of a non-negative integer (0 is one word)."""
    if n < 0:
        raise ValueError(f"SeedSequence entropy must be non-negative, got {n}")
    out = [n & _MASK]
    n >>= 32
    while n:
        out.append(n & _MASK)
        n >>= 32
    return out


def _hashmix(value: int, const: int) -> tuple[int, int]:
    value ^= const
    const = (const * _MULT_A) & _MASK
    value = (value * const) & _MASK
    value ^= value >> _XSHIFT
    return value, const


def _mix(x: int, y: int) -> int:
    result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _MASK
    return result ^ (result >> _XSHIFT)


class SeedHasher:
    """The entropy pool of ``SeedSequence(seed, spawn_key=...)`` with the seed mixed in once.

    Args:
        seed: the run's seed (a non-negative integer).
    """

    def __init__(self, seed: int):
        run = _words(int(seed))
        run += [0] * (_POOL - len(run))  # numpy pads the seed to the pool size when there is a spawn key
        pool, const = [0] * _POOL, _INIT_A
        for i in range(_POOL):
            pool[i], const = _hashmix(run[i], const)
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    hashed, const = _hashmix(pool[src], const)
                    pool[dst] = _mix(pool[dst], hashed)
        for word in run[_POOL:]:
            pool, const = self._absorb(pool, const, word)
        self._pool, self._const = pool, const

    @staticmethod
    def _absorb(pool: list[int], const: int, word: int) -> tuple[list[int], int]:
        pool = list(pool)
        for dst in range(_POOL):
            hashed, const = _hashmix(word, const)
            pool[dst] = _mix(pool[dst], hashed)
        return pool, const

    def state64(self, spawn_key: tuple[int, ...]) -> np.uint64:
        """``SeedSequence(seed, spawn_key=spawn_key).generate_state(1, np.uint64)[0]``."""
        if not spawn_key:
            raise ValueError("SeedHasher.state64 needs a spawn key (numpy pads the seed only then)")
        pool, const = self._pool, self._const
        for part in spawn_key:
            for word in _words(int(part)):
                pool, const = self._absorb(pool, const, word)
        const, low_high = _INIT_B, []
        for i in range(2):
            value = pool[i % _POOL] ^ const
            const = (const * _MULT_B) & _MASK
            value = (value * const) & _MASK
            low_high.append(value ^ (value >> _XSHIFT))
        return np.uint64(low_high[0] | (low_high[1] << 32))
