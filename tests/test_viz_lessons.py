import pytest

from sim.viz.charts import CHARTS
from sim.viz.lessons import CITY_CONTROLS, LESSONS
from sim.viz.model import compose
from sim.viz.settings import CONTROLS, FEATURE_NAMES, OMO_FEATURES, Settings


def test_the_lessons_the_class_can_choose():
    assert list(LESSONS) == ["o2o_omo", "features", "group_buy", "context", "crm"]
    for lesson in LESSONS.values():
        assert len(lesson.cities) >= 2 and len({c.name for c in lesson.cities}) == len(lesson.cities)
        assert set(lesson.charts) <= set(CHARTS)
        assert set(lesson.controls) <= set(CONTROLS) and not set(lesson.controls) & set(CITY_CONTROLS)
        assert lesson.question.endswith("?")
        assert lesson.guide(Settings())


@pytest.mark.parametrize("key", list(LESSONS))
def test_every_city_of_a_lesson_composes_on_one_seed(key):
    s = Settings(seed=4, consumers=2000)
    cfgs = [compose(city.overrides(s)) for city in LESSONS[key].cities]
    assert {c.seed for c in cfgs} == {4} and {c.population.size for c in cfgs} == {2000}
    assert {c.days for c in cfgs} == {90}


def test_o2o_vs_omo_moves_the_features_and_the_push():
    o2o, omo = LESSONS["o2o_omo"].cities
    s = Settings(discount_pct=30, pickup=False)
    a, b = compose(o2o.overrides(s)), compose(omo.overrides(s))
    assert a.campaign.push_coupon.discount == b.campaign.push_coupon.discount == 0.3
    assert not a.campaign.omo.enabled and b.campaign.omo.enabled
    assert not b.campaign.omo.pickup and b.campaign.omo.delivery


def test_without_any_feature_the_omo_city_is_the_o2o_city():
    o2o, omo = LESSONS["o2o_omo"].cities
    s = Settings(**dict.fromkeys(OMO_FEATURES, False))
    a, b = compose(o2o.overrides(s)), compose(omo.overrides(s))
    assert a == b  # no OMO lever: nothing to run and nothing to pay for
    assert "the two cities stay identical" in LESSONS["o2o_omo"].guide(s)


def test_each_feature_city_runs_that_feature_alone():
    cities = LESSONS["features"].cities[1:]
    assert len(cities) == len(OMO_FEATURES)
    for city, feature in zip(cities, OMO_FEATURES, strict=True):
        omo = compose(city.overrides(Settings())).campaign.omo
        assert omo.enabled
        assert [f for f in OMO_FEATURES if getattr(omo, f)] == [feature]
        assert FEATURE_NAMES[feature] in city.does


def test_the_deal_lesson_sizes_the_shop_and_the_deal():
    plain, deal = LESSONS["group_buy"].cities
    s = Settings(deal_servers=3, deal_discount_pct=50, deal_threshold=80)
    a, b = compose(plain.overrides(s)), compose(deal.overrides(s))
    assert (a.stores.brand_servers_min, a.stores.brand_servers_max) == (2, 3) == (
        b.stores.brand_servers_min, b.stores.brand_servers_max)
    assert not a.campaign.group_buy.enabled and b.campaign.group_buy.enabled
    assert (b.campaign.group_buy.deal_discount, b.campaign.group_buy.threshold) == (0.5, 80)
    assert "at most 3 servers" in LESSONS["group_buy"].guide(s)


def test_context_and_crm_lessons_differ_only_in_their_strategy():
    s = Settings(context_radius_km=1.5)
    generic, context = (compose(c.overrides(s)) for c in LESSONS["context"].cities)
    assert generic.campaign.push_coupon.timing == "fixed" and context.campaign.push_coupon.timing == "context"
    assert context.campaign.push_coupon.radius_km == 1.5
    quiet, crm = (compose(c.overrides(Settings(winback_discount_pct=30))) for c in LESSONS["crm"].cities)
    assert quiet.campaign.reverse_o2o.enabled and crm.campaign.reverse_o2o.enabled
    assert not quiet.campaign.crm.enabled and crm.campaign.crm.enabled
    assert crm.campaign.crm.winback_discount == 0.3
