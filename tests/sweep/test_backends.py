"""Backends: the process pool's resubmission after a worker died, Dask, identical rows.

The fast tests run the pool's scheduling on an in-process executor that breaks the way
a process pool does when a worker is killed; the tests marked slow spawn real worker
processes and Dask clusters.
"""

import concurrent.futures as cf
import json
import os
import sys
import types

import pytest

from purernn.errors import PurernnError, ValidationError
from purernn.sweep import DB_FILE, DaskBackend, ProcessPoolBackend, ResultsDB, make_backend, rows_for_study, sweep

from .helpers import InProcessBackend, InProcessPoolBackend, WorkerKilled, comparable, db_rows, write_study


def _echo(spec):
    return {"point_id": spec["point_id"], "status": "done"}


def test_points_of_a_killed_worker_are_resubmitted_once_each():
    calls = []

    def fn(spec):
        calls.append(spec["point_id"])
        if spec["point_id"] == "p1" and calls.count("p1") == 1:
            raise WorkerKilled  # its worker dies: the pool breaks, p2 was still queued
        return _echo(spec)

    backend = InProcessPoolBackend(workers=2, max_crashes=2, worker_fn=fn)
    got = [(spec["point_id"], row["status"]) for spec, row in backend.run([{"point_id": f"p{i}"} for i in range(3)])]
    assert sorted(got) == [("p0", "done"), ("p1", "done"), ("p2", "done")]
    assert calls[:2] == ["p0", "p1"] and sorted(calls[2:]) == ["p1", "p2"] and backend.pools == 2


def test_a_point_that_keeps_killing_workers_is_marked_failed():
    def fn(spec):
        raise WorkerKilled

    backend = InProcessPoolBackend(workers=1, max_crashes=2, worker_fn=fn)
    rows = [row for _, row in backend.run([{"point_id": f"p{i}"} for i in range(2)])]
    assert sorted(r["point_id"] for r in rows) == ["p0", "p1"] and backend.pools == 2
    for r in rows:
        assert r["status"] == "failed" and "died 2 times" in r["error"]


def test_an_exception_handed_back_by_the_pool_is_a_failed_row():
    def fn(spec):
        raise TypeError("cannot pickle '_thread.lock' object")  # e.g. an unpicklable result

    (spec, row), = InProcessPoolBackend(workers=1, worker_fn=fn).run([{"point_id": "p0"}])
    assert row["status"] == "failed" and row["error"].startswith("TypeError: cannot pickle")


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
    assert comparable(db_rows(tmp_path / "killed")) == comparable(db_rows(tmp_path / "plain"))


class _FakeDaskClient:
    """Runs each submitted point at once; points in `lost` come back as KilledWorker."""

    def __init__(self, lost=()):
        self.lost = set(lost)
        self.submitted, self.cancelled = [], []

    def submit(self, fn, spec, *, key, pure):
        self.submitted.append((key, pure))
        fut = cf.Future()
        if spec["point_id"] in self.lost:
            fut.set_exception(type("KilledWorker", (Exception,), {})(f"attempted to run task {key} 3 times"))
        else:
            fut.set_result(fn(spec))
        return fut

    def cancel(self, futures):
        self.cancelled.extend(futures)


def test_dask_backend_submits_every_point_and_fails_lost_ones(tmp_path, monkeypatch):
    fake = types.ModuleType("distributed")
    fake.as_completed = cf.as_completed
    monkeypatch.setitem(sys.modules, "distributed", fake)
    study = write_study(tmp_path, n_seeds=2)
    sweep(study, tmp_path / "plain", backend=InProcessBackend(), progress=False)
    ids = [r["point_id"] for r in db_rows(tmp_path / "plain")]

    client = _FakeDaskClient()
    s = sweep(study, tmp_path / "dask", backend=DaskBackend(client), progress=False)
    assert (s.n_run, s.n_done, s.backend) == (4, 4, "Dask (given client)")
    assert sorted(client.submitted) == sorted((f"purernn-point-{i}", False) for i in ids)
    assert len(client.cancelled) == 4  # nothing is left on the cluster
    assert comparable(db_rows(tmp_path / "dask")) == comparable(db_rows(tmp_path / "plain"))

    client = _FakeDaskClient(lost=ids[:1])
    s = sweep(study, tmp_path / "lost", backend=DaskBackend(client), progress=False)
    assert (s.n_done, s.n_failed) == (3, 1)
    failed = [r for r in db_rows(tmp_path / "lost") if r["status"] == "failed"]
    assert [r["point_id"] for r in failed] == ids[:1] and failed[0]["error"].startswith("KilledWorker")


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


def _die(spec):
    """A worker function that kills its own process, like a segfault or the OOM killer."""
    os._exit(3)


@pytest.mark.slow
def test_a_point_that_keeps_killing_worker_processes_is_marked_failed():
    backend = ProcessPoolBackend(workers=1, max_crashes=2, worker_fn=_die)
    rows = [row for _, row in backend.run([{"point_id": f"p{i}"} for i in range(2)])]
    assert sorted(r["point_id"] for r in rows) == ["p0", "p1"]
    for r in rows:
        assert r["status"] == "failed" and "died 2 times" in r["error"]


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
