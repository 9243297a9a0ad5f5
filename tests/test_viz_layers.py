import numpy as np

from sim.rules.codes import DELIVERY
from sim.viz import layers
from sim.viz.journey import campaign_stores
from sim.viz.layers import map_layers, network_layers, store_size


def test_map_shows_every_store_with_todays_visits_and_rating(stepped_dashboard):
    for arm in stepped_dashboard.arms:
        lay = map_layers(arm)
        table = arm.model.store_table
        assert lay.store_xy.shape == (table.count, 2)
        assert np.array_equal(lay.store_visits, arm.tap.store_rows[-1]["visits"])
        assert np.allclose(lay.store_rating, table.rating)
        assert np.array_equal(np.flatnonzero(lay.store_campaign), campaign_stores(arm.model))


def test_trips_run_from_home_or_work_to_the_store_and_skip_deliveries(stepped_dashboard):
    omo = stepped_dashboard.arms[1]
    lay = map_layers(omo)
    delivered = int((omo.tap.trip_channel == DELIVERY).sum())
    assert delivered > 0 and lay.deliveries == delivered
    assert lay.trip_count == omo.tap.trip_consumer.size - delivered == lay.trips.shape[0]
    ends = {tuple(p) for p in omo.model.store_table.xy}
    assert all(tuple(seg[1]) in ends for seg in lay.trips)
    pop = omo.model.population
    starts = {tuple(p) for p in np.vstack([pop.home_xy, pop.work_xy])}
    assert all(tuple(seg[0]) in starts for seg in lay.trips)


def test_a_busy_day_draws_an_even_sample_of_trips(stepped_dashboard, monkeypatch):
    monkeypatch.setattr(layers, "MAX_TRIPS", 10)
    lay = map_layers(stepped_dashboard.arms[0])
    assert lay.trips.shape[0] == 10
    assert lay.trip_count > 10  # the count shown stays the real one


def test_consumers_are_coloured_by_their_stage(stepped_dashboard):
    arm = stepped_dashboard.arms[0]
    lay = map_layers(arm)
    assert sum(lay.stage_points(s).shape[0] for s in layers.STAGE_COLOURS) == arm.model.population.size


def test_store_size_grows_with_visits():
    size = store_size(np.array([0, 1, 10, 40]))
    assert np.all(np.diff(size) > 0) and size[0] > 0


def test_network_shows_todays_sharers_and_where_their_word_goes(stepped_dashboard):
    arm = stepped_dashboard.arms[0]
    net = network_layers(arm)
    shares = arm.model.pending_shares
    senders = np.unique(shares["sender"])
    assert senders.size > 0
    assert np.union1d(net.good_senders, net.bad_senders).size == senders.size
    degree = np.diff(arm.model.network.indptr)
    assert net.spread_good.shape[0] == degree[net.good_senders].sum()
    assert net.spread_bad.shape[0] == degree[net.bad_senders].sum()
    assert np.all(np.isin(net.spread_good[:, 0], arm.model.population.home_xy[net.good_senders]))
    assert net.edge_total == degree.sum() // 2
    assert net.edges.shape[0] == min(layers.MAX_EDGES, net.edge_total)
    assert np.array_equal(net.reached, arm.tap.reached_by_share)
    assert not net.complete
