"""Where the points of a sweep run: a local process pool, or a Dask cluster.

A backend has a ``name``, ``describe()`` (one line for logs and summaries) and
``run(specs)``, a generator of ``(spec, row)`` pairs in the order the points finish,
one per spec; a point whose worker died or whose result was lost comes back as a failed
row (:func:`purernn.sweep.worker.failed_row`), so the coordinator sees every spec once.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures.process import BrokenProcessPool

from ..errors import PurernnError
from .._validate import check_int, fail
from .worker import THREAD_ENV, failed_row, limit_threads, run_point

__all__ = ["ProcessPoolBackend", "DaskBackend", "make_backend"]

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def _thread_env():
    """THREAD_ENV in os.environ while worker processes are spawned (they inherit it and
    read it when they import NumPy and Numba, before any code of ours runs)."""
    old = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update(THREAD_ENV)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _init_worker() -> None:
    """Process-pool initializer (the pool is started with THREAD_ENV in the environment).

    Also starts a watchdog that ends this worker when its coordinator dies: an idle
    worker would otherwise wait on its task queue forever (it holds that pipe's write end
    itself, so it never sees end-of-file), and a busy one would finish a point that the
    next coordinator runs again. Training writes only atomic checkpoints, so ending a
    worker at any moment leaves a run directory that the next attempt resumes.
    """
    limit_threads()
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="purernn-orphan-watchdog", daemon=True).start()


class ProcessPoolBackend:
    """Run points on a local ``concurrent.futures.ProcessPoolExecutor``.

    Parameters
    ----------
    workers : int or None
        Number of worker processes (default: the number of cores).
    max_crashes : int
        A point whose worker died this many times (killed, out of memory) is marked
        failed instead of being retried.
    worker_fn : callable, optional
        What each worker runs for a point (default :func:`purernn.sweep.worker.run_point`);
        a module-level function, so that spawned workers can import it.

    Notes
    -----
    Workers are started with the ``spawn`` method, with
    :data:`~purernn.sweep.worker.THREAD_ENV` in their environment, so each uses one Numba
    and one BLAS thread (checked in each worker and recorded in the row's ``worker``
    column). A killed worker breaks the pool (``BrokenProcessPool``): the points it was
    running or had queued are resubmitted to a new pool. Each worker ends itself when its
    coordinator dies (a watchdog thread).
    """

    name = "process-pool"

    def __init__(self, workers: int | None = None, max_crashes: int = 2, *, worker_fn=None):
        self.workers = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, lo=1)
        self.max_crashes = check_int("max_crashes", max_crashes, lo=1)
        self.worker_fn = run_point if worker_fn is None else worker_fn

    def describe(self) -> str:
        return f"local process pool, {self.workers} worker(s)"

    def _executor(self, max_workers: int):
        """A new pool of `max_workers` spawned worker processes."""
        return cf.ProcessPoolExecutor(max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_init_worker)

    def run(self, specs: list):
        """Yield (spec, row) for every spec as the points finish."""
        with _thread_env():  # workers are spawned lazily, at submit: keep it all along
            yield from self._run(specs)

    def _run(self, specs: list):
        crashes: dict = {}
        todo = list(specs)
        while todo:
            pool = self._executor(min(self.workers, len(todo)))
            broken = []
            finished = False
            try:
                futures = {pool.submit(self.worker_fn, s): s for s in todo}
                for fut in cf.as_completed(futures):
                    spec = futures[fut]
                    try:
                        row = fut.result()
                    except BrokenProcessPool:
                        broken.append(spec)
                        continue
                    except Exception as err:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        row = failed_row(spec, f"{type(err).__name__}: {err}")
                    yield spec, row
                finished = True
            finally:
                if not finished:
                    # Ctrl-C or an error in the coordinator: stop the points under way
                    # now (queued ones would otherwise start); their run directories keep
                    # the last checkpoint, which the next sweep resumes
                    for proc in list((getattr(pool, "_processes", None) or {}).values()):
                        proc.terminate()
                pool.shutdown(wait=True, cancel_futures=True)
            todo = []
            if broken:
                logger.warning("a worker process died; %d point(s) are run again", len(broken))
            for spec in broken:
                n = crashes[spec["point_id"]] = crashes.get(spec["point_id"], 0) + 1
                if n >= self.max_crashes:
                    yield spec, failed_row(spec, f"WorkerDied: the worker process died {n} times "
                                                 "while this point was running or queued (killed, "
                                                 "or out of memory)")
                else:
                    todo.append(spec)


class DaskBackend:
    """Run points on a Dask distributed cluster (optional extra ``purernn[cluster]``).

    Parameters
    ----------
    scheduler : str or dask.distributed.Client
        ``"HOST:PORT"`` (or ``"tcp://HOST:PORT"``) of a running scheduler,
        ``"local-dask"`` for a LocalCluster of `workers` single-threaded processes on
        this machine, or a connected Client.
    workers : int or None
        Workers of the local cluster (default: the number of cores).

    Notes
    -----
    The workers must see the study directory at the same path (a shared file system)
    and have purernn installed. Dask retries a point whose worker died (its
    ``allowed-failures`` setting); a point that kills workers repeatedly comes back as
    ``KilledWorker`` and is marked failed. Dask's nannies start workers with one
    OpenMP / BLAS thread; :func:`~purernn.sweep.worker.run_point` also limits Numba and
    BLAS to one thread. ``dask.distributed`` is imported only when the backend runs.
    """

    name = "dask"

    def __init__(self, scheduler, workers: int | None = None):
        self.scheduler = scheduler
        self.workers = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, lo=1)

    def describe(self) -> str:
        s = self.scheduler if isinstance(self.scheduler, str) else "given client"
        return f"Dask ({s})"

    @contextlib.contextmanager
    def _client(self):
        try:
            import distributed
        except ImportError as err:
            raise PurernnError(
                "the Dask backend needs dask.distributed, which is not installed. Install the "
                "optional extra: pip install 'purernn[cluster]' (or run without --scheduler to "
                "use the local process pool)") from err
        if not isinstance(self.scheduler, str):
            yield self.scheduler
            return
        if self.scheduler == "local-dask":
            with _thread_env():
                cluster = distributed.LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None)
            try:
                with distributed.Client(cluster) as client:
                    yield client
            finally:
                cluster.close()
            return
        addr = self.scheduler if "://" in self.scheduler else f"tcp://{self.scheduler}"
        with distributed.Client(addr, timeout="30s") as client:
            yield client

    def run(self, specs: list):
        """Yield (spec, row) for every spec as the points finish."""
        with self._client() as client:
            from distributed import as_completed

            futures = {}
            for s in specs:
                fut = client.submit(run_point, s, key=f"purernn-point-{s['point_id']}", pure=False)
                futures[fut] = s
            try:
                for fut in as_completed(list(futures)):
                    spec = futures[fut]
                    try:
                        row = fut.result()
                    except Exception as err:  # noqa: BLE001 - KilledWorker, lost data, ...
                        row = failed_row(spec, f"{type(err).__name__}: {err}")
                    yield spec, row
            finally:
                client.cancel(list(futures))


def make_backend(*, workers=None, scheduler=None):
    """The backend for the CLI options: a process pool, or Dask when `scheduler` is set."""
    if scheduler is None:
        return ProcessPoolBackend(workers)
    if isinstance(scheduler, str) and scheduler != "local-dask":
        host, _, port = scheduler.rpartition("://")[2].rpartition(":")
        if not host or not port.isdigit():
            fail("scheduler", "'HOST:PORT' of a Dask scheduler or 'local-dask'", scheduler)
    return DaskBackend(scheduler, workers)
