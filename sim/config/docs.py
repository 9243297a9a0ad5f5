"""docs/CONFIG.md, generated from the config schemas so it never drifts.

Core function: :func:`render` - Markdown listing every config group and its
options (from ``configs/``) and every key with its type, default, unit,
allowed range and meaning (from :mod:`sim.config`). Regenerate with
``python -m sim.config.docs > docs/CONFIG.md``; a test checks the file is current.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from sim.config import SimConfig, allowed, iter_params
from sim.config.schema import list_item, optional_of

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


def _type_name(tp) -> str:
    """``float``, ``float or null``, ``list of float``, ``list of StoreOverride``."""
    item, inner = list_item(tp), optional_of(tp)
    if item is not None:
        return f"list of {item.__name__}"
    if inner is not None:
        return f"{inner.__name__} or null"
    return tp.__name__


def _default(f: dataclasses.Field) -> str:
    value = f.default
    if value is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
        if value and dataclasses.is_dataclass(value[0]):
            return f"{len(value)} records (below)"
        return "[" + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) + "]"
    if value is None:
        return "null"
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
        out.append(f"| `{key}` | {_type_name(tp)} | {_default(f)} | {unit} | {allowed(f, tp)} | "
                   f"{meta.get('help', '')} |")
        item = list_item(tp)
        if dataclasses.is_dataclass(item):  # a list of records: each record's keys
            hints = typing.get_type_hints(item)
            for g in dataclasses.fields(item):
                gm = g.metadata or {}
                out.append(f"| `{key}[].{g.name}` | {_type_name(hints[g.name])} | {_default(g)} | "
                           f"{gm.get('unit') or '-'} | {allowed(g, hints[g.name])} | {gm.get('help', '')} |")
    out += ["", "Cross-field rules: `stores.retail_share` <= 1 - `stores.restaurant_share`;",
            "`stores.servers_max` >= `stores.servers_min`; `stores.close_hour` > `stores.open_hour`;",
            "`behavior.discovery_slots` < `behavior.consideration_set`; `network.mean_degree` <",
            "`population.size`; `campaign.push_coupon.radius_km` <= the city's diagonal; with",
            "`campaign.push_coupon.enabled`, `population.app_reach` and `population.push_opt_in` > 0;",
            "`population.segments`: unique names (not `all` or a category), shares summing to 1;",
            "`stores.overrides`: each id an existing store's, given once, hours closing after opening;",
            "`calendar.payday_scope` and `calendar.events[].scope`: `all`, a category or a segment's name;",
            "`calendar.events[].last_day` >= its `day`.",
            "",
            "Lists are replaced whole:",
            "`o2o-sim 'stores.overrides=[{id: 3, rating: 4.5, review_count: 200}]'`",
            "(one item: `population.segments.0.share=0.3`). The default segments are listed in",
            "docs/ODD.md section 8.3a.",
            ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
