import numpy as np
import pandas as pd
import pytest

from sim.compare import compare, paired_table
from sim.config import from_dict


def _cfg(**campaign):
    return from_dict({"days": 12, "population": {"size": 1500}, "stores": {"count": 10},
                      "campaign": {"push_coupon": {"start_day": 1, **campaign}}})


def test_paired_table_matches_hand_computation():
    a = pd.DataFrame({"seed": [0, 1, 2, 3], "visits": [100.0, 120.0, 90.0, 110.0]})
    b = pd.DataFrame({"seed": [3, 2, 1, 0], "visits": [118.0, 97.0, 129.0, 108.0]})  # aligned by seed
    row = paired_table(a, b, ("visits",)).iloc[0]
    d = np.array([8.0, 9.0, 7.0, 8.0])
    half = 3.182446305284263 * d.std(ddof=1) / 2
    assert row["diff"] == pytest.approx(8.0) and row["ci_low"] == pytest.approx(8.0 - half)
    indep = 3.182446305284263 * np.sqrt(np.var([100, 120, 90, 110], ddof=1)
                                        + np.var([108, 129, 97, 118], ddof=1)) / 2
    assert row["halfwidth_independent"] == pytest.approx(indep)
    assert row["narrowing"] == pytest.approx(indep / half)


def test_common_random_numbers_make_identical_arms_identical():
    comp = compare(_cfg(), _cfg(), reps=3)
    t = comp.table().set_index("kpi")
    paired = t.drop(index=["cost_per_incremental_visit", "cac", "incremental_roi"])
    assert (paired["diff"] == 0).all() and (paired["halfwidth_paired"] == 0).all()
    assert t.loc["incremental_roi", "n"] == 0  # no extra spend: the ratios are undefined, not invented


def test_money_of_the_difference():
    comp = compare(_cfg(discount=0.0, budget=0.0), _cfg(discount=0.3), reps=3)
    t = comp.table().set_index("kpi")
    assert t.loc["cost_per_incremental_visit", "n"] >= 2
    a, b = comp.runs_a.set_index("seed"), comp.runs_b.set_index("seed")
    expected = ((b["campaign_spend"] - a["campaign_spend"]) / (b["visits"] - a["visits"])).mean()
    assert t.loc["cost_per_incremental_visit", "diff"] == pytest.approx(expected)


def test_deeper_discount_detected_with_narrower_paired_interval():
    comp = compare(_cfg(discount=0.05), _cfg(discount=0.5), reps=4)
    t = comp.table().set_index("kpi")
    assert t.loc["campaign_spend", "diff"] > 0
    assert t.loc["visits", "narrowing"] > 1.5  # pairing removes the city-to-city noise


def test_reps_below_two_is_refused():
    with pytest.raises(ValueError, match="reps"):
        compare(_cfg(), _cfg(), reps=1)
