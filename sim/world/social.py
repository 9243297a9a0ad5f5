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
    * :func:`pair_chances` - each (sender, friend) pair's chance of being reached, by the
      word-of-mouth form (``wom.form``): ``per_tie`` (every tie with chance ``reach`` x its
      weight), ``sender`` (each sender's word divided among its friends by tie weight) or
      ``receiver`` (the network Bass model: a friend's chance divided by the friend's own
      summed tie weight, so a consumer's hazard is ``reach`` x the weighted share of friends
      sharing). Strong ties (:mod:`sim.world.ties`) weigh ``wom.strong_tie_weight``, weak ties 1.
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
from sim.world.ties import strong_ties, tie_weights

__all__ = ["FORM_CODES", "SocialNetwork", "build_graph", "build_network", "hear_shares", "nearest_neighbours",
           "pair_chances"]

#: ``wom.form`` as the integer the compiled passes take.
FORM_CODES = {"receiver": 0, "sender": 1, "per_tie": 2}
_RECEIVER, _SENDER, _PER_TIE = FORM_CODES["receiver"], FORM_CODES["sender"], FORM_CODES["per_tie"]


@dataclass
class SocialNetwork:
    """Undirected friendship graph in CSR form.

    Attributes:
        indptr: (N + 1,) row pointers.
        indices: (2E,) neighbour ids, sorted within each row.
        complete: complete mixing - no edges; the model spreads word of mouth as a
            mean field (docs/ODD.md), and :meth:`spread` draws ``contacts`` random
            consumers per sender from ``rng``.
        strong: (2E,) which CSR entries are strong ties (:mod:`sim.world.ties`); both entries
            of a tie agree. All weak when not set.
        strong_weight: a strong tie's weight in carrying a share (a weak tie weighs 1), set by
            :meth:`weigh`.
        inv_weight: (N,) 1 / each consumer's summed tie weight (0 without friends), set by :meth:`weigh`.
    """

    indptr: np.ndarray
    indices: np.ndarray
    complete: bool = False
    contacts: int = 0
    rng: np.random.Generator | None = None
    strong: np.ndarray | None = None
    strong_weight: float = 1.0
    inv_weight: np.ndarray | None = None

    def __post_init__(self):
        if self.strong is None:
            self.strong = np.zeros(self.indices.size, dtype=bool)
        if self.inv_weight is None:
            self.weigh(self.strong_weight)

    def weigh(self, strong_weight: float) -> SocialNetwork:
        """Give strong ties ``strong_weight`` (weak ties 1) and each consumer its summed weight's inverse."""
        self.strong_weight = float(strong_weight)
        total = tie_weights(self.indptr, self.strong, self.strong_weight)
        with np.errstate(divide="ignore"):
            self.inv_weight = np.where(total > 0, 1.0 / total, 0.0)
        return self

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
def _chance(form, reach, weight, inv_weight, sender, friend):
    """A (sender, friend) pair's chance of being reached, by the word-of-mouth form."""
    if form == _PER_TIE:
        return reach * weight
    if form == _SENDER:
        return reach * weight * inv_weight[sender]
    return reach * weight * inv_weight[friend]


@njit(cache=True)
def _word_of_mouth(indptr, indices, strong, strong_weight, inv_weight, form, strong_influence, senders,
                   share_store, share_valence, words, reach, k0, day, home_xy, work_xy, store_xy, state):
    total = 0
    for sender in senders:
        total += indptr[sender + 1] - indptr[sender]
    heard_by = np.empty(total, dtype=np.int64)
    heard_of = np.empty(total, dtype=np.int64)
    valence = np.empty(total, dtype=np.float32)
    influence = np.float32(strong_influence)
    m = 0
    for pos in range(senders.size):  # pairs sender by sender, each sender's friends in CSR order
        s = senders[pos]
        for x in range(indptr[s], indptr[s + 1]):
            f = indices[x]
            weight = strong_weight if strong[x] else 1.0
            # every pair takes the stream's next uniform, in the order of the pairs
            if next_double(words) < _chance(form, reach, weight, inv_weight, s, f):
                heard_by[m], heard_of[m] = f, share_store[pos]
                valence[m] = share_valence[pos] * influence if strong[x] else share_valence[pos]
                m += 1
    return hear_stores(heard_by[:m], heard_of[:m], valence[:m], k0, day, home_xy, work_xy, store_xy, state)


def hear_shares(network: SocialNetwork, pop, senders: np.ndarray, stores: np.ndarray, valence: np.ndarray,
                words: np.ndarray, reach: float, store_xy: np.ndarray, day: int, form: str = "per_tie",
                strong_influence: float = 1.0) -> np.ndarray:
    """Yesterday's shares reach friends: each pair's reach draw, then the hearing.

    The (sender, friend) pairs are taken sender by sender, each sender's friends in CSR order
    (as :meth:`~SocialNetwork.spread`); a pair is reached when the stream's next uniform is below
    its chance (:func:`pair_chances`); the reached friends hear of the share's store with its
    valence, times ``strong_influence`` over a strong tie
    (:meth:`sim.world.population.Population.hear`, in the same order).

    Args:
        network: the friendships (not ``complete``: mean-field mixing draws its contacts apart).
        pop: the :class:`~sim.world.population.Population` (updated in place).
        senders: (M,) who shares; ``stores`` (M,) of which store; ``valence`` (M,) the share's
            social proof (float32).
        stores: see ``senders``.
        valence: see ``senders``.
        words: the reach stream's :mod:`sim.random.pcg` state (advanced in place).
        reach: ``behavior.share_reach``.
        store_xy: (S, 2) store positions in km.
        day: today.
        form: ``wom.form`` (``receiver``, ``sender`` or ``per_tie``).
        strong_influence: social proof of a share heard over a strong tie, relative to a weak tie's.

    Returns:
        The friends who heard (in order, repeats kept), as :meth:`~sim.world.population.Population.hear`.
    """
    return _word_of_mouth(network.indptr, network.indices, network.strong, float(network.strong_weight),
                          network.inv_weight, FORM_CODES[form], float(strong_influence),
                          np.asarray(senders, dtype=np.int64), np.asarray(stores, dtype=np.int64),
                          valence.astype(np.float32, copy=False), words, float(reach),
                          pop.slots - pop.discovery_slots, day, pop.home_xy, pop.work_xy, store_xy,
                          pop.slot_state())


@njit(cache=True)
def _pair_chances(indptr, indices, strong, strong_weight, inv_weight, form, reach, senders):
    which, friends = _spread(indptr, indices, senders)
    chance = np.empty(friends.size)
    at = 0
    for pos in range(senders.size):
        s = senders[pos]
        for x in range(indptr[s], indptr[s + 1]):
            weight = strong_weight if strong[x] else 1.0
            chance[at] = _chance(form, reach, weight, inv_weight, s, indices[x])
            at += 1
    return which, friends, chance


def pair_chances(network: SocialNetwork, senders: np.ndarray, reach: float,
                 form: str = "per_tie") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each (sender, friend) pair of :meth:`~SocialNetwork.spread` and its chance of being reached.

    With ``w`` the tie's weight (1 weak, ``strong_weight`` strong) and ``W_c`` consumer ``c``'s
    summed tie weight, the chance is ``reach x w`` (``per_tie``), ``reach x w / W_sender``
    (``sender``: each sharer tells ``reach`` friends in expectation, as under complete mixing) or
    ``reach x w / W_friend`` (``receiver``: the network Bass model). A chance above 1 always
    reaches. Under complete mixing every pair has chance ``reach``.

    Returns:
        ``(which, friends, chance)``: the index into ``senders`` of each pair, the friend, the chance.
    """
    senders = np.asarray(senders, dtype=np.int64)
    if network.complete:
        which, friends = network.spread(senders)
        return which, friends, np.full(friends.size, float(reach))
    return _pair_chances(network.indptr, network.indices, network.strong, float(network.strong_weight),
                         network.inv_weight, FORM_CODES[form], float(reach), senders)


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


def build_network(cfg: NetworkConfig, home_xy: np.ndarray, rng: np.random.Generator,
                  strong_weight: float = 1.0) -> SocialNetwork:
    """Build the graph, convert it once to CSR and mark its strong ties (complete mixing: no graph).

    The strong ties (``cfg.strong_tie_share``, chosen as ``cfg.tie_strength`` says:
    :func:`sim.world.ties.strong_ties`) are drawn from ``rng`` after the graph, so the graph
    does not depend on them. ``strong_weight``: a strong tie's weight in carrying a share.
    """
    if cfg.kind == "complete":
        return SocialNetwork.complete_mixing(home_xy.shape[0], cfg.mean_degree, rng)
    if cfg.kind == "spatial":  # straight to CSR: the same graph without building it in networkx
        rng.integers(2**31 - 1)  # the draw build_graph makes for networkx's seed, so the stream matches
        net = SocialNetwork.from_edges(*_spatial_edges(cfg, home_xy, rng), home_xy.shape[0])
    else:
        net = SocialNetwork.from_graph(build_graph(cfg, home_xy, rng), home_xy.shape[0])
    net.strong = strong_ties(net.indptr, net.indices, cfg.strong_tie_share, cfg.tie_strength, rng)
    return net.weigh(strong_weight)
