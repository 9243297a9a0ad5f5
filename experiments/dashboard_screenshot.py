"""Screenshot of the dashboard for the README: serve it, step it in chromium, save docs/img/dashboard.png.

Uses the browser test's own code (:mod:`sim.viz.browser`): Debian's chromium
(``make browser``) driven by playwright, the server on a free loopback port.

    .venv/bin/python experiments/dashboard_screenshot.py [--steps 40] [--out docs/img/dashboard.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from sim.outputs.files import atomic_write
from sim.viz.browser import free_port, serving, visit

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=40, help="days to step before the screenshot (>= 1)")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "img" / "dashboard.png")
    args = p.parse_args(argv)
    if args.steps < 1:
        print(f"dashboard_screenshot: invalid --steps={args.steps}; allowed: an integer >= 1",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, serving(free_port()) as url:
        seen = visit(url, Path(tmp), steps=args.steps, viewport=(1800, 1050))
        problems = seen.foreign_requests() + seen.failed + seen.console_errors + seen.page_errors
        if problems:
            print(f"dashboard_screenshot: the page had problems: {problems}", file=sys.stderr)
            return 1
        shot = Path(tmp) / "dashboard.png"
        atomic_write(args.out, lambda path: Path(path).write_bytes(shot.read_bytes()))
    print(f"{args.out}  ({seen.captions['map']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
