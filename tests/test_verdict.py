"""The comparison's plain-language verdict (sim/studies/verdict.py) on hand-made run summaries."""

import pandas as pd

from sim.studies.compare import Comparison

SEEDS = [0, 1, 2, 3]


def _arms(profit_b, spend_b=(100.0, 110.0, 90.0, 105.0), deal=None):
    a = pd.DataFrame({"seed": SEEDS, "brand_stores": 6, "brand_visits": [500.0] * 4,
                      "brand_purchases": [480.0] * 4, "brand_customers": [100.0] * 4,
                      "brand_spend": [0.0] * 4,
                      "brand_contribution": [1000.0] * 4, "others_contribution": [5000.0] * 4,
                      "platform_contribution": [0.0] * 4})
    b = a.copy()
    b["brand_visits"] = [520.0, 530.0, 515.0, 525.0]
    b["brand_purchases"] = [500.0, 505.0, 495.0, 502.0]
    b["brand_customers"] = [105.0, 106.0, 104.0, 105.0]
    b["brand_spend"] = list(spend_b)
    b["brand_contribution"] = list(profit_b)
    b["others_contribution"] = [4990.0, 4980.0, 4985.0, 4975.0]
    if deal is not None:
        b["deal_triggered"] = deal
    return Comparison("baseline", "campaign", a, b)


def test_a_paying_campaign_reads_as_one():
    lines = _arms([1300.0, 1350.0, 1280.0, 1320.0], deal=[1.0, 0.0, 1.0, 1.0]).verdict()
    assert lines[0].startswith("campaign against baseline, paired over 4 seeds: "
                               "the brand (6 stores) gets +22")
    assert "pays for itself" in lines[2] and "CNY per CNY of extra spend" in lines[2]
    assert "Each extra brand customer costs" in lines[3]
    assert "The other merchants lose" in lines[4]
    assert lines[-1] == "The group-buy deal reached its threshold in 3 of 4 seeds."


def test_a_losing_campaign_and_an_unsettled_one():
    assert "loses the brand money" in _arms([800.0, 850.0, 820.0, 790.0]).verdict()[2]
    unsettled = _arms([1100.0, 900.0, 1050.0, 950.0]).verdict()[2]
    assert "not settled by 4 seeds" in unsettled


def test_a_ratio_with_no_clear_denominator_is_not_reported():
    lines = _arms([1100.0, 1150.0, 1120.0, 1090.0], spend_b=(10.0, -10.0, 5.0, -6.0)).verdict()
    assert "return per unit spent is n/a (the difference in spend is not significant)" in lines[2]
    assert "CNY per CNY" not in lines[2]
