"""Paired comparison of two configurations with common random numbers, and its money.

Core objects:
    * :func:`compare` - runs A and B on the same seeds (so they share every
      random draw wherever their strategies do not differ) and returns a
      :class:`Comparison`.
    * :class:`Comparison` - per-run summaries of both arms; :meth:`Comparison.table`:
      for each KPI the means, the paired difference B - A with its 95%
      t-interval, the half-width an independent-seeds design would have had,
      and how much narrower the paired interval is; then the money ratios
      (:func:`ratio_of_means`) and the campaign's dynamics (:data:`DYNAMICS_RATIOS`: what
      follows the campaign, per extra purchase during it). :meth:`Comparison.verdict`:
      plain sentences first.
    * :func:`ratio_of_means` - a ratio of two mean paired differences with Fieller's 95%
      interval, "n/a" when the denominator's difference is not significant.
    * :func:`config_differences` - the settings outside the campaign in which two
      configurations differ (what a comparison would mix into the campaign's effect).
    * :func:`without_levers` - a configuration's matching baseline: the same city,
      people, stores and brand, with every lever off.
    * :func:`arm_config` - one arm as a strategist writes it: a scenario name, a YAML
      file, or ``baseline:`` either, with its own settings.

Why paired: with common random numbers ``Var(B - A) = Var(A) + Var(B) -
2 Cov(A, B)``; the covariance is large when both arms see the same city,
people and daily draws, so far fewer replications give the same precision.
The independent-seeds half-width is estimated from the same runs as
``t * sqrt(s_A^2 + s_B^2) / sqrt(n)``: what comparing unpaired runs would give.

Why ratios of totals: a per-seed ratio such as ``extra spend / extra customers``
explodes when a seed's denominator is near 0, so every money ratio here is
``mean(d_num) / mean(d_den)`` over the paired differences (the ratio of the total
differences), never the mean of per-seed ratios.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.config import SimConfig, to_dict, validate
from sim.config.resources import check_resources
from sim.engine.runner import run
from sim.studies.verdict import NOT_SIGNIFICANT, verdict

__all__ = ["DEFAULT_KPIS", "DYNAMICS_RATIOS", "MONEY_RATIOS", "NOT_SIGNIFICANT", "Comparison", "arm_config",
           "compare", "config_differences", "kpi_unit", "paired_table", "ratio_of_means", "without_levers"]

DEFAULT_KPIS = (
    "brand_visits", "brand_purchases", "brand_customers", "brand_spend", "brand_contribution",
    "others_contribution", "platform_contribution", "visits", "purchases", "unique_customers", "redemptions",
    "revenue", "campaign_spend", "repeat_rate", "mean_wait_min", "balk_rate", "final_mean_rating",
    "brand_purchases_per_day_campaign", "brand_purchases_per_day_after", "deal_return_rate", "expiry_spike",
)

#: The money ratios of a comparison: name -> (numerator KPI, denominator KPI, meaning).
MONEY_RATIOS = {
    "incremental_roi": ("brand_contribution", "brand_spend",
                        "the brand's incremental profit per unit of extra spend"),
    "cac": ("brand_spend", "brand_customers", "extra spend per extra brand customer"),
    "cost_per_incremental_visit": ("brand_spend", "brand_visits", "extra spend per extra brand visit"),
}

#: Ratios of a campaign's dynamics: name -> (numerator KPI, denominator KPI, meaning).
DYNAMICS_RATIOS = {
    "post_promotion_ratio": ("brand_purchases_per_day_after", "brand_purchases_per_day_campaign",
                             "extra brand purchases a day after the campaign per extra one during it: "
                             "below 0 a post-promotion dip, 0 to 1 a fading carry-over"),
}

_MONEY_KPIS = {"brand_spend", "brand_contribution", "others_contribution", "platform_contribution", "revenue",
               "campaign_spend", "cac", "cost_per_incremental_visit"}


def kpi_unit(kpi: str, currency: str) -> str:
    """Unit of a KPI in reports (money in the run's currency)."""
    if kpi in _MONEY_KPIS:
        return currency
    if kpi == "incremental_roi":
        return f"{currency} per {currency} spent"
    if kpi == "final_mean_rating":
        return "stars"
    if kpi.endswith("_per_day_campaign") or kpi.endswith("_per_day_after"):
        return "count per day"
    if kpi in DYNAMICS_RATIOS or kpi == "expiry_spike":
        return "ratio"
    if kpi.endswith("_rate"):
        return "ratio"
    return "min" if kpi.endswith("_min") else "count"


def ratio_of_means(num, den, level: float = 0.95) -> dict:
    """``mean(num) / mean(den)`` of paired differences, with Fieller's interval.

    Fieller's theorem treats ``mean(num) - R mean(den)`` as a t variable (n - 1 degrees of
    freedom, with the sample covariance of the pairs). The interval is bounded exactly
    when the denominator's own t-test rejects 0 at the same level
    (``g = t^2 s_den^2 / (n mean(den)^2) < 1``); otherwise the ratio is reported as
    :data:`NOT_SIGNIFICANT` and its value and interval are NaN.

    Args:
        num: per-seed differences of the numerator (B - A).
        den: per-seed differences of the denominator, paired with ``num``.
        level: confidence level.

    Returns:
        ``{"value", "ci_low", "ci_high", "n", "note"}``.
    """
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    ok = np.isfinite(num) & np.isfinite(den)
    num, den = num[ok], den[ok]
    n = num.size
    nan = {"value": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n}
    if n < 2:
        return {**nan, "note": "n/a (fewer than 2 seeds)"}
    mx, my = float(num.mean()), float(den.mean())
    t = float(stats.t.ppf(0.5 + level / 2, n - 1))
    sxx, syy = num.var(ddof=1) / n, den.var(ddof=1) / n
    sxy = float(np.cov(num, den, ddof=1)[0, 1]) / n
    if my == 0 or t * t * syy >= my * my:
        return {**nan, "note": NOT_SIGNIFICANT}
    r = mx / my
    if syy == 0:  # the same denominator in every seed: a t-interval of mean(num), divided
        half = t * math.sqrt(sxx) / abs(my)
        return {"value": r, "ci_low": r - half, "ci_high": r + half, "n": n, "note": ""}
    g = t * t * syy / (my * my)
    centre = r - g * sxy / syy
    root = max(0.0, sxx - 2 * r * sxy + r * r * syy - g * (sxx - sxy * sxy / syy))
    half = t / abs(my) * math.sqrt(root)
    return {"value": r, "ci_low": (centre - half) / (1 - g), "ci_high": (centre + half) / (1 - g), "n": n,
            "note": ""}


def without_levers(cfg: SimConfig, label: str | None = None) -> SimConfig:
    """The configuration with every lever off: its matching baseline (same city, people, stores, brand).

    Args:
        cfg: a configuration.
        label: its ``scenario`` label (default ``baseline:<scenario>``).
    """
    campaign = cfg.campaign
    off = {f.name: dataclasses.replace(getattr(campaign, f.name), enabled=False)
           for f in dataclasses.fields(campaign) if hasattr(getattr(campaign, f.name), "enabled")}
    return dataclasses.replace(cfg, scenario=label or f"baseline:{cfg.scenario}",
                               campaign=dataclasses.replace(campaign, name="none", **off))


def arm_config(arm: str, overrides: tuple[str, ...] | list[str] = (),
               shared: tuple[str, ...] | list[str] = ()) -> tuple[SimConfig, str]:
    """One arm of a comparison, as a strategist writes it, and its label.

    Args:
        arm: a scenario name (shipped, or in a user scenario folder: ``$O2O_SIM_SCENARIOS``),
            the path of a scenario YAML file, or ``baseline:<either>`` - that scenario with
            every lever off (:func:`without_levers`).
        overrides: settings of this arm only (``key=value``).
        shared: settings of both arms, applied before this arm's own.

    Returns:
        ``(config, label)``; the label is the arm followed by its own settings, joined by ``+``.

    Raises:
        ConfigError: one line naming the arm's bad setting.
    """
    from sim.config import ConfigError
    from sim.config.compose import load_config

    base = arm.split(":", 1)[1] if arm.startswith("baseline:") else arm
    if not base:
        raise ConfigError("scenario", arm,
                          "a scenario name, or baseline:<scenario name> (e.g. baseline:omo_full)")
    cfg = load_config([f"scenario={base}", *shared, *overrides])
    label = "+".join([arm, *overrides])
    if arm.startswith("baseline:"):
        cfg = without_levers(cfg, label)
    return cfg, label


def _flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def config_differences(cfg_a: SimConfig, cfg_b: SimConfig) -> list[tuple[str, object, object]]:
    """``(key, value in A, value in B)`` for every setting outside ``campaign.*`` that differs.

    ``campaign.brand_share`` counts as outside the campaign (it decides whose money the
    brand's P&L is); ``seed`` and the ``scenario`` label do not count.
    """
    a, b = _flat(to_dict(cfg_a)), _flat(to_dict(cfg_b))
    keys = [k for k in a if k not in ("seed", "scenario")
            and (not k.startswith("campaign.") or k == "campaign.brand_share")]
    return [(k, a[k], b[k]) for k in keys if a[k] != b[k]]


def _one(args: tuple[SimConfig, int]) -> dict:
    cfg, seed = args
    cfg = dataclasses.replace(cfg, seed=seed)
    return run(cfg).summary


def paired_table(a: pd.DataFrame, b: pd.DataFrame, kpis: tuple[str, ...] = DEFAULT_KPIS) -> pd.DataFrame:
    """Per-KPI paired comparison of two frames of run summaries aligned by seed."""
    a = a.set_index("seed").sort_index()
    b = b.set_index("seed").sort_index()
    rows = []
    for kpi in kpis:
        if kpi not in a or kpi not in b:
            continue
        x, y = a[kpi].astype(float), b[kpi].astype(float)
        if not np.isfinite(x).any() and np.isfinite(y).any():  # measured in B only (e.g. deal customers)
            rows.append(_one_arm(kpi, y[np.isfinite(y)].to_numpy(), "B only: interval of mean_b"))
            continue
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok].to_numpy(), y[ok].to_numpy()
        n = x.size
        d = y - x
        t = stats.t.ppf(0.975, n - 1) if n > 1 else np.nan
        half = t * d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        half_ind = t * np.sqrt(x.var(ddof=1) + y.var(ddof=1)) / np.sqrt(n) if n > 1 else np.nan
        mean_d = float(d.mean()) if n else np.nan
        rows.append({
            "kpi": kpi, "n": n, "mean_a": float(x.mean()) if n else np.nan,
            "mean_b": float(y.mean()) if n else np.nan, "diff": mean_d,
            "ci_low": mean_d - half, "ci_high": mean_d + half,
            "rel_diff": mean_d / abs(x.mean()) if n and x.mean() else np.nan,
            "halfwidth_paired": half, "halfwidth_independent": half_ind,
            "narrowing": half_ind / half if half and np.isfinite(half) and half > 0 else np.nan,
            "note": "",
        })
    return pd.DataFrame(rows)


def _one_arm(kpi: str, y: np.ndarray, note: str) -> dict:
    """A KPI only arm B measures: its mean over B's runs with a 95% t-interval, no difference."""
    n = y.size
    half = stats.t.ppf(0.975, n - 1) * y.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    mean = float(y.mean())
    return {"kpi": kpi, "n": n, "mean_a": np.nan, "mean_b": mean, "diff": np.nan,
            "ci_low": mean - half, "ci_high": mean + half, "rel_diff": np.nan, "halfwidth_paired": np.nan,
            "halfwidth_independent": np.nan, "narrowing": np.nan, "note": note}


@dataclass
class Comparison:
    """Both arms' per-run summaries (one row per seed), labels and the currency."""

    label_a: str
    label_b: str
    runs_a: pd.DataFrame
    runs_b: pd.DataFrame
    currency: str = "CNY"
    currency_symbol: str = "\u00a5"

    def table(self, kpis: tuple[str, ...] = DEFAULT_KPIS) -> pd.DataFrame:
        """KPI differences B - A with paired 95% intervals, then the money ratios (:meth:`money`)."""
        table = paired_table(self.runs_a, self.runs_b, kpis)
        table = pd.concat([table, self.money(), self.money(DYNAMICS_RATIOS)], ignore_index=True)
        table.insert(1, "unit", [kpi_unit(k, self.currency) for k in table["kpi"]])
        return table

    def differences(self, kpi: str) -> np.ndarray:
        """Per-seed ``B - A`` of a summary KPI, in seed order."""
        a = self.runs_a.set_index("seed").sort_index()
        b = self.runs_b.set_index("seed").sort_index()
        return (b[kpi].astype(float) - a[kpi].astype(float)).to_numpy()

    def money(self, ratios: dict | None = None) -> pd.DataFrame:
        """The money ratios (:data:`MONEY_RATIOS`, or ``ratios``), each a ratio of mean paired differences.

        Each is ``mean(B - A of the numerator) / mean(B - A of the denominator)`` with
        Fieller's 95% interval (:func:`ratio_of_means`); its ``note`` reads
        :data:`NOT_SIGNIFICANT` when the denominator's paired interval contains 0.
        """
        rows = []
        for name, (num, den, _) in (MONEY_RATIOS if ratios is None else ratios).items():
            if num not in self.runs_a or den not in self.runs_a:
                continue
            r = ratio_of_means(self.differences(num), self.differences(den))
            rows.append({"kpi": name, "n": r["n"], "mean_a": np.nan, "mean_b": np.nan, "diff": r["value"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "rel_diff": np.nan,
                         "halfwidth_paired": np.nan, "halfwidth_independent": np.nan, "narrowing": np.nan,
                         "note": r["note"]})
        return pd.DataFrame(rows)

    def verdict(self) -> list[str]:
        """Plain sentences a strategist can act on (:func:`sim.studies.verdict.verdict`; docs/OUTPUTS.md)."""
        return verdict(self)


def compare(cfg_a: SimConfig, cfg_b: SimConfig, reps: int = 20, first_seed: int = 0,
            label_a: str = "A", label_b: str = "B", n_jobs: int = 1, progress=None) -> Comparison:
    """Run both configurations on seeds ``first_seed .. first_seed + reps - 1``.

    Args:
        cfg_a: the reference configuration (its own seed is replaced).
        cfg_b: the configuration compared with it.
        reps: replications (seeds) per arm, >= 2 for an interval.
        first_seed: first seed.
        label_a: name of A in reports.
        label_b: name of B in reports.
        n_jobs: parallel processes (joblib); 1 runs in this process.
        progress: called with the number of runs finished after each one (None: silent).

    Returns:
        The :class:`Comparison`.
    """
    if reps < 2:
        raise ValueError(f"reps={reps}; allowed: an integer >= 2 (an interval needs two replications)")
    for cfg in (cfg_a, cfg_b):
        validate(cfg)
        check_resources(cfg)
    if not isinstance(first_seed, int) or first_seed < 0:
        raise ValueError(f"first_seed={first_seed!r}; allowed: an integer >= 0")
    seeds = list(range(first_seed, first_seed + reps))
    jobs = [(cfg_a, s) for s in seeds] + [(cfg_b, s) for s in seeds]
    out = []
    if n_jobs == 1:
        for job in jobs:
            out.append(_one(job))
            if progress is not None:
                progress(len(out))
    else:
        from joblib import Parallel, delayed

        for summary in Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_one)(j) for j in jobs):
            out.append(summary)
            if progress is not None:
                progress(len(out))
    runs_a = pd.DataFrame(out[:reps])
    runs_b = pd.DataFrame(out[reps:])
    return Comparison(label_a, label_b, runs_a, runs_b, currency=cfg_b.economics.currency,
                      currency_symbol=cfg_b.economics.currency_symbol)
