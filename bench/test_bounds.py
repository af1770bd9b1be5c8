"""What bounds a training step on this machine: its parts, timed alone.

    pytest bench/test_bounds.py

A training step at (n_rec, n_steps, n_trials) = (50, 400, 64), the seed's size, does, per
block of 32 trials and step, one (32, 50) x (50, 50) product forward and one in BPTT (the
kernels' products have 4 and 2 more rows of W for the inputs, bias and readout: the parts
here leave those out), and every 11 steps one (52, 352) x (352, 54) product for all the
gradients (the stage of ``kernels._bptt_block``: the rows [d_t, dL/dz_{t-1}] against
[h_{t-1}, x_t, 1]): about 3 x 2 n_trials n_rec^2 n_steps FLOPs in all, the FLOPs counted
by bench/test_step.py. At (1000, 100, 64) the products are (32, 1000) x (1000, 1000) per
step and pass, (1002, 512) x (512, 1004) every 16 steps. Each product is timed here alone,
as BLAS runs it on one thread inside the kernels, and so are the two elementwise passes
that no implementation of the model can leave out: the Euler update forward (tanh and its
derivative) and the recursion of BPTT (``g_t = (1 - alpha) g_{t+1} + W_rec^T d_{t+1} +
e_t``, ``d_t = alpha sigma'(a_t) g_t``, with the rate term of e_t; the readout's ``W_out^T
dL/dz_t``, n_out terms per unit, is left out). These parts are timed twice: on one thread,
where half their sum (with CPU timing, the sum) is what two threads would take if they did
not slow each other down, and on the kernels' two threads at once, each with its half of
the blocks and one shared W_rec, as the kernels run them. The second is the shortest step
these parts allow on this machine, and the fraction of the measured BLAS peak that it
implies bounds what the kernels can reach; the summary prints both next to the step's own
time.

A single trial (50, 400, 1) runs the 2-D kernels on one thread; its parts are the
product of a step with one row, ``(1, 50) x (50, 50)``, written as loops (a BLAS call
costs more), once per step forward and once in BPTT, the one (50, 400) x (400, 50)
product of the weight gradient, and the Euler update of 50 units per step.
"""

import time

import numba
import numpy as np
import pytest

from purernn import _threads, kernels

from .conftest import _CLOCK, NOTES, RESULTS, blas_peak

SIZES = [(50, 400, 64), (1000, 100, 64)]  # (n_rec, n_steps, n_trials)


@numba.njit(nogil=True)
def _products(a, w, out, n):
    for _ in range(n):
        np.dot(a, w, out)


@numba.njit(nogil=True)
def _products_tn(a, b, out, n):
    for _ in range(n):
        np.dot(a.T, b, out)


@numba.njit(nogil=True)
def _row_products(h, w_t, out, n):
    """The loops of the forward pass's product of a step with one row (kernels._rows_times)."""
    for _ in range(n):
        kernels._rows_times(h, w_t, out)


@numba.njit(nogil=True)
def _euler_updates(a, h, noise, alpha, act, out, ds, n):
    for _ in range(n):
        kernels._euler_update(a, h, noise, alpha, 1.0 - alpha, act, out, ds)


@numba.njit(nogil=True, fastmath=kernels.JIT_OPTIONS["fastmath"])
def _recursions(g, back, h, ds, d, alpha, leak, rate_scale, n):
    """BPTT's elementwise recursion of a block's step, on flat arrays, n times: g_t from
    g_{t+1}, W_rec^T d_{t+1} (`back`) and the rate term of e_t, then d_t. The scalars come
    in the arrays' dtype, as in the kernels (computed here they would be float64)."""
    for _ in range(n):
        for i in range(g.size):
            g[i] = leak * g[i] + back[i] + rate_scale * h[i]
        for i in range(g.size):
            d[i] = alpha * ds[i] * g[i]


def _at_once(work, rounds=5):
    """The shortest time (ms) of `rounds` runs of the two functions of `work` at once, on
    the kernels' two threads (:func:`purernn._threads.run_parallel`, BLAS single-threaded
    on each), after a first run that starts the pool: wall time, or with CPU timing the
    CPU time of the process."""
    clock = time.process_time if _CLOCK["cpu"] else time.perf_counter
    _threads.run_parallel([(fn, ()) for fn in work])
    best = np.inf
    for _ in range(rounds):
        t0 = clock()
        _threads.run_parallel([(fn, ()) for fn in work])
        best = min(best, clock() - t0)
    return best * 1e3


def _kernels_alone(dtype, rng, size, block):
    """The forward and BPTT kernels of a step, all blocks on this thread (ms)."""
    import purernn as pr

    n_rec, n_steps, n_trials = size

    net = pr.Network.create(3, n_rec, 2, init="orthogonal", gain=0.95, dtype=dtype, seed=0)
    p, dt = net.params, np.dtype(dtype).type
    x = rng.standard_normal((n_steps, n_trials, 3)).astype(dtype)
    H = np.zeros((n_steps + 1, n_trials, n_rec), dtype=dtype)
    DS = np.empty((n_steps, n_trials, n_rec), dtype=dtype)
    Z = np.empty((n_steps, n_trials, 2), dtype=dtype)
    fwd = (x, kernels._augmented(p, dtype), p["W_out"], p["b_out"], np.zeros((1, 1, 1), dtype=dtype), False,
           dt(1.0), 0.0, kernels._ACT_TAGS["tanh"], True)
    blocks = _threads.bounds(n_trials, n_trials // block)
    # the gradients of a block, as the kernel lays them out; the timed calls keep adding to them
    sums = np.zeros((n_rec + 2, n_rec + 3 + 1), dtype=dtype)
    previous = _threads.serial_blas()
    try:
        t_forward = _best_ms(lambda: [kernels._forward_block(*fwd, b0, b1, H, DS, Z) for b0, b1 in blocks])
        dz = (0.01 * Z).astype(dtype)
        bwd = (dz, np.concatenate((p["W_rec"], p["W_out"])), dt(0.0), dt(1.0), dt(0.0), x, H)
        stage = kernels._stage_steps(block, n_rec, 3, 2)
        t_bptt = _best_ms(lambda: [kernels._bptt_block(*bwd, b0, b1, DS, stage, sums) for b0, b1 in blocks])
    finally:
        _threads.restore_blas(previous)
    return t_forward, t_bptt


def _best_of_rounds(parts: dict, rounds: int, calls: int = 20) -> dict:
    """The shortest CPU time (ms, this thread) of a call of each function of `parts`: in
    each of `rounds` rounds every function runs `calls` times back to back (as in a
    training loop, with its data in cache), so that all see the same moments of a
    machine whose speed drifts."""
    for fn in parts.values():
        fn()  # compiles
    best = dict.fromkeys(parts, np.inf)
    for _ in range(rounds):
        for name, fn in parts.items():
            for _ in range(calls):
                t0 = time.thread_time()
                fn()
                best[name] = min(best[name], time.thread_time() - t0)
    return {name: t * 1e3 for name, t in best.items()}


def _best_ms(fn, rounds=5):
    """The shortest of `rounds` calls, in this thread's CPU time (load-independent)."""
    return _best_of_rounds({"fn": fn}, rounds, calls=1)["fn"]


@pytest.mark.skipif(numba.get_num_threads() < 2, reason="needs two threads")
@pytest.mark.parametrize("size", SIZES, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_parts_of_a_step(benchmark, dtype, size):
    rng = np.random.default_rng(0)
    n_rec, n_steps, n_trials = size
    n_blocks = kernels.trial_blocks(n_trials, n_rec)
    block = n_trials // n_blocks
    stage = kernels._stage_steps(block, n_rec, 3, 2)
    full, last = divmod(n_steps, stage)  # a block's full stages, steps in the last one
    dt = np.dtype(dtype).type
    alpha = dt(1.0)
    t_forward, t_bptt = _kernels_alone(dtype, rng, size, block)
    w = rng.standard_normal((n_rec, n_rec)).astype(dtype)  # one W_rec for all threads, as in the kernels

    def parts(share):
        """The parts of `share` of the blocks, as functions, with work arrays of their own."""
        a = rng.standard_normal((block, n_rec)).astype(dtype)
        out = np.empty((block, n_rec), dtype=dtype)
        rows_l = rng.standard_normal((stage * block, n_rec + 2)).astype(dtype)  # [d_t, dL/dz_{t-1}]
        rows_r = rng.standard_normal((stage * block, n_rec + 3 + 1)).astype(dtype)  # [h_{t-1}, x_t, 1]
        last_l, last_r = rows_l[:last * block], rows_r[:last * block]
        outer = np.empty((n_rec + 2, n_rec + 4), dtype=dtype)
        flat = rng.standard_normal(block * n_rec).astype(dtype)
        h, ds = np.empty_like(flat), np.empty_like(flat)
        g, back = (rng.standard_normal(flat.size).astype(dtype) for _ in range(2))
        blocks = round(n_blocks * share)
        steps = n_steps * blocks  # block steps per pass (forward or BPTT)

        def stages():
            _products_tn(rows_l, rows_r, outer, full * blocks)
            if last:
                _products_tn(last_l, last_r, outer, blocks)

        return {
            "products": lambda: _products(a, w, out, steps),
            "stage": stages,
            "euler": lambda: _euler_updates(flat, flat, flat, alpha, kernels._ACT_TAGS["tanh"], h, ds, steps),
            "recursion": lambda: _recursions(g, back, flat, flat, ds, alpha, dt(0.0), dt(1e-3), steps),
        }

    whole, halves = parts(1.0), [parts(0.5), parts(0.5)]
    previous = _threads.serial_blas()
    try:
        alone = {name: _best_ms(fn) for name, fn in whole.items()}
        sequence = [lambda half=half: (half["products"](), half["products"](), half["stage"](), half["euler"](),
                                       half["recursion"]()) for half in halves]
        both = benchmark.pedantic(lambda: _at_once(sequence), rounds=1, iterations=1)
    finally:
        _threads.restore_blas(previous)
    t_step, t_stage, t_euler, t_rec = (alone[k] for k in ("products", "stage", "euler", "recursion"))
    flops = 3 * 2 * n_trials * n_rec**2 * n_steps
    serial = 2 * t_step + t_stage + t_euler + t_rec
    # with CPU timing (--benchmark-timer time.process_time) the two threads' times add
    ideal = serial / (1 if _CLOCK["cpu"] else 2)
    peak = blas_peak(dtype)
    step_rows = [r for r in RESULTS if r["variant"] == "purernn" and r["dtype"] == dtype
                 and (r["n_rec"], r["n_steps"], r["n_trials"]) == (n_rec, n_steps, n_trials)]
    NOTES.append(f"step {size}, {dtype}, its parts alone on one thread: {n_steps * n_blocks} products "
                 f"({block},{n_rec})x({n_rec},{n_rec}) {t_step:.2f} ms "
                 f"({2 * block * n_rec**2 * n_steps * n_blocks / t_step / 1e6:.1f} GFLOP/s) per pass, x2 passes; "
                 f"gradient products ({stage} steps a stage) {t_stage:.2f} ms; Euler/tanh update {t_euler:.2f} ms; "
                 f"BPTT's recursion {t_rec:.2f} ms")
    NOTES.append(f"  the kernels on one thread, all {n_blocks} blocks: forward {t_forward:.2f} ms (its products and "
                 f"Euler update alone: {t_step + t_euler:.2f} ms), BPTT with the gradient sums {t_bptt:.2f} ms "
                 f"(its products and recursion alone: {t_step + t_stage + t_rec:.2f} ms); the rest is the other "
                 f"elementwise work and memory traffic (the states and derivatives of a step: "
                 f"{2 * n_steps * n_trials * n_rec * np.dtype(dtype).itemsize / 1e6:.0f} MB)")
    clock = "in CPU time" if _CLOCK["cpu"] else "on 2 threads"
    NOTES.append(f"  {clock} these parts alone take {both:.2f} ms = {flops / both / 1e6:.1f} GFLOP/s = "
                 f"{flops / both / 1e6 / peak:.0%} of the measured peak ({peak:.1f} GFLOP/s), run on both threads "
                 f"at once; {ideal:.2f} ms = {flops / ideal / 1e6 / peak:.0%} if the threads did not slow each "
                 f"other down" + (f"; the full step took {step_rows[0]['ms']:.2f} ms" if step_rows else ""))
    assert min(alone.values()) > 0 and both > 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_parts_of_a_single_trial_step(benchmark, dtype):
    """(50, 400, 1): the 2-D kernels alone, their products alone, the Euler update alone,
    and what ``train_step`` spends outside the kernels (checks, the loss, Adam, Python)."""
    import purernn as pr

    rng = np.random.default_rng(0)
    n_rec, n_steps = 50, 400
    net = pr.Network.create(3, n_rec, 2, init="orthogonal", gain=0.95, dtype=dtype, seed=0)
    p, dt = net.params, np.dtype(dtype).type
    x = rng.standard_normal((n_steps, 3)).astype(dtype)
    H = np.zeros((n_steps + 1, n_rec), dtype=dtype)
    DS = np.empty((n_steps, n_rec), dtype=dtype)
    Z = np.empty((n_steps, 2), dtype=dtype)
    fwd = (x, np.ascontiguousarray(p["W_in"].T), p["b_rec"], np.ascontiguousarray(p["W_rec"].T), p["W_out"],
           p["b_out"], np.zeros((1, 1), dtype=dtype), False, dt(0.2), 1.0 - float(dt(0.2)),
           kernels._ACT_TAGS["tanh"], True, H, DS, Z)
    grads = [np.empty(np.shape(p[k]), dtype=dtype) for k in ("W_in", "W_rec", "b_rec", "W_out", "b_out")]
    row, out = H[:1].copy(), np.empty((1, n_rec), dtype=dtype)
    flat, h, ds = rng.standard_normal(n_rec).astype(dtype), np.empty(n_rec, dtype=dtype), np.empty(n_rec, dtype=dtype)
    bwd = ((0.01 * Z).astype(dtype), p["W_out"], dt(0.0), p["W_rec"], dt(0.2), dt(0.8), x, H)
    batch = pr.tasks.Batch(rng.standard_normal((1, n_steps, 3)), rng.standard_normal((1, n_steps, 2)),
                           (rng.random((1, n_steps, 2)) < 0.5).astype(float))
    opt = pr.Adam(lr=1e-3)
    state = opt.init(net.params)
    params, names = net.variables, net.config.trainable
    grads_of_step = pr.loss_and_grad(net, batch.x, batch.y, batch.mask)[1]
    parts = {
        "forward": lambda: kernels._forward_trial(*fwd),
        "bptt": lambda: kernels._bptt_trial(*bwd, DS.copy(), *grads),
        "rows": lambda: _row_products(row, fwd[3], out, n_steps),
        "gemm": lambda: _products_tn(DS, H[:n_steps], grads[1], 1),
        "euler": lambda: _euler_updates(flat, flat, flat, dt(0.2), kernels._ACT_TAGS["tanh"], h, ds, n_steps),
        "train_step": lambda: pr.train_step(net, batch, opt, state),
        "loss_and_grad": lambda: pr.loss_and_grad(net, batch.x, batch.y, batch.mask),
        "update": lambda: opt.update({k: v.copy() for k, v in params.items()}, grads_of_step, state, names),
    }
    previous = _threads.serial_blas()
    try:  # the parts in turn: each part's shortest call, all under the same conditions
        best = benchmark.pedantic(lambda: _best_of_rounds(parts, 5), rounds=1, iterations=1)
    finally:
        _threads.restore_blas(previous)
    t_forward, t_bptt, t_rows, t_gemm, t_euler, t_train_step, t_loss, t_update = (
        best[k] for k in ("forward", "bptt", "rows", "gemm", "euler", "train_step", "loss_and_grad", "update"))
    floor = 2 * t_rows + t_gemm + t_euler
    NOTES.append(f"single trial (50, 400, 1), {dtype}, one thread: forward kernel {t_forward * 1e3:.0f} us, BPTT "
                 f"kernel {t_bptt * 1e3:.0f} us; their parts alone: the one-row products {t_rows * 1e3:.0f} us "
                 f"per pass ({2 * n_rec**2 * n_steps / t_rows / 1e6:.1f} GFLOP/s) x2 passes, the weight-gradient "
                 f"product {t_gemm * 1e3:.0f} us, the Euler update {t_euler * 1e3:.0f} us: {floor * 1e3:.0f} us")
    NOTES.append(f"  the full train_step took {t_train_step * 1e3:.0f} us: {(t_forward + t_bptt) * 1e3:.0f} us in the "
                 f"kernels, {(t_train_step - t_forward - t_bptt) * 1e3:.0f} us outside them: loss_and_grad "
                 f"{t_loss * 1e3:.0f} us (the kernels, their wrappers, the batch's checks, the loss), Adam with the "
                 f"gradient norm {t_update * 1e3:.0f} us, the rest of train_step "
                 f"{(t_train_step - t_loss - t_update) * 1e3:.0f} us; all times here are the shortest call in this "
                 f"thread's CPU time, of 5 rounds of 20 calls of each in turn")
    # the parts timed apart are no lower bound: inside the kernels one step's last loop
    # overlaps the next step's first (at 0c199ae the float32 kernels took 226 us, their parts 230)
    assert 0 < floor and 0 < t_forward + t_bptt < t_train_step
