"""The Tianchi O2O coupon moments and how a run's coupons are measured against them.

Core functions:
    * :func:`load_moments` - the published moments shipped in
      ``sim/studies/validation/data/tianchi_o2o.json`` (with their source).
    * :func:`distance_bucket` - Tianchi's 500 m distance buckets (0 = under 500 m,
      10 = over 5 km).
    * :func:`measure` - a run's coupon ledger (:attr:`sim.outputs.results.Results.coupons`)
      measured as the data are: 15-day redemption overall and by distance bucket,
      the share of coupons and of redemptions within 500 m.
    * :func:`pool` - the same moments over several runs (counts summed).

Only coupons received at least ``window`` days before the end of the run are
counted, so that every counted coupon had its full 15 days to be used.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["distance_bucket", "load_moments", "measure", "pool", "ratio_se"]


def load_moments() -> dict[str, Any]:
    """The published Tianchi O2O moments (see the file's ``source`` entry)."""
    text = resources.files("sim.studies.validation").joinpath("data/tianchi_o2o.json").read_text()
    return json.loads(text)


def distance_bucket(distance_km: np.ndarray, bucket_km: float = 0.5, buckets: int = 11) -> np.ndarray:
    """Tianchi's distance bucket: ``floor(d / 500 m)``, the last bucket holding everything beyond."""
    return np.minimum(np.floor(np.asarray(distance_km) / bucket_km), buckets - 1).astype(np.int64)


def measure(coupons: pd.DataFrame, days: int, window: int = 15, bucket_km: float = 0.5,
            buckets: int = 11) -> dict[str, Any]:
    """Redemption moments of a run's claimed coupons.

    Args:
        coupons: the run's coupon ledger (one row per claimed coupon).
        days: recorded days of the run (coupons received after ``days - window`` are censored).
        window: days within which a use counts as a redemption (Tianchi: 15, receipt day included
            as day 0).
        bucket_km: distance bucket width.
        buckets: number of buckets (the last one open-ended).

    Returns:
        ``coupons`` (counted), ``redeemed``, ``redemption_15d`` and ``se_redemption_15d`` (binomial
        standard error), ``rows_within_500m_share``, ``redemptions_within_500m_share`` and
        ``se_within_500m``, ``rows_by_bucket``, ``redeemed_by_bucket`` and ``redemption_by_bucket``
        (NaN for empty buckets).
    """
    full = coupons[coupons["received_day"] <= days - window]
    used = (full["redeemed_day"] >= 0) & (full["redeemed_day"] - full["received_day"] < window)
    bucket = distance_bucket(full["distance_km"].to_numpy(), bucket_km, buckets)
    rows = np.bincount(bucket, minlength=buckets)
    hits = np.bincount(bucket[used.to_numpy()], minlength=buckets)
    return pool([{"rows_by_bucket": rows, "redeemed_by_bucket": hits}])


def ratio_se(num: np.ndarray, den: np.ndarray) -> float:
    """Standard error of ``sum(num) / sum(den)`` over independent runs (clusters).

    The ratio estimator's linearisation, ``sqrt(sum((num_s - R den_s)^2) / (S (S - 1))) / mean(den)``:
    it carries the variation between runs (each seed draws its own city and
    participating stores), which a binomial standard error over pooled coupons
    would miss. NaN with fewer than two runs.
    """
    num, den = np.asarray(num, float), np.asarray(den, float)
    s = num.size
    if s < 2 or den.sum() == 0:
        return float("nan")
    ratio = num.sum() / den.sum()
    return float(np.sqrt(((num - ratio * den) ** 2).sum() / (s * (s - 1))) / den.mean())


def pool(measures: list[dict[str, Any]]) -> dict[str, Any]:
    """Moments of several runs' coupons taken together (counts summed, rates recomputed).

    ``se_redemption_15d`` and ``se_within_500m`` are the between-run standard errors of
    :func:`ratio_se` when there are several runs, else binomial ones.
    """
    rows_s = np.array([m["rows_by_bucket"] for m in measures])
    hits_s = np.array([m["redeemed_by_bucket"] for m in measures])
    rows, hits = rows_s.sum(axis=0), hits_s.sum(axis=0)
    n, r = int(rows.sum()), int(hits.sum())
    rate = r / n if n else float("nan")
    near = float(hits[0] / r) if r else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        by_bucket = np.where(rows > 0, hits / np.maximum(rows, 1), np.nan)
    if len(measures) > 1:
        se_rate = ratio_se(hits_s.sum(axis=1), rows_s.sum(axis=1))
        se_near = ratio_se(hits_s[:, 0], hits_s.sum(axis=1))
    else:
        se_rate = float(np.sqrt(rate * (1 - rate) / n)) if n else float("nan")
        se_near = float(np.sqrt(near * (1 - near) / r)) if r else float("nan")
    return {
        "coupons": n, "redeemed": r, "runs": len(measures), "redemption_15d": rate,
        "se_redemption_15d": se_rate,
        "rows_within_500m_share": float(rows[0] / n) if n else float("nan"),
        "redemptions_within_500m_share": near, "se_within_500m": se_near,
        "rows_by_bucket": rows, "redeemed_by_bucket": hits, "redemption_by_bucket": by_bucket,
    }
