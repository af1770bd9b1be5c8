"""The coordinator of a sweep: :func:`sweep` runs the points of a study not done yet on a
backend and records their rows.

Fault tolerance: one coordinator per study directory (a lock file); rows are upserted on
their UNIQUE point id, so nothing is duplicated; rows left 'running' by a coordinator
that died are run again; a run directory left by a killed worker is resumed from its
checkpoint (or only measured, if complete); a killed pool worker is replaced and its
points resubmitted; Ctrl-C leaves unfinished points pending.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .._files import write_text
from .._validate import check_int, fail
from .backends import make_backend
from .db import ResultsDB, ResultsDBError
from .study import DB_FILE, RUNS_DIR, STUDY_FILE, Study, default_study_dir, load_study, run_order

__all__ = ["LOCK_FILE", "SweepSummary", "coordinator_lock", "sweep"]

logger = logging.getLogger(__name__)

LOCK_FILE = ".coordinator.lock"


@dataclass(frozen=True)
class SweepSummary:
    """What :func:`sweep` did.

    Attributes
    ----------
    study_dir : pathlib.Path
    n_points : int
        Points of the study.
    n_skipped : int
        Points already done (or failed, without ``retry_failed``) before this sweep.
    n_run : int
        Points run by this sweep.
    n_done, n_failed : int
        Rows of the study's points with each status after the sweep.
    n_reset : int
        Rows left 'running' by a coordinator that died, run again.
    wall_time : float
        Seconds.
    backend : str
    """

    study_dir: Path
    n_points: int
    n_skipped: int
    n_run: int
    n_done: int
    n_failed: int
    n_reset: int
    wall_time: float
    backend: str

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.n_run / self.wall_time if self.wall_time > 0 else math.nan


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextlib.contextmanager
def coordinator_lock(study_dir: Path):
    """Exclusive lock of a study directory: one coordinator at a time. Released by the
    OS when the coordinator dies, so rows it left 'running' are known to be stale."""
    study_dir = Path(study_dir)
    study_dir.mkdir(parents=True, exist_ok=True)
    path = study_dir / LOCK_FILE
    try:
        import fcntl
    except ImportError:
        yield
        return
    f = open(path, "a+")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            owner = f.read().strip() or "unknown"
            raise ResultsDBError(f"{str(path)!r}: the study directory is being swept by another "
                                 f"coordinator ({owner}); wait for it to finish or stop it") from None
        f.seek(0)
        f.truncate()
        f.write(_me() + "\n")
        f.flush()
        yield
    finally:
        f.close()


def sweep(study, study_dir=None, *, backend=None, workers: int | None = None, scheduler=None,
          retry_failed: bool = False, progress: bool = True, limit: int | None = None) -> SweepSummary:
    """Run every point of a study that is not done yet, and record the results.

    Parameters
    ----------
    study : str, path-like or Study
        A study file, a study directory (its ``study.toml``) or a parsed study.
    study_dir : str or path-like, optional
        Where the database and the run directories go. Default: the study file's path
        without its suffix (``studies/init.toml`` -> ``studies/init/``).
    backend : ProcessPoolBackend or DaskBackend, optional
        Default: :func:`~purernn.sweep.backends.make_backend` (`workers`, `scheduler`).
    workers : int, optional
        Worker processes (default: the number of cores).
    scheduler : str, optional
        ``"HOST:PORT"`` of a Dask scheduler, or ``"local-dask"``.
    retry_failed : bool
        Also run the points that failed before.
    progress : bool
        A tqdm bar over points, with an ETA.
    limit : int, optional
        Run at most this many points (the first ones in run order, see below), e.g. for a
        trial.

    Points run realization by realization: the first seed of every condition, then the
    second, and so on (grid order within a seed). A study stopped half-way therefore has
    the same number of realizations, give or take one, in every condition.

    Returns
    -------
    SweepSummary

    Raises
    ------
    ValidationError
        Invalid study file.
    ResultsDBError
        The database is corrupt or locked, or another coordinator is sweeping the same
        study directory.

    Notes
    -----
    Points already 'done' are skipped; 'failed' ones are skipped unless
    `retry_failed`. Rows left 'running' by a coordinator that died are run again: the
    coordinator holds an exclusive lock on the study directory while it works, so at
    start any 'running' row is stale. Each row is keyed by its point id (UNIQUE, upsert),
    so nothing is duplicated; a run directory left by a killed worker is resumed from its
    checkpoint or, if complete, just measured.
    """
    if not isinstance(study, Study):
        src = Path(study)
        if study_dir is None:
            study_dir = src if src.is_dir() else default_study_dir(src)
        study = load_study(src)
    elif study_dir is None:
        fail("study_dir", "given when `study` is a parsed Study", None)
    study_dir = Path(study_dir)
    backend = backend or make_backend(workers=workers, scheduler=scheduler)
    if limit is not None:
        limit = check_int("limit", limit, lo=0)
    t0 = time.perf_counter()
    me = _me()
    with coordinator_lock(study_dir), ResultsDB(study_dir / DB_FILE) as db:
        _write_study_copy(study_dir, study)
        n_reset = db.reset_running()
        if n_reset:
            logger.warning("%d point(s) left 'running' by a coordinator that died: running them again",
                           n_reset)
        db.add_points(study.points)
        # what this sweep resolved the study to: a report redraws exactly these points,
        # even after a library upgrade changes a default (and with it the point ids)
        db.set_meta("points", [p.point_id for p in study.points])
        db.set_meta("study_name", study.name)
        status = db.status(p.point_id for p in study.points)
        wanted = ("pending", "failed") if retry_failed else ("pending",)
        todo = run_order([p for p in study.points if status.get(p.point_id) in wanted],
                         study.grid["seed"])
        n_skipped = len(study.points) - len(todo)
        if limit is not None:
            todo = todo[:limit]
        logger.info("study %s: %d points, %d to run, %d skipped, on %s", study.name,
                    len(study.points), len(todo), n_skipped, backend.describe())
        specs = [{"point_id": p.point_id, "config": p.config,
                  "run_dir": str((study_dir / RUNS_DIR / p.point_id).resolve()),
                  "record": study.record} for p in todo]
        pending = {s["point_id"] for s in specs}
        n_run = 0
        bar = tqdm(total=len(specs), disable=not progress, desc=study.name, unit="run",
                   dynamic_ncols=True)
        try:
            if specs:
                db.mark_running(list(pending), me)
            for spec, row in backend.run(specs):
                if row["status"] == "interrupted":
                    continue  # left pending (below); resumed from its checkpoint next time
                row["coordinator"] = me
                db.record(row)
                pending.discard(spec["point_id"])
                n_run += 1
                bar.update(1)
                if row["status"] == "failed":
                    logger.warning("point %s failed: %s", spec["point_id"],
                                   (row.get("error") or "").splitlines()[0])
        finally:
            bar.close()
            if pending:  # interrupted: these can run next time
                with contextlib.suppress(ResultsDBError):
                    db.mark_pending(list(pending))
        final = db.status(p.point_id for p in study.points)
    vals = list(final.values())
    return SweepSummary(study_dir=study_dir, n_points=len(study.points), n_skipped=n_skipped,
                        n_run=n_run, n_done=vals.count("done"), n_failed=vals.count("failed"),
                        n_reset=n_reset, wall_time=time.perf_counter() - t0,
                        backend=backend.describe())


def _write_study_copy(study_dir: Path, study: Study) -> None:
    path = study_dir / STUDY_FILE
    if path.exists():
        if path.read_text(encoding="utf-8") == study.source:
            return
        logger.warning("%s differs from the study being swept; replacing it (rows of the old "
                       "points stay in the database)", path)
    write_text(path, study.source)
