"""The parts of the dashboard's page, as Solara components (the page's state lives in :mod:`sim.viz.app`).

Core components:
    * :func:`Bar` - the top bar: the lesson, :func:`Status` (the day, Play or Pause, Step,
      "Run finished"), Reset, the "changes pending - press Reset" badge, Export.
    * :func:`Side` - the side panel: the lesson's guide and question (matching what is
      shown), what to show (side by side or one city, the city on the second map, the map's
      layer, the play speed), and the settings in class units (:func:`Control`).
    * :func:`Panels` - the grid: the maps (:func:`MapCell`), the lesson's two story charts and
      the money chart (:func:`ChartCell`), and :func:`Inside` (the clicked consumer or store;
      until then, how to read the maps).
    * :class:`View` - what is shown, and :func:`revision` - what the panels show as one text,
      which each chart marks once drawn (``data-rendered``): the browser test times a step with it.

:func:`Status` and :func:`Panels` read the step counter, so a step draws them again and not
the rest of the bar or the side panel.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import solara

from sim.viz.charts import chart_option, money_option
from sim.viz.echart import EChart, to_json
from sim.viz.export import export_name, export_zip
from sim.viz.guide import guide_html, in_force, legend_html
from sim.viz.inside import consumer_story, store_story
from sim.viz.lessons import CITY_CONTROLS, LESSONS
from sim.viz.mapview import MAP_LAYERS, map_caption, map_option, map_stage, map_xy
from sim.viz.settings import CONTROLS, changed

__all__ = ["FINISHED", "PENDING", "SPEEDS", "STEPS_HTML", "Bar", "ChartCell", "Control", "Inside", "MapCell",
           "Panels", "Side", "Status", "View", "revision"]

#: Play speeds, days a second.
SPEEDS = (1, 2, 4, 8)
PENDING = "changes pending - press Reset"
FINISHED = "Run finished"
STEPS_HTML = ("<p>Step moves one day; Play runs the days at the chosen speed and stops at the end. "
              "The lesson and what is shown apply at once; the settings when you press Reset.</p>")


@dataclass(frozen=True)
class View:
    """What is shown; it applies at once, the run going on.

    Attributes:
        mode: ``both`` (the reference and the focus city side by side; the charts show every
            city), ``reference`` or ``focus`` (that city alone).
        focus: index of the city on the second map.
        layer: what the maps draw over the consumers (:data:`~sim.viz.mapview.MAP_LAYERS`).
    """

    mode: str = "both"
    focus: int = 1
    layer: str = MAP_LAYERS[0]

    def arms(self, model) -> tuple[list, list]:
        """(the cities the charts show, the cities the maps show)."""
        arms = model.arms
        focus = arms[min(self.focus, len(arms) - 1)]
        if self.mode == "both":
            return list(arms), [arms[0], focus]
        alone = [arms[0]] if self.mode == "reference" else [focus]
        return alone, alone


def revision(model, view: View) -> str:
    """``<run>:<day>:<view>``: what the panels show; each chart marks it as drawn once drawn."""
    return f"{model.run_id}:{model.day}:{view.mode}.{view.focus}.{view.layer}"


@solara.component
def Control(name: str, value, on_value):
    """One setting: its label with the value in class units (always visible), then the slider or checkbox."""
    control = CONTROLS[name]
    with solara.Div(classes=["o2o-control", f"o2o-control-{name}"]) as box:
        if control.kind == "bool":
            solara.Checkbox(label=control.label, value=value, on_value=on_value)
        else:
            solara.HTML(tag="div", classes=["o2o-control-label"],
                        unsafe_innerHTML=f"{control.label}: <b>{control.text(value)}</b>")
            slider = solara.SliderInt if control.kind == "int" else solara.SliderFloat
            slider("", value=value, min=control.lo, max=control.hi, step=control.step, on_value=on_value,
                   thumb_label=False)
    return box


@solara.component
def Status(model, tick, playing, on_step):
    """The day, Play or Pause, Step and "Run finished" (it reads ``tick``: drawn again after every step)."""
    tick.value  # noqa: B018 - read, so that a step draws it again
    with solara.Div(classes=["o2o-status"]) as status:
        solara.Text(f"Day {model.day} of {model.horizon}", classes=["o2o-day"])
        solara.Button("Pause" if playing.value else "Play",
                      icon_name="mdi-pause" if playing.value else "mdi-play",
                      on_click=lambda: playing.set(not playing.value), disabled=model.finished,
                      classes=["o2o-play"], color="primary")
        solara.Button("Step", icon_name="mdi-skip-next", on_click=on_step,
                      disabled=model.finished or playing.value, classes=["o2o-step"])
        if model.finished:
            solara.Text(f"{FINISHED} - press Reset for a new run", classes=["o2o-finished"])
    return status


@solara.component
def Bar(model, tick, pending, playing, view: View, on_lesson, on_step, on_reset):
    """The top bar; only its :func:`Status` is drawn again after a step."""
    names = (*model.lesson.controls, *CITY_CONTROLS)
    waiting = changed(pending.value, model.settings, names)
    with solara.Div(classes=["o2o-bar"]) as bar:
        solara.Text("o2o-sim classroom", classes=["o2o-brand"])
        by_title = {les.title: key for key, les in LESSONS.items()}
        solara.Select(label="Lesson", value=model.lesson.title, values=list(by_title),
                      on_value=lambda title: on_lesson(by_title[title]),
                      classes=["o2o-lesson"], dense=True)
        Status(model, tick, playing, on_step)
        solara.Button("Reset", icon_name="mdi-restart", on_click=on_reset, classes=["o2o-reset"],
                      color="warning" if waiting else None)
        if waiting:
            solara.Text(PENDING, classes=["o2o-pending"])
        shown, _ = view.arms(model)
        solara.FileDownload(lambda: export_zip(model, shown), filename=export_name(model), label="Export",
                            mime_type="application/zip",
                            children=[solara.Button("Export", icon_name="mdi-download",
                                                    classes=["o2o-export"])])
    return bar


@solara.component
def Side(model, pending, view, speed):
    """The side panel: guide, question, what to show, settings (not drawn again by a step)."""
    lesson, arms = model.lesson, model.arms
    v: View = view.value
    shown, _ = v.arms(model)
    focus_arm = arms[min(v.focus, len(arms) - 1)]
    names = (*lesson.controls, *CITY_CONTROLS)

    def setting(name):
        return lambda value: pending.set(dataclasses.replace(pending.value, **{name: value}))

    with solara.Div(classes=["o2o-side"]) as side:
        solara.HTML(tag="h2", unsafe_innerHTML=lesson.title, classes=["o2o-lesson-title"])
        solara.HTML(tag="div", classes=["o2o-guide"],
                    unsafe_innerHTML=guide_html(lesson, model.settings, [a.city for a in shown]))
        modes = {"both": "Side by side", "reference": f"{arms[0].name} only",
                 "focus": f"{focus_arm.name} only"}
        solara.ToggleButtonsSingle(value=v.mode, on_value=lambda m: view.set(dataclasses.replace(v, mode=m)),
                                   classes=["o2o-view"], dense=True,
                                   children=[solara.Button(label, value=k) for k, label in modes.items()])
        with solara.Div(classes=["o2o-options"]):
            if len(arms) > 2:
                solara.Select(label="Second map and 'only' view", value=focus_arm.name,
                              values=[a.name for a in arms[1:]], classes=["o2o-focus"], dense=True,
                              on_value=lambda n: view.set(dataclasses.replace(
                                  v, focus=next(i for i, a in enumerate(arms) if a.name == n))))
            solara.Select(label="Map shows", value=v.layer, values=list(MAP_LAYERS),
                          on_value=lambda layer: view.set(dataclasses.replace(v, layer=layer)),
                          classes=["o2o-layer"], dense=True)
            solara.Select(label="Play: days a second", value=speed.value, values=list(SPEEDS),
                          on_value=speed.set, classes=["o2o-speed"], dense=True)
        solara.HTML(tag="h3", unsafe_innerHTML="Settings - press Reset to apply")
        bools = [n for n in names if CONTROLS[n].kind == "bool"]
        if bools:
            with solara.Div(classes=["o2o-checks"]):
                for n in bools:
                    Control(n, getattr(pending.value, n), setting(n))
        with solara.Div(classes=["o2o-controls"]):
            for n in names:
                if CONTROLS[n].kind != "bool":
                    Control(n, getattr(pending.value, n), setting(n))
        solara.HTML(tag="p", classes=["o2o-inforce"],
                    unsafe_innerHTML=f"Running now: {in_force(lesson, model.settings)}.")
    return side


@solara.component
def Inside(model, picked, layer: str, on_close):
    """The look-inside panel: a clicked consumer's journey or a store's days; until then, the map's key."""
    with solara.Div(classes=["o2o-cell", "o2o-inside-cell"]) as cell:
        if picked is None:
            solara.HTML(tag="div", classes=["o2o-cell-head"],
                        unsafe_innerHTML="Reading the maps - look inside")
            solara.HTML(tag="div", classes=["o2o-inside", "o2o-hint"], unsafe_innerHTML=(
                legend_html(layer) + "<p>Click a consumer (a dot) or a store (a square) on a map to look "
                "inside: the messages a consumer got, what they meant to do, their visits, reviews and "
                "shares; a store's days: visitors, purchases, the queue, who gave up, its rating.</p>"
                + STEPS_HTML))
            return cell
        kind, city, ident = picked
        arm = model.arm(city)
        story = consumer_story(arm, ident) if kind == "consumer" else store_story(arm, ident)
        with solara.Row(classes=["o2o-cell-head"], style="border-bottom-color: " + arm.city.colour,
                        justify="space-between"):
            solara.Text(story.title)
            solara.Button("Close", small=True, text=True, on_click=on_close, classes=["o2o-close"])
        body = "<ul>" + "".join(f"<li>{f}</li>" for f in story.facts) + "</ul>"
        if story.lines:
            body += "<ul>" + "".join(f"<li>{line}</li>" for line in story.lines) + "</ul>"
        if story.rows:
            head = "".join(f"<th>{c}</th>" for c in story.columns)
            rows = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in story.rows)
            body += f"<table><tr>{head}</tr>{rows}</table>"
        solara.HTML(tag="div", classes=["o2o-inside", f"o2o-inside-{kind}"], unsafe_innerHTML=body)
    return cell


@solara.component
def MapCell(arm, rev: str, layer: str, wide: bool, on_pick):
    """One city's map with its caption."""
    xy = solara.use_memo(lambda: map_xy(arm), [arm])
    with solara.Div(classes=["o2o-cell", "o2o-map"] + (["o2o-wide"] if wide else [])) as cell:
        solara.HTML(tag="div", classes=["o2o-cell-head", "o2o-map-caption"],
                    style=f"border-bottom-color: {arm.city.colour}; color: {arm.city.colour}",
                    unsafe_innerHTML=map_caption(arm))
        with solara.Div(classes=["o2o-cell-body"]):
            EChart(to_json(map_option(arm, layer)), revision=rev, xy=xy, stage=map_stage(arm),
                   renderer="canvas", on_pick=on_pick, css_class="o2o-map-chart")
    return cell


@solara.component
def ChartCell(option: str, rev: str, name: str):
    """One chart (its title is inside the chart); ``option`` as JSON text."""
    with solara.Div(classes=["o2o-cell", f"o2o-chart-{name}"]) as cell:
        with solara.Div(classes=["o2o-cell-body"]):
            EChart(option, revision=rev, css_class="o2o-chart")
    return cell


@solara.component
def Panels(model, tick, view: View, picked):
    """The maps, the charts and the look-inside panel (it reads ``tick``: drawn again after every step)."""
    tick.value  # noqa: B018 - read, so that a step draws the panels again
    lesson, ref = model.lesson, model.arms[0]
    shown, map_arms = view.arms(model)
    rev = revision(model, view)

    def pick(arm):
        def on_pick(data):
            value = data.get("value") or []
            if len(value) >= 3:
                kind = "store" if data.get("series") == "stores" else "consumer"
                picked.set((kind, arm.name, int(value[2])))
        return on_pick

    with solara.Div(classes=["o2o-panels"]) as panels:
        for arm in map_arms:
            MapCell(arm, rev, view.layer, wide=len(map_arms) == 1, on_pick=pick(arm))
        for key in lesson.charts:
            ChartCell(to_json(chart_option(key, shown, ref, model.horizon, lesson.push_days)), rev, key)
        ChartCell(to_json(money_option(shown, ref, model.day)), rev, "money")
        Inside(model, picked.value, view.layer, on_close=lambda: picked.set(None))
    return panels
