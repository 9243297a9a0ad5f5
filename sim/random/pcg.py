"""numpy's PCG64 inside compiled passes: the doubles ``Generator(PCG64).random()`` gives, drawn in order.

Core functions: :func:`state_words` (a ``PCG64.state`` as four ``uint64`` words) and
:func:`next_double` (the next double in [0, 1) of such a state, advancing it in place).

A pass that needs a sequential stream's uniforms one by one - word of mouth draws whether
each friend hears, in the order the friends are listed - draws them where it uses them
instead of asking numpy for an array first. The arithmetic is numpy's
(``numpy/random/src/pcg64``): the 128-bit LCG step ``state * M + inc`` in 64-bit halves,
the XSL-RR output of the new state, and the top 53 bits as a double
(``tests/test_pcg.py`` compares them with numpy's for many states).
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import njit

__all__ = ["next_double", "state_words"]

#: PCG's 128-bit multiplier, high and low words
_MULT_HIGH, _MULT_LOW = np.uint64(0x2360ED051FC65DA4), np.uint64(0x4385DF649FCCF645)
_LOW32 = np.uint64(0xFFFFFFFF)
_U32, _U11, _U58, _U63, _ZERO, _ONE = (np.uint64(x) for x in (32, 11, 58, 63, 0, 1))
_TO_UNIT = 1.0 / 9007199254740992.0  # 2 ** -53
_WORD = (1 << 64) - 1


def state_words(state: dict) -> np.ndarray:
    """``PCG64.state`` (the dict numpy gives and takes) as ``[state high, state low, inc high, inc low]``."""
    s, inc = int(state["state"]["state"]), int(state["state"]["inc"])
    return np.array([s >> 64, s & _WORD, inc >> 64, inc & _WORD], dtype=np.uint64)


@njit(inline="always")
def _mul_high(a, b):
    """The high 64 bits of the 128-bit product of two ``uint64``."""
    a_lo, a_hi, b_lo, b_hi = a & _LOW32, a >> _U32, b & _LOW32, b >> _U32
    low_low, low_high, high_low = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo
    middle = (low_low >> _U32) + (low_high & _LOW32) + (high_low & _LOW32)
    return a_hi * b_hi + (low_high >> _U32) + (high_low >> _U32) + (middle >> _U32)


@njit(inline="always")
def next_double(words):
    """Advance ``words`` (from :func:`state_words`) one step; the double numpy's ``random()`` returns."""
    high, low, inc_high, inc_low = words[0], words[1], words[2], words[3]
    product_low = low * _MULT_LOW
    product_high = _mul_high(low, _MULT_LOW) + high * _MULT_LOW + low * _MULT_HIGH
    new_low = product_low + inc_low
    carry = _ONE if new_low < product_low else _ZERO
    new_high = product_high + inc_high + carry
    words[0], words[1] = new_high, new_low
    value = new_high ^ new_low  # XSL-RR: rotate right by the top 6 bits
    rot = new_high >> _U58
    out = (value >> rot) | (value << ((_ZERO - rot) & _U63))
    return float(out >> _U11) * _TO_UNIT
