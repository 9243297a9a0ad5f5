import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.config import from_dict
from sim.studies.compare import (
    DYNAMICS_RATIOS,
    MONEY_RATIOS,
    NOT_SIGNIFICANT,
    Comparison,
    compare,
    config_differences,
    paired_table,
    ratio_of_means,
    without_levers,
)


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
    paired = t.drop(index=[*MONEY_RATIOS, *DYNAMICS_RATIOS])
    paired = paired[paired["n"] > 0]  # (KPIs neither arm measures, e.g. no coupon expired in the run)
    assert len(paired) > 15
    assert (paired["diff"] == 0).all() and (paired["halfwidth_paired"] == 0).all()
    # no extra spend: the ratios are undefined, not invented
    assert t.loc["incremental_roi", "note"] == NOT_SIGNIFICANT and np.isnan(t.loc["incremental_roi", "diff"])


def test_money_ratios_are_ratios_of_mean_paired_differences():
    comp = compare(_cfg(discount=0.0, budget=0.0), _cfg(discount=0.3), reps=3)
    t = comp.table().set_index("kpi")
    a, b = comp.runs_a.set_index("seed"), comp.runs_b.set_index("seed")
    spend = (b["brand_spend"] - a["brand_spend"]).mean()
    for name, den in (("cac", "brand_customers"), ("cost_per_incremental_visit", "brand_visits")):
        extra = (b[den] - a[den]).mean()
        if t.loc[name, "note"] == "":
            assert t.loc[name, "diff"] == pytest.approx(spend / extra)
    profit = (b["brand_contribution"] - a["brand_contribution"]).mean()
    assert t.loc["incremental_roi", "diff"] == pytest.approx(profit / spend)
    assert t.loc["cac", "unit"] == "CNY" and t.loc["incremental_roi", "unit"] == "CNY per CNY spent"


def test_per_seed_ratio_blow_up_is_gone():
    """One seed with almost no extra customers made the mean of per-seed ratios meaningless."""
    seeds = [0, 1, 2, 3, 4]
    a = pd.DataFrame({"seed": seeds, "brand_spend": [0.0] * 5, "brand_customers": [100.0] * 5,
                      "brand_visits": [500.0] * 5, "brand_contribution": [1000.0] * 5})
    b = pd.DataFrame({"seed": seeds, "brand_spend": [200.0, 210.0, 190.0, 205.0, 195.0],
                      "brand_customers": [104.0, 105.0, 100.5, 106.0, 104.5],
                      "brand_visits": [520.0, 530.0, 510.0, 525.0, 515.0],
                      "brand_contribution": [1100.0, 1150.0, 1050.0, 1120.0, 1080.0]})
    per_seed = ((b["brand_spend"] - a["brand_spend"]) / (b["brand_customers"] - a["brand_customers"])).mean()
    row = Comparison("A", "B", a, b).money().set_index("kpi").loc["cac"]
    assert row["diff"] == pytest.approx(1000.0 / 20.0)  # total extra spend / total extra customers
    assert per_seed > 2 * row["diff"]  # the old estimator, dominated by the seed with 0.5 extra customers
    assert row["ci_low"] < row["diff"] < row["ci_high"]


def test_fieller_interval_bounds_are_where_the_t_statistic_reaches_t():
    rng = np.random.default_rng(3)
    den = 10 + rng.normal(0, 2, 12)
    num = 3 * den + rng.normal(0, 5, 12)
    r = ratio_of_means(num, den)
    assert r["value"] == pytest.approx(num.mean() / den.mean())
    t = stats.t.ppf(0.975, 11)
    for bound in (r["ci_low"], r["ci_high"]):
        z = num - bound * den
        assert abs(z.mean()) / (z.std(ddof=1) / np.sqrt(12)) == pytest.approx(t, rel=1e-9)


def test_ratio_is_not_reported_when_the_denominator_is_not_significant():
    r = ratio_of_means([10.0, 12.0, 9.0, 11.0], [1.0, -1.0, 2.0, -1.5])
    assert np.isnan(r["value"]) and r["note"] == NOT_SIGNIFICANT
    assert ratio_of_means([1.0], [1.0])["note"].startswith("n/a")


def test_config_differences_and_matching_baseline():
    a = from_dict({"stores": {"count": 10}})
    b = from_dict({"stores": {"count": 12},
                   "campaign": {"brand_share": 0.5, "push_coupon": {"discount": 0.4}}})
    keys = [k for k, _, _ in config_differences(a, b)]
    assert keys == ["stores.count", "campaign.brand_share"]  # the campaign's own settings do not count
    base = without_levers(b)
    assert not base.campaign.push_coupon.enabled and base.campaign.brand_share == 0.5
    assert config_differences(base, b) == [] and base.scenario == "baseline:default"


def test_deeper_discount_detected_with_narrower_paired_interval():
    comp = compare(_cfg(discount=0.05), _cfg(discount=0.5), reps=4)
    t = comp.table().set_index("kpi")
    assert t.loc["brand_spend", "diff"] > 0
    assert t.loc["visits", "narrowing"] > 1.5  # pairing removes the city-to-city noise


def test_reps_below_two_is_refused():
    with pytest.raises(ValueError, match="reps"):
        compare(_cfg(), _cfg(), reps=1)
