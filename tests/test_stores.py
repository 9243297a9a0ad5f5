"""sim.world.stores: the store table, hourly profiles and Store agents on the grid."""

from __future__ import annotations

import random

import mesa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from sim.config import CATEGORIES, CityConfig, StoresConfig
from sim.world.city import build_city
from sim.world.stores import HOURLY_PROFILE, PEAK_HOURS, Store, arrival_hour, build_stores


@pytest.fixture(scope="module")
def city():
    return build_city(CityConfig(width=20, height=20), np.random.default_rng(0), random.Random(0))


def _table(city, seed=0, **kw):
    return build_stores(StoresConfig(**kw), city, np.random.default_rng(seed))


def test_table_shapes_and_ranges(city):
    cfg = StoresConfig(count=300, servers_min=2, servers_max=5)
    t = build_stores(cfg, city, np.random.default_rng(1))
    assert t.count == 300
    assert t.xy.shape == (300, 2) and t.cell.shape == (300, 2)
    np.testing.assert_array_equal(city.cell_of(t.xy), t.cell)
    assert set(np.unique(t.category)) <= set(range(len(CATEGORIES)))
    assert (t.price > 0).all()
    assert ((t.quality >= 1) & (t.quality <= 5)).all()
    assert ((t.servers >= 2) & (t.servers <= 5)).all()
    assert set(np.unique(t.servers)) == {2, 3, 4, 5}
    assert (t.min_service_min > 0).all() and (t.min_service_min <= t.service_min).all()
    assert (t.close_hour > t.open_hour).all()
    assert (t.stock >= 1).all()
    assert (t.expected_wait_min == 0).all()


def test_category_shares_and_booking_hassle(city):
    t = _table(city, seed=2, count=3000, restaurant_share=0.6, retail_share=0.1,
               booking_hassle_service=0.7)
    shares = np.bincount(t.category, minlength=3) / t.count
    np.testing.assert_allclose(shares, [0.6, 0.1, 0.3], atol=0.03)
    service = t.category == CATEGORIES.index("service")
    assert (t.hassle[service] == 0.7).all() and (t.hassle[~service] == 0).all()


def test_stock_covers_a_day_of_full_throughput(city):
    t = _table(city, count=50, stock_factor=1.0)
    throughput = t.servers * (t.close_hour - t.open_hour) * 60.0 / t.service_min
    assert (t.stock >= throughput).all()
    half = _table(city, count=50, stock_factor=0.5)
    assert (half.stock <= t.stock).all() and (half.stock < t.stock).any()


def test_rating_starts_at_prior_and_stays_within_1_and_5(city):
    t = _table(city, count=40, rating_prior_mean=3.5)
    np.testing.assert_allclose(t.rating, 3.5)
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = rng.integers(0, 200, t.count)
        stars = rng.integers(1, 6, (t.count, 200))
        mask = np.arange(200)[None, :] < n[:, None]
        t.rating_n += n
        t.rating_sum += (stars * mask).sum(axis=1)
        r = t.rating
        assert ((r >= 1) & (r <= 5)).all()
    # many five-star reviews pull a fresh store's rating up to nearly 5, one-star down to 1
    fresh = _table(city, count=2, rating_prior_mean=3.5)
    fresh.rating_n += 10_000
    fresh.rating_sum += np.array([50_000.0, 10_000.0])
    assert fresh.rating[0] > 4.9 and fresh.rating[1] < 1.1


def test_max_served_formula(city):
    t = _table(city, count=10)
    open_min = (t.close_hour - t.open_hour) * 60.0
    np.testing.assert_array_equal(t.max_served(), t.servers * (np.floor(open_min / t.min_service_min) + 1))


def test_hour_weights_zero_outside_opening_and_peak_in_the_right_place(city):
    t = _table(city, count=60, open_hour=9, close_hour=21)
    w = t.hour_weights()
    assert w.shape == (60, 24)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    assert (w[:, :9] == 0).all() and (w[:, 21:] == 0).all()
    assert (w[:, 9:21] > 0).all()
    for cat_index, cat in enumerate(CATEGORIES):
        rows = w[t.category == cat_index]
        if rows.size == 0:
            continue
        top = int(rows[0].argmax())
        assert min(abs(top + 0.5 - p) for p in PEAK_HOURS[cat]) <= 1.0, (cat, top)


def test_hourly_profiles_peak_at_peak_hours():
    for cat, prof in HOURLY_PROFILE.items():
        assert prof.shape == (24,) and (prof > 0).all()
        top = int(prof.argmax())
        assert min(abs(top + 0.5 - p) for p in PEAK_HOURS[cat]) <= 1.0


def test_build_stores_deterministic(city):
    a, b = _table(city, seed=4, count=20), _table(city, seed=4, count=20)
    c = _table(city, seed=5, count=20)
    np.testing.assert_array_equal(a.xy, b.xy)
    np.testing.assert_array_equal(a.price, b.price)
    assert not np.array_equal(a.xy, c.xy)


def test_store_agent_sits_on_a_cell_and_reads_through_to_the_table(city):
    model = mesa.Model(rng=0)
    t = _table(city, count=5)
    cells = []
    for i in range(t.count):
        cell = city.grid[(int(t.cell[i, 0]), int(t.cell[i, 1]))]
        Store(model, i, t, cell)
        cells.append(cell)
    agents = sorted(model.agents_by_type[Store], key=lambda s: s.index)
    assert len(agents) == 5
    for store, cell in zip(agents, cells, strict=True):
        assert isinstance(store, mesa.Agent)
        assert store.cell is cell
        assert store in cell.agents
        assert store.category == CATEGORIES[t.category[store.index]]
        assert store.price == pytest.approx(t.price[store.index])
        assert store.servers == t.servers[store.index]
        assert store.xy == pytest.approx(tuple(t.xy[store.index]))
    s0 = agents[0]
    t.price[0] = 123.0
    t.quality[0] = 4.5
    t.servers[0] = 9
    t.rating_n[0] += 10
    t.rating_sum[0] += 50
    assert s0.price == 123.0 and s0.quality == 4.5 and s0.servers == 9
    assert s0.rating == pytest.approx(float(t.rating[0]))
    for cell in cells:                        # leave the shared grid as we found it
        for agent in list(cell.agents):
            cell.remove_agent(agent)


@settings(max_examples=25, deadline=None)
@given(seed=hst.integers(0, 10_000), visitors=hst.integers(0, 400))
def test_arrival_hour_is_the_inverse_cdf_of_the_store_profile(city, seed, visitors):
    t = _table(city, seed, count=30)
    cdf = np.cumsum(t.hour_weights(), axis=1)
    rng = np.random.default_rng(seed)
    store = rng.integers(0, t.count, visitors)
    u = rng.random(visitors)
    u[: visitors // 4] = cdf[store[: visitors // 4], rng.integers(0, 24, visitors // 4)]  # on a CDF step
    expected = np.minimum((cdf[store] < u[:, None]).sum(axis=1), 23)
    np.testing.assert_array_equal(arrival_hour(cdf, store, u), expected)


def test_arrival_hours_fall_in_opening_hours_with_the_profile_shares(city):
    t = _table(city, 3, count=5)
    weights = t.hour_weights()
    rng = np.random.default_rng(0)
    hours = arrival_hour(np.cumsum(weights, axis=1), np.zeros(200_000, dtype=np.int64), rng.random(200_000))
    share = np.bincount(hours, minlength=24) / hours.size
    assert np.abs(share - weights[0]).max() < 0.005
    assert (share[weights[0] == 0] == 0).all()


def test_only_the_brands_stores_take_the_brand_server_range(small_cfg):
    from sim.engine.model import O2OModel

    plain = O2OModel(small_cfg({"campaign.push_coupon.enabled": False}))
    small = O2OModel(small_cfg({"campaign.push_coupon.enabled": False, "stores.brand_servers_min": 1,
                                "stores.brand_servers_max": 2}))
    brand = small.brand_stores
    np.testing.assert_array_equal(brand, plain.brand_stores)
    assert set(small.store_table.servers[brand].tolist()) <= {1, 2}
    others = ~small.is_brand
    np.testing.assert_array_equal(small.store_table.servers[others], plain.store_table.servers[others])
    np.testing.assert_array_equal(small.store_table.stock[others], plain.store_table.stock[others])
    assert (small.store_table.stock[brand] < plain.store_table.stock[brand]).all()
