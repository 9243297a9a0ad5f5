"""sim.random.pcg: numpy's PCG64 doubles, drawn one by one in compiled code."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from sim.random.pcg import next_double, state_words


@njit(cache=True)
def _draw(words, size):
    out = np.empty(size)
    for i in range(size):
        out[i] = next_double(words)
    return out


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**63 + 11, 987654321987654321])
def test_doubles_are_numpys(seed):
    bits = np.random.PCG64(seed)
    words = state_words(bits.state)
    want = np.random.Generator(bits).random(5000)
    got = _draw(words, 5000)
    assert np.array_equal(got, want)
    assert state_words(bits.state).tolist() == words.tolist()  # the same state after them


def test_states_with_carries_and_every_rotation():
    rng = np.random.default_rng(7)
    rotations = set()
    for _ in range(200):  # random 128-bit states and increments (the increment is odd)
        hi, lo, ihi, ilo = (int(x) for x in rng.integers(0, 2**64, size=4, dtype=np.uint64))
        words = {"state": (hi << 64) | lo, "inc": ((ihi << 64) | ilo) | 1}
        state = {"bit_generator": "PCG64", "state": words, "has_uint32": 0, "uinteger": 0}
        bits = np.random.PCG64()
        bits.state = state
        words = state_words(bits.state)
        assert np.array_equal(_draw(words, 20), np.random.Generator(bits).random(20))
        rotations.add(int(words[0]) >> 58)
    assert len(rotations) > 50  # many of the 64 rotations were exercised
