"""An interactive chart in the page: Apache ECharts, loaded from the locally served ``solara-assets`` files.

Core objects:
    * :data:`ECHARTS_JS` - the ECharts build the page loads (``/_solara/cdn/...``, served by
      :mod:`sim.viz.assets`; nothing is fetched from another machine).
    * :class:`EChartWidget` - an ipyvue template widget: it draws an ECharts ``option``, scales
      every font to the size of its box, fills the map's consumer layers in the browser from
      compact arrays (:attr:`EChartWidget.xy`, :attr:`EChartWidget.stage`), reports clicks on a
      data item to Python,
      and marks itself with the revision it has finished drawing (``data-rendered``), which is
      what the browser test times.
    * :func:`EChart` - the Solara component around it; :func:`to_json` - an option as the
      JSON text it takes.

Font sizes in an option are written as ``"@<factor>"`` (``{"fontSize": "@1.2"}``): the
browser replaces each by ``factor`` times a base size that follows the box (at least
:data:`MIN_FONT_PX`), so charts stay readable when projected at any screen size. Any other
value written so (a margin, a gap: ``{"top": "@3"}``) becomes that many base sizes in pixels,
so the room left for text grows with the text.

An option may carry ``"o2oTitleRoom": n``: the plot then starts ``n`` base sizes from the top,
plus a row of text for each row the legend wraps to at this width (estimated from its names).
An option may carry ``"aspect": width / height``: the plot area is then the largest
rectangle of that shape centred in the box (a map keeps its proportions).

Consumer layers: a series with ``"o2oLayer": <stage index>`` gets, in the browser, one point
``[x, y, consumer id]`` per consumer whose stage (a digit of ``stage``) equals the index, at
the consumer's position in ``xy`` (``"x0,y0,x1,y1,..."``). Positions change only when a city is
built, so a day sends one digit per consumer, not the points.
"""

from __future__ import annotations

import json

import ipyvue
import solara
import traitlets

__all__ = ["ECHARTS_JS", "MIN_FONT_PX", "EChart", "EChartWidget", "to_json"]

#: The ECharts build, relative to Solara's front-end file path (the ``solara-assets`` package ships it).
ECHARTS_JS = "echarts@5.4.0/dist/echarts.min"
#: No text in a chart is drawn smaller than this (CSS pixels).
MIN_FONT_PX = 13

_TEMPLATE = r"""
<template>
  <div class="o2o-echart" :class="css_class" ref="box" :style="box_style"
       :data-rendered="rendered" :data-revision="revision"></div>
</template>
<script>
module.exports = {
  data() { return { rendered: "" }; },
  mounted() {
    this.load().then((echarts) => {
      this.chart = echarts.init(this.$refs.box, null, { renderer: this.renderer });
      this.$refs.box.__o2oChart = this.chart;  // for the browser test: where a data item is drawn
      this.chart.on("click", (e) => {
        if (e && Array.isArray(e.value)) {
          this.pick({ series: e.seriesName || "", value: e.value });
        }
      });
      this.chart.on("finished", () => {
        if (this.drawing !== undefined) { this.rendered = this.drawing; this.drawing = undefined; }
      });
      this.observer = new ResizeObserver(() => {
        if (this.chart) { this.chart.resize(); this.draw(); }
      });
      this.observer.observe(this.$refs.box);
      this.draw();
    });
  },
  beforeDestroy() {
    if (this.observer) { this.observer.disconnect(); }
    if (this.chart) { this.chart.dispose(); this.chart = null; }
  },
  watch: {
    option() { this.redraw(); },
    stage() { this.redraw(); },
    revision() { this.redraw(); },
    xy() { this.parsed = null; this.redraw(); },
  },
  methods: {
    redraw() {  // once for several traits changed together
      if (!this.queued) {
        this.queued = true;
        Promise.resolve().then(() => { this.queued = false; this.draw(); });
      }
    },
    draw() {
      if (!this.chart) { return; }
      const box = this.$refs.box;
      const side = Math.min(box.clientWidth, box.clientHeight * 1.25);
      const base = Math.max(this.min_font, Math.min(this.max_font, side / this.font_divisor));
      const option = this.sized(JSON.parse(this.option || "{}"), base);
      this.fill(option);
      if (option.o2oTitleRoom !== undefined) {  // room for the title and the legend's rows above the plot
        const names = (option.series || []).map((s) => String(s.name || ""));
        const font = base, width = Math.max(1, box.clientWidth - 2 * font);
        let rows = 0, used = width;
        if (option.legend) {
          for (const n of names) {
            const w = 25 + 5 + 0.58 * font * n.length + 14;
            if (used + w > width) { rows += 1; used = 0; }
            used += w;
          }
        }
        option.legend && (option.legend.top = Math.round(font * 1.9));
        option.grid.top = Math.round(font * (option.o2oTitleRoom + 1.65 * rows));
        delete option.o2oTitleRoom;
      }
      if (option.aspect) {
        const W = box.clientWidth, H = box.clientHeight;
        let w = W, h = W / option.aspect;
        if (h > H) { h = H; w = H * option.aspect; }
        option.grid = { left: (W - w) / 2, top: (H - h) / 2, width: w, height: h };
        delete option.aspect;
      }
      this.drawing = this.revision;
      this.chart.setOption(option, true);
    },
    sized(node, base) {
      if (Array.isArray(node)) { return node.map((x) => this.sized(x, base)); }
      if (node && typeof node === "object") {
        for (const key of Object.keys(node)) {
          const v = node[key];
          if (typeof v === "string" && v[0] === "@") {
            const size = base * parseFloat(v.slice(1));
            node[key] = key === "fontSize" ? Math.max(this.min_font, Math.round(size)) : Math.round(size);
          } else {
            node[key] = this.sized(v, base);
          }
        }
      }
      return node;
    },
    fill(option) {
      const stage = this.stage;
      if (!this.xy || !stage || !option.series) { return; }
      if (!this.parsed) { this.parsed = this.xy.split(",").map(Number); }
      const xy = this.parsed;
      for (const s of option.series) {
        if (s.o2oLayer === undefined) { continue; }
        const want = String(s.o2oLayer), data = [];
        for (let i = 0; i < stage.length; i++) {
          if (stage[i] === want) { data.push([xy[2 * i], xy[2 * i + 1], i]); }
        }
        s.data = data;
        delete s.o2oLayer;
      }
    },
    load() {
      const cdn = this.cdn || (window.solara ? window.solara.cdn : "./_solara/cdn");
      const ready = window.requirejs ? Promise.resolve() : new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = `${cdn}/requirejs@2.3.6/require.js`;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
      return ready.then(() => new Promise((resolve, reject) => {
        window.requirejs([`${cdn}/${this.module}.js`], (echarts) => resolve(echarts), reject);
      }));
    },
  },
};
</script>
"""


class EChartWidget(ipyvue.VueTemplate):
    """An ECharts chart (see module docstring).

    Traits (synced with the page):
        option: the ECharts option, as JSON text (text is passed on as it is: neither Solara's
            renderer nor the widget library walks through it, which a dict of thousands of
            points would make slow).
        xy: the consumers' positions, ``"x0,y0,x1,y1,..."`` (maps; empty for charts).
        stage: each consumer's journey stage, one digit each (maps; empty for charts).
        revision: what this option shows (e.g. ``"run 2, day 14"``); the page sets
            ``data-rendered`` to it once drawn.
        renderer: ``"svg"`` (charts: text stays text) or ``"canvas"`` (maps: thousands of points).
        box_style: CSS of the chart's box (its size comes from the page layout).
        css_class: extra CSS class of the box.
        min_font, max_font, font_divisor: the base font is the box's shorter side (height
            weighted 1.25) over ``font_divisor``, within ``[min_font, max_font]`` px.
    """

    template = traitlets.Unicode(_TEMPLATE).tag(sync=True)
    option = traitlets.Unicode("{}").tag(sync=True)
    xy = traitlets.Unicode("").tag(sync=True)
    stage = traitlets.Unicode("").tag(sync=True)
    revision = traitlets.Unicode("").tag(sync=True)
    renderer = traitlets.Unicode("svg").tag(sync=True)
    box_style = traitlets.Unicode("width: 100%; height: 100%;").tag(sync=True)
    css_class = traitlets.Unicode("").tag(sync=True)
    module = traitlets.Unicode(ECHARTS_JS).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    min_font = traitlets.Int(MIN_FONT_PX).tag(sync=True)
    max_font = traitlets.Int(22).tag(sync=True)
    font_divisor = traitlets.Float(24.0).tag(sync=True)
    on_pick = traitlets.Callable(None, allow_none=True)

    def vue_pick(self, data) -> None:
        """A click on a data item: ``{"series": name, "value": [...]}`` to :attr:`on_pick`."""
        if self.on_pick is not None:
            self.on_pick(data)


def to_json(option: dict) -> str:
    """``option`` as compact JSON text (what :func:`EChart` takes)."""
    return json.dumps(option, separators=(",", ":"), allow_nan=False)


@solara.component
def EChart(option: str, revision: str = "", xy: str = "", stage: str = "", renderer: str = "svg",
           on_pick=None, css_class: str = "", box_style: str = "width: 100%; height: 100%;"):
    """An :class:`EChartWidget` in a Solara page.

    Args:
        option: the ECharts option as JSON text (:func:`to_json`; fonts as ``"@factor"``). Text,
            not a dict: Solara's renderer walks through every list and dict it is handed.
        revision: what the option shows; set as ``data-rendered`` once drawn.
        xy: the map's consumers' positions (see module docstring).
        stage: the map's consumers' journey stages (see module docstring).
        renderer: ``"svg"`` or ``"canvas"``.
        on_pick: called with ``{"series": ..., "value": [...]}`` when a data item is clicked.
        css_class: extra CSS class of the chart's box.
        box_style: CSS of the chart's box.
    """
    return EChartWidget.element(option=option, revision=revision, xy=xy, stage=stage, renderer=renderer,
                                on_pick=on_pick, css_class=css_class, box_style=box_style)
