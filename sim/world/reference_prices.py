"""The price a consumer got used to at their last deal's store: full price after a deal feels a loss.

Core object: :class:`ReferencePrices` - for each consumer, the store of their last coupon
purchase and the share of its price they remember paying there (1: full price, nothing
remembered).

Consumers judge a price against a reference formed by the prices they paid before
(adaptive expectations: Kalwani, Yim, Rinne & Sugita 1990; Kalyanaram & Winer 1995), and
a price above the reference weighs as a loss, more than an equal gain (loss aversion,
Tversky & Kahneman 1991). After a deal at a store the reference there drops, so coming back
at full price costs ``m x price x loss_aversion x (expected share paid - reference share)``
in the choice (:mod:`sim.kernels.decision`): a reason deal users rarely return at full price
(Dholakia 2011). Each purchase at that store moves the remembered share by
``reference_weight`` towards what was paid (exponential smoothing), so full-price visits
restore it. One store per consumer is remembered: the latest deal's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NO_REFERENCE", "ReferencePrices"]

#: A consumer with no remembered deal.
NO_REFERENCE = -1


class ReferencePrices:
    """Each consumer's remembered deal (see module docstring).

    Args:
        size: number of consumers.
        weight: how far one purchase moves the remembered share towards what was paid (0 to 1).

    Attributes:
        store: (N,) the store of the consumer's latest deal (:data:`NO_REFERENCE`: none).
        share: (N,) the share of that store's price the consumer remembers paying.
    """

    def __init__(self, size: int, weight: float):
        self.weight = float(weight)
        self.store = np.full(size, NO_REFERENCE, dtype=np.int32)
        self.share = np.ones(size, dtype=np.float64)

    def update(self, consumer: np.ndarray, store: np.ndarray, paid_share: np.ndarray,
               deal: np.ndarray) -> None:
        """Today's purchases: a deal sets the consumer's reference store; a purchase there moves its share.

        Args:
            consumer: (P,) the purchasing consumers (each at most once a day).
            store: (P,) where they bought.
            paid_share: (P,) the share of the ticket they paid (1 - discount / ticket).
            deal: (P,) whether the purchase redeemed a coupon.
        """
        same = self.store[consumer] == store
        previous = np.where(same, self.share[consumer], 1.0)
        moved = (1.0 - self.weight) * previous + self.weight * paid_share
        touch = deal | same  # a deal anywhere, or any purchase at the remembered store
        c = consumer[touch]
        self.store[c] = np.where(moved[touch] < 1.0 - 1e-9, store[touch], NO_REFERENCE)
        self.share[c] = np.where(moved[touch] < 1.0 - 1e-9, moved[touch], 1.0)
