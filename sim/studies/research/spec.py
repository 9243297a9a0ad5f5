"""Parameter ranges of a study, checked against the config schema.

Core objects:
    * :func:`numeric_keys` - every numeric config key (dotted) with its type.
    * :func:`parse_ranges` - ``{name: [lo, hi]}`` checked: a known numeric key, two numbers,
      ``lo < hi``, both ends inside the key's allowed range.
    * :func:`format_value` - a parameter value as a stable override string.

Errors are :class:`~sim.config.ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sim.config import ConfigError, SimConfig, allowed, iter_params

__all__ = ["numeric_keys", "parse_ranges", "format_value", "require", "require_block"]


def numeric_keys() -> dict[str, tuple[dataclasses.Field, type]]:
    """``{dotted key: (field, int or float)}`` for every numeric field of :class:`SimConfig`."""
    return {k: (f, tp) for k, f, tp in iter_params(SimConfig) if tp in (int, float) and k != "seed"}


def _inside(f: dataclasses.Field, value: float) -> bool:
    m = f.metadata
    ge, gt, le, lt = (m.get(k) for k in ("ge", "gt", "le", "lt"))
    return not ((ge is not None and value < ge) or (gt is not None and value <= gt)
                or (le is not None and value > le) or (lt is not None and value >= lt))


def require(ok: bool, key: str, value: Any, allowed_text: str) -> None:
    """Raise :class:`ConfigError` unless ``ok``."""
    if not ok:
        raise ConfigError(key, value, allowed_text)


def require_block(block: Any, name: str, keys: set[str] | frozenset[str], what: str) -> None:
    """Check that a study block is a mapping whose keys are all in ``keys``.

    Args:
        block: the block as read from the file.
        name: its name (``sensitivity``, ``optimize``, ``calibration``).
        keys: the keys it may have.
        what: what the mapping holds, for the message (e.g. "method, parameters and kpis").

    Raises:
        ConfigError: naming the block or its first unknown key.
    """
    require(isinstance(block, dict), name, block, f"a mapping with {what}")
    for key in block:
        require(key in keys, f"{name}.{key}", block[key], f"one of the keys {sorted(keys)}")


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def parse_ranges(ranges: Any, prefix: str) -> dict[str, tuple[float, float, type]]:
    """Check a ``{config key: [lo, hi]}`` mapping.

    Args:
        ranges: the mapping read from a study file.
        prefix: where it sits in the file, for error messages (e.g. ``sensitivity.parameters``).

    Returns:
        ``{key: (lo, hi, int or float)}`` in file order.

    Raises:
        ConfigError: unknown key, not two numbers, ``lo >= hi``, or an end outside the key's range.
    """
    require(isinstance(ranges, dict) and len(ranges) > 0, prefix, ranges,
            "a mapping {config key: [low, high]} with at least one entry")
    known = numeric_keys()
    out: dict[str, tuple[float, float, type]] = {}
    for name, bounds in ranges.items():
        key = f"{prefix}.{name}"
        require(name in known, key, bounds, "a numeric config key (see docs/CONFIG.md), e.g. "
                "campaign.push_coupon.discount or behavior.outside_utility")
        require(isinstance(bounds, list | tuple) and len(bounds) == 2 and all(map(_is_number, bounds)),
                key, bounds, "a list of two numbers [low, high]")
        lo, hi = float(bounds[0]), float(bounds[1])
        require(lo < hi, key, list(bounds), "[low, high] with low < high")
        f, tp = known[name]
        for end in (lo, hi):
            require(_inside(f, end), key, list(bounds), f"both ends within the key's range: {allowed(f, tp)}")
        out[name] = (lo, hi, tp)
    return out


def format_value(value: float, tp: type) -> str:
    """A parameter value as an override string: integers rounded, floats to 6 significant digits."""
    if tp is int:
        return str(int(round(float(value))))
    text = f"{float(value):.6g}"
    return text if any(c in text for c in ".en") else text + ".0"
