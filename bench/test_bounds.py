"""What bounds a seed-size step on this machine: its parts, timed alone on one thread.

    pytest bench/test_bounds.py

A training step at (n_rec, n_steps, n_trials) = (50, 400, 64) does, per block of 16
trials and step, one (16, 50) x (50, 50) product forward and one in BPTT, and every 16
steps one (50, 256) x (256, 50) product for the weight gradient: 3 x 2 n_trials n_rec^2
n_steps FLOPs in all, the FLOPs counted by bench/test_step.py. Each product is timed here
alone, as BLAS runs it on one thread inside the kernels, and so is the elementwise Euler
update (tanh and its derivative). Their sum over two threads is the shortest step these
parts allow, and the fraction of the measured BLAS peak that it implies bounds what the
kernels can reach; the summary prints both next to the step's own time.
"""

import time

import numba
import numpy as np
import pytest

from purernn import _threads, kernels

from .conftest import NOTES, RESULTS, blas_peak

N_REC, N_STEPS, N_TRIALS, BLOCK = 50, 400, 64, 16


@numba.njit(nogil=True)
def _products(a, w, out, n):
    for _ in range(n):
        np.dot(a, w, out)


@numba.njit(nogil=True)
def _products_tn(a, b, out, n):
    for _ in range(n):
        np.dot(a.T, b, out)


@numba.njit(nogil=True)
def _euler_updates(a, h, noise, alpha, act, out, ds, n):
    for _ in range(n):
        kernels._euler_update(a, h, noise, alpha, 1.0 - alpha, act, out, ds)


def _best_ms(fn, rounds=7):
    fn()  # compiles
    best = np.inf
    for _ in range(rounds):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best * 1e3


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_parts_of_a_seed_size_step(benchmark, dtype):
    rng = np.random.default_rng(0)
    n_blocks = N_TRIALS // BLOCK
    stage = kernels._STAGE_STEPS * BLOCK
    a = rng.standard_normal((BLOCK, N_REC)).astype(dtype)
    w = rng.standard_normal((N_REC, N_REC)).astype(dtype)
    out = np.empty((BLOCK, N_REC), dtype=dtype)
    d = rng.standard_normal((stage, N_REC)).astype(dtype)
    outer = np.empty((N_REC, N_REC), dtype=dtype)
    flat = rng.standard_normal(BLOCK * N_REC).astype(dtype)
    h, ds = np.empty_like(flat), np.empty_like(flat)
    alpha = np.dtype(dtype).type(1.0)
    step_products = N_STEPS * n_blocks  # per pass (forward or BPTT)
    previous = _threads.serial_blas()
    try:
        t_step = _best_ms(lambda: _products(a, w, out, step_products))
        t_stage = _best_ms(lambda: _products_tn(d, d, outer, -(-N_STEPS // kernels._STAGE_STEPS) * n_blocks))
        t_euler = benchmark.pedantic(
            lambda: _best_ms(lambda: _euler_updates(flat, flat, flat, alpha, kernels._ACT_TAGS["tanh"], h, ds,
                                                    step_products)), rounds=1, iterations=1)
    finally:
        _threads.restore_blas(previous)
    flops = 3 * 2 * N_TRIALS * N_REC**2 * N_STEPS
    bound = (2 * t_step + t_stage + t_euler) / 2  # two threads
    peak = blas_peak(dtype)
    step_rows = [r for r in RESULTS if r["variant"] == "purernn" and r["dtype"] == dtype
                 and (r["n_rec"], r["n_steps"], r["n_trials"]) == (N_REC, N_STEPS, N_TRIALS)]
    NOTES.append(f"seed-size step, {dtype}, its parts alone on one thread: {step_products} products "
                 f"({BLOCK},{N_REC})x({N_REC},{N_REC}) {t_step:.2f} ms "
                 f"({2 * BLOCK * N_REC**2 * step_products / t_step / 1e6:.1f} GFLOP/s) per pass, x2 passes; "
                 f"weight-gradient products {t_stage:.2f} ms; Euler/tanh update {t_euler:.2f} ms")
    NOTES.append(f"  on 2 threads these parts alone take {bound:.2f} ms = {flops / bound / 1e6:.1f} GFLOP/s "
                 f"= {flops / bound / 1e6 / peak:.0%} of the measured peak ({peak:.1f} GFLOP/s)"
                 + (f"; the full step took {step_rows[0]['ms']:.2f} ms" if step_rows else ""))
    assert t_step > 0 and t_stage > 0 and t_euler > 0
