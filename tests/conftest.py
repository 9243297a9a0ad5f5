"""Shared fixtures: a small-config factory and one finished run reused across tests."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest

from sim.config import SimConfig, from_dict
from sim.engine.model import O2OModel
from sim.outputs.results import Results

REPO = Path(__file__).resolve().parents[1]
SCENARIO_DIR = REPO / "scenarios"

#: A city small enough for a whole run in well under a second.
SMALL = {
    "seed": 0,
    "days": 25,
    "population": {"size": 2000},
    "stores": {"count": 16},
}


def load_script(relative: str):
    """Import a script of the repository (e.g. ``experiments/bench/plain_mesa.py``) as a module."""
    path = REPO / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_cfg(overrides: dict | None = None, **top) -> SimConfig:
    """Small validated config; ``overrides`` maps dotted keys to values, ``top`` sets top-level keys.

    Example: ``make_cfg({"campaign.push_coupon.discount": 0.5}, seed=3)``.
    """
    data = copy.deepcopy(SMALL)
    data.update(top)
    for key, value in (overrides or {}).items():
        *parents, leaf = key.split(".")
        node = data
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return from_dict(data)


def run_model(cfg: SimConfig, keep_event_log: bool = False) -> O2OModel:
    """Build a model and step it through ``cfg.days`` days."""
    model = O2OModel(cfg, keep_event_log=keep_event_log)
    for _ in range(cfg.days):
        model.step()
    return model


@pytest.fixture(scope="session")
def small_cfg():
    """Factory of small configs (see :func:`make_cfg`)."""
    return make_cfg


@pytest.fixture(scope="session")
def finished_model() -> O2OModel:
    """One finished small run (do not mutate)."""
    return run_model(make_cfg())


@pytest.fixture(scope="session")
def finished_results(finished_model) -> Results:
    """The results of :func:`finished_model` (do not mutate)."""
    return Results.from_model(finished_model)


@pytest.fixture(scope="session")
def stepped_dashboard():
    """A small side-by-side dashboard (1,000 consumers, 12 stores) after five days (do not mutate)."""
    from sim.viz.model import DashboardModel

    model = DashboardModel(consumers=1000, stores=12)
    for _ in range(5):
        model.step()
    return model
