"""sim.config.resources: a run's memory and time, and the refusal of a run that cannot fit."""

import pytest

from sim.config import ConfigError, from_dict
from sim.config.resources import GIB, MEMORY_ENV, ResourceError, available_memory, check_resources, estimate
from sim.engine.model import O2OModel


def _cfg(**sections):
    return from_dict(sections)


def test_the_estimate_grows_with_each_driver_and_names_the_largest():
    small = estimate(_cfg())
    assert estimate(_cfg(population={"size": 2_000_000})).peak_bytes > small.peak_bytes
    assert estimate(_cfg(behavior={"consideration_set": 40}, population={"size": 10**6})).peak_bytes > \
        estimate(_cfg(population={"size": 10**6})).peak_bytes
    assert estimate(_cfg(population={"size": 10**6})).main_key == "population.size"
    assert estimate(_cfg(city={"width": 3000, "height": 3000, "cell_km": 0.01})).main_key == "city.width"
    assert estimate(_cfg(days=20000, stores={"count": 5000})).main_key == "days"
    assert estimate(_cfg(population={"size": 10**6})).seconds > small.seconds


def test_the_estimate_errs_on_the_high_side_of_measured_peaks():
    # peak resident memory measured with `make bench` (docs/PERFORMANCE.md): L and M
    l_cfg = _cfg(population={"size": 1_000_000}, stores={"count": 1000}, days=30)
    assert 1136e6 <= estimate(l_cfg).peak_bytes <= 2 * 1136e6
    m_cfg = _cfg(population={"size": 50_000}, stores={"count": 100}, days=90)
    assert 323e6 <= estimate(m_cfg).peak_bytes <= 2 * 323e6


def test_a_run_that_cannot_fit_is_refused_before_anything_is_built(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, "0.5")
    cfg = _cfg(population={"size": 2_000_000})
    with pytest.raises(ResourceError) as err:
        O2OModel(cfg)
    text = str(err.value)
    assert err.value.key == "population.size" and "GiB" in text and MEMORY_ENV in text and "\n" not in text
    monkeypatch.setenv(MEMORY_ENV, "off")
    assert available_memory() is None
    assert check_resources(cfg).peak_bytes > 0.5 * GIB  # the check is off: the estimate is returned


@pytest.mark.parametrize("value", ["-1", "0", "lots"])
def test_a_bad_override_is_refused(monkeypatch, value):
    monkeypatch.setenv(MEMORY_ENV, value)
    with pytest.raises(ConfigError, match=MEMORY_ENV):
        available_memory()


def test_the_machines_memory_is_read_without_an_override(monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    available = available_memory()
    assert available is None or available > 0
