import json
import shutil
import subprocess

import pytest

from sim.viz.assets import installed_assets
from sim.viz.echart import _TEMPLATE, ECHARTS_JS, MIN_FONT_PX, EChartWidget, to_json


def test_the_echarts_build_is_served_from_the_installed_assets():
    assert f"{ECHARTS_JS}.js" in installed_assets().names
    assert "requirejs@2.3.6/require.js" in installed_assets().names


def test_options_go_as_compact_json_without_nan():
    assert to_json({"a": [1, 2.5], "b": "@1"}) == '{"a":[1,2.5],"b":"@1"}'
    with pytest.raises(ValueError):
        to_json({"a": float("nan")})


def test_a_click_on_an_item_reaches_python():
    picks = []
    widget = EChartWidget(option="{}", on_pick=picks.append)
    widget.vue_pick({"series": "stores", "value": [1.0, 2.0, 7]})
    assert picks == [{"series": "stores", "value": [1.0, 2.0, 7]}]
    assert widget.min_font == MIN_FONT_PX >= 12


@pytest.mark.skipif(shutil.which("node") is None, reason="checks the template's script with node")
def test_the_templates_script_scales_fonts_fills_layers_and_keeps_the_aspect():
    script = _TEMPLATE.split("<script>")[1].split("</script>")[0]
    probe = script + """
const m = module.exports.methods;
const self = Object.assign({min_font: 13, xy: "0,0,1,1,2,2", stage: "010"}, m);
const sized = self.sized({title: {textStyle: {fontSize: "@1.5"}}, axis: {fontSize: "@0.1"},
                          grid: {top: "@2"}}, 20);
const option = {series: [{o2oLayer: 0}, {o2oLayer: 1}, {name: "x"}]};
self.fill(option);
console.log(JSON.stringify({sized, option}));
"""
    out = subprocess.run(["node", "-e", "const module = {exports: {}};" + probe], capture_output=True,
                         text=True, timeout=30, check=True)
    result = json.loads(out.stdout)
    assert result["sized"] == {"title": {"textStyle": {"fontSize": 30}}, "axis": {"fontSize": 13},
                               "grid": {"top": 40}}
    assert result["option"]["series"][0]["data"] == [[0, 0, 0], [2, 2, 2]]
    assert result["option"]["series"][1]["data"] == [[1, 1, 1]]
    assert "o2oLayer" not in result["option"]["series"][0]
