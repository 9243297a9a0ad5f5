"""Draw the README figures (funnel, daily series, city map) of the default configuration.

Usage (from the repository root)::

    .venv/bin/python experiments/readme_figures.py [--out DIR]   # default outputs/readme_figures
    .venv/bin/python experiments/readme_figures.py --out docs/img  # regenerate the README's own
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim import load_config, run
from sim.outputs.plots import save_figures

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "readme_figures",
                        help="folder for the PNG files (default outputs/readme_figures)")
    args = parser.parse_args(argv)
    results = run(load_config([]))
    for path in save_figures(results, args.out):
        print(path)


if __name__ == "__main__":
    main()
