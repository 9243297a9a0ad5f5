"""Command line: ``o2o-sim`` (Hydra entry point) and ``o2o-sim list``.

Core functions:
    * :func:`main` - console script. ``o2o-sim [overrides...]`` composes
      ``configs/config.yaml``, checks the config before anything runs (a bad
      value exits with status 2 and one readable line), simulates, writes the
      results and figures into a fresh run folder and prints its path.
    * :func:`list_scenarios` - the scenario catalogue, one line per story.

This package is the only place that imports Hydra.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["list_scenarios", "main"]


def list_scenarios() -> list[tuple[str, str]]:
    """(name, first sentence of the story) for every scenario file."""
    from .compose import config_dir

    out = []
    for path in sorted((config_dir() / "scenario").glob("*.yaml")):
        words = []
        for line in path.read_text().splitlines():
            if not line.startswith("#"):
                break
            text = line.lstrip("#").strip()
            if not text.startswith("@package"):
                words.append(text)
        story = " ".join(words)
        cut = story.find(". ")
        out.append((path.stem, story[: cut + 1] if cut >= 0 else story))
    return out


def _run_job(cfg) -> None:
    import logging

    from hydra.core.hydra_config import HydraConfig

    for noisy in ("MESA", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from ..runner import run
    from .compose import to_sim_config

    choices = HydraConfig.get().runtime.choices
    sim_cfg = to_sim_config(cfg, choices.get("scenario"))
    out = Path(HydraConfig.get().runtime.output_dir)
    results = run(sim_cfg, progress=sys.stderr.isatty())
    results.save(out)
    s = results.summary
    print(f"visits={s['visits']} purchases={s['purchases']} redemptions={s['redemptions']} "
          f"revenue={s['revenue']:.0f} roi={s['roi']:.2f} mean_wait_min={s['mean_wait_min']:.1f}")
    print(out)


def main(argv: list[str] | None = None) -> int:
    """Console entry point (see module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["list"]:
        for name, story in list_scenarios():
            print(f"{name:24s} {story}")
        return 0
    from ..config import ConfigError
    from .compose import config_dir, load_config, register_configs

    overrides = [a for a in args if not a.startswith("-") and not a.startswith("hydra.")]
    try:
        load_config(overrides)
    except ConfigError as err:
        print(f"o2o-sim: {err}", file=sys.stderr)
        return 2

    import hydra

    register_configs()
    task = hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")(
        _run_job)
    sys.argv = [sys.argv[0], *args]
    task()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
