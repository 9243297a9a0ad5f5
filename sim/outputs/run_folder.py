"""Run folders on disk: the ``status.json`` record, its verification, locks and environment faults.

A run folder holds one run's files (:meth:`sim.outputs.results.Results.save`) and ``status.json``,
written last. Every status record is written atomically; a finished run's record lists
every file of the run with its size and SHA-256 checksum, so that a run is reported ``ok``
only while its files are exactly those it wrote (docs/OUTPUTS.md 7.2).

Core objects:
    * :func:`begin`, :func:`finish`, :func:`fail`, :func:`interrupt` - the status records
      a run writes: ``running`` first (clearing any stale record and the previous run's
      files), then ``ok`` (with the file list and checksums), ``failed`` or ``interrupted``.
    * :func:`verify` - the run's status as found on disk: ``ok`` only after every listed
      file matched its size and checksum; else ``damaged`` (naming the file), ``incomplete``
      (started, never finished), ``running`` (its lock is held), ``failed``, ``interrupted``
      or ``missing`` (never started). :func:`read_status` is the record as written, unverified.
    * :func:`locked` - an exclusive ``fcntl.flock`` on the folder's lock file
      (:data:`LOCK_FILE`), released by the operating system when the process ends, however
      it ends; re-entrant within a process. ``wait=False`` refuses with
      :class:`FolderBusyError` instead of waiting.
    * :func:`prepare` - makes a folder ready for a new run: refuses a folder holding files
      that are not a run (:class:`FolderNotEmptyError`), and an earlier run unless asked to
      overwrite it, in which case that run's files are removed first.
    * :func:`environment_fault` and :func:`describe_fault` - an error caused by the machine
      (read-only or full disk, no permission) rather than by the run, as one line.
    * :class:`RunFolderError` - a refusal with its exit status (1 environment, 2 bad input).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import socket
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.outputs.files import atomic_write

__all__ = ["ENVIRONMENT_ERRNOS", "FORMAT", "LOCK_FILE", "RUN_FILES", "STATUS_FILE", "FolderBusyError",
           "FolderNotEmptyError", "RunFolderError", "begin", "checksum", "contents", "describe_fault",
           "environment_fault", "fail", "finish", "interrupt", "lock_holder", "locked", "prepare",
           "read_status", "verify", "writable_or_reason"]

STATUS_FILE = "status.json"
#: The lock file of a run or sweep folder (never removed: a waiting process may hold it open).
LOCK_FILE = ".o2o-sim.lock"
#: Version of the ``status.json`` layout.
FORMAT = 1
#: Names a run writes in its folder (``figures`` is a folder); anything else is not a run's file.
RUN_FILES = ("daily.parquet", "stores.parquet", "store_info.parquet", "coupons.parquet", "pnl.parquet",
             "costs.parquet", "reviews.parquet", "consumers.parquet", "city.npz", "summary.json",
             "config.yaml", "report.html", "trial.json", "figures", STATUS_FILE)
#: Entries that belong to the folder's bookkeeping, not to the run: never checked, never removed.
BOOKKEEPING = (LOCK_FILE, ".hydra", ".submitit")
#: ``errno`` values of faults of the machine, not of the run.
ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM,
                                errno.EIO, errno.EFBIG})
_CHUNK = 1 << 20


class RunFolderError(Exception):
    """A folder refused or unusable; ``exit_status`` is 1 for the environment, 2 for bad input."""

    exit_status = 1

    def __init__(self, message: str, exit_status: int | None = None):
        super().__init__(message)
        if exit_status is not None:
            self.exit_status = exit_status


class FolderBusyError(RunFolderError, BlockingIOError):
    """Another process holds the folder's lock."""

    exit_status = 1


class FolderNotEmptyError(RunFolderError, FileExistsError):
    """The folder holds files that are not a run, or an earlier run not to be overwritten."""

    exit_status = 2


# --------------------------------------------------------------------------- helpers


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, default=str) + "\n"
    atomic_write(path, lambda p: Path(p).write_text(text))


def checksum(path: str | os.PathLike) -> tuple[int, str]:
    """``(size in bytes, SHA-256 hex digest)`` of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _ignored(name: str) -> bool:
    return name in BOOKKEEPING or name.endswith(".log")


def _temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def contents(folder: str | os.PathLike) -> list[str]:
    """Names in ``folder`` other than its bookkeeping (lock file, Hydra's ``.hydra/`` and logs)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not _ignored(p.name))


def _foreign(names: Iterable[str]) -> list[str]:
    return [n for n in names if n not in RUN_FILES and not _temporary(n)]


def _safe_relative(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


# --------------------------------------------------------------------------- locks

_HELD: dict[str, list] = {}  # lock file path -> [fd, depth]
_HELD_GUARD = threading.Lock()


def _holder_text(fd: int) -> str:
    with contextlib.suppress(OSError):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 400).decode("utf-8", "replace").strip()
        if text:
            return text
    return "another process"


def lock_holder(folder: str | os.PathLike) -> str | None:
    """Who holds the folder's lock (``"pid N on HOST since TIME"``), or ``None`` if nobody does."""
    path = Path(folder) / LOCK_FILE
    key = os.path.realpath(path)
    with _HELD_GUARD:
        if key in _HELD:
            return f"pid {os.getpid()} on {socket.gethostname()} (this process)"
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder_text(fd)
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(folder: str | os.PathLike, wait: bool = True, what: str = "run") -> Iterator[Path]:
    """Hold the exclusive lock of ``folder`` (created if needed) while the block runs.

    The lock is an ``fcntl.flock`` on :data:`LOCK_FILE`: the operating system releases it when
    the process ends, also by ``kill -9``. Within one process the lock is re-entrant.

    Args:
        folder: the run or sweep folder.
        wait: wait for another holder to finish; ``False`` raises :class:`FolderBusyError` instead.
        what: ``run`` or ``sweep``, for the message.

    Raises:
        FolderBusyError: ``wait=False`` and another process holds the lock.
        OSError: the folder or its lock file cannot be created (read-only, full disk).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    key = os.path.realpath(path)
    with _HELD_GUARD:
        if key in _HELD:
            _HELD[key][1] += 1
            entered = True
        else:
            entered = False
    if not entered:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if wait:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                for attempt in range(5):  # a reader probing the lock holds it for microseconds
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if attempt == 4:
                            raise
                        time.sleep(0.05)
        except BlockingIOError:
            holder = _holder_text(fd)
            os.close(fd)
            raise FolderBusyError(f"the {what} folder {folder} is in use by {holder}") from None
        except BaseException:
            os.close(fd)
            raise
        with contextlib.suppress(OSError):  # who holds it, for the message of a refused process
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {_now()}\n".encode(), 0)
        with _HELD_GUARD:
            _HELD[key] = [fd, 1]
    try:
        yield folder
    finally:
        with _HELD_GUARD:
            entry = _HELD[key]
            entry[1] -= 1
            release = entry[1] == 0
            if release:
                del _HELD[key]
        if release:
            with contextlib.suppress(OSError):
                fcntl.flock(entry[0], fcntl.LOCK_UN)
            os.close(entry[0])


# --------------------------------------------------------------------------- status records


def read_status(folder: str | os.PathLike) -> dict[str, Any]:
    """The status record as written, not verified: ``{"status": "missing"}`` without one.

    An unreadable ``status.json`` reads as ``{"status": "damaged", "error": ..., "file": "status.json"}``.
    """
    path = Path(folder) / STATUS_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {"status": "missing"}
    except (OSError, UnicodeDecodeError) as err:
        return {"status": "damaged", "file": STATUS_FILE, "error": f"{STATUS_FILE} is unreadable ({err})"}
    try:
        record = json.loads(text)
    except ValueError as err:
        return {"status": "damaged", "file": STATUS_FILE,
                "error": f"{STATUS_FILE} is not valid JSON ({err}; {len(text.encode())} bytes)"}
    if not isinstance(record, dict) or not isinstance(record.get("status"), str):
        return {"status": "damaged", "file": STATUS_FILE, "error": f"{STATUS_FILE} holds no status"}
    return record


def begin(folder: str | os.PathLike) -> dict[str, Any]:
    """Start a (re-)run in ``folder``: write the ``running`` record, then remove the previous run's files.

    The stale record is replaced first (atomically), so a run that ends early in any way is
    never left with an earlier run's ``ok``. Removed: the files the previous record lists,
    every name of :data:`RUN_FILES` (``figures/`` with its content) and leftover temporary
    files; kept: the lock, Hydra's ``.hydra/`` and logs, and sub-folders (e.g. the runs of an
    optimisation trial).

    Returns:
        The ``running`` record.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    previous = read_status(folder)
    started = _now()
    if previous.get("status") == "running" and previous.get("pid") == os.getpid() \
            and previous.get("host") == socket.gethostname():
        started = previous.get("started", started)  # the same run, its save starting
    record = {"status": "running", "format": FORMAT, "started": started, "pid": os.getpid(),
              "host": socket.gethostname()}
    _write_json(folder / STATUS_FILE, record)
    listed = previous.get("files") if isinstance(previous.get("files"), dict) else {}
    for name in [*listed, *RUN_FILES]:
        if name == STATUS_FILE or not _safe_relative(name):
            continue
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            if name == "figures":
                shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    for path in folder.iterdir():
        if _temporary(path.name) and path.is_file():
            path.unlink()
    return record


def finish(folder: str | os.PathLike, files: Iterable[str] | None = None,
           seconds: float | None = None, **extra: Any) -> dict[str, Any]:
    """Write the ``ok`` record: the run's files with their sizes and SHA-256 checksums.

    Args:
        folder: the run folder.
        files: the run's files, relative to ``folder`` (``None``: every file in it other than
            its bookkeeping, ``status.json`` and sub-folders holding their own ``status.json``).
        seconds: wall-clock seconds of the run, recorded when given.
        extra: more fields of the record.

    Returns:
        The record written.
    """
    folder = Path(folder)
    names = list(files) if files is not None else _scan(folder)
    previous = read_status(folder)
    record: dict[str, Any] = {"status": "ok", "format": FORMAT}
    if previous.get("status") == "running" and "started" in previous:
        record["started"] = previous["started"]
    record["finished"] = _now()
    if seconds is not None:
        record["seconds"] = round(float(seconds), 3)
    record.update(extra)
    listing = {}
    for name in names:
        size, digest = checksum(folder / name)
        listing[Path(name).as_posix()] = {"size": size, "sha256": digest}
    record["files"] = listing
    _write_json(folder / STATUS_FILE, record)
    return record


def _scan(folder: Path) -> list[str]:
    out = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not _ignored(d) and not (here / d / STATUS_FILE).exists())
        for name in sorted(files):
            if here == folder and (name == STATUS_FILE or _ignored(name)):
                continue
            if _temporary(name):
                continue
            out.append((here / name).relative_to(folder).as_posix())
    return out


def _ended(folder: Path, status: str, err: BaseException | None) -> dict[str, Any]:
    previous = read_status(folder)
    record: dict[str, Any] = {"status": status, "format": FORMAT}
    if previous.get("status") == "running" and "started" in previous:
        record["started"] = previous["started"]
    record["finished"] = _now()
    if err is not None:
        record["error"] = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        record["traceback"] = "".join(traceback.format_exception(err))
        fault = environment_fault(err)
        if fault is not None:
            record["errno"] = fault.errno
    return record


def fail(folder: str | os.PathLike, err: BaseException) -> dict[str, Any]:
    """Write the ``failed`` record: the error, its traceback and, for a fault of the machine, its errno."""
    record = _ended(Path(folder), "failed", err)
    _write_json(Path(folder) / STATUS_FILE, record)
    return record


def interrupt(folder: str | os.PathLike, err: BaseException | None = None) -> dict[str, Any]:
    """Write the ``interrupted`` record (Ctrl-C stopped the run; a resume runs it again)."""
    record = _ended(Path(folder), "interrupted", err)
    record.setdefault("error", "KeyboardInterrupt")
    _write_json(Path(folder) / STATUS_FILE, record)
    return record


# --------------------------------------------------------------------------- verification


def verify(folder: str | os.PathLike) -> dict[str, Any]:
    """The run's status as found on disk (see the module docstring); the record's fields are kept.

    ``ok`` only when ``status.json`` says so and lists files that all exist with the recorded
    size and SHA-256 checksum. Otherwise ``damaged`` (``error`` and ``file`` name the first
    file that is missing, truncated or altered, ``status.json`` included), ``incomplete`` (a
    run that started and never finished: files without ``status.json``, a ``running`` record
    whose lock nobody holds, or a record without a file list), ``running``, ``failed``,
    ``interrupted`` or ``missing``.
    """
    folder = Path(folder)
    record = read_status(folder)
    status = record["status"]
    if status == "missing":
        if contents(folder):
            return {"status": "incomplete",
                    "error": f"no {STATUS_FILE}: the run started and never finished"}
        return record
    if status == "damaged":
        return record
    if status == "running":
        holder = lock_holder(folder)
        if holder is not None:
            return {**record, "holder": holder}
        return {**record, "status": "incomplete",
                "error": f"the run started {record.get('started', '?')} (pid {record.get('pid', '?')} on "
                         f"{record.get('host', '?')}) and never finished"}
    if status in ("failed", "interrupted"):
        return record
    if status != "ok":
        return {**record, "status": "damaged", "file": STATUS_FILE,
                "error": f"{STATUS_FILE} holds an unknown status {status!r}"}
    files = record.get("files")
    if not isinstance(files, dict):
        return {**record, "status": "incomplete",
                "error": f"{STATUS_FILE} lists no files with checksums (an older layout): "
                         "the run cannot be verified"}
    for name, meta in files.items():
        problem = _check_file(folder, name, meta)
        if problem:
            return {**record, "status": "damaged", "file": name, "error": problem}
    return record


def _check_file(folder: Path, name: str, meta: Any) -> str | None:
    if not _safe_relative(name) or not isinstance(meta, dict):
        return f"{STATUS_FILE} lists {name!r} without a size and checksum"
    path = folder / name
    try:
        size = path.stat().st_size
        if size == meta.get("size"):  # a file of another size is not read
            size, digest = checksum(path)
    except FileNotFoundError:
        return f"{name} is missing"
    except OSError as err:
        return f"{name} is unreadable ({err.strerror or err})"
    if size != meta.get("size"):
        return f"{name} has {size} bytes, {STATUS_FILE} records {meta.get('size')}"
    if digest != meta.get("sha256"):
        return f"{name} does not match its SHA-256 checksum in {STATUS_FILE} (altered)"
    return None


# --------------------------------------------------------------------------- preparing a folder


def prepare(folder: str | os.PathLike, overwrite: bool = False) -> dict[str, Any]:
    """Make ``folder`` ready for a new run and :func:`begin` it (call it holding :func:`locked`).

    Raises:
        FolderNotEmptyError: the folder holds files that are not a run's (whatever
            ``overwrite``), or an earlier run and ``overwrite`` is false.
    """
    folder = Path(folder)
    names = contents(folder)
    foreign = _foreign(names)
    if foreign:
        shown = ", ".join(foreign[:4]) + (", ..." if len(foreign) > 4 else "")
        raise FolderNotEmptyError(f"{folder} holds files that are not a run ({shown}): refusing to "
                                  "write a run there; choose a new or empty folder")
    if names and not overwrite:
        state = verify(folder)["status"]
        raise FolderNotEmptyError(f"{folder} already holds a run (status {state}): refusing to overwrite it; "
                                  "pass overwrite=True to replace it, or choose a new folder")
    return begin(folder)


# --------------------------------------------------------------------------- environment faults


def environment_fault(err: BaseException | None) -> OSError | None:
    """The :class:`OSError` caused by the machine (full or read-only disk, no permission) behind ``err``.

    Follows ``__cause__`` and ``__context__``; ``None`` if there is none.
    """
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno in ENVIRONMENT_ERRNOS:
            return err
        err = err.__cause__ or err.__context__
    return None


def describe_fault(err: OSError, where: str | os.PathLike | None = None) -> str:
    """One line: what failed, where and why (``cannot write /x/daily.parquet: No space left on device``).

    Args:
        err: the error.
        where: the folder being written, named when the error does not name its file.
    """
    reason = os.strerror(err.errno) if err.errno else (err.strerror or str(err))
    if err.filename is not None:
        return f"cannot write {err.filename}: {reason}"
    return f"cannot write in {where}: {reason}" if where is not None else f"cannot write: {reason}"


def writable_or_reason(path: str | os.PathLike) -> str | None:
    """``None`` if a folder can be created at ``path`` (nothing written to check), else why not."""
    probe = Path(os.path.abspath(path))
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is a file, not a folder"
    with contextlib.suppress(OSError):
        if os.statvfs(probe).f_flag & os.ST_RDONLY:
            return f"{probe} is on a read-only file system"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable (permission denied)"
    return None
