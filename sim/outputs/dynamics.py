"""What a campaign leaves behind: the brand's purchases during and after it, and deal customers' return.

Core objects:
    * :func:`campaign_window` - the days the run's levers can act (their messages and the
      validity of their coupons), or ``None`` when a lever acts on every day.
    * :func:`period_metrics` - the brand's purchases per day during that window and after it:
      with a paired baseline, their differences give the campaign's bump and what follows it,
      and their ratio (:data:`sim.studies.compare.DYNAMICS_RATIOS`) is the post-promotion
      effect: below 0 a dip (van Heerde, Leeflang & Wittink 2000), between 0 and 1 a fading
      carry-over.
    * :class:`DealReturns` - deal customers new to the brand (a coupon redeemed at a brand
      store by a consumer who had never bought there, warm-up included) and whether each came
      back to buy at the brand at full price (no coupon) afterwards; Dholakia (2011) found
      19.9% of daily-deal users (about 80% of them new to the business) returning for a
      full-price purchase (13% to 31% across the merchants of Dholakia 2010).
"""

from __future__ import annotations

import numpy as np

from sim.levers.push_coupon import push_window

__all__ = ["RETURN_WINDOW_DAYS", "DealReturns", "campaign_window", "period_metrics"]

#: Deal customers counted in the return rate had at least this many days left in the run.
RETURN_WINDOW_DAYS = 28


def campaign_window(levers: list) -> tuple[int, int] | None:
    """The first and last day any lever acts (:attr:`Lever.active_window`); ``None`` if one always acts."""
    windows = [lever.active_window for lever in levers]
    if not windows or any(w is None for w in windows):
        return None
    return min(w[0] for w in windows), max(w[1] for w in windows)


def period_metrics(model) -> dict[str, float]:
    """The brand's purchases per day in the campaign window and after it (NaN where there is none).

    Without levers (a baseline) the window is its campaign arm's: the caller compares
    runs of the same days, so the window is computed from the configuration's push settings
    when the run has none (:func:`~sim.levers.push_coupon.push_window` of its push settings).
    """
    days = len(model.recorder.store_rows)
    brand = model.is_brand
    per_day = np.array([r["purchases"][brand].sum() for r in model.recorder.store_rows], dtype=np.float64)
    window = campaign_window(model.levers) if model.levers else push_window(model.cfg.campaign.push_coupon)
    out = {"brand_purchases_per_day_campaign": float("nan"), "brand_purchases_per_day_after": float("nan")}
    if window is None or days == 0:
        return out
    first, last = window
    during = per_day[first:min(last, days - 1) + 1]
    after = per_day[last + 1:]
    if during.size:
        out["brand_purchases_per_day_campaign"] = float(during.mean())
    if after.size:
        out["brand_purchases_per_day_after"] = float(after.mean())
    return out




class DealReturns:
    """Deal customers and their full-price returns (see module docstring).

    Args:
        size: number of consumers.

    Attributes:
        deal_day: (N,) day of each consumer's first coupon redemption at a brand store (-1: none).
        new: (N,) that consumer had never bought at the brand before it.
        returned: (N,) whether the consumer bought at a brand store without a coupon after it.
        customer: (N,) whether the consumer ever bought at the brand.
    """

    def __init__(self, size: int):
        self.deal_day = np.full(size, -1, dtype=np.int32)
        self.new = np.zeros(size, dtype=bool)
        self.returned = np.zeros(size, dtype=bool)
        self.customer = np.zeros(size, dtype=bool)

    def update(self, day: int, consumer: np.ndarray, store: np.ndarray, served: np.ndarray,
               redeem: np.ndarray, is_brand: np.ndarray) -> None:
        """Today's purchases: full-price brand purchases by earlier deal customers; new deal customers."""
        brand = served & is_brand[store]
        full = consumer[brand & ~redeem]
        earlier = self.deal_day[full]
        self.returned[full[(earlier >= 0) & (earlier < day)]] = True
        deal = consumer[brand & redeem]
        first = deal[self.deal_day[deal] < 0]
        self.deal_day[first] = day
        self.new[first] = ~self.customer[first]
        self.customer[consumer[brand]] = True

    def metrics(self, last_day: int) -> dict[str, float]:
        """Deal customers new to the brand, and the share who returned at full price.

        The share counts those whose first deal left at least :data:`RETURN_WINDOW_DAYS` days in the run.
        """
        dealt = (self.deal_day >= 0) & self.new
        counted = dealt & (self.deal_day <= last_day - RETURN_WINDOW_DAYS)
        n = int(counted.sum())
        return {"deal_customers": int(dealt.sum()),
                "deal_return_rate": float(self.returned[counted].mean()) if n else float("nan")}
