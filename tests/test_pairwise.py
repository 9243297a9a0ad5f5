"""Tests of sim.kernels.pairwise: compiled sums equal numpy's to the last bit."""

import numpy as np
import pytest

from sim.kernels.pairwise import pairwise_sum

SIZES = [*range(0, 140), 255, 256, 257, 1000, 1023, 4096, 5001, 70_000]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_equals_numpy_sum_bit_for_bit(dtype):
    rng = np.random.default_rng(5)
    for n in SIZES:
        # magnitudes spread over 9 decades, both signs: any change of order shows in the last bits
        x = (rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 6, n)).astype(dtype)
        got = pairwise_sum(x, 0, n)
        assert got == x.sum(), n


def test_a_slice_sums_like_the_sliced_array():
    x = np.random.default_rng(6).standard_normal(3000)
    for first, count in [(0, 0), (7, 9), (100, 129), (1, 2999), (513, 1500)]:
        assert pairwise_sum(x, first, count) == x[first:first + count].sum()


def test_differs_from_a_plain_running_sum():
    """The check above has teeth: a running sum rounds differently on such data."""
    x = np.random.default_rng(7).standard_normal(5000) * 1e6
    running = 0.0
    for v in x:
        running += v
    assert running != x.sum()
    assert pairwise_sum(x, 0, x.size) == x.sum()
