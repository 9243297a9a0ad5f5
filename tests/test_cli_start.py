"""The command line's start: what it loads before refusing a bad value or listing scenarios, and how it ends.

No timings here (experiments/bench/startup.py measures them): these tests check the causes of a
fast start - a bad value refused before Hydra composes anything and before the engine, numpy or
pandas is imported; ``list`` without Hydra; a single run composed once for its checks;
:func:`sim.cli.entry` ending the process with the command's status and its output flushed.
"""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from conftest import REPO

import sim.config.compose as compose
from sim.cli import main
from sim.cli.sweep import plan
from sim.config import ConfigError
from sim.config.compose import check_overrides

HEAVY = ("numpy", "pandas", "scipy", "mesa", "numba", "matplotlib")


def _in_fresh_process(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("value", ["population.size=-5", "days=abc", "network.kind=ring", "stores.count=0"])
def test_a_bad_value_is_refused_before_composing_and_without_the_engine(value):
    code = ("import sys\nfrom sim.cli import main\n"
            f"status = main([{value!r}])\n"
            "from hydra.core.global_hydra import GlobalHydra\n"
            f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
            "print(status, GlobalHydra.instance().is_initialized(), ' '.join(loaded) or '-')")
    done = _in_fresh_process(code)
    assert done.returncode == 0, done.stderr
    status, composed, loaded = done.stdout.split()
    assert (status, composed, loaded) == ("2", "False", "-")
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"o2o-sim: invalid config: {value.split('=')[0]}=")


def test_list_loads_neither_hydra_nor_numpy():
    watched = (*HEAVY, "hydra", "omegaconf", "yaml")
    done = _in_fresh_process("import sys\nfrom sim.cli import main\nmain(['list'])\n"
                             f"print([m for m in {watched!r} if m in sys.modules])")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_command_line_values_are_checked_against_their_range_with_validates_message():
    with pytest.raises(ConfigError) as early:
        check_overrides(["population.size=-5"])
    with pytest.raises(ConfigError) as late:
        compose.from_dict({"population": {"size": -5}})
    assert str(early.value) == str(late.value)
    check_overrides(["population.size=5", "campaign.push_coupon.discount=0.3", "seed=1,2"])  # sweeps: later


def test_a_single_run_is_planned_with_one_composition(monkeypatch, tmp_path):
    def no_second_composition(*args, **kwargs):
        raise AssertionError("the config was composed a second time")

    monkeypatch.setattr(compose, "_compose", no_second_composition)
    result = plan(["population.size=300", "days=2", f"hydra.run.dir={tmp_path / 'run'}"])
    assert not result.multirun


def test_the_single_runs_checks_keep_their_messages(tmp_path, capsys):
    run_dir = f"hydra.run.dir={tmp_path / 'run'}"
    for override, text in [("campaign.push_coupon.radius_km=50", "at most the city's diagonal"),
                           ("population.push_opt_in=0", "nobody could receive a push"),
                           ("network=nope", "one of [")]:
        assert main([override, run_dir]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and text in err[0], err
    assert not (tmp_path / "run").exists()


def test_main_in_a_long_lived_process_leaves_the_garbage_collector_alone(tmp_path, capsys):
    before = gc.get_freeze_count()
    assert main(["population.size=200", "stores.count=4", "days=2", f"hydra.run.dir={tmp_path / 'run'}"]) == 0
    assert gc.get_freeze_count() == before
    assert (tmp_path / "run" / "status.json").is_file()


def _python_m_sim(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_python_m_sim_ends_with_the_commands_status_and_all_its_output(tmp_path):
    bad = _python_m_sim("days=abc", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("o2o-sim: invalid config: days='abc'")
    listing = _python_m_sim("list", cwd=tmp_path)
    assert listing.returncode == 0
    assert len(listing.stdout.splitlines()) == len(list((REPO / "scenarios").glob("*.yaml")))
    assert listing.stdout.endswith("\n")
