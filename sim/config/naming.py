"""How a run of a sweep is named: its run key, the name of its folder.

Core function: :func:`run_key` - a stable, unique folder name from the run's overrides (Hydra's
``override_dirname``); ``configs/config.yaml`` names each sweep run's folder with it, through the
``o2o_run_key`` resolver (:func:`sim.config.compose.register_configs`), and the sweep's plan
(:mod:`sim.cli.sweep`) expects the same names. No Hydra here.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["run_key"]


def run_key(override_dirname: str) -> str:
    """Folder name of a run: a readable slug of its overrides plus a short hash (stable, unique).

    Each override is shortened to the last part of its key (``campaign.push_coupon.discount=0.2``
    reads ``discount=0.2``) and numbers to 4 significant digits, so that runs of a long override
    list stay distinguishable within the slug's 80 characters; the hash of the full overrides
    keeps every folder unique.

    Args:
        override_dirname: the run's overrides as ``key=value``, sorted, joined by ``,``.

    Returns:
        ``<slug>-<first 8 hex digits of the SHA-1 of override_dirname>`` (``defaults-...`` when empty).
    """
    digest = hashlib.sha1(override_dirname.encode("utf-8")).hexdigest()[:8]
    parts = []
    for item in override_dirname.split(","):
        key, eq, value = item.partition("=")
        short = key.rsplit(".", 1)[-1]
        try:
            number = float(value)
            value = f"{number:.4g}" if not value.lstrip("-").isdigit() else value
        except ValueError:
            pass
        parts.append(f"{short}{eq}{value}")
    slug = re.sub(r"[^A-Za-z0-9_.=,+-]", "_", ",".join(parts))[:80] or "defaults"
    return f"{slug}-{digest}"
