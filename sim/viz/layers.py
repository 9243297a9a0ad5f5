"""What the dashboard's maps draw, as plain arrays computed from one city's state (no drawing here).

Core objects:
    * :data:`STAGE_COLOURS` - one colour per journey stage.
    * :class:`MapLayers` and :func:`map_layers` - the city map: consumers at
      home coloured by journey stage, stores sized by today's visits and
      coloured by their public rating (campaign stores flagged), today's trips
      as segments from the closer of home and work to the store.
    * :class:`NetworkLayers` and :func:`network_layers` - the word-of-mouth layer (the social network):
      friendship edges, today's sharers (good or bad experience) with the
      edges their word travels tomorrow, and the friends who read a share today.
    * :func:`store_size` - marker area from visits (absolute, so two arms compare).

Everything here is a pure function of model state, so it is unit-tested
without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.rules.codes import DELIVERY
from sim.viz.journey import STAGES, campaign_stores

__all__ = ["MAX_EDGES", "MAX_TRIPS", "STAGE_COLOURS", "MapLayers", "NetworkLayers", "map_layers",
           "network_layers", "store_size"]

STAGE_COLOURS = {
    "unaware": "#d9d9d9",
    "aware": "#9ecae1",
    "intending": "#fdae6b",
    "visiting": "#e6550d",
    "customer": "#31a354",
    "advocate": "#756bb1",
}
#: At most this many trips are drawn (an even sample when there are more; the count shown is the real one).
MAX_TRIPS = 600
#: At most this many friendship edges are drawn in the background of the network panel.
MAX_EDGES = 6000


def store_size(visits: np.ndarray) -> np.ndarray:
    """Marker area (points^2) of a store with ``visits`` visits today."""
    return 10.0 + 5.0 * np.asarray(visits, dtype=float)


def _even_sample(n: int, most: int) -> np.ndarray:
    """Indices of an even, deterministic sample of at most ``most`` of ``n`` items."""
    if n <= most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, most).round().astype(np.int64))


@dataclass
class MapLayers:
    """The city map of one arm.

    Attributes:
        size_km: (width, height) of the city.
        consumer_xy: (N, 2) homes.
        consumer_stage: (N,) stage index into :data:`~sim.viz.journey.STAGES`.
        store_xy: (S, 2) store positions.
        store_visits: (S,) visits (and orders) today.
        store_rating: (S,) public rating (stars).
        store_campaign: (S,) the store belongs to the brand or runs the push campaign.
        trips: (M, 2, 2) segments origin -> store of the trips drawn (deliveries excluded).
        trip_count: today's trips (visits in store and pick-ups), all of them.
        deliveries: today's deliveries (no trip).
    """

    size_km: tuple[float, float]
    consumer_xy: np.ndarray
    consumer_stage: np.ndarray
    store_xy: np.ndarray
    store_visits: np.ndarray
    store_rating: np.ndarray
    store_campaign: np.ndarray
    trips: np.ndarray
    trip_count: int
    deliveries: int

    def stage_points(self, stage: str) -> np.ndarray:
        """(n, 2) homes of the consumers at ``stage``."""
        return self.consumer_xy[self.consumer_stage == STAGES.index(stage)]


def map_layers(arm) -> MapLayers:
    """The city map of an :class:`~sim.viz.model.Arm` after its last step."""
    model, tap = arm.model, arm.tap
    pop, table = model.population, model.store_table
    s = table.count
    trip = tap.trip_channel != DELIVERY
    c, store = tap.trip_consumer[trip], tap.trip_store[trip]
    pick = _even_sample(c.size, MAX_TRIPS)
    c, store = c[pick], store[pick]
    to_store = table.xy[store]
    home, work = pop.home_xy[c], pop.work_xy[c]
    from_work = (np.hypot(*(work - to_store).T) < np.hypot(*(home - to_store).T))[:, None]
    origin = np.where(from_work, work, home)
    campaign = np.zeros(s, dtype=bool)
    campaign[campaign_stores(model)] = True
    return MapLayers(
        size_km=tuple(float(v) for v in model.city.size_km),
        consumer_xy=pop.home_xy,
        consumer_stage=arm.stage,
        store_xy=table.xy,
        store_visits=np.bincount(tap.trip_store, minlength=s),
        store_rating=table.rating.copy(),
        store_campaign=campaign,
        trips=np.stack([origin, to_store], axis=1) if c.size else np.empty((0, 2, 2)),
        trip_count=int(trip.sum()),
        deliveries=int((~trip).sum()),
    )


@dataclass
class NetworkLayers:
    """The social-network panel of one arm.

    Attributes:
        node_xy: (N, 2) homes (the network is spatial: friends live near each other).
        edges: (E, 2, 2) a deterministic sample of friendship edges (at most :data:`MAX_EDGES`).
        edge_total: number of friendships.
        good_senders, bad_senders: consumers who shared a good / bad experience today.
        spread_good, spread_bad: (F, 2, 2) edges from those sharers to their friends (tomorrow's reach).
        reached: consumers who read a friend's share today.
        complete: the network is complete mixing (no edges to draw).
    """

    node_xy: np.ndarray
    edges: np.ndarray
    edge_total: int
    good_senders: np.ndarray
    bad_senders: np.ndarray
    spread_good: np.ndarray
    spread_bad: np.ndarray
    reached: np.ndarray
    complete: bool


def _friend_edges(net, xy: np.ndarray, senders: np.ndarray) -> np.ndarray:
    """(F, 2, 2) segments from each sender to each of their friends (a network with edges)."""
    which, friend = net.spread(senders)
    if friend.size == 0:
        return np.empty((0, 2, 2))
    return np.stack([xy[senders[which]], xy[friend]], axis=1)


def network_layers(arm) -> NetworkLayers:
    """The social-network panel of an :class:`~sim.viz.model.Arm` after its last step."""
    model = arm.model
    net, xy = model.network, model.population.home_xy
    shares = model.pending_shares
    sender, valence = shares["sender"], shares["valence"]
    good, bad = np.unique(sender[valence > 0]), np.unique(sender[valence <= 0])
    if net.complete:
        edges = spread_good = spread_bad = np.empty((0, 2, 2))
        total = 0
    else:
        row, col = net.spread(np.arange(net.indptr.size - 1))
        upper = row < col  # each friendship once
        a, b = row[upper], col[upper]
        total = int(a.size)
        keep = _even_sample(total, MAX_EDGES)
        edges = np.stack([xy[a[keep]], xy[b[keep]]], axis=1)
        spread_good, spread_bad = _friend_edges(net, xy, good), _friend_edges(net, xy, bad)
    return NetworkLayers(
        node_xy=xy, edges=edges, edge_total=total, good_senders=good, bad_senders=bad,
        spread_good=spread_good, spread_bad=spread_bad, reached=arm.tap.reached_by_share,
        complete=bool(net.complete),
    )
