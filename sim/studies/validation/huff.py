"""Huff's gravity model of store choice and the engine's reduction to it.

Core functions:
    * :func:`huff_probabilities` - ``P_ij = A_j d_ij^-beta / sum_k A_k d_ik^-beta``
      over each consumer's considered stores (Huff 1964).
    * :func:`attraction` - the store attraction the engine's utility implies in the
      ``huff_docking`` scenario: ``A_j = exp(asc_j + beta_quality (q_j - 3))``
      (quality on the star scale; so ``A_j^1`` here is Huff's ``S_j^alpha`` with
      ``S_j = e^{q_j}`` and ``alpha = beta_quality`` among stores of one category).
    * :func:`choice_test` - runs the scenario and compares the stores' observed
      visit counts with Huff's expected counts by Pearson's chi-square.

The expected counts are computed here from store attributes and distances,
independently of the engine's utility code, so the test checks that the
engine's multinomial logit is the documented choice model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.config import CATEGORIES, SimConfig
from sim.engine.model import O2OModel
from sim.world.city import LOG_DISTANCE_FLOOR_KM
from sim.world.population import NO_STORE

__all__ = ["ChoiceTest", "attraction", "choice_test", "huff_probabilities"]


def huff_probabilities(attr: np.ndarray, store: np.ndarray, distance: np.ndarray, beta: float,
                       available: np.ndarray | None = None) -> np.ndarray:
    """Huff choice probabilities over each consumer's candidate stores.

    Args:
        attr: (S,) store attraction A_j.
        store: (N, K) candidate store ids.
        distance: (N, K) distances in km (floored at ``LOG_DISTANCE_FLOOR_KM``).
        beta: distance decay exponent.
        available: (N, K) mask of candidates (default: all).

    Returns:
        (N, K) probabilities, each row summing to 1.
    """
    d = np.maximum(distance, LOG_DISTANCE_FLOOR_KM)
    w = attr[np.maximum(store, 0)] * d ** (-beta)
    if available is not None:
        w = np.where(available, w, 0.0)
    return w / w.sum(axis=1, keepdims=True)


def attraction(model: O2OModel) -> np.ndarray:
    """A_j implied by the store's category constant and true quality (see module docstring)."""
    b, t = model.cfg.behavior, model.store_table
    asc = np.array([getattr(b, f"asc_{c}") for c in CATEGORIES])[t.category]
    return np.exp(asc + b.beta_quality * (np.clip(t.quality, 1.0, 5.0) - 3.0))


@dataclass
class ChoiceTest:
    """Observed and expected visits per store and Pearson's chi-square test between them."""

    observed: np.ndarray
    expected: np.ndarray
    chi2: float
    dof: int
    p_value: float


def choice_test(cfg: SimConfig, beta: float | None = None) -> ChoiceTest:
    """Run ``cfg`` (the ``huff_docking`` scenario) and test its store shares against Huff.

    Args:
        cfg: a config in which visits are forced and the choice is Huff's (see module docstring).
        beta: the decay exponent of the reference model (default: the config's); a wrong
            value shows the test's power.

    Returns:
        The :class:`ChoiceTest` over all simulated days.
    """
    b = cfg.behavior
    if b.distance_form != "log":
        raise ValueError("behavior.distance_form must be 'log' for the Huff reduction")
    model = O2OModel(cfg)
    pop = model.population
    available = pop.slot_aware & (pop.slot_store != NO_STORE)
    probs = huff_probabilities(attraction(model), pop.slot_store, pop.slot_distance,
                               b.beta_log_distance if beta is None else beta, available)
    expected_day = np.bincount(np.maximum(pop.slot_store, 0).ravel(), weights=probs.ravel(),
                               minlength=model.store_table.count)
    for _ in range(cfg.days):
        model.step()
    observed = np.sum([row["visits"] for row in model.recorder.store_rows], axis=0).astype(float)
    expected = expected_day * cfg.days
    keep = expected > 0
    chi2 = float((((observed - expected) ** 2)[keep] / expected[keep]).sum())
    dof = int(keep.sum()) - 1
    return ChoiceTest(observed, expected, chi2, dof, float(stats.chi2.sf(chi2, dof)))
