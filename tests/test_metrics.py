"""sim.metrics: the recorder's per-consumer tallies rest on one visit per consumer a day."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_model

from sim import load_config
from sim.metrics import DayRecorder


@pytest.mark.parametrize("scenario", ["omo_full", "referral_loop", "crm_winback", "reservation_realtime"])
def test_a_consumer_visits_at_most_once_a_day_and_tallies_add_up(scenario, monkeypatch):
    seen = []
    original = DayRecorder.visits

    def spy(self, visits, *args, **kwargs):
        seen.append(visits.consumer.copy())
        return original(self, visits, *args, **kwargs)

    monkeypatch.setattr(DayRecorder, "visits", spy)
    cfg = load_config([f"scenario={scenario}", "population.size=1500", "stores.count=12", "days=20",
                       "warmup_days=5", "seed=2"])
    model = run_model(cfg)
    assert sum(v.size for v in seen) > 0
    for consumers in seen:
        assert np.unique(consumers).size == consumers.size
    rec = model.recorder
    recorded = sum(row["purchases"] for row in rec.rows)
    assert rec.customer_purchases.sum() == recorded
    new = sum(row["new_customers"] for row in rec.rows)
    assert new == (rec.customer_purchases > 0).sum()
