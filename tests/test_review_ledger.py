"""sim.outputs.review_ledger, and who reviews and shares in a run (posting by satisfaction class)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.config import from_dict
from sim.engine.model import O2OModel
from sim.engine.plan import Phase
from sim.outputs.review_ledger import REVIEW_COLUMNS, ReviewLedger
from sim.rules.behavior import FAILED, SATISFACTION_CLASSES
from sim.rules.codes import BALKED, SERVED


def test_the_ledger_keeps_one_row_per_review_in_posting_order():
    ledger = ReviewLedger()
    empty = ledger.frame()
    assert list(empty.columns) == list(REVIEW_COLUMNS) and len(empty) == 0
    ledger.posted(3, np.array([2, 0]), np.array([10, 11]), np.array([5.0, 2.0]), np.array([True, False]),
                  np.array([SERVED, BALKED]), np.array([4, FAILED]))
    ledger.posted(4, np.empty(0, int), np.empty(0, int), np.empty(0), np.empty(0, bool), np.empty(0, int),
                  np.empty(0, int))
    ledger.posted(5, np.array([1]), np.array([12]), np.array([3.0]), np.array([False]), np.array([SERVED]),
                  np.array([2]))
    f = ledger.frame()
    assert list(f.columns) == list(REVIEW_COLUMNS)
    assert f["day"].tolist() == [3, 3, 5] and f["store_id"].tolist() == [2, 0, 1]
    assert f["stars"].tolist() == [5, 2, 3] and f["deal_used"].tolist() == [True, False, False]
    assert f["outcome"].tolist() == ["served", "balked", "served"]
    assert f["satisfaction_class"].tolist() == ["very_satisfied", "failed", "neutral"]
    assert isinstance(f["outcome"].dtype, pd.CategoricalDtype)
    assert list(empty.dtypes) == list(f.dtypes)


@pytest.fixture(scope="module")
def posts():
    """Every visit of a small run: its satisfaction class, whether reviewed and shared, valence, stars."""
    cfg = from_dict({"population": {"size": 3000}, "stores": {"count": 20}, "days": 40, "seed": 3})
    model = O2OModel(cfg)
    seen = []

    def keep(model, s):
        """Keep the day's posts."""
        seen.append((s.satisfaction_class.copy(), s.review.copy(), s.share.copy(), s.valence.copy(),
                     s.stars.copy(), s.served.copy(), s.redeem.copy()))

    plan = model.campaign_plan
    plan.phases.insert(plan.names.index("experience") + 1, Phase("keep", "4. After", keep))
    while model.running:
        model.step()
    cols = [np.concatenate(c) for c in zip(*seen, strict=True)]
    return model, dict(zip(("klass", "review", "share", "valence", "stars", "served", "redeem"), cols,
                           strict=True))


def test_extremes_post_more_than_moderate_experiences(posts):
    _, p = posts
    rate = {name: p["review"][p["klass"] == k].mean() for k, name in enumerate(SATISFACTION_CLASSES)}
    assert min(rate["very_dissatisfied"], rate["very_satisfied"]) > 2 * rate["neutral"]
    assert min(rate["dissatisfied"], rate["satisfied"]) > 1.5 * rate["neutral"]
    # under-reporting: extreme experiences are a larger share of reviews than of visits (Hu et al. 2009)
    extreme = np.isin(p["klass"], [0, 4])
    assert p["review"][extreme].sum() / p["review"].sum() > extreme.mean()


def test_shares_carry_their_classes_valence_and_failed_visits_rate_more_than_one_star(posts):
    _, p = posts
    shared = p["share"]
    assert (p["valence"][shared & (p["klass"] <= 1)] < 0).all()
    assert (p["valence"][shared & np.isin(p["klass"], [3, 4])] > 0).all()
    assert (p["valence"][shared & (p["klass"] == FAILED)] < 0).all()
    failed_reviews = p["stars"][p["review"] & ~p["served"]]
    assert failed_reviews.size > 10 and set(np.unique(failed_reviews)) > {1.0}


def test_the_run_records_a_row_per_review_and_shares_by_valence(posts):
    model, p = posts
    reviews = model.recorder.reviews.frame()
    assert len(reviews) == int(p["review"].sum())
    assert reviews["deal_used"].sum() == int((p["review"] & p["redeem"]).sum()) > 0
    rows = pd.DataFrame(model.recorder.rows)
    assert rows["shares_positive"].sum() == int((p["share"] & (p["valence"] > 0)).sum()) > 0
    assert rows["shares_negative"].sum() == int((p["share"] & (p["valence"] < 0)).sum()) > 0
    assert rows["shares_neutral"].sum() == int((p["share"] & (p["valence"] == 0)).sum()) > 0
