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

from .conftest import _CLOCK, NOTES, RESULTS, blas_peak

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


def _kernels_alone(dtype, rng):
    """The forward and BPTT kernels of a seed-size step, all blocks on this thread (ms)."""
    import purernn as pr

    net = pr.Network.create(3, N_REC, 2, init="orthogonal", gain=0.95, dtype=dtype, seed=0)
    p, dt = net.params, np.dtype(dtype).type
    x = rng.standard_normal((N_STEPS, N_TRIALS, 3)).astype(dtype)
    H = np.zeros((N_STEPS + 1, N_TRIALS, N_REC), dtype=dtype)
    DS = np.empty((N_STEPS, N_TRIALS, N_REC), dtype=dtype)
    Z = np.empty((N_STEPS, N_TRIALS, 2), dtype=dtype)
    fwd = (x, np.ascontiguousarray(p["W_in"].T), p["b_rec"], np.ascontiguousarray(p["W_rec"].T), p["W_out"],
           p["b_out"], np.zeros((1, 1, 1), dtype=dtype), False, dt(1.0), 0.0, kernels._ACT_TAGS["tanh"], True)
    blocks = _threads.bounds(N_TRIALS, N_TRIALS // BLOCK)
    grads = [np.empty(np.shape(p[k]), dtype=dtype) for k in ("W_in", "W_rec", "b_rec", "W_out", "b_out")]
    previous = _threads.serial_blas()
    try:
        t_forward = _best_ms(lambda: [kernels._forward_block(*fwd, b0, b1, H, DS, Z) for b0, b1 in blocks])
        dz = (0.01 * Z).astype(dtype)
        bwd = (dz, p["W_out"], dt(0.0), p["W_rec"], dt(1.0), dt(0.0), x, H)
        t_bptt = _best_ms(lambda: [kernels._bptt_block(*bwd, b0, b1, DS, *grads) for b0, b1 in blocks])
    finally:
        _threads.restore_blas(previous)
    return t_forward, t_bptt


def _best_ms(fn, rounds=7):
    """The shortest of `rounds` calls, in this thread's CPU time (load-independent)."""
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
    t_forward, t_bptt = _kernels_alone(dtype, rng)
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
    # two threads share the parts; in CPU time (--benchmark-timer time.process_time) they add
    bound = (2 * t_step + t_stage + t_euler) / (1 if _CLOCK["cpu"] else 2)
    peak = blas_peak(dtype)
    step_rows = [r for r in RESULTS if r["variant"] == "purernn" and r["dtype"] == dtype
                 and (r["n_rec"], r["n_steps"], r["n_trials"]) == (N_REC, N_STEPS, N_TRIALS)]
    NOTES.append(f"seed-size step, {dtype}, its parts alone on one thread: {step_products} products "
                 f"({BLOCK},{N_REC})x({N_REC},{N_REC}) {t_step:.2f} ms "
                 f"({2 * BLOCK * N_REC**2 * step_products / t_step / 1e6:.1f} GFLOP/s) per pass, x2 passes; "
                 f"weight-gradient products {t_stage:.2f} ms; Euler/tanh update {t_euler:.2f} ms")
    NOTES.append(f"  the kernels on one thread, all {n_blocks} blocks: forward {t_forward:.2f} ms (its products and "
                 f"Euler update alone: {t_step + t_euler:.2f} ms), BPTT with the gradient sums {t_bptt:.2f} ms "
                 f"(its products alone: {t_step + t_stage:.2f} ms); the rest is the other elementwise work and "
                 f"memory traffic (the states and derivatives of a step: "
                 f"{2 * N_STEPS * N_TRIALS * N_REC * np.dtype(dtype).itemsize / 1e6:.0f} MB)")
    NOTES.append(f"  {'in CPU time' if _CLOCK['cpu'] else 'on 2 threads'} these parts alone take {bound:.2f} ms = {flops / bound / 1e6:.1f} GFLOP/s "
                 f"= {flops / bound / 1e6 / peak:.0%} of the measured peak ({peak:.1f} GFLOP/s)"
                 + (f"; the full step took {step_rows[0]['ms']:.2f} ms" if step_rows else ""))
    assert t_step > 0 and t_stage > 0 and t_euler > 0
