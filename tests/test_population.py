"""sim.world.population: consumers as arrays, consideration sets and discovery slots."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sim.config import BehaviorConfig, CityConfig, PopulationConfig
from sim.world.city import build_city
from sim.world.population import NEVER, NO_STORE, build_population, pair_distance

N_STORES = 20


def _build(n=400, k=6, d=2, seed=0, **pop):
    city = build_city(CityConfig(width=20, height=20), np.random.default_rng(seed), random.Random(seed))
    store_xy = np.random.default_rng(seed + 100).uniform(0, 5.0, size=(N_STORES, 2))
    cfg = PopulationConfig(size=n, **pop)
    beh = BehaviorConfig(consideration_set=k, discovery_slots=d)
    return build_population(cfg, beh, city, store_xy, np.random.default_rng(seed + 7)), store_xy


@pytest.fixture()
def pop_xy():
    return _build()


def _assert_no_duplicates(pop):
    row = np.sort(pop.slot_store, axis=1)
    dup = (row[:, 1:] == row[:, :-1]) & (row[:, 1:] != NO_STORE)
    assert not dup.any(), f"duplicate store in the slots of consumers {np.flatnonzero(dup.any(1))[:10]}"


def test_shapes_and_trait_ranges(pop_xy):
    pop, _ = pop_xy
    assert pop.size == 400 and pop.slots == 6 and pop.discovery_slots == 2
    for name in ("money_weight", "value_of_time", "outside_utility", "trust", "review_propensity",
                 "share_propensity", "patience_scale", "reachable", "push_opt_in"):
        assert getattr(pop, name).shape == (400,), name
    assert (pop.money_weight > 0).all() and (pop.value_of_time > 0).all()
    assert (pop.patience_scale > 0).all()
    for name in ("trust", "review_propensity", "share_propensity"):
        arr = getattr(pop, name)
        assert ((arr >= 0) & (arr <= 1)).all(), name
    assert (pop.last_visit_day == NEVER).all() and (pop.purchases == 0).all()


def test_trait_shares_follow_the_config():
    pop, _ = _build(n=6000, app_reach=0.3, push_opt_in=0.8, has_work_share=0.25)
    assert pop.reachable.mean() == pytest.approx(0.3, abs=0.03)
    assert pop.push_opt_in.mean() == pytest.approx(0.8, abs=0.03)
    works_from_home = np.all(pop.home_xy == pop.work_xy, axis=1).mean()
    assert works_from_home == pytest.approx(0.75, abs=0.03)


def test_initial_slots_hold_the_nearest_stores_without_duplicates(pop_xy):
    pop, store_xy = pop_xy
    k0 = pop.slots - pop.discovery_slots
    _assert_no_duplicates(pop)
    assert (pop.slot_store[:, :k0] >= 0).all()
    assert (pop.slot_store[:, k0:] == NO_STORE).all()          # discovery slots start empty
    assert not pop.slot_aware[:, k0:].any()
    # nearest by the closer of home and work
    all_d = pair_distance(pop.home_xy[:, None, :], pop.work_xy[:, None, :], store_xy[None, :, :])
    chosen = np.take_along_axis(all_d, pop.slot_store[:, :k0], axis=1)
    np.testing.assert_allclose(pop.slot_distance[:, :k0], chosen, rtol=1e-6)
    assert (np.diff(pop.slot_distance[:, :k0], axis=1) >= 0).all()
    mask = np.ones_like(all_d, dtype=bool)
    np.put_along_axis(mask, pop.slot_store[:, :k0].astype(np.int64), False, axis=1)
    unchosen_min = np.where(mask, all_d, np.inf).min(axis=1)
    assert (chosen.max(axis=1) <= unchosen_min + 1e-5).all()


def test_initial_awareness_and_memory_only_for_real_slots(pop_xy):
    pop, _ = pop_xy
    assert not (pop.slot_aware & (pop.slot_store == NO_STORE)).any()
    remembered = ~np.isnan(pop.slot_memory)
    assert not (remembered & ~pop.slot_aware).any()
    vals = pop.slot_memory[remembered]
    assert ((vals >= 1) & (vals <= 5)).all()


def test_awareness_falls_with_distance():
    pop, _ = _build(n=5000)
    k0 = pop.slots - pop.discovery_slots
    d = pop.slot_distance[:, :k0].ravel()
    a = pop.slot_aware[:, :k0].ravel()
    near, far = d < np.quantile(d, 0.25), d > np.quantile(d, 0.75)
    assert a[near].mean() > a[far].mean()


def test_find_slots(pop_xy):
    pop, _ = pop_xy
    c = np.array([0, 0, 5])
    unknown = next(x for x in range(N_STORES) if x not in pop.slot_store[0])
    s = np.array([pop.slot_store[0, 2], unknown, pop.slot_store[5, 0]])
    np.testing.assert_array_equal(pop.find_slots(c, s), [2, NO_STORE, 0])


def test_pair_distance_uses_the_closer_of_home_and_work():
    home = np.array([[0.0, 0.0], [0.0, 0.0]])
    work = np.array([[3.0, 4.0], [0.0, 0.0]])
    store = np.array([[3.0, 3.0], [3.0, 4.0]])
    np.testing.assert_allclose(pair_distance(home, work, store), [1.0, 5.0], rtol=1e-6)


def _new_stores(pop, c, n):
    return [s for s in range(N_STORES) if s not in pop.slot_store[c]][:n]


def test_ensure_slots_places_unknown_store_into_a_discovery_slot(pop_xy):
    pop, store_xy = pop_xy
    k0 = pop.slots - pop.discovery_slots
    c = 3
    known = int(pop.slot_store[c, 1])
    new = _new_stores(pop, c, 1)[0]
    nearest_before = pop.slot_store[:, :k0].copy()
    slots = pop.ensure_slots(np.array([c, c]), np.array([known, new]), store_xy, day=4)
    assert slots[0] == 1                         # a known store keeps its slot
    assert k0 <= slots[1] < pop.slots            # a new one goes to a discovery slot
    assert pop.slot_store[c, slots[1]] == new
    assert pop.slot_touched[c, slots[1]] == 4
    assert not pop.slot_aware[c, slots[1]]
    assert np.isnan(pop.slot_memory[c, slots[1]])
    assert pop.slot_coupon[c, slots[1]] == 0
    assert pop.slot_distance[c, slots[1]] == pair_distance(pop.home_xy[c], pop.work_xy[c], store_xy[new])
    np.testing.assert_array_equal(pop.slot_store[:, :k0], nearest_before)
    _assert_no_duplicates(pop)


def test_ensure_slots_repeated_pair_is_placed_once(pop_xy):
    pop, store_xy = pop_xy
    new = _new_stores(pop, 7, 1)[0]
    slots = pop.ensure_slots(np.array([7, 7, 7]), np.array([new, new, new]), store_xy, day=1)
    assert slots[0] == slots[1] == slots[2] != NO_STORE
    assert (pop.slot_store[7] == new).sum() == 1


def test_ensure_slots_more_new_stores_than_slots_get_minus_one(pop_xy):
    pop, store_xy = pop_xy
    new = _new_stores(pop, 2, 3)
    slots = pop.ensure_slots(np.array([2, 2, 2]), np.array(new), store_xy, day=0)
    placed = slots != NO_STORE
    assert placed.sum() == pop.discovery_slots
    for s, slot in zip(np.array(new)[placed], slots[placed], strict=True):
        assert pop.slot_store[2, slot] == s
    _assert_no_duplicates(pop)


def test_ensure_slots_replaces_the_least_recently_used_discovery_slot(pop_xy):
    pop, store_xy = pop_xy
    k0 = pop.slots - pop.discovery_slots
    a, b, c_new = _new_stores(pop, 0, 3)
    pop.ensure_slots(np.array([0]), np.array([a]), store_xy, day=1)
    pop.ensure_slots(np.array([0]), np.array([b]), store_xy, day=2)
    slot_a = int(np.flatnonzero(pop.slot_store[0] == a)[0])
    slot_b = int(np.flatnonzero(pop.slot_store[0] == b)[0])
    assert {slot_a, slot_b} == {k0, k0 + 1}
    pop.slot_touched[0, slot_b] = 3             # b used more recently than a
    got = pop.ensure_slots(np.array([0]), np.array([c_new]), store_xy, day=5)
    assert got[0] == slot_a
    assert b in pop.slot_store[0] and a not in pop.slot_store[0]


def test_ensure_slots_two_new_stores_when_a_discovery_slot_was_used_today(pop_xy):
    """Two new stores for one consumer on a day when one discovery slot was already touched.

    Reachable in the model: a noticed push touches a discovery slot in the Online phase,
    then two friends' shares bring two different unknown stores the same day.
    """
    pop, store_xy = pop_xy
    k0 = pop.slots - pop.discovery_slots
    day = 5
    old, pushed, a, b = _new_stores(pop, 0, 4)
    pop.ensure_slots(np.array([0]), np.array([old]), store_xy, day=1)       # goes to k0
    pop.ensure_slots(np.array([0]), np.array([pushed]), store_xy, day=day)  # k0 + 1, today
    assert pop.slot_store[0, k0] == old and pop.slot_store[0, k0 + 1] == pushed
    slots = pop.ensure_slots(np.array([0, 0]), np.array([a, b]), store_xy, day=day)
    for store, slot in zip((a, b), slots.tolist(), strict=True):
        if slot != NO_STORE:
            assert pop.slot_store[0, slot] == store, (
                f"ensure_slots returned slot {slot} for store {store}, but that slot holds "
                f"store {pop.slot_store[0, slot]} (slots returned: {slots.tolist()})")


def test_ensure_slots_keeps_a_known_store_requested_in_the_same_call(pop_xy):
    """A store the consumer already considers, exposed again today, is not the one to evict.

    Reachable in the model: in one day's shares a consumer hears about a store sitting in a
    discovery slot and about a new store; the new one must replace the *other* discovery slot.
    """
    pop, store_xy = pop_xy
    k0 = pop.slots - pop.discovery_slots
    x, z, y = _new_stores(pop, 0, 3)
    pop.ensure_slots(np.array([0]), np.array([x]), store_xy, day=1)          # x -> k0, used day 1
    pop.ensure_slots(np.array([0]), np.array([z]), store_xy, day=2)          # z -> k0 + 1, day 2
    assert pop.slot_store[0, k0] == x and pop.slot_store[0, k0 + 1] == z
    slots = pop.ensure_slots(np.array([0, 0]), np.array([x, y]), store_xy, day=5)
    assert slots[0] == k0, (f"store {x} was in slot {k0} and requested again, but got slot "
                            f"{slots[0]}; slots now hold {pop.slot_store[0, k0:].tolist()}")
    assert slots[1] == k0 + 1 and pop.slot_store[0, k0 + 1] == y


def test_ensure_slots_random_calls_keep_slots_consistent():
    pop, store_xy = _build(n=60, k=5, d=2, seed=3)
    k0 = pop.slots - pop.discovery_slots
    rng = np.random.default_rng(42)
    nearest = pop.slot_store[:, :k0].copy()
    for day in range(15):
        for _ in range(3):                       # several calls per day, as in the model
            m = int(rng.integers(1, 80))
            consumers = rng.integers(0, pop.size, m)
            stores = rng.integers(0, N_STORES, m)
            before = pop.slot_store.copy()
            slots = pop.ensure_slots(consumers, stores, store_xy, day)
            _assert_no_duplicates(pop)
            np.testing.assert_array_equal(pop.slot_store[:, :k0], nearest)
            placed = slots != NO_STORE
            bad = pop.slot_store[consumers[placed], slots[placed]] != stores[placed]
            pairs = np.stack([consumers[placed][bad], stores[placed][bad]], axis=1)
            assert not bad.any(), (
                f"day {day}: returned slots do not hold the requested (consumer, store) {pairs[:5].tolist()}")
            # a pair is dropped only when every discovery slot is taken by a store used today
            for c in np.unique(consumers[~placed]).tolist():
                assert (pop.slot_touched[c, k0:] == day).all(), (day, c)
            # a store already considered keeps its slot
            for c, s, slot in zip(consumers.tolist(), stores.tolist(), slots.tolist(), strict=True):
                if s in before[c]:
                    assert slot == int(np.flatnonzero(before[c] == s)[0]), (
                        f"day {day}: consumer {c} already considered store {s} in slot "
                        f"{int(np.flatnonzero(before[c] == s)[0])}, ensure_slots returned {slot}")


def test_candidate_distance_equals_pair_distance():
    from sim.world.population import candidate_distance, pair_distance

    rng = np.random.default_rng(8)
    home, work, stores = rng.random((3000, 2)) * 10, rng.random((3000, 2)) * 10, rng.random((40, 2)) * 10
    cand = rng.integers(0, 40, (3000, 8))
    expected = pair_distance(home[:, None, :], work[:, None, :], stores[cand])
    got = candidate_distance(home, work, stores, cand)
    assert got.dtype == np.float32 and np.array_equal(got, expected)


def _reset_by_numpy(pop, c, slot, s, store_xy, day):
    """A placed slot starts afresh, in numpy: its store, its distance, everything else reset."""
    pop.slot_store[c, slot] = s
    pop.slot_distance[c, slot] = pair_distance(pop.home_xy[c], pop.work_xy[c], store_xy[s])
    pop.slot_touched[c, slot] = day
    pop.slot_memory[c, slot] = np.nan
    for name, fresh in (("aware", False), ("habit", 0), ("social", 0), ("coupon", 0), ("coupon_rate", 0),
                        ("coupon_expiry", -1), ("coupon_lever", -1), ("coupon_min", 0), ("prompt", 0),
                        ("prompt_lever", -1)):
        getattr(pop, f"slot_{name}")[c, slot] = fresh


def _give_history(pop, rng):
    """Random non-default state in every slot array but the store and the last-touched day."""
    shape = pop.slot_store.shape
    for name in ("aware", "memory", "habit", "social", "coupon", "coupon_rate", "coupon_expiry",
                 "coupon_lever", "coupon_min", "prompt", "prompt_lever"):
        values = getattr(pop, f"slot_{name}")
        values[...] = (rng.random(shape) < 0.5) if values.dtype == bool else rng.integers(1, 9, shape)


def _ensure_slots_by_passes(pop, consumers, stores, store_xy, day):
    """The placement rule in numpy, pass by pass (each consumer's next new store per pass)."""
    slots = pop.find_slots(consumers, stores)
    known = slots != NO_STORE
    pop.slot_touched[consumers[known], slots[known]] = day
    todo = np.flatnonzero(~known)
    k0 = pop.slots - pop.discovery_slots
    for _ in range(pop.discovery_slots):
        if todo.size == 0:
            break
        _, first = np.unique(consumers[todo], return_index=True)
        pick = todo[first]
        c = consumers[pick]
        touched = pop.slot_touched[c, k0:].astype(np.int64)
        touched[pop.slot_store[c, k0:] == NO_STORE] = np.iinfo(np.int64).min
        slot = k0 + touched.argmin(axis=1)
        free = touched.min(axis=1) < day
        c, slot, s = c[free], slot[free], stores[pick][free]
        _reset_by_numpy(pop, c, slot, s, store_xy, day)
        rest = np.setdiff1d(todo, pick, assume_unique=True)
        again = pop.find_slots(consumers[rest], stores[rest])
        todo = rest[again == NO_STORE]
    return pop.find_slots(consumers, stores)


@pytest.mark.parametrize("seed", range(4))
def test_compiled_placement_equals_the_pass_by_pass_rule(seed):
    got, store_xy = _build(n=80, k=5, d=2, seed=seed)
    ref, _ = _build(n=80, k=5, d=2, seed=seed)
    for pop in (got, ref):  # slots with a history, so that a placement must clear every part of it
        _give_history(pop, np.random.default_rng(100 + seed))
    rng = np.random.default_rng(seed)
    for day in range(12):
        for _ in range(3):
            m = int(rng.integers(1, 120))
            consumers, stores = rng.integers(0, 80, m), rng.integers(0, N_STORES, m)
            want = _ensure_slots_by_passes(ref, consumers, stores, store_xy, day)
            np.testing.assert_array_equal(got.ensure_slots(consumers, stores, store_xy, day), want)
            for name in vars(ref):
                assert np.array_equal(getattr(got, name), getattr(ref, name), equal_nan=True), (day, name)


def test_flat_view_writes_through_and_refuses_a_copy():
    from sim.world.population import flat_view

    slots = np.zeros((4, 3), dtype=np.float32)
    flat_view(slots)[1 * 3 + 2] = 5.0  # consumer 1, slot 2
    assert slots[1, 2] == 5.0
    with pytest.raises(ValueError, match="C-contiguous"):
        flat_view(np.zeros((3, 4), dtype=np.float32).T)


def _twins(seed: int, history_seed: int):
    """Two equal populations of 120 consumers with a history, and the store positions."""
    got, store_xy = _build(n=120, k=5, d=2, seed=seed)
    ref, _ = _build(n=120, k=5, d=2, seed=seed)
    for pop in (got, ref):
        _give_history(pop, np.random.default_rng(history_seed))
    return got, ref, store_xy


def _shares(rng, low: int, high: int):
    """A random batch of shares: who, of which store, with which valence (mostly positive)."""
    m = int(rng.integers(low, high))
    who, stores = rng.integers(0, 120, m), rng.integers(0, N_STORES, m)
    return who, stores, np.where(rng.random(m) < 0.7, 1.0, -1.0).astype(np.float32)


def _assert_twins_equal(got, ref, day):
    for name in vars(ref):
        assert np.array_equal(getattr(got, name), getattr(ref, name), equal_nan=True), (day, name)


@pytest.mark.parametrize("seed", range(3))
def test_hear_equals_placing_then_marking_in_numpy(seed):
    """Shares heard: slots placed as ensure_slots places them, then known, touched and social proof added."""
    got, ref, store_xy = _twins(seed, 200 + seed)
    rng = np.random.default_rng(seed)
    missed = 0
    for day in range(6):
        friends, stores, valence = _shares(rng, 1, 300)
        slot = ref.ensure_slots(friends, stores, store_xy, day)
        ok = slot != NO_STORE
        f, j, v = friends[ok], slot[ok], valence[ok]
        ref.slot_aware[f, j] = True
        ref.slot_touched[f, j] = day
        np.add.at(ref.slot_social, (f, j), v)
        heard = got.hear(friends, stores, valence, store_xy, day)
        np.testing.assert_array_equal(heard, f)
        missed += int((~ok).sum())
        _assert_twins_equal(got, ref, day)
    assert missed > 0  # some pairs found no room


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("form, reach", [("per_tie", 0.4), ("sender", 2.0), ("receiver", 2.0)])
def test_shares_heard_in_one_pass_equal_spread_draws_and_hear(seed, form, reach):
    """hear_shares: the friends of each sender, those whose reach draw is below the pair's chance, then hear.

    Strong ties (a random 40%) carry shares with weight 2.5 and 1.5 times the social proof.
    """
    from sim.random.streams import Streams
    from sim.world.social import SocialNetwork, hear_shares, pair_chances
    from sim.world.ties import strong_ties

    got, ref, store_xy = _twins(seed, 300 + seed)
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, 120, 400), rng.integers(0, 120, 400)
    keep = src != dst
    network = SocialNetwork.from_edges(src[keep], dst[keep], 120)
    network.strong = strong_ties(network.indptr, network.indices, 0.4, "random", rng)
    network.weigh(2.5)
    streams = Streams(seed)
    heard_total = 0
    for day in range(5):
        senders, stores, valence = _shares(rng, 5, 60)
        which, friend, chance = pair_chances(network, senders, reach, form)
        edge = np.concatenate([np.arange(network.indptr[s], network.indptr[s + 1]) for s in senders])
        reached = streams.day_uniforms("share_reach", day, friend.size) < chance
        proof = np.where(network.strong[edge], valence[which] * np.float32(1.5), valence[which])
        want = ref.hear(friend[reached], stores[which[reached]], proof[reached], store_xy, day)
        words = streams.day_words("share_reach", day)
        heard = hear_shares(network, got, senders, stores, valence, words, reach, store_xy, day, form, 1.5)
        np.testing.assert_array_equal(heard, want)
        heard_total += heard.size
        assert 0 < reached.sum() < reached.size
        _assert_twins_equal(got, ref, day)
    assert heard_total > 20
