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
(``summary.json`` outside a sweep). A file is rewritten, atomically, only when its
source changed after it was written, and dropped when its source is gone, so
opening the catalogue again is cheap and always current.

Columns: ``experiment`` (the partition), ``source`` (sweep or run folder, relative to
the root), ``run`` (run folder name), ``path`` (run folder, relative to the root),
``status`` (ok, failed, missing), ``error``, ``overrides``, ``param.<key>`` (override
values as text), ``scenario`` and every numeric summary KPI as float64 (docs/OUTPUTS.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .results import atomic_write
from .sweeps import JOBS_FILE, STATUS_FILE, collect

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
    for summary in sorted(root.rglob("summary.json")):
        folder = summary.parent
        rel = folder.relative_to(root).parts
        if any(part in SKIP_DIRS for part in rel) or any(folder.is_relative_to(s) for s in sweeps):
            continue
        runs.append(folder)
    return [("sweep", s) for s in sweeps] + [("run", r) for r in runs]


def _stamp(kind: str, folder: Path) -> float:
    """Latest change of the files a source's rows come from (folders too: a file removed or renamed)."""
    if kind == "run":
        files = [folder, folder / "summary.json", folder / STATUS_FILE]
    else:
        files = [folder, folder / JOBS_FILE, *(p for p in folder.rglob("*") if p.is_dir()),
                 *folder.rglob(STATUS_FILE), *folder.rglob("summary.json")]
    return max((f.stat().st_mtime for f in files if f.exists()), default=0.0)


def _rows(kind: str, folder: Path, root: Path) -> pd.DataFrame:
    """The catalogue rows of one source, with normalised column types."""
    rel = folder.relative_to(root).as_posix()
    if kind == "sweep":
        frame = collect(folder)
        listed = set(frame["run"]) if len(frame) else set()
        if len(frame):
            frame["path"] = [f"{rel}/{r}" for r in frame["run"]]
        # runs a study made beside its listed jobs (an optimisation's seeds, baselines, confirmation)
        extra = [s.parent for s in sorted(folder.rglob("summary.json"))
                 if s.parent.relative_to(folder).parts[0] not in listed]
        frame = pd.concat([frame, *(_lone(f, root, f.relative_to(folder).as_posix()) for f in extra)],
                          ignore_index=True)
    else:
        frame = _lone(folder, root, folder.name)
    frame.insert(0, "source", rel)
    out = {}
    for col in frame.columns:
        values = frame[col]
        if col in TEXT_COLUMNS or col.startswith("param."):
            out[col] = values.map(lambda v: None if v is None or v != v else str(v)).astype("string")
        else:
            out[col] = pd.to_numeric(values, errors="coerce").astype("float64")
    return pd.DataFrame(out)


def _lone(folder: Path, root: Path, name: str) -> pd.DataFrame:
    """The row of one run folder found by its ``summary.json``."""
    summary = json.loads((folder / "summary.json").read_text())
    status_path = folder / STATUS_FILE
    status = json.loads(status_path.read_text()) if status_path.exists() else {"status": "ok"}
    return pd.DataFrame([{"run": name, "overrides": "", "status": status.get("status", "ok"),
                          "error": status.get("error", ""), "path": folder.relative_to(root).as_posix(),
                          **{k: (float("nan") if v is None else v) for k, v in summary.items()}}])


def _part_path(catalogue: Path, experiment: str, rel: str) -> Path:
    digest = hashlib.sha1(rel.encode()).hexdigest()[:10]
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", rel)[-60:]
    return catalogue / f"experiment={experiment}" / f"{slug}-{digest}.parquet"


def refresh(root: str | Path) -> Path:
    """Update the catalogue index under ``root`` (see the module docstring); return its folder."""
    root = Path(root).resolve()
    catalogue = root / CATALOGUE_DIR
    keep = set()
    for kind, folder in _sources(root):
        experiment = experiment_of(folder) if kind == "sweep" else LONE_RUNS
        part = _part_path(catalogue, experiment, folder.relative_to(root).as_posix())
        keep.add(part)
        if part.exists() and part.stat().st_mtime >= _stamp(kind, folder):
            continue
        table = pa.Table.from_pandas(_rows(kind, folder, root), preserve_index=False)
        atomic_write(part, lambda p, t=table: pq.write_table(t, p))
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
    catalogue = refresh(root) if refresh_index else root / CATALOGUE_DIR
    parts = sorted(catalogue.glob("experiment=*/*.parquet"))
    if not parts:
        raise FileNotFoundError(f"no run or sweep folders under {root} (a run folder holds summary.json, "
                                f"a sweep folder {JOBS_FILE})")
    schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
    schema = schema.append(pa.field("experiment", pa.string()))
    partitioning = ds.partitioning(pa.schema([("experiment", pa.string())]), flavor="hive")
    return ds.dataset([str(p) for p in parts], schema=schema, format="parquet", partitioning=partitioning,
                      partition_base_dir=str(catalogue))
