"""Backends: the process pool's resubmission after a worker died, Dask, identical rows.

The fast tests run the pool's scheduling on an in-process executor that breaks the way
a process pool does when a worker is killed; the tests marked slow spawn real worker
processes and Dask clusters.
"""

import concurrent.futures as cf
import json
import os
import sys
import threading
import time
import types

import pytest

from purernn.errors import PurernnError, ValidationError
from purernn.sweep import (DB_FILE, DaskBackend, NoWorkersError, ProcessPoolBackend, ResultsDB, load_study,
                           make_backend, rows_for_study, sweep)

from .helpers import (InProcessBackend, InProcessPoolBackend, WorkerKilled, comparable, count, db_rows, poll,
                      write_study)


def _echo(spec):
    return {"point_id": spec["point_id"], "status": "done"}


def test_a_killed_worker_loses_only_the_point_it_was_running():
    calls = []

    def fn(spec):
        calls.append(spec["point_id"])
        if spec["point_id"] == "p1":
            raise WorkerKilled  # its worker dies while p2 waits for a free worker
        return _echo(spec)

    backend = InProcessPoolBackend(workers=2, worker_fn=fn)
    got = {spec["point_id"]: row for spec, row in backend.run([{"point_id": f"p{i}"} for i in range(3)])}
    assert {k: r["status"] for k, r in got.items()} == {"p0": "done", "p1": "lost", "p2": "done"}
    assert got["p1"]["error"].startswith("WorkerDied")
    assert calls == ["p0", "p1", "p2"]  # p2 was never started on the dying worker
    assert backend.pools == 2  # p2 went to the surviving worker; no pool was shared


def test_only_the_points_running_on_dead_workers_are_charged(tmp_path):
    """Two unrelated worker deaths: the two points that were running are run again (one
    attempt more each), the points waiting for a worker are not touched, nothing fails."""
    from purernn.sweep import run_point

    study = write_study(tmp_path, n_seeds=2)  # 4 points
    sweep(study, tmp_path / "plain", backend=InProcessBackend(), progress=False)
    killed = []

    def fn(spec):
        if spec["point_id"] in victims and spec["point_id"] not in killed:
            killed.append(spec["point_id"])
            raise WorkerKilled
        return run_point(spec)

    ids = [r["point_id"] for r in db_rows(tmp_path / "plain")]
    victims = {ids[1], ids[2]}
    s = sweep(study, tmp_path / "killed", backend=InProcessPoolBackend(workers=2, max_crashes=2, worker_fn=fn),
              progress=False)
    assert sorted(killed) == sorted(victims)
    assert (s.n_done, s.n_failed, s.n_pending, s.failed) == (4, 0, 0, ())
    rows = db_rows(tmp_path / "killed")
    assert {r["point_id"]: r["attempts"] for r in rows} == {i: 2 if i in victims else 1 for i in ids}
    assert comparable([{**r, "attempts": 1} for r in rows]) == comparable(db_rows(tmp_path / "plain"))


def test_a_point_that_keeps_killing_workers_is_marked_failed_with_a_retry_hint(tmp_path):
    from purernn.sweep import run_point

    study = write_study(tmp_path, n_seeds=2)
    ids = [p.point_id for p in load_study(study).points]

    def fn(spec):
        if spec["point_id"] == ids[0]:
            raise WorkerKilled
        return run_point(spec)

    s = sweep(study, backend=InProcessPoolBackend(workers=1, max_crashes=2, worker_fn=fn), progress=False)
    assert (s.n_done, s.n_failed) == (3, 1)
    rows = {r["point_id"]: r for r in db_rows(tmp_path / "tiny")}
    assert rows[ids[0]]["status"] == "failed" and "died 2 times" in rows[ids[0]]["error"]
    assert rows[ids[0]]["attempts"] == 2 and all(rows[i]["attempts"] == 1 for i in ids[1:])
    assert [f[0] for f in s.failed] == [ids[0]] and s.failed[0][2].startswith("WorkerDied")
    text = s.describe()
    assert "1 failed" in text and ids[0] in text and "--retry-failed" in text

    s = sweep(study, backend=InProcessBackend(), progress=False, retry_failed=True)  # the hint works
    assert (s.n_run, s.n_done, s.n_failed) == (1, 4, 0) and "retry" not in s.describe()


def test_a_sweep_whose_worker_was_killed_gives_the_rows_of_an_undisturbed_one(tmp_path):
    from purernn.sweep import run_point

    study = write_study(tmp_path, n_seeds=2)
    sweep(study, tmp_path / "plain", backend=InProcessBackend(), progress=False)
    killed = []

    def fn(spec):
        if not killed:
            killed.append(spec["point_id"])
            raise WorkerKilled
        return run_point(spec)

    s = sweep(study, tmp_path / "killed", backend=InProcessPoolBackend(workers=1, max_crashes=3, worker_fn=fn),
              progress=False)
    assert killed and (s.n_done, s.n_failed) == (4, 0)
    rows = db_rows(tmp_path / "killed")
    assert [r["attempts"] for r in rows if r["point_id"] in killed] == [2]
    assert comparable([{**r, "attempts": 1} for r in rows]) == comparable(db_rows(tmp_path / "plain"))


class _FakeAsCompleted:
    """distributed.as_completed on concurrent.futures futures (the calls DaskBackend makes)."""

    def __init__(self, futures=(), loop=None):
        self.futures = list(futures)

    def add(self, fut):
        self.futures.append(fut)

    def has_ready(self):
        return any(f.done() for f in self.futures)

    def next_batch(self, block=True):
        done = [f for f in self.futures if f.done()]
        self.futures = [f for f in self.futures if not f.done()]
        return done


class _FakeDaskClient:
    """Runs each submitted point at once; points in `lost` come back as KilledWorker, those
    in `cancelled` are cancelled once (a scheduler that forgot them), those in `stuck` never
    finish; `workers` is what the scheduler reports as connected."""

    loop = None

    def __init__(self, lost=(), cancelled=(), stuck=(), workers=1):
        self.lost, self.cancelled_once, self.stuck = set(lost), set(cancelled), set(stuck)
        self.workers = workers
        self.submitted, self.cancelled = [], []

    def submit(self, fn, spec, *, key, pure):
        self.submitted.append((key, pure))
        fut = cf.Future()
        pid = spec["point_id"]
        if pid in self.lost:
            fut.set_exception(type("KilledWorker", (Exception,), {})(f"attempted to run task {key} 3 times"))
        elif pid in self.cancelled_once:
            self.cancelled_once.discard(pid)
            fut.cancel()
            fut.set_running_or_notify_cancel()
        elif pid not in self.stuck:
            fut.set_result(fn(spec))
        return fut

    def nthreads(self):
        return {f"tcp://127.0.0.1:{4000 + i}": 1 for i in range(self.workers)}

    def cancel(self, futures):
        self.cancelled.extend(futures)


@pytest.fixture
def fake_distributed(monkeypatch):
    fake = types.ModuleType("distributed")
    fake.as_completed = _FakeAsCompleted
    monkeypatch.setitem(sys.modules, "distributed", fake)


def test_dask_backend_submits_every_point_and_fails_lost_ones(tmp_path, fake_distributed):
    study = write_study(tmp_path, n_seeds=2)
    sweep(study, tmp_path / "plain", backend=InProcessBackend(), progress=False)
    ids = [r["point_id"] for r in db_rows(tmp_path / "plain")]

    client = _FakeDaskClient()
    s = sweep(study, tmp_path / "dask", backend=DaskBackend(client), progress=False)
    assert (s.n_run, s.n_done, s.backend) == (4, 4, "Dask (given client)")
    assert sorted(client.submitted) == sorted((f"purernn-point-{i}", False) for i in ids)
    assert comparable(db_rows(tmp_path / "dask")) == comparable(db_rows(tmp_path / "plain"))

    client = _FakeDaskClient(lost=ids[:1])
    s = sweep(study, tmp_path / "lost", backend=DaskBackend(client), progress=False)
    assert (s.n_done, s.n_failed) == (3, 1)
    failed = [r for r in db_rows(tmp_path / "lost") if r["status"] == "failed"]
    assert [r["point_id"] for r in failed] == ids[:1] and failed[0]["error"].startswith("KilledWorker")


def test_dask_points_lost_by_the_cluster_are_run_again(tmp_path, fake_distributed):
    study = write_study(tmp_path, n_seeds=2)
    ids = [p.point_id for p in load_study(study).points]
    client = _FakeDaskClient(cancelled=ids[1:3])
    s = sweep(study, backend=DaskBackend(client, poll=0.01), progress=False)
    assert (s.n_done, s.n_failed, s.n_pending) == (4, 0, 0)
    attempts = {r["point_id"]: r["attempts"] for r in db_rows(tmp_path / "tiny")}
    assert attempts == {i: 2 if i in ids[1:3] else 1 for i in ids}


def test_dask_without_workers_stops_after_the_timeout_with_rows_pending(tmp_path, fake_distributed):
    study = write_study(tmp_path, n_seeds=2)
    ids = [p.point_id for p in load_study(study).points]
    client = _FakeDaskClient(stuck=ids[2:], workers=0)  # the workers died with two points
    t0 = time.monotonic()
    with pytest.raises(NoWorkersError, match=r"no Dask worker .* for 0.3 s.*2 unfinished point"):
        sweep(study, backend=DaskBackend(client, no_worker_timeout=0.3, poll=0.02), progress=False)
    assert time.monotonic() - t0 < 10
    rows = {r["point_id"]: r["status"] for r in db_rows(tmp_path / "tiny")}
    assert sorted(rows.values()) == ["done", "done", "pending", "pending"]  # none left 'running'
    assert len(client.cancelled) == 2  # nothing is left on the cluster


def test_dask_backend_without_dask_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    backend = DaskBackend("local-dask", workers=1)
    with pytest.raises(PurernnError, match=r"purernn\[cluster\]"):
        list(backend.run([]))


def test_make_backend_follows_the_cli_options():
    pool = make_backend(workers=3)
    assert isinstance(pool, ProcessPoolBackend) and pool.describe() == "local process pool, 3 worker(s)"
    assert make_backend(scheduler="tcp://10.0.0.1:8786").describe() == "Dask (tcp://10.0.0.1:8786)"
    assert isinstance(make_backend(scheduler="local-dask", workers=2), DaskBackend)
    with pytest.raises(ValidationError, match="HOST:PORT"):
        make_backend(scheduler="10.0.0.1")
    with pytest.raises(ValidationError, match="workers"):
        make_backend(workers=0)


# ---------------------------------------------------------------------------------------
# Real worker processes and Dask clusters
# ---------------------------------------------------------------------------------------


def _die_on_the_first_point(spec):
    """A worker function that kills its own process (like a segfault or the OOM killer) on
    the point with seed 0 and init normal, and runs the others."""
    from purernn.sweep import run_point

    if spec["config"]["train"]["seed"] == 0 and spec["config"]["network"]["init"] == "normal":
        os._exit(3)
    return run_point(spec)


@pytest.mark.slow
def test_a_point_that_keeps_killing_worker_processes_is_marked_failed(tmp_path):
    study = write_study(tmp_path, n_seeds=2)
    backend = ProcessPoolBackend(workers=2, max_crashes=2, worker_fn=_die_on_the_first_point)
    s = sweep(study, backend=backend, progress=False)
    assert (s.n_done, s.n_failed, s.n_pending) == (3, 1, 0)
    rows = db_rows(tmp_path / "tiny")
    (bad,) = [r for r in rows if r["status"] == "failed"]
    assert "died 2 times" in bad["error"] and bad["attempts"] == 2
    assert all(r["attempts"] == 1 for r in rows if r is not bad)  # the others never charged


@pytest.mark.slow
def test_process_pool_and_dask_give_identical_rows(tmp_path):
    distributed = pytest.importorskip("distributed")
    study = write_study(tmp_path)
    s1 = sweep(study, tmp_path / "pool", workers=2, progress=False)
    assert (s1.n_points, s1.n_run, s1.n_done, s1.n_failed) == (2, 2, 2, 0)
    pool_rows = db_rows(tmp_path / "pool")
    # each worker used one Numba and one BLAS thread, from its start (environment)
    for r in pool_rows:
        w = json.loads(r["worker"])
        assert w["numba_threads"] == 1 and w["env"]["OPENBLAS_NUM_THREADS"] == "1"
        assert w["blas_threads_at_start"] == [1] and w["blas_threads"] == [1]

    # A Dask LocalCluster on loopback TCP, its worker a thread of this process (fast to
    # start); bounded by the cluster's own timeouts.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster, timeout="20s") as client:
        s2 = sweep(study, tmp_path / "dask", backend=DaskBackend(client), progress=False)
    assert (s2.n_run, s2.n_done) == (2, 2)
    assert comparable(pool_rows) == comparable(db_rows(tmp_path / "dask"))
    assert [r["point_id"] for r in rows_for_study(tmp_path / "dask")] == [r["point_id"] for r in pool_rows]
    assert all(r["status"] == "done" and r["eigenvalues"] for r in pool_rows)

    # an in-process run gives the same rows as the spawned workers
    sweep(study, tmp_path / "here", backend=InProcessBackend(), progress=False)
    assert comparable(db_rows(tmp_path / "here")) == comparable(pool_rows)

    # re-running skips finished points and changes nothing
    s3 = sweep(study, tmp_path / "pool", workers=2, progress=False)
    assert (s3.n_skipped, s3.n_run) == (2, 0)
    with ResultsDB(tmp_path / "pool" / DB_FILE) as db:
        assert db.rows() == pool_rows


@pytest.mark.slow
def test_local_dask_cluster_of_processes_matches_the_pool(tmp_path):
    """``--scheduler local-dask``: a LocalCluster of worker processes (nannies) on loopback."""
    pytest.importorskip("distributed")
    study = write_study(tmp_path)
    sweep(study, tmp_path / "pool", workers=1, progress=False)
    s = sweep(study, tmp_path / "dask", scheduler="local-dask", workers=1, progress=False)
    assert (s.n_run, s.n_done) == (2, 2)
    rows = {name: db_rows(tmp_path / name) for name in ("pool", "dask")}
    assert comparable(rows["pool"]) == comparable(rows["dask"])
    for r in rows["dask"]:
        assert json.loads(r["worker"])["blas_threads_at_start"] == [1]


@pytest.mark.slow
def test_a_dask_cluster_that_loses_its_workers_stops_with_its_rows_pending(tmp_path):
    distributed = pytest.importorskip("distributed")
    study = write_study(tmp_path, n_seeds=1, n_steps=3000)  # 2 points of a few seconds
    runs = tmp_path / "tiny" / "runs"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, timeout="20s") as client:
        def lose_the_workers():
            poll(lambda: runs.is_dir() and any(runs.glob("*/checkpoint*.npz")), 120, "a point to start")
            cluster.scale(0)

        killer = threading.Thread(target=lose_the_workers)
        killer.start()
        t0 = time.monotonic()
        with pytest.raises(NoWorkersError, match="no Dask worker"):
            sweep(study, backend=DaskBackend(client, no_worker_timeout=3.0, poll=0.1), progress=False)
        killer.join()
        assert time.monotonic() - t0 < 90
    db_path = tmp_path / "tiny" / DB_FILE
    assert (count(db_path, "running"), count(db_path, "pending")) == (0, 2)
    s = sweep(study, backend=InProcessBackend(), progress=False)  # and the next sweep finishes them
    assert (s.n_done, s.n_failed) == (2, 0)
