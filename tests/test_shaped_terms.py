"""sim.levers.shaped_terms: what levers see of the day's utility."""

from __future__ import annotations

import numpy as np
import pytest

from sim.levers.shaped_terms import FAST, ShapedTerms
from sim.rules.behavior import UtilityTerms


def _terms():
    shape = (2, 3)
    full = {name: np.zeros(shape) for name in UtilityTerms.__dataclass_fields__}
    full.update(wait_min=np.full(shape, 5.0), money_weight=np.ones((2, 1)), value_of_time=np.ones((2, 1)),
                available=np.ones(shape, dtype=bool))
    return UtilityTerms(**full)


def _shaped(builds):
    def build():
        builds.append(1)
        return _terms()
    base = {"incentive_money": lambda: np.zeros((2, 3)), "wait_min": lambda: np.full(3, 5.0),
            "hassle": lambda: 0.5, "extra": lambda: 0.0, "available": lambda: np.ones((2, 3), dtype=bool)}
    return ShapedTerms(build, base, np.array([[0, 1, -1], [1, 2, 0]]))


def test_rewriting_does_not_build_the_full_terms():
    builds = []
    shaped = _shaped(builds)
    wait = shaped.writable("wait_min")
    assert wait.shape == (2, 3) and wait.dtype == np.float64 and (wait == 5.0).all()
    wait[0] = 0.0
    assert shaped.writable("wait_min") is wait  # the same array: rewrites accumulate
    assert (shaped.wait_min[0] == 0).all()
    closed = shaped.writable("available")
    assert closed.dtype == bool
    assert builds == []
    assert set(shaped.rewritten) == {"wait_min", "available"} and shaped.fast


def test_reading_other_terms_builds_them_once_with_rewrites_applied():
    builds = []
    shaped = _shaped(builds)
    shaped.writable("wait_min")[1] = 1.0
    assert shaped.money_weight.shape == (2, 1)
    assert (shaped.travel_utils() == 0).all()
    assert (shaped.terms.wait_min[1] == 1.0).all()
    assert builds == [1]


def test_rewriting_another_term_builds_the_terms_and_leaves_the_fast_path():
    builds = []
    shaped = _shaped(builds)
    shaped.writable("prompt")[0, 0] = 2.0
    assert builds == [1] and not shaped.fast
    assert shaped.terms.prompt[0, 0] == 2.0 and shaped.prompt[0, 0] == 2.0
    assert set(FAST) == {"incentive_money", "wait_min", "hassle", "extra", "available"}


def test_a_name_that_is_not_a_term_is_refused_with_the_allowed_names():
    shaped = _shaped([])
    with pytest.raises(ValueError, match="doubt_utils.*got 'quallity'"):
        shaped.writable("quallity")
    with pytest.raises(AttributeError):
        shaped._missing  # noqa: B018


def test_a_bonus_reaches_only_its_consumers_at_its_stores_and_is_added_once():
    builds = []
    shaped = _shaped(builds)
    shaped.add_bonus(np.array([True, False]), np.array([1.0, 2.0, 4.0]))
    assert not builds and shaped.fast  # a bonus builds nothing and keeps the compiled path
    expected = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0]])  # an empty slot (-1) reads store 0, unavailable
    np.testing.assert_array_equal(shaped.bonus_money(), expected)
    np.testing.assert_array_equal(shaped.terms.incentive_money, expected)
    np.testing.assert_array_equal(shaped.terms.incentive_money, expected)  # read twice, added once
    with pytest.raises(ValueError, match="add_bonus after the full terms"):
        shaped.add_bonus(np.array([True, True]), np.ones(3))
