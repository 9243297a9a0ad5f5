"""Counter-based random draws: the draw at ``(key, counter)``, computed on demand.

Core functions: :func:`uniforms`, :func:`normals` and :func:`gammas` (arrays of draws for
given counters), and the compiled :func:`uniform_at`, :func:`normal_at` and :func:`gamma_at`
for kernels that draw inside their loop.

The daily streams of :class:`sim.engine.model.O2OModel` draw per consumer (or per
consideration slot), and only for the consumers who need a draw that day: the
visitors, the slots that may be forgotten. A sequential generator would have to
draw for everyone to keep each consumer's numbers independent of the others'
choices (common random numbers across scenarios). A counter-based generator
gives the same property without drawing what is not used: the draw for consumer
``i`` is a function of ``(key, i)`` alone, where the key stands for ``(seed,
stream name, step)`` (:meth:`sim.random.streams.Streams.key`).

The function is SplitMix64 (Steele, Lea & Flood 2014, "Fast splittable
pseudorandom number generators", OOPSLA; the generator of Java's
``SplittableRandom``): the draw at counter ``c`` is the 64-bit mix of
``key + (c + 1) * 0x9E3779B97F4A7C15``, i.e. the ``c``-th output of SplitMix64
seeded with ``key``. Its output sequence passes TestU01's BigCrush. Uniforms use the
top 53 bits, so they lie in [0, 1) on the same grid as numpy's ``random()``.

Normals are Box-Muller pairs of uniforms at counters ``2c`` and ``2c + 1``;
gamma variates use Marsaglia & Tsang's (2000) squeeze-rejection method with
uniforms at counters ``64c, 64c + 1, ...`` (a consumer needs more than 64 only
with a probability below 1e-40; the draws then go on under a derived key).
``tests/test_keyed.py`` checks the moments, the independence of neighbouring
counters and keys, and the distributions against scipy's.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels.jit import njit

__all__ = ["gamma_at", "gammas", "normal_at", "normal_rows", "normals", "uniform_at", "uniforms"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2 ** -53
_GAMMA_SPAN = 64  # uniforms reserved per gamma variate


@njit(inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def uniform_at(key, counter):
    """The uniform in [0, 1) at ``counter`` (>= 0) of the stream ``key`` (a ``uint64``)."""
    z = _mix(key + (np.uint64(counter) + _ONE) * _GOLDEN)
    return float(z >> _S11) * _TO_UNIT


@njit(cache=True)
def normal_at(key, counter):
    """The standard normal at ``counter`` (>= 0) of the stream ``key`` (Box-Muller: module docstring)."""
    u1 = uniform_at(key, 2 * counter)
    u2 = uniform_at(key, 2 * counter + 1)
    return math.sqrt(-2.0 * math.log1p(-u1)) * math.cos(2.0 * math.pi * u2)  # 1 - u1 in (0, 1]


@njit(cache=True)
def gamma_at(shape, key, counter):
    """The Gamma(``shape``, scale 1) variate at ``counter`` (>= 0) of the stream ``key`` (``shape`` > 0).

    Marsaglia & Tsang's squeeze-rejection on the uniforms at counters ``64c, 64c + 1, ...``
    (see the module docstring).
    """
    boost = shape < 1.0  # gamma(a) = gamma(a + 1) * U ** (1 / a)  (Marsaglia & Tsang, sec. 6)
    a = shape + 1.0 if boost else shape
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    base = counter * _GAMMA_SPAN
    pos = 0
    g = 0.0
    while True:
        if pos + 3 > _GAMMA_SPAN:  # practically never: go on under a derived key
            key = _mix(key ^ _M2)
            pos = 0
        u1 = uniform_at(key, base + pos)
        u2 = uniform_at(key, base + pos + 1)
        u = uniform_at(key, base + pos + 2)
        pos += 3
        x = math.sqrt(-2.0 * math.log1p(-u1)) * math.cos(2.0 * math.pi * u2)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        if u <= 0.0:
            continue
        if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            g = d * v
            break
    if boost:
        if pos + 1 > _GAMMA_SPAN:
            key = _mix(key ^ _M2)
            pos = 0
        g *= (1.0 - uniform_at(key, base + pos)) ** (1.0 / shape)
    return g


@njit(cache=True)
def _fill_uniforms(key, counters, out):
    for r in range(counters.size):
        out[r] = uniform_at(key, counters[r])


@njit(cache=True)
def _fill_normals(key, counters, out):
    for r in range(counters.size):
        out[r] = normal_at(key, counters[r])


@njit(cache=True)
def _fill_normal_rows(keys, counters, out):
    for k in range(keys.size):
        for r in range(counters.size):
            out[k, r] = normal_at(keys[k], counters[r])


@njit(cache=True)
def _fill_gammas(shape, key, counters, out):
    for r in range(counters.size):
        out[r] = gamma_at(shape, key, counters[r])


def _counters(counters) -> np.ndarray:
    c = np.asarray(counters, dtype=np.int64)
    if c.size and c.min() < 0:
        raise ValueError(f"keyed draws: counters must be >= 0, got {int(c.min())}")
    return c.reshape(-1)


def uniforms(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) at ``counters`` (any shape of non-negative integers; same shape back)."""
    c = _counters(counters)
    out = np.empty(c.size)
    _fill_uniforms(np.uint64(key), c, out)
    return out.reshape(np.shape(counters))


def normals(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """Standard normals at ``counters`` (Box-Muller on the uniforms at ``2c`` and ``2c + 1``)."""
    c = _counters(counters)
    out = np.empty(c.size)
    _fill_normals(np.uint64(key), c, out)
    return out.reshape(np.shape(counters))


def normal_rows(keys, counters: np.ndarray) -> np.ndarray:
    """Standard normals of several streams at the same counters: row ``k`` is ``normals(keys[k], counters)``.

    One compiled call for all the streams (``counters`` one-dimensional).
    """
    c = _counters(counters)
    keys = np.asarray(keys, dtype=np.uint64).reshape(-1)
    out = np.empty((keys.size, c.size))
    _fill_normal_rows(keys, c, out)
    return out


def gammas(shape: float, key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """Gamma(``shape``, scale 1) variates at ``counters`` (Marsaglia & Tsang; ``shape`` > 0)."""
    if not shape > 0:
        raise ValueError(f"keyed draws: gamma shape must be > 0, got {shape!r}")
    c = _counters(counters)
    out = np.empty(c.size)
    _fill_gammas(float(shape), np.uint64(key), c, out)
    return out.reshape(np.shape(counters))
