"""sim.engine.model and sim.engine.runner: structure, step order, determinism, invariants, campaigns."""

from __future__ import annotations

import inspect
import re

import mesa
import numpy as np
import pandas as pd
import pytest
from conftest import make_cfg, run_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

import sim
from sim.engine.model import O2OModel
from sim.outputs.recorder import DAILY_COLUMNS, SOURCES, STORE_COLUMNS
from sim.outputs.results import Results
from sim.world.population import NO_STORE
from sim.world.stores import Store

# --------------------------------------------------------------------------- structure


def test_stores_are_mesa_agents_on_grid_cells(finished_model):
    m = finished_model
    stores = m.stores
    assert len(stores) == m.store_table.count == m.cfg.stores.count
    assert [s.index for s in stores] == list(range(len(stores)))
    grid_cells = set(m.city.grid.all_cells)
    for s in stores:
        assert isinstance(s, mesa.Agent) and isinstance(s, Store)
        assert s.model is m
        assert s.cell in grid_cells
        assert s in s.cell.agents
        assert tuple(s.cell.coordinate) == tuple(int(v) for v in m.store_table.cell[s.index])
    assert len(m.agents_by_type[Store]) == len(stores)


def test_store_attributes_read_through_to_the_table(small_cfg):
    m = O2OModel(small_cfg())
    t = m.store_table
    s = m.stores[3]
    assert s.price == pytest.approx(t.price[3]) and s.servers == t.servers[3]
    assert s.rating == pytest.approx(t.rating[3])
    t.rating_n[3] += 50
    t.rating_sum[3] += 250
    t.price[3] = 99.5
    assert s.rating == pytest.approx(float(t.rating[3])) and s.rating > 4
    assert s.price == 99.5


def test_step_docstring_lists_the_five_phases_in_order():
    doc = inspect.getdoc(O2OModel.step)
    found = re.findall(r"^\s*(\d)\. \*\*(\w+)\*\*", doc, flags=re.M)
    assert found == [("1", "Plan"), ("2", "Online"), ("3", "Offline"), ("4", "After"), ("5", "Record")]


def test_model_steps_days_and_records_rows(finished_model):
    m = finished_model
    assert m.day == m.cfg.days
    assert len(m.recorder.rows) == m.cfg.days
    assert len(m.recorder.store_rows) == m.cfg.days


def test_utilities_shape_and_availability(small_cfg):
    m = O2OModel(small_cfg())
    u, avail = m.utilities(0)
    pop = m.population
    assert u.shape == avail.shape == (pop.size, pop.slots)
    assert not (avail & (pop.slot_store == NO_STORE)).any()
    assert np.isfinite(u[avail]).all()


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames_and_summary(small_cfg, finished_results):
    again = sim.run(small_cfg())
    pd.testing.assert_frame_equal(finished_results.daily, again.daily, check_exact=True)
    pd.testing.assert_frame_equal(finished_results.stores, again.stores, check_exact=True)
    pd.testing.assert_frame_equal(finished_results.store_info, again.store_info, check_exact=True)
    a, b = finished_results.summary, again.summary
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == b[k] or (isinstance(a[k], float) and np.isnan(a[k]) and np.isnan(b[k])), k


def test_different_seed_gives_different_frames(small_cfg, finished_results):
    other = sim.run(small_cfg(seed=1))
    assert not finished_results.daily.equals(other.daily)
    assert not finished_results.stores.equals(other.stores)
    assert finished_results.summary["visits"] != other.summary["visits"] or \
        finished_results.summary["revenue"] != other.summary["revenue"]


def test_load_config_run_is_deterministic_too():
    overrides = ["population.size=1500", "stores.count=15", "days=8", "seed=5"]
    a, b = sim.run(sim.load_config(overrides)), sim.run(sim.load_config(overrides))
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
    pd.testing.assert_frame_equal(a.stores, b.stores, check_exact=True)


def test_event_log_path_gives_the_same_run_as_the_fast_path(small_cfg):
    cfg = small_cfg({"stores.servers_min": 1, "stores.servers_max": 1}, days=10)
    fast = Results.from_model(run_model(cfg))
    logged_model = run_model(cfg, keep_event_log=True)
    logged = Results.from_model(logged_model)
    pd.testing.assert_frame_equal(fast.daily, logged.daily, check_exact=True)
    pd.testing.assert_frame_equal(fast.stores, logged.stores, check_exact=True)
    log = logged_model.event_log
    kinds = {e for *_, e in log}
    assert {"arrive", "start", "done"} <= kinds
    assert sum(e == "arrive" for *_, e in log) == logged.daily["visits"].sum()
    assert sum(e == "start" for *_, e in log) == logged.daily["purchases"].sum()


def test_common_random_numbers_days_before_the_campaign_are_identical(small_cfg, finished_results):
    """With one seed, a campaign changes nothing before its first send day."""
    start = small_cfg().campaign.push_coupon.start_day
    baseline = sim.run(small_cfg({"campaign.push_coupon.enabled": False}))
    pd.testing.assert_frame_equal(baseline.daily.iloc[:start], finished_results.daily.iloc[:start],
                                  check_exact=True)
    assert not baseline.daily.iloc[start:].equals(finished_results.daily.iloc[start:])


# --------------------------------------------------------------------------- invariants

INVARIANT_RUNS = {
    "spatial": {},
    "watts_strogatz": {"network.kind": "watts_strogatz", "seed": 1},
    "barabasi_albert": {"network.kind": "barabasi_albert", "seed": 2},
    "heavy_campaign": {"campaign.push_coupon.discount": 0.5, "campaign.push_coupon.radius_km": 5.0,
                       "campaign.brand_share": 0.5, "campaign.push_coupon.open_rate": 0.6,
                       "campaign.push_coupon.budget": 1e6, "seed": 3},
    "low_capacity": {"stores.servers_min": 1, "stores.servers_max": 1, "stores.stock_factor": 0.05,
                     "campaign.push_coupon.discount": 0.5, "campaign.push_coupon.radius_km": 5.0,
                     "campaign.brand_share": 0.5, "seed": 4},
    "small_budget": {"campaign.push_coupon.budget": 1500.0, "campaign.push_coupon.discount": 0.5,
                     "campaign.push_coupon.open_rate": 1.0, "campaign.push_coupon.radius_km": 5.0,
                     "seed": 5},
    "no_campaign": {"campaign.push_coupon.enabled": False, "seed": 6},
}


@pytest.fixture(scope="module", params=list(INVARIANT_RUNS), ids=list(INVARIANT_RUNS))
def invariant_run(request):
    over = dict(INVARIANT_RUNS[request.param])
    seed = over.pop("seed", 0)
    cfg = make_cfg(over, seed=seed)
    model = run_model(cfg)
    return request.param, cfg, model, Results.from_model(model)


def test_funnel_order(invariant_run):
    _, _, _, r = invariant_run
    d = r.daily
    assert (d["purchases"] <= d["visits"]).all()
    assert (d["visits"] <= d["intents"]).all()
    assert (d["redemptions"] <= d["purchases"]).all()
    assert (d["aware"] <= d["exposed"]).all()
    assert (d["balked"] <= d["visits"]).all()
    ends = d["purchases"] + d["balked"] + d["reneged"] + d["closed"] + d["stockouts"]
    np.testing.assert_array_equal(ends, d["visits"])
    assert d["visits"].sum() > 0


def test_redemptions_never_exceed_coupons_issued(invariant_run):
    _, _, _, r = invariant_run
    d, s = r.daily, r.summary
    assert (d["redemptions"].cumsum() <= d["coupons_issued"].cumsum()).all()
    assert s["redemptions"] <= s["coupons_issued"]
    assert s["redemptions"] == d["redemptions"].sum()
    assert s["coupons_issued"] == d["coupons_issued"].sum()


def test_purchases_within_capacity_bound(invariant_run):
    _, _, _, r = invariant_run
    st = r.stores
    assert (st["purchases"] <= st["capacity_bound"]).all()
    assert (st["capacity_bound"] > 0).all()


def test_campaign_spend_within_budget(invariant_run):
    _, cfg, _, r = invariant_run
    s, d = r.summary, r.daily
    assert s["campaign_spend"] == pytest.approx(s["discount_cost"] + s["campaign_cost"])
    assert s["discount_cost"] == pytest.approx(d["discount_cost"].sum())
    assert s["campaign_cost"] == pytest.approx(d["campaign_cost"].sum())
    budget = cfg.campaign.push_coupon.budget if cfg.campaign.push_coupon.enabled else 0.0
    assert s["campaign_spend"] <= budget + 1e-6
    assert ((d["discount_cost"] + d["campaign_cost"]).cumsum() <= budget + 1e-6).all()
    if not cfg.campaign.push_coupon.enabled:
        assert s["campaign_spend"] == 0 and s["coupons_issued"] == 0


def test_small_budget_actually_binds(small_cfg):
    over = {k: v for k, v in INVARIANT_RUNS["small_budget"].items() if k != "seed"}
    model = run_model(small_cfg(over, seed=INVARIANT_RUNS["small_budget"]["seed"]))
    r = Results.from_model(model)
    lever = model.levers[0]
    eligible = (lever.target_store >= 0) & model.population.reachable & model.population.push_opt_in
    # far fewer pushes than eligible consumers: the budget stopped them, not the frequency cap
    assert lever.sent.sum() < 0.5 * eligible.sum()
    assert 0 < r.summary["campaign_spend"] <= 1500.0


def test_no_negative_counts(invariant_run):
    _, _, _, r = invariant_run
    for frame in (r.daily, r.stores):
        for col in frame.columns:
            if pd.api.types.is_integer_dtype(frame[col]) or col in ("revenue", "discount_cost",
                                                                      "campaign_cost"):
                assert (frame[col] >= 0).all(), col
        waits = frame["mean_wait_min"].dropna()
        assert (waits >= 0).all()
    counts = [c for c in DAILY_COLUMNS if c not in ("mean_wait_min", "mean_rating")]
    assert all((r.daily[c] >= 0).all() for c in counts)


def test_ratings_within_1_and_5(invariant_run):
    _, _, model, r = invariant_run
    for values in (r.stores["rating"], r.daily["mean_rating"], r.store_info["final_rating"]):
        assert ((values >= 1) & (values <= 5)).all()
    assert 1 <= r.summary["final_mean_rating"] <= 5
    assert ((model.store_table.rating >= 1) & (model.store_table.rating <= 5)).all()


def test_exposures_only_on_send_days(invariant_run):
    _, cfg, model, r = invariant_run
    d = r.daily
    if model.levers:
        send = np.array([model.levers[0].is_send_day(day) for day in d["day"]])
    else:
        send = np.zeros(len(d), dtype=bool)
    assert (d.loc[~send, "coupons_issued"] == 0).all()
    assert (d.loc[~send, "campaign_cost"] == 0).all()
    if send.any():
        first = int(np.flatnonzero(send)[0])    # nobody has reached the frequency cap yet
        assert d.loc[first, "campaign_cost"] > 0
        if cfg.campaign.push_coupon.budget >= 1e4:   # a small budget sends only a handful
            assert d.loc[first, "exposed"] > d.loc[~send, "exposed"].max()


def test_redemptions_only_at_participating_stores(invariant_run):
    _, _, _, r = invariant_run
    st = r.stores.merge(r.store_info[["store_id", "campaign"]], on="store_id")
    assert (st.loc[~st["campaign"], "redemptions"] == 0).all()


def test_store_rows_add_up_to_daily_rows(invariant_run):
    _, cfg, _, r = invariant_run
    st, d = r.stores, r.daily
    assert len(st) == cfg.days * cfg.stores.count
    per_day = st.groupby("day")[["visits", "purchases", "balked", "redemptions", "reviews"]].sum()
    for col in per_day.columns:
        np.testing.assert_array_equal(per_day[col].to_numpy(), d[col].to_numpy(), err_msg=col)
    np.testing.assert_allclose(st.groupby("day")["revenue"].sum().to_numpy(), d["revenue"].to_numpy())
    if "closed" in st.columns:
        for col in ("reneged", "closed", "stockouts"):
            np.testing.assert_array_equal(st.groupby("day")[col].sum().to_numpy(), d[col].to_numpy(),
                                          err_msg=col)
    else:                                   # older schema: reneged includes closed
        np.testing.assert_array_equal(st.groupby("day")["reneged"].sum().to_numpy(),
                                      (d["reneged"] + d["closed"]).to_numpy())


def test_sources_partition_visits_and_purchases(invariant_run):
    _, _, _, r = invariant_run
    d = r.daily
    np.testing.assert_array_equal(sum(d[f"visits_{s}"] for s in SOURCES), d["visits"])
    np.testing.assert_array_equal(sum(d[f"purchases_{s}"] for s in SOURCES), d["purchases"])


def test_summary_totals_match_daily(invariant_run):
    _, cfg, model, r = invariant_run
    s, d = r.summary, r.daily
    for key in ("intents", "visits", "balked", "purchases", "reviews", "shares"):
        assert s[key] == d[key].sum(), key
    assert s["revenue"] == pytest.approx(d["revenue"].sum())
    assert s["unique_customers"] == d["new_customers"].sum()
    assert s["unique_customers"] <= s["consumers"] == cfg.population.size
    assert s["days"] == cfg.days and s["stores"] == cfg.stores.count and s["seed"] == cfg.seed


def test_exposed_only_on_send_days_without_word_of_mouth(small_cfg):
    # a frequency cap as high as the number of send days: every send day sends
    r = sim.run(small_cfg({"behavior.share_reach": 0.0, "campaign.push_coupon.frequency_cap": 4}))
    lever_cfg = r.config.campaign.push_coupon
    send = ((r.daily["day"] - lever_cfg.start_day >= 0)
            & (r.daily["day"] - lever_cfg.start_day < lever_cfg.duration_days)
            & ((r.daily["day"] - lever_cfg.start_day) % lever_cfg.every_days == 0)).to_numpy()
    assert send.any() and (~send).any()
    assert (r.daily.loc[send, "exposed"] > 0).all()
    assert (r.daily.loc[~send, "exposed"] == 0).all()
    assert (r.daily.loc[~send, "aware"] == 0).all()


# --------------------------------------------------------------------------- campaign effects


def _participating_visits(r):
    part = r.store_info.loc[r.store_info["campaign"], "store_id"]
    return r.stores.loc[r.stores["store_id"].isin(part), "visits"].sum()


@pytest.mark.parametrize("seed", [0, 4])
def test_deeper_discount_brings_more_redemptions_and_visits(small_cfg, seed):
    def run(discount):
        return sim.run(small_cfg({"campaign.push_coupon.discount": discount,
                                  "campaign.push_coupon.budget": 1e7}, seed=seed))

    low, high = run(0.05), run(0.4)
    # same seed: same participating stores, same targets
    pd.testing.assert_frame_equal(low.store_info[["store_id", "campaign"]],
                                  high.store_info[["store_id", "campaign"]])
    assert high.summary["redemptions"] > low.summary["redemptions"]
    assert _participating_visits(high) > _participating_visits(low)
    assert high.summary["discount_cost"] > low.summary["discount_cost"]


def test_campaign_lifts_visits_to_participating_stores(small_cfg, finished_results):
    baseline = sim.run(small_cfg({"campaign.push_coupon.enabled": False}))
    assert baseline.store_info["campaign"].sum() == 0
    part = finished_results.store_info.loc[finished_results.store_info["campaign"], "store_id"]
    base_visits = baseline.stores.loc[baseline.stores["store_id"].isin(part), "visits"].sum()
    assert _participating_visits(finished_results) > base_visits
    assert finished_results.summary["redemptions"] > 0 == baseline.summary["redemptions"]


def test_low_capacity_causes_queues(small_cfg, finished_results):
    r = sim.run(small_cfg({"stores.servers_min": 1, "stores.servers_max": 1}))
    assert r.summary["balked"] > finished_results.summary["balked"]
    assert r.summary["mean_wait_min"] > finished_results.summary["mean_wait_min"]


def test_store_and_daily_columns(finished_results):
    assert list(finished_results.daily.columns) == list(DAILY_COLUMNS)
    assert list(finished_results.stores.columns) == list(STORE_COLUMNS)


def test_run_refuses_an_invalid_config_before_running():
    from sim.config import ConfigError, PopulationConfig, SimConfig

    with pytest.raises(ConfigError, match=r"population\.size"):
        sim.run(SimConfig(population=PopulationConfig(size=0)))
    with pytest.raises(ConfigError, match="days"):
        O2OModel(SimConfig(days=0))


def test_the_model_stops_running_after_its_days_and_refuses_to_go_beyond(small_cfg):
    cfg = small_cfg(days=4, warmup_days=2)
    model = O2OModel(cfg)
    steps = 0
    while model.running:
        model.step()
        steps += 1
    assert steps == 4 and model.day == 4 and len(model.recorder.rows) == 4  # (warm-up: at build)
    with pytest.raises(RuntimeError, match=r"days=4 .*larger 'days'"):
        model.step()
    assert model.day == 4  # nothing was simulated


@settings(max_examples=4, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=hst.integers(0, 10_000), kind=hst.sampled_from(["watts_strogatz", "barabasi_albert", "spatial"]),
       discount=hst.sampled_from([0.0, 0.1, 0.5, 0.9]), servers=hst.integers(1, 3),
       budget=hst.sampled_from([0.0, 300.0, 5000.0, 1e6]))
def test_invariants_hold_for_random_settings(small_cfg, seed, kind, discount, servers, budget):
    cfg = small_cfg({"network.kind": kind, "campaign.push_coupon.discount": discount,
                     "campaign.push_coupon.budget": budget, "campaign.push_coupon.radius_km": 4.0,
                     "stores.servers_min": servers, "stores.servers_max": servers,
                     "population.size": 1500}, seed=seed, days=12)
    r = sim.run(cfg)
    d, s, st_ = r.daily, r.summary, r.stores
    assert (d["purchases"] <= d["visits"]).all() and (d["visits"] <= d["intents"]).all()
    assert (d["redemptions"].cumsum() <= d["coupons_issued"].cumsum()).all()
    assert (st_["purchases"] <= st_["capacity_bound"]).all()
    assert s["campaign_spend"] <= budget + 1e-6
    assert ((st_["rating"] >= 1) & (st_["rating"] <= 5)).all()
    for col in d.columns:
        if pd.api.types.is_integer_dtype(d[col]):
            assert (d[col] >= 0).all(), col


def test_capacity_switched_off_serves_every_arrival_without_waiting(small_cfg):
    m = run_model(small_cfg({"stores.capacity_limited": False, "stores.servers_min": 1,
                             "stores.servers_max": 1, "campaign.push_coupon.discount": 0.6}))
    daily = pd.DataFrame(m.recorder.rows)
    assert daily["visits"].sum() > 0
    assert (daily["purchases"] == daily["visits"]).all()
    assert daily[["balked", "reneged", "closed", "stockouts"]].to_numpy().sum() == 0
    limited = run_model(small_cfg({"stores.servers_min": 1, "stores.servers_max": 1,
                                   "campaign.push_coupon.discount": 0.6}))
    assert pd.DataFrame(limited.recorder.rows)["balked"].sum() > 0  # the same city does queue when limited


def test_adoption_once_means_one_purchase_per_consumer(small_cfg):
    m = run_model(small_cfg({"behavior.adoption": "once"}, warmup_days=0))
    assert m.population.purchases.max() == 1
    assert ((m.adopted_store >= 0) == (m.population.purchases == 1)).all()
    # adopters keep talking: every adopter is a sender for tomorrow
    assert m.pending_shares["sender"].size == int((m.adopted_store >= 0).sum())


@pytest.mark.parametrize("scenario", ["o2o_coupon_blast", "context_push", "crm_winback", "baseline"])
def test_skip_flags_never_hide_a_held_coupon_or_prompt(scenario):
    cfg = sim.load_config([f"scenario={scenario}", "population.size=1500", "stores.count=12", "days=25",
                           "warmup_days=3", "seed=5"])
    model = O2OModel(cfg)
    pop = model.population
    cleared = 0
    for _ in range(cfg.days):
        model.step()
        assert model.may_hold_coupons or not (pop.slot_coupon > 0).any()
        assert model.may_hold_prompts or not (pop.slot_prompt > 0).any()
        cleared += (not model.may_hold_coupons) + (not model.may_hold_prompts)
    if scenario == "baseline":  # no campaign: nothing to hold, both arrays are skipped
        assert cleared == 2 * cfg.days


def test_prompts_carry_over_to_the_next_days_and_fade_out():
    from types import SimpleNamespace

    from sim.engine.model import PROMPT_FLOOR, fade_prompts

    pop = SimpleNamespace(slot_prompt=np.array([[1.5, 0.02]], dtype=np.float32),
                          slot_prompt_lever=np.array([[0, 1]], dtype=np.int8))
    assert fade_prompts(pop, 0.3)
    np.testing.assert_allclose(pop.slot_prompt, [[0.45, 0.0]], rtol=1e-6)  # 0.006 < the floor: dropped
    assert pop.slot_prompt_lever.tolist() == [[0, -1]] and PROMPT_FLOOR > 0.006
    days = 0
    while fade_prompts(pop, 0.3):
        days += 1
    assert days == 3 and pop.slot_prompt_lever.tolist() == [[-1, -1]]
    pop.slot_prompt[:] = 1.0
    assert not fade_prompts(pop, 0.0) and (pop.slot_prompt == 0).all()  # no carry-over: today only
