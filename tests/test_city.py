"""sim.world.city: the Mesa grid, density layers, positions and travel cost."""

from __future__ import annotations

import random

import numpy as np
import pytest
from mesa.discrete_space import OrthogonalMooreGrid

from sim.config import CityConfig
from sim.world.city import build_city, travel_cost


@pytest.fixture(scope="module")
def city():
    cfg = CityConfig(width=20, height=16, districts=3)
    return build_city(cfg, np.random.default_rng(1), random.Random(1))


def test_grid_and_layers(city):
    assert isinstance(city.grid, OrthogonalMooreGrid)
    assert city.shape == (20, 16)
    assert city.grid.dimensions == (20, 16)
    assert city.size_km == pytest.approx((20 * 0.25, 16 * 0.25))
    for name in ("population_density", "work_density", "district"):
        arr = getattr(city, name)
        assert arr.shape == (20, 16)
        # the same surface is visible as a Mesa property layer on the grid and its cells
        np.testing.assert_allclose(np.asarray(getattr(city.grid, name).data), arr)
    assert city.grid[(3, 4)].population_density == pytest.approx(city.population_density[3, 4])


def test_densities_are_distributions(city):
    for arr in (city.population_density, city.work_density):
        assert (arr >= 0).all()
        assert arr.sum() == pytest.approx(1.0)
    # background density gives every cell some residents
    assert city.population_density.min() > 0


def test_districts_and_central_work(city):
    assert city.centres_km.shape == (3, 2)
    np.testing.assert_allclose(city.centres_km[0], np.array(city.size_km) / 2)
    assert set(np.unique(city.district)) <= {0, 1, 2}
    # the cell holding the central district's centre belongs to district 0
    cx, cy = (city.centres_km[0] / city.cfg.cell_km).astype(int)
    assert city.district[cx, cy] == 0
    # work concentrates in the centre more than homes do
    assert city.work_density[cx, cy] > city.population_density[cx, cy]


def test_build_city_is_deterministic():
    cfg = CityConfig(width=12, height=12)
    a = build_city(cfg, np.random.default_rng(5), random.Random(5))
    b = build_city(cfg, np.random.default_rng(5), random.Random(5))
    c = build_city(cfg, np.random.default_rng(6), random.Random(6))
    np.testing.assert_array_equal(a.population_density, b.population_density)
    np.testing.assert_array_equal(a.centres_km, b.centres_km)
    assert not np.array_equal(a.population_density, c.population_density)


def test_sample_positions_lie_in_their_cells(city):
    rng = np.random.default_rng(0)
    cells, xy = city.sample_positions(rng, 5000, city.population_density)
    assert cells.shape == (5000, 2) and xy.shape == (5000, 2)
    np.testing.assert_array_equal(city.cell_of(xy), cells)
    assert (xy >= 0).all()
    assert (xy[:, 0] <= city.size_km[0]).all() and (xy[:, 1] <= city.size_km[1]).all()


def test_sample_positions_follow_the_density(city):
    rng = np.random.default_rng(0)
    dens = np.zeros(city.shape)
    dens[2, 3] = 3.0
    dens[10, 7] = 1.0
    cells, _ = city.sample_positions(rng, 4000, dens)
    hits = {tuple(c) for c in cells.tolist()}
    assert hits == {(2, 3), (10, 7)}
    share = np.mean((cells[:, 0] == 2) & (cells[:, 1] == 3))
    assert share == pytest.approx(0.75, abs=0.03)


def test_cell_of_clips_to_grid(city):
    cells = city.cell_of(np.array([[-1.0, -3.0], [100.0, 100.0], [0.3, 0.6]]))
    np.testing.assert_array_equal(cells, [[0, 0], [19, 15], [1, 2]])


def test_travel_cost_walk_then_ride():
    cfg = CityConfig()
    hours, money = travel_cost(np.array([0.0, 0.5, cfg.walk_km, 2.0]), cfg)
    # walking: free, round trip at walking speed
    assert money[:3].tolist() == [0.0, 0.0, 0.0]
    assert hours[1] == pytest.approx(2 * 0.5 / cfg.walk_speed_kmh)
    # riding: access time, ride speed and a fare per km, both ways
    assert hours[3] == pytest.approx(2 * (cfg.ride_access_min / 60 + 2.0 / cfg.ride_speed_kmh))
    assert money[3] == pytest.approx(2 * 2.0 * cfg.ride_cost_per_km)


def test_travel_cost_never_falls_with_distance_under_defaults():
    cfg = CityConfig()
    d = np.linspace(0, 15, 3001)
    hours, money = travel_cost(d, cfg)
    assert (np.diff(hours) >= -1e-12).all()
    assert (np.diff(money) >= -1e-12).all()
    assert hours.shape == d.shape


def test_space_switched_off_makes_trips_free_and_log_distance_zero():
    from sim.config import CityConfig
    from sim.world.city import distance_utility, travel_cost

    d = np.array([0.1, 3.0, np.inf])
    hours, money = travel_cost(d, CityConfig(spatial=False))
    assert hours[:2].tolist() == [0.0, 0.0] and money[:2].tolist() == [0.0, 0.0] and np.isinf(hours[2])
    assert distance_utility(d[:2], CityConfig(spatial=False), 1.5).tolist() == [0.0, 0.0]


def test_log_distance_utility_is_huffs_power_decay():
    from sim.config import CityConfig
    from sim.world.city import LOG_DISTANCE_FLOOR_KM, distance_utility

    u = distance_utility(np.array([1.0, 2.0, 0.0]), CityConfig(), 2.0)
    assert u[0] == 0.0 and u[1] == pytest.approx(2.0 * np.log(2.0))
    assert u[2] == pytest.approx(2.0 * np.log(LOG_DISTANCE_FLOOR_KM))  # next door is not infinitely close
