import numpy as np

from sim.outputs.coupon_ledger import COUPON_COLUMNS, CouponLedger
from sim.outputs.results import Results


def _claim(ledger, day, consumer, store):
    n = len(consumer)
    ledger.claimed(day, 0, np.array(consumer), np.array(store), np.full(n, 0.3), np.full(n, 10.0),
                   np.zeros(n))


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
