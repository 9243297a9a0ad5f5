"""sim.seed_hash: the cached hash equals numpy's SeedSequence."""

from __future__ import annotations

import numpy as np
import pytest

from sim.seed_hash import SeedHasher


@pytest.mark.parametrize("seed", [0, 1, 7, 2**31 - 1, 2**32, 2**32 + 5, 2**64 + 3, 2**130 + 11, 123456789])
def test_equals_numpys_seed_sequence(seed):
    rng = np.random.default_rng(seed % 1000)
    hasher = SeedHasher(seed)
    for _ in range(40):
        key = tuple(int(x) for x in rng.integers(0, 2**32, size=int(rng.integers(1, 4))))
        if rng.random() < 0.2:
            key = (*key, 2**40 + int(rng.integers(0, 1000)))  # a part wider than one word
        want = np.random.SeedSequence(seed, spawn_key=key).generate_state(1, dtype=np.uint64)[0]
        assert hasher.state64(key) == want, (seed, key)


def test_refuses_what_it_does_not_cover():
    with pytest.raises(ValueError, match="spawn key"):
        SeedHasher(3).state64(())
    with pytest.raises(ValueError, match="non-negative"):
        SeedHasher(-1)
