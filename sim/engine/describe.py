"""The day plan as documentation: the plan of a city with every lever enabled.

Core functions: :func:`every_lever_plan` and :func:`main` (``python -m sim.engine.describe``
prints the plan; docs/ODD.md and docs/ARCHITECTURE.md carry its output, checked by the tests).
"""

from __future__ import annotations

from sim.engine.plan import DayPlan

__all__ = ["every_lever_plan", "main"]


def every_lever_plan(overrides: list[str] | None = None) -> DayPlan:
    """The campaign plan of a small city with every lever of the registry enabled (docs, tests).

    Args:
        overrides: further Hydra overrides (e.g. ``["stores.capacity_limited=false"]``).
    """
    from sim import load_config
    from sim.engine.model import O2OModel
    from sim.levers import LEVERS

    every = [f"campaign.{name}.enabled=true" for name in LEVERS]
    cfg = load_config(["population.size=200", "stores.count=6", "days=1", "warmup_days=0", *every,
                       *(overrides or [])])
    return O2OModel(cfg).campaign_plan


def main(argv: list[str] | None = None) -> None:
    """``python -m sim.engine.describe [override ...]``: print the day plan with every lever enabled."""
    import sys

    print(every_lever_plan(list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()
