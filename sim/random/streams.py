"""Named random streams derived from one seed.

Core object: :class:`Streams`.

Every random draw in the engine comes from a stream named after what it is
for ("population", "decision", ...), and, for daily draws, after the step too
(the model passes its step count, warm-up included). A stream's state depends
only on ``(seed, name, step)``, never on how many draws
other streams made, so two scenarios run with one seed see the same numbers
wherever their strategies do not differ: common random numbers, which make
paired comparisons need far fewer replications. No global seeding is used.

Per-consumer daily draws are counter-based (:mod:`sim.random.keyed`): :meth:`Streams.key`
gives a stream's key for a step, and the draw for consumer ``i`` depends on
``(key, i)`` alone, so only the consumers who need a draw get one. A key is the
first 64-bit word of ``SeedSequence(seed, spawn_key=(crc(name), step + 1, 1))``;
:func:`_step_state` finishes that hash for each step from the pool the seed and
name leave (:func:`_name_pool`, once per name): the same arithmetic as numpy's
``SeedSequence`` (tested against it) at about a tenth of the cost.
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.kernels.jit import njit
from sim.random.pcg import state_words

__all__ = ["Streams"]


_KEYED = 1  # last spawn-key element of the keys of counter-based streams

# SeedSequence's hash constants (numpy/random/bit_generator.pyx, after O'Neill's seed_seq_fe);
# its 32-bit arithmetic is held in uint64 and masked
_MASK = np.uint64(0xFFFFFFFF)
_INIT_A, _MULT_A = np.uint64(0x43B0D7E5), np.uint64(0x931E8875)
_INIT_B, _MULT_B = np.uint64(0x8B51F9DD), np.uint64(0x58F38DED)
_MIX_L, _MIX_R, _SHIFT = np.uint64(0xCA01F9DD), np.uint64(0x4973F715), np.uint64(16)


@njit(inline="always")
def _hashmix(value, hash_const, mult):
    """SeedSequence's ``hashmix``: the hashed value and the next hash constant."""
    value = (value ^ hash_const) & _MASK
    hash_const = (hash_const * mult) & _MASK
    value = (value * hash_const) & _MASK
    return value ^ (value >> _SHIFT), hash_const


@njit(inline="always")
def _mix(x, y):
    """SeedSequence's ``mix`` of two words."""
    r = (_MIX_L * x - _MIX_R * y) & _MASK
    return r ^ (r >> _SHIFT)


@njit(cache=True)
def _absorb(pool, hash_const, word):
    """Mix one entropy word beyond the pool into every pool word; returns the new hash constant.

    SeedSequence.mix_entropy's last loop.
    """
    for d in range(4):
        v, hash_const = _hashmix(word, hash_const, _MULT_A)
        pool[d] = _mix(pool[d], v)
    return hash_const


@njit(cache=True)
def _seed_pool(words):
    """SeedSequence.mix_entropy on ``words`` (at least 4): the pool and the hash constant after it.

    The pool takes the first 4 words, mixes them together, then absorbs the rest one by one.
    """
    pool = np.empty(4, dtype=np.uint64)
    hash_const = _INIT_A
    for i in range(4):
        pool[i], hash_const = _hashmix(words[i], hash_const, _MULT_A)
    for src in range(4):
        for dst in range(4):
            if src != dst:
                v, hash_const = _hashmix(pool[src], hash_const, _MULT_A)
                pool[dst] = _mix(pool[dst], v)
    for w in words[4:]:
        hash_const = _absorb(pool, hash_const, w)
    return pool, hash_const


@njit(cache=True)
def _step_state(pool, hash_const, step_word, keyed_word, n_words):
    """``generate_state(n_words, np.uint64)`` after absorbing the step and, if >= 0, the keyed marker."""
    work = pool.copy()
    hash_const = _absorb(work, hash_const, step_word)
    if keyed_word >= 0:
        _absorb(work, hash_const, np.uint64(keyed_word))
    h = _INIT_B
    out = np.zeros(n_words, dtype=np.uint64)
    for i in range(2 * n_words):  # 32-bit words drawn from the pool in turn, little-endian pairs
        v, h = _hashmix(work[i % 4], h, _MULT_B)
        out[i // 2] |= v << np.uint64(32 * (i % 2))
    return out


@njit(cache=True)
def _step_keys(pools, hash_consts, step_word, keyed_word):
    """:func:`_step_state`'s first word for each row of ``pools`` (one name each)."""
    out = np.empty(pools.shape[0], dtype=np.uint64)
    for r in range(pools.shape[0]):
        out[r] = _step_state(pools[r], hash_consts[r], step_word, keyed_word, 1)[0]
    return out


# PCG64's seeding from four words (numpy/random/src/pcg64: pcg_setseq_128_srandom_r)
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_U128 = (1 << 128) - 1


def _pcg64_state(words: np.ndarray) -> dict:
    """The ``PCG64.state`` that ``PCG64`` seeded with ``generate_state(4, np.uint64) == words`` has."""
    seed = (int(words[0]) << 64) | int(words[1])
    inc = (((int(words[2]) << 64) | int(words[3])) << 1 | 1) & _U128
    state = (inc + seed) * _PCG_MULT + inc & _U128  # from 0: step, add the seed, step
    return {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}


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
        self._pools: dict[str, tuple[np.ndarray, np.uint64]] = {}
        self._stacked: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}  # pools of several names
        self._bits = np.random.PCG64(0)  # re-seeded by each day_uniforms call
        self._generator = np.random.Generator(self._bits)

    def _sequence(self, name: str, *keys: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(_name_key(name), *map(int, keys)))

    def get(self, name: str) -> np.random.Generator:
        """A fresh generator for a set-up stream (same name, same numbers)."""
        return np.random.Generator(np.random.PCG64(self._sequence(name)))

    def day(self, name: str, day: int) -> np.random.Generator:
        """A fresh generator for stream ``name`` at step ``day`` (>= 0)."""
        return np.random.Generator(np.random.PCG64(self._sequence(name, day + 1)))

    def key(self, name: str, day: int) -> np.uint64:
        """A 64-bit key for the counter-based draws (:mod:`sim.random.keyed`) of stream ``name`` at ``day``.

        Derived like :meth:`day`'s generator but with its own spawn key, so a keyed stream and a
        sequential one of the same name and step are independent.
        """
        return self.keys((name,), day)[name]

    def keys(self, names: tuple[str, ...], day: int) -> dict[str, np.uint64]:
        """:meth:`key` of each of ``names`` at step ``day``, computed in one compiled call."""
        if not 0 <= day + 1 <= 0xFFFFFFFF:  # one 32-bit spawn word per step (always, in practice)
            return {name: self._sequence(name, day + 1, _KEYED).generate_state(1, dtype=np.uint64)[0]
                    for name in names}
        pools, hash_consts = self._stack(names)
        words = _step_keys(pools, hash_consts, np.uint64(day + 1), _KEYED)
        return dict(zip(names, words, strict=True))

    def day_uniforms(self, name: str, day: int, size: int) -> np.ndarray:
        """``self.day(name, day).random(size)``, the same numbers without building a generator.

        The seed words come from the cached pool (as :meth:`key`'s), then one reused ``PCG64``
        takes the state the fresh one would have: a fraction of the cost, and nothing escapes.
        """
        self._bits.state = self._day_state(name, day)
        return self._generator.random(size)

    def _day_state(self, name: str, day: int) -> dict:
        """The ``PCG64.state`` :meth:`day`'s generator starts in, from the cached pool when it can."""
        if not 0 <= day + 1 <= 0xFFFFFFFF:
            return self.day(name, day).bit_generator.state
        pool, hash_const = self._pool(name)
        return _pcg64_state(_step_state(pool, hash_const, np.uint64(day + 1), -1, 4))

    def prepare(self, names: tuple[str, ...]) -> None:
        """Absorb the seed and each of ``names`` now, as :meth:`keys` and :meth:`day_uniforms` do once.

        A model prepares the streams it draws from every day when it is built, so its first
        steps cost what the others do. Nothing drawn changes.
        """
        self._stack(tuple(names))

    def _stack(self, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The pools and hash constants of several names, stacked (made once per tuple of names)."""
        if names not in self._stacked:
            pools = [self._pool(name) for name in names]
            self._stacked[names] = (np.stack([pool for pool, _ in pools]),
                                    np.array([hash_const for _, hash_const in pools], dtype=np.uint64))
        return self._stacked[names]

    def day_words(self, name: str, day: int) -> np.ndarray:
        """The state :meth:`day`'s generator starts in, as :mod:`sim.random.pcg` words (draws inside a pass).

        ``next_double`` on them gives ``self.day(name, day).random()``'s numbers, in order.
        """
        return state_words(self._day_state(name, day))

    def _pool(self, name: str) -> tuple[np.ndarray, np.uint64]:
        if name not in self._pools:
            self._pools[name] = _name_pool(self.seed, _name_key(name))
        return self._pools[name]

    def integer_seed(self, name: str) -> int:
        """A 31-bit integer seed for libraries that take an int (networkx, Mesa)."""
        return int(self._sequence(name).generate_state(1, dtype=np.uint32)[0] >> 1)


def _name_pool(seed: int, crc: int) -> tuple[np.ndarray, np.uint64]:
    """SeedSequence(seed, spawn_key=(crc, ...))'s pool and hash constant after the seed and ``crc``.

    The entropy is the seed's 32-bit words (zero-padded to the pool size of 4), then the
    spawn key's words (:func:`_seed_pool`); the remaining spawn words (the step and the
    keyed marker) are absorbed per step by :func:`_step_state`.
    """
    words = [seed & 0xFFFFFFFF]
    while seed >> 32:
        seed >>= 32
        words.append(seed & 0xFFFFFFFF)
    words += [0] * (4 - len(words)) + [crc]
    pool, hash_const = _seed_pool(np.array(words, dtype=np.uint64))
    return pool, np.uint64(hash_const)  # (numba returns a Python int)
