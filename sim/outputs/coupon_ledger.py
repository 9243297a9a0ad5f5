"""One row per coupon claimed: who, which store, how far, when received and when redeemed.

Core object: :class:`CouponLedger`, kept by the day recorder. Its :meth:`CouponLedger.frame`
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

__all__ = ["COUPON_COLUMNS", "CouponLedger"]

#: Columns of :meth:`CouponLedger.frame` (docs/OUTPUTS.md).
COUPON_COLUMNS = ("lever", "consumer", "store_id", "distance_km", "received_day", "face", "min_spend",
                  "redeemed_day")


class CouponLedger:
    """Claims and redemptions of coupons, appended day by day."""

    def __init__(self):
        self._claims: list[tuple[np.ndarray, ...]] = []
        self._redemptions: list[tuple[np.ndarray, ...]] = []

    def claimed(self, day: int, lever: int, consumer: np.ndarray, store: np.ndarray, distance: np.ndarray,
                face: np.ndarray, min_spend: np.ndarray) -> None:
        """Record coupons put in wallets today."""
        if consumer.size:
            n = consumer.size
            self._claims.append((np.full(n, lever), consumer, store, distance, np.full(n, day), face,
                                 min_spend))

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
        lever, consumer, store, distance, day, face, min_spend = cols
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
                             "redeemed_day": redeemed})
