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
is allowed; a fault of the machine (a folder that cannot be written, a full disk)
or a sweep folder in use by another command exits with status 1 and one line;
Ctrl-C exits with status 130 (docs/OUTPUTS.md 7.6). A sweep holds its folder's lock
(:func:`sim.outputs.run_folder.locked`) from writing ``jobs.json`` to writing ``sweep.parquet``.
This package is the only place that imports Hydra.

Start-up is kept short by importing on first use: ``o2o-sim list`` loads neither Hydra nor
numpy; a bad value on the command line is refused before Hydra composes anything and
before the engine (Mesa, numba, pandas) or matplotlib is imported. :func:`entry` (``python -m
sim``) also skips the interpreter's teardown once the command has finished.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from sim.cli.interrupt import INTERRUPTED

__all__ = ["INTERRUPTED", "entry", "list_scenarios", "main"]

#: Set by :func:`entry`: this process runs one command and ends with it.
_ONE_COMMAND = False


def list_scenarios() -> list[tuple[str, str]]:
    """(name, first sentence of the story) for every scenario file, shipped then the user's."""
    from sim.config.compose import config_dir, user_scenario_dirs

    out = []
    paths = sorted((config_dir() / "scenario").glob("*.yaml"))
    for folder in user_scenario_dirs():
        paths += sorted(folder.glob("*.yaml"))
    for path in paths:
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

    from sim.cli.job import run_job
    from sim.config.compose import config_dir, register_configs

    if _ONE_COMMAND:  # what is alive now (modules, mostly) lives to the end: no more scans of it
        import gc

        gc.freeze()

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
    args = _scenario_dirs(list(sys.argv[1:] if argv is None else argv))
    if args is None:
        return 2
    if args[:1] == ["list"]:
        for name, story in list_scenarios():
            print(f"{name:24s} {story}")
        return 0
    if any(a in ("-h", "--help", "--hydra-help", "--info", "-c", "--cfg") for a in args):
        _hydra_main(args)
        return 0

    from sim.cli.sweep import plan
    from sim.config import ConfigError
    from sim.config.compose import scenario_overrides
    from sim.outputs.run_folder import RunFolderError

    try:
        args = scenario_overrides(args)  # a user scenario (a file, or a name in a user folder): found
        sweep = plan(args)
    except ConfigError as err:
        print(f"o2o-sim: {err}", file=sys.stderr)
        return 2
    except RunFolderError as err:
        print(f"o2o-sim: {err}", file=sys.stderr)
        return err.exit_status
    except OSError as err:
        return _fault(err)
    if not sweep.multirun:
        try:
            _hydra_main(args)
        except RunFolderError as err:
            print(f"o2o-sim: {err}", file=sys.stderr)
            return err.exit_status
        except OSError as err:  # e.g. the disk fills while Hydra writes the run's own files
            return _fault(err)
        return 0
    from sim.outputs.run_folder import FolderBusyError, locked

    try:
        with locked(sweep.sweep_dir, wait=False, what="sweep"):
            return _sweep(sweep, args)
    except ConfigError as err:
        print(f"o2o-sim: {err}", file=sys.stderr)
        return 2
    except FolderBusyError as err:
        print(f"o2o-sim: {err}; this command does not wait: run it again once that one has ended "
              "(it resumes)", file=sys.stderr)
        return err.exit_status
    except RunFolderError as err:
        print(f"o2o-sim: {err}", file=sys.stderr)
        return err.exit_status
    except OSError as err:
        return _fault(err, sweep.sweep_dir)


def entry() -> None:
    """Console entry point: :func:`main` on ``sys.argv``, then the process ends with its status.

    Once the command has returned (its files written and closed), the exit handlers run
    (logging's flush and close among them), standard output and error are flushed and the
    process ends with :func:`os._exit`, skipping the interpreter's teardown of every module and
    object (about half a second after a run: Mesa's agents and cells, pandas, numba, the
    model's arrays). While a thread other than daemons is still running, or when the command
    raises, the interpreter exits as usual. Before a run starts, the objects then alive (the
    modules of Hydra, the engine, Mesa and pandas) are moved out of the garbage
    collector's reach (:func:`gc.freeze`), so that its passes during the run do not scan them
    again and again.
    """
    global _ONE_COMMAND
    _ONE_COMMAND = True
    status = main()
    if any(t is not threading.main_thread() and not t.daemon and t.is_alive() for t in threading.enumerate()):
        raise SystemExit(status)
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # e.g. a reader that closed the pipe
            stream.flush()
    os._exit(status if isinstance(status, int) else 1)


def _scenario_dirs(args: list[str]) -> list[str] | None:
    """``args`` with user scenarios made findable by name (:func:`.compose.add_scenario_dirs`).

    ``--scenario-dir DIR`` options are taken out; ``scenario=<file.yaml>`` becomes
    ``scenario=<name>`` with the file's folder added. Returns None (after one line on
    standard error) for a missing folder or file, or a file named like a shipped scenario.
    """
    from sim.config import ConfigError
    from sim.config.compose import add_scenario_dirs, find_scenario

    rest, dirs, i = [], [], 0
    try:
        while i < len(args):
            a = args[i]
            if a == "--scenario-dir" and i + 1 < len(args):
                dirs.append(args[i + 1])
                i += 1
            elif a.startswith("--scenario-dir="):
                dirs.append(a.split("=", 1)[1])
            elif a.startswith("scenario=") and a.endswith((".yaml", ".yml")):  # a file: its folder joins
                name, path = find_scenario(a.split("=", 1)[1])
                dirs.append(str(path.parent))
                rest.append(f"scenario={name}")
            else:
                rest.append(a)
            i += 1
        if dirs:
            add_scenario_dirs(dirs)
    except ConfigError as err:
        print(f"o2o-sim: {err}", file=sys.stderr)
        return None
    return rest


def _fault(err: OSError, where=None) -> int:
    """A fault of the machine, reported in one line (exit status 1)."""
    from sim.outputs.run_folder import describe_fault

    print(f"o2o-sim: {describe_fault(err, where)}", file=sys.stderr)
    return 1


@contextlib.contextmanager
def _errors_raised():
    """Hydra reports an error of a sweep as a traceback and exits; have it raise the error instead."""
    saved = os.environ.get("HYDRA_FULL_ERROR")
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = saved


def _sweep(sweep, args: list[str]) -> int:
    """Run a planned sweep holding its folder's lock; returns the exit status."""
    from sim.cli.study import finish, planned_batches
    from sim.cli.sweep import Progress
    from sim.outputs.run_folder import ENVIRONMENT_ERRNOS, environment_fault, lock_holder
    from sim.studies.sweeps import INTERRUPT_MARKER, mark_interrupted, run_status

    flags = [a for a in args if a.startswith("-")]
    words = [a for a in args if not a.startswith("-") and not a.startswith("hydra.sweep.dir=")]
    sweep.write_jobs()
    for leftover in sweep.sweep_dir.glob(".*.tmp"):  # of a command killed while writing (we hold the lock)
        leftover.unlink(missing_ok=True)
    already = sweep.finished()
    what = "optimisation" if sweep.study and sweep.study[0] == "optimize" else f"{len(sweep.jobs)} runs"
    print(f"sweep: {what} in {sweep.sweep_dir}"
          + (f" ({already} already finished, resuming)" if already else ""), file=sys.stderr)
    crash = None
    INTERRUPTED.clear()
    marker = sweep.sweep_dir / INTERRUPT_MARKER
    marker.unlink(missing_ok=True)
    started = time.time()

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
        with Progress(sweep), planned_batches(sweep.planned), _errors_raised():
            _hydra_main([*flags, *[w for w in words if w not in sweep.hydra_args], *sweep.hydra_args])
    except KeyboardInterrupt:
        INTERRUPTED.set()
    except SystemExit as stop:  # Hydra reports an error and exits; after Ctrl-C that is the interrupt
        if not INTERRUPTED.is_set():
            crash = stop
    except Exception as err:  # noqa: BLE001 - a launcher failure must not lose the finished runs
        if not INTERRUPTED.is_set():
            crash = err
    finally:
        signal.signal(signal.SIGINT, previous)
    interrupted = INTERRUPTED.is_set()
    if interrupted:  # runs stopped in a worker that was ended before it could say so
        _mark_stopped(sweep, started, run_status, mark_interrupted, lock_holder)

    again = threading.Event()

    def on_second_sigint(signum, frame):
        again.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_second_sigint)
    try:
        counts, analysed = finish(sweep)
    except KeyboardInterrupt:
        print("o2o-sim: interrupted while writing the sweep's table and figure (the runs are kept); "
              "run the same command again to resume and write them", file=sys.stderr)
        return 130
    except Exception as err:
        if not again.is_set():
            raise
        print(f"o2o-sim: interrupted while writing the sweep's table and figure ({type(err).__name__}); "
              "run the same command again to resume and write them", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
        # kept until now: a launcher's worker still alive after Ctrl-C must not start a queued run
        with contextlib.suppress(OSError):
            marker.unlink(missing_ok=True)
    table = "trials.parquet" if sweep.study and sweep.study[0] == "optimize" else "sweep.parquet"
    ok = counts.get("ok", 0)
    others = ", ".join(f"{counts[k]} {k}" for k in ("interrupted", "damaged", "incomplete", "running")
                       if counts.get(k))
    print(f"sweep: {ok} ok, {counts.get('failed', 0)} failed, {counts.get('missing', 0)} not run"
          + (f", {others}" if others else "") + f" -> {sweep.sweep_dir / table}", file=sys.stderr)
    print(sweep.sweep_dir)
    if interrupted:
        print("sweep: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    fault = environment_fault(crash) if isinstance(crash, BaseException) else None
    faults = [st for st in (run_status(sweep.sweep_dir / j["key"], verify=False) for j in sweep.jobs)
              if st.get("errno") in ENVIRONMENT_ERRNOS]
    if fault is not None or faults:
        from sim.outputs.run_folder import describe_fault

        reason = (describe_fault(fault, sweep.sweep_dir) if fault is not None
                  else f"cannot write in {sweep.sweep_dir}: {os.strerror(faults[0]['errno'])}")
        n = f" ({len(faults)} runs)" if faults else ""
        print(f"o2o-sim: a fault of the machine stopped runs{n}: {reason}; fix it, then run the same "
              "command again to resume", file=sys.stderr)
        return 1
    if crash is not None:
        print(f"o2o-sim: the launcher stopped: {type(crash).__name__}: {_one_line(crash)}; "
              "run the same command again to resume", file=sys.stderr)
        return 1
    return 1 if ok < sum(counts.values()) or not analysed else 0


def _one_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else ""


def _mark_stopped(sweep, started: float, run_status, mark_interrupted, lock_holder) -> None:
    """Mark ``interrupted`` the runs this sweep started and Ctrl-C ended before they could record it."""
    from datetime import datetime

    for job in sweep.jobs:
        folder = sweep.sweep_dir / job["key"]
        record = run_status(folder, verify=False)
        if record.get("status") != "running":
            continue
        try:
            began = datetime.fromisoformat(record.get("started", "")).timestamp()
        except (TypeError, ValueError):
            continue
        if began < started - 1:
            continue  # left by an earlier command: reported incomplete
        deadline = time.time() + 5  # a worker being stopped may still hold the run's lock for a moment
        while lock_holder(folder) is not None and time.time() < deadline:
            time.sleep(0.1)
        if lock_holder(folder) is None and run_status(folder, verify=False).get("status") == "running":
            with contextlib.suppress(OSError):
                mark_interrupted(folder)


if __name__ == "__main__":
    raise SystemExit(main())
