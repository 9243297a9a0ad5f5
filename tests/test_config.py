"""sim.config (schemas, from_dict, validate) and the Hydra path sim.load_config."""

from __future__ import annotations

import dataclasses
import math

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.config import (
    CampaignConfig,
    CityConfig,
    ConfigError,
    NetworkConfig,
    PopulationConfig,
    PushCouponConfig,
    SimConfig,
    StoresConfig,
    from_dict,
    to_dict,
    validate,
)

# --------------------------------------------------------------------------- dataclasses


def test_defaults_are_valid_and_from_empty_dict_gives_defaults():
    validate(SimConfig())
    assert from_dict({}) == SimConfig()


def test_from_dict_nested_overrides_build_the_expected_dataclass():
    cfg = from_dict({"seed": 7, "days": 12, "population": {"size": 1500},
                     "stores": {"count": 18}, "network": {"kind": "barabasi_albert"},
                     "campaign": {"push_coupon": {"discount": 0.3}}})
    expected = SimConfig(seed=7, days=12, population=PopulationConfig(size=1500),
                         stores=StoresConfig(count=18), network=NetworkConfig(kind="barabasi_albert"),
                         campaign=CampaignConfig(push_coupon=PushCouponConfig(discount=0.3)))
    assert cfg == expected
    assert isinstance(cfg.campaign.push_coupon, PushCouponConfig)


def test_to_dict_from_dict_round_trip():
    cfg = from_dict({"seed": 3, "population": {"size": 1234}, "city": {"cell_km": 0.3}})
    data = to_dict(cfg)
    assert isinstance(data["city"], dict)
    assert data["population"]["size"] == 1234
    assert from_dict(data) == cfg


def test_integer_valued_float_is_coerced_to_int():
    cfg = from_dict({"population": {"size": 2000.0}})
    assert cfg.population.size == 2000 and isinstance(cfg.population.size, int)


def test_config_error_is_a_value_error_with_key_value_allowed():
    err = ConfigError("a.b", 3, "something else")
    assert isinstance(err, ValueError)
    assert (err.key, err.value, err.allowed) == ("a.b", 3, "something else")
    assert "a.b" in str(err) and "3" in str(err) and "something else" in str(err)


# (dotted key, bad value, a fragment the "allowed" part must contain)
BAD_VALUES = [
    ("population.size", -3, "in [1, 100000000]"),
    ("population.size", 0, "in [1, 100000000]"),
    ("population.push_opt_in", 1.5, "[0, 1]"),
    ("population.app_reach", -0.1, "[0, 1]"),
    ("stores.count", 0, "in [1, 100000]"),
    ("stores.servers_min", 0, "in [1, 1000]"),
    ("campaign.push_coupon.send_hour", 24, "0-23"),
    ("campaign.push_coupon.send_hour", -1, "0-23"),
    ("campaign.push_coupon.budget", -1.0, "in [0, 1000000000]"),
    ("campaign.push_coupon.discount", 1.0, "[0, 1)"),
    ("campaign.push_coupon.radius_km", 50.0, "diagonal"),
    ("campaign.push_coupon.radius_km", 0.0, "in (0, 10000000]"),
    ("days", 0, "in [1, 36500]"),
    ("seed", -1, "in [0, 9223372036854775807]"),
    ("network.kind", "lattice", "watts_strogatz"),
    ("behavior.review_base", 2.0, "[0, 1]"),
    ("stores.quality_mean", 6.0, "[1, 5]"),
    ("wom.form", "broadcast", "per_tie"),
    ("wom.valence_satisfied", 1.5, "in [-1, 1]"),
    ("wom.review_neutral", -0.1, "in [0, 100]"),
    ("network.strong_tie_share", 1.2, "[0, 1]"),
    ("network.tie_strength", "frequency", "overlap"),
    ("behavior.share_reach", 101.0, "in [0, 100]"),
    ("population.deal_proneness_alpha", 0.0, "in (0, 1000000]"),
]


def _nested(key: str, value) -> dict:
    data: dict = {}
    node = data
    *parents, leaf = key.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value
    return data


@pytest.mark.parametrize("key,value,allowed", BAD_VALUES, ids=[f"{k}={v}" for k, v, _ in BAD_VALUES])
def test_from_dict_refuses_bad_values_naming_key_value_and_range(key, value, allowed):
    with pytest.raises(ConfigError) as info:
        from_dict(_nested(key, value))
    err = info.value
    msg = str(err)
    assert err.key == key
    assert key in msg
    assert str(value) in msg or repr(value) in msg
    assert allowed in err.allowed and allowed in msg


HYDRA_BAD = BAD_VALUES[:13]


@pytest.mark.parametrize("key,value,allowed", HYDRA_BAD, ids=[f"{k}={v}" for k, v, _ in HYDRA_BAD])
def test_load_config_refuses_bad_values_naming_key_value_and_range(key, value, allowed):
    with pytest.raises(ConfigError) as info:
        sim.load_config([f"{key}={value}"])
    msg = str(info.value)
    assert info.value.key == key
    assert key in msg and str(value) in msg and allowed in msg


def test_validate_checks_a_dataclass_built_directly():
    cfg = SimConfig(population=PopulationConfig(size=-3))
    with pytest.raises(ConfigError, match=r"population\.size"):
        validate(cfg)


@pytest.mark.parametrize("data,key", [
    ({"stores": {"servers_min": 4, "servers_max": 2}}, "stores.servers_max"),
    ({"stores": {"open_hour": 12, "close_hour": 12}}, "stores.close_hour"),
    ({"stores": {"restaurant_share": 0.7, "retail_share": 0.5}}, "stores.retail_share"),
    ({"behavior": {"consideration_set": 4, "discovery_slots": 4}}, "behavior.discovery_slots"),
    ({"population": {"size": 5}, "network": {"mean_degree": 8}}, "network.mean_degree"),
    ({"city": {"width": 8, "height": 8, "cell_km": 0.25},
      "campaign": {"push_coupon": {"radius_km": 3.0}}}, "campaign.push_coupon.radius_km"),
    ({"wom": {"neutral_band": 1.0, "extreme_band": 1.0}}, "wom.extreme_band"),
    ({"wom": {"form": "per_tie"}, "behavior": {"share_reach": 1.28}}, "behavior.share_reach"),
])
def test_cross_field_rules(data, key):
    with pytest.raises(ConfigError) as info:
        from_dict(data)
    assert info.value.key == key


def test_radius_larger_than_the_city_names_the_diagonal():
    city = CityConfig(width=8, height=8, cell_km=0.25)
    diag = math.hypot(8, 8) * 0.25
    with pytest.raises(ConfigError) as info:
        validate(SimConfig(city=city, campaign=CampaignConfig(
            push_coupon=PushCouponConfig(radius_km=diag + 0.1))))
    assert f"{diag:.2f}" in str(info.value)
    # exactly the diagonal is still allowed
    validate(SimConfig(city=city, campaign=CampaignConfig(push_coupon=PushCouponConfig(radius_km=diag))))


@pytest.mark.parametrize("data,key", [
    ({"foo": 1}, "foo"),
    ({"population": {"foo": 2}}, "population.foo"),
    ({"campaign": {"push_coupon": {"nope": 1}}}, "campaign.push_coupon.nope"),
])
def test_from_dict_refuses_unknown_keys(data, key):
    with pytest.raises(ConfigError) as info:
        from_dict(data)
    assert info.value.key == key
    assert key in str(info.value)


@pytest.mark.parametrize("data,key", [
    ({"population": {"size": "abc"}}, "population.size"),
    ({"population": {"size": 2.5}}, "population.size"),
    ({"population": {"size": True}}, "population.size"),
    ({"population": {"push_opt_in": "high"}}, "population.push_opt_in"),
    ({"population": {"push_opt_in": float("nan")}}, "population.push_opt_in"),
    ({"campaign": {"push_coupon": {"enabled": "yes"}}}, "campaign.push_coupon.enabled"),
    ({"network": {"kind": 3}}, "network.kind"),
    ({"population": 5}, "population"),
])
def test_from_dict_refuses_wrong_types(data, key):
    with pytest.raises(ConfigError) as info:
        from_dict(data)
    assert info.value.key == key


@settings(max_examples=25, deadline=None, database=None)
@given(st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_probability_range_property(p):
    # without a campaign, so that only the range rule applies (0 opt-in is fine then)
    data = {"population": {"push_opt_in": p}, "campaign": {"push_coupon": {"enabled": False}}}
    if 0.0 <= p <= 1.0:
        assert from_dict(data).population.push_opt_in == p
    else:
        with pytest.raises(ConfigError, match=r"population\.push_opt_in"):
            from_dict(data)


# --------------------------------------------------------------------------- Hydra composition


def test_load_config_equals_the_expected_dataclass():
    cfg = sim.load_config(["population.size=2000", "stores.count=16", "days=25", "seed=3"])
    expected = SimConfig(seed=3, days=25, population=PopulationConfig(size=2000),
                         stores=StoresConfig(count=16))
    assert isinstance(cfg, SimConfig)
    assert cfg == expected


def test_load_config_without_overrides_gives_the_schema_defaults():
    # the group files under configs/ say they hold "the schema defaults"
    assert sim.load_config() == SimConfig()


def test_load_config_groups_select_options():
    cfg = sim.load_config(["network=watts_strogatz", "campaign=none"])
    assert cfg.network.kind == "watts_strogatz"
    assert cfg.campaign.push_coupon.enabled is False
    cfg = sim.load_config(["network=barabasi_albert", "campaign.push_coupon.discount=0.35"])
    assert cfg.network.kind == "barabasi_albert"
    assert cfg.campaign.push_coupon.discount == pytest.approx(0.35)


def test_load_config_returns_plain_dataclasses_not_dictconfig():
    cfg = sim.load_config(["days=10"])
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        assert type(value).__module__ in ("builtins", "sim.config.schema"), (f.name, type(value))


@pytest.mark.parametrize("override", ["foo=1", "+foo=1"])
def test_load_config_refuses_unknown_top_level_key(override):
    with pytest.raises(ConfigError) as info:
        sim.load_config([override])
    assert info.value.key == "foo"
    msg = str(info.value)
    assert "foo" in msg and "1" in msg and "allowed" in msg


@pytest.mark.parametrize("override", ["population.nope=2", "+population.nope=2"])
def test_load_config_refuses_unknown_nested_key(override):
    with pytest.raises(ConfigError) as info:
        sim.load_config([override])
    assert info.value.key == "population.nope"


def test_load_config_refuses_wrong_type():
    with pytest.raises(ConfigError) as info:
        sim.load_config(["population.size=abc"])
    msg = str(info.value)
    assert info.value.key == "population.size"
    assert "abc" in msg
    assert "int" in msg.lower()


def test_load_config_unknown_group_option_lists_the_valid_ones():
    with pytest.raises(ConfigError) as info:
        sim.load_config(["network=nope"])
    msg = str(info.value)
    assert "network" in msg and "nope" in msg
    options = sorted(p.stem for p in (REPO / "configs" / "network").glob("*.yaml"))
    assert options, "no network options found"
    for name in options:
        assert name in msg


def test_load_config_unknown_scenario_lists_the_catalogue():
    with pytest.raises(ConfigError) as info:
        sim.load_config(["scenario=does_not_exist"])
    msg = str(info.value)
    assert "does_not_exist" in msg
    for path in (REPO / "scenarios").glob("*.yaml"):
        assert path.stem in msg


def test_load_config_records_the_scenario_name():
    assert sim.load_config(["scenario=default"]).scenario == "default"


def test_the_scenario_template_loads_as_a_user_scenario(tmp_path, monkeypatch):
    from conftest import REPO

    from sim.config.compose import load_config

    (tmp_path / "my_campaign.yaml").write_text((REPO / "docs" / "scenario_template.yaml").read_text())
    monkeypatch.setenv("O2O_SIM_SCENARIOS", str(tmp_path))
    cfg = load_config(["scenario=my_campaign"])
    assert cfg.scenario == "my_campaign" and cfg.campaign.push_coupon.radius_km == 1.0
    assert cfg.campaign.push_coupon.send_hour == 11


def test_a_reach_above_one_is_allowed_where_it_counts_friends_told():
    from_dict({"wom": {"form": "sender"}, "behavior": {"share_reach": 3.0}})
    from_dict({"wom": {"form": "per_tie"}, "network": {"kind": "complete"}, "behavior": {"share_reach": 3.0}})
    with pytest.raises(ConfigError, match="probability in \\[0, 1\\] with wom.form=per_tie"):
        from_dict({"wom": {"form": "per_tie"}, "behavior": {"share_reach": 3.0}})
