"""One point of a study, in a worker process: train it (or resume or load its run
directory), measure it, and return its result row.

A run directory left by an earlier attempt is reused: a complete run is loaded (no
retraining), an interrupted one resumed from its checkpoint (bitwise the same result as
an uninterrupted run), anything else trained again. Each worker uses one Numba and one
BLAS thread, so that as many points run at once as there are workers.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from pathlib import Path

import numba
import numpy as np

from .. import tasks
from .._files import exclusive_lock, to_jsonable, utc_now
from ..analysis.degradation import degradation
from ..analysis.spectrum import spectrum
from ..config import TrainConfig
from ..errors import RunFileError
from ..evaluation import evaluate
from ..presets import default_network
from ..runs import RUN_JSON, load_run, read_run_json
from ..training import resume, train

__all__ = ["THREAD_ENV", "limit_threads", "run_point", "failed_row"]

logger = logging.getLogger(__name__)

#: Thread-count variables set for every worker (one Numba and one BLAS thread each).
THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}
_EVAL_KEY = 0x5E7  # spawn key of the final evaluation's trials (independent of training)
_RUN_LOCK = ".sweep.lock"


def limit_threads() -> dict:
    """One Numba and one BLAS thread in this process; returns what is in force.

    Returns
    -------
    dict
        ``host``, ``pid``, ``env`` (the :data:`THREAD_ENV` variables as found),
        ``numba_threads``, ``blas_threads_at_start`` (what the environment gave at
        import: ``[1]`` iff :data:`THREAD_ENV` took effect) and ``blas_threads``.
    """
    info = {"host": socket.gethostname(), "pid": os.getpid(),
            "env": {k: os.environ.get(k) for k in THREAD_ENV}}
    try:
        if numba.get_num_threads() != 1:
            numba.set_num_threads(1)
        info["numba_threads"] = int(numba.get_num_threads())
    except Exception as err:  # noqa: BLE001 - diagnostics only
        info["numba_threads"] = f"unknown ({err})"
    try:
        import threadpoolctl  # optional: only reports and limits the BLAS pools
    except ImportError:
        info["blas_threads"] = "unknown (threadpoolctl not installed)"
        return info
    info["blas_threads_at_start"] = sorted({int(p["num_threads"]) for p in threadpoolctl.threadpool_info()})
    threadpoolctl.threadpool_limits(limits=1)
    info["blas_threads"] = sorted({int(p["num_threads"]) for p in threadpoolctl.threadpool_info()})
    return info


def _run_dir_lock(run_dir: Path):
    """Exclusive lock on a run directory, so a leftover worker and a new one never
    write it together (the second waits, then finds the run complete)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    return exclusive_lock(run_dir / _RUN_LOCK, wait=True)


def _make_task(config: dict):
    fields = dict(config["task"])
    return tasks.make(fields.pop("name"), **fields)


def _train_or_resume(run_dir: Path, config: dict) -> tuple:
    """The TrainResult of a point: load a complete run, resume an interrupted one, or
    train from scratch. Returns (result, how)."""
    status = None
    if (run_dir / RUN_JSON).exists():
        try:
            status = read_run_json(run_dir)["status"]
        except RunFileError as err:
            logger.warning("%s: unreadable run (%s); training again", run_dir, err)
    if status == "complete":
        try:
            return load_run(run_dir), "loaded"
        except RunFileError as err:
            logger.warning("%s: %s; training again", run_dir, err)
    elif status in ("running", "interrupted"):
        try:
            return resume(run_dir, progress=False), "resumed"
        except RunFileError as err:
            logger.warning("%s: cannot resume (%s); training again", run_dir, err)
    task = _make_task(config)
    cfg = TrainConfig.from_dict(config["train"], legacy=True)
    # config["network"] holds every keyword, so the presets only supply the init stream
    net = default_network(task, seed=cfg.seed, **config["network"])
    result = train(net, task, cfg, progress=False, run_dir=run_dir, overwrite=True)
    return result, "trained"


def _degradation(net, task, options: dict, seed: int) -> dict:
    """Accuracy vs fraction removed (:func:`purernn.analysis.degradation`), as JSON values."""
    res = degradation(net, task, rng=np.random.default_rng([seed, _EVAL_KEY, 1]), **options)
    return {"mode": str(res.mode), "fractions": [float(f) for f in res.fractions],
            "accuracy": np.asarray(res.accuracy, dtype=float).tolist(),  # (n_fractions, n_draws)
            "baseline": float(res.baseline), "n_trials": int(res.n_trials)}


def _eigenvalue_pairs(eigenvalues) -> list:
    """``[[re, im], ...]``: eigenvalues as the results table stores them."""
    return to_jsonable(np.asarray(eigenvalues, dtype=complex))


def run_point(spec: dict) -> dict:
    """Train one point and measure it; runs in a worker process (pool or Dask).

    Parameters
    ----------
    spec : dict
        ``{"point_id", "config", "run_dir" (absolute), "record"}``.

    Returns
    -------
    dict
        The point's result row (columns of the results table). Errors do not raise:
        they give ``status = "failed"`` and the error text. A training stopped by Ctrl-C
        gives ``status = "interrupted"`` (not recorded; the point stays pending).

    Notes
    -----
    A run directory left by an earlier attempt is reused: a complete run is loaded (no
    retraining), an interrupted one resumed from its checkpoint (bitwise the same
    result as an uninterrupted run), anything else trained again.
    """
    t0 = time.perf_counter()
    started = utc_now()
    worker = limit_threads()
    row = {"point_id": spec["point_id"], "started_utc": started}
    try:
        run_dir = Path(spec["run_dir"])
        config = spec["config"]
        record = spec["record"]
        with _run_dir_lock(run_dir):
            result, how = _train_or_resume(run_dir, config)
        worker["how"] = how
        if result.stop_reason == "interrupted":
            # Ctrl-C reached the worker too: training saved a checkpoint; the point stays
            # pending and the next sweep resumes it
            row.update(status="interrupted", worker=worker)
            return row
        seed = int(config["train"]["seed"])
        task = _make_task(config)
        ev = evaluate(result.net, task, n_trials=int(record["evaluate_trials"]),
                      rng=np.random.default_rng([seed, _EVAL_KEY]))
        spec_t = spectrum(result.net.params["W_rec"])
        spec_0 = spectrum(result.net_init.params["W_rec"])
        dom = spec_t.dominant[0]
        row.update(
            status="done", error=None,
            accuracy=ev.accuracy, loss=ev.loss,
            val_accuracy=result.val_accuracy, val_loss=result.val_loss,
            target_accuracy=result.target_accuracy, reached_criterion=bool(ev.accuracy >= result.target_accuracy),
            n_steps=result.n_steps, stop_reason=result.stop_reason,
            spectral_radius=spec_t.radius, dominant_re=float(dom.real), dominant_im=abs(float(dom.imag)),
            dominant_class=spec_t.dominant_class, bulk_radius=spec_t.bulk_radius,
            inner_radius=spec_t.inner_radius, bulk_shape=spec_t.shape, n_outliers=spec_t.n_outliers,
            spectral_radius_init=spec_0.radius, bulk_radius_init=spec_0.bulk_radius,
            inner_radius_init=spec_0.inner_radius,
            train_time=result.wall_time,
        )
        if record.get("eigenvalues", True):
            row["eigenvalues"] = _eigenvalue_pairs(spec_t.eigenvalues)
            row["eigenvalues_init"] = _eigenvalue_pairs(spec_0.eigenvalues)
        if record.get("degradation"):
            row["degradation"] = _degradation(result.net, task, dict(record["degradation"]), seed)
    except Exception as err:  # noqa: BLE001 - a failed point is a row, not a crash
        logger.warning("point %s failed: %s", spec["point_id"], err)
        row.update(status="failed", error=f"{type(err).__name__}: {err}\n"
                   + "".join(traceback.format_exception(err)[-3:]))
    row["wall_time"] = time.perf_counter() - t0
    row["finished_utc"] = utc_now()
    row["worker"] = worker
    return row


def failed_row(spec: dict, error: str) -> dict:
    """The result row of a point whose worker returned nothing (it died, or the result
    could not be sent back)."""
    return {"point_id": spec["point_id"], "status": "failed", "error": error,
            "finished_utc": utc_now()}
