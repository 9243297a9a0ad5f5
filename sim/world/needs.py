"""Each consumer's need in each category: a purchase now lowers the need for the next one.

Core object: :class:`Needs` - the days since each consumer's last purchase in each store
category (:data:`sim.config.CATEGORIES`) and the need term it adds to the utility of visiting
a store of that category (:meth:`Needs.category_utils`).

A need arises at a constant rate after each purchase, so ``t`` days after one the chance that
it has arisen is ``1 - exp(-t / cycle)``, with ``cycle`` the category's mean purchase cycle
(``behavior.cycle_<category>_days``). Its log, weighted by ``behavior.need_weight``, is added
to the utility of visiting any store of the category: with weight 1 the odds of a visit
scale with the chance the need is there (an exponential inter-need time: the purchase-timing
models of Gupta 1988 and Bucklin & Lattin 1991 with inventory depleting at a constant
rate). Right after a purchase the term is strongly negative; long after, it is 0. So a visit a
promotion brings forward lowers the next days' visits (intertemporal substitution: the
post-promotion dip of van Heerde, Leeflang & Wittink 2000), and deal-prone consumers who
buy because of a coupon buy earlier than they would have (acceleration).

The term is read from a table by whole days (:meth:`Needs.need_utils`): the days since a
purchase are counted in whole days. They start at 1 plus whole-day draws from an exponential
with mean
``behavior.need_initial_days`` (the typical time since the last purchase at a modelled
store), so the run starts near the state the warm-up settles into.
"""

from __future__ import annotations

import numpy as np

from sim.config import CATEGORIES

__all__ = ["Needs"]


class Needs:
    """Days since each consumer's last purchase in each category (see module docstring).

    Args:
        size: number of consumers.
        behavior: the :class:`~sim.config.BehaviorConfig` (cycles, weight, initial days).
        rng: the stream of the initial draws.

    Attributes:
        since: (N, C) int32, days since the last purchase in each category: 1 the day after it
            (a purchase sets 0, the night adds 1).
        cycle: (C,) mean purchase cycle of each category (days).
        weight: the need term's weight (0: no need term).
    """

    def __init__(self, size: int, behavior, rng: np.random.Generator):
        self.cycle = np.array([getattr(behavior, f"cycle_{c}_days") for c in CATEGORIES], dtype=np.float64)
        self.weight = float(behavior.need_weight)
        days = 1 + np.floor(rng.exponential(behavior.need_initial_days, (size, len(CATEGORIES))))
        #: the term by whole days since a purchase, per category, up to where it is 0 in float64
        self.table = self._table()
        self.since = np.minimum(days, self.table.shape[1] - 1).astype(np.int32)

    def _table(self) -> np.ndarray:
        """(C, D) ``weight x ln(1 - exp(-d / cycle))`` for d = 0 .. D - 1 whole days.

        -inf at day 0; all 0 without weight.
        D reaches 40 cycles of the longest category, where the term is below 1e-17: 0 in float64
        next to any utility, so days beyond are read at D - 1.
        """
        days = np.arange(int(40 * self.cycle.max()) + 2, dtype=np.float64)
        if self.weight == 0.0:  # no need term (0 x -inf at day 0 would be NaN)
            return np.zeros((self.cycle.size, days.size))
        with np.errstate(divide="ignore"):
            return self.weight * np.log(-np.expm1(-days[None, :] / self.cycle[:, None]))

    def need_utils(self) -> np.ndarray:
        """(N, C) ``weight x ln(1 - exp(-since / cycle))`` (``since`` >= 1 on any day's decision)."""
        return self.table[np.arange(self.cycle.size)[None, :], self.since]

    def category_utils(self, asc: np.ndarray) -> np.ndarray:
        """(N, C) each consumer's utility of each category: its constant plus the need term.

        Without a need term (``weight`` 0) the constants broadcast to (N, C) without a copy.
        """
        if self.weight == 0.0:
            return np.broadcast_to(np.asarray(asc, dtype=np.float64), self.since.shape)
        return asc[None, :] + self.need_utils()

    def bought(self, consumer: np.ndarray, category: np.ndarray) -> None:
        """Today's purchases: their categories' needs are met (0 full days since)."""
        self.since[consumer, category] = 0

    def night(self) -> None:
        """A day passes (counts stop where the need term is 0)."""
        np.minimum(self.since + 1, self.table.shape[1] - 1, out=self.since)
