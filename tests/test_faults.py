"""Faults: kills at every write step, damaged files, concurrent commands, read-only and full disks,
bad folders and Ctrl-C. Nothing finished is lost, nothing damaged or unfinished is reported ok, and
every fault is one line on standard error (exit status 1 for the machine, 2 for bad input, 130 for
Ctrl-C), never a traceback."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_cfg

import sim.cli.job
from sim.cli import main
from sim.engine.runner import run
from sim.outputs.results import Results
from sim.outputs.run_folder import LOCK_FILE, lock_holder, verify
from sim.studies.sweeps import collect

TINY = ["population.size=300", "stores.count=5", "days=3", "warmup_days=0"]
SERIAL = ["launcher=serial", *TINY]


def _err_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith("o2o-sim:")]


def _one_line_fault(err: str) -> str:
    """The single ``o2o-sim:`` line of a fault; no traceback."""
    assert "Traceback" not in err, err[-3000:]
    lines = _err_lines(err)
    assert len(lines) == 1, err[-3000:]
    return lines[0]


def _cli(args, cwd, timeout=600, env=None):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != LOCK_FILE}


def _no_tmp(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------- kill -9 at every write step

SAVE_STEPS = 13  # running record, 11 data files, ok record (figures=False)


def _killed_save(results: Results, folder: Path, step: int, when: str, overwrite: bool) -> int:
    """Save in a forked child that dies like ``kill -9`` (no cleanup) at write step ``step``.

    Every file reaches its name through ``os.replace`` (atomic_write): the child exits just
    before (its temporary file written, not yet renamed) or just after the ``step``-th rename.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork of a process with threads
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            real, count = os.replace, [0]

            def replace(src, dst, *args, **kwargs):
                count[0] += 1
                if count[0] == step and when == "before":
                    os._exit(137)
                real(src, dst, *args, **kwargs)
                if count[0] == step and when == "after":
                    os._exit(137)

            os.replace = replace
            results.save(folder, figures=False, overwrite=overwrite)
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.fixture(scope="module")
def two_runs():
    return run(make_cfg(seed=1, days=3)), run(make_cfg(seed=2, days=3))


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", range(1, SAVE_STEPS + 1))
def test_a_kill_at_any_write_step_never_leaves_an_ok_run(step, when, two_runs, tmp_path):
    old, new = two_runs
    fresh, used = tmp_path / "fresh", tmp_path / "used"
    old.save(used, figures=False)
    for folder, overwrite in ((fresh, False), (used, True)):
        assert _killed_save(new, folder, step, when, overwrite) == 137
        assert lock_holder(folder) is None  # the OS released the dead process's lock
        state = verify(folder)
        finished = step == SAVE_STEPS and when == "after"
        untouched = overwrite and step == 1 and when == "before"  # killed before anything changed
        if finished or untouched:
            assert state["status"] == "ok", state
            seed = (new if finished else old).summary["seed"]
            assert Results.load(folder).summary["seed"] == seed  # ok means whole, and one run only
        else:
            assert state["status"] in ("incomplete", "missing"), state
            with pytest.raises(Exception):  # noqa: B017 - whatever it is, never a silent half-run
                Results.load(folder)
        # nothing lost: the run is made again in the same folder and is whole
        new.save(folder, figures=False, overwrite=True)
        assert verify(folder)["status"] == "ok" and _no_tmp(folder)
        pd.testing.assert_frame_equal(Results.load(folder).daily, new.daily)


KILLER = textwrap.dedent("""
    import os, sys
    name, nth, when = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    real, seen = os.replace, [0]

    def replace(src, dst, *args, **kwargs):
        hit = False
        if os.fspath(dst).endswith(name):
            seen[0] += 1
            hit = seen[0] == nth
        if hit and when == "before":
            os._exit(137)
        real(src, dst, *args, **kwargs)
        if hit and when == "after":
            os._exit(137)

    os.replace = replace
    from sim.cli import main
    sys.exit(main(sys.argv[4:]))
""")


@pytest.mark.slow
@pytest.mark.parametrize("name, nth, when", [
    ("daily.parquet", 1, "before"),   # the first run's first data file
    ("summary.json", 1, "after"),     # killed right after summary.json
    ("funnel.png", 1, "after"),       # while drawing the figures
    ("status.json", 3, "before"),     # the ok record of the first run not yet in place
    ("sweep.parquet", 1, "before"),   # every run done, the table not yet written
])
def test_a_sweep_killed_at_a_write_step_resumes_and_loses_nothing(name, nth, when, tmp_path):
    args = ["-m", "seed=0,1", *SERIAL, f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    (tmp_path / "killer.py").write_text(KILLER)
    killed = subprocess.run([sys.executable, str(tmp_path / "killer.py"), name, str(nth), when, *args],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert killed.returncode == 137, killed.stderr[-3000:]
    sweep = tmp_path / "sweep"
    jobs = json.loads((sweep / "jobs.json").read_text())["jobs"]
    states = [verify(sweep / j["key"])["status"] for j in jobs]
    finished = states.count("ok")
    assert set(states) <= {"ok", "incomplete", "missing"}, states
    frame = collect(sweep)  # what aggregation and the catalogue see
    assert (frame["status"] == "ok").sum() == finished
    again = _cli(args, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    if finished:
        assert f"({finished} already finished, resuming)" in again.stderr  # the exact count
    else:
        assert "already finished" not in again.stderr
    frame = pd.read_parquet(sweep / "sweep.parquet")
    assert (frame["status"] == "ok").all() and sorted(frame["seed"]) == [0, 1]
    for key in frame["run"]:  # nothing lost: every run is whole and is what its config gives
        back = Results.load(sweep / key)
        pd.testing.assert_frame_equal(back.daily, run(back.config).daily)
    assert _no_tmp(sweep)


# --------------------------------------------------------------------------- damaged files


def test_damaged_runs_are_reported_and_run_again_with_an_exact_resume_count(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["-m", "seed=0,1,2,3", *SERIAL]
    assert main(args) == 0
    sweep = Path(capsys.readouterr().out.strip().splitlines()[-1])
    keys = {int(r["seed"]): r["run"] for _, r in pd.read_parquet(sweep / "sweep.parquet").iterrows()}
    (sweep / keys[1] / "summary.json").write_text('{"scenario": "def')            # truncated
    (sweep / keys[2] / "summary.json").unlink()                                   # deleted
    data = bytearray((sweep / keys[3] / "daily.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF                                                  # corrupted
    (sweep / keys[3] / "daily.parquet").write_bytes(bytes(data))
    frame = collect(sweep).set_index("seed")
    assert frame["status"].tolist() == ["ok", "damaged", "damaged", "damaged"]
    assert "summary.json" in frame.loc[1, "error"] and "daily.parquet" in frame.loc[3, "error"]
    kept = (sweep / keys[0] / "daily.parquet").stat().st_mtime_ns
    real = sim.cli.job.run

    def broken_again(cfg, progress=False):  # the re-run of a damaged run fails: failed, never a stale ok
        if cfg.seed == 2:
            raise RuntimeError("still broken")
        return real(cfg, progress)

    monkeypatch.setattr(sim.cli.job, "run", broken_again)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "(1 already finished, resuming)" in err and "Traceback" not in err
    frame = pd.read_parquet(sweep / "sweep.parquet").set_index("seed")
    assert frame["status"].tolist() == ["ok", "ok", "failed", "ok"]
    assert (sweep / keys[0] / "daily.parquet").stat().st_mtime_ns == kept  # an ok run is never redone
    assert not (sweep / keys[2] / "summary.json").exists()


# --------------------------------------------------------------------------- locks and concurrent commands


def test_a_second_command_on_a_busy_sweep_folder_refuses_at_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    fd = os.open(sweep / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"pid 4242 on elsewhere since earlier\n")
        start = time.time()
        assert main(["-m", "seed=0,1", *SERIAL, f"hydra.sweep.dir={sweep}"]) == 1
        assert time.time() - start < 30
    finally:
        os.close(fd)
    line = _one_line_fault(capsys.readouterr().err)
    assert "in use by pid 4242 on elsewhere" in line and "does not wait" in line
    assert sorted(p.name for p in sweep.iterdir()) == [LOCK_FILE]  # nothing written


def test_a_different_sweep_in_the_same_folder_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    folder = f"hydra.sweep.dir={tmp_path / 'shared'}"
    assert main(["-m", "seed=0,1", *SERIAL, folder]) == 0
    capsys.readouterr()
    before = _files(tmp_path / "shared")
    assert main(["-m", "seed=5,6", *SERIAL, folder]) == 2
    line = _one_line_fault(capsys.readouterr().err)
    assert "hydra.sweep.dir" in line and "another sweep" in line
    assert _files(tmp_path / "shared") == before  # jobs.json, sweep.parquet and the runs untouched
    assert main(["-m", folder, "seed=0,1", *reversed(SERIAL)]) == 0  # the same sweep, any order: resumes
    assert "(2 already finished, resuming)" in capsys.readouterr().err


@pytest.mark.slow
def test_the_same_sweep_started_twice_at_once_runs_every_run_once(tmp_path):
    args = ["-m", "seed=range(6)", "launcher=serial", "population.size=4000", "stores.count=20", "days=20",
            f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    first = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=tmp_path, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / "sweep" / "jobs.json").exists():
        time.sleep(0.05)
    assert lock_holder(tmp_path / "sweep") is not None
    second = _cli(args, tmp_path)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-3000:]
    assert second.returncode == 1, second.stderr[-3000:]
    line = _one_line_fault(second.stderr)
    assert "in use by pid" in line and "does not wait" in line
    assert "sweep:" not in second.stderr  # it ran nothing
    frame = pd.read_parquet(tmp_path / "sweep" / "sweep.parquet")
    assert (frame["status"] == "ok").all() and len(frame) == 6
    for key in frame["run"]:  # each run was made once: by the first command, in its process
        status = json.loads((tmp_path / "sweep" / key / "status.json").read_text())
        assert status["status"] == "ok"
    assert f"pid {first.pid} " in (tmp_path / "sweep" / LOCK_FILE).read_text()


def test_a_save_waits_for_the_process_writing_the_folder(finished_results, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, os, sys, time
        fd = os.open({str(folder / LOCK_FILE)!r}, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        print("locked", flush=True)
        time.sleep(1.5)
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    start = time.time()
    finished_results.save(folder, figures=False)
    assert time.time() - start >= 1.0  # it waited for the other process
    holder.wait(timeout=30)
    assert verify(folder)["status"] == "ok"


# --------------------------------------------------------------------------- bad folders and sweeps (exit 2)


@pytest.mark.parametrize("args, key", [
    (["hydra.run.dir=a=b"], "hydra.run.dir"),
    (["-m", "seed=0,1", "hydra.sweep.dir=a=b"], "hydra.sweep.dir"),
    (["-m", "seed=range(0)"], "seed"),
    (["-m", "seed=0,1", "hydra.launcher.n_jobs=0"], "hydra.launcher.n_jobs"),
    (["-m", "seed=0,1", "hydra.launcher.n_jobs=abc"], "hydra.launcher.n_jobs"),
    (["hydra.run.dir=."], "hydra.run.dir"),
    (["-m", "seed=0,1", "hydra.sweep.dir=."], "hydra.sweep.dir"),
])
def test_bad_folders_and_sweeps_are_one_line_exit_2(args, key, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a run")
    assert main([*args, *TINY]) == 2
    line = _one_line_fault(capsys.readouterr().err)
    assert key in line and "allowed:" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written


def test_a_single_run_never_overwrites_an_earlier_run(finished_results, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    finished_results.save(tmp_path / "earlier", figures=False)
    before = _files(tmp_path / "earlier")
    assert main([*TINY, f"hydra.run.dir={tmp_path / 'earlier'}"]) == 2
    line = _one_line_fault(capsys.readouterr().err)
    assert "earlier run" in line and "status ok" in line
    assert _files(tmp_path / "earlier") == before


@pytest.mark.slow
def test_a_single_run_writes_a_verified_status(tmp_path):
    out = _cli([*TINY, "hydra.run.dir=run"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    status = verify(tmp_path / "run")
    assert status["status"] == "ok" and "figures/funnel.png" in status["files"]
    again = _cli([*TINY, "hydra.run.dir=run", "seed=5"], tmp_path)
    assert again.returncode == 2 and "earlier run" in _one_line_fault(again.stderr)
    assert Results.load(tmp_path / "run").summary["seed"] == 0


# --------------------------------------------------------------------------- Ctrl-C

KERNEL_ERROR = "CPUDispatcher(<function day>) returned a result with an exception set"


def test_ctrl_c_surfacing_as_another_error_marks_the_run_interrupted(tmp_path, monkeypatch):
    # a compiled kernel turns Ctrl-C into "SystemError: CPUDispatcher(...) returned a result with an
    # exception set" in a launcher's worker, where the sweep's flag is not set
    class FakeHydra:
        class runtime:
            output_dir = str(tmp_path / "run")
            choices = {}

        class sweep:
            dir = str(tmp_path)

        class overrides:
            task = []
        mode = sim.cli.job.RunMode.MULTIRUN

    def ctrl_c_in_kernel(cfg, progress=False):
        try:
            signal.raise_signal(signal.SIGINT)  # the worker's own Ctrl-C
        except KeyboardInterrupt as err:
            raise SystemError(KERNEL_ERROR) from err

    def ctrl_c_lost_in_kernel(cfg, progress=False):
        with contextlib.suppress(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        raise SystemError(KERNEL_ERROR)

    monkeypatch.setattr(sim.cli.job.HydraConfig, "get", staticmethod(lambda: FakeHydra))
    monkeypatch.setattr(sim.cli.job, "to_sim_config", lambda cfg, scenario: make_cfg(days=2))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for fake in (ctrl_c_in_kernel, ctrl_c_lost_in_kernel):
            monkeypatch.setattr(sim.cli.job, "run", fake)
            with pytest.raises(KeyboardInterrupt):
                sim.cli.job.run_job({})
            status = json.loads((tmp_path / "run" / "status.json").read_text())
            assert status["status"] == "interrupted", status
            assert "SystemError" in status["error"]
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.slow
def test_ctrl_c_reaching_the_launcher_workers_marks_their_runs_interrupted(tmp_path):
    # two joblib worker processes, each inside a run (compiled kernels included) when Ctrl-C comes
    args = ["-m", "hydra.launcher.n_jobs=2", "seed=range(6)", "population.size=30000", "days=60",
            "hydra.sweep.dir=sweep"]
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 240
    running: list[Path] = []
    while time.time() < deadline and len(running) < 2:
        running = [p for p in tmp_path.glob("sweep/*/status.json") if '"running"' in p.read_text()]
        time.sleep(0.05)
    assert len(running) == 2, "the runs did not start in time"
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err
    frame = pd.read_parquet(tmp_path / "sweep" / "sweep.parquet")
    assert "failed" not in set(frame["status"]), frame[["status", "error"]]
    assert (frame["status"] == "interrupted").sum() >= 2, frame[["status", "error"]]
    finished = int((frame["status"] == "ok").sum())
    again = _cli(args, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (f"({finished} already finished, resuming)" in again.stderr) == bool(finished)
    assert (pd.read_parquet(tmp_path / "sweep" / "sweep.parquet")["status"] == "ok").all()


def test_a_double_ctrl_c_while_drawing_the_sweep_figure(tmp_path, monkeypatch, capsys):
    import matplotlib.figure

    import sim.cli as cli

    real_run, real_savefig = sim.cli.job.run, matplotlib.figure.Figure.savefig

    def ctrl_c_on_the_second_run(cfg, progress=False):
        if cfg.seed == 1:
            signal.raise_signal(signal.SIGINT)  # first Ctrl-C, while this run is in progress
        return real_run(cfg, progress)

    def ctrl_c_while_drawing(self, path, *args, **kwargs):
        if cli.INTERRUPTED.is_set():  # the sweep's figure, after the first Ctrl-C
            Path(path).write_bytes(b"\x89PNG half")  # part of the figure written ...
            signal.raise_signal(signal.SIGINT)  # ... when the second Ctrl-C comes
        return real_savefig(self, path, *args, **kwargs)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sim.cli.job, "run", ctrl_c_on_the_second_run)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", ctrl_c_while_drawing)
    args = ["-m", "seed=0,1,2", *SERIAL]
    try:
        assert main(args) == 130
    finally:
        cli.INTERRUPTED.clear()
    line = _one_line_fault(capsys.readouterr().err)
    assert "interrupted while writing" in line
    sweep = next((tmp_path / "multirun").iterdir())
    frame = pd.read_parquet(sweep / "sweep.parquet")  # the table was written before the figure
    assert frame["status"].tolist() == ["ok", "interrupted", "missing"]
    assert not (sweep / "sweep.png").exists() and _no_tmp(sweep)
    monkeypatch.setattr(sim.cli.job, "run", real_run)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", real_savefig)
    assert main(args) == 0
    assert "(1 already finished, resuming)" in capsys.readouterr().err  # exact: interrupted is not finished
    assert (sweep / "sweep.png").stat().st_size > 10_000


# --------------------------------------------------------------------------- read-only and full disks


@contextlib.contextmanager
def _tmpfs(target: Path, size: str):
    """A size-limited tmpfs at ``target`` (root only), unmounted at the end whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs: a read-only or full folder cannot be made otherwise "
                    "(chmod does not stop root, and a full disk needs a size-limited file system)")
    if shutil.which("mount") is None:
        pytest.skip("no mount command on this machine to make a read-only or full tmpfs")
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield target
    finally:
        if subprocess.run(["umount", str(target)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _remount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(target)], check=True)


def test_a_read_only_output_folder(finished_results, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with _tmpfs(tmp_path / "ro", "4m") as ro:
        finished_results.save(ro / "archive" / "one", figures=False)
        _remount(ro, "ro")
        with pytest.raises(OSError) as caught:
            finished_results.save(ro / "two", figures=False)
        assert caught.value.errno == errno.EROFS
        assert main([*TINY, f"hydra.run.dir={ro / 'run'}"]) == 1
        assert "read-only" in _one_line_fault(capsys.readouterr().err)
        assert main(["-m", "seed=0,1", *SERIAL, f"hydra.sweep.dir={ro / 'sweep'}"]) == 1
        assert "read-only" in _one_line_fault(capsys.readouterr().err)
        # a read-only archive is still read, verified and catalogued (the index goes elsewhere)
        import sim.studies.catalogue
        from sim.studies.catalogue import open_dataset

        try:
            frame = open_dataset(ro / "archive").to_table().to_pandas()
            assert frame["status"].tolist() == ["ok"] and frame["seed"].tolist() == [0]
            assert sorted(p.name for p in ro.iterdir()) == ["archive"]
        finally:
            shutil.rmtree(sim.studies.catalogue._index_dir((ro / "archive").resolve()), ignore_errors=True)


@pytest.mark.slow
def test_a_read_only_folder_through_the_command(tmp_path):
    with _tmpfs(tmp_path / "ro", "1m") as ro:
        _remount(ro, "ro")
        for args in ([*TINY, f"hydra.run.dir={ro / 'run'}"],
                     ["-m", "seed=0,1", *SERIAL, f"hydra.sweep.dir={ro / 'sweep'}"]):
            out = _cli(args, tmp_path)
            assert out.returncode == 1, out.stderr[-3000:]
            assert "read-only file system" in _one_line_fault(out.stderr)


def test_a_full_disk_during_a_run(finished_results, tmp_path):
    with _tmpfs(tmp_path / "full", "80k") as full:
        with pytest.raises(OSError) as caught:
            finished_results.save(full / "run")
        assert caught.value.errno == errno.ENOSPC
        state = verify(full / "run")
        assert state["status"] != "ok" and _no_tmp(full)
        _remount(full, "size=16m")
        finished_results.save(full / "run", overwrite=True)  # room again: the run is made whole
        assert verify(full / "run")["status"] == "ok"


@pytest.mark.slow
def test_a_full_disk_during_a_sweep_and_during_a_single_run(tmp_path):
    # about one and a half runs with figures fit: the second run fails while writing
    with _tmpfs(tmp_path / "full", "520k") as full:
        args = ["-m", "seed=0,1,2", *SERIAL, f"hydra.sweep.dir={full / 'sweep'}"]
        out = _cli(args, tmp_path)
        assert out.returncode == 1, out.stderr[-3000:]
        line = _one_line_fault(out.stderr)
        assert "No space left on device" in line
        states = [verify(p)["status"] for p in sorted((full / "sweep").iterdir()) if p.is_dir()]
        finished = states.count("ok")
        assert set(states) <= {"ok", "failed", "incomplete", "missing"} and finished < 3, states
        for p in (full / "sweep").iterdir():
            if p.is_dir() and verify(p)["status"] == "ok":
                assert Results.load(p).summary["days"] == 3  # what is ok is whole
        _remount(full, "size=32m")
        again = _cli(args, tmp_path)
        assert again.returncode == 0, again.stderr[-3000:]
        assert (f"({finished} already finished, resuming)" in again.stderr) == bool(finished)
        assert (pd.read_parquet(full / "sweep" / "sweep.parquet")["status"] == "ok").all()
    with _tmpfs(tmp_path / "full1", "150k") as full:
        out = _cli([*TINY, f"hydra.run.dir={full / 'run'}"], tmp_path)
        assert out.returncode == 1, out.stderr[-3000:]
        assert "No space left on device" in _one_line_fault(out.stderr)
        assert verify(full / "run")["status"] != "ok"
