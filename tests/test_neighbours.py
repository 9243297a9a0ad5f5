"""sim.world.neighbours: the grid search gives cKDTree's k nearest neighbours."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from scipy.spatial import cKDTree

from sim.world.neighbours import k_nearest


def _tree(xy, k):
    return np.reshape(cKDTree(xy).query(xy, k=k)[1], (xy.shape[0], k))


@settings(max_examples=25, deadline=None)
@given(seed=hst.integers(0, 10_000), n=hst.integers(1, 600), k=hst.integers(1, 30),
       spread=hst.sampled_from([1e-3, 1.0, 50.0]))
def test_equals_the_tree_on_uniform_points(seed, n, k, spread):
    k = min(k, n)
    xy = np.random.default_rng(seed).random((n, 2)) * spread
    np.testing.assert_array_equal(k_nearest(xy, k), _tree(xy, k))


def test_equals_the_tree_on_a_clustered_city_and_a_line():
    rng = np.random.default_rng(4)
    city = np.concatenate([rng.normal(5, 0.2, (6000, 2)), rng.normal(18, 2.5, (6000, 2)),
                           rng.random((3000, 2)) * [40, 3]])
    np.testing.assert_array_equal(k_nearest(city, 21), _tree(city, 21))
    line = np.stack([rng.random(2000) * 100, np.full(2000, 7.0)], axis=1)  # zero height
    np.testing.assert_array_equal(k_nearest(line, 5), _tree(line, 5))
    assert (k_nearest(city, 3)[:, 0] == np.arange(city.shape[0])).all()  # itself first


def test_bad_input_is_refused():
    xy = np.random.default_rng(0).random((10, 2))
    with pytest.raises(ValueError, match=r"k must be in \[1, 10\]"):
        k_nearest(xy, 11)
    with pytest.raises(ValueError, match="finite"):
        k_nearest(np.array([[0.0, np.nan], [1.0, 1.0]]), 1)


@settings(max_examples=25, deadline=None)
@given(seed=hst.integers(0, 10_000), n=hst.integers(1, 300), m=hst.integers(1, 400), k=hst.integers(1, 12))
def test_other_queries_equal_the_tree_inside_and_outside_the_points(seed, n, m, k):
    rng = np.random.default_rng(seed)
    k = min(k, n)
    stores = rng.random((n, 2)) * 10
    homes = rng.random((m, 2)) * 16 - 3  # some beyond the stores' box on every side
    want = np.reshape(cKDTree(stores).query(homes, k=k)[1], (m, k))
    np.testing.assert_array_equal(k_nearest(stores, k, homes), want)
