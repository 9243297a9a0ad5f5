"""sim.random.keyed: counter-based draws are reproducible, independent across counters and keys, and
have the distributions they claim."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.random import keyed
from sim.random.streams import Streams

KEY = np.uint64(0x9E3779B97F4A7C15)


def test_a_draw_depends_on_its_key_and_counter_alone():
    everyone = keyed.uniforms(KEY, np.arange(1000))
    some = np.array([999, 3, 3, 500])
    np.testing.assert_array_equal(keyed.uniforms(KEY, some), everyone[some])  # order and repeats
    np.testing.assert_array_equal(keyed.uniforms(KEY, np.arange(1000).reshape(20, 50)),
                                  everyone.reshape(20, 50))
    assert keyed.uniform_at(KEY, 7) == everyone[7]
    other = keyed.uniforms(KEY + np.uint64(1), np.arange(1000))
    assert not np.any(other == everyone)


def test_splitmix64_reference_values():
    # SplitMix64 seeded with 0: the first outputs of the reference C code (Vigna, prng.di.unimi.it)
    first = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    got = keyed.uniforms(np.uint64(0), np.arange(3))
    np.testing.assert_array_equal(got, [(x >> 11) * 2.0**-53 for x in first])


def test_uniforms_are_uniform_and_uncorrelated():
    u = keyed.uniforms(KEY, np.arange(200_000))
    assert 0.0 <= u.min() and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01  # neighbouring counters
    v = keyed.uniforms(Streams(1).key("decision:visit", 0), np.arange(200_000))
    w = keyed.uniforms(Streams(1).key("decision:visit", 1), np.arange(200_000))
    assert abs(np.corrcoef(v, w)[0, 1]) < 0.01  # the same stream on neighbouring steps


def test_normals_are_standard_normal():
    z = keyed.normals(KEY, np.arange(100_000))
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_normal_rows_are_each_streams_normals():
    counters = np.array([5, 0, 77, 3])
    keys = [KEY, np.uint64(12345), np.uint64(2**64 - 1)]
    rows = keyed.normal_rows(keys, counters)
    assert rows.shape == (3, 4)
    for key, row in zip(keys, rows, strict=True):
        assert np.array_equal(row, keyed.normals(key, counters))


@pytest.mark.parametrize("shape", [0.4, 1.0, 3.0, 12.0])
def test_gammas_follow_the_gamma_distribution(shape):
    g = keyed.gammas(shape, KEY, np.arange(50_000))
    assert (g > 0).all()
    assert stats.kstest(g, "gamma", args=(shape,)).pvalue > 1e-3
    assert g.mean() == pytest.approx(shape, rel=0.03)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="counters must be >= 0"):
        keyed.uniforms(KEY, np.array([3, -1]))
    with pytest.raises(ValueError, match="gamma shape must be > 0"):
        keyed.gammas(0.0, KEY, np.arange(3))
