"""Where the points of a sweep run: a local process pool, or a Dask cluster.

A backend has a ``name``, ``describe()`` (one line for logs and summaries) and
``run(specs)``, a generator of ``(spec, row)`` pairs in the order the points finish, one
per spec it started. `specs` is a list, or a callable ``take()`` returning the next spec
to start or None (nothing to start now): a backend calls it only when it can start a
point at once, so the coordinator knows when each point starts and can stop starting
them (Ctrl-C). A row's ``status`` is ``"done"`` or ``"failed"``
(:func:`purernn.sweep.worker.run_point`), ``"interrupted"`` (Ctrl-C reached the worker;
its run directory holds a checkpoint) or ``"lost"`` (the worker running it died or
vanished, :func:`lost_row`): the coordinator decides whether to run a lost point again.
A backend that receives Ctrl-C stops starting points, lets the running ones save a
checkpoint and return, and then raises KeyboardInterrupt.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool

from ..errors import PurernnError
from .._validate import check_int, check_number, fail
from .worker import THREAD_ENV, failed_row, limit_threads, run_point

__all__ = ["ProcessPoolBackend", "DaskBackend", "NoWorkersError", "make_backend", "lost_row"]

logger = logging.getLogger(__name__)


class NoWorkersError(PurernnError, RuntimeError):
    """No worker has been available to a Dask backend for longer than its timeout."""


def lost_row(spec: dict, error: str) -> dict:
    """The row of a point whose worker died or vanished while it ran (not recorded: the
    coordinator runs the point again, or marks it failed after too many such deaths)."""
    return {"point_id": spec["point_id"], "status": "lost", "error": error}


def _taker(specs):
    """`specs` as a ``take()`` callable (a list is taken in order)."""
    if callable(specs):
        return specs
    it = iter(list(specs))
    return lambda: next(it, None)


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


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore SIGINT while worker processes are spawned: they inherit it ignored, so a
    Ctrl-C while they import NumPy and Numba prints no traceback. (Training installs its
    own handler, so a Ctrl-C still stops a training worker after its current step.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _init_worker() -> None:
    """Process-pool initializer (the pool is started with THREAD_ENV in the environment).

    Also starts a watchdog that ends this worker when its coordinator dies: an idle
    worker would otherwise wait on its task queue forever (it holds that pipe's write end
    itself, so it never sees end-of-file), and a busy one would finish a point that the
    next coordinator runs again. Training writes only atomic checkpoints, so ending a
    worker at any moment leaves a run directory that the next attempt resumes.
    """
    limit_threads()
    # tqdm would create a multiprocessing lock in each worker: a worker stopped with
    # SIGTERM (after a Ctrl-C's grace period) would leave it behind, and the resource
    # tracker warn about "leaked semaphore objects"; the bars are off anyway
    from tqdm.auto import tqdm

    tqdm.set_lock(threading.RLock())
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="purernn-orphan-watchdog", daemon=True).start()


class ProcessPoolBackend:
    """Run points on local worker processes, one ``concurrent.futures`` pool per worker.

    Parameters
    ----------
    workers : int or None
        Number of worker processes (default: the number of cores).
    max_crashes : int
        A point whose worker died this many times while running it (killed, out of
        memory) is marked failed instead of being run again (by the coordinator).
    worker_fn : callable, optional
        What each worker runs for a point (default :func:`purernn.sweep.worker.run_point`);
        a module-level function, so that spawned workers can import it.
    grace : float
        Seconds the running points get, after a Ctrl-C, to save a checkpoint and return
        before their workers are stopped (SIGTERM; the run directories then keep their
        last periodic checkpoint). A worker still starting up when Ctrl-C came ignores it.

    Notes
    -----
    Workers are started with the ``spawn`` method, with
    :data:`~purernn.sweep.worker.THREAD_ENV` in their environment, so each uses one Numba
    and one BLAS thread (checked in each worker and recorded in the row's ``worker``
    column). Each worker is its own single-process pool and gets a point only when it is
    free, so a killed worker (``BrokenProcessPool``) loses exactly the point it was
    running: that point comes back as a ``"lost"`` row, the worker is replaced, and the
    other workers go on. Each worker ends itself when its coordinator dies (a watchdog
    thread).
    """

    name = "process-pool"

    def __init__(self, workers: int | None = None, max_crashes: int = 2, *, worker_fn=None,
                 grace: float = 10.0):
        self.workers = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, lo=1)
        self.max_crashes = check_int("max_crashes", max_crashes, lo=1)
        self.worker_fn = run_point if worker_fn is None else worker_fn
        self.grace = check_number("grace", grace, lo=0.0)

    def describe(self) -> str:
        return f"local process pool, {self.workers} worker(s)"

    def _executor(self, max_workers: int):
        """A new pool of `max_workers` spawned worker processes."""
        return cf.ProcessPoolExecutor(max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_init_worker)

    def run(self, specs):
        """Yield (spec, row) for every point started, as the points finish."""
        with _thread_env():  # workers are spawned lazily, at submit: keep it all along
            yield from self._run(_taker(specs))

    def _run(self, take):
        pools: list = [None] * self.workers  # one single-worker pool per slot
        running: dict = {}  # future -> (slot, spec)
        deadline = None  # set by a Ctrl-C: the running points' time to stop
        try:
            while True:
                busy = {slot for slot, _ in running.values()}
                for slot in range(self.workers):
                    if deadline is not None or slot in busy:
                        continue
                    spec = take()
                    if spec is None:
                        break
                    with _sigint_ignored():
                        if pools[slot] is None:
                            pools[slot] = self._executor(1)
                        fut = pools[slot].submit(self.worker_fn, spec)
                    running[fut] = (slot, spec)
                if not running:
                    break
                try:
                    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                    done, _ = cf.wait(running, timeout=timeout, return_when=cf.FIRST_COMPLETED)
                except KeyboardInterrupt:
                    if deadline is not None:
                        raise  # a second Ctrl-C: stop at once
                    deadline = time.monotonic() + self.grace
                    logger.warning("Ctrl-C: %d running point(s) save a checkpoint and stop within "
                                   "%g s (Ctrl-C again to stop them at once)", len(running), self.grace)
                    continue
                if not done:  # the grace period is over
                    break
                for fut in done:
                    slot, spec = running.pop(fut)
                    try:
                        row = fut.result()
                    except BrokenProcessPool:
                        pools[slot].shutdown(wait=True)
                        pools[slot] = None
                        row = lost_row(spec, "WorkerDied: the worker process died while running this "
                                             "point (killed, or out of memory)")
                    except KeyboardInterrupt:  # Ctrl-C outside training, in the worker
                        row = {"point_id": spec["point_id"], "status": "interrupted"}
                    except Exception as err:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        row = failed_row(spec, f"{type(err).__name__}: {err}")
                    yield spec, row
        finally:
            for pool in pools:
                if pool is None:
                    continue
                if running:
                    # Ctrl-C or an error in the coordinator: stop the points under way now;
                    # their run directories keep the last checkpoint, which the next
                    # sweep resumes
                    for proc in list((getattr(pool, "_processes", None) or {}).values()):
                        proc.terminate()
                pool.shutdown(wait=True, cancel_futures=True)
        if deadline is not None:
            raise KeyboardInterrupt


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
    no_worker_timeout : float
        Seconds without any worker connected to the scheduler after which the sweep
        stops with :class:`NoWorkersError` (its unfinished points are left pending).
    max_crashes : int
        A point lost this many times (its future cancelled, e.g. when the scheduler
        restarted) is marked failed.
    poll : float
        Seconds between checks of the cluster while no point finishes.

    Notes
    -----
    The workers must see the study directory at the same path (a shared file system)
    and have purernn installed. When a worker dies, Dask runs its points again on the
    others (its ``allowed-failures`` setting); a point that kills workers repeatedly
    comes back as ``KilledWorker`` and is marked failed. When every worker is gone the
    points wait on the scheduler for a new one, for at most `no_worker_timeout`
    seconds. Dask's nannies start workers with one OpenMP / BLAS thread;
    :func:`~purernn.sweep.worker.run_point` also limits Numba and BLAS to one thread.
    ``dask.distributed`` is imported only when the backend runs.
    """

    name = "dask"

    def __init__(self, scheduler, workers: int | None = None, *, no_worker_timeout: float = 120.0,
                 max_crashes: int = 2, poll: float = 0.5):
        self.scheduler = scheduler
        self.workers = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, lo=1)
        self.no_worker_timeout = check_number("no_worker_timeout", no_worker_timeout, lo=0.0)
        self.max_crashes = check_int("max_crashes", max_crashes, lo=1)
        self.poll = check_number("poll", poll, lo=0.0, lo_open=True)

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
            with _thread_env(), _sigint_ignored():
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

    def _n_workers(self, client) -> int:
        try:
            return len(client.nthreads())
        except Exception:  # noqa: BLE001 - the scheduler is unreachable: no worker either
            return 0

    def run(self, specs):
        """Yield (spec, row) for every point started, as the points finish."""
        take = _taker(specs)
        with self._client() as client:
            from distributed import as_completed

            futures: dict = {}
            pending = as_completed(loop=client.loop)
            since = None  # when the cluster was last seen without workers
            stopping = False
            try:
                while True:
                    while not stopping and (spec := take()) is not None:
                        fut = client.submit(run_point, spec, key=f"purernn-point-{spec['point_id']}",
                                            pure=False)
                        futures[fut] = spec
                        pending.add(fut)
                    if not futures:
                        break
                    try:
                        ready = pending.next_batch(block=False) if pending.has_ready() else []
                        if not ready:
                            time.sleep(self.poll)
                    except KeyboardInterrupt:
                        if stopping:
                            raise
                        stopping = True
                        logger.warning("Ctrl-C: stopping the sweep; the running points stay pending")
                        break
                    for fut in ready:
                        spec = futures.pop(fut)
                        yield spec, self._row(fut, spec)
                    if ready:
                        since = None
                    elif self._n_workers(client) > 0:
                        since = None
                    elif since is None:
                        since = time.monotonic()
                    elif time.monotonic() - since > self.no_worker_timeout:
                        raise NoWorkersError(
                            f"no Dask worker has been connected to the scheduler ({self.describe()}) "
                            f"for {self.no_worker_timeout:g} s; the sweep stops and its "
                            f"{len(futures)} unfinished point(s) stay pending. Start workers and run "
                            "the same sweep again (a longer wait: DaskBackend(no_worker_timeout=...)).")
            finally:
                client.cancel(list(futures))
            if stopping:
                raise KeyboardInterrupt

    @staticmethod
    def _row(fut, spec) -> dict:
        try:
            return fut.result()
        except cf.CancelledError as err:  # the scheduler forgot it (restarted, or it was cancelled)
            return lost_row(spec, f"{type(err).__name__}: the point's task was lost by the cluster ({err})")
        except Exception as err:  # noqa: BLE001 - KilledWorker, an error of the worker, ...
            return failed_row(spec, f"{type(err).__name__}: {err}")


def make_backend(*, workers=None, scheduler=None, no_worker_timeout: float | None = None):
    """The backend for the CLI options: a process pool, or Dask when `scheduler` is set."""
    if scheduler is None:
        return ProcessPoolBackend(workers)
    if isinstance(scheduler, str) and scheduler != "local-dask":
        host, _, port = scheduler.rpartition("://")[2].rpartition(":")
        if not host or not port.isdigit():
            fail("scheduler", "'HOST:PORT' of a Dask scheduler or 'local-dask'", scheduler)
    kw = {} if no_worker_timeout is None else {"no_worker_timeout": no_worker_timeout}
    return DaskBackend(scheduler, workers, **kw)
