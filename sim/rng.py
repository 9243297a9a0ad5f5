"""Named random streams derived from one seed.

Core object: :class:`Streams`.

Every random draw in the engine comes from a stream named after what it is
for ("population", "decision", ...), and, for daily draws, after the step too
(the model passes its step count, warm-up included). A stream's state depends
only on ``(seed, name, step)``, never on how many draws
other streams made, so two scenarios run with one seed see the same numbers
wherever their strategies do not differ: common random numbers, which make
paired comparisons need far fewer replications. No global seeding is used.

Per-consumer daily draws are counter-based (:mod:`sim.keyed`): :meth:`Streams.key`
gives a stream's key for a step, and the draw for consumer ``i`` depends on
``(key, i)`` alone, so only the consumers who need a draw get one.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["Streams"]


_KEYED = 1  # last spawn-key element of the keys of counter-based streams


def _name_key(name: str) -> int:
    """A stable 32-bit key for a stream name (CRC32, identical across platforms and runs)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of independent, reproducible generators keyed by name (and day).

    Args:
        seed: the run's seed (a non-negative integer).

    Example:
        >>> s = Streams(3)
        >>> a = s.get("population").random(2)
        >>> b = Streams(3).get("population").random(2)
        >>> bool((a == b).all())
        True
    """

    def __init__(self, seed: int):
        self.seed = int(seed)

    def _sequence(self, name: str, *keys: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(_name_key(name), *map(int, keys)))

    def get(self, name: str) -> np.random.Generator:
        """A fresh generator for a set-up stream (same name, same numbers)."""
        return np.random.Generator(np.random.PCG64(self._sequence(name)))

    def day(self, name: str, day: int) -> np.random.Generator:
        """A fresh generator for stream ``name`` at step ``day`` (>= 0)."""
        return np.random.Generator(np.random.PCG64(self._sequence(name, day + 1)))

    def key(self, name: str, day: int) -> np.uint64:
        """A 64-bit key for the counter-based draws of stream ``name`` at step ``day`` (:mod:`sim.keyed`).

        Derived like :meth:`day`'s generator but with its own spawn key, so a keyed stream and a
        sequential one of the same name and step are independent.
        """
        return self._sequence(name, day + 1, _KEYED).generate_state(1, dtype=np.uint64)[0]

    def integer_seed(self, name: str) -> int:
        """A 31-bit integer seed for libraries that take an int (networkx, Mesa)."""
        return int(self._sequence(name).generate_state(1, dtype=np.uint32)[0] >> 1)
