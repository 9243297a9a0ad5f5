"""Shared by the worked examples: run a study file through the command line, publish its figure.

Core functions: :func:`run_study` (``o2o-sim +experiment=NAME ...`` in the repository root, returning
the sweep folder), :func:`publish` (copy a file into the output folder atomically), :func:`write_doc`
and :func:`save_figure` (write a Markdown page or a figure there atomically), :func:`markdown_table`.
The output folder is ``--out DIR`` on the example's command line, else ``outputs/research``;
``--out docs/research`` regenerates the documented pages.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

def _out_dir() -> Path:
    """The folder the example writes into.

    ``--out DIR`` (taken off the command line), else ``outputs/research``; ``--out docs/research``
    regenerates the documented pages.
    """
    argv = sys.argv
    for i, arg in enumerate(argv[1:], start=1):
        if arg == "--out" and i + 1 < len(argv):
            value = argv[i + 1]
            del argv[i:i + 2]
            return Path(value).resolve()
        if arg.startswith("--out="):
            del argv[i]
            return Path(arg.split("=", 1)[1]).resolve()
    return REPO / "outputs" / "research"


DOCS = _out_dir()


def run_study(name: str, extra: list[str]) -> Path:
    """Run ``o2o-sim +experiment=<name> <extra>`` from the repository root; return the sweep folder."""
    from sim.cli import main
    from sim.cli.sweep import plan

    os.chdir(REPO)
    args = [f"+experiment={name}", *extra]
    status = main(args)
    if status != 0:
        raise SystemExit(f"{name}: o2o-sim exited with status {status}")
    return plan(args).sweep_dir


def publish(src: Path, name: str) -> Path:
    """Copy ``src`` to ``docs/research/<name>`` atomically."""
    from sim.outputs.files import atomic_write

    dest = DOCS / name
    atomic_write(dest, lambda p: shutil.copyfile(src, p))
    return dest


def write_doc(name: str, text: str) -> Path:
    """Write ``docs/research/<name>`` atomically and print it."""
    from sim.outputs.files import atomic_write

    dest = DOCS / name
    atomic_write(dest, lambda p: Path(p).write_text(text))
    print(text)
    return dest


def save_figure(fig, name: str) -> Path:
    """Save a matplotlib figure as ``docs/research/<name>`` (PNG, atomically) and close it."""
    import matplotlib.pyplot as plt

    from sim.outputs.files import atomic_write

    dest = DOCS / name
    atomic_write(dest, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)
    return dest


def markdown_table(frame, floatfmt: str = ".3f") -> str:
    """A small pandas frame as a Markdown table (no extra dependency)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        cells = [format(v, floatfmt) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
