"""The guide beside the charts: what the lesson shows in plain words, the question, and how to read the maps.

Core functions:
    * :func:`guide_html` - the guide for the lesson, the settings in force and the cities
      shown: side by side, the lesson's own guide; one city alone, what that city's brand does
      and what its charts show (so the guide never talks about a city that is not on screen).
    * :func:`legend_html` - the map's colours (journey stages, trips or shares, the stores).
    * :func:`in_force` - the settings the running cities were built with, in one line.

Plain HTML (no Markdown: Solara's Markdown would load a maths library that is not served).
"""

from __future__ import annotations

from html import escape

from sim.viz.journey import ADVOCATE_DAYS, STAGES
from sim.viz.layers import STAGE_COLOURS
from sim.viz.lessons import CITY_CONTROLS, Lesson
from sim.viz.mapview import BAD_COLOUR, GOOD_COLOUR, RATING_COLOURS, TRIP_COLOUR
from sim.viz.settings import CONTROLS, HORIZON_DAYS, Settings

__all__ = ["guide_html", "in_force", "legend_html"]


def in_force(lesson: Lesson, settings: Settings) -> str:
    """``Push coupon: 20% off; ...; Consumers: 3,000; ...``: the lesson's controls as the run was built."""
    return "; ".join(f"{CONTROLS[n].label}: {CONTROLS[n].text(getattr(settings, n))}"
                     for n in (*lesson.controls, *CITY_CONTROLS))


def guide_html(lesson: Lesson, settings: Settings, shown) -> str:
    """The guide (HTML) for ``lesson`` with ``shown`` (the :class:`~sim.viz.lessons.City` objects shown)."""
    ref = lesson.reference
    if len(shown) > 1:
        text = lesson.guide(settings)
        question = lesson.question
    else:
        city = shown[0]
        others = ", ".join(c.name for c in lesson.cities if c is not city)
        text = (f"Only the {city.name} city is shown: its brand {city.does}. The charts show this city "
                "alone, and the money chart the brand's own profit in it, item by item. The other "
                f"{'cities run' if len(lesson.cities) > 2 else 'city runs'} on in the background ({others}); "
                "choose side by side to compare.")
        question = (f"Before comparing: what do you expect {city.name}'s brand to earn, and from what?"
                    if city is not ref else f"What does {ref.name}'s brand earn without the other strategy?")
    return (f'<div class="o2o-guide-text"><p>{escape(text)}</p>'
            f'<p class="o2o-question"><b>Question for the class:</b> {escape(question)}</p></div>')


def _dot(colour: str, square: bool = False) -> str:
    radius = "2px" if square else "50%"
    return (f'<span style="display:inline-block;width:0.8em;height:0.8em;background:{colour};'
            f'border-radius:{radius};margin:0 0.25em 0 0.6em;vertical-align:-0.05em"></span>')


def legend_html(layer: str) -> str:
    """The map's colours (HTML) with ``layer`` (``trips`` or ``word of mouth``) on top."""
    stages = "".join(f"{_dot(STAGE_COLOURS[s])}{s}" for s in STAGES)
    if layer == "trips":
        lines = f'<span style="color:{TRIP_COLOUR}">&#9472;&#9472;</span> a trip today'
    else:
        lines = (f'<span style="color:{GOOD_COLOUR}">&#9472;&#9472;</span> good word, '
                 f'<span style="color:{BAD_COLOUR}">&#9472;&#9472;</span> bad word, to each friend')
    scale = "".join(_dot(c, square=True) for c in RATING_COLOURS)
    return (f'<div class="o2o-legend"><p>Consumers (dots), by where they are in the journey to the brand:'
            f"{stages}.</p><p>{lines}.</p><p>Stores (squares): size = visits today; colour = public rating, "
            f"low{scale} high; black edge = the brand's store.</p><p>Customers bought at the brand in the "
            "last "
            f"two weeks; advocates also shared a good word in the last {ADVOCATE_DAYS} days. A run lasts "
            f"{HORIZON_DAYS} days.</p></div>")
