"""Regenerate the README figures (docs/img/*.png) from the default configuration.

Usage:
    python experiments/readme_figures.py
"""

from __future__ import annotations

from pathlib import Path

from sim import load_config, run
from sim.plots import save_figures


def main() -> None:
    out = Path(__file__).resolve().parents[1] / "docs" / "img"
    results = run(load_config([]))
    for path in save_figures(results, out):
        print(path)


if __name__ == "__main__":
    main()
