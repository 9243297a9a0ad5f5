import numpy as np
import pytest

from sim.config.compose import load_config
from sim.studies.validation import huff


def test_huff_probabilities_follow_attraction_and_distance_power():
    attr = np.array([1.0, 2.0])
    store = np.array([[0, 1]])
    p = huff.huff_probabilities(attr, store, np.array([[1.0, 2.0]]), beta=2.0)
    # 1 * 1^-2 : 2 * 2^-2 = 1 : 0.5
    assert p[0] == pytest.approx([2 / 3, 1 / 3])
    masked = huff.huff_probabilities(attr, store, np.array([[1.0, 2.0]]), 2.0, np.array([[False, True]]))
    assert masked[0] == pytest.approx([0.0, 1.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_store_shares_match_huff_at_fixed_seeds(seed):
    cfg = load_config(["scenario=huff_docking", f"seed={seed}"])
    result = huff.choice_test(cfg)
    assert result.observed.sum() == cfg.population.size * cfg.days  # every consumer visits every day
    assert result.observed.sum() == pytest.approx(result.expected.sum())
    assert result.p_value > 0.001, (result.chi2, result.dof)


def test_the_chi_square_test_rejects_a_wrong_distance_decay():
    cfg = load_config(["scenario=huff_docking", "seed=0"])
    assert huff.choice_test(cfg, beta=0.75).p_value < 1e-6


def test_choice_test_needs_the_log_distance_form():
    with pytest.raises(ValueError, match="distance_form"):
        huff.choice_test(load_config(["scenario=huff_docking", "behavior.distance_form=cost"]))
