"""The O2O model: wires city, consumers, network, stores, levers and the store day.

Core object: :class:`O2OModel` (a ``mesa.Model``); one :meth:`O2OModel.step` is one day.

Consumers are arrays (:class:`~sim.world.population.Population`), stores are Mesa
agents backed by a :class:`~sim.world.stores.StoreTable`, the store day runs in
SimPy (:mod:`sim.engine.service`), and every random draw comes from a named stream
(:class:`~sim.random.streams.Streams`) keyed by the run's seed and the step count (warm-up
included).
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.config import CATEGORIES, SimConfig, validate
from sim.config.resources import check_resources
from sim.engine.plan import DayPlan, build_plan
from sim.kernels import decision as decision_kernel
from sim.kernels.decision import DayUtility
from sim.levers import build_levers
from sim.levers.base import CouponBook, Exposures
from sim.levers.shaped_terms import ShapedTerms
from sim.outputs.dynamics import DealReturns
from sim.outputs.recorder import DayRecorder, WarmUpRecorder
from sim.random import keyed
from sim.random.streams import Streams
from sim.rules import behavior, redemption
from sim.rules import channels as channel_rules
from sim.world.calendar import Calendar
from sim.world.city import build_city, distance_utility, travel_cost
from sim.world.needs import Needs
from sim.world.neighbours import k_nearest
from sim.world.population import NO_STORE, build_population, flat_view
from sim.world.reference_prices import ReferencePrices
from sim.world.segments import assign_segments
from sim.world.social import build_network, hear_shares
from sim.world.store_overrides import apply_overrides, set_ratings
from sim.world.stores import Store, build_stores, size_brand_stores

__all__ = ["O2OModel"]

#: The counter-based streams every day draws from: their keys are made together, once a day.
DAILY_STREAMS = ("decision:visit", "decision:choice", "decision:follow", "arrival:hour", "arrival:minute",
                 "service:patience", "service:time", "experience:ticket", "experience:quality",
                 "experience:review", "experience:share", "experience:forget")



class O2OModel(mesa.Model):
    """An O2O city: one step is one day of the consumer loop.

    Args:
        cfg: a validated :class:`~sim.config.SimConfig`.
        keep_event_log: keep the SimPy event log of every day as ``(day, minute, store,
            consumer, event)`` tuples in :attr:`event_log` (tests, teaching).

    Attributes:
        cfg, streams, city, store_table, population, network, levers, coupon_book,
        recorder, day; ``may_hold_coupons`` and ``may_hold_prompts``: whether any slot may
        hold a coupon or today's prompt (when not, the daily passes skip those arrays).
    """

    def __init__(self, cfg: SimConfig, keep_event_log: bool = False):
        validate(cfg)
        check_resources(cfg)  # refuse, before anything is allocated, a run that cannot fit in memory
        self.streams = Streams(cfg.seed)
        self.streams.prepare(DAILY_STREAMS)
        self.streams.prepare(("share_reach",))  # (a sequential stream: Streams.day_uniforms)
        super().__init__(rng=self.streams.integer_seed("mesa"))
        self.cfg = cfg
        self.day = -cfg.warmup_days  # recorded days start at 0, after the warm-up
        self.clock = 0  # steps taken, warm-up included: keys the daily random streams
        self._keys: dict[str, np.uint64] = {}  # today's stream keys (draw_key), made at step _keys_clock
        self._keys_clock = -1
        self.city = build_city(cfg.city, self.streams.get("city"), self.random)
        self.store_table = build_stores(cfg.stores, self.city, self.streams.get("stores"))
        apply_overrides(self.store_table, cfg.stores)  # single stores' own settings (docs/ODD.md 7.3a)
        for i in range(self.store_table.count):
            cx, cy = self.store_table.cell[i]
            Store(self, i, self.store_table, self.city.grid[(int(cx), int(cy))])
        self.population = build_population(cfg.population, cfg.behavior, self.city,
                                           self.store_table.xy, self.streams.get("population"),
                                           self.store_table.quality, start_day=-cfg.warmup_days,
                                           traits_rng=self.streams.get("population:traits"))
        #: the persona segments; each consumer's traits moved by its segment's (docs/ODD.md 7.2a)
        self.segments = assign_segments(cfg.population, self.population, self.streams.get("segments"))
        self.network = build_network(cfg.network, self.population.home_xy,
                                     self.streams.get("network"), cfg.wom.strong_tie_weight)
        self.decision_workspace = decision_kernel.Workspace()  # the daily decision's arrays, reused
        brand_rng = self.streams.get("brand")
        n_brand = max(1, int(round(cfg.campaign.brand_share * self.store_table.count)))
        self.brand_stores = np.sort(brand_rng.choice(self.store_table.count, size=n_brand, replace=False))
        size_brand_stores(self.store_table, self.brand_stores, cfg.stores, self.streams.get("brand:servers"))
        apply_overrides(self.store_table, cfg.stores)  # again: a store's own servers win over the brand's
        self.is_brand = np.isin(np.arange(self.store_table.count), self.brand_stores)
        nearest = k_nearest(self.store_table.xy[self.brand_stores], 1, self.population.home_xy)[:, 0]
        self.nearest_brand = self.brand_stores[nearest]  # each consumer's nearest brand store (home)
        self.levers = build_levers(cfg.campaign)
        max_validity = max([lv.validity_days for lv in self.levers] + [1])
        caps = [lv.redemption_cap for lv in self.levers] or [0]
        self.coupon_book = CouponBook(max(1, len(self.levers)), cfg.days, max_validity, caps)
        for lever in self.levers:
            lever.bind(self)
            lever.setup(self)
        #: which levers' coupon redemptions are platform orders (commission), by lever index
        self.platform_lever = np.array([lv.platform_orders for lv in self.levers] + [False])
        self.stock_left = self.store_table.stock.copy()  # today's stock after the store day
        self.hour_cdf = np.cumsum(self.store_table.hour_weights(), axis=1)
        #: the category constants; ``asc`` is today's, with the calendar's shift (docs/ODD.md 7.8a)
        self.base_asc = np.array([getattr(cfg.behavior, f"asc_{c}") for c in CATEGORIES])
        self.asc = self.base_asc.copy()
        self.calendar = Calendar(cfg.calendar, self.segments.names)
        #: the outside options before any segment's calendar shift (kept only when a scope names one)
        self.base_outside = self.population.outside_utility.copy() if self.calendar.by_segment else None
        self._calendar_for: int | None = None  # the day asc and the outside options were set for
        #: each store's average ticket over its category's usual price (the price paid in satisfaction)
        self.price_ratio = self.store_table.price / (self.store_table.price - self.store_table.price_premium)
        self.needs = Needs(self.population.size, cfg.behavior, self.streams.get("needs"))
        self.deal_returns = DealReturns(self.population.size)  # no coupon is redeemed in the warm-up
        self.reference_prices = ReferencePrices(self.population.size, cfg.behavior.reference_weight)
        self.pending_shares = _empty_shares()
        #: adoption "once": the store each adopter bought at (-1 = not adopted yet)
        self.adopted_store = np.full(self.population.size, -1, dtype=np.int32)
        self.promotion_miss = np.ones(self.population.size)  # today's P(no promotion noticed)
        #: False only when no slot can hold a coupon / a prompt: the day then skips those arrays
        self.may_hold_coupons = False  # a new population holds no coupon and no prompt
        self.may_hold_prompts = False
        self.event_log: list | None = [] if keep_event_log else None
        #: the day plans (sim.engine.plan): the warm-up's, then the campaign's from day 0
        self.warmup_plan = build_plan(self, [], keep_event_log)
        self.campaign_plan = build_plan(self, self.levers, keep_event_log)
        self.recorder = WarmUpRecorder()  # the warm-up's days are not recorded
        while self.day < 0:  # warm-up: the organic loop alone, towards its steady state
            self.step()
        self.recorder = DayRecorder(self)
        if self.event_log is not None:
            self.event_log.clear()
        set_ratings(self.store_table, cfg.stores)  # ratings asked for hold from day 0 (docs/ODD.md 7.3a)

    @property
    def active_levers(self) -> list:
        """The levers acting today: none during the warm-up (the organic loop alone)."""
        return self.levers if self.day >= 0 else []

    def add_lever(self, lever) -> None:
        """Add a lever after the model is built (a custom lever, a test): it acts from the next day.

        The lever is numbered after the others, bound to the stores' cost books, set up, and
        the campaign's day plan is built again with it. It may not issue coupons (the coupon
        book is sized when the model is built): give it a config section instead.
        """
        lever.index = len(self.levers)
        lever.bind(self)
        lever.setup(self)
        self.levers.append(lever)
        self.platform_lever = np.array([lv.platform_orders for lv in self.levers] + [False])
        self.campaign_plan = build_plan(self, self.levers, self.event_log is not None)

    def draws(self, name: str) -> np.random.Generator:
        """Today's generator of a named stream: one per (seed, warm-up, step), whatever the scenario."""
        return self.streams.day(name, self.clock)

    def draw_uniforms(self, name: str, size: int) -> np.ndarray:
        """``draws(name).random(size)``: today's first ``size`` uniforms of a sequential stream, cheaper."""
        return self.streams.day_uniforms(name, self.clock, size)

    def draw_key(self, name: str) -> np.uint64:
        """Today's key of a counter-based stream (:mod:`sim.random.keyed`): one per (seed, name, step)."""
        if self._keys_clock != self.clock:  # a new day: the daily streams' keys in one call
            self._keys = self.streams.keys(DAILY_STREAMS, self.clock)
            self._keys_clock = self.clock
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = self.streams.key(name, self.clock)
        return key

    def uniforms(self, name: str, consumers: np.ndarray) -> np.ndarray:
        """Today's uniform in [0, 1) of stream ``name`` for each of ``consumers``.

        A consumer's draw depends only on (seed, name, step, consumer): whoever else draws
        today, and whether they do, leaves it unchanged (common random numbers).
        """
        return keyed.uniforms(self.draw_key(name), consumers)

    @property
    def stores(self) -> list[Store]:
        """Store agents ordered by store id."""
        return sorted(self.agents_by_type[Store], key=lambda s: s.index)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Advance one day.

        First the calendar sets the day's weekday, payday and event shifts of the category
        constants and of the outside options of the segments it names (docs/ODD.md 7.8a); then,
        in this order:

        1. **Plan** - each lever decides today's messages (targets, hour,
           coupon, prompt) within its budget and frequency cap (not during the
           warm-up days before day 0, which run the organic loop alone).
        2. **Online** - messages reach consumers, who notice them or not;
           noticed ones make the store known, fill the coupon wallet and prompt;
           yesterday's shares reach friends (awareness, social proof); then each
           consumer weighs the utility of visiting each known store against
           staying home (logit on the logsum) and, if going, picks a store
           (multinomial logit): the day's intents.
        3. **Offline** - intenders who follow through arrive at an hour drawn
           from the store's hourly profile; SimPy serves them with limited
           servers, balking, reneging, closing time and stock; purchases redeem
           coupons.
        4. **After** - satisfaction (experience vs expectation); reviews with a
           probability rising with how extreme the experience was update the
           rating; shares are queued for tomorrow; memory, loyalty and the
           expected wait update; stores long without contact may be forgotten;
           expired coupons lapse.
        5. **Record** - funnel counts, money, waits and ratings for the day.

        ``running`` turns false after the last configured day (Mesa's convention); a step
        beyond it is refused (the coupon ledger and the records are sized for ``days``).

        Raises:
            RuntimeError: every configured day has been simulated.
        """
        day = self.day
        if day >= self.cfg.days:
            raise RuntimeError(f"O2OModel.step: all days={self.cfg.days} configured days have been "
                               "simulated; build the model with a larger 'days' to simulate more")
        self.recorder.start_day(day)
        if day == 0:
            for lever in self.levers:
                lever.start(self)
        self.calendar_day(day)                                       # the day's calendar shifts
        self.plan.run(self, day)                                     # 1. - 4. (sim.engine.day)
        self.recorder.end_day(day)                                   # 5. Record
        self.day += 1
        self.clock += 1
        self.running = self.day < self.cfg.days

    def calendar_day(self, day: int) -> None:
        """Set today's category constants and outside options from the calendar (once per day).

        Every store of a category gains the calendar's shift for it (:attr:`asc`); the consumers
        of a segment a calendar scope names have their outside option lowered by its shift.
        """
        if self._calendar_for == day:
            return
        self.asc = self.base_asc + self.calendar.category_shift(day)
        if self.base_outside is not None:
            shift = self.calendar.segment_shift(day).astype(np.float32)
            pop = self.population
            np.subtract(self.base_outside, shift[pop.segment], out=pop.outside_utility)
        self._calendar_for = day

    @property
    def plan(self) -> DayPlan:
        """Today's :class:`~sim.engine.plan.DayPlan`: the warm-up's before day 0, else the campaign's."""
        return self.campaign_plan if self.day >= 0 else self.warmup_plan

    # ------------------------------------------------------------------ 2. online
    def apply_exposures(self, day: int, exposures: list[Exposures]) -> None:
        """Today's messages reach consumers: noticed ones make the store known, fill wallets, prompt."""
        pop = self.population
        if self.may_hold_prompts:  # yesterday's prompts fade (without any, nothing to clear)
            self.may_hold_prompts = fade_prompts(pop, self.cfg.behavior.prompt_carryover)
        book = self.coupon_book
        if self.network.complete:  # the mean-field word of mouth needs each consumer's promotion reach
            self.promotion_miss = np.ones(pop.size)
            for ex in exposures:
                np.multiply.at(self.promotion_miss, ex.consumer, 1.0 - ex.attention_p)
        for ex in exposures:
            seen = np.flatnonzero(self.uniforms(f"attention:{ex.lever}", ex.consumer) < ex.attention_p)
            slot_all = pop.ensure_slots(ex.consumer[seen], ex.store[seen], self.store_table.xy, day)
            placed = slot_all != NO_STORE
            seen, slot = seen[placed], slot_all[placed]
            c = ex.consumer[seen]
            pop.slot_aware[c, slot] = True
            pop.slot_touched[c, slot] = day
            # coupons are claimed in the day's (random) send order while the budget lasts
            face = ex.coupon_face[seen].astype(np.float32).astype(np.float64)  # the wallet's precision
            wants = face > 0
            room = self.levers[ex.lever].remaining(book)
            claims = wants & (np.cumsum(np.where(wants, face, 0.0)) <= room)
            cc, sc, k = c[claims], slot[claims], seen[claims]
            claimed = face[claims]
            pop.slot_coupon[cc, sc] = claimed
            pop.slot_coupon_rate[cc, sc] = ex.coupon_rate[k]
            pop.slot_coupon_expiry[cc, sc] = ex.coupon_expiry[k]
            pop.slot_coupon_min[cc, sc] = ex.coupon_min[k]
            pop.slot_coupon_lever[cc, sc] = ex.lever
            book.reserve(ex.lever, ex.coupon_expiry[k], claimed)
            self.recorder.coupons.claimed(day, ex.lever, cc, pop.slot_store[cc, sc],
                                          pop.slot_distance[cc, sc],
                                          claimed, ex.coupon_min[k], ex.coupon_expiry[k])
            np.maximum.at(pop.slot_prompt, (c, slot), ex.prompt[seen].astype(np.float32))
            prompted = ex.prompt[seen] > 0
            pop.slot_prompt_lever[c[prompted], slot[prompted]] = ex.lever
            self.may_hold_prompts |= bool(prompted.any())
            self.may_hold_coupons |= bool(cc.size)
            book.issue(ex.lever, int(cc.size))
            self.levers[ex.lever].on_noticed(self, day, c, ex.store[seen])
            self.recorder.exposed(ex.consumer, c, int(cc.size))

    def hear_shares(self, day: int) -> None:
        """Yesterday's shares reach friends (awareness, social proof)."""
        pop, sh = self.population, self.pending_shares  # (social proof decayed overnight: _after)
        if sh["sender"].size == 0:
            return
        if self.network.complete:
            which, friend = self._mean_field_contacts(sh["sender"].size)
            heard = pop.hear(friend, sh["store"][which], sh["valence"][which], self.store_table.xy, day)
        else:  # friends reached with the reach stream's uniforms, in one compiled pass
            words = self.streams.day_words("share_reach", self.clock)
            heard = hear_shares(self.network, pop, sh["sender"], sh["store"], sh["valence"], words,
                                self.cfg.behavior.share_reach, self.store_table.xy, day, self.cfg.wom.form,
                                self.cfg.wom.strong_tie_influence)
        self.recorder.shared_in(heard)
        self.pending_shares = _empty_shares()

    def _mean_field_contacts(self, talkers: int) -> tuple[np.ndarray, np.ndarray]:
        """Word of mouth under complete mixing: who hears of a store today, and from which talker.

        Each talker's word reaches each consumer with chance ``share_reach / N``,
        so a consumer hears with chance ``h = share_reach x talkers / N`` (Bass's
        ``q F``). As in Bass's discrete hazard ``p + q F``, promotion and word of
        mouth are exclusive causes within a day: word of mouth is drawn with chance
        ``h / P(no promotion noticed today)``, which makes the chance of hearing of
        the store by either exactly ``P(promotion) + h`` (capped at 1).
        """
        n = self.population.size
        hazard = self.cfg.behavior.share_reach * talkers / n
        miss = self.promotion_miss
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(miss > 0, np.minimum(1.0, hazard / miss), 0.0)
        rng = self.draws("share_reach")
        friend = np.flatnonzero(rng.random(n) < p)
        return rng.integers(0, talkers, size=friend.size), friend

    def utility_terms(self, day: int) -> behavior.UtilityTerms:
        """Every term of today's utility of visiting each considered store (before levers)."""
        self.calendar_day(day)
        pop, t, b = self.population, self.store_table, self.cfg.behavior
        store = np.maximum(pop.slot_store, 0)
        available = pop.slot_aware & (pop.slot_store != NO_STORE)
        rating = t.rating[store]
        trust = pop.trust[:, None]
        quality = behavior.expected_quality(pop.slot_memory, rating, trust)
        familiar = ~np.isnan(pop.slot_memory)
        doubt = behavior.doubt(familiar, trust, t.rating_n[store], b.doubt, b.review_confidence_n)
        hours, money = travel_cost(pop.slot_distance, self.cfg.city)
        distance_utils = 0.0
        if b.distance_form == "log":  # Huff: distance enters as beta * ln(km) instead of its cost
            distance_utils = distance_utility(pop.slot_distance, self.cfg.city, b.beta_log_distance)
            hours, money = np.zeros_like(hours), np.zeros_like(money)
        return behavior.UtilityTerms(
            asc=self.needs.category_utils(self.asc)[np.arange(pop.size)[:, None], t.category[store]],
            quality=quality,
            social=pop.slot_social,
            habit=pop.slot_habit,
            incentive_money=self.incentive(day),
            price_premium=t.price_premium[store],
            prompt=pop.slot_prompt,
            travel_hours=hours,
            travel_money=money,
            wait_min=t.expected_wait_min[store],
            hassle=t.hassle[store],
            doubt_utils=doubt,
            money_weight=pop.money_weight[:, None],
            value_of_time=pop.value_of_time[:, None],
            available=available,
            distance_utils=distance_utils,
            price=t.price[store],
            reference_share=np.where(pop.slot_store == self.reference_prices.store[:, None],
                                     self.reference_prices.share[:, None], 1.0),
            loss_aversion=b.loss_aversion,
        )

    def coupon_value(self, day: int) -> np.ndarray:
        """(N, K) expected money off from the held coupons (:func:`sim.rules.redemption.expected_values`)."""
        b = self.cfg.behavior
        return redemption.expected_values(self.population, self.store_table.price, day, b.coupon_urgency,
                                          b.coupon_urgency_days)

    def incentive(self, day: int) -> np.ndarray:
        """(N, K) the held coupons' money as the choice weighs it: :meth:`coupon_value` x each deal weight.

        Deal-prone consumers (:mod:`sim.world.segments`) weigh a coupon above its money value;
        without segments this is :meth:`coupon_value`.
        """
        value = self.coupon_value(day)
        if self.segments.deal_weighted:
            value *= self.population.deal_weight[:, None]
        return value

    def shaped_terms(self, day: int) -> ShapedTerms:
        """Today's terms after every active lever's ``shape_choice`` hook."""
        pop, t = self.population, self.store_table
        base = {"incentive_money": lambda: self.incentive(day),  # built only if a lever rewrites it
                "wait_min": lambda: t.expected_wait_min[np.maximum(pop.slot_store, 0)],
                "hassle": lambda: t.hassle[np.maximum(pop.slot_store, 0)],
                "extra": lambda: 0.0,
                "available": lambda: pop.slot_aware & (pop.slot_store != NO_STORE)}
        nest = self.plan.nest
        nest_gain = None
        if nest is not None:
            def nest_gain(full):
                return channel_rules.nest_extra(full, nest, pop.slot_store, pop.slot_distance,
                                                t.expected_wait_min, self.cfg.behavior.wait_aversion)
        terms = ShapedTerms(lambda: self.utility_terms(day), base, pop.slot_store, nest_gain)
        for lever in self.active_levers:
            lever.shape_choice(self, day, terms)
        return terms

    def day_utility(self, day: int, decide: bool = False) -> DayUtility:
        """Today's utilities, logsums and visit chances (:mod:`sim.kernels.decision`), levers applied.

        With ``decide``, the compiled pass also draws today's intents, store choices and
        follow-through (``intends``, ``chosen``, ``intent``, ``follows``) when it can; a day
        decided from the full terms leaves them ``None`` (the caller draws them:
        :meth:`_online_decide`, with the same draws).
        """
        self.calendar_day(day)
        rewritten, bonuses, nest = {}, [], None  # no lever acts: no term is rewritten
        if self.active_levers:
            terms = self.shaped_terms(day)
            if not terms.fast:  # a lever rewrote a term the kernel does not take: decide from the full terms
                return decision_kernel.from_terms(terms.terms, self.population.outside_utility,
                                                  self.cfg.behavior)
            rewritten, bonuses = terms.rewritten, terms.bonuses
            nest = None if terms.nest_in_terms else self.plan.nest  # (else in the rewritten extra)
        if not decide:
            return decision_kernel.evaluate(self, day, rewritten, bonuses=bonuses, nest=nest)
        keys = (self.draw_key("decision:visit"), self.draw_key("decision:choice"))
        follow = (self.draw_key("decision:follow"), self.cfg.behavior.follow_through)
        return decision_kernel.evaluate(self, day, rewritten, decide=keys, workspace=self.decision_workspace,
                                        follow=follow, bonuses=bonuses, nest=nest)

    def utilities(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """(N, K) utility of visiting each considered store today, and the availability mask.

        Levers change the terms first (their ``shape_choice`` hook).
        """
        today = self.day_utility(day)
        return today.utility, today.available

    def decide(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today's intents: who intends to visit, the slot each chose, whether each makes the trip."""
        pop = self.population
        today = self.day_utility(day, decide=True)
        p_visit = today.p_visit
        if today.intends is not None:  # decided in the compiled pass, with the same draws as below
            intent, follow = today.intent, today.follows
            slot = today.chosen[intent]
        else:
            intent = np.flatnonzero(self.uniforms("decision:visit", np.arange(pop.size)) < p_visit)
            slot = decision_kernel.choose(today, intent, self.uniforms("decision:choice", intent))
            follow = self.uniforms("decision:follow", intent) < self.cfg.behavior.follow_through
        if self.cfg.behavior.adoption == "once":  # adopters buy no more (a chance of 0 never draws below)
            p_visit[self.adopted_store >= 0] = 0.0
            keep = self.adopted_store[intent] < 0
            intent, slot, follow = intent[keep], slot[keep], follow[keep]
        self._classify_dropoffs(intent, today)
        return intent, slot, follow

    def _classify_dropoffs(self, intent: np.ndarray, today: DayUtility) -> None:
        """Why reached consumers did not act: operational friction or psychological reluctance.

        Among consumers who noticed a message or read a share today but formed no
        intent, a drop-off is *operational* if, at their most attractive store,
        removing travel, waiting and booking costs would lift the visit above
        staying home; otherwise it is *psychological* (incentive too weak, doubt).
        """
        reached = self.recorder.reached_today()
        if reached.size == 0:
            self.recorder.dropoffs(0, 0)
            return
        self.recorder.dropoffs(*decision_kernel.dropoff_counts(today, reached, intent,
                                                               self.population.outside_utility))

    # ------------------------------------------------------------------ 4. after
    def _redeemable(self, day: int, at: np.ndarray, ticket: np.ndarray) -> np.ndarray:
        """Visits whose held coupon applies: valid today, minimum spend reached, within the cap.

        ``at``: each visit's flat slot index (``consumer * K + slot``).
        """
        pop = self.population
        ok = redemption.eligible(pop, at, ticket, day)
        idx = np.flatnonzero(ok)
        ok[idx] = self.coupon_book.within_cap(flat_view(pop.slot_coupon_lever)[at[idx]].astype(np.int64))
        return ok

    def redeem(self, day, c, at, store, ticket, served) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Purchases that redeem their held coupon, and the discounts; the coupons are used up.

        Returns:
            ``(redeem, discount, platform)`` per visit: whether it redeemed a coupon, the discount,
            and whether the coupon was a platform lever's (its order pays the commission).
        """
        if not self.may_hold_coupons:
            return np.zeros(c.size, dtype=bool), np.zeros(c.size), np.zeros(c.size, dtype=bool)
        pop = self.population
        redeem = served & self._redeemable(day, at, ticket)
        discount = redemption.discounts(pop, at, ticket, redeem)
        rc, ra = c[redeem], at[redeem]
        lever = flat_view(pop.slot_coupon_lever)[ra].astype(np.int64)
        platform = np.zeros(c.size, dtype=bool)
        platform[redeem] = self.platform_lever[lever]
        self.recorder.coupons.redeemed(day, lever, rc, store[redeem])
        self.coupon_book.redeem(lever, flat_view(pop.slot_coupon_expiry)[ra].astype(np.int64),
                                flat_view(pop.slot_coupon)[ra].astype(np.float64), discount[redeem])
        flat_view(pop.slot_coupon)[ra] = 0.0
        flat_view(pop.slot_coupon_lever)[ra] = -1
        flat_view(pop.slot_coupon_min)[ra] = 0.0
        return redeem, discount, platform


def _empty_shares() -> dict[str, np.ndarray]:
    return {"sender": np.empty(0, dtype=np.int64), "store": np.empty(0, dtype=np.int64),
            "valence": np.empty(0, dtype=np.float32)}


#: A carried-over prompt below this many utils is dropped (and its lever forgotten).
PROMPT_FLOOR = 0.01


def fade_prompts(pop, carryover: float) -> bool:
    """Yesterday's prompts carry over to today times ``carryover`` (a planned visit); tiny ones drop.

    Returns:
        Whether any slot still holds a prompt.
    """
    if carryover <= 0.0:
        pop.slot_prompt[:] = 0.0
        pop.slot_prompt_lever[:] = -1
        return False
    pop.slot_prompt *= np.float32(carryover)
    faded = pop.slot_prompt < PROMPT_FLOOR
    pop.slot_prompt[faded] = 0.0
    pop.slot_prompt_lever[faded] = -1
    return not faded.all()

