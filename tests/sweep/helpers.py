"""A tiny study, in-process backends and small utilities shared by the sweep tests."""

import concurrent.futures as cf
import sqlite3
import textwrap
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest

from purernn.sweep import DB_FILE, TIMING_COLUMNS, ProcessPoolBackend, ResultsDB, parse_study, run_point

# A tiny grid: 8-unit networks, 2 optimizer steps of 4 trials, small validation and
# evaluation sets. Each point trains in a few milliseconds once compiled.
TINY = """
[study]
name = "tiny"
[grid]
task = ["and"]
init = ["normal", "orthogonal"]
seed = {start = 0, count = %(n_seeds)d}
[network]
n_rec = 8
[train]
regime = "fresh"
n_steps = %(n_steps)d
batch_size = 4
n_valid = 8
eval_every = 50
checkpoint_every = %(checkpoint_every)d
[record]
evaluate_trials = 16
"""


def tiny_text(n_seeds=1, n_steps=2, checkpoint_every=10) -> str:
    return TINY % {"n_seeds": n_seeds, "n_steps": n_steps, "checkpoint_every": checkpoint_every}


def write_study(tmp_path: Path, name="tiny", n_seeds=1, n_steps=2, extra="", checkpoint_every=10) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(tiny_text(n_seeds, n_steps, checkpoint_every) + extra)
    return path


def comparable(rows):
    """Rows without the columns that depend on when and where a point ran."""
    return [{k: v for k, v in r.items() if k not in TIMING_COLUMNS} for r in rows]


def db_rows(study_dir: Path) -> list:
    with ResultsDB(study_dir / DB_FILE) as db:
        return db.rows()


class InProcessBackend:
    """Runs the points one after the other in this process (the fast tests' backend).

    `interrupt_after`: raise KeyboardInterrupt (a Ctrl-C reaching the coordinator) once
    that many rows have been yielded.
    """

    name = "in-process"

    def __init__(self, worker_fn=run_point, *, interrupt_after=None):
        self.worker_fn = worker_fn
        self.interrupt_after = interrupt_after
        self.ran = []

    def describe(self) -> str:
        return "in-process"

    def run(self, specs):
        take = specs if callable(specs) else iter(list(specs) + [None]).__next__  # None: no more
        k = 0
        while True:
            if k == self.interrupt_after:
                raise KeyboardInterrupt
            spec = take()
            if spec is None:
                return
            k += 1
            self.ran.append(spec["point_id"])
            yield spec, self.worker_fn(spec)


class WorkerKilled(Exception):
    """Raised by a test's worker function where a real worker process would die."""


class BreakablePool(cf.Executor):
    """An executor that runs each call at once, in this thread, and breaks like a process
    pool whose worker was killed: the call that raises WorkerKilled and every call
    submitted after it fail with BrokenProcessPool."""

    def __init__(self):
        self.broken = False

    def submit(self, fn, *args, **kwargs):
        fut = cf.Future()
        if not self.broken:
            try:
                fut.set_result(fn(*args, **kwargs))
                return fut
            except WorkerKilled:
                self.broken = True
            except Exception as err:  # noqa: BLE001 - as a pool hands it back
                fut.set_exception(err)
                return fut
        fut.set_exception(BrokenProcessPool("a process in the process pool was terminated abruptly"))
        return fut


class InProcessPoolBackend(ProcessPoolBackend):
    """ProcessPoolBackend's scheduling (resubmission, crash counts) on BreakablePool
    executors instead of spawned processes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pools = 0

    def _executor(self, max_workers: int):
        assert max_workers == 1  # one pool per worker: a death breaks only its own
        self.pools += 1
        return BreakablePool()


def count(db_path, status) -> int:
    """Rows with `status`, read with a plain connection (0 while the file is not there)."""
    try:
        con = sqlite3.connect(db_path, timeout=1)
        try:
            return con.execute("SELECT COUNT(*) FROM points WHERE status = ?", (status,)).fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def poll(predicate, timeout, what):
    """Wait until `predicate()`; fail the test after `timeout` seconds (a hang guard)."""
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


FIXTURE_STUDY = textwrap.dedent("""
    [study]
    name = "fixture"
    [grid]
    task = ["xor"]
    init = ["normal", "orthogonal"]
    dale = [0.5, 0.8]
    n_rec = [10, 20]
    seed = {start = 0, count = 3}
    [record]
    degradation = {fractions = [0.0, 0.5], n_draws = 2}
    """)


def fixture_study(tmp_path) -> Path:
    """A study directory whose database holds made-up rows (no training): 24 points, the
    sixth failed, eigenvalues in a disk (normal) or on a ring (orthogonal)."""
    study_dir = tmp_path / "fixture"
    study_dir.mkdir()
    (study_dir / "study.toml").write_text(FIXTURE_STUDY)
    study = parse_study(FIXTURE_STUDY)
    rng = np.random.default_rng(0)
    with ResultsDB(study_dir / DB_FILE) as db:
        db.add_points(study.points)
        for k, p in enumerate(study.points):
            if k == 5:
                db.record({"point_id": p.point_id, "status": "failed", "error": "ConvergenceError: boom"})
                continue
            n = p.config["network"]["n_rec"]
            r = 0.8 if p.condition["init"] == "normal" else 0.9
            ang = rng.uniform(0, 2 * np.pi, n)
            rad = r * (np.sqrt(rng.uniform(0, 1, n)) if p.condition["init"] == "normal" else 1.0)
            eigs = [[float(a), float(b)] for a, b in zip(rad * np.cos(ang), rad * np.sin(ang))]
            eigs[0] = [1.2, 0.0]
            db.record({"point_id": p.point_id, "status": "done", "accuracy": 1.0 - 0.1 * (k % 2),
                       "reached_criterion": k % 2 == 0, "n_steps": 100, "spectral_radius": 1.2,
                       "dominant_re": 1.2, "dominant_im": 0.0, "dominant_class": "real_outside",
                       "bulk_radius": r, "inner_radius": 0.1 if r == 0.8 else 0.9,
                       "bulk_shape": "disk" if r == 0.8 else "ring", "eigenvalues": eigs,
                       "eigenvalues_init": eigs,
                       "degradation": {"mode": "units", "fractions": [0.0, 0.5],
                                       "accuracy": [[1.0, 1.0], [0.6, 0.4]], "baseline": 1.0,
                                       "n_trials": 10}})
    return study_dir
