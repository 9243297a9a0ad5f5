import numpy as np
import pytest

from sim.config import ConfigError
from sim.engine.model import O2OModel
from sim.levers.base import DayOutcome
from sim.levers.shaped_terms import ShapedTerms
from sim.rules.codes import BALKED, SERVED


def _model(small_cfg, seed=0, **over):
    base = {"campaign.push_coupon.enabled": False, "campaign.reverse_o2o.enabled": True}
    base.update(over)
    return O2OModel(small_cfg(base, seed=seed))


def _outcome(consumer, store, served, ticket=None):
    n = len(consumer)
    z = np.zeros(n)
    return DayOutcome(consumer=np.asarray(consumer), store=np.asarray(store), slot=np.zeros(n, int),
                      channel=np.zeros(n, np.int8), outcome=np.where(served, SERVED, BALKED),
                      served=np.asarray(served), wait=z,
                      ticket=np.full(n, 100.0) if ticket is None else np.asarray(ticket, float),
                      discount=z, redeem=np.zeros(n, bool), review=np.zeros(n, bool),
                      share=np.zeros(n, bool), disconfirmation=z)


def test_qr_joins_only_served_visitors_at_brand_stores(small_cfg):
    model = _model(small_cfg, **{"campaign.reverse_o2o.join_rate": 1.0,
                                 "campaign.reverse_o2o.join_reward": 3.0})
    lever = model.levers[0]
    pop = model.population
    pop.member[:] = False
    pop.reachable[:] = False
    brand = int(model.brand_stores[0])
    other = int(np.setdiff1d(np.arange(model.store_table.count), model.brand_stores)[0])
    spent = lever.fixed_spend
    day = _outcome([1, 2, 3, 4], [brand, brand, other, brand], [True, False, True, True])
    lever.after_visits(model, 0, day)
    assert pop.member.nonzero()[0].tolist() == [1, 4]
    assert pop.reachable[[1, 4]].all() and pop.push_opt_in[[1, 4]].all()
    assert lever.joins == 2 and lever.fixed_spend - spent == pytest.approx(6.0)


def test_qr_membership_grows_in_a_run(small_cfg):
    model = _model(small_cfg)
    for _ in range(model.cfg.days):
        model.step()
    lever = model.levers[0]
    assert 0 < lever.joins == model.population.member.sum()
    assert lever.fixed_spend == pytest.approx(lever.joins * model.cfg.campaign.reverse_o2o.join_reward)


def test_crm_needs_members():
    from sim.config import from_dict

    with pytest.raises(ConfigError, match="campaign.crm.enabled"):
        from_dict({"campaign": {"crm": {"enabled": True}}})
    from_dict({"campaign": {"crm": {"enabled": True}}, "population": {"member_share": 0.1}})


def test_crm_reminds_due_members_and_wins_back_lapsed_ones(small_cfg):
    model = _model(small_cfg, **{"campaign.crm.enabled": True, "population.member_share": 0.0})
    crm = next(lv for lv in model.levers if lv.name == "crm")
    pop = model.population
    pop.member[:] = False
    pop.member[[10, 11, 12]] = True
    crm.last_brand_purchase[[10, 11, 12]] = [-20, -50, -3]  # due a reminder, lapsed, recent
    ex = crm.plan(model, 0)
    assert sorted(ex.consumer.tolist()) == [10, 11]
    by = dict(zip(ex.consumer.tolist(), ex.coupon_face.tolist(), strict=True))
    assert by[10] == 0.0 and by[11] > 0  # reminder carries no coupon; win-back does
    assert np.isin(ex.store, model.brand_stores).all()
    assert crm.plan(model, 1) is None  # not a CRM day


def test_vip_perk_shapes_choice_only_for_vip_members_at_brand_stores(small_cfg):
    model = _model(small_cfg, **{"campaign.crm.enabled": True, "population.member_share": 0.5,
                                 "campaign.crm.vip_purchases": 1})
    crm = next(lv for lv in model.levers if lv.name == "crm")
    crm.brand_purchases[::2] = 1  # half the consumers bought at the brand before
    base = model.utility_terms(0).incentive_money
    terms = ShapedTerms(lambda: model.utility_terms(0), {}, model.population.slot_store)
    crm.shape_choice(model, 0, terms)
    assert terms.bonuses and terms.fast  # money off at some stores: the compiled pass adds it
    raised = terms.terms.incentive_money > base
    pop = model.population
    brand_slot = np.isin(pop.slot_store, model.brand_stores)
    vip = crm.vip(model)
    assert raised.any()
    assert (vip[:, None] & brand_slot)[raised].all()


def test_crm_spend_stays_within_budget_and_reports_clv(small_cfg):
    model = _model(small_cfg, **{"campaign.crm.enabled": True, "population.member_share": 0.3,
                                 "campaign.crm.vip_purchases": 1, "campaign.crm.vip_discount": 0.3,
                                 "campaign.crm.budget": 500.0})
    for _ in range(model.cfg.days):
        model.step()
    crm = next(lv for lv in model.levers if lv.name == "crm")
    spent = crm.fixed_spend + float(model.coupon_book.discounts[crm.index])
    assert spent <= 500.0 + 1e-6
    from sim.outputs.results import summarize

    s = summarize(model)
    assert s["members"] > 0 and s["clv_per_member"] > 0 and s["crm_reminders"] + s["crm_winbacks"] > 0


def test_crm_brings_members_back_more_often(small_cfg):
    gains = []
    for seed in range(3):
        runs = {}
        for on in (False, True):
            over = {"campaign.crm.enabled": on, "population.member_share": 0.3,
                    "campaign.reverse_o2o.enabled": True}
            model = _model(small_cfg, seed=seed, **over)
            members = model.population.member.copy()
            for _ in range(model.cfg.days):
                model.step()
            runs[on] = model.recorder.customer_purchases[members].sum()
        gains.append(runs[True] - runs[False])
    assert np.mean(gains) > 0, gains
