"""The social network: networkx builders and the CSR adjacency used in the daily path.

Core objects:
    * :func:`build_graph` - a ``networkx.Graph`` of the kind named in the config:
      ``watts_strogatz`` (small world), ``barabasi_albert`` (scale free) or
      ``spatial`` (friends mostly among the nearest neighbours, with a share of
      long ties: spatial homophily). ``complete`` (everyone mixes with everyone,
      the Bass model's assumption) builds no graph at all.
    * :class:`SocialNetwork` - CSR arrays ``indptr``/``indices`` built once from
      the graph; :meth:`SocialNetwork.spread` expands a batch of senders to
      their friends without a Python loop over consumers.
    * :func:`hear_shares` - a day's word of mouth in one compiled pass: each sender's
      friends, whether each is reached (a sequential stream's uniforms, in that order),
      and what the reached hear (:meth:`sim.world.population.Population.hear`).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from sim.config import NetworkConfig
from sim.kernels.jit import njit
from sim.random.pcg import next_double
from sim.world.neighbours import k_nearest
from sim.world.population import hear_stores

__all__ = ["SocialNetwork", "build_graph", "build_network", "nearest_neighbours"]


@dataclass
class SocialNetwork:
    """Undirected friendship graph in CSR form.

    Attributes:
        indptr: (N + 1,) row pointers.
        indices: (2E,) neighbour ids, sorted within each row.
        complete: complete mixing - no edges; the model spreads word of mouth as a
            mean field (docs/ODD.md), and :meth:`spread` draws ``contacts`` random
            consumers per sender from ``rng``.
    """

    indptr: np.ndarray
    indices: np.ndarray
    complete: bool = False
    contacts: int = 0
    rng: np.random.Generator | None = None

    @classmethod
    def complete_mixing(cls, n: int, contacts: int, rng: np.random.Generator) -> SocialNetwork:
        """Complete mixing among ``n`` consumers: no edge list, random contacts on demand."""
        return cls(np.zeros(n + 1, dtype=np.int64), np.empty(0, dtype=np.int32), True, contacts, rng)

    @classmethod
    def from_graph(cls, graph: nx.Graph, n: int) -> SocialNetwork:
        """Convert a networkx graph on nodes ``0..n-1`` to CSR (once, at set-up)."""
        adj = nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr", dtype=np.int8)
        adj.sort_indices()
        return cls(adj.indptr.astype(np.int64), adj.indices.astype(np.int32))

    @classmethod
    def from_edges(cls, src: np.ndarray, dst: np.ndarray, n: int) -> SocialNetwork:
        """CSR straight from an undirected edge list (repeats merge), as :meth:`from_graph` gives."""
        from scipy import sparse

        rows, cols = np.concatenate([src, dst]), np.concatenate([dst, src])
        adj = sparse.coo_array((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n)).tocsr()
        adj.sum_duplicates()
        adj.sort_indices()
        return cls(adj.indptr.astype(np.int64), adj.indices.astype(np.int32))

    @property
    def degree(self) -> np.ndarray:
        """(N,) number of friends of each consumer."""
        return np.diff(self.indptr)

    def spread(self, senders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expand senders to (sender position, friend) pairs.

        Args:
            senders: (M,) consumer ids (repeats allowed).

        Returns:
            ``(which, friends)``: for every friend of every sender, the index into
            ``senders`` it came from and the friend's id. Under complete mixing the
            "friends" are ``contacts`` consumers drawn at random for each sender.
        """
        if self.complete:
            n = self.indptr.size - 1
            which = np.repeat(np.arange(senders.size), self.contacts)
            return which, self.rng.integers(0, n, size=which.size)
        return _spread(self.indptr, self.indices, np.asarray(senders, dtype=np.int64))


@njit(cache=True)
def _spread(indptr, indices, senders):
    """Each sender's friends in CSR order, senders in the given order: ``(which, friends)``."""
    total = 0
    for sender in senders:
        total += indptr[sender + 1] - indptr[sender]
    which = np.empty(total, dtype=np.int64)
    friends = np.empty(total, dtype=indices.dtype)
    at = 0
    for pos in range(senders.size):
        for x in range(indptr[senders[pos]], indptr[senders[pos] + 1]):
            which[at] = pos
            friends[at] = indices[x]
            at += 1
    return which, friends


@njit(cache=True)
def _word_of_mouth(indptr, indices, senders, share_store, share_valence, words, reach, k0, day, home_xy,
                   work_xy, store_xy, state):
    which, friends = _spread(indptr, indices, senders)
    n = friends.size
    heard_by = np.empty(n, dtype=np.int64)
    heard_of = np.empty(n, dtype=np.int64)
    valence = np.empty(n, dtype=np.float32)
    m = 0
    for r in range(n):  # every pair takes the stream's next uniform, in the order of the pairs
        if next_double(words) < reach:
            heard_by[m], heard_of[m], valence[m] = friends[r], share_store[which[r]], share_valence[which[r]]
            m += 1
    return hear_stores(heard_by[:m], heard_of[:m], valence[:m], k0, day, home_xy, work_xy, store_xy, state)


def hear_shares(network: SocialNetwork, pop, senders: np.ndarray, stores: np.ndarray, valence: np.ndarray,
                words: np.ndarray, reach: float, store_xy: np.ndarray, day: int) -> np.ndarray:
    """Yesterday's shares reach friends: :meth:`SocialNetwork.spread`, the reach draws, then the hearing.

    Each (sender, friend) pair of :meth:`~SocialNetwork.spread`, in its order, is reached when
    the stream's next uniform is below ``reach``; the reached friends hear of the share's
    store with its valence (:meth:`sim.world.population.Population.hear`, in the same order).

    Args:
        network: the friendships (not ``complete``: mean-field mixing draws its contacts apart).
        pop: the :class:`~sim.world.population.Population` (updated in place).
        senders: (M,) who shares; ``stores`` (M,) of which store; ``valence`` (M,) +1 or -1.
        stores: see ``senders``.
        valence: see ``senders``.
        words: the reach stream's :mod:`sim.random.pcg` state (advanced in place).
        reach: the chance a share reaches a friend.
        store_xy: (S, 2) store positions in km.
        day: today.

    Returns:
        The friends who heard (in order, repeats kept), as :meth:`~sim.world.population.Population.hear`.
    """
    return _word_of_mouth(network.indptr, network.indices, np.asarray(senders, dtype=np.int64),
                          np.asarray(stores, dtype=np.int64), valence.astype(np.float32, copy=False), words,
                          float(reach), pop.slots - pop.discovery_slots, day, pop.home_xy, pop.work_xy,
                          store_xy, pop.slot_state())


def _spatial_graph(
    cfg: NetworkConfig, home_xy: np.ndarray, rng: np.random.Generator
) -> nx.Graph:
    """Friends drawn among each consumer's nearest neighbours, plus random long ties."""
    src, dst = _spatial_edges(cfg, home_xy, rng)
    graph = nx.Graph()
    graph.add_nodes_from(range(home_xy.shape[0]))
    graph.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    return graph


def nearest_neighbours(xy: np.ndarray, k: int) -> np.ndarray:
    """(N, k) indices of each point's ``k`` nearest points (itself first), as ``cKDTree.query`` gives them.

    Found on a uniform grid in compiled code (:func:`sim.world.neighbours.k_nearest`, tested equal
    to the tree's answer): about twice as fast as the tree at 50,000 and 10^6 points.
    """
    return k_nearest(xy, k)


def _spatial_edges(cfg: NetworkConfig, home_xy: np.ndarray,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The spatial kind's edge list (undirected, possibly repeated, no self-loops)."""
    n = home_xy.shape[0]
    per_node = max(1, cfg.mean_degree // 2)
    pool = min(n - 1, per_node * cfg.neighbour_pool)
    near = nearest_neighbours(home_xy, pool + 1)[:, 1:]
    pick = np.argsort(rng.random((n, pool)), axis=1)[:, :per_node]
    friends = np.take_along_axis(near, pick, axis=1)
    long_tie = rng.random((n, per_node)) < cfg.long_tie_share
    friends = np.where(long_tie, rng.integers(0, n, size=(n, per_node)), friends)
    src = np.repeat(np.arange(n), per_node)
    dst = friends.ravel()
    keep = src != dst
    return src[keep], dst[keep]


def build_graph(cfg: NetworkConfig, home_xy: np.ndarray, rng: np.random.Generator) -> nx.Graph:
    """Build the friendship graph of the configured kind.

    Args:
        cfg: network config.
        home_xy: (N, 2) home positions in km (used by the spatial kind).
        rng: the "network" stream; networkx builders get an integer seed from it.

    Returns:
        An undirected ``networkx.Graph`` on nodes ``0..N-1``.
    """
    n = home_xy.shape[0]
    seed = int(rng.integers(2**31 - 1))
    if cfg.kind == "watts_strogatz":
        k = min(cfg.mean_degree, n - 1)
        return nx.watts_strogatz_graph(n, k, cfg.rewire_p, seed=seed)
    if cfg.kind == "barabasi_albert":
        m = max(1, min(cfg.mean_degree // 2, n - 1))
        return nx.barabasi_albert_graph(n, m, seed=seed)
    if cfg.kind == "spatial":
        return _spatial_graph(cfg, home_xy, rng)
    if cfg.kind == "complete":
        raise ValueError("network.kind 'complete' has no graph to build: use build_network")
    raise ValueError(f"unknown network.kind {cfg.kind!r}")


def build_network(cfg: NetworkConfig, home_xy: np.ndarray, rng: np.random.Generator) -> SocialNetwork:
    """Build the graph and convert it once to CSR (complete mixing: no graph)."""
    if cfg.kind == "complete":
        return SocialNetwork.complete_mixing(home_xy.shape[0], cfg.mean_degree, rng)
    if cfg.kind == "spatial":  # straight to CSR: the same graph without building it in networkx
        rng.integers(2**31 - 1)  # the draw build_graph makes for networkx's seed, so the stream matches
        return SocialNetwork.from_edges(*_spatial_edges(cfg, home_xy, rng), home_xy.shape[0])
    return SocialNetwork.from_graph(build_graph(cfg, home_xy, rng), home_xy.shape[0])
