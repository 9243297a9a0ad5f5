"""The Solara page of the dashboard: Mesa's SolaraViz around a :class:`~sim.viz.model.DashboardModel`.

Core objects:
    * :data:`MODEL_PARAMS` - the controls of the sidebar (mode, city size, seed,
      discount, targeting radius, send hour, capacity, each OMO feature); they
      apply when Reset is pressed.
    * :func:`CityMap`, :func:`Network`, :func:`Charts`, :func:`Guide` - the
      panels; each is drawn once per model and day (:func:`figure_png`) and carries
      a one-line caption with the numbers it shows.
    * :func:`Dashboard` - SolaraViz with the panels: one model per browser session,
      built with the default controls.
    * :func:`Page` - the page the server serves, and :func:`Layout`, the layout Solara
      puts around it: Solara's app layout inside :func:`ErrorBoundary`. An error
      while building, stepping or drawing shows :func:`ErrorPanel` instead, in plain
      words (no traceback, no server path) with a button that starts a fresh run;
      the traceback goes to the server log only (logger ``sim.viz.app``).

Serve it with ``o2o-dashboard`` (:mod:`sim.viz.server`) or ``make dashboard``.
"""

from __future__ import annotations

import io
import logging

import solara
from mesa.visualization import SolaraViz

from sim.rules.codes import DELIVERY
from sim.viz.drawing import charts_figure, city_figure, network_figure
from sim.viz.journey import ADVOCATE_DAYS, CUSTOMER_HABIT
from sim.viz.model import HORIZON_DAYS, MODES, OMO_FEATURES, DashboardModel, Levers

__all__ = ["ERROR_MESSAGE", "MODEL_PARAMS", "PANEL_CSS", "PANEL_DPI", "Charts", "CityMap", "Dashboard",
           "ErrorBoundary", "ErrorPanel", "Guide", "Layout", "Network", "Page", "captions", "figure_png",
           "in_force"]

logger = logging.getLogger(__name__)

#: What a browser shows when the dashboard fails; the details are in the server log only.
ERROR_MESSAGE = ("Sorry, the dashboard stopped because of an error on the server. "
                 "Press Start again for a fresh run; if it happens again, tell whoever runs the server "
                 "(the details are in its log).")

_D = Levers()

MODEL_PARAMS = {
    "mode": {"type": "Select", "value": _D.mode, "values": list(MODES),
             "label": "Mode (side by side: same seed)"},
    "consumers": {"type": "SliderInt", "value": _D.consumers, "min": 1000, "max": 5000, "step": 500,
                  "label": "Consumers"},
    "stores": {"type": "SliderInt", "value": _D.stores, "min": 10, "max": 40, "step": 1, "label": "Stores"},
    "seed": {"type": "SliderInt", "value": _D.seed, "min": 0, "max": 50, "step": 1, "label": "Seed"},
    "discount": {"type": "SliderFloat", "value": _D.discount, "min": 0.0, "max": 0.6, "step": 0.05,
                 "label": "Push coupon: discount"},
    "radius_km": {"type": "SliderFloat", "value": _D.radius_km, "min": 0.5, "max": 5.0, "step": 0.25,
                  "label": "Push targeting radius (km)"},
    "send_hour": {"type": "SliderInt", "value": _D.send_hour, "min": 0, "max": 23, "step": 1,
                  "label": "Push send hour"},
    "capacity": {"type": "SliderFloat", "value": _D.capacity, "min": 0.25, "max": 2.0, "step": 0.25,
                 "label": "Store capacity (x servers)"},
    "unified_points": {"type": "Checkbox", "value": _D.unified_points, "label": "OMO: unified points"},
    "integrated_inventory": {"type": "Checkbox", "value": _D.integrated_inventory,
                             "label": "OMO: integrated inventory"},
    "pickup": {"type": "Checkbox", "value": _D.pickup, "label": "OMO: order ahead, pick up"},
    "delivery": {"type": "Checkbox", "value": _D.delivery, "label": "OMO: delivery"},
    "personalised_targeting": {"type": "Checkbox", "value": _D.personalised_targeting,
                               "label": "OMO: personalised targeting"},
}


#: Resolution of the panels' images.
PANEL_DPI = 90
#: Figures shrink to fit SolaraViz's grid cell (10 rows of 30 px and their margins) with their caption.
PANEL_CSS = (".o2o-map img, .o2o-charts img, .o2o-network img "
             "{ max-width: 100%; max-height: 340px; width: auto; height: auto; object-fit: contain; }")


def captions(model: DashboardModel) -> dict[str, str]:
    """One line of numbers per panel (also what the browser test reads)."""
    day = model.day
    trips = ", ".join(f"{a.name} {int((a.tap.trip_channel != DELIVERY).sum()):,} trips" for a in model.arms)
    shares = ", ".join(f"{a.name} {a.model.pending_shares['sender'].size} shares" for a in model.arms)
    last = [a.history[-1] if a.history else None for a in model.arms]
    charts = ", ".join(f"{a.name} {r['visits']} visits" for a, r in zip(model.arms, last, strict=True) if r)
    return {
        "map": f"Day {day}: {model.arms[0].model.store_table.count} stores on the map; {trips}.",
        "network": f"Day {day}: {shares} today.",
        "charts": f"Charts: {len(model.arms[0].history)} days of data"
                  + (f"; today {charts}." if charts else "."),
    }


def figure_png(figure, dpi: int = PANEL_DPI) -> bytes:
    """``figure`` as PNG bytes (the figure is dropped afterwards)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _panel(model: DashboardModel, draw, name: str):
    # drawn once per model and day: SolaraViz renders a panel more than once per step
    png = model.once_a_day(name, lambda: figure_png(draw(model)))
    with solara.Column(gap="4px", classes=[f"o2o-{name}"]) as col:
        solara.Image(png, format="png")
        solara.Text(captions(model)[name], classes=[f"o2o-{name}-caption"])
    return col


def CityMap(model: DashboardModel):
    """The city map panel."""
    return _panel(model, city_figure, "map")


def Network(model: DashboardModel):
    """The social-network panel."""
    return _panel(model, network_figure, "network")


def Charts(model: DashboardModel):
    """The live charts panel."""
    return _panel(model, charts_figure, "charts")


def in_force(levers: Levers) -> str:
    """The controls the running model was built with (sliders apply on Reset)."""
    omo = [name.replace("_", " ") for name in OMO_FEATURES if getattr(levers, name)]
    return (f"{levers.mode}; {levers.consumers:,} consumers, {levers.stores} stores, seed {levers.seed}; "
            f"coupon {levers.discount:.0%} off within {levers.radius_km:g} km, "
            f"sent at {levers.send_hour:02d}:00; "
            f"capacity x{levers.capacity:g}; OMO features: {', '.join(omo) or 'none'}")


def Guide(model: DashboardModel):
    """How to read the dashboard, for a class (plain HTML: Markdown would load a maths library)."""
    return solara.HTML(tag="div", classes=["o2o-guide"], unsafe_innerHTML=f"""
<p><b>O2O versus OMO, live.</b> Both cities share the seed: same streets, people, friends and
dice; only the strategy differs. O2O pushes coupons and keeps channels apart; OMO adds unified
points, shared stock, pick-up and delivery at the brand's stores.</p>
<ul>
<li><b>Step</b> advances one day (the push campaign sends weekly from day 3 for four weeks);
<b>&#9654;</b> plays; the controls apply on <b>Reset</b>. A run lasts {HORIZON_DAYS} days.</li>
<li>Journey towards the campaign's stores: <i>visiting</i> = a trip or an order today;
<i>intending</i> = meant to go today but did not; <i>customer</i> = bought there recently
(habit at least {CUSTOMER_HABIT}); <i>advocate</i> = a customer who shared a good experience in
the last {ADVOCATE_DAYS} days; <i>aware</i> = knows one of the stores.</li>
<li>Watch <b>Customers and advocates</b> after the campaign ends: who keeps them?</li>
</ul>
<p style="font-size: 90%; color: #555">In force: {in_force(model.levers)}.</p>
""")


@solara.component
def Dashboard():
    """SolaraViz around a fresh model per browser session."""
    model = solara.use_memo(DashboardModel, [])
    SolaraViz(model, components=[(CityMap, 0), (Charts, 0), (Network, 0), (Guide, 0)],
              model_params=MODEL_PARAMS, name="o2o-sim: O2O versus OMO")


@solara.component
def ErrorPanel(on_restart=None):
    """The friendly error panel: plain words and a button that starts again."""
    with solara.Card("The dashboard stopped", classes=["o2o-error"]) as card:
        solara.Text(ERROR_MESSAGE, classes=["o2o-error-text"])
        solara.Button("Start again", color="primary", on_click=on_restart)
    return card


@solara.component
def ErrorBoundary(content):
    """What ``content()`` renders or, once anything in it raised, :func:`ErrorPanel`.

    Catches exceptions raised while rendering and in event handlers (Step, Reset, a control);
    each is logged once with its traceback. Start again renders ``content()`` afresh (a new model).
    """
    error, clear = solara.use_exception()

    def log_error():
        if error is not None:
            logger.error("dashboard error, shown to a browser as the error panel", exc_info=error)

    solara.use_effect(log_error, [error])
    if error is not None:
        ErrorPanel(on_restart=clear)
    else:
        content()


@solara.component
def Layout(children=None):
    """Solara's page layout (app bar, sidebar, content) inside :func:`ErrorBoundary`.

    Solara wraps :func:`Page` in it. SolaraViz puts its controls (Step, Reset) in the sidebar,
    which the layout renders outside the page, so the boundary has to sit around the layout.
    """
    ErrorBoundary(lambda: solara.AppLayout(children=children or []))


@solara.component
def Page(content=Dashboard):
    """The page: ``content`` (the dashboard), its browser tab title and the panels' style."""
    solara.Title("o2o-sim: O2O versus OMO")  # the browser tab
    solara.Style(PANEL_CSS)
    content()
