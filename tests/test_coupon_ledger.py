import numpy as np

from sim.outputs.coupon_ledger import COUPON_COLUMNS, CouponLedger, expiry_spike, redemption_hazard
from sim.outputs.results import Results


def _claim(ledger, day, consumer, store):
    n = len(consumer)
    ledger.claimed(day, 0, np.array(consumer), np.array(store), np.full(n, 0.3), np.full(n, 10.0),
                   np.zeros(n), day + 6)


def test_redemption_goes_to_the_latest_earlier_claim_of_the_same_consumer_and_store():
    ledger = CouponLedger()
    _claim(ledger, 0, [1, 2], [5, 5])
    _claim(ledger, 3, [1], [5])          # replaces consumer 1's coupon
    _claim(ledger, 9, [1], [5])          # after the redemption: not the one used
    ledger.redeemed(4, np.array([0]), np.array([1]), np.array([5]))
    ledger.redeemed(6, np.array([0]), np.array([2]), np.array([5]))
    frame = ledger.frame()
    assert list(frame.columns) == list(COUPON_COLUMNS)
    assert frame["redeemed_day"].tolist() == [-1, 6, 4, -1]


def test_empty_ledger_has_the_schema():
    frame = CouponLedger().frame()
    assert list(frame.columns) == list(COUPON_COLUMNS) and len(frame) == 0


def test_run_ledger_matches_the_coupon_book(finished_model, tmp_path):
    res = Results.from_model(finished_model)
    s = res.summary
    assert len(res.coupons) == s["coupons_issued"] > 0
    assert (res.coupons["redeemed_day"] >= 0).sum() == s["redemptions"] > 0
    used = res.coupons[res.coupons["redeemed_day"] >= 0]
    assert (used["redeemed_day"] >= used["received_day"]).all()
    validity = finished_model.cfg.campaign.push_coupon.validity_days
    assert (used["redeemed_day"] - used["received_day"] < validity).all()
    back = Results.save(res, tmp_path / "run", figures=False)
    assert Results.load(back).coupons.equals(res.coupons)


def test_the_hazard_counts_each_coupon_at_risk_until_used_or_lapsed():
    ledger = CouponLedger()
    for consumer in range(4):  # received day 0, valid through day 2
        ledger.claimed(0, 0, np.array([consumer]), np.array([1]), np.ones(1), np.ones(1), np.zeros(1), 2)
    ledger.claimed(5, 0, np.array([9]), np.array([1]), np.ones(1), np.ones(1), np.zeros(1), 20)  # still valid
    ledger.redeemed(0, np.array([0]), np.array([0]), np.array([1]))  # 2 days left
    ledger.redeemed(2, np.array([0, 0]), np.array([1, 2]), np.array([1, 1]))  # last day
    redeemed, at_risk = redemption_hazard(ledger.frame(), last_day=10)
    assert redeemed.tolist() == [2, 0, 1] and at_risk.tolist() == [3, 3, 4]
    assert np.isnan(expiry_spike(ledger.frame(), last_day=10))  # nothing redeemed with 1 day left


def test_urgency_makes_holders_rush_before_expiry(small_cfg):
    from sim.engine.runner import run

    def spike(urgency):
        over = {"campaign.push_coupon.validity_days": 5, "behavior.coupon_urgency": urgency,
                "campaign.push_coupon.discount": 0.3}
        spikes = [run(small_cfg(over, seed=seed)).summary["expiry_spike"] for seed in range(4)]
        return float(np.nanmean(spikes))

    calm, rushed = spike(0.0), spike(3.0)
    assert rushed > calm and rushed > 1.0, (calm, rushed)
