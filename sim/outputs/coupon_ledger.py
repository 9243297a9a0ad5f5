"""One row per coupon claimed: who, which store, how far, when received and when redeemed.

Core object: :class:`CouponLedger`, kept by the day recorder; :func:`redemption_hazard` and
:func:`expiry_spike` read a frame by the days its coupons had left. Its :meth:`CouponLedger.frame`
has the shape of coupon-level O2O data (e.g. the Alibaba Tianchi O2O coupon set:
user, merchant, distance, date received, date used), so a run can be measured
the way such data are (:mod:`sim.studies.validation.tianchi`).

A consumer holds at most one coupon per considered store: a new claim for the
same store replaces the old one, so a redemption belongs to the latest claim of
that (lever, consumer, store) made on or before its day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["COUPON_COLUMNS", "CouponLedger", "expiry_spike", "redemption_hazard"]

#: Columns of :meth:`CouponLedger.frame` (docs/OUTPUTS.md).
COUPON_COLUMNS = ("lever", "consumer", "store_id", "distance_km", "received_day", "face", "min_spend",
                  "redeemed_day", "expiry_day")


class CouponLedger:
    """Claims and redemptions of coupons, appended day by day."""

    def __init__(self):
        self._claims: list[tuple[np.ndarray, ...]] = []
        self._redemptions: list[tuple[np.ndarray, ...]] = []

    def claimed(self, day: int, lever: int, consumer: np.ndarray, store: np.ndarray, distance: np.ndarray,
                face: np.ndarray, min_spend: np.ndarray, expiry: np.ndarray) -> None:
        """Record coupons put in wallets today (``expiry``: each one's last valid day)."""
        if consumer.size:
            n = consumer.size
            self._claims.append((np.full(n, lever), consumer, store, distance, np.full(n, day), face,
                                 min_spend, np.broadcast_to(expiry, n)))

    def redeemed(self, day: int, lever: np.ndarray, consumer: np.ndarray, store: np.ndarray) -> None:
        """Record coupons used today."""
        if consumer.size:
            self._redemptions.append((lever, consumer, store, np.full(consumer.size, day)))

    def frame(self) -> pd.DataFrame:
        """One row per claimed coupon; ``redeemed_day`` is -1 for coupons never used."""
        if not self._claims:
            return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("distance_km", "face", "min_spend")
                                              else "int64") for c in COUPON_COLUMNS})
        cols = [np.concatenate(parts) for parts in zip(*self._claims, strict=True)]
        lever, consumer, store, distance, day, face, min_spend, expiry = cols
        lever, consumer, store, day = (a.astype(np.int64) for a in (lever, consumer, store, day))
        redeemed = np.full(lever.size, -1, dtype=np.int64)
        if self._redemptions:
            r_lever, r_consumer, r_store, r_day = (np.concatenate(p).astype(np.int64)
                                                   for p in zip(*self._redemptions, strict=True))
            # latest claim of the same (lever, consumer, store) on or before the redemption day:
            # sort claims by (key, day) as one integer and search each redemption in it
            n_c = int(max(consumer.max(), r_consumer.max())) + 1
            n_s = int(max(store.max(), r_store.max())) + 1
            first = int(min(day.min(), r_day.min()))
            span = int(max(day.max(), r_day.max())) - first + 1
            key = (lever * n_c + consumer) * n_s + store
            r_key = (r_lever * n_c + r_consumer) * n_s + r_store
            combined = key * span + (day - first)
            order = np.argsort(combined, kind="stable")
            pos = np.searchsorted(combined[order], r_key * span + (r_day - first), side="right") - 1
            hit = (pos >= 0) & (key[order[np.maximum(pos, 0)]] == r_key)
            redeemed[order[pos[hit]]] = r_day[hit]
        return pd.DataFrame({"lever": lever, "consumer": consumer, "store_id": store,
                             "distance_km": distance.astype(np.float64), "received_day": day,
                             "face": face.astype(np.float64), "min_spend": min_spend.astype(np.float64),
                             "redeemed_day": redeemed, "expiry_day": expiry.astype(np.int64)})


def redemption_hazard(frame: pd.DataFrame, last_day: int) -> tuple[np.ndarray, np.ndarray]:
    """Redemptions and coupons at risk by the days a coupon had left (index 0: its last valid day).

    A coupon is at risk on each day from its receipt to its redemption or its last valid day;
    coupons still valid after ``last_day`` (the run's last day) are left out, so every coupon
    counted had its whole validity observed. The hazard on days left ``d`` is
    ``redeemed[d] / at_risk[d]``.

    Args:
        frame: :meth:`CouponLedger.frame`.
        last_day: the run's last recorded day.

    Returns:
        ``(redeemed, at_risk)``, each indexed by days left.
    """
    done = frame[frame["expiry_day"] <= last_day]
    expiry, received = done["expiry_day"].to_numpy(), done["received_day"].to_numpy()
    used = done["redeemed_day"].to_numpy()
    end = np.where(used >= 0, used, expiry)  # the last day at risk
    span = int((expiry - received).max()) + 1 if len(done) else 1
    at_risk = np.zeros(span + 1, dtype=np.int64)  # difference array over days left
    np.add.at(at_risk, expiry - end, 1)
    np.add.at(at_risk, expiry - received + 1, -1)
    redeemed = np.bincount(expiry[used >= 0] - used[used >= 0], minlength=span)
    return redeemed[:span], np.cumsum(at_risk)[:span]


def expiry_spike(frame: pd.DataFrame, last_day: int) -> float:
    """The redemption hazard on a coupon's last valid day over the day before (NaN when unmeasured).

    Above 1: holders rush to use coupons about to lapse (Inman & McAlister 1994).
    """
    redeemed, at_risk = redemption_hazard(frame, last_day)
    if redeemed.size < 2 or min(at_risk[0], at_risk[1]) == 0 or redeemed[1] == 0:
        return float("nan")
    return float((redeemed[0] / at_risk[0]) / (redeemed[1] / at_risk[1]))
