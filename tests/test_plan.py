"""sim.engine.plan: one day plan per model, built from the levers, printed, timed and documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

from sim.engine.describe import every_lever_plan
from sim.engine.model import O2OModel
from sim.engine.plan import STAGES, DayPlan, Phase, build_plan
from sim.levers import LEVERS
from sim.levers.base import Lever

ROOT = Path(__file__).resolve().parents[1]
HOOKS = {"messages": "plan", "choice": "shape_choice", "noticed": "on_noticed", "channels": "assign_channels",
         "after_visits": "after_visits"}


def test_the_warm_up_plan_has_no_lever_phase_and_the_campaign_plan_adds_them(small_cfg):
    model = O2OModel(small_cfg({"campaign.omo.enabled": True, "campaign.realtime_info.enabled": True}))
    warm, campaign = model.warmup_plan.names, model.campaign_plan.names
    assert warm == ["exposures", "shares", "decide", "trips", "store_day", "purchases", "experience", "night",
                    "record"]
    assert campaign == ["messages", "exposures", "shares", "decide", "channels", "trips", "store_day",
                        "pickups", "visibility", "purchases", "experience", "night", "record", "levers_after"]
    pooled = [r.pooled_delivery for r in model.campaign_plan.visibilities]
    assert pooled == [True, False]  # OMO's rule, then real-time info's
    assert model.plan is model.campaign_plan and model.day == 0


def test_phases_run_in_stage_order_and_every_phase_says_what_it_does():
    plan = every_lever_plan()
    stages = [STAGES.index(p.stage) for p in plan.phases]
    assert stages == sorted(stages)
    assert len(set(plan.names)) == len(plan.names)
    for phase in plan.phases:
        assert phase.doc and phase.doc.endswith("."), phase.name
    text = str(plan)
    assert all(stage in text for stage in STAGES) and all(f". {name}" in text for name in plan.names)


@pytest.mark.parametrize(("over", "phase", "step"), [
    ({}, "store_day", "store_day_compiled"),
    ({"stores.capacity_limited": False}, "store_day", "store_day_unlimited"),
    ({"behavior.adoption": "once"}, "adoption", "adoption"),
])
def test_the_plan_chooses_the_store_day_engine_and_the_adoption_rule_once(small_cfg, over, phase, step):
    model = O2OModel(small_cfg(over))
    chosen = {p.name: p.run.__name__ for p in model.warmup_plan.phases}
    assert chosen[phase] == step


def test_an_event_log_runs_the_store_day_in_simpy(small_cfg):
    model = O2OModel(small_cfg({}), keep_event_log=True)
    assert {p.name: p.run.__name__ for p in model.campaign_plan.phases}["store_day"] == "store_day_simpy"
    model.step()
    assert model.event_log  # SimPy's events of the day


@pytest.mark.parametrize("name", list(LEVERS))
def test_each_lever_declares_exactly_the_hooks_it_implements(name):
    cls = LEVERS[name]
    implemented = {touch for touch, method in HOOKS.items()
                   if getattr(cls, method) is not getattr(Lever, method)}
    assert set(cls.touches) == implemented, name


def test_levers_no_longer_have_hooks_between_the_compiled_passes():
    for gone in ("before_service", "after_service", "adjust_engagement"):
        assert not hasattr(Lever, gone)
        assert all(not hasattr(cls, gone) for cls in LEVERS.values())


def test_a_timed_plan_accounts_for_each_phase(small_cfg):
    model = O2OModel(small_cfg({}))
    model.campaign_plan.timed = True
    for _ in range(3):
        model.step()
    seconds = model.campaign_plan.seconds
    assert set(seconds) == set(model.campaign_plan.names) and all(v >= 0 for v in seconds.values())


def test_a_phase_inserted_in_the_plan_sees_the_days_state(small_cfg):
    model = O2OModel(small_cfg({}))
    seen = []
    plan = model.campaign_plan
    plan.phases.insert(plan.names.index("store_day") + 1,
                       Phase("watch", "3. Offline", lambda m, s: seen.append(int((s.outcome == 0).sum()))))
    model.step()
    assert seen == [model.recorder.rows[0]["purchases"]]


def test_odd_shows_the_generated_plan():
    text = (ROOT / "docs" / "ODD.md").read_text()
    block = re.search(r"<!-- plan:begin -->\n```text\n(.*?)```\n<!-- plan:end -->", text, flags=re.S)
    assert block, "docs/ODD.md has no generated plan block"
    assert block.group(1).rstrip("\n") == str(every_lever_plan()), (
        "docs/ODD.md's day plan is stale: regenerate it with `python -m sim.engine.describe`")


def test_the_step_runs_the_plan_between_the_start_and_the_record():
    body = inspect.getsource(O2OModel.step).split('"""')[-1]
    order = [body.find(call) for call in ("self.recorder.start_day(", "lever.start(self)", "self.plan.run(",
                                          "self.recorder.end_day(")]
    assert all(i >= 0 for i in order) and order == sorted(order)


def test_build_plan_reads_only_the_levers_it_is_given(small_cfg):
    model = O2OModel(small_cfg({"campaign.ugc_reward.enabled": True}))
    assert isinstance(build_plan(model, []), DayPlan) and not build_plan(model, []).engagements
    rule = model.campaign_plan.engagements[0]
    assert (rule.review[model.is_brand] > 1).all() and np.all(rule.review[~model.is_brand] == 1.0)


def test_pick_ups_take_stock_only_where_stock_is_limited(small_cfg):
    limited = O2OModel(small_cfg({"campaign.omo.enabled": True}))
    unlimited = O2OModel(small_cfg({"campaign.omo.enabled": True, "stores.capacity_limited": False}))
    assert "pickups" in limited.campaign_plan.names and "pickups" not in unlimited.campaign_plan.names
    assert "channels" in unlimited.campaign_plan.names
