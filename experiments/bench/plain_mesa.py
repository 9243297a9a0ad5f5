"""The plain-Mesa baseline: the engine's whole day written the way the Mesa tutorials teach.

One ``mesa.Agent`` per consumer with a ``step()``, stores as agents, friends as
Python lists, everything in Python loops with draws from the model's ``random``
(no numpy in the daily path, no SimPy, no compiled code). It exists to measure
what the array engine (``sim.engine.model.O2OModel``) gains on the same workload: the
same city, stores, consumers, consideration sets and friendships (built once by
the engine's own builders and copied into the agents) and the same day:

* **Decision** - the same utility terms (expected quality from memory or
  rating, doubt, price, social proof, habit, travel, booking hassle and the
  store's learned expected wait), the logit of visiting against staying home,
  the multinomial logit store choice and follow-through.
* **Store day** - each visitor gets an arrival minute from the store's hourly
  profile (the engine's hour CDF, inverse CDF then a uniform minute), a gamma
  patience, a balking threshold and a shifted-exponential service time; the
  store then serves the day first come, first served with its parallel
  servers (a ``heapq`` of server-free minutes): arrivals at or after closing
  are turned away, arrivals who expect too long a wait balk, those whose wait
  would exceed their patience or run past closing renege (or are turned away
  at closing), the others buy while the day's stock lasts (stock-outs after).
  These are the engine's rules (:mod:`sim.engine.service`): on a day without two
  events at the same minute they give the engine's outcomes and waits exactly
  (tested); ties are not broken exactly as SimPy breaks them, which
  :mod:`sim.kernels.store_day` does for the engine.
* **After the visit** - the experience loses ``wait_penalty_per_10min`` stars
  per 10 minutes of waiting; failed visits (balked, reneged, closed,
  stock-out) are felt as ``failed_visit_stars`` and reviewed with 1 star;
  reviews, shares, memory and habit as in the engine; each store learns its
  expected wait (``wait_memory``, the mean wait of today's visitors who did not
  balk; it fades without news).
* **Forgetting** - every night a known store untouched (no visit, no share
  heard) for ``forget_after_days`` is forgotten with chance ``forget_rate``
  (awareness, memory and habit reset).
* **Discovery slots** - a share about a store the friend does not consider
  puts it into a discovery slot: the empty or least recently used one, never
  one used today. A consumer's lists hold its nearest stores first and then at
  most ``discovery_slots`` discovered ones, appended as they are discovered
  (so no empty slot is ever looped over).

Left out, on both sides: the campaign (the engine runs without it, see
:func:`_no_campaign`), and with it coupons, prompts, channels and priorities.
Differences of detail: shares are heard at once (the engine delivers them the
next morning, before the decisions, so tomorrow's decisions see today's shares
on both sides); habit and social proof decay in the consumer's morning step
(the engine: habit at night); and the engine's counter-based draws are not
reproduced, so the two runs agree in distribution, not visit by visit. The
baseline used to serve each store up to a daily capacity with no queue, which
made it faster than a faithful copy and the measured speed-up only a lower
bound; with the same day on both sides the engine/plain-Mesa ratio compares
like with like.

Usage (times the daily steps of both, set-up excluded, on the same workload)::

    python experiments/bench/plain_mesa.py --consumers 5000 --stores 50 --days 10
    python experiments/bench/plain_mesa.py --consumers 50000 --stores 100 --days 14 --scenario default

With ``--scenario NAME`` the engine runs that scenario (:func:`sim.load_config`, no warm-up)
with its campaign, while plain Mesa runs the same city and people without a campaign (it
has no levers): the engine then does more work per day than the baseline it is compared
with, so the ratio is a lower bound of what a plain-Mesa copy of the campaign would give.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import math
import sys
import time
from operator import attrgetter
from pathlib import Path

import mesa

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sim.config import CATEGORIES, SimConfig  # noqa: E402
from sim.engine.model import O2OModel  # noqa: E402
from sim.kernels.store_day import warm_up  # noqa: E402
from sim.rules.codes import BALKED, CLOSED, RENEGED, SERVED, STOCKOUT  # noqa: E402

#: Outcome codes of a visit (the engine's, :mod:`sim.engine.service`).
OUTCOMES = (SERVED, BALKED, RENEGED, CLOSED, STOCKOUT)


class Visit:
    """One visitor's day at a store: the draws, then the outcome and the minutes spent queueing."""

    __slots__ = ("arrival", "balk", "consumer", "outcome", "patience", "service", "slot", "wait")

    def __init__(self, consumer, slot: int, arrival: float, patience: float, balk: float, service: float):
        self.consumer, self.slot = consumer, slot
        self.arrival, self.patience, self.balk, self.service = arrival, patience, balk, service
        self.outcome, self.wait = SERVED, 0.0


class StoreAgent(mesa.Agent):
    """A store: rating from reviews, a learned expected wait, a day of arrivals served by a queue.

    Args:
        model: the :class:`PlainMesaModel`.
        index: the store's id in the engine's store table.
        attributes: the store's fixed attributes (category, quality, premium, hassle, servers,
            mean_service, min_service, close_min, stock, patience_min, patience_shape,
            balk_wait_min, hour_cdf, xy, prior_mean, prior_weight).
    """

    def __init__(self, model, index: int, attributes: dict):
        super().__init__(model)
        self.index = index
        self.__dict__.update(attributes)
        self.rating_sum, self.rating_n = 0.0, 0
        self.expected_wait = 0.0
        self.arrivals: list[tuple] = []
        self.visits_today: list[Visit] = []

    @property
    def rating(self) -> float:
        """Bayesian average of review stars."""
        return (self.prior_mean * self.prior_weight + self.rating_sum) / (self.prior_weight + self.rating_n)

    def step(self) -> None:
        """Today's visitors arrive and queue; then each feels, reviews and shares; the wait is learned."""
        visits = self.arrive()
        self.serve(visits)
        for visit in visits:
            self.after_visit(visit)
        self.learn_wait(visits)
        self.visits_today = visits
        self.arrivals = []

    def arrive(self) -> list[Visit]:
        """Draw each of today's visitors' arrival minute, patience, balking threshold and service time."""
        rnd = self.model.random
        extra_service = self.mean_service - self.min_service
        visits = []
        for consumer, slot in self.arrivals:
            hour = min(bisect.bisect_left(self.hour_cdf, rnd.random()), 23)  # hours whose CDF is below u
            arrival = 60.0 * hour + 60.0 * rnd.random()
            gamma = rnd.gammavariate(self.patience_shape, 1.0) / self.patience_shape
            patience = gamma * self.patience_min * consumer.patience_scale
            service = self.min_service - math.log1p(-rnd.random()) * extra_service
            balk = self.balk_wait_min * consumer.patience_scale
            visits.append(Visit(consumer, slot, arrival, patience, balk, service))
        return visits

    def serve(self, visits: list[Visit]) -> None:
        """Serve the day first come, first served; sorts ``visits`` by arrival and sets outcomes and waits.

        ``free_at`` is a heap of the minute each server is next free; ``queue_exits`` a heap of
        the minute each visitor now queueing leaves the queue (served, stock-out, reneging or
        closing), so its length on an arrival is the queue ahead.
        """
        visits.sort(key=attrgetter("arrival"))
        free_at = [0.0] * self.servers
        queue_exits: list[float] = []
        stock = self.stock
        for visit in visits:
            now = visit.arrival
            while queue_exits and queue_exits[0] <= now:
                heapq.heappop(queue_exits)
            if now >= self.close_min:
                visit.outcome = CLOSED
                continue
            if free_at[0] > now and (len(queue_exits) + 1) * self.mean_service / self.servers > visit.balk:
                visit.outcome = BALKED
                continue
            start = max(now, free_at[0])
            limit = max(min(visit.patience, self.close_min - now), 0.0)
            if start - now > limit:  # no server within patience or before closing
                visit.wait = limit
                visit.outcome = CLOSED if visit.patience >= self.close_min - now else RENEGED
            else:
                visit.wait = start - now
                if stock > 0:
                    stock -= 1
                    heapq.heapreplace(free_at, start + visit.service)
                else:  # the server is free again at once
                    visit.outcome = STOCKOUT
                    heapq.heapreplace(free_at, start)
            if visit.wait > 0.0:
                heapq.heappush(queue_exits, now + visit.wait)

    def after_visit(self, visit: Visit) -> None:
        """Satisfaction (the wait costs stars), a review, a share to friends, memory and habit."""
        m, b, rnd = self.model, self.model.behavior, self.model.random
        consumer, slot = visit.consumer, visit.slot
        served = visit.outcome == SERVED
        expected = consumer.expected_quality(slot, self)
        if served:
            felt = (self.quality + b.experience_sd * rnd.gauss(0.0, 1.0)
                    - b.wait_penalty_per_10min * visit.wait / 10.0)
            experienced = min(5.0, max(1.0, felt))
        else:
            experienced = b.failed_visit_stars
        disconf = experienced - expected
        m.visits += 1
        m.purchases += served
        m.outcomes[visit.outcome] += 1
        p_review = consumer.review_propensity * (b.review_base + b.review_slope * abs(disconf))
        if rnd.random() < min(1.0, p_review):
            self.rating_sum += min(5, max(1, round(experienced))) if served else 1
            self.rating_n += 1
        valence_factor = 1.0 if disconf >= 0 else b.negative_share_factor
        strength = min(abs(disconf) / b.share_scale, 1.0) * valence_factor
        if rnd.random() < consumer.share_propensity * strength:
            valence = 1.0 if disconf >= 0 else -1.0
            for friend in consumer.friends:
                if rnd.random() < b.share_reach:
                    friend.hear(self, valence)
        consumer.remember(slot, experienced, served)

    def learn_wait(self, visits: list[Visit]) -> None:
        """The expected wait fades towards none and moves towards today's mean wait of those who queued."""
        weight = self.model.behavior.wait_memory
        self.expected_wait *= 1.0 - weight
        waits = [visit.wait for visit in visits if visit.outcome != BALKED]
        if waits:
            self.expected_wait += weight * sum(waits) / len(waits)


class ConsumerAgent(mesa.Agent):
    """A consumer: considered stores with awareness, memory, habit, social proof and last contact, as lists.

    The lists hold the nearest stores first (``first_discovery`` of them), then the discovery
    slots: at most ``discovery_slots`` stores learned from friends, appended as they come.

    Args:
        model: the :class:`PlainMesaModel`.
        traits: fixed traits (money_weight, value_of_time, outside_utility, trust,
            review_propensity, share_propensity, patience_scale, home, work).
        slots: per considered store, ``(store, distance, aware, memory, habit, touched)``.
        first_discovery: how many of ``slots`` are nearest stores (the rest are discovery slots).
    """

    def __init__(self, model, traits: dict, slots: list[tuple], first_discovery: int):
        super().__init__(model)
        self.__dict__.update(traits)
        self.stores = [s[0] for s in slots]
        self.distances = [s[1] for s in slots]
        self.aware = [s[2] for s in slots]
        self.memory = [s[3] for s in slots]
        self.habit = [s[4] for s in slots]
        self.touched = [s[5] for s in slots]
        self.social = [0.0] * len(slots)
        self.first_discovery = first_discovery
        self.friends: list[ConsumerAgent] = []

    def expected_quality(self, k: int, store: StoreAgent) -> float:
        """Own memory if any, else the rating weighted by trust."""
        if self.memory[k] is not None:
            return self.memory[k]
        return self.trust * store.rating + (1.0 - self.trust) * 3.0

    def hear(self, store: StoreAgent, valence: float) -> None:
        """A friend's share: the store becomes known (in a discovery slot if new) and gains social proof."""
        k = self.stores.index(store) if store in self.stores else self.discover(store)
        if k is None:
            return
        self.aware[k] = True
        self.social[k] += valence
        self.touched[k] = self.model.day

    def discover(self, store: StoreAgent) -> int | None:
        """Put a newly heard-of store into the empty or least recently used discovery slot.

        Returns:
            The slot, or ``None`` without discovery slots or when every one was used today.
        """
        day, room = self.model.day, self.model.discovery_slots
        if room == 0:
            return None
        if len(self.stores) < self.first_discovery + room:  # an empty discovery slot: a new entry
            k = len(self.stores)
            for column in (self.stores, self.distances, self.aware, self.memory, self.habit, self.social,
                           self.touched):
                column.append(None)  # filled in below
        else:  # the least recently used one (the first on a tie)
            k = min(range(self.first_discovery, len(self.stores)), key=self.touched.__getitem__)
            if self.touched[k] >= day:
                return None
        self.stores[k] = store
        self.distances[k] = min(math.dist(self.home, store.xy), math.dist(self.work, store.xy))
        self.aware[k], self.memory[k], self.habit[k], self.social[k] = False, None, 0.0, 0.0
        self.touched[k] = day
        return k

    def remember(self, k: int, experienced: float, served: bool) -> None:
        """Memory and habit after a visit."""
        b = self.model.behavior
        old = self.memory[k]
        self.memory[k] = experienced if old is None else old + b.memory_weight * (experienced - old)
        if served:
            self.habit[k] += 1.0

    def forget_idle_stores(self) -> None:
        """Tonight each known store without contact for ``forget_after_days`` may be forgotten."""
        m, b = self.model, self.model.behavior
        idle_before = m.day - b.forget_after_days
        for k, touched in enumerate(self.touched):
            if touched <= idle_before and self.aware[k] and m.random.random() < b.forget_rate:
                self.aware[k], self.memory[k], self.habit[k] = False, None, 0.0

    def step(self) -> None:
        """Decide today: logit of visiting against staying home, then a store by multinomial logit."""
        m, b, c = self.model, self.model.behavior, self.model.city
        utilities, options = [], []
        for k, store in enumerate(self.stores):
            self.habit[k] *= b.habit_decay
            self.social[k] *= b.social_decay
            if not self.aware[k]:
                continue
            d = self.distances[k]
            if d <= c.walk_km:
                hours, money = 2 * d / c.walk_speed_kmh, 0.0
            else:
                hours, money = 2 * (c.ride_access_min / 60 + d / c.ride_speed_kmh), 2 * d * c.ride_cost_per_km
            familiar = self.memory[k] is not None
            resolved = self.trust * store.rating_n / (store.rating_n + b.review_confidence_n)
            doubt = 0.0 if familiar else b.doubt * (1 - resolved)
            mw, vot = self.money_weight, self.value_of_time
            v = (m.asc[store.category] + b.beta_quality * (self.expected_quality(k, store) - 3.0)
                 - mw * b.price_weight * store.premium + b.beta_social * self.social[k]
                 + b.beta_loyalty * math.log1p(self.habit[k]) - mw * (money + vot * hours) - store.hassle
                 - mw * vot * b.wait_aversion * store.expected_wait / 60.0 - doubt)
            utilities.append(v)
            options.append(k)
        if not utilities:
            return
        top = max(utilities)
        weights = [math.exp(u - top) for u in utilities]
        total = sum(weights)
        inclusive = top + math.log(total)
        if m.random.random() >= 1.0 / (1.0 + math.exp(self.outside_utility - inclusive)):
            return
        u = m.random.random() * total
        acc, chosen = 0.0, options[-1]
        for k, w in zip(options, weights, strict=True):
            acc += w
            if u < acc:
                chosen = k
                break
        if m.random.random() < b.follow_through:
            self.touched[chosen] = m.day  # the trip is today's contact: the slot is not evicted today
            self.stores[chosen].arrivals.append((self, chosen))


class PlainMesaModel(mesa.Model):
    """The baseline model: consumers decide, stores serve, consumers forget (see module docstring).

    Attributes:
        day: today (0 on the first step, as the engine without warm-up).
        visits, purchases: visits and purchases so far.
        outcomes: visits so far by outcome code (``SERVED`` ... ``STOCKOUT``).
    """

    def __init__(self, cfg: SimConfig):
        super().__init__(rng=cfg.seed)
        self.behavior, self.city = cfg.behavior, cfg.city
        self.discovery_slots = cfg.behavior.discovery_slots
        self.day = 0
        self.visits = self.purchases = 0
        self.outcomes = [0] * len(OUTCOMES)
        self.asc = [getattr(cfg.behavior, f"asc_{c}") for c in CATEGORIES]
        engine = O2OModel(_no_campaign(cfg))  # the same city, stores, people and friendships
        self.store_agents = [StoreAgent(self, j, _store_attributes(engine, j))
                             for j in range(engine.store_table.count)]
        consumers = [self._consumer(engine.population, i) for i in range(engine.population.size)]
        net = engine.network
        for i, agent in enumerate(consumers):
            agent.friends = [consumers[j] for j in net.indices[net.indptr[i]:net.indptr[i + 1]].tolist()]

    def _consumer(self, pop, i: int) -> ConsumerAgent:
        """Consumer ``i`` of the engine's population, its non-empty slots copied (nearest ones first)."""
        traits = {"money_weight": float(pop.money_weight[i]), "value_of_time": float(pop.value_of_time[i]),
                  "outside_utility": float(pop.outside_utility[i]), "trust": float(pop.trust[i]),
                  "review_propensity": float(pop.review_propensity[i]),
                  "share_propensity": float(pop.share_propensity[i]),
                  "patience_scale": float(pop.patience_scale[i]),
                  "home": tuple(pop.home_xy[i].tolist()), "work": tuple(pop.work_xy[i].tolist())}
        nearest = pop.slots - pop.discovery_slots
        kept = [k for k in range(pop.slots) if pop.slot_store[i, k] >= 0]
        slots = [(self.store_agents[int(pop.slot_store[i, k])], float(pop.slot_distance[i, k]),
                  bool(pop.slot_aware[i, k]),
                  None if math.isnan(pop.slot_memory[i, k]) else float(pop.slot_memory[i, k]),
                  float(pop.slot_habit[i, k]), int(pop.slot_touched[i, k])) for k in kept]
        return ConsumerAgent(self, traits, slots, sum(k < nearest for k in kept))

    def step(self) -> None:
        """One day: every consumer decides (random order), every store serves, every consumer forgets."""
        self.agents_by_type[ConsumerAgent].shuffle_do("step")
        self.agents_by_type[StoreAgent].do("step")
        self.agents_by_type[ConsumerAgent].do("forget_idle_stores")
        self.day += 1


def _store_attributes(engine: O2OModel, j: int) -> dict:
    """Store ``j``'s fixed attributes from the engine's store table, as Python numbers and lists."""
    t, stores_cfg = engine.store_table, engine.cfg.stores
    return {"category": int(t.category[j]), "quality": float(t.quality[j]),
            "premium": float(t.price_premium[j]), "hassle": float(t.hassle[j]),
            "servers": int(t.servers[j]), "mean_service": float(t.service_min[j]),
            "min_service": float(t.min_service_min[j]), "close_min": 60.0 * float(t.close_hour[j]),
            "stock": int(t.stock[j]), "patience_min": float(t.patience_min[j]),
            "patience_shape": float(t.patience_shape), "balk_wait_min": float(t.balk_wait_min[j]),
            "hour_cdf": engine.hour_cdf[j].tolist(), "xy": tuple(t.xy[j].tolist()),
            "prior_mean": stores_cfg.rating_prior_mean, "prior_weight": stores_cfg.rating_prior_weight}


def _no_campaign(cfg: SimConfig) -> SimConfig:
    """``cfg`` with every lever off and no warm-up: the day plain Mesa copies."""
    import dataclasses

    levers = {}
    for f in dataclasses.fields(cfg.campaign):
        section = getattr(cfg.campaign, f.name)
        if dataclasses.is_dataclass(section) and hasattr(section, "enabled"):
            levers[f.name] = dataclasses.replace(section, enabled=False)
    return dataclasses.replace(cfg, campaign=dataclasses.replace(cfg.campaign, **levers), warmup_days=0)


def scenario_config(name: str, consumers: int, stores: int, days: int, seed: int = 0) -> SimConfig:
    """Scenario ``name`` (``scenarios/``) at the given size, without warm-up, its campaign as it is."""
    from sim import load_config

    return load_config([f"scenario={name}", f"population.size={consumers}", f"stores.count={stores}",
                        f"days={days}", f"seed={seed}", "warmup_days=0"])


#: Days the small warm-up model runs: from the second day on, yesterday's shares place stores
#: in discovery slots (it has more stores than slots), so every kernel of a day without campaign
#: has been loaded by then.
WARM_DAYS = 4


def warm_engine(cfg: SimConfig, campaign: bool = False) -> None:
    """Load the engine's compiled kernels (a one-off per process) before timing its steady days.

    Args:
        cfg: the timed run's config.
        campaign: the timed run keeps its campaign: the small model runs it too, for all of
            ``cfg.days`` (every kind of campaign day), else :data:`WARM_DAYS` days without it.
    """
    import dataclasses

    warm_up()
    base = cfg if campaign else _no_campaign(cfg)
    days = cfg.days if campaign else WARM_DAYS
    small = dataclasses.replace(base, population=dataclasses.replace(cfg.population, size=300),
                                stores=dataclasses.replace(cfg.stores, count=40), days=days)
    time_steps(O2OModel(small), days)


def time_steps(model, days: int) -> float:
    """Wall seconds of ``days`` steps."""
    t0 = time.perf_counter()
    for _ in range(days):
        model.step()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--consumers", type=int, default=5000)
    ap.add_argument("--stores", type=int, default=50)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenario", help="the engine runs this scenario with its campaign (see the docstring)")
    a = ap.parse_args()
    if a.scenario:
        engine_cfg = scenario_config(a.scenario, a.consumers, a.stores, a.days, a.seed)
        cfg, label = _no_campaign(engine_cfg), f"engine, scenario {a.scenario} with its campaign"
    else:
        cfg = SimConfig(seed=a.seed, days=a.days, warmup_days=0)
        cfg.population.size, cfg.stores.count = a.consumers, a.stores
        engine_cfg, label = _no_campaign(cfg), "engine"
    model = PlainMesaModel(cfg)
    wall = time_steps(model, a.days)
    print(f"plain Mesa: {a.consumers * a.days / wall:,.0f} consumer-days/s ({wall:.2f} s, "
          f"{model.visits:,} visits)")
    warm_engine(engine_cfg, campaign=bool(a.scenario))
    engine = O2OModel(engine_cfg)
    wall_e = time_steps(engine, a.days)
    visits_e = sum(r["visits"] for r in engine.recorder.rows)
    print(f"{label}: {a.consumers * a.days / wall_e:,.0f} consumer-days/s ({wall_e:.2f} s, "
          f"{visits_e:,} visits)")
    print(f"engine / plain Mesa: {wall / wall_e:.1f}x")


if __name__ == "__main__":
    main()
