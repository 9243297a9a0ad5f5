import ipyvuetify as v
import solara

from sim.viz.panels import Control, View, revision
from sim.viz.settings import CONTROLS


def test_the_view_picks_the_cities_for_charts_and_maps():
    from sim.viz.model import DashboardModel

    m = DashboardModel("features", consumers=1000, stores=12)
    a = m.arms
    assert View().arms(m) == (a, [a[0], a[1]])
    assert View(focus=3).arms(m) == (a, [a[0], a[3]])
    assert View(mode="reference", focus=3).arms(m) == ([a[0]], [a[0]])
    assert View(mode="focus", focus=3).arms(m) == ([a[3]], [a[3]])
    assert View(focus=99).arms(m)[1][1] is a[-1]


def test_the_revision_names_run_day_and_view(stepped_dashboard):
    rev = revision(stepped_dashboard, View(mode="focus", layer="word of mouth"))
    assert rev == f"{stepped_dashboard.run_id}:5:focus.1.word of mouth"


def test_a_control_always_shows_its_value_in_class_units():
    seen = []
    box, rc = solara.render(Control("discount_pct", 35, seen.append), handle_error=False)
    texts = []

    def walk(w):
        if getattr(w, "unsafe_innerHTML", None):
            texts.append(w.unsafe_innerHTML)
        for child in getattr(w, "children", None) or []:
            if not isinstance(child, str):
                walk(child)

    walk(box)
    assert texts == ["Push coupon: <b>35% off</b>"]
    slider = rc.find(v.Slider).widget
    assert (slider.min, slider.max, slider.step) == (CONTROLS["discount_pct"].lo, 60, 5)
    slider.v_model = 40
    assert seen == [40]
