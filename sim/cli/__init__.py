"""Command line: ``o2o-sim`` (Hydra entry point), ``o2o-sim list``.

Core function: :func:`main`.

* ``o2o-sim [overrides]`` - one run of ``configs/config.yaml`` in a fresh
  folder under ``outputs/``; prints the folder.
* ``o2o-sim -m key=a,b 'seed=range(10)'`` or ``o2o-sim +experiment=NAME`` -
  a sweep through the configured launcher (joblib with 2 workers by default;
  ``launcher=submitit_local|slurm|ray_local|ray_cluster``); every run's config
  is checked first; finished runs are skipped on a re-run; at the end (also
  after Ctrl-C) ``sweep.parquet`` and ``sweep.png`` are written.
* ``o2o-sim +experiment=NAME`` where the file holds a ``sensitivity:`` or
  ``optimize:`` block - a study (:mod:`sim.cli.study`, docs/RESEARCH.md): its runs
  go through the same launchers, folders and resume, and its report is written at the end.
* ``o2o-sim list`` - the scenario catalogue, one line per story.

Bad input exits with status 2 and one line naming the key, the value and what
is allowed. This package is the only place that imports Hydra.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

__all__ = ["INTERRUPTED", "list_scenarios", "main"]

#: Set when Ctrl-C reached a sweep: a run failing from then on was interrupted, not broken.
INTERRUPTED = threading.Event()


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


def _hydra_main(args: list[str]) -> None:
    import hydra

    from .compose import config_dir, register_configs
    from .job import run_job

    register_configs()
    task = hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")(run_job)
    saved = sys.argv
    sys.argv = [saved[0], *args]
    try:
        task()
    finally:
        sys.argv = saved


def main(argv: list[str] | None = None) -> int:
    """Console entry point (see module docstring). Returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["list"]:
        for name, story in list_scenarios():
            print(f"{name:24s} {story}")
        return 0
    if any(a in ("-h", "--help", "--hydra-help", "--info", "-c", "--cfg") for a in args):
        _hydra_main(args)
        return 0

    from ..config import ConfigError
    from .sweep import Progress, plan

    try:
        sweep = plan(args)
    except ConfigError as err:
        print(f"o2o-sim: {err}", file=sys.stderr)
        return 2
    if not sweep.multirun:
        _hydra_main(args)
        return 0

    from ..sweeps import INTERRUPT_MARKER
    from .study import finish, planned_batches

    flags = [a for a in args if a.startswith("-")]
    words = [a for a in args if not a.startswith("-") and not a.startswith("hydra.sweep.dir=")]
    sweep.write_jobs()
    already = sweep.finished()
    what = "optimisation" if sweep.study and sweep.study[0] == "optimize" else f"{len(sweep.jobs)} runs"
    print(f"sweep: {what} in {sweep.sweep_dir}"
          + (f" ({already} already finished, resuming)" if already else ""), file=sys.stderr)
    crash = None
    INTERRUPTED.clear()
    marker = sweep.sweep_dir / INTERRUPT_MARKER
    marker.unlink(missing_ok=True)

    def on_sigint(signum, frame):  # Ctrl-C reaches the workers too; remember it was ours
        INTERRUPTED.set()
        # The KeyboardInterrupt below can be lost (raised inside a weakref callback during garbage
        # collection, Python prints "Exception ignored" and goes on); the marker stops every run
        # not yet started, whatever process or node it is launched on.
        with contextlib.suppress(OSError):
            marker.touch()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with Progress(sweep), planned_batches(sweep.planned):
            _hydra_main([*flags, *[w for w in words if w not in sweep.hydra_args], *sweep.hydra_args])
    except KeyboardInterrupt:
        INTERRUPTED.set()
    except SystemExit as stop:  # Hydra reports an error and exits; after Ctrl-C that is the interrupt
        if not INTERRUPTED.is_set():
            crash = stop
    except Exception as err:  # noqa: BLE001 - a launcher failure must not lose the finished runs
        crash = err
    finally:
        signal.signal(signal.SIGINT, previous)
    marker.unlink(missing_ok=True)
    interrupted = INTERRUPTED.is_set()
    ok, failed, missing, analysed = finish(sweep)
    table = "trials.parquet" if sweep.study and sweep.study[0] == "optimize" else "sweep.parquet"
    print(f"sweep: {ok} ok, {failed} failed, {missing} not run -> {sweep.sweep_dir / table}",
          file=sys.stderr)
    print(sweep.sweep_dir)
    if interrupted:
        print("sweep: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    if crash is not None:
        print(f"o2o-sim: the launcher stopped: {type(crash).__name__}: {crash}; "
              "run the same command again to resume", file=sys.stderr)
        return 1
    return 1 if failed or missing or not analysed else 0


if __name__ == "__main__":
    raise SystemExit(main())
