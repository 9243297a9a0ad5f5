"""The money of a run: a profit-and-loss account per store, per party and per day.

Core objects:
    * :class:`Ledger` - kept by the day recorder; books each day's sales, discounts, cost
      of goods, platform commission, deliveries, loyalty points and lever costs per store,
      and keeps one row per (day, party) and one per (day, store, lever, payee) of cost.
    * :func:`store_pnl` - the day's P&L items per store from the visits (the rule, one place).
    * :func:`points_cost` - the cost of loyalty points with breakage.
    * :data:`PARTIES` - ``brand`` (the merchant running the levers, ``O2OModel.brand_stores``),
      ``others`` (every other merchant) and ``platform`` (the O2O platform).
    * :data:`PAYEES` - who receives a lever's costs: ``platform``, ``consumers`` (rewards,
      perks), ``suppliers`` (systems, own message channels).
    * :data:`PNL_COLUMNS`, :data:`COST_COLUMNS` - the output schemas.

Every formula, with a worked example, is in docs/OUTPUTS.md section 10; each is tested
against hand-computed numbers in ``tests/test_ledger.py``. In short, for a merchant::

    net_sales    = gross_sales - discounts
    cogs         = (1 - margin) x gross_sales
    commission   = commission_rate x platform_sales + delivery_commission_rate x delivery_sales
                   (the second term only when the platform runs deliveries)
    points_cost  = points_redeemed + (1 - breakage) x (points_issued - points_redeemed - points_expired)
    contribution = net_sales - cogs - commission + delivery_fees - delivery_cost
                   - points_cost - campaign_cost

and for the platform ``contribution = commission + platform_fees + delivery_fees - delivery_cost``
(its delivery items only when it runs deliveries). A discount is charged once: the cost
of goods is on the gross ticket, the discount comes off the sales.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.rules.codes import DELIVERY, SERVED

__all__ = ["COST_COLUMNS", "Ledger", "PARTIES", "PARTY_ITEMS", "PAYEES", "PNL_COLUMNS", "STORE_PNL",
           "points_cost", "store_pnl"]

PARTIES = ("brand", "others", "platform")
PAYEES = ("platform", "consumers", "suppliers")

#: Per-store P&L items of a day (also columns of ``Results.stores``), in currency except counts.
STORE_PNL = ("gross_sales", "discounts", "net_sales", "cogs", "platform_sales", "delivery_sales",
             "commission", "delivery_orders", "delivery_fees", "delivery_cost", "points_issued",
             "points_redeemed", "points_expired",
             "points_cost", "campaign_cost", "contribution")
#: Columns of ``Results.pnl`` (one row per day and party).
PNL_COLUMNS = ("day", "party", *STORE_PNL[:-1], "platform_fees", "contribution")
#: The items each party books (the others are 0 by construction): merchants all but the fees they
#: receive; the platform what it receives and the deliveries it runs.
PARTY_ITEMS = {"brand": (*STORE_PNL[:-1], "contribution"), "others": (*STORE_PNL[:-1], "contribution"),
               "platform": ("commission", "platform_sales", "delivery_sales", "delivery_orders",
                            "delivery_fees", "delivery_cost", "platform_fees", "contribution")}
#: Columns of ``Results.costs`` (one row per day, store, lever and payee with a cost).
COST_COLUMNS = ("day", "store_id", "lever", "payee", "amount")


def points_cost(issued, redeemed, expired, breakage: float):
    """Cost of loyalty points: what was redeemed plus the expected redemption of the change in points held.

    ``redeemed + (1 - breakage) x (issued - redeemed - expired)``: points still held are a
    liability valued at the share expected to be redeemed; lapsed points cost nothing.
    """
    return redeemed + (1.0 - breakage) * (issued - redeemed - expired)


def store_pnl(store, outcome, channel, ticket, discount, platform, n_stores: int, margin: float,
              commission_rate: float, delivery_commission_rate: float, delivery_fee: float,
              delivery_cost_per_order: float, brand_runs_delivery: bool) -> dict[str, np.ndarray]:
    """The day's sales items per store from its visits (arrays of length V; results of length S).

    A served visit sells ``ticket`` (gross) and pays ``ticket - discount``. A delivery order
    pays ``delivery_commission_rate`` of what it paid when the platform runs deliveries,
    otherwise the brand collects the consumer's ``delivery_fee`` and pays the rider; any other
    order that redeemed a platform lever's coupon pays ``commission_rate``.
    """
    served = outcome == SERVED
    paid = np.where(served, ticket - discount, 0.0)
    delivery = served & (channel == DELIVERY)
    rate = np.where(delivery, 0.0 if brand_runs_delivery else delivery_commission_rate,
                    np.where(platform & served, commission_rate, 0.0))
    coupon_order = platform & served & ~delivery
    gross = np.bincount(store, np.where(served, ticket, 0.0), minlength=n_stores)
    discounts = np.bincount(store, np.where(served, discount, 0.0), minlength=n_stores)
    orders = np.bincount(store[delivery], minlength=n_stores).astype(np.float64)
    own = 1.0 if brand_runs_delivery else 0.0
    return {"gross_sales": gross, "discounts": discounts, "net_sales": gross - discounts,
            "cogs": (1.0 - margin) * gross,
            "platform_sales": np.bincount(store, np.where(coupon_order, paid, 0.0), minlength=n_stores),
            "delivery_sales": np.bincount(store, np.where(delivery, paid, 0.0), minlength=n_stores),
            "commission": np.bincount(store, rate * paid, minlength=n_stores),
            "delivery_orders": orders, "delivery_fees": own * delivery_fee * orders,
            "delivery_cost": own * delivery_cost_per_order * orders}


def _contribution(items: dict[str, np.ndarray]) -> np.ndarray:
    return (items["net_sales"] - items["cogs"] - items["commission"] + items["delivery_fees"]
            - items["delivery_cost"] - items["points_cost"] - items["campaign_cost"])


class Ledger:
    """The run's P&L, day by day (see module docstring).

    Args:
        cfg: the run's :class:`~sim.config.SimConfig`.
        is_brand: (S,) mask of the brand's stores.
        lever_names: the run's levers, by index.
    """

    def __init__(self, cfg, is_brand: np.ndarray, lever_names: list[str]):
        econ = cfg.economics
        self.cfg, self.is_brand, self.lever_names = cfg, is_brand, list(lever_names)
        self.n_stores = is_brand.size
        self.brand_runs_delivery = econ.delivery_operator == "brand"
        self.store_rows: list[dict[str, np.ndarray]] = []
        self.pnl_rows: list[dict] = []
        self.cost_rows: list[tuple[np.ndarray, ...]] = []
        self._empty_day()

    def _empty_day(self) -> None:
        zeros = np.zeros(self.n_stores)
        self.today = {k: zeros.copy() for k in STORE_PNL}

    def sales(self, store, outcome, channel, ticket, discount, platform) -> None:
        """Book the day's visits (arrays of length V)."""
        c, e = self.cfg, self.cfg.economics
        items = store_pnl(store, outcome, channel, ticket, discount, platform, self.n_stores, c.stores.margin,
                          e.commission_rate, e.delivery_commission_rate, c.campaign.omo.delivery_fee,
                          e.delivery_cost_per_order, self.brand_runs_delivery)
        for k, v in items.items():
            self.today[k] += v

    def points(self, issued: np.ndarray, redeemed: np.ndarray, expired: np.ndarray) -> None:
        """Book the day's loyalty points per store (currency)."""
        self.today["points_issued"] += issued
        self.today["points_redeemed"] += redeemed
        self.today["points_expired"] += expired

    def close_day(self, day: int, lever_costs: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Book the levers' costs ((payees, S) per lever), close the day; return its per-store items."""
        t = self.today
        fees = np.zeros(self.n_stores)
        for lever, book in enumerate(lever_costs):
            if book.shape[1] != self.n_stores:  # a lever never bound to the model books no costs
                continue
            t["campaign_cost"] += book.sum(axis=0)
            fees += book[PAYEES.index("platform")]
            payee, store = np.nonzero(book)
            if store.size:
                self.cost_rows.append((np.full(store.size, day), store, np.full(store.size, lever), payee,
                                       book[payee, store]))
        t["points_cost"] = points_cost(t["points_issued"], t["points_redeemed"], t["points_expired"],
                                       self.cfg.economics.points_breakage)
        t["contribution"] = _contribution(t)
        for party, mask in (("brand", self.is_brand), ("others", ~self.is_brand)):
            row = {"day": day, "party": party, **{k: float(t[k][mask].sum()) for k in STORE_PNL}}
            row["platform_fees"] = 0.0
            self.pnl_rows.append(row)
        platform = {k: 0.0 for k in STORE_PNL}
        platform["commission"] = float(t["commission"].sum())
        platform["platform_sales"] = float(t["platform_sales"].sum())
        platform["delivery_sales"] = float(t["delivery_sales"].sum())
        platform["delivery_orders"] = float(t["delivery_orders"].sum())
        if not self.brand_runs_delivery:  # the platform collects the fee and pays the rider
            platform["delivery_fees"] = self.cfg.campaign.omo.delivery_fee * platform["delivery_orders"]
            rider = self.cfg.economics.delivery_cost_per_order
            platform["delivery_cost"] = rider * platform["delivery_orders"]
        platform["platform_fees"] = float(fees.sum())
        platform["contribution"] = (platform["commission"] + platform["platform_fees"]
                                    + platform["delivery_fees"] - platform["delivery_cost"])
        self.pnl_rows.append({"day": day, "party": "platform", **platform})
        self.store_rows.append(t)
        self._empty_day()
        return t

    def pnl(self) -> pd.DataFrame:
        """One row per day and party (:data:`PNL_COLUMNS`)."""
        frame = pd.DataFrame(self.pnl_rows, columns=list(PNL_COLUMNS))
        return frame.astype({"day": np.int64, "party": str})

    def costs(self) -> pd.DataFrame:
        """One row per day, store, lever and payee with a cost (:data:`COST_COLUMNS`)."""
        if not self.cost_rows:
            return pd.DataFrame({"day": pd.Series(dtype=np.int64), "store_id": pd.Series(dtype=np.int64),
                                 "lever": pd.Series(dtype=str), "payee": pd.Series(dtype=str),
                                 "amount": pd.Series(dtype=np.float64)})
        day, store, lever, payee, amount = (np.concatenate(p) for p in zip(*self.cost_rows, strict=True))
        names = np.array(self.lever_names + [""], dtype=object)
        return pd.DataFrame({"day": day.astype(np.int64), "store_id": store.astype(np.int64),
                             "lever": names[lever], "payee": np.array(PAYEES, dtype=object)[payee],
                             "amount": amount.astype(np.float64)})

    def totals(self) -> dict[str, float]:
        """Run totals per party: ``{party}_{item}`` for every item the party books."""
        sums = self.pnl().groupby("party").sum(numeric_only=True)
        return {f"{party}_{item}": float(sums.loc[party, item]) if party in sums.index else 0.0
                for party in PARTIES for item in PARTY_ITEMS[party]}
