"""Word of mouth against the literature: network diffusion bounded by complete mixing, and its share of sales.

Core functions:
    * :func:`complete_graph` - the complete friendship graph as a
      :class:`~sim.world.social.SocialNetwork` (every pair of consumers friends), for the network
      path of word of mouth to be docked with Bass.
    * :func:`network_curve` - cumulative adopters of a ``bass_docking`` run whose word of mouth
      travels a network (the config's ``network.kind``, or a given graph) instead of the
      mean field.
    * :func:`independent_causes` - the Bass recursion when promotion and word of mouth are
      independent causes within a day, as on a network: hazard ``1 - (1 - p)(1 - q/(N - 1))^A``.
    * :func:`diffusion_gap` - paired over seeds, how far a network's adoption curve runs ahead of
      another's (Fibich & Gibori 2010: the fully connected Bass model bounds diffusion on any
      spatial structure from above).
    * :func:`causal_share` - the share of purchases word of mouth causes: the same seeds run with
      and without it (``behavior.share_reach = 0``), with the run's ``loop_gain`` beside it.
    * :func:`load_target` - the published share of sales word of mouth drives, with its source
      (``data/word_of_mouth.json``).
    * :func:`network_study` - adoption curves of the Bass reduction on a scale-free network, one per
      word-of-mouth form, and on the complete graph, over common seeds.
    * :func:`band_pass_probability` - the chance an estimate with a given standard error lands in a
      tolerance band, for a check's power.

The causal share is measured as the marketing-mix studies behind the target measure it: the
sales that would be missing without word of mouth, over all sales. ``loop_gain`` is an
attribution: purchases made while a friend's share still weighs at least
``SHARE_ATTRIBUTION_WEIGHT`` in the consumer's mind (two days), per other purchase.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sim.config import SimConfig
from sim.engine.model import O2OModel
from sim.world.social import SocialNetwork

__all__ = ["band_pass_probability", "causal_share", "complete_graph", "diffusion_gap", "independent_causes",
           "load_target", "network_curve", "network_study"]

DATA = Path(__file__).resolve().parent / "data" / "word_of_mouth.json"


def load_target() -> dict:
    """The published share of sales driven by word of mouth, with source and notes."""
    return json.loads(DATA.read_text())


def complete_graph(n: int) -> SocialNetwork:
    """Every pair of ``n`` consumers friends, as CSR (all ties weak)."""
    i, j = np.triu_indices(n, k=1)
    return SocialNetwork.from_edges(i.astype(np.int64), j.astype(np.int64), n)


def network_curve(cfg: SimConfig, network: SocialNetwork | None = None) -> np.ndarray:
    """Cumulative share of adopters after each day of a Bass-docking run on a network.

    Args:
        cfg: a ``bass_docking`` config (``behavior.adoption: once``) with ``network.kind`` a graph
            kind (or any kind when ``network`` is given).
        network: a network to use instead of the one the config builds (e.g. :func:`complete_graph`);
            its strong ties weigh ``wom.strong_tie_weight``.

    Returns:
        (days + 1,) share of consumers who have adopted, starting at 0.
    """
    if cfg.behavior.adoption != "once":
        raise ValueError("behavior.adoption must be 'once' for a diffusion curve (use the bass_docking "
                         "scenario)")
    if network is None and cfg.network.kind == "complete":
        raise ValueError("network.kind 'complete' is the mean field: give a graph kind or a network")
    model = O2OModel(cfg)
    if network is not None:
        if model.day != 0 or network.indptr.size != model.population.size + 1:
            raise ValueError("the network must cover the population, and the run have no warm-up")
        model.network = network.weigh(cfg.wom.strong_tie_weight)
    share = np.zeros(cfg.days + 1)
    for day in range(cfg.days):
        model.step()
        share[day + 1] = float((model.adopted_store >= 0).mean())
    return share


def independent_causes(p: float, q: float, n: int, steps: int) -> np.ndarray:
    """Bass's recursion on the complete graph, promotion and word of mouth independent within a day.

    Each of the ``A = F N`` adopters reaches each non-adopter with chance ``q / (N - 1)``
    (degree-normalised word of mouth on the complete graph), and the ad with chance ``p``
    independently: ``F_t = F + (1 - (1 - p)(1 - q / (N - 1))^(F N)) (1 - F)``. It differs from
    Bass's ``p + q F`` by about ``p q F`` a day.
    """
    f = np.zeros(steps + 1)
    for k in range(1, steps + 1):
        hazard = 1.0 - (1.0 - p) * (1.0 - q / (n - 1)) ** (f[k - 1] * n)
        f[k] = f[k - 1] + hazard * (1.0 - f[k - 1])
    return f


def diffusion_gap(curves_a: np.ndarray, curves_b: np.ndarray) -> dict:
    """How far curves ``a`` run ahead of curves ``b``, paired by seed (rows).

    Returns:
        ``gap`` (mean of ``a - b`` on days 1, 2, ...), ``se`` (its standard error over seeds),
        ``ahead`` (the largest ``gap - 3 se``: above 0 means ``a`` is ahead by more than three standard
        errors on some day), ``max_gap``, its ``day`` and ``se_at_max``.
    """
    diff = (np.asarray(curves_a) - np.asarray(curves_b))[:, 1:]  # day 0: nobody has adopted in either
    gap = diff.mean(axis=0)
    se = diff.std(axis=0, ddof=1) / np.sqrt(diff.shape[0])
    day = int(np.argmax(gap))
    return {"gap": gap, "se": se, "ahead": float(np.max(gap - 3 * se)), "max_gap": float(gap[day]),
            "day": day + 1, "se_at_max": float(se[day])}


def _purchases(cfg: SimConfig) -> tuple[int, float, float]:
    from sim.outputs.results import summarize

    model = O2OModel(cfg)
    while model.running:
        model.step()
    s = summarize(model)
    return int(s["purchases"]), float(s["loop_gain"]), float(s["purchases_share"] / max(s["purchases"], 1))


def causal_share(compose: Callable[[list[str]], SimConfig], seeds, overrides: tuple[str, ...] = (),
                 jobs: int = 1) -> dict:
    """The share of purchases word of mouth causes, paired over seeds.

    Each seed runs twice on the same city, people and draws: as configured, and with
    ``behavior.share_reach = 0`` (shares reach nobody; everything else, reviews and ratings
    included, unchanged). The causal share of a seed is ``1 - purchases without / purchases with``.

    Args:
        compose: override strings -> :class:`~sim.config.SimConfig` (e.g. ``sim.config.compose.load_config``).
        seeds: the seeds.
        overrides: overrides of both arms.
        jobs: parallel processes (joblib).

    Returns:
        ``share`` (per seed), ``mean``, ``se`` (between-seed standard error), ``pooled``
        (``1 - sum without / sum with``), ``loop_gain`` and ``attributed`` (share-attributed
        purchases over all) per seed, ``with`` and ``without`` purchases per seed.
    """
    from joblib import Parallel, delayed

    configs = []
    for seed in seeds:
        base = compose([*overrides, f"seed={seed}"])
        silent = dataclasses.replace(base.behavior, share_reach=0.0)
        configs += [base, dataclasses.replace(base, behavior=silent)]
    out = Parallel(n_jobs=jobs)(delayed(_purchases)(c) for c in configs)
    with_wom = np.array([o[0] for o in out[0::2]], dtype=float)
    without = np.array([o[0] for o in out[1::2]], dtype=float)
    share = 1.0 - without / with_wom
    return {"share": share, "mean": float(share.mean()),
            "se": float(share.std(ddof=1) / np.sqrt(share.size)) if share.size > 1 else float("nan"),
            "pooled": float(1.0 - without.sum() / with_wom.sum()),
            "loop_gain": np.array([o[1] for o in out[0::2]]),
            "attributed": np.array([o[2] for o in out[0::2]]), "with": with_wom, "without": without}


def network_study(compose: Callable[[list[str]], SimConfig], n: int, p: float, q: float, periods: int, seeds,
                  forms: tuple[str, ...] = ("receiver", "sender", "per_tie"), kind: str = "barabasi_albert",
                  mean_degree: int = 8) -> dict:
    """Bass-reduction adoption curves on a network, by word-of-mouth form, and on the complete graph.

    Every run is the ``bass_docking`` scenario with ``n`` consumers, ad reach ``p`` and
    ``share_reach = q`` per day, all ties weak. The complete graph's word of mouth is degree
    normalised (``wom.form: receiver``; on the complete graph every normalisation is the same), and
    travels the same compiled path as the network's, so only the topology differs.

    Returns:
        ``{form: (seeds, periods + 1) curves}`` for each form on the ``kind`` network, and
        ``"complete_graph"``.
    """
    base = ["scenario=bass_docking", f"population.size={n}", f"days={periods}", "network.strong_tie_share=0",
            f"campaign.ads.click_rate={p}", f"behavior.share_reach={q}"]
    graph = complete_graph(n)
    out = {"complete_graph": np.array([network_curve(compose([*base, "network.kind=watts_strogatz",
                                                              "wom.form=receiver", f"seed={s}"]), graph)
                                       for s in seeds])}
    for form in forms:
        out[form] = np.array([network_curve(compose([*base, f"network.kind={kind}",
                                                     f"network.mean_degree={mean_degree}", f"wom.form={form}",
                                                     f"seed={s}"])) for s in seeds])
    return out


def band_pass_probability(true: float, se: float, low: float, high: float) -> float:
    """P(low <= estimate <= high) for a normal estimate with mean ``true`` and standard error ``se``."""
    from scipy.stats import norm

    return float(norm.cdf((high - true) / se) - norm.cdf((low - true) / se))
