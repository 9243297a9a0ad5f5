"""Calibration: the estimator on a planted model, the model's own parameters recovered, the targets file."""

import json

import numpy as np
import pytest
from conftest import make_cfg

from sim.config import ConfigError
from sim.studies.research import calibrate as cal
from sim.studies.validation import tianchi


def _planted_evaluate(points):
    """Three moments of two parameters (a, b), known exactly, with a standard error of 0.01."""
    out = []
    for p in points:
        a, b = p["behavior.outside_utility"], p["behavior.asc_retail"]
        out.append({"m1": (np.array([a + 0.5 * b]), np.array([0.01])),
                    "m2": (np.array([a * b, b * b]), np.array([0.01, 0.01]))})
    return out


def test_the_estimator_recovers_planted_parameters_with_honest_errors():
    spec = cal.parse_spec({"parameters": {"behavior.outside_utility": [0.0, 2.0],
                                          "behavior.asc_retail": [1.0, 5.0]},
                           "moments": ["m1", "m2"], "seeds": [0, 1], "design_points": 12})
    truth = {"behavior.outside_utility": 1.2, "behavior.asc_retail": 3.1}
    targets = {k: (v[0], np.full_like(v[0], 0.01)) for k, v in _planted_evaluate([truth])[0].items()}
    result = cal.fit(spec, targets, _planted_evaluate)
    for key, value in truth.items():
        assert result["fitted"][key] == pytest.approx(value, abs=1e-3)
        lo, hi = result["ci95"][key]
        assert lo < value < hi and hi - lo < 0.1
    assert result["loss"] < 1e-3 and result["dof"] == 1
    assert result["verified"] == pytest.approx(result["target"], abs=1e-3)


def test_calibration_recovers_the_model_s_own_parameter_from_synthetic_targets():
    base = make_cfg(days=30, warmup_days=5, population={"size": 1500}, stores={"count": 12})
    spec = cal.parse_spec({"parameters": {"behavior.outside_utility": [2.5, 4.5]},
                           "moments": ["visits", "redemption_rate"], "seeds": [0, 1], "design_points": 6})
    evaluate = cal.model_evaluator(base, spec, n_jobs=2)
    truth = 3.4
    targets = evaluate([{"behavior.outside_utility": truth}])[0]  # the model at a known value, same seeds
    targets = {k: (v, np.zeros_like(s)) for k, (v, s) in targets.items()}
    result = cal.fit(spec, targets, evaluate)
    fitted, se = result["fitted"]["behavior.outside_utility"], result["se"]["behavior.outside_utility"]
    assert abs(fitted - truth) < max(3 * se, 0.1), (fitted, se)
    assert 0 < se < 0.5


def test_targets_file_gives_the_redemption_curve_as_its_shape(tmp_path):
    data = tianchi.load_moments()
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data))
    t = cal.load_targets(path, ("redemption_15d", cal.CURVE), buckets=4)
    assert t["redemption_15d"][0].tolist() == [0.061]
    curve = np.array(data[cal.CURVE])
    assert t[cal.CURVE][0] == pytest.approx(curve[1:4] / curve[0])
    yaml_path = tmp_path / "t.yaml"
    yaml_path.write_text("conversion_rate: 0.2\nse_conversion_rate: 0.01\n")
    assert cal.load_targets(yaml_path, ("conversion_rate",))["conversion_rate"][1].tolist() == [0.01]
    with pytest.raises(KeyError, match="nope"):
        cal.load_targets(path, ("nope",))


def test_simulated_moments_pool_runs_with_the_tianchi_helpers():
    from sim.engine.runner import run

    runs = [run(make_cfg(seed=s, days=20, warmup_days=0)) for s in (0, 1)]
    m = cal.simulated_moments(runs, ("redemption_15d", cal.CURVE, "visits"), buckets=3)
    pooled = tianchi.pool([tianchi.measure(r.coupons, r.config.days) for r in runs])
    assert m["redemption_15d"][0][0] == pooled["redemption_15d"]
    assert m[cal.CURVE][0].shape == (2,)
    assert m["visits"][0][0] == np.mean([r.summary["visits"] for r in runs])


@pytest.mark.parametrize("block, key", [
    ({"parameters": {"behavior.outside_utilty": [1, 2]}, "moments": ["visits"]}, "outside_utilty"),
    ({"parameters": {"behavior.outside_utility": [2, 1]}, "moments": ["visits"]}, "outside_utility"),
    ({"parameters": {"behavior.outside_utility": [1, 2]}, "moments": []}, "calibration.moments"),
    ({"parameters": {"behavior.outside_utility": [1, 2]}, "moments": ["visits"], "seeds": 1},
     "calibration.seeds"),
    ({"parameters": {"behavior.outside_utility": [1, 2]}, "moments": ["visits"], "design_points": 3},
     "calibration.design_points"),
    ([1, 2], "calibration"),
    ({"parameters": {"behavior.outside_utility": [1, 2]}, "moments": ["visits"], "seed": 3},
     "calibration.seed"),
])
def test_bad_calibration_blocks_are_refused(block, key):
    with pytest.raises(ConfigError, match=key):
        cal.parse_spec(block)
