"""Running the model: ``run(config) -> Results``.

Core function: :func:`run`. No Hydra here; configs arrive as dataclasses
(build one with :func:`sim.load_config` or :func:`sim.config.from_dict`).
"""

from __future__ import annotations

import time

from tqdm.auto import tqdm

from sim.config import SimConfig
from sim.engine.model import O2OModel
from sim.outputs.results import Results

__all__ = ["run"]


def run(cfg: SimConfig, progress: bool = False) -> Results:
    """Simulate ``cfg.days`` days and collect the results.

    Args:
        cfg: the run's config (validated first thing by :class:`~sim.engine.model.O2OModel`, before
            anything runs).
        progress: show a progress bar over days.

    Returns:
        The run's :class:`~sim.outputs.results.Results`.

    Raises:
        TypeError: ``cfg`` is not a :class:`~sim.config.SimConfig`.
        ConfigError: a value is invalid or the run cannot fit in memory (one line naming the key).
    """
    if not isinstance(cfg, SimConfig):
        raise TypeError(f"run(cfg): cfg must be a SimConfig (from sim.load_config or sim.config.from_dict), "
                        f"not {type(cfg).__name__}")
    start = time.perf_counter()
    model = O2OModel(cfg)
    for _ in tqdm(range(cfg.days), disable=not progress, desc="days", leave=False):
        model.step()
    results = Results.from_model(model)
    results.wall_seconds = time.perf_counter() - start
    return results
