"""sim.config.docs: docs/CONFIG.md is current and documents every key with its meaning and range."""

from pathlib import Path

from sim.config import iter_params
from sim.config.docs import render

ROOT = Path(__file__).resolve().parents[1]


def test_config_md_is_current():
    assert (ROOT / "docs" / "CONFIG.md").read_text() == render(), (
        "docs/CONFIG.md is stale: run `python -m sim.config.docs > docs/CONFIG.md`")


def test_every_key_is_documented_with_meaning_and_range():
    text = render()
    for key, f, _ in iter_params():
        assert f"| `{key}` |" in text
        assert f.metadata.get("help"), f"{key} has no meaning"
    for group in ("network", "campaign", "scenario", "launcher", "experiment"):
        assert f"| `{group}` |" in text
    assert "`ray_local`" in text and "`watts_strogatz`" in text
