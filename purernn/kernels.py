"""All compiled model math: activations, forward Euler, BPTT and Adam.

This is the one file to read to see what purernn computes. The model (SPEC section 1),
for t = 1..T and a batch of trials::

    a_t = W_rec h_{t-1} + W_in x_t + b_rec                       pre-activation
    h_t = (1 - alpha) h_{t-1} + alpha sigma(a_t) + sqrt(2 alpha) sigma_rec xi_t
    z_t = W_out h_t + b_out

and its gradient by backpropagation through time (BPTT). With ``g_t = dL/dh_t`` (the
total derivative, through every later step) and ``d_t = dL/da_t``::

    g_T = e_T
    g_t = e_t + (1 - alpha) g_{t+1} + W_rec^T d_{t+1}              t = T-1..1
    d_t = alpha sigma'(a_t) * g_t

where ``e_t`` is the direct derivative of the loss with respect to ``h_t`` (the readout
error ``W_out^T m * (z_t - y_t) / n_trials`` plus the rate regularizer). The parameter
gradients are sums over steps and trials::

    dL/dW_rec = sum_t d_t h_{t-1}^T      dL/dW_in = sum_t d_t x_t^T    dL/db_rec = sum_t d_t

Layout inside the kernels is time-major, ``(n_steps, n_trials, n_rec)``, so that the
states of a block of trials at one step are a contiguous ``(n_block, n_rec)`` array and
the recurrent product of a step is one BLAS call. Small problems run fixed blocks of
trials in parallel (``_forward_kernel_blocks``, ``_backward_kernel_blocks``); large ones
run one block and let BLAS use the cores (``_forward_kernel``, ``_backward_kernel``).
The public API is trial-major.

Policy (STYLE.md): every routine here is a private ``_kernel`` called by a public
wrapper that validates and allocates. Kernels take arrays and numbers, fill the outputs
they are given, and never validate, raise or draw random numbers.

Speed notes (PERFORMANCE.md): ``np.tanh`` inside a Numba loop is a scalar libm call,
too slow for the step budget, so ``_tanh`` below is written from one exponential with
explicit range reduction and a polynomial, which LLVM vectorizes; it is accurate to a
few ulp in float64 (tested against ``np.tanh`` in ``tests/test_kernels.py``).
"""

from __future__ import annotations

import math
import os

# Parallel regions run on Numba's OpenMP threads, which by default spin after each region
# waiting for the next one. On a shared machine (two training processes on two cores, or
# any other load) the spinning threads take the cores from the threads doing the work:
# a seed-size step measured 328 ms instead of 40 ms with passive waiting. Set before the
# OpenMP runtime loads (at the first parallel call); an explicit user setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["ACTIVATIONS", "JIT_OPTIONS"]

#: The one decorator policy. Never ``fastmath=True``: it drops the NaN/Inf semantics that
#: the divergence guard relies on. ``error_model="numpy"``: a division by zero gives inf or
#: NaN (caught by the divergence guard) instead of a Python exception; with Numba's default
#: ("python") every division carries a zero check that stops LLVM from vectorizing loops.
JIT_OPTIONS = dict(
    cache=True,
    error_model="numpy",
    fastmath={"nsz", "arcp", "contract", "afn", "reassoc"},
)


def _jit(fn=None, **extra):
    """``numba.njit`` with the policy above (``@_jit`` or ``@_jit(parallel=True)``)."""
    if fn is None:
        return lambda f: numba.njit(**JIT_OPTIONS, **extra)(f)
    return numba.njit(**JIT_OPTIONS)(fn)


_inline = numba.njit(inline="always", **JIT_OPTIONS)

#: Registry of activation names -> integer code passed to the kernels.
ACTIVATIONS = {"tanh": 0, "relu": 1, "softplus": 2, "sigmoid": 3, "linear": 4}
_TANH, _RELU, _SOFTPLUS, _SIGMOID, _LINEAR = 0, 1, 2, 3, 4

# ---------------------------------------------------------------------------------------
# Activations and their derivatives, side by side
# ---------------------------------------------------------------------------------------

# Cody-Waite split of ln 2: k * _LN2_HI is exact for |k| < 2**21.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_Y_MAX = 700.0  # exp(-700) ~ 1e-304 is still a normal double


@_inline
def _exp_neg_parts(y):
    """(q, s) with exp(-y) = s (1 + q) for y >= 0; branch-free, so loops vectorize.

    exp(-y) = 2^-k exp(-r) with y = k ln2 + r, |r| <= ln2 / 2; q = exp(-r) - 1 is a
    degree-13 Taylor polynomial (truncation error < 2e-16 relative) and s = 2^-k.
    Then exp(-y) = s (1 + q) and expm1(-y) = s q + (s - 1), which is exact in relative
    terms near y = 0 (k = 0, s = 1).
    """
    y = min(y, _Y_MAX)
    k = math.floor(y * _INV_LN2 + 0.5)
    r = -((y - k * _LN2_HI) - k * _LN2_LO)  # exponent of the reduced exp, |r| <= 0.347
    q = r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (
        1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (
            1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 + r * (
                1.0 / 6227020800)))))))))))))
    # 2^-k for 0 <= k < 1024 from the bits of k (selects, so the loop stays vectorized).
    ki = np.int64(k)
    s = 0.5 if ki & 1 else 1.0
    s *= 0.25 if ki & 2 else 1.0
    s *= 0.0625 if ki & 4 else 1.0
    s *= 3.90625e-03 if ki & 8 else 1.0
    s *= 1.52587890625e-05 if ki & 16 else 1.0
    s *= 2.3283064365386963e-10 if ki & 32 else 1.0
    s *= 5.421010862427522e-20 if ki & 64 else 1.0
    s *= 2.938735877055719e-39 if ki & 128 else 1.0
    s *= 8.636168555094445e-78 if ki & 256 else 1.0
    s *= 7.458340731200207e-155 if ki & 512 else 1.0
    return q, s


@_inline
def _expm1_neg(y):
    """expm1(-y) = exp(-y) - 1 for y >= 0, to a few ulp."""
    q, s = _exp_neg_parts(y)
    return q * s + (s - 1.0)


@_inline
def _exp_neg(y):
    """exp(-y) for y >= 0, to a few ulp."""
    q, s = _exp_neg_parts(y)
    return s * (1.0 + q)


@_inline
def _tanh(a):
    """tanh(a) = sign(a) (1 - e) / (1 + e), e = exp(-2|a|), via expm1 for accuracy near 0."""
    em1 = _expm1_neg(2.0 * abs(a))
    t = -em1 / (2.0 + em1)
    return t if a >= 0.0 else -t  # a select, where math.copysign would stop vectorization


# float32 versions of the constants, so that float32 networks compute tanh in float32
# arithmetic: twice the SIMD lanes of the float64 polynomial.
_F32 = np.float32
_F32_ONE, _F32_TWO, _F32_HALF = _F32(1.0), _F32(2.0), _F32(0.5)
_F32_Y_MAX = _F32(40.0)  # tanh(20) == 1 in float32
_F32_INV_LN2 = _F32(1.4426950408889634)
_F32_LN2_HI = _F32(0.693359375)  # Cephes' split: k * _F32_LN2_HI is exact for k < 2**12
_F32_LN2_LO = _F32(-2.12194440e-4)
_F32_C = tuple(_F32(1.0 / math.factorial(n)) for n in range(1, 9))


@_inline
def _tanh_f32(a):
    """tanh for float32 `a` in float32 arithmetic: _tanh's method with a degree-8 polynomial
    (truncation error < 3e-9 relative) and 2^-k for k < 64. Accurate to a few float32 ulp."""
    y = min(_F32_TWO * abs(a), _F32_Y_MAX)
    k = np.floor(y * _F32_INV_LN2 + _F32_HALF)
    r = -((y - k * _F32_LN2_HI) - k * _F32_LN2_LO)
    c1, c2, c3, c4, c5, c6, c7, c8 = _F32_C
    q = r * (c1 + r * (c2 + r * (c3 + r * (c4 + r * (c5 + r * (c6 + r * (c7 + r * c8)))))))
    ki = np.int32(k)
    s = _F32(0.5) if ki & 1 else _F32_ONE
    s *= _F32(0.25) if ki & 2 else _F32_ONE
    s *= _F32(0.0625) if ki & 4 else _F32_ONE
    s *= _F32(3.90625e-03) if ki & 8 else _F32_ONE
    s *= _F32(1.52587890625e-05) if ki & 16 else _F32_ONE
    s *= _F32(2.3283064365386963e-10) if ki & 32 else _F32_ONE
    em1 = q * s + (s - _F32_ONE)
    t = -em1 / (_F32_TWO + em1)
    return t if a >= 0 else -t


@_inline
def _tanh_grad(s):
    """tanh'(a) written with s = tanh(a)."""
    return 1.0 - s * s


@_inline
def _sigmoid(a):
    """1 / (1 + exp(-a)), computed from e = exp(-|a|) so that it never overflows."""
    e = _exp_neg(abs(a))
    return (1.0 if a >= 0.0 else e) / (1.0 + e)


@_inline
def _sigmoid_grad(s):
    """sigmoid'(a) written with s = sigmoid(a)."""
    return s * (1.0 - s)


@_inline
def _softplus(a):
    """log(1 + exp(a)) = max(a, 0) + log1p(exp(-|a|)) (a scalar libm call: slower)."""
    return max(a, 0.0) + math.log1p(_exp_neg(abs(a)))


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


@_jit
def _activation_kernel(a, act, s, ds):
    """s = sigma(a) and ds = sigma'(a), elementwise over flat arrays (used by analysis)."""
    n = a.size
    if act == _TANH:
        for i in range(n):
            s[i] = _tanh(a[i])
            ds[i] = _tanh_grad(s[i])
    elif act == _RELU:
        for i in range(n):
            s[i] = _relu(a[i])
            ds[i] = _relu_grad(a[i])
    elif act == _SOFTPLUS:
        for i in range(n):
            s[i] = _softplus(a[i])
            ds[i] = _softplus_grad(a[i])
    elif act == _SIGMOID:
        for i in range(n):
            s[i] = _sigmoid(a[i])
            ds[i] = _sigmoid_grad(s[i])
    else:
        for i in range(n):
            s[i] = a[i]
            ds[i] = 1.0


# ---------------------------------------------------------------------------------------
# Forward Euler
# ---------------------------------------------------------------------------------------


@_jit
def _euler_update(a, h_prev, noise, alpha, act, h, ds):
    """One Euler step for a block of trials, on flat (n_block * n_rec,) views.

        h_t = (1 - alpha) h_{t-1} + alpha sigma(a_t) + noise_t
        ds  = sigma'(a_t), kept for BPTT

    One loop per activation so each stays branch-free and vectorizes.
    """
    n = a.size
    leak = 1.0 - alpha
    if act == _TANH and a.itemsize == 4:  # float32 network
        # h_{t-1} + alpha (s - h_{t-1}) == (1 - alpha) h_{t-1} + alpha s, written without a
        # float64 literal so that the whole loop stays in float32
        for i in range(n):
            s = _tanh_f32(a[i])
            h[i] = h_prev[i] + alpha * (s - h_prev[i]) + noise[i]
            ds[i] = _F32_ONE - s * s
    elif act == _TANH:
        for i in range(n):
            s = _tanh(a[i])
            h[i] = leak * h_prev[i] + alpha * s + noise[i]
            ds[i] = _tanh_grad(s)
    elif act == _RELU:
        for i in range(n):
            h[i] = leak * h_prev[i] + alpha * _relu(a[i]) + noise[i]
            ds[i] = _relu_grad(a[i])
    elif act == _SOFTPLUS:
        for i in range(n):
            h[i] = leak * h_prev[i] + alpha * _softplus(a[i]) + noise[i]
            ds[i] = _softplus_grad(a[i])
    elif act == _SIGMOID:
        for i in range(n):
            s = _sigmoid(a[i])
            h[i] = leak * h_prev[i] + alpha * s + noise[i]
            ds[i] = _sigmoid_grad(s)
    else:
        for i in range(n):
            h[i] = leak * h_prev[i] + alpha * a[i] + noise[i]
            ds[i] = 1.0


@_inline
def _block(k, n_blocks, n_trials):
    """Trials [b0, b1) of block k out of n_blocks (a fixed partition of the trials)."""
    return k * n_trials // n_blocks, (k + 1) * n_trials // n_blocks


@_jit
def _forward_block(x, W_in_T, b_rec, W_rec_T, W_out, b_out, noise, has_noise, alpha, act, b0, b1, H, DS, Z):
    """Run the Euler update over all steps, and the readout.

        a_t = W_rec h_{t-1} + W_in x_t + b_rec
        h_t = (1 - alpha) h_{t-1} + alpha sigma(a_t) + noise_t
        z_t = W_out h_t + b_out

    Trials are independent: the drivers below cut them into fixed blocks that run in
    parallel through all steps, with no synchronization between steps. Each trial's
    arithmetic is the same whatever the blocks or the thread count, so results are too.

    Parameters
    ----------
    x : (n_steps, n_trials, n_in)
        Inputs, time-major.
    W_in_T : (n_in, n_rec)
        ``W_in`` transposed, so the loop below runs along contiguous rows.
    b_rec : (n_rec,)
    W_rec_T : (n_rec, n_rec)
        ``W_rec`` transposed, C-contiguous, so the recurrent input of a block of trials is
        one product ``h_{t-1} @ W_rec^T``.
    W_out : (n_out, n_rec)
    b_out : (n_out,)
    noise : (n_steps, n_trials, n_rec)
        Scaled recurrent noise ``sqrt(2 alpha) sigma_rec xi_t``; ignored unless has_noise.
    b0, b1 : int
        The block of trials [b0, b1) that this call computes.
    H : (n_steps + 1, n_trials, n_rec)
        ``H[0]`` holds h_0 on entry; ``H[t]`` receives h_t.
    DS : (n_steps, n_trials, n_rec)
        Receives sigma'(a_t).
    Z : (n_steps, n_trials, n_out)
        Receives z_t.
    """
    n_steps, n_trials, n_rec = DS.shape
    n_in = x.shape[2]
    n_out = Z.shape[2]
    a = np.empty((b1 - b0, n_rec), dtype=H.dtype)  # a_t of the block, (n_block, n_rec)
    zero = np.zeros((b1 - b0) * n_rec, dtype=H.dtype)
    for t in range(n_steps):
        np.dot(H[t, b0:b1], W_rec_T, a)  # W_rec h_{t-1}
        for b in range(b1 - b0):
            # + W_in x_t + b_rec (n_in is small: a loop beats a BLAS call)
            for i in range(n_rec):
                a[b, i] += b_rec[i]
            for j in range(n_in):
                c = x[t, b0 + b, j]
                for i in range(n_rec):
                    a[b, i] += c * W_in_T[j, i]
        step_noise = noise[t, b0:b1].reshape(-1) if has_noise else zero
        _euler_update(a.reshape(-1), H[t, b0:b1].reshape(-1), step_noise, alpha, act,
                      H[t + 1, b0:b1].reshape(-1), DS[t, b0:b1].reshape(-1))
        for b in range(b1 - b0):
            for o in range(n_out):  # z_t = W_out h_t + b_out
                acc = b_out[o]
                for i in range(n_rec):
                    acc += W_out[o, i] * H[t + 1, b0 + b, i]
                Z[t, b0 + b, o] = acc


@_jit
def _forward_kernel(x, W_in_T, b_rec, W_rec_T, W_out, b_out, noise, has_noise, alpha, act, H, DS, Z):
    """All trials as one block: one product per step, which BLAS may itself run in parallel."""
    _forward_block(x, W_in_T, b_rec, W_rec_T, W_out, b_out, noise, has_noise, alpha, act, 0, DS.shape[1],
                   H, DS, Z)


@_jit(parallel=True)
def _forward_kernel_blocks(x, W_in_T, b_rec, W_rec_T, W_out, b_out, noise, has_noise, alpha, act, n_blocks,
                           H, DS, Z):
    """The trials cut into `n_blocks` fixed blocks, run in parallel (small products)."""
    n_trials = DS.shape[1]
    for k in numba.prange(n_blocks):
        b0, b1 = _block(k, n_blocks, n_trials)
        _forward_block(x, W_in_T, b_rec, W_rec_T, W_out, b_out, noise, has_noise, alpha, act, b0, b1, H, DS, Z)


# ---------------------------------------------------------------------------------------
# Backpropagation through time
# ---------------------------------------------------------------------------------------


@_jit
def _bptt_block(dz, W_out, rate_scale, W_rec, alpha, H, b0, b1, DS):
    """The BPTT recursion for trials [b0, b1), turning sigma'(a_t) into d_t in place.

        e_t = W_out^T dL/dz_t + rate_scale h_t          direct dL/dh_t
        g_T = e_T
        g_t = e_t + (1 - alpha) g_{t+1} + W_rec^T d_{t+1}
        d_t = alpha sigma'(a_t) * g_t                    d_t = dL/da_t

    Parameters
    ----------
    dz : (n_steps, n_trials, n_out)
        dL/dz_t = m (z_t - y_t) / n_trials, time-major.
    W_out : (n_out, n_rec)
    rate_scale : float
        l2_rates / (n_trials n_steps).
    W_rec : (n_rec, n_rec)
        In row form ``d_{t+1} @ W_rec`` is ``(W_rec^T d_{t+1})^T`` for every trial.
    H : (n_steps + 1, n_trials, n_rec)
        h_0..h_T from the forward pass.
    DS : (n_steps, n_trials, n_rec)
        sigma'(a_t) on entry, d_t on exit (for the block's trials).
    """
    n_steps, n_trials, n_rec = DS.shape
    n_out = dz.shape[2]
    leak = 1.0 - alpha
    g = np.empty((b1 - b0, n_rec), dtype=DS.dtype)  # g_t of the block
    back = np.empty((b1 - b0, n_rec), dtype=DS.dtype)  # W_rec^T d_{t+1}
    for t in range(n_steps - 1, -1, -1):
        if t < n_steps - 1:
            np.dot(DS[t + 1, b0:b1], W_rec, back)
        for b in range(b1 - b0):
            # g_t = (1 - alpha) g_{t+1} + W_rec^T d_{t+1} + e_t, one contiguous row at a time
            if t < n_steps - 1:
                for i in range(n_rec):
                    g[b, i] = leak * g[b, i] + back[b, i] + rate_scale * H[t + 1, b0 + b, i]
            else:
                for i in range(n_rec):
                    g[b, i] = rate_scale * H[t + 1, b0 + b, i]
            for o in range(n_out):  # + W_out^T dL/dz_t
                c = dz[t, b0 + b, o]
                for i in range(n_rec):
                    g[b, i] += c * W_out[o, i]
            for i in range(n_rec):  # d_t = alpha sigma'(a_t) g_t
                DS[t, b0 + b, i] = alpha * DS[t, b0 + b, i] * g[b, i]


@_jit
def _backward_kernel(dz, W_out, rate_scale, W_rec, alpha, x, H, DS, gW_in, gW_rec, gb_rec, gW_out, gb_out):
    """BPTT for all trials as one block, then the parameter gradients."""
    _bptt_block(dz, W_out, rate_scale, W_rec, alpha, H, 0, DS.shape[1], DS)
    _backward_sums(dz, x, H, DS, gW_in, gW_rec, gb_rec, gW_out, gb_out)


@_jit
def _block_sums(dz, x, H, D, b0, b1, gW_in, gW_rec, gb_rec, gW_out, gb_out):
    """The parameter gradients of trials [b0, b1), summed step by step (see _backward_sums).

    Each step adds one small product ``d_t^T h_{t-1}`` over the block's trials, small
    enough that BLAS runs it on the calling thread: the blocks then share the cores
    without BLAS threads competing with them.
    """
    n_steps, n_trials, n_rec = D.shape
    n_in = x.shape[2]
    n_out = dz.shape[2]
    outer = np.empty((n_rec, n_rec), dtype=D.dtype)  # d_t^T h_{t-1} of the block
    gW_in_T = np.zeros((n_in, n_rec), dtype=D.dtype)  # rows contiguous along units
    gW_rec[:] = 0.0
    gb_rec[:] = 0.0
    gW_out[:] = 0.0
    gb_out[:] = 0.0
    for t in range(n_steps):
        np.dot(D[t, b0:b1].T, H[t, b0:b1], outer)
        for i in range(n_rec):
            for j in range(n_rec):
                gW_rec[i, j] += outer[i, j]
        for b in range(b0, b1):
            for i in range(n_rec):
                gb_rec[i] += D[t, b, i]
            for j in range(n_in):
                c = x[t, b, j]
                for i in range(n_rec):
                    gW_in_T[j, i] += c * D[t, b, i]
            for o in range(n_out):
                c = dz[t, b, o]
                gb_out[o] += c
                for i in range(n_rec):
                    gW_out[o, i] += c * H[t + 1, b, i]
    gW_in[:] = gW_in_T.T


@_jit(parallel=True)
def _backward_kernel_blocks(dz, W_out, rate_scale, W_rec, alpha, x, H, n_blocks, DS, gW_in, gW_rec, gb_rec,
                            gW_out, gb_out):
    """BPTT and gradients on `n_blocks` fixed blocks of trials in parallel (small products).

    Each block writes its own slice of per-block gradient buffers; the slices are then
    summed serially in block order, so the result does not depend on the thread count.
    """
    n_trials = DS.shape[1]
    P_in = np.empty((n_blocks,) + gW_in.shape, dtype=DS.dtype)
    P_rec = np.empty((n_blocks,) + gW_rec.shape, dtype=DS.dtype)
    P_brec = np.empty((n_blocks,) + gb_rec.shape, dtype=DS.dtype)
    P_out = np.empty((n_blocks,) + gW_out.shape, dtype=DS.dtype)
    P_bout = np.empty((n_blocks,) + gb_out.shape, dtype=DS.dtype)
    for k in numba.prange(n_blocks):
        b0, b1 = _block(k, n_blocks, n_trials)
        _bptt_block(dz, W_out, rate_scale, W_rec, alpha, H, b0, b1, DS)
        _block_sums(dz, x, H, DS, b0, b1, P_in[k], P_rec[k], P_brec[k], P_out[k], P_bout[k])
    gW_in[:] = P_in[0]
    gW_rec[:] = P_rec[0]
    gb_rec[:] = P_brec[0]
    gW_out[:] = P_out[0]
    gb_out[:] = P_bout[0]
    for k in range(1, n_blocks):
        gW_in += P_in[k]
        gW_rec += P_rec[k]
        gb_rec += P_brec[k]
        gW_out += P_out[k]
        gb_out += P_bout[k]


@_jit
def _backward_sums(dz, x, H, D, gW_in, gW_rec, gb_rec, gW_out, gb_out):
    """Parameter gradients from d_t = dL/da_t (in D) and dL/dz_t::

        dL/dW_rec = sum_t d_t h_{t-1}^T   dL/dW_in = sum_t d_t x_t^T   dL/db_rec = sum_t d_t
        dL/dW_out = sum_t dL/dz_t h_t^T   dL/db_out = sum_t dL/dz_t

    Every sum over steps and trials is one large matrix product (BLAS, which may use
    several threads) or a serial loop in a fixed order, so the result does not depend on
    the thread count.
    """
    n_steps, n_trials, n_rec = D.shape
    n_out = dz.shape[2]
    d_all = D.reshape(n_steps * n_trials, n_rec)
    np.dot(d_all.T, H[:-1].reshape(n_steps * n_trials, n_rec), gW_rec)
    np.dot(d_all.T, x.reshape(n_steps * n_trials, x.shape[2]), gW_in)
    np.dot(dz.reshape(n_steps * n_trials, n_out).T, H[1:].reshape(n_steps * n_trials, n_rec), gW_out)
    gb_rec[:] = 0.0
    for k in range(d_all.shape[0]):
        for i in range(n_rec):
            gb_rec[i] += d_all[k, i]
    gb_out[:] = 0.0
    for t in range(n_steps):
        for b in range(n_trials):
            for o in range(n_out):
                gb_out[o] += dz[t, b, o]


# ---------------------------------------------------------------------------------------
# Adam
# ---------------------------------------------------------------------------------------


@_jit
def _adam_kernel(p, g, m, v, scale, lr, beta1, beta2, eps, bias1, bias2):
    """One Adam step (Kingma & Ba 2015) on flat arrays, in place.

        g <- scale * g                       (global-norm clipping factor, 1 if none)
        m <- beta1 m + (1 - beta1) g
        v <- beta2 v + (1 - beta2) g^2
        p <- p - lr * (m / bias1) / (sqrt(v / bias2) + eps)
             with bias1 = 1 - beta1^t, bias2 = 1 - beta2^t
    """
    for i in range(p.size):
        gi = scale * g[i]
        m[i] = beta1 * m[i] + (1.0 - beta1) * gi
        v[i] = beta2 * v[i] + (1.0 - beta2) * gi * gi
        p[i] -= lr * (m[i] / bias1) / (math.sqrt(v[i] / bias2) + eps)
