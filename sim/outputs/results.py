"""What a run returns and writes: tidy frames, KPIs, and the files on disk.

Core objects:
    * :class:`Results` - ``daily`` (one row per day), ``stores`` (one row per
      store-day), ``summary`` (dict of KPIs), ``store_info`` (one row per store:
      position, category, price, quality, capacity), ``reviews`` (one row per review) and the
      config; :meth:`Results.save` writes them atomically into a locked folder, ``status.json``
      with their checksums last (:mod:`sim.outputs.run_folder`), :meth:`Results.load` verifies and
      reads them back.
    * :func:`summarize` - the run's KPIs from the model's recorder, the parties' P&L totals
      among them; :func:`attributed_roi` the single run's gross attributed return.
    * :func:`consumer_frame` - one row per consumer: its persona segment and what it did, so
      results can be split by segment (:meth:`Results.by_segment`).

Every run and sweep under a folder as one dataset: :func:`sim.studies.catalogue.open_dataset`.

Column and key meanings and units: docs/OUTPUTS.md.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.config import CATEGORIES, SimConfig, from_dict, to_dict
from sim.outputs.coupon_ledger import CouponLedger, expiry_spike
from sim.outputs.dynamics import period_metrics
from sim.outputs.files import atomic_write
from sim.outputs.ledger import COST_COLUMNS, PNL_COLUMNS
from sim.outputs.recorder import SOURCES, VALENCES
from sim.outputs.review_ledger import ReviewLedger
from sim.rules.codes import CHANNELS

__all__ = ["CONSUMER_COLUMNS", "Results", "attributed_roi", "consumer_frame", "summarize"]

#: Columns of :func:`consumer_frame` (``Results.consumers``; docs/OUTPUTS.md section 12).
CONSUMER_COLUMNS = ("consumer", "segment", "reachable", "member", "visits", "purchases", "spend",
                    "first_purchase_day", "messaged", "redeemed", "brand_customer")


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def attributed_roi(margin: float, redeemed_gross: float, spend: float) -> float:
    """Gross attributed return: ``(margin x gross sales that redeemed a coupon - spend) / spend``.

    Every coupon sale is credited to the campaign, including sales that would have
    happened anyway, so it is not an incremental return (that needs a comparison:
    :mod:`sim.studies.compare`). The discounts are in ``spend`` once. NaN without spend.
    """
    return _ratio(margin * redeemed_gross - spend, spend)


def summarize(model) -> dict[str, Any]:
    """KPIs of a finished run (see docs/OUTPUTS.md for definitions)."""
    rec, cfg, table = model.recorder, model.cfg, model.store_table
    daily = pd.DataFrame(rec.rows)
    book = model.coupon_book
    purchases = rec.customer_purchases
    customers = int((purchases > 0).sum())
    discount_cost = float(daily["discount_cost"].sum())
    campaign_cost = float(daily["campaign_cost"].sum())
    money = rec.ledger.totals()
    points_cost = money["brand_points_cost"] + money["others_points_cost"]
    spend = discount_cost + campaign_cost + points_cost
    redeemed_gross = rec.redeemed_gross
    margin = cfg.stores.margin
    messaged = int(rec.ever_messaged.sum())
    return {
        "scenario": cfg.scenario,
        "consumers": int(model.population.size),
        "stores": int(table.count),
        "days": int(cfg.days),
        "seed": int(cfg.seed),
        "exposed_consumers": messaged,
        "intents": int(daily["intents"].sum()),
        "visits": int(daily["visits"].sum()),
        "balked": int(daily["balked"].sum()),
        "purchases": int(daily["purchases"].sum()),
        "unique_customers": customers,
        "coupons_issued": int(book.issued.sum()),
        "redemptions": int(book.redeemed.sum()),
        "conversion_rate": _ratio(int(rec.ever_redeemed.sum()), messaged),
        "redemption_rate": _ratio(int(book.redeemed.sum()), int(book.issued.sum())),
        "expiry_spike": expiry_spike(rec.coupons.frame(), int(cfg.days) - 1),
        "visit_to_purchase": _ratio(int(daily["purchases"].sum()), int(daily["visits"].sum())),
        "revenue": float(daily["revenue"].sum()),
        "redeemed_gross_revenue": redeemed_gross,
        "discount_cost": discount_cost,
        "campaign_cost": campaign_cost,
        "points_cost": points_cost,
        "campaign_spend": spend,
        "budget": float(sum(lv.budget for lv in model.levers)),
        "attributed_roi": attributed_roi(margin, redeemed_gross, spend),
        "currency": cfg.economics.currency,
        **_brand_metrics(model, money),
        "repeat_rate": _ratio(int((purchases >= 2).sum()), customers),
        "balk_rate": _ratio(int(daily["balked"].sum()), int(daily["visits"].sum())),
        "mean_wait_min": _ratio(rec.queued_wait_sum, rec.queued_count),
        "reviews": int(daily["reviews"].sum()),
        "shares": int(daily["shares"].sum()),
        **{f"shares_{v}": int(daily[f"shares_{v}"].sum()) for v in VALENCES},
        "final_mean_rating": float(table.rating.mean()),
        "members": int(model.population.member.sum()),
        **{f"{kind}_{src}": int(daily[f"{kind}_{src}"].sum()) for kind in ("visits", "purchases")
           for src in SOURCES},
        **{f"purchases_{ch}": int(daily[f"purchases_{ch}"].sum()) for ch in CHANNELS},
        "no_shows": int(daily["intents"].sum() - daily["visits"].sum()),
        "reneged_or_closed": int(daily["reneged"].sum() + daily["closed"].sum()),
        "stockouts": int(daily["stockouts"].sum()),
        **{f"redemptions_{lv.name}": int(model.coupon_book.redeemed[lv.index]) for lv in model.levers},
        **{f"spend_{lv.name}": float(lv.fixed_spend + model.coupon_book.discounts[lv.index])
           for lv in model.levers},
        **_loop_metrics(daily, rec),
        **period_metrics(model),
        **model.deal_returns.metrics(int(cfg.days) - 1),
        "segments": len(model.segments.names) if model.cfg.population.segments else 0,
        "topups": int(daily["topups"].sum()),
        "topup_spend": float(daily["topup_spend"].sum()),
        **_lever_summaries(model),
    }


def consumer_frame(model) -> pd.DataFrame:
    """One row per consumer (:data:`CONSUMER_COLUMNS`): segment, reach, and the recorded days' activity.

    ``segment`` is the persona segment's name (``all`` without segments); ``visits``, ``purchases``
    and ``spend`` (paid: tickets less discounts) count the recorded days; ``first_purchase_day`` is
    -1 for consumers who never bought; ``messaged`` and ``redeemed`` whether a lever's message
    reached them and whether they redeemed a coupon; ``brand_customer`` whether they bought at a
    brand store.
    """
    pop, rec = model.population, model.recorder
    return pd.DataFrame({
        "consumer": np.arange(pop.size, dtype=np.int64),
        "segment": pd.Categorical.from_codes(pop.segment.astype(np.int64),
                                             categories=list(model.segments.names)),
        "reachable": pop.reachable.copy(), "member": pop.member.copy(),
        "visits": rec.consumer_visits.astype(np.int64), "purchases": rec.customer_purchases.astype(np.int64),
        "spend": rec.consumer_spend.copy(), "first_purchase_day": rec.first_purchase_day.astype(np.int64),
        "messaged": rec.ever_messaged.copy(), "redeemed": rec.ever_redeemed.copy(),
        "brand_customer": rec.brand_customer.copy(),
    })


def _empty_consumers() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c == "segment" else np.int64)
                         for c in CONSUMER_COLUMNS})


def _loop_metrics(daily: pd.DataFrame, rec) -> dict[str, Any]:
    """Loop gain, saturation, geography, channels and drop-off causes (docs/OUTPUTS.md)."""
    purchases = int(daily["purchases"].sum())
    by_share = int(daily["purchases_share"].sum())
    first = rec.first_purchase_day
    first = first[first >= 0]
    customers = first.size
    saturation = float(np.quantile(first, 0.9, method="inverted_cdf")) if customers else float("nan")
    trips = purchases - int(daily["purchases_delivery"].sum())
    return {
        "loop_gain": _ratio(by_share, purchases - by_share),
        "days_to_90pct_customers": saturation,
        "mean_trip_km": _ratio(float(daily["trip_km"].sum()), trips),
        "share_beyond_walk": _ratio(int(daily["purchases_beyond_walk"].sum()), purchases),
        "share_pickup": _ratio(int(daily["purchases_pickup"].sum()), purchases),
        "share_delivery": _ratio(int(daily["purchases_delivery"].sum()), purchases),
        "dropoff_psychological": int(daily["dropoff_psychological"].sum()),
        "dropoff_operational": int(daily["dropoff_operational"].sum()),
    }


def _brand_metrics(model, money: dict[str, float]) -> dict[str, Any]:
    """The brand's traffic, customers and spend, and every party's P&L totals (docs/OUTPUTS.md 10)."""
    rec = model.recorder
    brand = model.is_brand
    visits = sum(int(r["visits"][brand].sum()) for r in rec.store_rows)
    purchases = sum(int(r["purchases"][brand].sum()) for r in rec.store_rows)
    group_buy = next((lv for lv in model.levers if lv.name == "group_buy"), None)
    omo = next((lv for lv in model.levers if lv.name == "omo"), None)
    return {
        "brand_stores": int(brand.sum()),
        "brand_visits": visits,
        "brand_purchases": purchases,
        "brand_customers": int(rec.brand_customer.sum()),
        "brand_spend": money["brand_discounts"] + money["brand_campaign_cost"] + money["brand_points_cost"],
        **money,
        "points_outstanding": omo.outstanding() if omo is not None else 0.0,
        "deal_triggered": (float("nan") if group_buy is None
                           else float(group_buy.deal_on_day is not None)),
    }


def _lever_summaries(model) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lever in model.levers:
        out.update(lever.summary())
    crm = next((lv for lv in model.levers if lv.name == "crm"), None)
    if crm is not None:
        members = model.population.member
        out["clv_per_member"] = _ratio(float(crm.member_revenue[members].sum()), int(members.sum()))
    return out


@dataclass
class Results:
    """The tidy outcome of one run.

    Attributes:
        daily: one row per day (columns in :data:`sim.outputs.recorder.DAILY_COLUMNS`).
        stores: one row per store per day (:data:`sim.outputs.recorder.STORE_COLUMNS`).
        summary: KPIs of the run.
        store_info: one row per store (static attributes and final rating).
        config: the config that produced the run.
        city: arrays for maps (``population_density``, ``cell_km``).
        coupons: one row per coupon claimed (:data:`sim.outputs.coupon_ledger.COUPON_COLUMNS`).
        pnl: one row per day and party (:data:`sim.outputs.ledger.PNL_COLUMNS`).
        costs: one row per day, store, lever and payee with a cost (:data:`sim.outputs.ledger.COST_COLUMNS`).
        reviews: one row per review posted (:data:`sim.outputs.review_ledger.REVIEW_COLUMNS`).
        consumers: one row per consumer with its segment (:func:`consumer_frame`).
    """

    daily: pd.DataFrame
    stores: pd.DataFrame
    summary: dict[str, Any]
    store_info: pd.DataFrame
    config: SimConfig
    city: dict[str, Any] = field(default_factory=dict)
    coupons: pd.DataFrame = field(default_factory=lambda: CouponLedger().frame())
    pnl: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(PNL_COLUMNS)))
    costs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(COST_COLUMNS)))
    reviews: pd.DataFrame = field(default_factory=lambda: ReviewLedger().frame())
    consumers: pd.DataFrame = field(default_factory=_empty_consumers)
    wall_seconds: float | None = None  #: how long the simulation took (set by :func:`sim.engine.runner.run`)
    #: who made a loaded run (:func:`sim.outputs.provenance.provenance` when it was saved); empty when new
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The tidy tables by name."""
        return {"daily": self.daily, "stores": self.stores, "store_info": self.store_info,
                "coupons": self.coupons, "pnl": self.pnl, "costs": self.costs, "reviews": self.reviews,
                "consumers": self.consumers}

    def by_segment(self) -> pd.DataFrame:
        """The run split by persona segment: one row per segment (docs/OUTPUTS.md section 12).

        Columns: ``consumers``, ``customers`` (bought at least once), ``visits``, ``purchases``,
        ``spend`` (paid), ``messaged``, ``redeemers``, ``coupons_claimed`` and ``redemptions``
        (from :attr:`coupons`), and per consumer ``visits_per_consumer`` and ``spend_per_consumer``.
        """
        c = self.consumers
        if c.empty:
            return pd.DataFrame()
        seg = c["segment"].astype(str)
        out = pd.DataFrame({
            "consumers": seg.value_counts(sort=False),
            "customers": (c["purchases"] > 0).groupby(seg).sum(),
            "visits": c["visits"].groupby(seg).sum(), "purchases": c["purchases"].groupby(seg).sum(),
            "spend": c["spend"].groupby(seg).sum(), "messaged": c["messaged"].groupby(seg).sum(),
            "redeemers": c["redeemed"].groupby(seg).sum(),
        })
        coupon_seg = seg.to_numpy()[self.coupons["consumer"].to_numpy(dtype=np.int64)]
        out["coupons_claimed"] = pd.Series(coupon_seg).value_counts().reindex(out.index, fill_value=0)
        redeemed = coupon_seg[self.coupons["redeemed_day"].to_numpy() >= 0]
        out["redemptions"] = pd.Series(redeemed).value_counts().reindex(out.index, fill_value=0)
        out["visits_per_consumer"] = out["visits"] / out["consumers"]
        out["spend_per_consumer"] = out["spend"] / out["consumers"]
        order = [s for s in c["segment"].cat.categories if s in out.index] if hasattr(c["segment"], "cat") \
            else list(out.index)
        return out.loc[order].rename_axis("segment")

    def save(self, path: str | os.PathLike, figures: bool = True, overwrite: bool = False,
             seconds: float | None = None) -> Path:
        """Write the run to a folder, every file atomically, and ``status.json`` last.

        Writes ``daily.parquet``, ``stores.parquet``, ``store_info.parquet``, ``coupons.parquet``,
        ``pnl.parquet``, ``costs.parquet``, ``reviews.parquet``, ``consumers.parquet``, ``city.npz``,
        ``summary.json``,
        ``config.yaml``, unless ``figures=False`` ``figures/*.png``, and then ``status.json``
        listing every file with its size and SHA-256 checksum (docs/OUTPUTS.md 5 and 7.2). The
        folder is locked while it is written (:func:`sim.outputs.run_folder.locked`; another
        process saving there waits).

        Args:
            path: the run folder (created if needed).
            figures: draw the figures.
            overwrite: replace an earlier run in the folder; its files are removed first, so the
                folder never mixes two runs.
            seconds: wall-clock seconds the run took before saving; ``status.json`` records them
                plus the time spent saving.

        Returns:
            The folder.

        Raises:
            FileExistsError: (:class:`sim.outputs.run_folder.FolderNotEmptyError`) the folder holds files
                that are not a run, or an earlier run and ``overwrite`` is false.
            OSError: a file cannot be written (read-only or full disk); the run is then marked
                ``failed`` when that is still possible, never ``ok``.
        """
        from sim.outputs import run_folder

        start = time.perf_counter()
        out = Path(path)
        with run_folder.locked(out):
            run_folder.prepare(out, overwrite=overwrite)
            try:
                written = self._write_files(out, figures)
                took = time.perf_counter() - start + (seconds or 0.0)
                run_folder.finish(out, written, seconds=took)
            except BaseException as err:
                with contextlib.suppress(OSError):
                    if isinstance(err, KeyboardInterrupt):
                        run_folder.interrupt(out, err)
                    else:
                        run_folder.fail(out, err)
                raise
        return out

    def _write_files(self, out: Path, figures: bool) -> list[str]:
        """Write the run's files into ``out``; return their names relative to it, in order."""
        written = []

        def put(name: str, write: Callable[[str], None]) -> None:
            atomic_write(out / name, write)
            written.append(name)

        for name, frame in self.to_frames().items():
            put(f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
        put("city.npz", lambda p: _save_npz(p, self.city))
        from sim.outputs.provenance import provenance, yaml_header

        wall = {"wall_seconds": None if self.wall_seconds is None else round(self.wall_seconds, 3)}
        summary = {k: _json_safe(v) for k, v in {**self.summary, **provenance(), **wall}.items()}
        put("summary.json", lambda p: Path(p).write_text(json.dumps(summary, indent=2) + "\n"))
        cfg_text = yaml_header(wall) + yaml.safe_dump(to_dict(self.config), sort_keys=False)
        put("config.yaml", lambda p: Path(p).write_text(cfg_text))
        if figures:
            from sim.outputs.html_report import run_page
            from sim.outputs.plots import save_figures

            written += [p.relative_to(out).as_posix() for p in save_figures(self, out / "figures")]
            page = run_page(self, out)
            put("report.html", lambda p: Path(p).write_text(page, encoding="utf-8"))
        return written

    @classmethod
    def load(cls, path: str | os.PathLike) -> Results:
        """Read a folder written by :meth:`save`.

        A folder with ``status.json`` is verified first (:func:`sim.outputs.run_folder.verify`);
        folders written before ``status.json`` existed are read as they are.

        Raises:
            sim.outputs.run_folder.RunFolderError: the run is not ``ok`` (damaged, incomplete, failed,
                interrupted or still running); the message names the first bad file.
        """
        from sim.outputs import run_folder

        path = Path(path)
        if (path / run_folder.STATUS_FILE).exists():
            state = run_folder.verify(path)
            if state["status"] != "ok":
                raise run_folder.RunFolderError(
                    f"{path} holds no usable run: status {state['status']}"
                    + (f" ({state['error']})" if state.get("error") else ""))
        from sim.outputs.provenance import PROVENANCE_KEYS

        summary = json.loads((path / "summary.json").read_text())
        made_by = {k: summary.pop(k) for k in (*PROVENANCE_KEYS, "wall_seconds") if k in summary}
        summary = {k: (float("nan") if v is None else v) for k, v in summary.items()}
        with np.load(path / "city.npz") as z:
            city = {k: z[k] for k in z.files}
        return cls(
            daily=pd.read_parquet(path / "daily.parquet"),
            stores=pd.read_parquet(path / "stores.parquet"),
            summary=summary,
            store_info=pd.read_parquet(path / "store_info.parquet"),
            config=from_dict(yaml.safe_load((path / "config.yaml").read_text())),
            city=city,
            coupons=(pd.read_parquet(path / "coupons.parquet") if (path / "coupons.parquet").exists()
                     else CouponLedger().frame()),
            **{name: pd.read_parquet(path / f"{name}.parquet")
               for name in ("pnl", "costs", "reviews", "consumers") if (path / f"{name}.parquet").exists()},
            wall_seconds=made_by.get("wall_seconds"),
            provenance={k: v for k, v in made_by.items() if k != "wall_seconds"},
        )

    @classmethod
    def from_model(cls, model) -> Results:
        """Collect the results of a finished model."""
        rec, table = model.recorder, model.store_table
        daily = pd.DataFrame(rec.rows)
        columns = rec.store_rows[0].keys() if rec.store_rows else ()
        stores = pd.DataFrame({c: np.concatenate([r[c] for r in rec.store_rows]) for c in columns})
        info = pd.DataFrame({
            "store_id": np.arange(table.count),
            "x_km": table.xy[:, 0], "y_km": table.xy[:, 1],
            "category": [CATEGORIES[c] for c in table.category],
            "price": table.price, "quality": table.quality, "servers": table.servers,
            "final_rating": table.rating, "reviews": table.rating_n.astype(np.int64),
            "campaign": np.isin(np.arange(table.count),
                                np.concatenate([getattr(lv, "stores", np.empty(0, int))
                                                for lv in model.levers] + [np.empty(0, int)])),
            "brand": np.isin(np.arange(table.count), model.brand_stores),
        })
        city = {
            "population_density": model.city.population_density,
            "cell_km": np.float64(model.cfg.city.cell_km),
        }
        return cls(daily, stores, summarize(model), info, model.cfg, city, rec.coupons.frame(),
                   rec.ledger.pnl(), rec.ledger.costs(), rec.reviews.frame(),
                   consumer_frame(model))


def _save_npz(path: str, arrays: dict[str, Any]) -> None:
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
