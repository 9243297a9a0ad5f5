"""The plain-Mesa baseline: the same daily decisions written the way the Mesa tutorials teach.

One ``mesa.Agent`` per consumer with a ``step()``, stores as agents, friends as
Python lists, everything in Python loops. It exists to measure what the array
engine (``sim.model.O2OModel``) gains, on the same workload: the same city,
stores, consumers, consideration sets and friendships (built once by the
engine's own builders and copied into the agents), the same utility terms, the
same logit visit and store choice, satisfaction, reviews, shares, habit and
memory. It is simpler than the engine where a faithful copy would only make it
slower still: no campaign, and a store serves up to its daily capacity
(servers x open minutes / mean service) in arrival order instead of a SimPy
queue; the rest balk. So the measured speed-up is a lower bound.

Usage (times the daily steps of both, set-up excluded, on the same workload)::

    python experiments/bench/plain_mesa.py --consumers 5000 --stores 50 --days 10
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import mesa

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sim.config import CATEGORIES, SimConfig  # noqa: E402
from sim.model import O2OModel  # noqa: E402
from sim.store_day_kernel import warm_up  # noqa: E402


class StoreAgent(mesa.Agent):
    """A store: rating from reviews, an expected wait, today's arrivals served up to capacity."""

    def __init__(self, model, index: int, category: int, quality: float, premium: float, hassle: float,
                 capacity: int, prior_mean: float, prior_weight: float):
        super().__init__(model)
        self.index, self.category, self.quality = index, category, quality
        self.premium, self.hassle, self.capacity = premium, hassle, capacity
        self.prior_mean, self.prior_weight = prior_mean, prior_weight
        self.rating_sum, self.rating_n = 0.0, 0
        self.expected_wait = 0.0
        self.arrivals: list[tuple] = []

    @property
    def rating(self) -> float:
        """Bayesian average of review stars."""
        return (self.prior_mean * self.prior_weight + self.rating_sum) / (self.prior_weight + self.rating_n)

    def step(self) -> None:
        """Serve today's arrivals in order up to capacity; each visitor then feels, reviews and shares."""
        b = self.model.behavior
        rnd = self.model.random
        for position, (consumer, k) in enumerate(self.arrivals):
            served = position < self.capacity
            expected = consumer.expected_quality(k, self)
            experienced = (min(5.0, max(1.0, self.quality + b.experience_sd * rnd.gauss(0.0, 1.0)))
                           if served else b.failed_visit_stars)
            disconf = experienced - expected
            self.model.visits += 1
            self.model.purchases += served
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
            consumer.remember(k, experienced, served)
        self.arrivals = []


class ConsumerAgent(mesa.Agent):
    """A consumer: considered stores with awareness, memory, habit and social proof, as Python lists."""

    def __init__(self, model, traits: dict, stores: list, distances: list, aware: list, memory: list,
                 habit: list):
        super().__init__(model)
        self.__dict__.update(traits)
        self.stores, self.distances = stores, distances
        self.aware, self.memory, self.habit = aware, memory, habit
        self.social = [0.0] * len(stores)
        self.friends: list[ConsumerAgent] = []

    def expected_quality(self, k: int, store: StoreAgent) -> float:
        """Own memory if any, else the rating weighted by trust."""
        if self.memory[k] is not None:
            return self.memory[k]
        return self.trust * store.rating + (1.0 - self.trust) * 3.0

    def hear(self, store: StoreAgent, valence: float) -> None:
        """A friend's share: social proof for a store already considered."""
        for k, s in enumerate(self.stores):
            if s is store:
                self.aware[k] = True
                self.social[k] += valence
                return

    def remember(self, k: int, experienced: float, served: bool) -> None:
        """Memory and habit after a visit."""
        b = self.model.behavior
        old = self.memory[k]
        self.memory[k] = experienced if old is None else old + b.memory_weight * (experienced - old)
        if served:
            self.habit[k] += 1.0

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
            self.stores[chosen].arrivals.append((self, chosen))


class PlainMesaModel(mesa.Model):
    """The baseline model: consumers step, then stores serve (see module docstring)."""

    def __init__(self, cfg: SimConfig):
        super().__init__(rng=cfg.seed)
        self.behavior, self.city = cfg.behavior, cfg.city
        self.visits = self.purchases = 0
        self.asc = [getattr(cfg.behavior, f"asc_{c}") for c in CATEGORIES]
        engine = O2OModel(_no_campaign(cfg))  # the same city, stores, people and friendships
        t, pop, net = engine.store_table, engine.population, engine.network
        open_min = (cfg.stores.close_hour - cfg.stores.open_hour) * 60.0
        hassle = [0.0, 0.0, cfg.stores.booking_hassle_service]
        self.store_agents = [
            StoreAgent(self, j, int(t.category[j]), float(t.quality[j]), float(t.price_premium[j]),
                       hassle[int(t.category[j])], int(t.servers[j] * open_min / t.service_min[j]),
                       cfg.stores.rating_prior_mean, cfg.stores.rating_prior_weight)
            for j in range(t.count)]
        consumers = []
        for i in range(pop.size):
            slots = [k for k in range(pop.slot_store.shape[1]) if pop.slot_store[i, k] >= 0]
            traits = {"money_weight": float(pop.money_weight[i]),
                      "value_of_time": float(pop.value_of_time[i]),
                      "outside_utility": float(pop.outside_utility[i]), "trust": float(pop.trust[i]),
                      "review_propensity": float(pop.review_propensity[i]),
                      "share_propensity": float(pop.share_propensity[i])}
            memory = [None if math.isnan(pop.slot_memory[i, k]) else float(pop.slot_memory[i, k])
                      for k in slots]
            consumers.append(ConsumerAgent(
                self, traits, [self.store_agents[int(pop.slot_store[i, k])] for k in slots],
                [float(pop.slot_distance[i, k]) for k in slots], [bool(pop.slot_aware[i, k]) for k in slots],
                memory, [float(pop.slot_habit[i, k]) for k in slots]))
        for i, agent in enumerate(consumers):
            agent.friends = [consumers[j] for j in net.indices[net.indptr[i]:net.indptr[i + 1]].tolist()]

    def step(self) -> None:
        """One day: every consumer decides (random order), then every store serves."""
        self.agents_by_type[ConsumerAgent].shuffle_do("step")
        self.agents_by_type[StoreAgent].do("step")


def _no_campaign(cfg: SimConfig) -> SimConfig:
    import dataclasses

    campaign = dataclasses.replace(cfg.campaign, push_coupon=dataclasses.replace(cfg.campaign.push_coupon,
                                                                                 enabled=False))
    return dataclasses.replace(cfg, campaign=campaign, warmup_days=0)


def warm_engine(cfg: SimConfig) -> None:
    """Load the engine's compiled kernels (a one-off per process) before timing its steady days."""
    import dataclasses

    warm_up()
    small = dataclasses.replace(_no_campaign(cfg), population=dataclasses.replace(cfg.population, size=300),
                                stores=dataclasses.replace(cfg.stores, count=5))
    O2OModel(small).step()


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
    a = ap.parse_args()
    cfg = SimConfig(seed=a.seed, days=a.days, warmup_days=0)
    cfg.population.size, cfg.stores.count = a.consumers, a.stores
    model = PlainMesaModel(cfg)
    wall = time_steps(model, a.days)
    print(f"plain Mesa: {a.consumers * a.days / wall:,.0f} consumer-days/s ({wall:.2f} s, "
          f"{model.visits:,} visits)")
    warm_engine(cfg)
    engine = O2OModel(_no_campaign(cfg))
    wall_e = time_steps(engine, a.days)
    visits_e = sum(r["visits"] for r in engine.recorder.rows)
    print(f"engine:     {a.consumers * a.days / wall_e:,.0f} consumer-days/s ({wall_e:.2f} s, "
          f"{visits_e:,} visits)")
    print(f"engine / plain Mesa: {wall / wall_e:.1f}x")


if __name__ == "__main__":
    main()
