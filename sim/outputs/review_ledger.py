"""One row per review posted: when, where, by whom, how many stars, after what kind of visit.

Core object: :class:`ReviewLedger`, kept by the day recorder. Its :meth:`ReviewLedger.frame`
has the shape of review-level platform data (a Dianping- or Yelp-like table: day, merchant,
user, stars), with what the platform knows of the visit behind it: whether it used a coupon
or deal, how it ended (served, balked, reneged, closed, stock-out) and, from the model, the
visitor's satisfaction class (docs/ODD.md 7.14). Column meanings: docs/OUTPUTS.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.rules.behavior import SATISFACTION_CLASSES
from sim.rules.codes import OUTCOMES

__all__ = ["REVIEW_COLUMNS", "ReviewLedger"]

#: Columns of :meth:`ReviewLedger.frame` (docs/OUTPUTS.md).
REVIEW_COLUMNS = ("day", "store_id", "consumer", "stars", "deal_used", "outcome", "satisfaction_class")


class ReviewLedger:
    """Reviews posted, appended day by day."""

    def __init__(self):
        self._parts: list[tuple[np.ndarray, ...]] = []

    def posted(self, day: int, store: np.ndarray, consumer: np.ndarray, stars: np.ndarray, deal: np.ndarray,
               outcome: np.ndarray, klass: np.ndarray) -> None:
        """Record today's reviews (one entry per reviewed visit)."""
        if consumer.size:
            self._parts.append((np.full(consumer.size, day, dtype=np.int64), store.astype(np.int64),
                                consumer.astype(np.int64), stars.astype(np.int8), deal.astype(bool),
                                outcome.astype(np.int8), klass.astype(np.int8)))

    def frame(self) -> pd.DataFrame:
        """One row per review, in posting order; ``outcome`` and ``satisfaction_class`` as categories."""
        outcomes = pd.CategoricalDtype(list(OUTCOMES))
        classes = pd.CategoricalDtype(list(SATISFACTION_CLASSES))
        if not self._parts:
            return pd.DataFrame({"day": pd.Series(dtype="int64"), "store_id": pd.Series(dtype="int64"),
                                 "consumer": pd.Series(dtype="int64"), "stars": pd.Series(dtype="int8"),
                                 "deal_used": pd.Series(dtype=bool), "outcome": pd.Series(dtype=outcomes),
                                 "satisfaction_class": pd.Series(dtype=classes)})
        day, store, consumer, stars, deal, outcome, klass = (np.concatenate(p) for p in zip(*self._parts,
                                                                                          strict=True))
        return pd.DataFrame({
            "day": day, "store_id": store, "consumer": consumer, "stars": stars, "deal_used": deal,
            "outcome": pd.Categorical.from_codes(outcome, dtype=outcomes),
            "satisfaction_class": pd.Categorical.from_codes(klass, dtype=classes),
        })
