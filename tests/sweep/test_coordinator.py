"""The coordinator: what runs, in which order, and recovery from kills and Ctrl-C.

The fast tests run the points in this process (InProcessBackend) and recreate what a
killed coordinator or a Ctrl-C leaves behind; the tests marked slow kill and interrupt
real coordinator and worker processes.
"""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import purernn.sweep.worker as worker
from purernn.errors import ValidationError
from purernn.runs import read_run_json
from purernn.sweep import (
    DB_FILE,
    ProcessPoolBackend,
    ResultsDB,
    ResultsDBError,
    coordinator_lock,
    load_study,
    parse_study,
    run_point,
    sweep,
)

from .helpers import InProcessBackend, comparable, count, db_rows, poll, tiny_text, write_study


def _spec(study_dir, point, study):
    return {"point_id": point.point_id, "config": point.config,
            "run_dir": str((study_dir / "runs" / point.point_id).resolve()), "record": study.record}


def _interrupted_run_point(spec, monkeypatch, at_step=3):
    """run_point stopped by a Ctrl-C after `at_step` steps (training saves a checkpoint)."""
    train = worker.train

    def ctrl_c(*args, **kwargs):
        def cb(event):
            if event.step == at_step:
                raise KeyboardInterrupt
        return train(*args, callbacks=[cb], **kwargs)

    with monkeypatch.context() as m:
        m.setattr(worker, "train", ctrl_c)
        return run_point(spec)


def test_sweep_records_every_point_and_a_second_sweep_skips_them(tmp_path):
    study = write_study(tmp_path, n_seeds=2)
    backend = InProcessBackend()
    s = sweep(study, backend=backend, progress=False, limit=3)
    assert (s.n_points, s.n_run, s.n_done, s.n_skipped) == (4, 3, 3, 0)
    parsed = load_study(study)
    # realization by realization: seed 0 of both conditions first
    assert backend.ran == [p.point_id for p in sorted(parsed.points, key=lambda p: (p.seed, p.index))][:3]
    s = sweep(study, backend=InProcessBackend(), progress=False)
    assert (s.n_run, s.n_skipped, s.n_done) == (1, 3, 4)
    rows = db_rows(tmp_path / "tiny")
    assert all(r["status"] == "done" and r["attempts"] == 1 for r in rows)
    assert sorted(p.name for p in (tmp_path / "tiny" / "runs").iterdir()) == sorted(r["point_id"] for r in rows)
    assert (tmp_path / "tiny" / "study.toml").read_text() == study.read_text()

    s = sweep(study, backend=InProcessBackend(), progress=False)
    assert (s.n_run, s.n_skipped) == (0, 4)
    assert db_rows(tmp_path / "tiny") == rows  # nothing changed


def test_failed_points_are_kept_and_retried_on_request(tmp_path):
    study = write_study(tmp_path, extra="[tasks.and]\nnoise_sigma = 0.0\n")
    study.write_text(study.read_text().replace("n_rec = 8", "n_rec = 8\ngain = 1e6"))  # diverges at once
    s = sweep(study, backend=InProcessBackend(), progress=False)
    assert (s.n_failed, s.n_done) == (2, 0)
    assert all("ConvergenceError" in r["error"] for r in db_rows(tmp_path / "tiny"))
    assert sweep(study, backend=InProcessBackend(), progress=False).n_run == 0  # failed ones are skipped
    s = sweep(study, backend=InProcessBackend(), progress=False, retry_failed=True)
    assert (s.n_run, s.n_failed) == (2, 2)
    assert [r["attempts"] for r in db_rows(tmp_path / "tiny")] == [2, 2]


def test_what_a_killed_coordinator_left_is_run_again_once(tmp_path, monkeypatch):
    path = write_study(tmp_path, n_seeds=2, n_steps=6, extra="", checkpoint_every=2)
    study = load_study(path)
    sweep(path, tmp_path / "plain", backend=InProcessBackend(), progress=False)
    # the state a SIGKILLed coordinator leaves: every row 'running', one point's run
    # complete but not recorded, one interrupted by its (killed) worker at a checkpoint
    study_dir = tmp_path / "tiny"
    with ResultsDB(study_dir / DB_FILE) as db:
        db.add_points(study.points)
        db.mark_running([p.point_id for p in study.points], "deadhost:1")
    done, cut = study.points[0], study.points[1]
    assert run_point(_spec(study_dir, done, study))["status"] == "done"
    assert _interrupted_run_point(_spec(study_dir, cut, study), monkeypatch)["status"] == "interrupted"

    s = sweep(path, backend=InProcessBackend(), progress=False)
    assert (s.n_reset, s.n_run, s.n_done, s.n_failed) == (4, 4, 4, 0)
    rows = db_rows(study_dir)
    how = {r["point_id"]: json.loads(r["worker"])["how"] for r in rows}
    assert how[done.point_id] == "loaded" and how[cut.point_id] == "resumed"
    assert sorted(how.values()).count("trained") == 2
    assert [r["attempts"] for r in rows] == [2, 2, 2, 2]
    assert comparable([{**r, "attempts": 1} for r in rows]) == comparable(db_rows(tmp_path / "plain"))


def test_ctrl_c_leaves_points_pending_and_the_next_sweep_resumes(tmp_path, monkeypatch):
    path = write_study(tmp_path, n_seeds=2, n_steps=6, checkpoint_every=2)
    sweep(path, tmp_path / "plain", backend=InProcessBackend(), progress=False)
    calls = []

    def worker_fn(spec):  # Ctrl-C reaches the second point's worker, then the coordinator
        calls.append(spec["point_id"])
        if len(calls) == 2:
            return _interrupted_run_point(spec, monkeypatch)
        return run_point(spec)

    db_path = tmp_path / "tiny" / DB_FILE
    s = sweep(path, backend=InProcessBackend(worker_fn, interrupt_after=2), progress=False)
    assert s.interrupted and (s.n_done, s.n_pending) == (1, 3)
    assert "Interrupted (Ctrl-C)" in s.describe() and "run the same sweep again" in s.describe()
    assert (count(db_path, "done"), count(db_path, "running"), count(db_path, "pending")) == (1, 0, 3)
    # the interrupted point counts one attempt; the two never started count none
    assert sorted(r["attempts"] for r in db_rows(tmp_path / "tiny")) == [0, 0, 1, 1]
    assert read_run_json(tmp_path / "tiny" / "runs" / calls[1])["status"] == "interrupted"

    s = sweep(path, backend=InProcessBackend(), progress=False)
    assert (s.n_skipped, s.n_run, s.n_done, s.n_failed) == (1, 3, 4, 0)
    rows = db_rows(tmp_path / "tiny")
    assert {r["point_id"]: json.loads(r["worker"])["how"] for r in rows}[calls[1]] == "resumed"
    assert comparable([{**r, "attempts": 1} for r in rows]) == comparable(db_rows(tmp_path / "plain"))


def test_second_coordinator_is_refused(tmp_path):
    study = write_study(tmp_path)
    with coordinator_lock(tmp_path / "tiny"):
        with pytest.raises(ResultsDBError, match="another coordinator"):
            sweep(study, backend=InProcessBackend(), progress=False)


def test_a_parsed_study_needs_its_directory(tmp_path):
    with pytest.raises(ValidationError, match="study_dir"):
        sweep(parse_study(tiny_text()), backend=InProcessBackend(), progress=False)
    with pytest.raises(ValidationError, match="limit"):
        sweep(write_study(tmp_path), backend=InProcessBackend(), progress=False, limit=-1)


# ---------------------------------------------------------------------------------------
# Real processes: SIGKILL, a killed pool worker, Ctrl-C
# ---------------------------------------------------------------------------------------


def _gone(pgid) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_killed_coordinator_then_resume_runs_every_point_once(tmp_path):
    study = write_study(tmp_path, n_seeds=3, n_steps=40)  # 6 points of ~1 s
    db_path = tmp_path / "tiny" / DB_FILE
    code = ("import sys; from purernn.sweep import sweep\n"
            "if __name__ == '__main__':\n"
            f"    sweep({str(study)!r}, workers=1, progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        poll(lambda: count(db_path, "done") >= 1, 60, "a first finished point")
        os.kill(proc.pid, signal.SIGKILL)  # the coordinator only; its worker is orphaned
        proc.wait(10)
        assert count(db_path, "running") >= 1 and count(db_path, "done") < 6
        s = sweep(study, workers=1, progress=False)
    finally:
        # the orphaned worker's watchdog ends it at its next check
        t0 = time.monotonic()
        while not _gone(proc.pid) and time.monotonic() - t0 < 20:
            time.sleep(0.1)
        if not _gone(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("the orphaned worker did not exit")
    assert s.n_reset >= 1 and s.n_done == 6 and s.n_failed == 0
    ids = [r["point_id"] for r in db_rows(tmp_path / "tiny")]
    assert len(ids) == len(set(ids)) == 6
    assert sorted(p.name for p in (tmp_path / "tiny" / "runs").iterdir()) == sorted(ids)


@pytest.mark.slow
def test_killed_worker_breaks_the_pool_and_its_points_are_run_again(tmp_path):
    study = write_study(tmp_path, n_seeds=2, n_steps=40)
    db_path = tmp_path / "tiny" / DB_FILE
    killed = []

    def killer():
        poll(lambda: count(db_path, "running") >= 1 and multiprocessing.active_children(), 60,
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
    rows = db_rows(tmp_path / "tiny")
    assert len(rows) == 4 and sorted(r["attempts"] for r in rows) == [1, 1, 1, 2]  # one point charged


@pytest.mark.slow
def test_ctrl_c_of_a_sweep_command_leaves_points_pending_and_says_so(tmp_path):
    # 2 points of a few seconds each: long enough that both are seen training at once
    study = write_study(tmp_path, n_seeds=1, n_steps=3000)
    db_path = tmp_path / "tiny" / DB_FILE
    # SIG_DFL in the child: a shell's background job inherits SIGINT ignored, and Python
    # then installs no KeyboardInterrupt handler; a terminal's foreground job has it
    proc = subprocess.Popen([sys.executable, "-m", "purernn", "sweep", str(study), "--workers", "2", "--quiet"],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    runs = tmp_path / "tiny" / "runs"
    try:
        # both workers have written their first checkpoint: training is under way
        poll(lambda: runs.is_dir() and sum(1 for _ in runs.glob("*/checkpoint*.npz")) >= 2, 60,
             "training to start")
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()  # reap it and close the pipe
    assert proc.returncode == 130, (out, err)
    assert "Interrupted (Ctrl-C)" in out and "run the same sweep again" in out
    assert "Traceback" not in err and "leaked" not in err, err
    assert count(db_path, "done") < 2 and count(db_path, "running") == 0
    s = sweep(study, workers=2, progress=False)
    assert (s.n_run, s.n_done, s.n_failed) == (2 - s.n_skipped, 2, 0)
    workers = [json.loads(r["worker"])["how"] for r in db_rows(tmp_path / "tiny")]
    assert "resumed" in workers or "loaded" in workers


@pytest.mark.slow
def test_ctrl_c_while_the_sweep_command_starts_prints_no_traceback(tmp_path):
    # points still running at the last Ctrl-C: no early stop (the tiny AND task reaches
    # its criterion in seconds), and more steps than 4 s hold
    study = write_study(tmp_path, n_seeds=1, n_steps=60000)
    study.write_text(study.read_text().replace("[train]\n", "[train]\nstop_at_criterion = false\n"))
    for delay in (0.5, 2.0, 4.0):  # imports, worker start-up, first steps
        proc = subprocess.Popen([sys.executable, "-m", "purernn", "sweep", str(study), "--workers", "2",
                                 "--quiet"], start_new_session=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
        assert proc.returncode in (130, -signal.SIGINT), (delay, out, err)
        assert "Traceback" not in err and "leaked" not in err, (delay, err)
        assert count(tmp_path / "tiny" / DB_FILE, "running") == 0


def test_ctrl_c_after_the_last_point_says_that_every_point_finished(tmp_path, caplog):
    """A Ctrl-C that arrives when every point has run stops nothing: the sweep is not
    interrupted and the warning says so, instead of "unfinished points stay pending"."""
    path = write_study(tmp_path)  # 2 points
    with caplog.at_level("WARNING", logger="purernn.sweep.coordinator"):
        s = sweep(path, backend=InProcessBackend(interrupt_after=2), progress=False)
    assert not s.interrupted and (s.n_done, s.n_pending) == (2, 0)
    assert "every point had finished" in caplog.text and "stay pending" not in caplog.text
