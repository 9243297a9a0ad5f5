"""Hostile and careless input: every bad value is refused in one line naming its key, before anything runs.

Property-based (hypothesis) generation of invalid values for every declared config field and of
malformed scenario YAML, then each case the hardening work listed, by name, through the real
command lines (exit status, one line, no traceback).
"""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
import shutil
import subprocess
import sys
import threading

import pytest
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import ConfigError, SimConfig, from_dict, iter_params, validate
from sim.config.compose import check_overrides, load_config
from sim.engine.runner import run

FIELDS = [(key, f, tp) for key, f, tp in iter_params(SimConfig)]


def _nested(key: str, value) -> dict:
    out: dict = {}
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _wrong_types(tp):
    """Values of another type than ``tp`` (the CLI, from_dict and validate all refuse them)."""
    base = st.one_of(st.none(), st.lists(st.integers(), max_size=2),
                     st.dictionaries(st.text(max_size=3), st.integers(), max_size=1))
    if tp is bool:
        return st.one_of(base, st.integers(), st.floats(), st.text(min_size=1, max_size=5))
    if tp is int:
        return st.one_of(base, st.booleans(), st.text(min_size=1, max_size=5),
                         st.floats(allow_nan=False).filter(lambda x: not float(x).is_integer()))
    if tp is float:
        return st.one_of(base, st.booleans(), st.text(min_size=1, max_size=5),
                         st.sampled_from([math.nan, math.inf, -math.inf]))
    return st.one_of(base, st.integers(), st.booleans())


def _out_of_range(f, tp):
    """Values of the right type outside the declared range (or not among the choices)."""
    m = f.metadata
    if m["choices"]:
        return st.text(max_size=8).filter(lambda v: v not in m["choices"])
    options = []
    step = 1 if tp is int else 1e-6
    if m["ge"] is not None:
        options.append(m["ge"] - step if tp is float else int(math.floor(m["ge"])) - 1)
    if m["gt"] is not None:
        options.append(m["gt"] if tp is float else int(m["gt"]))
    if m["le"] is not None:
        options.append(m["le"] * (1 + 1e-6) + step if tp is float else int(m["le"]) + 1)
    if m["lt"] is not None:
        options.append(m["lt"] if tp is float else int(math.ceil(m["lt"])))
    options = [tp(o) for o in options]
    return st.sampled_from(options) if options else st.nothing()


def _one_line(err: ConfigError, key: str) -> None:
    text = str(err)
    assert "\n" not in text and text.startswith(f"invalid config: {key}=")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_field_refuses_a_value_of_another_type(data):
    key, f, tp = data.draw(st.sampled_from([x for x in FIELDS if x[2] in (bool, int, float, str)]))
    value = data.draw(_wrong_types(tp))
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return  # an integer is a number
    with pytest.raises(ConfigError) as err:
        from_dict(_nested(key, value))
    assert err.value.key == key
    _one_line(err.value, key)
    cfg = from_dict({})  # the same value set on a built config is refused by validate (run's path)
    section, _, leaf = key.rpartition(".")
    target = cfg
    for part in section.split(".") if section else []:
        target = getattr(target, part)
    object.__setattr__(target, leaf, value)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert err.value.key == key


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_bounded_field_refuses_a_value_out_of_range(data):
    def bounded_field(f):
        m = f.metadata
        bounds = (m[b] for b in ("ge", "gt", "le", "lt"))
        return bool(m) and (bool(m["choices"]) or any(b is not None for b in bounds))

    bounded = [x for x in FIELDS if x[2] in (int, float, str) and bounded_field(x[1])]
    key, f, tp = data.draw(st.sampled_from(bounded))
    value = data.draw(_out_of_range(f, tp))
    with pytest.raises(ConfigError) as err:
        from_dict(_nested(key, value))
    assert err.value.key == key
    _one_line(err.value, key)


def test_every_numeric_field_has_an_upper_bound():
    for key, f, tp in FIELDS:
        if tp in (int, float) and not f.metadata["choices"]:
            assert f.metadata["le"] is not None or f.metadata["lt"] is not None, key


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_command_line_values_follow_the_same_type_rule(data):
    key, f, tp = data.draw(st.sampled_from([x for x in FIELDS if x[2] in (bool, int, float)]))
    text = data.draw(st.sampled_from(["2", "[1,2]", "{a: 1}", "null", "nan", "inf", "abc", "1.5"]))
    if tp is float and text in ("2", "1.5"):
        return
    if tp is int and text == "2":
        return
    with pytest.raises(ConfigError) as err:
        check_overrides([f"{key}={text}"])
    assert err.value.key == key


@pytest.fixture(scope="module")
def config_copy(tmp_path_factory):
    """A copy of configs/ with its scenario group as a real folder, for writing broken scenario files."""
    root = tmp_path_factory.mktemp("configs")
    shutil.copytree(REPO / "configs", root, dirs_exist_ok=True, symlinks=False)
    return root


YAML_BREAKERS = ["\t", "[", "]", "{", "}", ": :", "!!python/object/apply:os.system [ls]", "*alias", "&", "%",
                 "'", '"', "- [", "? ", "|\n x", ">-\n\t"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.sampled_from(YAML_BREAKERS + ["days: 5", "seed: 1", "stores:", "  count: 3"]),
                     min_size=1, max_size=6), header=st.booleans())
def test_malformed_scenario_yaml_is_one_line_naming_the_file(config_copy, monkeypatch, body, header):
    monkeypatch.setenv("O2O_SIM_CONFIGS", str(config_copy))
    text = ("# @package _global_\n" if header else "") + "\n".join(body) + "\n"
    (config_copy / "scenario" / "hostile.yaml").write_text(text)
    try:
        cfg = load_config(["scenario=hostile"])
    except ConfigError as err:  # any other exception fails the test
        assert "\n" not in str(err) and err.key and "Traceback" not in str(err)
    else:
        assert isinstance(cfg, SimConfig) and header  # only a well-formed file with its header loads


@pytest.mark.slow
def test_load_config_from_many_threads(monkeypatch):
    results, errors = [], []

    def work(i):
        for j in range(20):
            try:
                results.append(load_config([f"seed={i * 100 + j}", "days=5"]).seed)
            except Exception as err:  # noqa: BLE001 - any failure is what the test looks for
                errors.append(repr(err))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == sorted(i * 100 + j for i in range(8) for j in range(20))


def test_load_config_refuses_a_string_instead_of_a_list():
    with pytest.raises(ConfigError, match=r"overrides='population.size=5'; allowed: a list"):
        load_config("population.size=5")


def test_run_checks_its_argument():
    for bad in (None, {}, "days=3"):
        with pytest.raises(TypeError, match="run\\(cfg\\): cfg must be a SimConfig"):
            run(bad)
    cfg = dataclasses.replace(from_dict({}), days="10")
    with pytest.raises(ConfigError, match="days='10'"):
        run(cfg)
    cfg = from_dict({})
    object.__setattr__(cfg.campaign.push_coupon, "discount", math.nan)
    with pytest.raises(ConfigError, match="campaign.push_coupon.discount=nan"):
        run(cfg)


def test_config_error_survives_a_process_boundary():
    err = pickle.loads(pickle.dumps(ConfigError("seed", -1, "an integer >= 0")))
    assert isinstance(err, ConfigError) and (err.key, err.value) == ("seed", -1)
    assert str(err) == "invalid config: seed=-1; allowed: an integer >= 0"


def _cli(args, env_extra=None, tool="o2o-sim"):
    env = {**os.environ, "O2O_SIM_MEMORY_GB": "20", **(env_extra or {})}
    exe = os.path.join(os.path.dirname(sys.executable), tool)
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=120)


NAMED_CLI_CASES = [
    (["campaign.ads.enabled=2"], "campaign.ads.enabled"),
    (["population.size=[1,2]"], "population.size"),
    (["population.size=null"], "population.size"),
    (["population.size=1000000000"], "population.size"),
    (["population.size=100000000000000000000"], "population.size"),
    (["city.cell_km=1e308"], "city.cell_km"),
    (["city.width=5000", "city.height=5000"], "city.width"),
    (["population.size=60000000"], "population.size"),
    (["days=100000000"], "days"),
]


@pytest.mark.parametrize("args, key", NAMED_CLI_CASES, ids=[" ".join(a) for a, _ in NAMED_CLI_CASES])
def test_named_bad_inputs_are_one_line_exit_2(args, key, tmp_path):
    out = _cli([*args, f"hydra.run.dir={tmp_path / 'run'}"])
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{key}=" in lines[0] and "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()  # refused before anything ran


SCENARIO_CASES = {
    "tab": "# @package _global_\ndays:\t5\n",
    "bracket": "# @package _global_\ndays: [5\n",
    "python_tag": "# @package _global_\ndays: !!python/object/apply:os.system ['touch /tmp/o2o-pwned']\n",
    "empty": "",
    "no_header": "days: 5\n",
}


@pytest.mark.parametrize("name", list(SCENARIO_CASES))
def test_broken_scenario_files_are_one_line_naming_the_file(name, config_copy):
    (config_copy / "scenario" / f"{name}.yaml").write_text(SCENARIO_CASES[name])
    out = _cli([f"scenario={name}"], {"O2O_SIM_CONFIGS": str(config_copy)})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"scenario='{name}'" in lines[0]
    assert name == "empty" or name == "no_header" or f"{name}.yaml line" in lines[0]
    assert not os.path.exists("/tmp/o2o-pwned")


COMPARE_CASES = [(["--jobs", "0"], "--jobs"), (["--jobs", "abc"], "--jobs"),
                 (["--first-seed", "-1"], "--first-seed"), (["--reps", "100000000"], "--reps"),
                 (["--out", "/etc/hostname"], "--out"),
                 (["campaign.ads.enabled=2"], "campaign.ads.enabled")]


@pytest.mark.parametrize("args, key", COMPARE_CASES, ids=[" ".join(a) for a, _ in COMPARE_CASES])
def test_compare_refuses_in_one_line(args, key):
    out = _cli(["baseline", "default", *args], tool="o2o-compare")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0]
