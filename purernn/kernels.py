"""The model's math, compiled: activations, the Euler step, the forward pass and BPTT.

The model, for t = 1..T and a batch of trials::

    a_t = W_rec h_{t-1} + W_in x_t + b_rec                       pre-activation
    h_t = (1 - alpha) h_{t-1} + alpha sigma(a_t) + sqrt(2 alpha) sigma_rec xi_t
    z_t = W_out h_t + b_out

with xi_t standard normal; the loss (:func:`purernn.losses.loss_and_grad`) is the masked
squared error of z plus L2 terms on the weights and the rates. Its gradient by
backpropagation through time (BPTT), with ``g_t = dL/dh_t`` (the total derivative,
through every later step) and ``d_t = dL/da_t``::

    g_T = e_T
    g_t = e_t + (1 - alpha) g_{t+1} + W_rec^T d_{t+1}              t = T-1..1
    d_t = alpha sigma'(a_t) * g_t

where ``e_t`` is the direct derivative of the loss with respect to ``h_t`` (the readout
error ``W_out^T m * (z_t - y_t) / n_trials`` plus the rate regularizer). The parameter
gradients are sums over steps and trials::

    dL/dW_rec = sum_t d_t h_{t-1}^T      dL/dW_in = sum_t d_t x_t^T    dL/db_rec = sum_t d_t
    dL/dW_out = sum_t dL/dz_t h_t^T      dL/db_out = sum_t dL/dz_t

The same model in plain NumPy is :mod:`purernn.reference`, the oracle of the tests.

Layout: activations next to their derivatives, the Euler step, the forward pass, BPTT
with the gradient sums (each for a block of trials, then for a batch of one trial on 2-D
arrays); then the dispatch, whose public wrappers (:func:`forward`, :func:`backward`)
convert their arguments to C-contiguous arrays of the run's dtype,
allocate the outputs and call a private ``_kernel``. Kernels fill the outputs they are
given and never validate, raise or draw random numbers. Arrays are time-major inside,
``(n_steps, n_trials, n_rec)``: a block of trials at one step is a contiguous ``(n_block,
n_rec)`` array, and its recurrent product one BLAS call. Adam's kernel is in
:mod:`purernn.optim`, sigma and sigma' over arrays for the analysis in
:mod:`purernn.analysis._common`; the vectorizable ``exp`` and ``tanh`` and the decorator policy
(``JIT_OPTIONS``) in :mod:`purernn._fastmath`.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from . import _fastmath as _fm, _threads
from ._fastmath import JIT_OPTIONS, inline as _inline, jit as _jit

__all__ = ["ACTIVATIONS", "JIT_OPTIONS", "trial_blocks", "work_buffers", "noise_scale", "forward",
           "backward"]

#: Registry of activation names -> integer code passed to the kernels.
ACTIVATIONS = {"tanh": 1, "relu": 2, "softplus": 3, "sigmoid": 4, "linear": 5}
_TANH, _RELU, _SOFTPLUS, _SIGMOID, _LINEAR = 1, 2, 3, 4, 5
#: The forward kernels take the activation as a tuple of `code` zeros: Numba compiles one
#: specialization per tuple type, where ``len(act)`` is a constant and the branches of the
#: other activations are pruned before typing, so a run compiles only its activation.
_ACT_TAGS = {name: (0,) * code for name, code in ACTIVATIONS.items()}

# ---------------------------------------------------------------------------------------
# Activations and their derivatives, side by side
# ---------------------------------------------------------------------------------------


# tanh(a), and tanh(a) in float32 arithmetic for float32 networks, to a few ulp: a
# polynomial that vectorizes (np.tanh in a loop would be a scalar libm call)
_tanh, _tanh_f32 = _fm.tanh, _fm.tanh_f32


@_inline
def _tanh_grad(s):
    """tanh'(a) = 1 - tanh(a)^2, written with s = tanh(a)."""
    return 1.0 - s * s


@_inline
def _tanh_f32_grad(s):
    """tanh'(a) = 1 - s^2 in float32 arithmetic."""
    return np.float32(1.0) - s * s


@_inline
def _sigmoid(a):
    """1 / (1 + exp(-a)), computed from e = exp(-|a|) so that it never overflows."""
    e = _fm.exp_neg(abs(a))
    return (1.0 if a >= 0.0 else e) / (1.0 + e)


@_inline
def _sigmoid_grad(s):
    """sigmoid'(a) = s (1 - s), written with s = sigmoid(a)."""
    return s * (1.0 - s)


@_inline
def _softplus(a):
    """log(1 + exp(a)) = max(a, 0) + log1p(exp(-|a|)) (a scalar libm call: slower)."""
    return max(a, 0.0) + math.log1p(_fm.exp_neg(abs(a)))


@_inline
def _softplus_grad(a):
    """softplus'(a) = sigmoid(a), written with the pre-activation a."""
    return _sigmoid(a)


@_inline
def _relu(a):
    return max(a, 0.0)


@_inline
def _relu_grad(a):
    """relu'(a): 1 for a > 0, else 0 (the subgradient 0 at the kink)."""
    return 1.0 if a > 0.0 else 0.0


# ---------------------------------------------------------------------------------------
# The Euler step and the forward pass
# ---------------------------------------------------------------------------------------


@_inline
def _euler(h_prev, s, noise, alpha, leak):
    """The Euler step h_t = leak h_{t-1} + alpha s_t + noise_t, leak = 1 - alpha, s = sigma(a)."""
    return leak * h_prev + alpha * s + noise


@_inline
def _euler_f32(h_prev, s, noise, alpha):
    """:func:`_euler` in float32 arithmetic: the same step as h + alpha (s - h), without the
    float64 constant of ``1 - alpha`` that would turn the loop into float64 arithmetic."""
    return h_prev + alpha * (s - h_prev) + noise


@_jit
def _euler_update(a, h_prev, noise, alpha, leak, act, h, ds):
    """h = _euler(h_prev, sigma(a), noise) and ds = sigma'(a), kept for BPTT.

    On flat (n_block * n_rec,) views of one block of trials. One loop per activation, with
    sigma inlined, so that each loop is branch-free and vectorizes; `act` is the tag of
    :data:`_ACT_TAGS`, so only the loop of the run's activation is compiled. ``leak = 1 -
    alpha`` (float64) comes from the caller: computed here, LLVM's fast-math would rewrite
    ``leak h + alpha s`` as ``h + alpha (s - h)``, which rounds differently.
    """
    n = a.size
    if len(act) == _TANH and a.itemsize == 4:  # float32 network: float32 tanh and update
        for i in range(n):
            s = _tanh_f32(a[i])
            h[i] = _euler_f32(h_prev[i], s, noise[i], alpha)
            ds[i] = _tanh_f32_grad(s)
    elif len(act) == _TANH:
        for i in range(n):
            s = _tanh(a[i])
            h[i] = _euler(h_prev[i], s, noise[i], alpha, leak)
            ds[i] = _tanh_grad(s)
    elif len(act) == _RELU:
        for i in range(n):
            h[i] = _euler(h_prev[i], _relu(a[i]), noise[i], alpha, leak)
            ds[i] = _relu_grad(a[i])
    elif len(act) == _SOFTPLUS:
        for i in range(n):
            h[i] = _euler(h_prev[i], _softplus(a[i]), noise[i], alpha, leak)
            ds[i] = _softplus_grad(a[i])
    elif len(act) == _SIGMOID:
        for i in range(n):
            s = _sigmoid(a[i])
            h[i] = _euler(h_prev[i], s, noise[i], alpha, leak)
            ds[i] = _sigmoid_grad(s)
    else:  # linear
        for i in range(n):
            h[i] = _euler(h_prev[i], a[i], noise[i], alpha, leak)
            ds[i] = 1.0


#: :func:`_euler_update` inlined, for the single-trial kernel (a call per step on a row of
#: 50 units costs 15% of its forward pass).
_euler_update_inline = _inline(_euler_update.py_func)

#: Blocks of fewer trials than this compute their product of a step with loops: a BLAS
#: call costs more than the loops' 2 n_block n_rec^2 FLOPs (one trial: 1.5 us vs 0.3 us).
_LOOP_ROWS = 4


@_inline
def _add_row_times(v, B, out):
    """out += v @ B for a row v (k,) and B (k, n), as loops.

    Each pass adds eight rows of B to out, so that out is loaded and stored once per eight
    rows, not once per row: a single trial's forward pass at 50 units took 126 us with one
    row per pass and 70 us with eight (float32).
    """
    k, n = B.shape
    k8 = k - k % 8
    for j in range(0, k8, 8):
        c0, c1, c2, c3 = v[j], v[j + 1], v[j + 2], v[j + 3]
        c4, c5, c6, c7 = v[j + 4], v[j + 5], v[j + 6], v[j + 7]
        for i in range(n):
            out[i] += (c0 * B[j, i] + c1 * B[j + 1, i] + c2 * B[j + 2, i] + c3 * B[j + 3, i]
                       + c4 * B[j + 4, i] + c5 * B[j + 5, i] + c6 * B[j + 6, i] + c7 * B[j + 7, i])
    for j in range(k8, k):
        c = v[j]
        for i in range(n):
            out[i] += c * B[j, i]


@_inline
def _rows_times(A, B, out):
    """out = A @ B for A (m, k), B (k, n): one BLAS call, or loops for m < _LOOP_ROWS."""
    if A.shape[0] >= _LOOP_ROWS:
        np.dot(A, B, out)
        return
    for r in range(A.shape[0]):
        for i in range(B.shape[1]):
            out[r, i] = 0.0
        _add_row_times(A[r], B, out[r])


@_inline
def _readout(W_out, b_out, h, z):
    """z = W_out h + b_out for one state h (n_rec,)."""
    for o in range(W_out.shape[0]):
        acc = b_out[o]
        for i in range(h.size):
            acc += W_out[o, i] * h[i]
        z[o] = acc


@_jit
def _forward_block(x, W_aug, W_out, b_out, noise, has_noise, alpha, leak, act, keep, b0, b1, H, DS, Z):
    """The pre-activation, the Euler step and the readout of trials [b0, b1), all steps.

        a_t = W_rec h_{t-1} + W_in x_t + b_rec
        h_t = (1 - alpha) h_{t-1} + alpha sigma(a_t) + noise_t
        z_t = W_out h_t + b_out

    Trials are independent: the wrappers run fixed blocks of them on several threads
    (:func:`purernn._threads.run_parallel`). x (n_steps, n_trials, n_in); noise (n_steps,
    n_trials, n_rec) = sqrt(2 alpha) sigma_rec xi, read if has_noise; Z gets z_t.
    With `keep`, H (n_steps + 1, n_trials, n_rec) holds h_0 in ``H[0]`` and gets h_t in
    ``H[t]``, DS (n_steps, n_trials, n_rec) gets sigma'(a_t), for BPTT; without, H (2,
    n_trials, n_rec) holds h_0 in ``H[0]`` and then the last two states in turn, and DS
    (1, n_trials, n_rec) is scratch: what evaluation needs, in a fraction of the memory.
    The rows ``[h_{t-1}, x_t, 1]`` of the block times ``W_aug = [W_rec^T; W_in^T; b_rec]``
    are its a_t, one product (64 trials, 50 units: 0.87 (float32) and 0.95 (float64) of the
    time of ``h_{t-1} @ W_rec^T`` and passes adding ``W_in x_t`` and ``b_rec``)."""
    n_steps, n_trials, n_out = Z.shape
    n_rec, n_in, nb = H.shape[2], x.shape[2], b1 - b0
    rows = np.empty((nb, n_rec + n_in + 1), dtype=H.dtype)  # [h_{t-1}, x_t, 1] of the block
    a = np.empty((nb, n_rec), dtype=H.dtype)  # a_t of the block
    zero = np.zeros(nb * n_rec, dtype=H.dtype)
    for t in range(n_steps):
        tp, tn, td = (t, t + 1, t) if keep else (t % 2, (t + 1) % 2, 0)  # h_{t-1}, h_t, sigma'
        for b in range(nb):
            for i in range(n_rec):
                rows[b, i] = H[tp, b0 + b, i]
            for j in range(n_in):
                rows[b, n_rec + j] = x[t, b0 + b, j]
            rows[b, n_rec + n_in] = 1.0
        _rows_times(rows, W_aug, a)  # W_rec h_{t-1} + W_in x_t + b_rec, (n_block, n_rec)
        step_noise = noise[t, b0:b1].reshape(-1) if has_noise else zero
        _euler_update(a.reshape(-1), H[tp, b0:b1].reshape(-1), step_noise, alpha, leak, act,
                      H[tn, b0:b1].reshape(-1), DS[td, b0:b1].reshape(-1))
        for b in range(nb):  # z_t = W_out h_t + b_out
            _readout(W_out, b_out, H[tn, b0 + b], Z[t, b0 + b])


@_jit
def _forward_trial(x, W_in_T, b_rec, W_rec_T, W_out, b_out, noise, has_noise, alpha, leak, act, keep, H, DS, Z):
    """:func:`_forward_block` for a batch of one trial, on 2-D arrays.

    x (n_steps, n_in), noise (n_steps, n_rec), H (n_steps + 1, n_rec) or (2, n_rec), DS
    (n_steps, n_rec) or (1, n_rec), Z (n_steps, n_out): the block kernel's arrays without
    their trial axis, W_in and W_rec transposed. The time loop does only what the next step
    needs: ``W_in x_t`` of all steps is one product before it and, with `keep`, the readouts
    a loop after it (with its wrapper at 50 units: 0.96 (float32) and 0.92 (float64) of the
    time with all of them inside; ``bench/ab_commits.py --part forward``)."""
    n_steps, n_out = Z.shape
    n_rec = H.shape[1]
    drive = np.dot(x, W_in_T)  # (n_steps, n_rec): W_in x_t, all steps
    a = np.empty(n_rec, dtype=H.dtype)  # a_t
    zero = np.zeros(n_rec, dtype=H.dtype)
    for t in range(n_steps):
        tp, tn, td = (t, t + 1, t) if keep else (t % 2, (t + 1) % 2, 0)  # h_{t-1}, h_t, sigma'
        for i in range(n_rec):
            a[i] = drive[t, i] + b_rec[i]
        _add_row_times(H[tp], W_rec_T, a)  # + W_rec h_{t-1}
        _euler_update_inline(a, H[tp], noise[t] if has_noise else zero, alpha, leak, act, H[tn], DS[td])
        if not keep:  # H keeps the last two states: the readout now
            _readout(W_out, b_out, H[tn], Z[t])
    if keep:
        for t in range(n_steps):
            _readout(W_out, b_out, H[t + 1], Z[t])


# ---------------------------------------------------------------------------------------
# Backpropagation through time
# ---------------------------------------------------------------------------------------


#: A stage's product (n_rec + n_out, rows) x (rows, n_rec + n_in + 1) ran 1.2-1.5 times as
#: fast per multiply-add with at most this many (OpenBLAS on one thread, 32-128 units, both
#: dtypes). At 128-150 units one step of 32 trials is such a product, and ran as fast as 2-16
#: steps; where not one step fits (256, 1000 units: 384 rows as fast as 512), _STAGE_STEPS.
_SMALL_PRODUCT = 10**6
_STAGE_STEPS = 16


def _stage_steps(n_block: int, n_rec: int, n_in: int, n_out: int) -> int:
    """Steps per stage (1 to 32) of :func:`_bptt_block` for a block of `n_block` trials."""
    rows = _SMALL_PRODUCT // ((n_rec + n_out) * (n_rec + n_in + 1))
    return min(2 * _STAGE_STEPS, rows // n_block) if rows >= n_block else _STAGE_STEPS


@_inline
def _add_product(A, B, out, sums):
    """sums += A^T B, with `out` as the product's scratch."""
    np.dot(A.T, B, out)
    for i in range(sums.shape[0]):
        for j in range(sums.shape[1]):
            sums[i, j] += out[i, j]


@_jit
def _bptt_block(dz, W_back, rate_scale, alpha, leak, x, H, b0, b1, DS, stage_steps, sums):
    """BPTT for trials [b0, b1) (the module's recursion), adding the block's gradients to `sums`.

    x (n_steps, n_trials, n_in); dz (n_steps, n_trials, n_out) is dL/dz_t; H (n_steps + 1,
    n_trials, n_rec) holds h_0..h_T and DS (n_steps, n_trials, n_rec) sigma'(a_t), both only
    read; ``W_back = [W_rec; W_out]``; rate_scale is l2_rates / (n_trials n_steps); ``leak =
    1 - alpha`` is of the arrays' dtype (computed here from a float32 alpha it would be
    float64, and so the loops); `sums` (n_rec + n_out, n_rec + n_in + 1) starts at zero.

    Step t of a trial gives the rows ``l_t = [d_t, dL/dz_{t-1}]`` and ``r_t = [h_{t-1}, x_t,
    1]`` (dL/dz_0 = 0; a last pair ``[0, dL/dz_T]``, ``[h_T, 0, 1]``), so that ``sum_t l_t^T
    r_t = [[dL/dW_rec, dL/dW_in, dL/db_rec], [dL/dW_out, ., dL/db_out]]`` (``.`` is unused)
    and the rows l_{t+1} @ W_back are ``W_rec^T d_{t+1} + W_out^T dL/dz_t``, the recursion's
    product and readout term at once. Arrays count from 0: at loop index t, ``DS[t]``,
    ``x[t]`` and ``dz[t]`` are of step t + 1, ``H[t]`` is h_t. The rows of `stage_steps`
    steps are summed by one product while in cache (:func:`_stage_steps`). With its wrapper
    at (n_rec, n_steps, n_trials) = (50, 400, 64): 0.70 (float32) and 0.75 (float64) of the
    time of f42d75d's kernel, which staged dL/dW_rec alone (``bench/ab_commits.py --part``).
    """
    n_steps, n_trials, n_rec = DS.shape
    n_in, n_out, nb = x.shape[2], dz.shape[2], b1 - b0
    n_l, n_r = n_rec + n_out, n_rec + n_in + 1
    L = np.empty(((stage_steps + 1) * nb, n_l), dtype=DS.dtype)  # rows l of a stage, and a spare block
    R = np.empty(((stage_steps + 1) * nb, n_r), dtype=DS.dtype)  # rows r of a stage, and a spare block
    out = np.empty((n_l, n_r), dtype=DS.dtype)
    g = np.zeros((nb, n_rec), dtype=DS.dtype)  # g of the block
    back = np.empty((nb, n_rec), dtype=DS.dtype)  # W_rec^T d_{t+1} + W_out^T dL/dz_t of the block
    spare = stage_steps * nb  # the block of rows past the stage; first the last pair
    for b in range(nb):  # loops: slice assignments would compile three times as long
        for i in range(n_rec):
            L[spare + b, i] = 0.0
            R[spare + b, i] = H[n_steps, b0 + b, i]
        for o in range(n_out):
            L[spare + b, n_rec + o] = dz[n_steps - 1, b0 + b, o]
        for j in range(n_in):
            R[spare + b, n_rec + j] = 0.0
        R[spare + b, n_r - 1] = 1.0
    _add_product(L[spare:], R[spare:], out, sums)
    later, staged = spare, 0  # the first of the rows l of the later step; steps in the stage
    for t in range(n_steps - 1, -1, -1):
        _rows_times(L[later:later + nb], W_back, back)
        first = staged * nb
        for b in range(nb):
            # short loops over two or three arrays each: LLVM vectorizes them
            for i in range(n_rec):  # g = (1 - alpha) g_later + W_rec^T d_later + e
                g[b, i] = leak * g[b, i] + back[b, i] + rate_scale * H[t + 1, b0 + b, i]
            for i in range(n_rec):  # d = alpha sigma'(a) g
                L[first + b, i] = alpha * DS[t, b0 + b, i] * g[b, i]
            for o in range(n_out):  # dL/dz of the step before; none before the first
                L[first + b, n_rec + o] = dz[t - 1, b0 + b, o] if t > 0 else 0.0
            for i in range(n_rec):
                R[first + b, i] = H[t, b0 + b, i]
            for j in range(n_in):
                R[first + b, n_rec + j] = x[t, b0 + b, j]
            R[first + b, n_r - 1] = 1.0
        later, staged = first, staged + 1
        if staged == stage_steps or t == 0:  # the stage's sum of l^T r
            _add_product(L[:staged * nb], R[:staged * nb], out, sums)
            for b in range(nb):  # these rows l, needed by the next (earlier) step, to the spare block
                for i in range(n_l):
                    L[spare + b, i] = L[first + b, i]
            later, staged = spare, 0


@_inline
def _column_sums(A, out):
    """out = the sum of the rows of A (m, n), row by row."""
    for i in range(A.shape[1]):
        out[i] = 0.0
    for r in range(A.shape[0]):
        for i in range(A.shape[1]):
            out[i] += A[r, i]


@_jit
def _bptt_trial(dz, W_out, rate_scale, W_rec, alpha, leak, x, H, DS, gW_in, gW_rec, gb_rec, gW_out, gb_out):
    """:func:`_bptt_block` for a batch of one trial, on 2-D arrays.

    dz (n_steps, n_out), x (n_steps, n_in), H (n_steps + 1, n_rec), DS (n_steps, n_rec):
    the block kernel's arrays without their trial axis. The same recursion, with only what
    the next step needs inside the time loop: ``W_out^T dL/dz_t`` of all steps is one
    product before it. After it each gradient is one sum over all steps, since d_t (in DS
    by then), h_t, x_t and dL/dz_t are rows of matrices: ``dL/dW_rec = DS^T H[:-1]`` is one
    product (with its wrapper at 50 units: 0.89 (float32) and 0.93 (float64) of the time
    with the sums inside; ``bench/ab_commits.py --part backward``)."""
    n_steps, n_rec = DS.shape
    readout = np.dot(dz, W_out)  # (n_steps, n_rec): W_out^T dL/dz_t, all steps
    g = np.zeros(n_rec, dtype=DS.dtype)  # g_t
    for t in range(n_steps - 1, -1, -1):
        for i in range(n_rec):  # g_t = (1 - alpha) g_{t+1} + e_t + W_rec^T d_{t+1}
            g[i] = leak * g[i] + readout[t, i] + rate_scale * H[t + 1, i]
        if t < n_steps - 1:
            _add_row_times(DS[t + 1], W_rec, g)
        for i in range(n_rec):  # d_t = alpha sigma'(a_t) g_t
            DS[t, i] = alpha * DS[t, i] * g[i]
    np.dot(DS.T, H[:n_steps], gW_rec)  # sum_t d_t h_{t-1}^T
    np.dot(DS.T, x, gW_in)  # sum_t d_t x_t^T
    np.dot(dz.T, H[1:], gW_out)  # sum_t dL/dz_t h_t^T
    _column_sums(DS, gb_rec)
    _column_sums(dz, gb_out)


# ---------------------------------------------------------------------------------------
# Dispatch: trial blocks, work buffers and the public wrappers
# ---------------------------------------------------------------------------------------

#: Trials per block (blocks run through all their steps on separate threads).
_BLOCK_TRIALS = 32


def trial_blocks(n_trials: int, n_rec: int) -> int:
    """How many blocks of trials the kernels cut a batch into.

    Blocks of at most 32 trials, sizes within one (65 trials: 21, 22, 22), a batch of 2 to
    32 trials in two. A step's product runs faster with more rows (50 units, one core,
    GFLOP/s with 8, 16, 32, 64 rows: 25, 32, 38, 41 in float64; 29, 46, 60, 75 in float32):
    at the seed's size a step takes 0.80-0.90 of its time with blocks of at most 16, under
    load too (``bench/test_load.py``). The partition depends only on the sizes (`n_rec` is
    kept for a width-dependent size), never on the thread count, the load or the machine:
    results are bitwise reproducible with any ``NUMBA_NUM_THREADS``.
    """
    if n_trials < 2:
        return 1
    return max(2, -(-n_trials // _BLOCK_TRIALS))


_work = threading.local()


def work_buffers(n_steps: int, n_trials: int, n_rec: int, n_out: int, dtype) -> tuple:
    """State, derivative and output buffers, reused across calls of the same size.

    ``H (n_steps + 1, n_trials, n_rec)``, ``DS (n_steps, n_trials, n_rec)``, ``Z (n_steps,
    n_trials, n_out)``. Fresh buffers (tens of MB) cost more in page faults than a whole
    seed-size training step, so each thread keeps its last ones; the next call
    overwrites them, so callers copy out what they return.
    """
    key = (n_steps, n_trials, n_rec, n_out, np.dtype(dtype).str)
    cached = getattr(_work, "buffers", None)
    if cached is None or cached[0] != key:
        cached = (key, (
            np.empty((n_steps + 1, n_trials, n_rec), dtype=dtype),
            np.empty((n_steps, n_trials, n_rec), dtype=dtype),
            np.empty((n_steps, n_trials, n_out), dtype=dtype),
        ))
        _work.buffers = cached
    return cached[1]


def noise_scale(alpha: float, sigma_rec: float) -> float:
    """sqrt(2 alpha) sigma_rec, the factor of xi_t in the Euler step.

    Euler-Maruyama for ``tau dh = ... dt + sqrt(2 tau) sigma_rec dW``: a leaky linear unit
    has the stationary variance ``2 sigma_rec^2 / (2 - alpha)`` (sigma_rec^2 + O(alpha)).
    """
    return np.sqrt(2.0 * alpha) * sigma_rec


def _c(a, dtype) -> np.ndarray:
    """`a` as a C-contiguous array of `dtype` (no copy when it already is one)."""
    return np.ascontiguousarray(a, dtype=dtype)


def _augmented(params, dtype) -> np.ndarray:
    """``[W_rec^T; W_in^T; b_rec]`` (n_rec + n_in + 1, n_rec) in C order (as concatenated: F)."""
    return _c(np.concatenate((params["W_rec"].T, params["W_in"].T, params["b_rec"][None])), dtype)


def forward(params, x_tm, h0, xi, *, alpha: float, sigma_rec: float, activation: str, keep: bool = True):
    """Run the Euler forward pass over all steps.

    Parameters
    ----------
    params : mapping of str -> ndarray
        ``W_in (n_rec, n_in), W_rec (n_rec, n_rec), b_rec (n_rec,), W_out (n_out, n_rec),
        b_out (n_out,)``; the dtype of ``W_rec`` is the dtype of the computation.
    x_tm : ndarray, shape (n_steps, n_trials, n_in)
        Inputs, time-major.
    h0 : ndarray, shape (n_trials, n_rec) or (n_rec,)
    xi : ndarray, shape (n_trials, n_steps, n_rec), or None
        Standard-normal noise, trial-major; scaled here by :func:`noise_scale`.
    alpha, sigma_rec : float
    activation : str, a key of :data:`ACTIVATIONS`
    keep : bool
        Keep every state and sigma'(a_t) for BPTT (training); else only the readouts
        (evaluation: the states would be tens of MB written for nothing).

    Returns
    -------
    H, DS, Z : ndarray
        Time-major h_0..h_T (n_steps + 1, n_trials, n_rec), sigma'(a_t) (n_steps,
        n_trials, n_rec) and z_1..z_T (n_steps, n_trials, n_out). With `keep`, work
        buffers overwritten by the next call (:func:`work_buffers`); without, H and DS
        are None and Z a new array.

    Notes
    -----
    Every matrix product runs inside the kernels, with the BLAS that Numba links (SciPy's):
    NumPy's own, a second OpenBLAS with its own threads, would compete for the cores.
    """
    dtype = params["W_rec"].dtype
    x_tm = _c(x_tm, dtype)
    n_steps, n_trials, _ = x_tm.shape
    n_rec, n_out = params["W_rec"].shape[0], params["W_out"].shape[0]
    if keep:
        H, DS, Z = work_buffers(n_steps, n_trials, n_rec, n_out, dtype)
    else:  # the last two states and scratch; the training buffers stay cached
        H, DS = np.empty((2, n_trials, n_rec), dtype=dtype), np.empty((1, n_trials, n_rec), dtype=dtype)
        Z = np.empty((n_steps, n_trials, n_out), dtype=dtype)
    H[0] = h0
    has_noise = xi is not None
    noise = np.zeros((1, 1, 1), dtype=dtype)  # unused without noise
    if has_noise:  # (n_steps, n_trials, n_rec)
        noise = _c(np.transpose(xi, (1, 0, 2)), dtype) * dtype.type(noise_scale(alpha, sigma_rec))
    readout = (_c(params["W_out"], dtype), _c(params["b_out"], dtype))
    rest = (has_noise, dtype.type(alpha), 1.0 - float(dtype.type(alpha)), _ACT_TAGS[activation], keep)
    if n_trials == 1:  # one trial: the 2-D kernel, on views without the trial axis
        weights = (_c(params["W_in"].T, dtype), _c(params["b_rec"], dtype), _c(params["W_rec"].T, dtype))
        trial = (x_tm.reshape(n_steps, -1), *weights, *readout, noise.reshape(noise.shape[0], -1), *rest,
                 *(a.reshape(a.shape[0], -1) for a in (H, DS, Z)))  # C-contiguous, without the trial axis
        _threads.run_parallel([(_forward_trial, trial)])
    else:
        args = (x_tm, _augmented(params, dtype), *readout, noise, *rest)
        blocks = _threads.bounds(n_trials, trial_blocks(n_trials, n_rec))
        _threads.run_parallel([(_forward_block, args + (b0, b1, H, DS, Z)) for b0, b1 in blocks])
    return (H, DS, Z) if keep else (None, None, Z)


def backward(params, x_tm, H, DS, dz, *, alpha: float, rate_scale: float) -> dict:
    """Parameter gradients by BPTT, from the `H` and `DS` of :func:`forward`.

    Parameters
    ----------
    params, x_tm, alpha
        As in :func:`forward`; `H` and `DS` come from it (a single trial's kernel overwrites
        `DS` with d_t = dL/da_t; the block kernel only reads it).
    dz : ndarray, shape (n_steps, n_trials, n_out)
        dL/dz_t = m (z_t - y_t) / n_trials, time-major.
    rate_scale : float
        l2_rates / (n_trials n_steps), the factor of h_t in e_t.

    Returns
    -------
    dict of str -> ndarray
        Gradients of the data term and the rate regularizer, keyed like `params` (no
        weight regularizer, no connectivity masks: :mod:`purernn.losses` adds those).

    Notes
    -----
    Blocks of trials run the recursion and sum their own gradients on several threads
    (:func:`purernn._threads.run_parallel`); the blocks' sums are then added in block order.
    """
    W_rec, W_out = params["W_rec"], params["W_out"]
    dtype = W_rec.dtype
    n_trials, n_rec = DS.shape[1], DS.shape[2]
    dz, x_tm = _c(dz, dtype), _c(x_tm, dtype)
    rate_scale, alpha, leak = dtype.type(rate_scale), dtype.type(alpha), dtype.type(1.0 - alpha)
    names = ("W_in", "W_rec", "b_rec", "W_out", "b_out")
    if n_trials == 1:  # one trial: the 2-D kernel, on views without the trial axis, writing the sums
        grads = {k: np.empty(np.shape(params[k]), dtype=dtype) for k in names}
        trial = (dz.reshape(-1, dz.shape[2]), _c(W_out, dtype), rate_scale, _c(W_rec, dtype), alpha, leak,
                 x_tm.reshape(-1, x_tm.shape[2]), H.reshape(-1, n_rec), DS.reshape(-1, n_rec))
        _threads.run_parallel([(_bptt_trial, trial + tuple(grads.values()))])
        return grads
    blocks = _threads.bounds(n_trials, trial_blocks(n_trials, n_rec))
    stage = _stage_steps(max(b1 - b0 for b0, b1 in blocks), n_rec, x_tm.shape[2], dz.shape[2])
    args = (dz, _c(np.concatenate((W_rec, W_out)), dtype), rate_scale, alpha, leak, x_tm, H)  # W_back
    parts = np.zeros((len(blocks), n_rec + dz.shape[2], n_rec + x_tm.shape[2] + 1), dtype=dtype)
    _threads.run_parallel([(_bptt_block, args + (b0, b1, DS, stage, parts[k])) for k, (b0, b1) in enumerate(blocks)])
    sums = parts[0].copy()
    for k in range(1, len(blocks)):  # the blocks' sums added in block order
        sums += parts[k]
    return {"W_in": sums[:n_rec, n_rec:-1].copy(), "W_rec": sums[:n_rec, :n_rec].copy(),
            "b_rec": sums[:n_rec, -1].copy(), "W_out": sums[n_rec:, :n_rec].copy(), "b_out": sums[n_rec:, -1].copy()}

