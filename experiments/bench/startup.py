"""Start-up: the wall time of short commands, each a fresh process, from its start to its end.

Core objects:
    * :data:`COMMANDS` - what is timed: ``python -c "import sim"``; ``o2o-sim`` with a bad value
      (it must exit 2 with its one-line error); ``o2o-sim list``; the default ``make run``
      (``python -m sim``: compose, check, simulate, write the results, figures and report);
      ``python -c pass`` (the interpreter alone, for reference).
    * :func:`time_command` - one command run ``repeats`` times after one untimed run (which
      leaves Python's bytecode and numba's kernels cached), checked, median and range.
    * :func:`measure` - every command; :func:`table` - the Markdown rows with their targets.
    * :func:`phases` - where ``make run``'s time goes: the command run in a fresh process with
      a timer around its imports (each group loaded in turn before the command starts) and
      around the functions of each phase, and the time from the command's return to the
      process's end; through :func:`sim.cli.entry` as ``python -m sim`` runs it, or
      (``--teardown``) through :func:`sim.cli.main` alone, without ``entry``'s frozen garbage
      collection and with the interpreter's usual teardown.

Each run is timed by this process around ``subprocess.run`` (process creation included).
``make run``'s command runs in a temporary working directory, so its results folders do
not pile up in the repository. ``make bench`` (``experiments/bench/run.py``) writes the table
to docs/PERFORMANCE.md.

Usage::

    python experiments/bench/startup.py [--repeats 7] [--quick]
    python experiments/bench/startup.py --phases [--teardown] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
BAD_VALUE = "population.size=-5"


@dataclass(frozen=True)
class Command:
    """A timed command: its label, its arguments, the exit status it must end with, its target."""

    label: str
    shown: str
    args: tuple[str, ...]
    status: int = 0
    target_s: float | None = None
    #: text its standard error must hold (a bad value's message)
    stderr_holds: str = ""


COMMANDS = (
    Command("interpreter alone", 'python -c "pass"', (sys.executable, "-c", "pass")),
    Command("import sim", 'python -c "import sim"', (sys.executable, "-c", "import sim"), target_s=0.3),
    Command("o2o-sim with a bad value", f"o2o-sim {BAD_VALUE}", (str(BIN / "o2o-sim"), BAD_VALUE), status=2,
            target_s=0.5, stderr_holds="o2o-sim: invalid config: population.size=-5; allowed:"),
    Command("o2o-sim list", "o2o-sim list", (str(BIN / "o2o-sim"), "list")),
    Command("make run (default scenario, end to end)", "python -m sim", (sys.executable, "-m", "sim"),
            target_s=1.5),
)


def time_command(cmd: Command, repeats: int, cwd: Path) -> dict:
    """Run ``cmd`` once untimed, then ``repeats`` times timed; each run must end as ``cmd`` expects.

    Args:
        cmd: the command.
        repeats: timed runs.
        cwd: the working directory of every run.

    Returns:
        ``{"label", "command", "median_s", "min_s", "max_s", "repeats", "target_s"}``.

    Raises:
        RuntimeError: a run ended with another exit status, or without the expected message.
    """
    walls = []
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd.args, cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != cmd.status or cmd.stderr_holds not in proc.stderr:
            raise RuntimeError(f"{cmd.shown}: exit status {proc.returncode} (expected {cmd.status}); "
                               f"stderr: {proc.stderr.strip()[-2000:]}")
        if i:
            walls.append(wall)
    return {"label": cmd.label, "command": cmd.shown, "median_s": statistics.median(walls),
            "min_s": min(walls), "max_s": max(walls), "repeats": repeats, "target_s": cmd.target_s}


def measure(repeats: int) -> list[dict]:
    """:func:`time_command` of every command of :data:`COMMANDS`, in a temporary working directory."""
    with tempfile.TemporaryDirectory(prefix="o2o-startup-") as tmp:
        return [time_command(cmd, repeats, Path(tmp)) for cmd in COMMANDS]


def table(results: list[dict]) -> list[str]:
    """Markdown rows: command, median, range, target and whether the median meets it."""
    lines = ["| command | median s | min-max s | target | met |", "|---|---|---|---|---|"]
    for r in results:
        target = f"<= {r['target_s']:g} s" if r["target_s"] is not None else ""
        met = "" if r["target_s"] is None else ("yes" if r["median_s"] <= r["target_s"] else "no")
        lines.append(f"| {r['label']}: `{r['command']}` | {r['median_s']:.2f} | "
                     f"{r['min_s']:.2f}-{r['max_s']:.2f} | {target} | {met} |")
    return lines


PHASES_CHILD = r"""
import functools, importlib, json, sys, time
marks, t_start = {}, time.perf_counter()
def add(label, seconds):
    marks[label] = marks.get(label, 0.0) + seconds
def load(label, *modules):
    t = time.perf_counter()
    for m in modules:
        importlib.import_module(m)
    add(label, time.perf_counter() - t)
load("import sim.cli and sim.config.compose", "sim.cli", "sim.config.compose")
load("import Hydra (sim.cli.sweep)", "sim.cli.sweep")
load("import Mesa (with numpy, pandas, scipy, networkx)", "mesa")
load("import numba", "numba")
load("import the engine (sim.cli.job: model, kernels, levers)", "sim.cli.job")
load("import matplotlib.pyplot", "matplotlib.pyplot")
load("import the outputs (results, plots, report)", "sim.outputs.results", "sim.outputs.plots",
     "sim.outputs.html_report")
def wrap(module, path, label, when=None):
    owner = importlib.import_module(module)
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part, None)
    fn = getattr(owner, name, None)
    if fn is None:
        return
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        count = when is None or when(*args)
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            if count:
                add(label, time.perf_counter() - t)
    setattr(owner, name, timed)
wrap("sim.cli.sweep", "plan", "plan: compose and check the config")
wrap("sim.cli", "_hydra_main", "Hydra's run (compose, job set-up) and the job")
wrap("sim.cli.job", "run_job", "the job")
wrap("sim.engine.model", "O2OModel.__init__", "model set-up, warm-up included")
wrap("sim.engine.model", "O2OModel.step", "recorded days", when=lambda model: model.day >= 0)
wrap("sim.outputs.results", "Results.from_model", "results from the model")
wrap("sim.outputs.results", "Results.save", "save")
wrap("sim.outputs.plots", "save_figures", "figures")
wrap("sim.outputs.html_report", "run_page", "report page")
import sim.cli
command = sim.cli.main
def main(argv=None):
    t = time.perf_counter()
    status = command([] if argv is None else argv)
    add("the command (sim.cli.main)", time.perf_counter() - t)
    marks["in process, to the command's return"] = time.perf_counter() - t_start
    marks["returned at"] = time.time()
    print(json.dumps(marks), file=sys.stderr, flush=True)
    return status
sim.cli.main = main
sys.argv = ["sim"]
if {entry}:
    sim.cli.entry()
else:
    main()
"""
#: The phases that add up to the whole, in the order they happen (the imports moved to the start).
PHASE_ORDER = (
    "process start to the first line of the script", "import sim.cli and sim.config.compose",
    "import Hydra (sim.cli.sweep)", "import Mesa (with numpy, pandas, scipy, networkx)", "import numba",
    "import the engine (sim.cli.job: model, kernels, levers)", "import matplotlib.pyplot",
    "import the outputs (results, plots, report)", "plan: compose and check the config",
    "Hydra's run less the job", "model set-up, warm-up included", "recorded days", "results from the model",
    "figures", "report page", "save less figures and report", "the job's rest (story, status, printing)",
    "the command's return to the process's end")
#: Derived rows: a phase less the phases it contains.
PHASE_REST = {
    "Hydra's run less the job": ("Hydra's run (compose, job set-up) and the job", ["the job"]),
    "the job's rest (story, status, printing)": ("the job", [
        "model set-up, warm-up included", "recorded days", "results from the model", "save"]),
    "save less figures and report": ("save", ["figures", "report page"]),
}


def phases(repeats: int, teardown: bool = False) -> list[tuple[str, float, float, float]]:
    """Where ``python -m sim``'s time goes: ``(phase, median s, min s, max s)``, the total last.

    Each repeat is a fresh process (after one untimed run) in a temporary folder. ``teardown``:
    the command runs through :func:`sim.cli.main` alone, not :func:`sim.cli.entry` (no frozen
    garbage collection, the interpreter's usual teardown).
    """
    code = PHASES_CHILD.replace("{entry}", "False" if teardown else "True")
    runs = []
    with tempfile.TemporaryDirectory(prefix="o2o-phases-") as tmp:
        for i in range(repeats + 1):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", code], cwd=tmp, capture_output=True, text=True)
            wall, end = time.perf_counter() - t0, time.time()
            if proc.returncode != 0:
                raise RuntimeError(f"phases: exit status {proc.returncode}: {proc.stderr.strip()[-2000:]}")
            marks = json.loads(next(ln for ln in proc.stderr.splitlines()[::-1] if ln.startswith("{")))
            returned = marks.pop("returned at")
            marks["process start to the first line of the script"] = wall - marks[
                "in process, to the command's return"] - (end - returned)
            marks["the command's return to the process's end"] = end - returned
            for label, (whole, parts) in PHASE_REST.items():
                if whole in marks:
                    marks[label] = marks[whole] - sum(marks.get(p, 0.0) for p in parts)
            marks["total (process start to end)"] = wall
            if i:
                runs.append(marks)
    parts = [k for k in PHASE_ORDER if k in runs[0]]
    covered = sum(statistics.median(r[k] for r in runs) for k in parts)
    totals = [k for k in runs[0] if k not in parts]
    rows = [(k, statistics.median(r[k] for r in runs), min(r[k] for r in runs), max(r[k] for r in runs))
            for k in parts + totals]
    return rows[:len(parts)] + [("(sum of the phases above)", covered, covered, covered)] + rows[len(parts):]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=None, help="timed runs of each command (default 7)")
    ap.add_argument("--quick", action="store_true", help="2 timed runs: checks the harness")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    ap.add_argument("--phases", action="store_true", help="where make run's time goes (see phases())")
    ap.add_argument("--teardown", action="store_true", help="with --phases: sim.cli.main alone, no entry()")
    a = ap.parse_args(argv)
    repeats = a.repeats or (2 if a.quick else 7)
    given = sys.argv[1:] if argv is None else argv
    if a.phases:
        rows = phases(repeats, a.teardown)
        print(f"`{' '.join(['python experiments/bench/startup.py', *given])}`: `python -m sim` in a fresh "
              f"process, median of {repeats} after one untimed run")
        print()
        print("| phase | median s | min-max s |\n|---|---|---|")
        for label, med, lo, hi in rows:
            print(f"| {label} | {med:.3f} | {lo:.3f}-{hi:.3f} |")
        return 0
    results = measure(repeats)
    print(f"`{' '.join(['python experiments/bench/startup.py', *given])}`: fresh processes, "
          f"median of {repeats} after one untimed run")
    print()
    print("\n".join(table(results)))
    if a.json:
        a.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
