"""docs/CONFIG.md, generated from the config schemas so it never drifts.

Core function: :func:`render` - Markdown listing every config group and its
options (from ``configs/``) and every key with its type, default, unit,
allowed range and meaning (from :mod:`sim.config`). Regenerate with
``python -m sim.config.docs > docs/CONFIG.md``; a test checks the file is current.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sim.config import SimConfig, allowed, iter_params

__all__ = ["render"]

GROUPS = {
    "city": "the grid and travel",
    "population": "consumer traits",
    "network": "the social network",
    "stores": "the merchants",
    "behavior": "decision, satisfaction, review and share rules",
    "campaign": "the strategy levers",
    "scenario": "business stories (files in `scenarios/`)",
    "launcher": "where sweep runs execute (`docs/CLUSTER.md`)",
    "experiment": "sweeps defined in a file, started with `+experiment=NAME`",
}


def _story(path: Path) -> str:
    words = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text and not text.startswith("@package"):
            words.append(text)
    story = " ".join(words)
    cut = story.find(". ")
    return story[: cut + 1] if cut >= 0 else story


def _default(f: dataclasses.Field) -> str:
    value = f.default
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render(config_dir: Path | None = None) -> str:
    """The Markdown text of docs/CONFIG.md."""
    config_dir = config_dir or Path(__file__).resolve().parents[2] / "configs"
    out = [
        "# Configuration",
        "",
        "Generated from `sim/config/schema.py` and `configs/` by "
        "`python -m sim.config.docs > docs/CONFIG.md`;",
        "do not edit by hand. Every key can be overridden on the command line",
        "(`o2o-sim population.size=20000`) or in `sim.load_config([...])`. A value outside its",
        "allowed range stops the run before it starts, naming the key, the value and the range.",
        "",
        "## Config groups",
        "",
        "Choose an option with `GROUP=OPTION` (`+experiment=NAME` for experiments).",
        "",
        "| group | what | options |",
        "|---|---|---|",
    ]
    for group, what in GROUPS.items():
        folder = config_dir / group
        files = sorted(folder.glob("*.yaml")) if folder.exists() else []
        options = "<br>".join(f"`{p.stem}`: {_story(p)}" if _story(p) else f"`{p.stem}`" for p in files)
        out.append(f"| `{group}` | {what} | {options} |")
    out += ["", "## Keys", ""]
    section = None
    for key, f, tp in iter_params(SimConfig):
        head = key.rsplit(".", 1)[0] if "." in key else "(top level)"
        if head != section:
            section = head
            out += ["", f"### `{head}`" if "." in key else "### Top level", "",
                    "| key | type | default | unit | allowed | meaning |", "|---|---|---|---|---|---|"]
        meta = f.metadata or {}
        unit = meta.get("unit") or "-"
        out.append(f"| `{key}` | {tp.__name__} | {_default(f)} | {unit} | {allowed(f, tp)} | "
                   f"{meta.get('help', '')} |")
    out += ["", "Cross-field rules: `stores.retail_share` <= 1 - `stores.restaurant_share`;",
            "`stores.servers_max` >= `stores.servers_min`; `stores.close_hour` > `stores.open_hour`;",
            "`behavior.discovery_slots` < `behavior.consideration_set`; `network.mean_degree` <",
            "`population.size`; `campaign.push_coupon.radius_km` <= the city's diagonal; with",
            "`campaign.push_coupon.enabled`, `population.app_reach` and `population.push_opt_in` > 0.",
            ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
