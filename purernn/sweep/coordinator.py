"""The coordinator of a sweep: :func:`sweep` runs the points of a study not done yet on a
backend and records their rows.

Fault tolerance: one coordinator per study directory (a lock file); rows are upserted on
their UNIQUE point id, so nothing is duplicated; rows left 'running' by a coordinator
that died are run again; a run directory left by a killed worker is resumed from its
checkpoint (or only measured, if complete). A point is marked 'running', and charged an
attempt, when a worker starts it: a killed worker costs an attempt only to the point it
was running, which is run again (up to the backend's ``max_crashes`` deaths) while the
points waiting for a worker are never touched. Ctrl-C stops starting points, lets the
running ones save a checkpoint, and leaves every unfinished point pending; the summary
says what failed and how to run it again.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import math
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .._files import describe_holder, exclusive_lock, remove_temp_files, write_text
from .._validate import check_int, fail
from .backends import make_backend
from .db import ResultsDB, ResultsDBError
from .worker import failed_row
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
        Points run to a result (done or failed) by this sweep.
    n_done, n_failed : int
        Rows of the study's points with each status after the sweep.
    n_reset : int
        Rows left 'running' by a coordinator that died, run again.
    wall_time : float
        Seconds.
    backend : str
    n_pending : int
        Rows of the study's points still to run (after a Ctrl-C or a ``limit``).
    interrupted : bool
        The sweep was stopped by Ctrl-C.
    failed : tuple of (point_id, condition label, first line of the error)
        The study's failed points.
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
    n_pending: int = 0
    interrupted: bool = False
    failed: tuple = ()

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.n_run / self.wall_time if self.wall_time > 0 else math.nan

    def describe(self, max_failed: int = 10) -> str:
        """The summary in a few lines: counts, the failed points, and how to go on."""
        lines = [f"{self.study_dir}: {self.n_points} points, {self.n_run} run now "
                 f"({self.runs_per_minute:.2f} runs/min on {self.backend}), {self.n_skipped} skipped; "
                 f"{self.n_done} done, {self.n_failed} failed, {self.n_pending} pending"]
        for point_id, label, error in self.failed[:max_failed]:
            lines.append(f"  failed: {point_id} ({label}): {error}")
        if len(self.failed) > max_failed:
            lines.append(f"  ... and {len(self.failed) - max_failed} more (purernn report lists them all)")
        if self.failed:
            lines.append("To run the failed points again: the same sweep with --retry-failed "
                         "(sweep(..., retry_failed=True)).")
        if self.interrupted:
            lines.append(f"Interrupted (Ctrl-C): the {self.n_pending} pending point(s) keep their "
                         "checkpoints; run the same sweep again to continue.")
        return "\n".join(lines)


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextlib.contextmanager
def coordinator_lock(study_dir: Path):
    """Exclusive lock of a study directory: one coordinator at a time. Released by the
    OS when the coordinator dies, so rows it left 'running' are known to be stale."""
    study_dir = Path(study_dir)
    path = study_dir / LOCK_FILE

    def held(holder):
        return ResultsDBError(f"{str(path)!r}: the study directory is being swept by another "
                              f"coordinator ({describe_holder(holder)}); wait for it to finish or stop it")

    try:
        study_dir.mkdir(parents=True, exist_ok=True)
        lock = exclusive_lock(path, on_held=held)
        lock.__enter__()
    except ResultsDBError:
        raise
    except OSError as err:
        raise ResultsDBError(f"{str(study_dir)!r}: cannot write the study directory "
                             f"({err.strerror or err})") from err
    try:
        remove_temp_files(study_dir, ("study.toml",))  # of a killed coordinator
        yield
    finally:
        lock.__exit__(None, None, None)


def sweep(study, study_dir=None, *, backend=None, workers: int | None = None, scheduler=None,
          retry_failed: bool = False, progress: bool = True, limit: int | None = None,
          no_worker_timeout: float | None = None) -> SweepSummary:
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
    no_worker_timeout : float, optional
        With a Dask scheduler: seconds without any worker after which the sweep stops
        (default 120).

    Points run realization by realization: the first seed of every condition, then the
    second, and so on (grid order within a seed). A study stopped half-way therefore has
    the same number of realizations, give or take one, in every condition.

    Returns
    -------
    SweepSummary
        Also after a Ctrl-C (``interrupted`` is then True): the points that were running
        saved a checkpoint and stay pending, as do those not started.

    Raises
    ------
    ValidationError
        Invalid study file.
    ResultsDBError
        The database is corrupt or locked, or another coordinator is sweeping the same
        study directory.
    NoWorkersError
        A Dask cluster had no worker for `no_worker_timeout` seconds (unfinished points
        stay pending).

    Notes
    -----
    Points already 'done' are skipped; 'failed' ones are skipped unless
    `retry_failed`. Rows left 'running' by a coordinator that died are run again: the
    coordinator holds an exclusive lock on the study directory while it works, so at
    start any 'running' row is stale. Each row is keyed by its point id (UNIQUE, upsert),
    so nothing is duplicated; a run directory left by a killed worker is resumed from its
    checkpoint or, if complete, just measured. A point is marked 'running' (and its
    ``attempts`` counted) when a worker starts it; a point whose worker died is run
    again, and marked failed after ``backend.max_crashes`` deaths.
    """
    if not isinstance(study, Study):
        src = Path(study)
        if study_dir is None:
            study_dir = src if src.is_dir() else default_study_dir(src)
        study = load_study(src)
    elif study_dir is None:
        fail("study_dir", "given when `study` is a parsed Study", None)
    study_dir = Path(study_dir)
    backend = backend or make_backend(workers=workers, scheduler=scheduler,
                                      no_worker_timeout=no_worker_timeout)
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
        queue = collections.deque(
            {"point_id": p.point_id, "config": p.config,
             "run_dir": str((study_dir / RUNS_DIR / p.point_id).resolve()), "record": study.record}
            for p in todo)
        n_run, interrupted = _run(db, backend, queue, me, progress, study.name)
        final = db.status(p.point_id for p in study.points)
        ids = set(final)
        failed = tuple((r["point_id"], r["label"], (r["error"] or "").splitlines()[0] if r["error"] else "")
                       for r in db.rows("failed") if r["point_id"] in ids)
    vals = list(final.values())
    summary = SweepSummary(study_dir=study_dir, n_points=len(study.points), n_skipped=n_skipped,
                           n_run=n_run, n_done=vals.count("done"), n_failed=vals.count("failed"),
                           n_reset=n_reset, wall_time=time.perf_counter() - t0,
                           backend=backend.describe(), n_pending=vals.count("pending"),
                           interrupted=interrupted, failed=failed)
    if failed:
        logger.warning("%d point(s) of study %s failed; run the sweep again with --retry-failed "
                       "(retry_failed=True) to retry them", len(failed), study.name)
    return summary


def _run(db: ResultsDB, backend, queue, me: str, progress: bool, name: str) -> tuple:
    """Feed the points of `queue` to the backend and record their rows.

    Returns (rows recorded, whether Ctrl-C stopped the sweep).
    """
    started: set = set()  # marked 'running', not recorded yet
    crashes: dict = {}
    max_crashes = int(getattr(backend, "max_crashes", 2))
    stop = False
    n_run = 0

    def take():
        if stop or not queue:
            return None
        spec = queue.popleft()
        db.mark_running([spec["point_id"]], me)
        started.add(spec["point_id"])
        return spec

    bar = tqdm(total=len(queue), disable=not progress, desc=name, unit="run", dynamic_ncols=True)
    try:
        for spec, row in backend.run(take):
            pid = spec["point_id"]
            if row["status"] == "interrupted":
                # Ctrl-C reached the workers (a terminal sends it to the whole process
                # group): start nothing more; the point resumes from its checkpoint
                stop = True
                continue
            if row["status"] == "lost":
                n = crashes[pid] = crashes.get(pid, 0) + 1
                if stop:
                    continue
                if n < max_crashes:
                    logger.warning("point %s: %s; running it again", pid, row.get("error"))
                    db.mark_pending([pid])
                    started.discard(pid)
                    queue.appendleft(spec)
                    continue
                row = failed_row(spec, f"WorkerDied: the worker process died {n} times while running "
                                       "this point (killed, or out of memory)")
            row["coordinator"] = me
            db.record(row)
            started.discard(pid)
            n_run += 1
            bar.update(1)
            if row["status"] == "failed":
                logger.warning("point %s failed: %s", pid, (row.get("error") or "").splitlines()[0])
    except KeyboardInterrupt:
        stop = True
        logger.warning("Ctrl-C: the sweep stopped; %s", "unfinished points stay pending" if started or queue
                       else "every point had finished")
    finally:
        bar.close()
        if started:  # stopped: these run next time
            with contextlib.suppress(ResultsDBError):
                db.mark_pending(list(started))
    return n_run, stop and bool(started or queue)


def _write_study_copy(study_dir: Path, study: Study) -> None:
    path = study_dir / STUDY_FILE
    if path.exists():
        if path.read_text(encoding="utf-8") == study.source:
            return
        logger.warning("%s differs from the study being swept; replacing it (rows of the old "
                       "points stay in the database)", path)
    write_text(path, study.source)
