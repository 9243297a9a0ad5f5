"""sim.world.social: graph builders and the CSR adjacency used for word of mouth."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.config import NETWORK_KINDS, NetworkConfig
from sim.world.social import SocialNetwork, build_graph, build_network, pair_chances

GRAPH_KINDS = tuple(k for k in NETWORK_KINDS if k != "complete")  # complete mixing has no graph

N = 2500


@pytest.fixture(scope="module")
def homes():
    return np.random.default_rng(0).uniform(0, 10, size=(N, 2))


def _toy():
    g = nx.Graph()
    g.add_nodes_from(range(6))
    g.add_edges_from([(0, 1), (0, 2), (0, 5), (1, 2), (3, 4)])
    return g


def test_csr_from_graph_sorted_rows_and_degree():
    net = SocialNetwork.from_graph(_toy(), 6)
    assert net.indptr.tolist() == [0, 3, 5, 7, 8, 9, 10]
    assert net.indices.tolist() == [1, 2, 5, 0, 2, 0, 1, 4, 3, 0]
    assert net.degree.tolist() == [3, 2, 2, 1, 1, 1]


def test_spread_returns_exactly_the_neighbours():
    g = _toy()
    net = SocialNetwork.from_graph(g, 6)
    senders = np.array([0, 3, 0, 5])
    which, friends = net.spread(senders)
    assert which.shape == friends.shape
    for pos, sender in enumerate(senders.tolist()):
        got = sorted(friends[which == pos].tolist())
        assert got == sorted(g.neighbors(sender)), (sender, got)
    assert which.size == sum(g.degree(s) for s in senders.tolist())


def test_spread_order_is_senders_then_csr_order(homes):
    """Pairs come sender by sender, each sender's friends in CSR order (the order the draws follow)."""
    g = build_graph(NetworkConfig(kind="spatial"), homes[:400], np.random.default_rng(5))
    net = SocialNetwork.from_graph(g, 400)
    senders = np.random.default_rng(6).integers(0, 400, 250)
    which, friends = net.spread(senders)
    want = [(pos, int(f)) for pos, s in enumerate(senders.tolist())
            for f in net.indices[net.indptr[s]:net.indptr[s + 1]]]
    assert list(zip(which.tolist(), friends.tolist(), strict=True)) == want
    assert which.dtype == np.int64 and friends.dtype == net.indices.dtype


def test_spread_of_nobody_and_of_isolated_nodes():
    g = _toy()
    g.add_node(6)
    net = SocialNetwork.from_graph(g, 7)
    which, friends = net.spread(np.empty(0, dtype=np.int64))
    assert which.size == friends.size == 0
    which, friends = net.spread(np.array([6]))
    assert friends.size == 0


def test_spread_matches_networkx_on_a_random_graph(homes):
    g = build_graph(NetworkConfig(kind="spatial"), homes[:500], np.random.default_rng(3))
    net = SocialNetwork.from_graph(g, 500)
    senders = np.random.default_rng(4).integers(0, 500, 300)
    which, friends = net.spread(senders)
    got = {}
    for w, f in zip(which.tolist(), friends.tolist(), strict=True):
        got.setdefault(w, []).append(f)
    for pos, s in enumerate(senders.tolist()):
        assert sorted(got.get(pos, [])) == sorted(g.neighbors(s))


@pytest.mark.parametrize("kind", GRAPH_KINDS)
def test_graph_kinds_have_the_configured_mean_degree(kind, homes):
    g = build_graph(NetworkConfig(kind=kind, mean_degree=8), homes, np.random.default_rng(1))
    assert g.number_of_nodes() == N
    assert not g.is_directed()
    assert nx.number_of_selfloops(g) == 0
    mean_degree = 2 * g.number_of_edges() / N
    assert mean_degree == pytest.approx(8, rel=0.15), mean_degree
    net = build_network(NetworkConfig(kind=kind, mean_degree=8), homes, np.random.default_rng(1))
    assert net.degree.mean() == pytest.approx(mean_degree)
    assert net.indices.size == 2 * g.number_of_edges()


def test_scale_free_has_hubs_small_world_does_not(homes):
    ba = build_network(NetworkConfig(kind="barabasi_albert"), homes, np.random.default_rng(1))
    ws = build_network(NetworkConfig(kind="watts_strogatz"), homes, np.random.default_rng(1))
    assert ba.degree.max() > 4 * ws.degree.max()


def test_spatial_friends_live_nearer_than_random_pairs(homes):
    g = build_graph(NetworkConfig(kind="spatial", long_tie_share=0.1), homes, np.random.default_rng(2))
    edges = np.array(g.edges())
    friend_d = np.linalg.norm(homes[edges[:, 0]] - homes[edges[:, 1]], axis=1).mean()
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, N, (2, 20000))
    random_d = np.linalg.norm(homes[a] - homes[b], axis=1).mean()
    assert friend_d < 0.5 * random_d


def test_long_ties_lengthen_spatial_friendships(homes):
    def mean_len(share):
        g = build_graph(NetworkConfig(kind="spatial", long_tie_share=share), homes,
                        np.random.default_rng(2))
        e = np.array(g.edges())
        return np.linalg.norm(homes[e[:, 0]] - homes[e[:, 1]], axis=1).mean()

    assert mean_len(0.5) > mean_len(0.0)


@pytest.mark.parametrize("kind", GRAPH_KINDS)
def test_graph_is_deterministic_given_the_stream(kind, homes):
    cfg = NetworkConfig(kind=kind)
    a = build_network(cfg, homes, np.random.default_rng(9))
    b = build_network(cfg, homes, np.random.default_rng(9))
    c = build_network(cfg, homes, np.random.default_rng(10))
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.indptr, b.indptr)
    assert not (np.array_equal(a.indptr, c.indptr) and np.array_equal(a.indices, c.indices))


def test_unknown_kind_is_refused(homes):
    with pytest.raises(ValueError, match="nope"):
        build_graph(NetworkConfig(kind="nope"), homes[:10], np.random.default_rng(0))


def test_complete_mixing_has_no_edges_and_draws_random_contacts():
    home = np.zeros((500, 2))
    net = build_network(NetworkConfig(kind="complete", mean_degree=4), home, np.random.default_rng(0))
    assert net.complete and net.indices.size == 0
    which, friends = net.spread(np.array([3, 7]))
    assert which.tolist() == [0] * 4 + [1] * 4
    assert ((friends >= 0) & (friends < 500)).all()
    with pytest.raises(ValueError, match="complete"):
        build_graph(NetworkConfig(kind="complete"), home, np.random.default_rng(0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spatial_network_built_straight_to_csr_equals_the_networkx_route(homes, seed):
    cfg = NetworkConfig(kind="spatial", long_tie_share=0.3)
    direct = build_network(cfg, homes, np.random.default_rng(seed))
    via_nx = SocialNetwork.from_graph(build_graph(cfg, homes, np.random.default_rng(seed)), homes.shape[0])
    np.testing.assert_array_equal(direct.indptr, via_nx.indptr)
    np.testing.assert_array_equal(direct.indices, via_nx.indices)


def test_nearest_neighbours_in_tree_order_equals_a_plain_query():
    from scipy.spatial import cKDTree

    from sim.world.social import nearest_neighbours

    xy = np.random.default_rng(2).random((5000, 2)) * 10
    _, plain = cKDTree(xy).query(xy, k=9)
    assert np.array_equal(nearest_neighbours(xy, 9), plain)
    assert (nearest_neighbours(xy, 9)[:, 0] == np.arange(5000)).all()


@pytest.fixture(scope="module")
def weighted(homes):
    """A spatial network whose strong ties (30%, by overlap) weigh 3."""
    cfg = NetworkConfig(kind="spatial", strong_tie_share=0.3)
    return build_network(cfg, homes, np.random.default_rng(7), 3.0)


def test_per_tie_reach_is_the_chance_times_the_ties_weight(weighted):
    senders = np.arange(200)
    which, friends, chance = pair_chances(weighted, senders, 0.2, "per_tie")
    edge = np.concatenate([np.arange(weighted.indptr[s], weighted.indptr[s + 1]) for s in senders])
    np.testing.assert_array_equal(chance, np.where(weighted.strong[edge], 0.2 * 3.0, 0.2))
    np.testing.assert_array_equal(friends, weighted.indices[edge])


def test_a_sender_tells_q_friends_whatever_its_degree(weighted):
    # the sender form divides each sharer's word among its friends by tie weight: it reaches q in expectation
    senders = np.flatnonzero(weighted.degree > 0)
    which, _, chance = pair_chances(weighted, senders, 0.7, "sender")
    told = np.bincount(which, weights=chance, minlength=senders.size)
    np.testing.assert_allclose(told, 0.7)
    assert np.ptp(weighted.degree[senders]) >= 5  # degrees differ, yet every sender tells 0.7 friends


def test_a_receiver_hears_with_q_times_the_weighted_share_of_friends_sharing(weighted):
    # the network Bass model: if every friend shares, a consumer's chances sum to q; if only its strong
    # friends share, to q x their share of its tie weight
    everyone = np.arange(weighted.degree.size)
    which, friends, chance = pair_chances(weighted, everyone, 0.5, "receiver")
    heard = np.bincount(friends, weights=chance, minlength=everyone.size)
    np.testing.assert_allclose(heard[weighted.degree > 0], 0.5)
    edge = np.arange(weighted.indices.size)  # every sender: the pairs are the CSR entries in order
    from_strong = np.bincount(friends[weighted.strong[edge]], weights=chance[weighted.strong[edge]],
                              minlength=everyone.size)
    strong_weight = np.bincount(friends, weights=np.where(weighted.strong[edge], 3.0, 0.0),
                                minlength=everyone.size)
    total = np.bincount(friends, weights=np.where(weighted.strong[edge], 3.0, 1.0), minlength=everyone.size)
    has = total > 0
    np.testing.assert_allclose(from_strong[has], 0.5 * strong_weight[has] / total[has])


def test_complete_mixing_reaches_each_contact_with_the_reach():
    cfg = NetworkConfig(kind="complete", mean_degree=4)
    net = build_network(cfg, np.zeros((300, 2)), np.random.default_rng(0))
    which, friends, chance = pair_chances(net, np.array([1, 2]), 0.3, "receiver")
    assert which.tolist() == [0] * 4 + [1] * 4 and (chance == 0.3).all()
