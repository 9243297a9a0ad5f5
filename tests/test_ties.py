"""sim.world.ties: neighbourhood overlap, strong ties chosen from the network's structure or at random."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.config import NetworkConfig
from sim.world.social import SocialNetwork, build_network
from sim.world.ties import overlap, strong_ties, tie_weights


def _csr(graph: nx.Graph) -> SocialNetwork:
    return SocialNetwork.from_graph(graph, graph.number_of_nodes())


def _rows(net: SocialNetwork) -> np.ndarray:
    return np.repeat(np.arange(net.indptr.size - 1), np.diff(net.indptr))


def test_overlap_equals_the_definition_on_a_random_graph():
    g = nx.gnm_random_graph(300, 1500, seed=4)
    net = _csr(g)
    got = overlap(net.indptr, net.indices)
    for x, (i, j) in enumerate(zip(_rows(net).tolist(), net.indices.tolist(), strict=True)):
        common = len(set(g[i]) & set(g[j]))
        others = (g.degree(i) - 1) + (g.degree(j) - 1) - common
        assert got[x] == pytest.approx(common / others if others else 0.0), (i, j)


def test_overlap_of_a_triangle_and_a_bridge():
    g = nx.Graph([(0, 1), (1, 2), (0, 2), (2, 3)])  # a triangle 0-1-2 and a bridge 2-3
    net = _csr(g)
    ties = zip(_rows(net).tolist(), net.indices.tolist(), strict=True)
    o = dict(zip(ties, overlap(net.indptr, net.indices), strict=True))
    assert o[(0, 1)] == pytest.approx(1.0)  # 0 and 1 share their only other friend
    assert o[(0, 2)] == pytest.approx(0.5)  # they share 1; 2 also knows 3
    assert o[(2, 3)] == 0.0 and o[(3, 2)] == 0.0  # the bridge is embedded in nothing


@pytest.mark.parametrize("how", ["overlap", "random"])
@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_strong_ties_are_symmetric_and_the_share_asked_for(how, share):
    net = _csr(nx.watts_strogatz_graph(2000, 8, 0.1, seed=1))
    strong = strong_ties(net.indptr, net.indices, share, how, np.random.default_rng(0))
    pairs = set(zip(_rows(net)[strong].tolist(), net.indices[strong].tolist(), strict=True))
    assert all((j, i) in pairs for i, j in pairs)
    assert strong.mean() == pytest.approx(share, abs=0.02)


def test_overlap_strong_ties_are_the_most_embedded_random_ones_are_not():
    net = _csr(nx.watts_strogatz_graph(3000, 8, 0.2, seed=2))
    o = overlap(net.indptr, net.indices)
    by_overlap = strong_ties(net.indptr, net.indices, 0.3, "overlap", np.random.default_rng(0))
    assert o[by_overlap].min() >= o[~by_overlap].max()
    at_random = strong_ties(net.indptr, net.indices, 0.3, "random", np.random.default_rng(0))
    assert o[at_random].mean() == pytest.approx(o.mean(), rel=0.1)
    assert o[by_overlap].mean() > 1.5 * o[at_random].mean()


def test_the_choice_is_given_by_the_stream():
    net = _csr(nx.watts_strogatz_graph(2000, 8, 0.1, seed=1))
    a, b, c = (strong_ties(net.indptr, net.indices, 0.3, "overlap", np.random.default_rng(s))
               for s in (5, 5, 6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    with pytest.raises(ValueError, match="tie_strength"):
        strong_ties(net.indptr, net.indices, 0.3, "nope", np.random.default_rng(0))


def test_tie_weights_sum_each_consumers_ties():
    g = nx.Graph([(0, 1), (0, 2), (1, 2), (2, 3)])
    g.add_node(4)  # no friends
    net = _csr(g)
    strong = np.zeros(net.indices.size, dtype=bool)
    strong[(_rows(net) == 0) & (net.indices == 1)] = strong[(_rows(net) == 1) & (net.indices == 0)] = True
    assert tie_weights(net.indptr, strong, 3.0).tolist() == [4.0, 4.0, 3.0, 1.0, 0.0]


def test_spatial_strong_ties_are_local_weak_ties_bridge_farther():
    homes = np.random.default_rng(0).uniform(0, 10, size=(4000, 2))
    net = build_network(NetworkConfig(kind="spatial", strong_tie_share=0.3), homes, np.random.default_rng(1))
    rows = _rows(net)
    km = np.linalg.norm(homes[rows] - homes[net.indices], axis=1)
    assert net.strong.mean() == pytest.approx(0.3, abs=0.01)
    assert km[~net.strong].mean() > 2 * km[net.strong].mean()  # Granovetter: weak ties are the bridges


def test_a_network_without_strong_ties_gives_every_tie_weight_one():
    homes = np.random.default_rng(0).uniform(0, 10, size=(500, 2))
    cfg = NetworkConfig(kind="spatial", strong_tie_share=0.0)
    net = build_network(cfg, homes, np.random.default_rng(1), 5.0)
    assert not net.strong.any()
    np.testing.assert_allclose(net.inv_weight[net.degree > 0], 1.0 / net.degree[net.degree > 0])


@pytest.mark.parametrize("seed", range(3))
def test_overlap_strong_ties_are_the_top_share_with_equal_overlaps_in_the_streams_order(seed):
    net = _csr(nx.watts_strogatz_graph(1500, 6, 0.3, seed=seed))  # many equal overlaps
    rows = _rows(net)
    upper = np.flatnonzero(rows < net.indices)
    u = np.random.default_rng(seed).random(upper.size)
    k = int(round(0.3 * upper.size))
    top = upper[np.lexsort((u, -overlap(net.indptr, net.indices)[upper]))[:k]]
    want = np.zeros(net.indices.size, dtype=bool)
    want[top] = True
    pairs = set(zip(rows[top].tolist(), net.indices[top].tolist(), strict=True))
    want |= [(j, i) in pairs for i, j in zip(rows.tolist(), net.indices.tolist(), strict=True)]
    got = strong_ties(net.indptr, net.indices, 0.3, "overlap", np.random.default_rng(seed))
    np.testing.assert_array_equal(got, want)
