from html import escape

from sim.viz.guide import guide_html, in_force, legend_html
from sim.viz.journey import STAGES
from sim.viz.lessons import LESSONS
from sim.viz.settings import Settings


def test_side_by_side_the_guide_is_the_lessons_with_its_question():
    for lesson in LESSONS.values():
        html = guide_html(lesson, Settings(), lesson.cities)
        assert escape(lesson.question) in html and "Question for the class" in html
        assert escape(lesson.guide(Settings())) in html


def test_one_city_alone_the_guide_talks_about_that_city_only():
    lesson = LESSONS["o2o_omo"]
    o2o, omo = lesson.cities
    html = guide_html(lesson, Settings(), [omo])
    assert "Only the OMO city is shown" in html and escape(omo.does) in html
    assert "Two copies" not in html and "Both brands" not in html
    assert "Only the O2O city is shown" in guide_html(lesson, Settings(), [o2o])


def test_the_guide_uses_the_settings_in_force():
    lesson = LESSONS["group_buy"]
    html = guide_html(lesson, Settings(deal_discount_pct=55, deal_threshold=60), lesson.cities)
    assert "55%-off group deal" in html and "Once 60 buyers commit" in html


def test_the_legend_names_every_stage_and_the_layer():
    trips, words = legend_html("trips"), legend_html("word of mouth")
    assert all(stage in trips for stage in STAGES)
    assert "a trip today" in trips and "good word" in words and "bad word" in words


def test_in_force_lists_the_lessons_settings_in_class_units():
    text = in_force(LESSONS["o2o_omo"], Settings(discount_pct=30, send_hour=7, pickup=False))
    assert "Push coupon: 30% off" in text and "Push sent at: 07:00" in text
    assert "Order ahead, pick up: off" in text and "Consumers: 3,000" in text
