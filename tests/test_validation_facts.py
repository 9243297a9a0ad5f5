import numpy as np
import pytest

from sim.config.compose import load_config
from sim.studies.validation import facts


def _compose(overrides):
    return load_config([*facts.FACT_SCALE, *overrides])


def test_paired_interval_of_a_ratio_is_the_geometric_mean_of_paired_ratios():
    a, b = np.array([1.0, 2.0, 4.0]), np.array([3.0, 6.0, 12.0])
    est, lo, hi = facts._interval(a, b, "ratio")
    assert est == pytest.approx(3.0) and lo == pytest.approx(3.0) and hi == pytest.approx(3.0)
    est, lo, hi = facts._interval(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 5.0]), "difference")
    assert est == pytest.approx(1.0) and lo < 1.0 < hi


def test_a_fact_fails_when_its_interval_covers_no_effect():
    same = facts.Fact("nothing changes", "visits", "A", "B", (), (), "difference", 0.0, float("inf"), "-",
                      0.0)
    result = facts.evaluate(same, range(2), _compose)
    assert (result.a == result.b).all() and not result.passed
    assert result.tolerance == "> 0, 95% CI excluding 0"


@pytest.mark.slow
@pytest.mark.parametrize("fact", facts.FACTS, ids=lambda f: f.name)
def test_stylized_fact_holds_with_the_default_calibration(fact):
    # the same scale and seeds as the study (experiments/validation/run.py, docs/VALIDATION.md)
    result = facts.evaluate(fact, range(facts.FACT_SEEDS), _compose, jobs=2)
    assert result.passed, (result.estimate, result.lo, result.hi, result.a, result.b)
