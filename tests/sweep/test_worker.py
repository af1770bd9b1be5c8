"""One point in a worker: train, measure, reuse or resume its run directory, fail cleanly."""

import json

import numpy as np

import purernn.sweep.worker as worker
from purernn.runs import load_run, read_run_json
from purernn.config import stream_rng
from purernn.model import Network
from purernn.sweep import parse_study, run_point
from purernn.sweep.worker import limit_threads

from .helpers import tiny_text


def _spec(point, run_dir, **record):
    return {"point_id": point.point_id, "config": point.config, "run_dir": str(run_dir),
            "record": {"evaluate_trials": 16, "eigenvalues": True, "degradation": False, **record}}


def _measured(row):
    """The row without what depends on when, where and how (trained, loaded) it ran."""
    return {k: v for k, v in row.items() if k not in ("wall_time", "train_time", "started_utc",
                                                      "finished_utc", "worker")}


def test_run_point_trains_measures_and_then_reuses_the_run(tmp_path):
    point = parse_study(tiny_text()).points[1]
    spec = _spec(point, tmp_path / "run")
    row = run_point(spec)
    assert row["status"] == "done", row.get("error")
    assert row["worker"]["how"] == "trained" and row["worker"]["numba_threads"] == 1
    assert row["n_steps"] == 2 and row["stop_reason"] == "max_steps"
    assert 0.0 <= row["accuracy"] <= 1.0 and row["reached_criterion"] == (row["accuracy"] >= row["target_accuracy"])
    assert len(row["eigenvalues"]) == 8 and all(len(pair) == 2 for pair in row["eigenvalues"])
    radius = max(abs(complex(*pair)) for pair in row["eigenvalues"])
    assert np.isclose(radius, row["spectral_radius"])
    json.dumps(row, allow_nan=False)  # every value is plain JSON

    # the initial network is drawn from the seed's init stream with the point's keywords
    result = load_run(tmp_path / "run")
    kw = dict(point.config["network"])
    n_rec = kw.pop("n_rec")
    expected = Network.create(result.task.n_in, n_rec, result.task.n_out, seed=stream_rng(0, "init"), **kw)
    assert np.array_equal(result.net_init.params["W_rec"], expected.params["W_rec"])

    again = run_point(spec)  # a complete run is only measured again
    assert again["worker"]["how"] == "loaded"
    assert _measured(again) == _measured(row)


def test_an_interrupted_point_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    point = parse_study(tiny_text(n_steps=6, checkpoint_every=2)).points[0]
    plain = run_point(_spec(point, tmp_path / "plain"))

    def ctrl_c_at_step_3(*args, **kwargs):  # as the SIGINT handler of a worker would stop it
        def cb(event):
            if event.step == 3:
                raise KeyboardInterrupt
        return train(*args, callbacks=[cb], **kwargs)

    train = worker.train
    monkeypatch.setattr(worker, "train", ctrl_c_at_step_3)
    row = run_point(_spec(point, tmp_path / "run"))
    assert row["status"] == "interrupted" and "accuracy" not in row
    assert read_run_json(tmp_path / "run")["status"] == "interrupted"
    monkeypatch.undo()

    resumed = run_point(_spec(point, tmp_path / "run"))
    assert resumed["worker"]["how"] == "resumed"
    assert _measured(resumed) == _measured(plain)
    a, b = load_run(tmp_path / "plain"), load_run(tmp_path / "run")
    for name in a.net.params:
        assert np.array_equal(a.net.params[name], b.net.params[name])


def test_recorded_measurements_follow_the_record_table(tmp_path):
    point = parse_study(tiny_text()).points[0]
    row = run_point(_spec(point, tmp_path / "run", eigenvalues=False,
                          degradation={"fractions": [0.0, 0.5], "n_draws": 2, "n_trials": 8}))
    assert row["status"] == "done", row.get("error")
    assert "eigenvalues" not in row and "eigenvalues_init" not in row
    d = row["degradation"]
    assert d["mode"] == "units" and d["fractions"] == [0.0, 0.5] and d["n_trials"] == 8
    assert np.asarray(d["accuracy"]).shape == (2, 2)


def test_a_failing_point_is_a_failed_row_not_an_exception(tmp_path):
    text = tiny_text().replace("n_rec = 8", "n_rec = 8\ngain = 1e6") + "[tasks.and]\nnoise_sigma = 0.0\n"
    point = parse_study(text).points[0]
    row = run_point(_spec(point, tmp_path / "run"))
    assert row["status"] == "failed" and "ConvergenceError" in row["error"]
    assert row["finished_utc"].endswith("Z") and row["worker"]["pid"] > 0


def test_limit_threads_leaves_one_numba_and_one_blas_thread():
    info = limit_threads()
    assert info["numba_threads"] == 1
    assert set(info["blas_threads"]) <= {1}
    assert set(info["env"]) == set(worker.THREAD_ENV)
