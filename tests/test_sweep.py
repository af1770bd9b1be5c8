"""Studies: study files, the results database, backends, resume after kills, report."""

import argparse
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from purernn.errors import PurernnError, ValidationError
from purernn.sweep import (
    DB_FILE,
    TIMING_COLUMNS,
    DaskBackend,
    ProcessPoolBackend,
    ResultsDB,
    ResultsDBError,
    add_sweep_commands,
    coordinator_lock,
    parse_study,
    rows_for_study,
    run_order,
    sweep,
)

# A tiny grid: 8-unit networks, 2 optimizer steps of 4 trials, small validation and
# evaluation sets. Each point trains in well under a second once compiled.
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
checkpoint_every = 10
[record]
evaluate_trials = 16
"""


def write_study(tmp_path: Path, name="tiny", n_seeds=1, n_steps=2, extra="") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(TINY % {"n_seeds": n_seeds, "n_steps": n_steps} + extra)
    return path


def comparable(rows):
    """Rows without the columns that depend on when and where a point ran."""
    return [{k: v for k, v in r.items() if k not in TIMING_COLUMNS} for r in rows]


# ---------------------------------------------------------------------------------------
# Study files
# ---------------------------------------------------------------------------------------


def test_study_grid_expands_with_stable_ids(tmp_path):
    text = TINY % {"n_seeds": 3, "n_steps": 2} + '\n[tasks.and]\nnoise_sigma = 0.0\n'
    study = parse_study(text.replace('task = ["and"]', 'task = ["and", "xor"]\ndale = ["none", 0.8]'))
    assert len(study.points) == 2 * 2 * 2 * 3
    ids = [p.point_id for p in study.points]
    assert len(set(ids)) == len(ids)
    assert ids == [p.point_id for p in parse_study(study.source).points]  # deterministic
    first = study.points[0]
    assert first.condition == {"task": "and", "init": "normal", "dale": None}
    assert first.config["network"]["n_rec"] == 8 and first.config["train"]["seed"] == 0
    assert first.config["task"]["noise_sigma"] == 0.0
    xor = next(p for p in study.points if p.condition["task"] == "xor")
    assert xor.config["task"]["noise_sigma"] != 0.0  # the override is per task
    assert study.axes == ("task", "dale", "init")  # the file's order


def test_points_run_realization_by_realization():
    study = parse_study((TINY % {"n_seeds": 3, "n_steps": 2}).replace('task = ["and"]', 'task = ["and", "xor"]'))
    order = run_order(study.points, study.grid["seed"])
    assert sorted(p.index for p in order) == list(range(12))
    # seeds outermost: the first 4 points are seed 0 of the 4 conditions, in grid order
    assert [p.seed for p in order] == [0] * 4 + [1] * 4 + [2] * 4
    assert [p.index for p in order[:4]] == sorted(p.index for p in study.points if p.seed == 0)
    # a condition that already has seeds 0 and 1 done waits until the others caught up
    lead = study.points[0].condition
    left = [p for p in study.points if not (p.condition == lead and p.seed < 2)]
    firsts = run_order(left, study.grid["seed"])[:3]
    assert {p.seed for p in firsts} == {0} and lead not in [p.condition for p in firsts]


@pytest.mark.parametrize("bad, words", [
    ('[grid]\ntask = ["and"]\nlearning_rate = [0.1]\n', ["grid.learning_rate", "lr", "n_rec", "init"]),
    ('[grid]\ntask = ["and"]\n[train]\nseed = 3\n', ["train.seed", "n_steps"]),
    ('[grid]\ntask = ["and"]\n[grids]\n', ["grids", "record"]),
    ('[grid]\ntask = ["nand"]\n', ["grid.task", "xor"]),
    ('[grid]\ntask = ["and"]\n[record]\nspectra = true\n', ["record.spectra", "eigenvalues"]),
    ('[grid]\ntask = ["and"]\ngain = [1.0, 1.0]\n', ["grid.gain", "repeated"]),
    ('[grid]\ntask = ["and"]\ngain = [-1.0]\n', ["gain"]),
    ('[grid]\ntask = ["and"]\nlr = [0.1]\n[train]\nlr = 0.2\n', ["grid.lr", "one place"]),
    ('[grid\n', ["TOML"]),
])
def test_study_validation_errors_list_valid_keys(bad, words):
    with pytest.raises(ValidationError) as err:
        parse_study(bad)
    for w in words:
        assert w in str(err.value)


# ---------------------------------------------------------------------------------------
# Backends give the same rows; resume; kills
# ---------------------------------------------------------------------------------------


def test_process_pool_and_dask_give_identical_rows(tmp_path):
    distributed = pytest.importorskip("distributed")
    study = write_study(tmp_path)
    s1 = sweep(study, tmp_path / "pool", workers=2, progress=False)
    assert (s1.n_points, s1.n_run, s1.n_done, s1.n_failed) == (2, 2, 2, 0)
    with ResultsDB(tmp_path / "pool" / DB_FILE) as db:
        pool_rows = db.rows()
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
    with ResultsDB(tmp_path / "dask" / DB_FILE) as db:
        dask_rows = db.rows()
    assert comparable(pool_rows) == comparable(dask_rows)
    assert [r["point_id"] for r in rows_for_study(tmp_path / "dask")] == [r["point_id"] for r in pool_rows]
    assert all(r["status"] == "done" and r["eigenvalues"] for r in pool_rows)

    # re-running skips finished points and changes nothing
    s3 = sweep(study, tmp_path / "pool", workers=2, progress=False)
    assert (s3.n_skipped, s3.n_run) == (2, 0)
    with ResultsDB(tmp_path / "pool" / DB_FILE) as db:
        assert db.rows() == pool_rows


def test_failed_points_are_kept_and_retried_on_request(tmp_path):
    study = write_study(tmp_path, extra="[tasks.and]\nnoise_sigma = 0.0\n")
    text = study.read_text().replace("n_rec = 8", "n_rec = 8\ngain = 1e6")  # diverges at once
    study.write_text(text)
    s = sweep(study, workers=1, progress=False)
    assert (s.n_failed, s.n_done) == (2, 0)
    with ResultsDB(tmp_path / "tiny" / DB_FILE) as db:
        rows = db.rows()
    assert all("ConvergenceError" in r["error"] for r in rows)
    assert sweep(study, workers=1, progress=False).n_run == 0  # failed ones are skipped
    s = sweep(study, workers=1, progress=False, retry_failed=True)
    assert (s.n_run, s.n_failed) == (2, 2)
    with ResultsDB(tmp_path / "tiny" / DB_FILE) as db:
        assert [r["attempts"] for r in db.rows()] == [2, 2]


def _poll(predicate, timeout, what):
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _count(db_path, status):
    try:
        with sqlite3.connect(db_path, timeout=1) as con:
            return con.execute("SELECT COUNT(*) FROM points WHERE status = ?", (status,)).fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_coordinator_then_resume_runs_every_point_once(tmp_path):
    study = write_study(tmp_path, n_seeds=3, n_steps=40)  # 6 points of ~1 s
    db_path = tmp_path / "tiny" / DB_FILE
    code = ("import sys; from purernn.sweep import sweep\n"
            "if __name__ == '__main__':\n"
            f"    sweep({str(study)!r}, workers=1, progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _poll(lambda: _count(db_path, "done") >= 1, 60, "a first finished point")
        os.kill(proc.pid, signal.SIGKILL)  # the coordinator only; its worker is orphaned
        proc.wait(10)
        assert _count(db_path, "running") >= 1 and _count(db_path, "done") < 6
        s = sweep(study, workers=1, progress=False)
    finally:
        # the orphaned worker stops at its next step (or at once if idle)
        t0 = time.monotonic()
        while not _gone(proc.pid) and time.monotonic() - t0 < 20:
            time.sleep(0.1)
        if not _gone(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("the orphaned worker did not exit")
    assert s.n_reset >= 1 and s.n_done == 6 and s.n_failed == 0
    with sqlite3.connect(db_path) as con:
        ids = [r[0] for r in con.execute("SELECT point_id FROM points")]
    assert len(ids) == len(set(ids)) == 6
    assert sorted(p.name for p in (tmp_path / "tiny" / "runs").iterdir()) == sorted(ids)


def _gone(pgid) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_killed_worker_breaks_the_pool_and_its_points_are_run_again(tmp_path):
    study = write_study(tmp_path, n_seeds=2, n_steps=40)
    db_path = tmp_path / "tiny" / DB_FILE
    killed = []

    def killer():
        _poll(lambda: _count(db_path, "running") >= 1 and multiprocessing.active_children(), 60,
              "a running worker")
        time.sleep(0.5)
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGKILL)
            killed.append(child.pid)
            break

    t = threading.Thread(target=killer)
    t.start()
    s = sweep(study, backend=ProcessPoolBackend(workers=1, max_crashes=3), progress=False)
    t.join()
    assert killed
    assert (s.n_done, s.n_failed) == (4, 0)
    with ResultsDB(db_path) as db:
        assert len(db.rows()) == 4


def _die(spec):
    """A worker function that kills its own process, like a segfault or the OOM killer."""
    os._exit(3)


def test_a_point_that_keeps_killing_workers_is_marked_failed(tmp_path):
    backend = ProcessPoolBackend(workers=1, max_crashes=2, worker_fn=_die)
    specs = [{"point_id": f"p{i}"} for i in range(2)]
    rows = [row for _, row in backend.run(specs)]
    assert sorted(r["point_id"] for r in rows) == ["p0", "p1"]
    for r in rows:
        assert r["status"] == "failed" and "died 2 times" in r["error"]


# ---------------------------------------------------------------------------------------
# Bad databases and locks
# ---------------------------------------------------------------------------------------


def test_corrupt_database_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "results.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(ResultsDBError, match="results.sqlite") as err:
        ResultsDB(path)
    assert isinstance(err.value, PurernnError) and "corrupt" in str(err.value)
    with pytest.raises(ResultsDBError, match="results.sqlite"):
        ResultsDB(path, readonly=True)


def test_foreign_table_layout_is_refused(tmp_path):
    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE points (a INTEGER)")
    con.close()
    with pytest.raises(ResultsDBError, match="layout"):
        ResultsDB(path)


def test_locked_database_is_a_clear_error(tmp_path):
    path = tmp_path / "results.sqlite"
    ResultsDB(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(ResultsDBError, match="results.sqlite.*locked"):
            ResultsDB(path, timeout=0.1)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_second_coordinator_is_refused(tmp_path):
    study = write_study(tmp_path)
    with coordinator_lock(tmp_path / "tiny"):
        with pytest.raises(ResultsDBError, match="another coordinator"):
            sweep(study, workers=1, progress=False)


def test_dask_backend_without_dask_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    backend = DaskBackend("local-dask", workers=1)
    with pytest.raises(PurernnError, match=r"purernn\[cluster\]"):
        list(backend.run([]))


# ---------------------------------------------------------------------------------------
# Report on a fixture database (no training)
# ---------------------------------------------------------------------------------------


def _fixture_study(tmp_path) -> Path:
    text = textwrap.dedent("""
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
    study_dir = tmp_path / "fixture"
    study_dir.mkdir()
    (study_dir / "study.toml").write_text(text)
    study = parse_study(text)
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


def test_report_on_fixture_database(tmp_path):
    from purernn.report import condition_table, report

    study_dir = _fixture_study(tmp_path)
    rep = report(study_dir, fmt="markdown")
    table = {e["condition"]: e for e in rep.tables["conditions"]}
    assert len(table) == 8
    first = table["task=xor, init=normal, dale=0.5, n_rec=10"]
    assert (first["n"], first["n_done"], first["success"]) == (3, 3, 2)
    assert first["bulk_radius"] == pytest.approx(0.8) and first["real_outside"] == 3
    failed_cond = table["task=xor, init=normal, dale=0.5, n_rec=20"]
    assert (failed_cond["n_done"], failed_cond["n_failed"]) == (2, 1)
    assert rep.tables["failed"][0]["error"] == "ConvergenceError: boom"
    assert "| task=xor, init=orthogonal, dale=0.8, n_rec=20 | 3/3 |" in rep.text
    assert "Accuracy vs fraction removed" in rep.text and "| 1.00 | 0.50 |" in rep.text
    names = {p.name for p in rep.figures}
    assert {"eigenvalues.png", "dominant_classes.png", "bulk_radius_vs_dale.png",
            "bulk_radius_vs_n_rec.png", "degradation.png"} <= names
    for p in rep.figures:
        assert p.stat().st_size > 1000 and p.read_bytes()[:4] == b"\x89PNG"
    assert (study_dir / "report" / "report.md").read_text() == rep.text
    text_rep = report(study_dir, fmt="text", figures=False, out=tmp_path / "txt")
    assert text_rep.figures == () and "success" in text_rep.text
    assert condition_table([]) == []


def test_cli_commands_parse_and_report(tmp_path, capsys):
    study_dir = _fixture_study(tmp_path)
    parser = argparse.ArgumentParser(prog="purernn")
    add_sweep_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sweep", "s.toml", "--workers", "2", "--scheduler", "local-dask",
                              "--retry-failed"])
    assert (args.workers, args.scheduler, args.retry_failed, args.study_dir) == (2, "local-dask", True, None)
    args = parser.parse_args(["report", str(study_dir), "--format", "text", "--no-figures"])
    assert args.func(args) == 0
    assert "task=xor, init=normal, dale=0.5, n_rec=10" in capsys.readouterr().out


def test_cli_sweep_then_report_end_to_end(tmp_path):
    study = write_study(tmp_path)
    run = lambda *a: subprocess.run([sys.executable, "-m", "purernn", *a], capture_output=True, text=True,
                                    timeout=120, cwd=tmp_path)
    res = run("sweep", str(study), "--workers", "1", "--quiet")
    assert res.returncode == 0, res.stderr
    assert "2 points, 2 run now" in res.stdout and "2 done, 0 failed" in res.stdout
    res = run("report", str(tmp_path / "tiny"), "--format", "text")
    assert res.returncode == 0, res.stderr
    assert "task=and, init=orthogonal" in res.stdout
    assert (tmp_path / "tiny" / "report" / "eigenvalues.png").exists()
    res = run("sweep", str(tmp_path / "missing.toml"))
    assert res.returncode == 1 and "missing.toml" in res.stderr


def test_ctrl_c_leaves_points_pending_and_the_next_sweep_resumes(tmp_path):
    # 2 points of a few seconds each: long enough that both are seen training at once
    # (with 150 steps both could finish between two polls and the wait timed out)
    study = write_study(tmp_path, n_seeds=1, n_steps=3000)
    db_path = tmp_path / "tiny" / DB_FILE
    code = ("from purernn.sweep import sweep\n"
            "if __name__ == '__main__':\n"
            f"    sweep({str(study)!r}, workers=2, progress=False)\n")
    # SIG_DFL in the child: a shell's background job inherits SIGINT ignored, and Python
    # then installs no KeyboardInterrupt handler; a terminal's foreground job has it
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    runs = tmp_path / "tiny" / "runs"
    try:
        # both workers have written their first checkpoint: training is under way
        _poll(lambda: runs.is_dir() and sum(1 for _ in runs.glob("*/checkpoint.npz")) >= 2, 60,
              "training to start")
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()  # reap it and close the pipe
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert _count(db_path, "done") < 2 and _count(db_path, "running") == 0
    s = sweep(study, workers=2, progress=False)
    assert (s.n_run, s.n_done, s.n_failed) == (2 - s.n_skipped, 2, 0)
    with ResultsDB(db_path) as db:
        workers = [json.loads(r["worker"])["how"] for r in db.rows()]
    assert "resumed" in workers or "loaded" in workers


@pytest.mark.slow
def test_local_dask_cluster_of_processes_matches_the_pool(tmp_path):
    """``--scheduler local-dask``: a LocalCluster of worker processes (nannies) on loopback."""
    pytest.importorskip("distributed")
    study = write_study(tmp_path)
    sweep(study, tmp_path / "pool", workers=1, progress=False)
    s = sweep(study, tmp_path / "dask", scheduler="local-dask", workers=1, progress=False)
    assert (s.n_run, s.n_done) == (2, 2)
    rows = {}
    for name in ("pool", "dask"):
        with ResultsDB(tmp_path / name / DB_FILE) as db:
            rows[name] = db.rows()
    assert comparable(rows["pool"]) == comparable(rows["dask"])
    for r in rows["dask"]:
        assert json.loads(r["worker"])["blas_threads_at_start"] == [1]
