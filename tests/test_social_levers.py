import numpy as np
import pytest

from sim.engine.model import O2OModel


def _run(small_cfg, seed=0, **over):
    base = {"campaign.push_coupon.enabled": False, "campaign.brand_share": 0.3}
    base.update(over)
    model = O2OModel(small_cfg(base, seed=seed))
    for _ in range(model.cfg.days):
        model.step()
    return model


def _lever(model, name):
    return next(lv for lv in model.levers if lv.name == name)


def test_group_buy_goes_through_only_past_the_threshold(small_cfg):
    on = _run(small_cfg, **{"campaign.group_buy.enabled": True, "campaign.group_buy.threshold": 20,
                            "campaign.group_buy.open_rate": 0.5})
    gb = _lever(on, "group_buy")
    assert gb.committed.sum() >= 20 and gb.deal_on_day is not None
    assert on.coupon_book.issued[gb.index] == gb.committed.sum()  # every committer gets the deal price
    off = _run(small_cfg, **{"campaign.group_buy.enabled": True, "campaign.group_buy.threshold": 10**6})
    gb_off = _lever(off, "group_buy")
    assert gb_off.deal_on_day is None and off.coupon_book.issued[gb_off.index] == 0
    assert gb_off.fixed_spend == pytest.approx(gb_off.messages * off.cfg.campaign.group_buy.cost_per_message)


def test_referral_coupons_reach_friends_and_pay_referrers(small_cfg):
    model = _run(small_cfg, **{"campaign.referral.enabled": True, "campaign.referral.referrer_reward": 7.0})
    ref = _lever(model, "referral")
    assert model.coupon_book.issued[ref.index] > 0
    assert ref.referrals > 0
    assert ref.referrals <= model.coupon_book.redeemed[ref.index]
    assert ref.fixed_spend == pytest.approx(7.0 * ref.referrals)


def test_ugc_reward_raises_reviews_and_shares_at_brand_stores(small_cfg):
    def brand_reviews(model):
        return sum(int(r["reviews"][model.brand_stores].sum()) for r in model.recorder.store_rows)

    gains = []
    for seed in range(2):
        plain = _run(small_cfg, seed=seed)
        paid = _run(small_cfg, seed=seed, **{"campaign.ugc_reward.enabled": True,
                                              "campaign.ugc_reward.review_boost": 1.0})
        gains.append(brand_reviews(paid) - brand_reviews(plain))
        ugc = _lever(paid, "ugc_reward")
        assert ugc.fixed_spend == pytest.approx(paid.cfg.campaign.ugc_reward.reward * ugc.rewarded)
    assert np.mean(gains) > 0, gains


def test_ads_reach_beyond_opt_in_and_are_attributed(small_cfg):
    model = _run(small_cfg, **{"campaign.ads.enabled": True, "campaign.ads.daily_reach": 0.2,
                               "campaign.ads.click_rate": 0.3, "population.push_opt_in": 0.0,
                               "campaign.ads.cpm": 10.0})
    ads = _lever(model, "ads")
    assert ads.impressions > 0
    assert ads.fixed_spend == pytest.approx(ads.impressions * 10.0 / 1000)
    assert sum(r["visits_ad"] for r in model.recorder.rows) > 0
