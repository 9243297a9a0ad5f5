import json

import numpy as np
import pytest

from sim.viz.journey import STAGES
from sim.viz.layers import STAGE_COLOURS, map_layers, network_layers
from sim.viz.mapview import (
    MAP_LAYERS,
    RATING_COLOURS,
    RATING_RANGE,
    map_caption,
    map_option,
    map_stage,
    map_xy,
    rating_colour,
)


def test_consumers_go_as_positions_once_and_a_digit_a_day(stepped_dashboard):
    arm = stepped_dashboard.arms[0]
    xy = np.array(map_xy(arm).split(","), dtype=float).reshape(-1, 2)
    assert np.allclose(xy, arm.model.population.home_xy, atol=5e-4)
    stage = map_stage(arm)
    assert len(stage) == arm.model.population.size
    assert np.array_equal(np.frombuffer(stage.encode(), dtype=np.uint8) - ord("0"), arm.stage)


def test_the_map_has_a_layer_per_stage_the_trips_and_every_store(stepped_dashboard):
    arm = stepped_dashboard.arms[1]
    option = map_option(arm, "trips")
    json.dumps(option, allow_nan=False)
    series = {s["name"]: s for s in option["series"]}
    assert [series[s]["o2oLayer"] for s in STAGES] == list(range(len(STAGES)))
    assert all(series[s]["itemStyle"]["color"] == STAGE_COLOURS[s] for s in STAGES)
    lay = map_layers(arm)
    assert len(series["trips"]["data"]) == lay.trips.shape[0]
    stores = series["stores"]["data"]
    assert [d["value"][2] for d in stores] == list(range(arm.model.store_table.count))
    brand = [d["itemStyle"]["borderColor"] == "#000000" for d in stores]
    assert brand == list(lay.store_campaign)
    busiest = int(np.argmax(lay.store_visits))
    assert stores[busiest]["symbolSize"] == max(d["symbolSize"] for d in stores)
    assert f"{lay.store_visits[busiest]} visits today" in stores[busiest]["name"]
    w, h = lay.size_km
    assert option["aspect"] == pytest.approx(w / h)


def test_word_of_mouth_draws_todays_shares(stepped_dashboard):
    arm = stepped_dashboard.arms[0]
    option = map_option(arm, "word of mouth")
    names = [s["name"] for s in option["series"]]
    assert "trips" not in names and {"good word", "bad word"} <= set(names)
    net = network_layers(arm)
    good = next(s for s in option["series"] if s["name"] == "good word")
    assert len(good["data"]) == min(net.spread_good.shape[0], 400)
    with pytest.raises(ValueError, match="allowed: trips, word of mouth"):
        map_option(arm, "rivers")
    assert MAP_LAYERS == ("trips", "word of mouth")


def test_the_rating_scale_runs_dark_to_yellow_and_clips():
    assert rating_colour(RATING_RANGE[0]) == RATING_COLOURS[0]
    assert rating_colour(RATING_RANGE[1]) == RATING_COLOURS[-1] == rating_colour(5.0)
    assert rating_colour(1.0) == RATING_COLOURS[0]
    assert set(RATING_COLOURS).isdisjoint(STAGE_COLOURS.values())


def test_the_caption_names_the_city_day_and_counts(stepped_dashboard):
    arm = stepped_dashboard.arms[1]
    lay = map_layers(arm)
    text = map_caption(arm)
    assert text.startswith(f"OMO, day 5: {lay.trip_count:,} trips")
    assert (f"{lay.deliveries:,} deliveries" in text) == (lay.deliveries > 0)
    customers = int(np.isin(arm.stage, [STAGES.index("customer"), STAGES.index("advocate")]).sum())
    assert text.endswith(f"{customers:,} customers")
