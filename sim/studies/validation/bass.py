"""The Bass diffusion model and the engine's reduction to it.

Core functions:
    * :func:`closed_form` - ``F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})``.
    * :func:`discrete` - the discrete-time recursion the engine implements,
      ``F_k = F_{k-1} + (p + q F_{k-1}) (1 - F_{k-1}) dt`` on sub-steps of length
      ``dt`` (``dt = 1``: Bass's own discrete form, hazard ``p + q F`` per period).
    * :func:`simulate` - cumulative adopters of a run of the ``bass_docking``
      scenario (one value per sub-step, starting at 0).
    * :func:`fit` - p and q recovered from a cumulative curve by least squares on
      the same recursion.
    * :func:`binomial_chain` - the ideal stochastic Bass process with ``N`` consumers:
      the sampling-error yardstick for the tolerances.
    * :func:`study` - all docking statistics of one (p, q) over seeds.
    * :func:`pass_probability` - how often a perfect implementation meets a
      percentile criterion, given its sampling error.

In the engine a day is one sub-step: the ad is read with chance ``p dt``
(``campaign.ads.click_rate``) and word of mouth, under complete mixing, reaches a
consumer with chance ``q dt F`` (``behavior.share_reach`` x adopters / N); the two
causes are exclusive within a sub-step, so the hazard is exactly
``(p + q F) dt`` (see ``O2OModel._mean_field_contacts``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import least_squares

from sim.config import SimConfig
from sim.engine.model import O2OModel

__all__ = ["bass_config", "binomial_chain", "closed_form", "discrete", "fit", "pass_probability", "simulate",
           "study"]


def closed_form(p: float, q: float, t: np.ndarray) -> np.ndarray:
    """Bass's continuous-time cumulative adoption share at times ``t`` (periods)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def discrete(p: float, q: float, steps: int, dt: float = 1.0) -> np.ndarray:
    """The discrete recursion ``F_k = F_{k-1} + min(1, (p + q F_{k-1}) dt) (1 - F_{k-1})``.

    Args:
        p: coefficient of innovation (external influence), per period.
        q: coefficient of imitation (word of mouth), per period.
        steps: number of sub-steps.
        dt: sub-step length in periods.

    Returns:
        (steps + 1,) cumulative share adopted, starting at ``F_0 = 0``.
    """
    f = np.zeros(steps + 1)
    for k in range(1, steps + 1):
        f[k] = f[k - 1] + min(1.0, (p + q * f[k - 1]) * dt) * (1.0 - f[k - 1])
    return f


def bass_config(base: SimConfig, p: float, q: float, periods: float, dt: float = 1.0,
                seed: int | None = None) -> SimConfig:
    """The Bass scenario ``base`` set to (p, q) on sub-steps of ``dt`` for ``periods`` periods."""
    if not (0 < dt <= 1):
        raise ValueError(f"dt={dt!r}; allowed: a sub-step length in (0, 1]")
    if p <= 0 or q < 0 or (p + q) * dt > 1:
        raise ValueError(f"(p, q, dt)=({p}, {q}, {dt}); allowed: p > 0, q >= 0, (p + q) dt <= 1")
    cfg = dataclasses.replace(base, days=int(round(periods / dt)),
                              seed=base.seed if seed is None else seed)
    cfg.campaign = dataclasses.replace(base.campaign,
                                       ads=dataclasses.replace(base.campaign.ads, click_rate=p * dt))
    cfg.behavior = dataclasses.replace(base.behavior, share_reach=q * dt)
    return cfg


def simulate(cfg: SimConfig) -> np.ndarray:
    """Cumulative share of adopters after each day of a Bass-docking run.

    Returns:
        (days + 1,) share of consumers who have adopted, starting at 0.
    """
    if cfg.behavior.adoption != "once":
        raise ValueError("behavior.adoption must be 'once' for a diffusion curve (use the bass_docking "
                         "scenario)")
    model = O2OModel(cfg)
    share = np.zeros(cfg.days + 1)
    for day in range(cfg.days):
        model.step()
        share[day + 1] = float((model.adopted_store >= 0).mean())
    return share


def fit(curve: np.ndarray, dt: float = 1.0, start: tuple[float, float] = (0.01, 0.3)) -> tuple[float, float]:
    """Least-squares (p, q) of the discrete recursion to a cumulative adoption curve.

    Args:
        curve: (steps + 1,) cumulative share, ``curve[0] = 0``.
        dt: the sub-step length the curve was sampled at.
        start: initial guess.

    Returns:
        The fitted ``(p, q)``.
    """
    steps = curve.size - 1

    def residual(x):
        return discrete(x[0], x[1], steps, dt) - curve

    upper = (1.0 / dt, 1.0 / dt)
    res = least_squares(residual, x0=np.array(start), bounds=((1e-6, 0.0), upper), x_scale="jac")
    return float(res.x[0]), float(res.x[1])


def binomial_chain(p: float, q: float, n: int, steps: int, dt: float, rng: np.random.Generator) -> np.ndarray:
    """The ideal stochastic Bass process with ``n`` consumers, whose mean is the recursion.

    Each sub-step, each of the ``n (1 - F)`` non-adopters adopts with chance
    ``min(1, (p + q F) dt)`` (a binomial draw).

    Its spread around :func:`discrete` is the sampling error a correct engine must show, which is
    what the docking tolerances are judged against.
    """
    adopted = 0
    f = np.zeros(steps + 1)
    for k in range(1, steps + 1):
        hazard = min(1.0, (p + q * adopted / n) * dt)
        adopted += int(rng.binomial(n - adopted, hazard))
        f[k] = adopted / n
    return f


def study(base: SimConfig, p: float, q: float, periods: float, seeds: range, dt: float = 1.0,
          chain_draws: int = 2000) -> dict:
    """Docking statistics of one (p, q) over seeds: deviations from both Bass forms and the fits.

    Args:
        base: the ``bass_docking`` config (its population size is N).
        p: coefficient of innovation per period.
        q: coefficient of imitation per period.
        periods: simulated periods.
        seeds: engine seeds.
        dt: sub-step length.
        chain_draws: replicates of :func:`binomial_chain` for the sampling-error reference.

    Returns:
        ``max_dev_discrete`` and ``max_dev_closed`` (one per seed: max over time of
        ``|F_sim - F|``), ``p_fit`` and ``q_fit`` per seed and ``p_fit_mean``/``q_fit_mean`` (fitted
        to the mean curve), ``chain_max_dev_discrete`` (the same statistic for ``chain_draws``
        ideal processes), ``mean_curve`` and ``t`` (periods).
    """
    steps = int(round(periods / dt))
    n = base.population.size
    t = np.arange(steps + 1) * dt
    ref_discrete, ref_closed = discrete(p, q, steps, dt), closed_form(p, q, t)
    curves = np.array([simulate(bass_config(base, p, q, periods, dt, seed=s)) for s in seeds])
    fits = np.array([fit(c, dt) for c in curves])
    mean_fit = fit(curves.mean(axis=0), dt)
    rng = np.random.default_rng([int(p * 1e6), int(q * 1e6), n, steps])
    chain = np.array([binomial_chain(p, q, n, steps, dt, rng) for _ in range(chain_draws)])
    return {
        "p": p, "q": q, "dt": dt, "periods": periods, "consumers": n, "seeds": len(seeds),
        "max_dev_discrete": np.abs(curves - ref_discrete).max(axis=1),
        "max_dev_closed": np.abs(curves - ref_closed).max(axis=1),
        "chain_max_dev_discrete": np.abs(chain - ref_discrete).max(axis=1),
        "p_fit": fits[:, 0], "q_fit": fits[:, 1], "p_fit_mean": mean_fit[0], "q_fit_mean": mean_fit[1],
        "mean_curve": curves.mean(axis=0), "t": t,
    }


def pass_probability(chain_stat: np.ndarray, seeds: int, threshold: float, draws: int = 4000,
                     rng: np.random.Generator | None = None) -> float:
    """Chance that a perfect implementation meets "p95 over ``seeds`` runs <= threshold".

    Resamples ``seeds`` values of the ideal process's statistic (``chain_stat``) ``draws`` times.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    picks = rng.choice(chain_stat, size=(draws, seeds))
    return float((np.percentile(picks, 95, axis=1) <= threshold).mean())
