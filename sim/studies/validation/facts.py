"""Stylized facts of the domain (docs/DOMAIN.md) as paired comparisons over seeds.

Core objects:
    * :class:`Fact` - two arms (lists of config overrides), the KPI compared, how
      (ratio B/A or difference B - A), and the band or sign it must show.
    * :class:`FactResult` - the per-seed KPI of both arms, the estimate, its 95%
      interval and whether the fact holds.
    * :data:`FACTS` - the facts checked (docs/VALIDATION.md).
    * :func:`evaluate` - runs a fact on common seeds; :func:`run_all` - all of them.

Both arms of a fact run on the same seeds, so they share the city, the people
and every random draw their strategies do not change (common random numbers);
intervals are paired t-intervals over seeds (on the log scale for ratios).
Configs come from a ``compose`` callable (overrides -> SimConfig) so this module
stays free of Hydra; ``sim.config.compose.load_config`` is the usual one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from sim.config import SimConfig
from sim.engine.model import O2OModel
from sim.outputs.results import summarize

__all__ = ["FACTS", "FACT_SCALE", "FACT_SEEDS", "Fact", "FactResult", "evaluate", "push_conversion",
           "run_all"]

#: Scale of the fact runs (behaviour stays at its defaults) and the number of paired seeds.
FACT_SCALE = ("population.size=4000", "stores.count=25", "days=35")
FACT_SEEDS = 10


def push_conversion(model: O2OModel) -> float:
    """Same-day purchases attributed to push on send days, per push sent (the push lever's)."""
    lever = next(lv for lv in model.levers if lv.name == "push_coupon")
    bought = sum(r["purchases_push"] for r in model.recorder.rows if lever.is_send_day(r["day"]))
    sent = int(lever.sent.sum())
    return bought / sent if sent else float("nan")


def _campaign_stores(model: O2OModel) -> np.ndarray:
    return next(lv for lv in model.levers if lv.name == "push_coupon").stores


def campaign_store_rating(model: O2OModel) -> float:
    """Mean public rating of the push campaign's participating stores after the last day."""
    return float(model.store_table.rating[_campaign_stores(model)].mean())


def _campaign_store_totals(model: O2OModel) -> dict[str, float]:
    part = _campaign_stores(model)
    rows = model.recorder.store_rows
    visits = float(sum(r["visits"][part].sum() for r in rows))
    balked = float(sum(r["balked"][part].sum() for r in rows))
    queued = [r["visits"][part] - r["balked"][part] for r in rows]
    wait_sum = float(sum(np.nansum(r["mean_wait_min"][part] * q) for r, q in zip(rows, queued, strict=True)))
    return {"visits": visits, "balked": balked, "queued": float(sum(q.sum() for q in queued)),
            "wait_sum": wait_sum}


def campaign_store_wait(model: O2OModel) -> float:
    """Mean wait (min) of the visits that queued at the participating stores."""
    t = _campaign_store_totals(model)
    return t["wait_sum"] / t["queued"] if t["queued"] else float("nan")


def campaign_store_balk_rate(model: O2OModel) -> float:
    """Share of visits to the participating stores that balked."""
    t = _campaign_store_totals(model)
    return t["balked"] / t["visits"] if t["visits"] else float("nan")


#: KPIs computed from the finished model rather than read from the summary.
MODEL_KPIS: dict[str, Callable[[O2OModel], float]] = {
    "push_conversion": push_conversion,
    "campaign_store_rating": campaign_store_rating,
    "campaign_store_wait": campaign_store_wait,
    "campaign_store_balk_rate": campaign_store_balk_rate,
}


@dataclass(frozen=True)
class Fact:
    """A stylized fact: arm B against arm A on one KPI.

    Attributes:
        name: short name.
        metric: the KPI (a summary key or a key of :data:`MODEL_KPIS`).
        label_a, label_b: arm labels.
        arm_a, arm_b: config overrides (``key=value`` strings) of each arm.
        kind: ``ratio`` (B / A) or ``difference`` (B - A).
        low, high: the band the estimate must lie in (``-inf``/``inf`` for a sign).
        reference: where the fact comes from.
        need_ci_excludes: the interval must exclude this value (1 for ratios, 0 for differences).
    """

    name: str
    metric: str
    label_a: str
    label_b: str
    arm_a: tuple[str, ...]
    arm_b: tuple[str, ...]
    kind: str
    low: float
    high: float
    reference: str
    need_ci_excludes: float | None = None
    common: tuple[str, ...] = field(default=())


@dataclass
class FactResult:
    """The outcome of one fact (see :func:`evaluate`)."""

    fact: Fact
    a: np.ndarray
    b: np.ndarray
    estimate: float
    lo: float
    hi: float
    passed: bool

    name = property(lambda self: self.fact.name)
    metric = property(lambda self: self.fact.metric)
    label_a = property(lambda self: self.fact.label_a)
    label_b = property(lambda self: self.fact.label_b)
    reference = property(lambda self: self.fact.reference)

    @property
    def tolerance(self) -> str:
        """The band, as text."""
        f = self.fact
        unit = "x" if f.kind == "ratio" else ""
        if np.isinf(f.low) and np.isinf(f.high):
            return "any"
        if np.isinf(f.high):
            text = f"> {f.low:g}{unit}"
        elif np.isinf(f.low):
            text = f"< {f.high:g}{unit}"
        else:
            text = f"in [{f.low:g}, {f.high:g}]{unit}"
        if f.need_ci_excludes is not None:
            text += f", 95% CI excluding {f.need_ci_excludes:g}"
        return text

    @property
    def estimate_text(self) -> str:
        """The estimate, as text."""
        return f"{self.estimate:.2f}x" if self.fact.kind == "ratio" else f"{self.estimate:+.4g}"

    @property
    def ci_text(self) -> str:
        """The 95% interval, as text."""
        if self.fact.kind == "ratio":
            return f"{self.lo:.2f}, {self.hi:.2f}"
        return f"{self.lo:+.4g}, {self.hi:+.4g}"


def _kpi(cfg: SimConfig, metric: str) -> float:
    model = O2OModel(cfg)
    for _ in range(cfg.days):
        model.step()
    if metric in MODEL_KPIS:
        return float(MODEL_KPIS[metric](model))
    return float(summarize(model)[metric])


def _interval(a: np.ndarray, b: np.ndarray, kind: str) -> tuple[float, float, float]:
    d = np.log(b / a) if kind == "ratio" else b - a
    n = d.size
    half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    mean = d.mean()
    if kind == "ratio":
        return float(np.exp(mean)), float(np.exp(mean - half)), float(np.exp(mean + half))
    return float(mean), float(mean - half), float(mean + half)


def evaluate(fact: Fact, seeds: range, compose: Callable[[list[str]], SimConfig],
             jobs: int = 1) -> FactResult:
    """Run both arms of ``fact`` on ``seeds`` and judge it.

    Args:
        fact: the fact.
        seeds: common seeds of both arms.
        compose: builds a validated config from override strings.
        jobs: parallel processes (joblib).

    Returns:
        The :class:`FactResult`.
    """
    from joblib import Parallel, delayed

    cfgs = [compose([*fact.common, *arm, f"seed={s}"]) for arm in (fact.arm_a, fact.arm_b) for s in seeds]
    values = np.array(Parallel(n_jobs=jobs)(delayed(_kpi)(c, fact.metric) for c in cfgs))
    a, b = values[:len(seeds)], values[len(seeds):]
    est, lo, hi = _interval(a, b, fact.kind)
    ok = fact.low <= est <= fact.high
    if fact.need_ci_excludes is not None:
        ok = ok and not (lo <= fact.need_ci_excludes <= hi)
    return FactResult(fact, a, b, est, lo, hi, bool(ok))


# the budget must not bind: a deep offer would otherwise sell out on its first send day
_GROUPON = ("campaign.push_coupon.audience=everyone", "stores.servers_min=2", "stores.servers_max=3",
            "campaign.push_coupon.budget=1000000")
_INF = float("inf")

#: The facts of DOMAIN.md checked with the default calibration.
FACTS: tuple[Fact, ...] = (
    Fact("context-aware push converts 3-5x a generic push", "push_conversion", "generic", "context",
         ("campaign.push_coupon.timing=fixed", "campaign.push_coupon.send_hour=8",
          "campaign.push_coupon.audience=everyone"),
         ("campaign.push_coupon.timing=context", "campaign.push_coupon.radius_km=1.0"),
         "ratio", 3.0, 5.0, "DOMAIN.md section 3 (lever 1)", 1.0),
    Fact("deep discount to everyone at low capacity: longer waits", "campaign_store_wait", "15% off",
         "60% off",
         ("campaign.push_coupon.discount=0.15",), ("campaign.push_coupon.discount=0.6",),
         "difference", 0.0, _INF, "DOMAIN.md section 6 (a deal that packs the store)", 0.0, _GROUPON),
    Fact("deep discount to everyone at low capacity: more balking", "campaign_store_balk_rate", "15% off",
         "60% off",
         ("campaign.push_coupon.discount=0.15",), ("campaign.push_coupon.discount=0.6",),
         "difference", 0.0, _INF, "DOMAIN.md section 6 (a deal that packs the store)", 0.0, _GROUPON),
    Fact("deep discount to everyone at low capacity: lower rating after", "campaign_store_rating", "15% off",
         "60% off", ("campaign.push_coupon.discount=0.15",), ("campaign.push_coupon.discount=0.6",),
         "difference", -_INF, 0.0, "DOMAIN.md section 6 (a deal that packs the store)", 0.0, _GROUPON),
    Fact("OMO raises the repeat rate", "repeat_rate", "O2O", "OMO", ("scenario=o2o_reference",),
         ("scenario=omo_full",), "difference", 0.0, _INF, "DOMAIN.md section 4", 0.0),
    Fact("OMO raises purchases from beyond walking distance", "share_beyond_walk", "O2O", "OMO",
         ("scenario=o2o_reference",), ("scenario=omo_full",), "difference", 0.0, _INF, "DOMAIN.md section 4",
         0.0),
    Fact("a higher spend threshold at the same face value lowers redemption", "redemption_rate",
         "spend 60 save 15", "spend 120 save 15",
         ("campaign.push_coupon.min_spend=60",), ("campaign.push_coupon.min_spend=120",),
         "difference", -_INF, 0.0, "DOMAIN.md section 3 (coupon design)", 0.0,
         ("campaign.push_coupon.coupon_kind=amount", "campaign.push_coupon.amount_off=15")),
)


def run_all(seeds: range, compose: Callable[[list[str]], SimConfig], jobs: int = 1,
            facts: tuple[Fact, ...] = FACTS) -> list[FactResult]:
    """Evaluate every fact on the same seeds."""
    return [evaluate(f, seeds, compose, jobs) for f in facts]
