"""The results catalogue: every run and sweep under a folder as one Parquet dataset.

Core functions:
    * :func:`open_dataset` - a :class:`pyarrow.dataset.Dataset` with one row per run
      (sweep runs, including failed and missing ones, and lone runs), partitioned by
      experiment (hive style, ``experiment=<name>/``).
    * :func:`refresh` - brings the catalogue index up to date and returns its folder.
    * :func:`experiment_of` - the experiment a sweep folder belongs to.

The index lives in ``<root>/.catalogue/experiment=<name>/<source>.parquet``: one
file per sweep folder (a folder with ``jobs.json``: its listed runs, and any other
run folder inside it, such as an optimisation's runs) and one per lone run folder
(``summary.json`` or ``status.json`` outside a sweep). A file is rewritten, atomically,
only when a file of its source changed after it was written (a run still running is
looked at again every time), and dropped when its source is gone, so opening the
catalogue again is cheap and always current. When ``<root>`` cannot be written (a
read-only archive) the index is kept in the temporary folder instead.

Every run is verified against the checksums of its ``status.json``
(:func:`sim.outputs.run_folder.verify`): a run is listed ``ok`` only while its files are those it
wrote; KPIs are read only from ``ok`` runs.

Columns: ``experiment`` (the partition), ``source`` (sweep or run folder, relative to
the root), ``run`` (run folder name), ``path`` (run folder, relative to the root),
``status`` (ok, failed, interrupted, damaged, incomplete, running, missing), ``error``
(for a damaged run, naming the file), ``overrides``, ``param.<key>`` (override values:
float64 when every value of a source is a number, as in ``sweep.parquet``, else text),
``scenario`` and every numeric summary KPI as float64 (docs/OUTPUTS.md).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.outputs.files import atomic_write
from sim.outputs.run_folder import LOCK_FILE
from sim.studies.sweeps import JOBS_FILE, STATUS_FILE, collect, run_status

__all__ = ["CATALOGUE_DIR", "LONE_RUNS", "experiment_of", "open_dataset", "refresh"]

CATALOGUE_DIR = ".catalogue"
#: Experiment name of run folders that belong to no sweep.
LONE_RUNS = "runs"
TEXT_COLUMNS = ("source", "run", "path", "status", "error", "overrides", "scenario")
SKIP_DIRS = (CATALOGUE_DIR, ".submitit", "figures")


def experiment_of(sweep_dir: Path) -> str:
    """``discount_sweep`` for ``multirun/discount_sweep-1a2b3c4d``; ``sweep`` for an unnamed sweep."""
    m = re.fullmatch(r"(.+)-[0-9a-f]{8}", sweep_dir.name)
    name = m.group(1) if m else sweep_dir.name
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _sources(root: Path) -> list[tuple[str, Path]]:
    """``(kind, folder)`` of every sweep and lone run under ``root``."""
    sweeps, runs = [], []
    for jobs in sorted(root.rglob(JOBS_FILE)):
        if not any(part in SKIP_DIRS for part in jobs.relative_to(root).parts):
            sweeps.append(jobs.parent)
    for folder in _run_folders(root):
        if not any(folder.is_relative_to(s) for s in sweeps):
            runs.append(folder)
    return [("sweep", s) for s in sweeps] + [("run", r) for r in runs]


def _run_folders(base: Path) -> list[Path]:
    """Folders under ``base`` holding ``summary.json`` or ``status.json``.

    An optimisation's trial folders (``trial.json``, summarised in ``trials.parquet``) excepted.
    """
    found = {p.parent for name in ("summary.json", STATUS_FILE) for p in base.rglob(name)}
    return sorted(f for f in found if not any(part in SKIP_DIRS for part in f.relative_to(base).parts)
                  and not (f / "trial.json").exists())


def _stamp(folder: Path) -> float:
    """Latest change of any file or folder of a source (a file altered, added, removed or renamed)."""
    latest = folder.stat().st_mtime if folder.exists() else 0.0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != CATALOGUE_DIR]
        for name in (*dirs, *files):
            if name == LOCK_FILE:
                continue
            try:
                latest = max(latest, os.lstat(os.path.join(root, name)).st_mtime)
            except OSError:
                continue
    return latest


def _rows(kind: str, folder: Path, root: Path) -> pd.DataFrame:
    """The catalogue rows of one source, with normalised column types."""
    rel = folder.relative_to(root).as_posix()
    if kind == "sweep":
        try:
            frame = collect(folder)
        except (OSError, ValueError) as err:  # jobs.json unreadable: one row says so
            frame = pd.DataFrame([{"run": "", "overrides": "", "status": "damaged", "error": str(err),
                                   "path": rel}])
        listed = set(frame["run"]) if len(frame) else set()
        if len(frame) and "path" not in frame:
            frame["path"] = [f"{rel}/{r}" for r in frame["run"]]
        # runs a study made beside its listed jobs (an optimisation's seeds, baselines, confirmation)
        extra = [f for f in _run_folders(folder)
                 if f != folder and f.relative_to(folder).parts[0] not in listed]
        frame = pd.concat([frame, *(_lone(f, root, f.relative_to(folder).as_posix()) for f in extra)],
                          ignore_index=True)
    else:
        frame = _lone(folder, root, folder.name)
    frame.insert(0, "source", rel)
    out = {}
    for col in frame.columns:
        values = frame[col]
        if col.startswith("param.") and _numeric(values):  # a swept number stays a number
            out[col] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif col in TEXT_COLUMNS or col.startswith("param."):
            out[col] = values.map(lambda v: None if v is None or v != v else str(v)).astype("string")
        else:
            out[col] = pd.to_numeric(values, errors="coerce").astype("float64")
    return pd.DataFrame(out)


def _numeric(values: pd.Series) -> bool:
    """Every value present is a number (not a bool): the column is kept numeric."""
    present = values[values.notna()]
    if present.empty or present.map(lambda v: isinstance(v, bool)).any():
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def _schema(parts: list[Path]) -> pa.Schema:
    """One schema for every part; a column numeric in some parts and text in others is text."""
    schemas = [pq.read_schema(p) for p in parts]
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        fields: dict[str, pa.DataType] = {}
        for schema in schemas:
            for f in schema:
                known = fields.get(f.name)
                if known is None or known == pa.null():
                    fields[f.name] = f.type
                elif f.type != known and f.type != pa.null():
                    fields[f.name] = pa.string()
        return pa.schema(list(fields.items()))


def _lone(folder: Path, root: Path, name: str) -> pd.DataFrame:
    """The row of one run folder, verified; KPIs only from an ``ok`` run."""
    status = run_status(folder)
    row = {"run": name, "overrides": "", "status": status["status"], "error": status.get("error", ""),
           "path": folder.relative_to(root).as_posix()}
    if status["status"] == "ok":
        try:
            summary = json.loads((folder / "summary.json").read_text())
        except (OSError, ValueError):
            summary = None
        if isinstance(summary, dict):
            row.update({k: (float("nan") if v is None else v) for k, v in summary.items()})
        elif (folder / "summary.json").exists() or "summary.json" in status.get("files", {}):
            row.update(status="damaged", error="summary.json is unreadable")
    return pd.DataFrame([row])


def _part_path(catalogue: Path, experiment: str, rel: str) -> Path:
    digest = hashlib.sha1(rel.encode()).hexdigest()[:10]
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", rel)[-60:]
    return catalogue / f"experiment={experiment}" / f"{slug}-{digest}.parquet"


def _index_dir(root: Path) -> Path:
    """``<root>/.catalogue``, or a folder in the temporary folder when ``root`` cannot be written."""
    catalogue = root / CATALOGUE_DIR
    try:
        catalogue.mkdir(exist_ok=True)
        if os.access(catalogue, os.W_OK) and not os.statvfs(catalogue).f_flag & os.ST_RDONLY:
            return catalogue
    except OSError as err:
        if err.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
    digest = hashlib.sha1(str(root).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"o2o-sim-catalogue-{digest}"


def refresh(root: str | Path) -> Path:
    """Update the catalogue index under ``root`` (see the module docstring); return its folder."""
    root = Path(root).resolve()
    catalogue = _index_dir(root)
    keep = set()
    for kind, folder in _sources(root):
        experiment = experiment_of(folder) if kind == "sweep" else LONE_RUNS
        part = _part_path(catalogue, experiment, folder.relative_to(root).as_posix())
        keep.add(part)
        if part.exists() and part.stat().st_mtime > 0 and part.stat().st_mtime >= _stamp(folder):
            continue
        rows = _rows(kind, folder, root)
        table = pa.Table.from_pandas(rows, preserve_index=False)
        atomic_write(part, lambda p, t=table: pq.write_table(t, p))
        if (rows["status"] == "running").any():  # its end changes no file: look again next time
            os.utime(part, (0, 0))
    for stale in catalogue.glob("experiment=*/*.parquet"):
        if stale not in keep:
            stale.unlink()
    return catalogue


def open_dataset(path: str | Path = ".", refresh_index: bool = True) -> ds.Dataset:
    """Every run and sweep under ``path`` as one Parquet dataset, partitioned by experiment.

    Args:
        path: a folder holding run folders and sweep folders at any depth (e.g. the
            project root with ``outputs/`` and ``multirun/``, or one sweep folder's parent).
        refresh_index: bring the index up to date first (else read it as it is).

    Returns:
        A :class:`pyarrow.dataset.Dataset`; e.g.
        ``open_dataset(".").to_table(filter=ds.field("experiment") == "discount_sweep").to_pandas()``.

    Raises:
        FileNotFoundError: nothing under ``path`` is a run or a sweep.
    """
    root = Path(path).resolve()
    catalogue = refresh(root) if refresh_index else _index_dir(root)
    parts = sorted(catalogue.glob("experiment=*/*.parquet"))
    if not parts:
        raise FileNotFoundError(f"no run or sweep folders under {root} (a run folder holds summary.json, "
                                f"a sweep folder {JOBS_FILE})")
    schema = _schema(parts)
    schema = schema.append(pa.field("experiment", pa.string()))
    partitioning = ds.partitioning(pa.schema([("experiment", pa.string())]), flavor="hive")
    return ds.dataset([str(p) for p in parts], schema=schema, format="parquet", partitioning=partitioning,
                      partition_base_dir=str(catalogue))
