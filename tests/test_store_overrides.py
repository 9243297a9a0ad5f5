"""sim.world.store_overrides: one store's settings by id, validated before anything runs."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config import ConfigError, from_dict
from sim.config.compose import load_config
from sim.engine.model import O2OModel

SMALL = ["population.size=1500", "stores.count=20", "days=6", "warmup_days=5", "seed=3"]


def _model(*overrides: str) -> O2OModel:
    return O2OModel(load_config([*SMALL, *overrides]))


def test_a_store_takes_its_own_quality_capacity_hours_and_price():
    plain = _model()
    ov = "stores.overrides=[{id: 4, quality: 4.6, servers: 11, open_hour: 8, close_hour: 23, price: 95}]"
    model = _model(ov)
    t, p = model.store_table, plain.store_table
    assert (t.quality[4], t.servers[4], t.open_hour[4], t.close_hour[4], t.price[4]) == (4.6, 11, 8, 23, 95.0)
    usual = {0: 80.0, 1: 150.0, 2: 200.0}[int(t.category[4])]
    assert t.price_premium[4] == pytest.approx(95.0 - usual)
    assert t.stock[4] == np.ceil(11 * 15 * 60 / t.service_min[4])  # stock follows servers and hours
    assert t.stock[4] > p.stock[4]
    others = np.arange(t.count) != 4
    for name in ("quality", "servers", "open_hour", "close_hour", "price", "stock", "xy", "category"):
        np.testing.assert_array_equal(getattr(t, name)[others], getattr(p, name)[others], err_msg=name)
    weights = t.hour_weights()[4]
    assert weights[8] > 0 and weights[22] > 0 and weights[7] == 0 and weights[23] == 0


def test_an_override_wins_over_the_brands_server_range():
    brand = ["stores.brand_servers_min=1", "stores.brand_servers_max=1"]
    model = _model(*brand)
    store = int(model.brand_stores[0])
    resized = _model(*brand, f"stores.overrides=[{{id: {store}, servers: 9}}]")
    assert model.store_table.servers[store] == 1 and resized.store_table.servers[store] == 9


def test_a_rating_holds_from_day_0():
    model = _model("stores.overrides=[{id: 2, rating: 4.5, review_count: 200}, {id: 5, rating: 2.0}]")
    t = model.store_table
    assert t.rating[2] == pytest.approx(4.5) and t.rating_n[2] == 200
    assert t.rating[5] == pytest.approx(2.0)
    plain = _model()
    assert t.rating_n[5] == plain.store_table.rating_n[5]  # its warm-up reviews kept
    others = ~np.isin(np.arange(t.count), [2, 5])
    np.testing.assert_allclose(t.rating[others], plain.store_table.rating[others])
    model.step()  # day 0's reviews then move it as any store's
    assert abs(t.rating[2] - 4.5) < 0.05


def test_what_if_my_store_were_rated_4_5_raises_its_visits_on_paired_seeds():
    store = 3
    rated = f"stores.overrides=[{{id: {store}, rating: 4.5, review_count: 200}}]"
    poorly = f"stores.overrides=[{{id: {store}, rating: 2.5, review_count: 200}}]"
    gains, losses = [], []
    for seed in range(4):
        base = ["population.size=2000", "days=14", "warmup_days=10", "scenario=baseline", f"seed={seed}"]
        visits = {}
        for name, extra in (("plain", []), ("rated", [rated]), ("poorly", [poorly])):
            res = sim.run(load_config(base + extra))
            visits[name] = int(res.stores.loc[res.stores.store_id == store, "visits"].sum())
        gains.append(visits["rated"] - visits["plain"])
        losses.append(visits["plain"] - visits["poorly"])
    assert min(gains) > 0, gains
    # a poor rating deters only those who do not know the store yet: fewer visits, never more
    assert min(losses) >= 0 and sum(losses) > 0, losses


@pytest.mark.parametrize("data, key, allowed", [
    ({"stores": {"overrides": [{"id": 30}]}}, "stores.overrides[0].id",
     "an integer in [0, 29] (stores.count=30)"),
    ({"stores": {"count": 5, "overrides": [{"id": 5, "rating": 4.5}]}}, "stores.overrides[0].id",
     "an integer in [0, 4]"),
    ({"stores": {"overrides": [{"id": 1, "rating": 5.5}]}}, "stores.overrides[0].rating",
     "a number in [1, 5]"),
    ({"stores": {"overrides": [{"id": 1, "servers": 0}]}}, "stores.overrides[0].servers", "[1, 1000]"),
    ({"stores": {"overrides": [{"id": 1, "review_count": -3}]}}, "stores.overrides[0].review_count", "[0, "),
    ({"stores": {"overrides": [{"id": 1, "price": 0}]}}, "stores.overrides[0].price", "(0, "),
    ({"stores": {"overrides": [{"id": 1, "open_hour": 22}]}}, "stores.overrides[0].close_hour",
     "after the store's opening hour (22)"),
    ({"stores": {"overrides": [{"id": 1, "open_hour": 12, "close_hour": 9}]}},
     "stores.overrides[0].close_hour", "(12)"),
    ({"stores": {"overrides": [{"id": 1}, {"id": 1}]}}, "stores.overrides[1].id", "an id given once"),
    ({"stores": {"overrides": [{"id": 1, "stars": 4}]}}, "stores.overrides[0].stars", "known keys"),
    ({"stores": {"overrides": {"id": 1}}}, "stores.overrides", "a list of records"),
])
def test_bad_overrides_are_refused_in_one_line_naming_key_value_and_what_is_allowed(data, key, allowed):
    with pytest.raises(ConfigError) as err:
        from_dict(data)
    text = str(err.value)
    assert err.value.key == key and "\n" not in text
    assert text.startswith(f"invalid config: {key}=") and allowed in text.split("allowed: ", 1)[1]


def test_the_command_line_takes_overrides_and_refuses_bad_ones_before_composing():
    cfg = load_config(["stores.overrides=[{id: 3, rating: 4.5, review_count: 200, servers: 4, price: 60}]"])
    ov = cfg.stores.overrides[0]
    assert (ov.id, ov.rating, ov.review_count, ov.servers, ov.price) == (3, 4.5, 200, 4, 60.0)
    assert ov.quality is None
    with pytest.raises(ConfigError) as err:
        load_config(["stores.overrides=[{id: 3, ratin: 4.5}]"])
    assert err.value.key == "stores.overrides[0].ratin"
    with pytest.raises(ConfigError) as err:
        load_config(["stores.count=10", "stores.overrides=[{id: 12, rating: 4.5}]"])
    assert err.value.key == "stores.overrides[0].id" and "[0, 9]" in str(err.value)
