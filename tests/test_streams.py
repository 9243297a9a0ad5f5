"""sim.random.streams: named streams keyed by (seed, name, day)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.random.streams import Streams


def test_same_seed_name_day_gives_same_numbers():
    a = Streams(5).day("decision", 3).random(50)
    b = Streams(5).day("decision", 3).random(50)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(Streams(5).get("population").random(20),
                                  Streams(5).get("population").random(20))


def test_stream_independent_of_creation_order_and_other_draws():
    s1 = Streams(11)
    first = s1.day("arrival", 4).random(100)
    s1.day("service", 4).random(10_000)          # heavy use of another stream
    s1.get("population").standard_normal(5_000)

    s2 = Streams(11)
    s2.get("population").standard_normal(3)      # different order, different amounts
    s2.day("service", 9).random(7)
    s2.day("arrival", 3).random(1)
    second = s2.day("arrival", 4).random(100)
    np.testing.assert_array_equal(first, second)


def test_calling_day_twice_restarts_the_stream():
    s = Streams(2)
    np.testing.assert_array_equal(s.day("x", 0).random(10), s.day("x", 0).random(10))


def test_different_names_days_seeds_differ():
    base = Streams(1).day("decision", 0).random(20)
    assert not np.array_equal(base, Streams(1).day("experience", 0).random(20))
    assert not np.array_equal(base, Streams(1).day("decision", 1).random(20))
    assert not np.array_equal(base, Streams(2).day("decision", 0).random(20))
    # a set-up stream is not the day-0 stream of the same name
    assert not np.array_equal(Streams(1).get("decision").random(20), base)


def test_many_days_are_pairwise_distinct():
    s = Streams(0)
    firsts = {s.day("decision", d).random() for d in range(200)}
    assert len(firsts) == 200


def test_integer_seed_is_stable_31_bit_and_name_dependent():
    a = Streams(4).integer_seed("mesa")
    assert a == Streams(4).integer_seed("mesa")
    assert isinstance(a, int) and 0 <= a < 2**31
    assert a != Streams(4).integer_seed("network")
    assert a != Streams(5).integer_seed("mesa")


def test_streams_do_not_touch_global_numpy_state():
    np.random.seed(123)
    expected = np.random.random(3)
    np.random.seed(123)
    Streams(9).day("decision", 1).random(1000)
    np.testing.assert_array_equal(np.random.random(3), expected)


def test_keys_are_reproducible_and_distinct():
    s = Streams(5)
    assert s.key("decision:visit", 3) == Streams(5).key("decision:visit", 3)
    keys = {s.key(name, day) for name in ("decision:visit", "decision:choice") for day in range(50)}
    keys |= {Streams(6).key("decision:visit", 3)}
    assert len(keys) == 101
    assert isinstance(s.key("arrival:hour", 0), np.uint64)


@pytest.mark.parametrize("seed", [0, 1, 7, 2**31, 2**32 - 1, 2**32, 2**64 + 5, 2**130 + 3, 123456789])
def test_keys_are_seed_sequence_words(seed):
    """The cached-pool hash gives SeedSequence(seed, (crc(name), step + 1, 1))'s first uint64."""
    import zlib

    rng = np.random.default_rng(seed % 1000)
    s = Streams(seed)
    for name in ("decision:visit", "attention:3", "", "ünïcode"):
        for day in [-1, 0, 1, 2**32 - 2, 2**32 - 1, 2**40, *rng.integers(0, 10**6, 20).tolist()]:
            sequence = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()), day + 1, 1))
            assert s.key(name, day) == sequence.generate_state(1, dtype=np.uint64)[0], (name, day)


@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3])
def test_day_uniforms_are_the_day_generators_first_numbers(seed):
    s = Streams(seed)
    for name in ("share_reach", "lever:referral"):
        for day in (-1, 0, 1, 364, 2**32):  # the last is beyond one spawn word: the slow path
            assert np.array_equal(s.day_uniforms(name, day, 23), s.day(name, day).random(23)), (name, day)
    assert not np.array_equal(s.day_uniforms("share_reach", 1, 5), s.day_uniforms("share_reach", 2, 5))


@pytest.mark.parametrize("seed", [0, 99, 2**40 + 3])
def test_day_words_start_where_the_day_generator_starts(seed):
    from numba import njit

    from sim.random.pcg import next_double

    @njit
    def draw(words, size):
        return np.array([next_double(words) for _ in range(size)])

    s = Streams(seed)
    for day in (-1, 0, 7, 2**32):  # the last is beyond one spawn word: the slow path
        assert np.array_equal(draw(s.day_words("share_reach", day), 40), s.day("share_reach", day).random(40))


def test_keys_of_several_names_are_each_names_key():
    s = Streams(123)
    names = ("decision:visit", "arrival:hour", "experience:forget")
    for day in (-1, 0, 5, 2**32):  # the last is beyond one spawn word: the slow path
        keys = s.keys(names, day)
        assert list(keys) == list(names)
        assert all(keys[name] == s.key(name, day) for name in names)
    assert len(set(s.keys(names, 3).values())) == len(names)


def test_prepared_streams_draw_the_same_and_absorb_nothing_later(monkeypatch):
    import sim.random.streams as rng

    names = ("decision:visit", "experience:forget")
    fresh = Streams(77)
    want = (fresh.keys(names, 4), fresh.day_uniforms("share_reach", 4, 6))
    prepared = Streams(77)
    prepared.prepare(names)
    prepared.prepare(("share_reach",))

    def refuse(*args):
        raise AssertionError("a prepared stream absorbed its seed again")

    monkeypatch.setattr(rng, "_name_pool", refuse)
    assert prepared.keys(names, 4) == want[0]
    assert np.array_equal(prepared.day_uniforms("share_reach", 4, 6), want[1])
    with pytest.raises(AssertionError, match="absorbed"):
        prepared.key("service:time", 4)  # not prepared
