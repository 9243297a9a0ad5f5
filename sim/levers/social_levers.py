"""Levers that reach consumers through platforms and other consumers: ads, group-buy, referral, UGC.

Core objects:
    * :class:`Ads` - paid impressions on social and search platforms; a read ad
      makes a brand store known and prompts a visit that day.
    * :class:`GroupBuy` - one brand store's deal: during the window its message
      reaches consumers within ``radius_km``; each who notices commits with
      ``commit_rate``. Once ``threshold`` commitments are in, every committed
      buyer gets the deal price (a ``deal_discount`` coupon) the next day. A
      deal that misses the threshold costs only its messages.
    * :class:`Referral` - a brand-store purchase shared by a customer carries a referral
      coupon for the friends who read it; when a friend redeems it the sharer
      is paid ``referrer_reward``.
    * :class:`UGCReward` - a reward for reviewing or sharing a brand-store visit
      raises those chances by ``review_boost`` / ``share_boost`` (relative) and
      costs ``reward`` each.
"""

from __future__ import annotations

import numpy as np

from sim.config import GroupBuyConfig, ReferralConfig, UGCRewardConfig
from sim.levers.base import FACE_CAP_MULTIPLE, DayOutcome, Exposures, Lever
from sim.levers.effects import Engagement
from sim.world.population import pair_distance
from sim.world.social import pair_chances

__all__ = ["Ads", "GroupBuy", "Referral", "UGCReward"]


class Ads(Lever):
    """Social and search ads for the brand's stores (no coupon; paid per impression).

    Each day ``daily_reach`` of all consumers (whether or not they opted in to
    pushes) see an ad for the brand store nearest them; ``click_rate`` of them
    read it, which makes the store known and prompts a visit today with
    ``prompt`` utils. Impressions cost ``cpm`` per thousand while the budget lasts.
    """

    name = "ads"
    touches = frozenset({"messages"})

    def setup(self, model) -> None:
        """Each consumer's nearest brand store."""
        self.nearest = model.nearest_brand
        self.impressions = 0

    def plan(self, model, day: int) -> Exposures | None:
        """Today's impressions, cut at the budget."""
        cfg = self.cfg
        rng = model.draws(f"lever:{self.name}")
        shown = np.flatnonzero(rng.random(model.population.size) < cfg.daily_reach)
        affordable = int(max(0.0, self.remaining(model.coupon_book)) // max(cfg.cpm / 1000, 1e-12))
        shown = shown[:affordable]
        if shown.size == 0:
            return None
        self.impressions += int(shown.size)
        self.pay(np.full(shown.size, cfg.cpm / 1000), self.nearest[shown])
        n = shown.size
        return Exposures(consumer=shown, store=self.nearest[shown], attention_p=np.full(n, cfg.click_rate),
                         coupon_rate=np.zeros(n), coupon_face=np.zeros(n), coupon_min=np.zeros(n),
                         coupon_expiry=np.full(n, day), prompt=np.full(n, cfg.prompt), lever=self.index)

    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        return {"ad_impressions": self.impressions}


class GroupBuy(Lever):
    """A group-buy deal at one brand store (see module docstring)."""

    name = "group_buy"
    touches = frozenset({"messages", "noticed"})
    platform_orders = True  # the deal is sold on the platform: its redemptions pay the commission

    def setup(self, model) -> None:
        """The deal's store (the first brand store), its audience and counters."""
        cfg: GroupBuyConfig = self.cfg
        pop, table = model.population, model.store_table
        self.store = int(model.brand_stores[0])
        self.audience = pair_distance(pop.home_xy, pop.work_xy, table.xy[self.store]) <= cfg.radius_km
        self.committed = np.zeros(pop.size, dtype=bool)
        self.deal_on_day: int | None = None
        self.messages = 0

    def _in_window(self, day: int) -> bool:
        cfg: GroupBuyConfig = self.cfg
        return cfg.start_day <= day < cfg.start_day + cfg.window_days

    def plan(self, model, day: int) -> Exposures | None:
        """Window days: the deal's message; the day after the threshold: the deal price to committers."""
        cfg: GroupBuyConfig = self.cfg
        pop, table = model.population, model.store_table
        price = float(table.price[self.store])
        if self.deal_on_day is None and self.committed.sum() >= cfg.threshold:
            self.deal_on_day = day
            consumer = np.flatnonzero(self.committed)
            n = consumer.size
            return Exposures(
                consumer=consumer, store=np.full(n, self.store), attention_p=np.ones(n),
                coupon_rate=np.full(n, cfg.deal_discount),
                coupon_face=np.full(n, FACE_CAP_MULTIPLE * cfg.deal_discount * price),
                coupon_min=np.zeros(n), coupon_expiry=np.full(n, day + cfg.validity_days - 1),
                prompt=np.zeros(n), lever=self.index)
        if not self._in_window(day) or self.deal_on_day is not None:
            return None
        target = np.flatnonzero(self.audience & pop.reachable & pop.push_opt_in & ~self.committed)
        target = target[model.draws(f"lever:{self.name}:order").permutation(target.size)]
        affordable = int(max(0.0, self.remaining(model.coupon_book)) // max(cfg.cost_per_message, 1e-9))
        target = target[:affordable]
        if target.size == 0:
            return None
        self.pay(cfg.cost_per_message * target.size, self.store)
        self.messages += int(target.size)
        n = target.size
        return Exposures(consumer=target, store=np.full(n, self.store), attention_p=np.full(n, cfg.open_rate),
                         coupon_rate=np.zeros(n), coupon_face=np.zeros(n), coupon_min=np.zeros(n),
                         coupon_expiry=np.full(n, day), prompt=np.zeros(n), lever=self.index)

    def on_noticed(self, model, day: int, consumer: np.ndarray, store: np.ndarray) -> None:
        """Consumers who notice the deal's message commit with ``commit_rate``."""
        if not self._in_window(day) or self.deal_on_day is not None:
            return
        self.committed[consumer[model.uniforms(f"lever:{self.name}", consumer) < self.cfg.commit_rate]] = True

    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        return {"group_buy_commitments": int(self.committed.sum()),
                "group_buy_deal_day": float("nan") if self.deal_on_day is None else self.deal_on_day}


class Referral(Lever):
    """Referral coupons carried by customers' shares (see module docstring)."""

    name = "referral"
    touches = frozenset({"messages", "after_visits"})
    payee = "consumers"  # the referrers' rewards
    platform_orders = True  # referral coupons are claimed and redeemed through the platform

    def setup(self, model) -> None:
        """Empty referral book."""
        self._pending = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))
        self._keys = np.empty(0, np.int64)
        self._referrer = np.empty(0, np.int64)
        self.referrals = 0
        self.rewards = 0.0

    def plan(self, model, day: int) -> Exposures | None:
        """Yesterday's shares: the friends who read them get a referral coupon for the store."""
        cfg: ReferralConfig = self.cfg
        friend, store, referrer = self._pending
        self._pending = (np.empty(0, np.int64),) * 3
        if friend.size == 0:
            return None
        face = FACE_CAP_MULTIPLE * cfg.friend_discount * model.store_table.price[store]
        key = friend * model.store_table.count + store
        self._keys = np.concatenate([self._keys, key])
        self._referrer = np.concatenate([self._referrer, referrer])
        order = np.argsort(self._keys, kind="stable")
        self._keys, self._referrer = self._keys[order], self._referrer[order]
        n = friend.size
        return Exposures(consumer=friend, store=store, attention_p=np.ones(n),
                         coupon_rate=np.full(n, cfg.friend_discount), coupon_face=face,
                         coupon_min=np.zeros(n), coupon_expiry=np.full(n, day + cfg.validity_days - 1),
                         prompt=np.zeros(n), lever=self.index)

    def after_visits(self, model, day: int, outcome: DayOutcome) -> None:
        """Queue today's shares for tomorrow; pay referrers of redeemed referral coupons."""
        shared = outcome.share & outcome.served & model.is_brand[outcome.store]  # the brand's stores only
        sharers, stores = outcome.consumer[shared], outcome.store[shared]
        if sharers.size:
            which, friend, chance = pair_chances(model.network, sharers, model.cfg.behavior.share_reach,
                                                 model.cfg.wom.form)  # as the shares themselves travel
            reach = model.draw_uniforms(f"lever:{self.name}", friend.size) < chance
            self._pending = (friend[reach], stores[which[reach]], sharers[which[reach]])
        # match today's redemptions against the referral book (friend, store) -> referrer
        key = outcome.consumer[outcome.redeem] * model.store_table.count + outcome.store[outcome.redeem]
        pos = np.searchsorted(self._keys, key)
        hit = (pos < self._keys.size) & (self._keys[np.minimum(pos, self._keys.size - 1)] == key)
        paid = min(int(hit.sum()), int(max(0.0, self.remaining(model.coupon_book)) // max(
            self.cfg.referrer_reward, 1e-9)))
        self.referrals += paid
        self.rewards += paid * self.cfg.referrer_reward
        redeemed_at = outcome.store[outcome.redeem][hit][:paid]
        self.pay(np.full(paid, self.cfg.referrer_reward), redeemed_at)

    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        return {"referrals_rewarded": self.referrals}


class UGCReward(Lever):
    """Rewards for reviews and shares of brand-store visits (see module docstring)."""

    name = "ugc_reward"
    touches = frozenset({"after_visits"})
    payee = "consumers"

    def setup(self, model) -> None:
        """Brand mask, counters, and the raised review and share chances at brand stores."""
        cfg: UGCRewardConfig = self.cfg
        self.is_brand = model.is_brand
        self.rewarded = 0
        self.engagement = Engagement(review=np.where(self.is_brand, 1.0 + cfg.review_boost, 1.0),
                                     share=np.where(self.is_brand, 1.0 + cfg.share_boost, 1.0))

    def after_visits(self, model, day: int, outcome: DayOutcome) -> None:
        """Pay a reward per review and per share at brand stores."""
        brand = self.is_brand[outcome.store]
        posts = (outcome.review & brand).astype(np.int64) + (outcome.share & brand)
        self.rewarded += int(posts.sum())
        self.pay(self.cfg.reward * posts, outcome.store)

    def summary(self) -> dict[str, float]:
        """KPIs this lever adds to the run summary."""
        return {"ugc_rewards": self.rewarded}
