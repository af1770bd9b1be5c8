"""Output nonlinearities and losses: what the readout ``z = W_out h + b_out`` becomes, and
how wrong it is.

BPTT (:func:`purernn.kernels.backward`) needs only ``dL/dz``, the derivative of the loss
with respect to the linear readout, so every output type and loss is these few lines of
NumPy, each gradient written by hand (the linear output's, which most training steps
run, also as one compiled pass, :func:`_masked_squared_error`)::

    output     p = f(z)                         loss            dL/dz (per trial, step)
    linear     p = z                            mse             m (p - y) / n
    sigmoid    p = 1 / (1 + exp(-z))            mse             m (p - y) p (1 - p) / n
                                                cross_entropy   m (p - y) / n
    softmax    p_j = exp(z_j) / sum_k exp(z_k)  mse             p * (g - sum_k g_k p_k), g = m (p - y) / n
                                                cross_entropy   ((sum_j m_j y_j) p - m y) / n

with the mask ``m`` (0 where the output is free) and ``n = n_trials``. The losses::

    mse            L = 1/n sum 0.5 m (p - y)^2
    cross_entropy  sigmoid: L = 1/n sum m (softplus(z) - y z)          (binary, y in [0, 1])
                   softmax: L = 1/n sum_{b,t} sum_j m_j y_j (lse(z) - z_j)   (categorical)

where ``softplus(z) - y z = -y log p - (1 - y) log(1 - p)`` and ``lse(z) - z_j = -log p_j``
are the stable forms (log-sum-exp), finite for any finite logits. For softmax targets y
are one-hot (or any distribution) over the n_out classes; a mask that is the same for
every class of a step weights that step.
"""

from __future__ import annotations

import functools

import numpy as np

from ._validate import check_choice, fail

__all__ = ["OUTPUTS", "LOSSES", "check_output_loss", "apply_output", "loss_and_dz"]

#: Output nonlinearities applied to the linear readout.
OUTPUTS = ("linear", "sigmoid", "softmax")
#: Training losses.
LOSSES = ("mse", "cross_entropy")


def check_output_loss(output: str, loss: str) -> None:
    """`output` and `loss` must be known and go together (cross-entropy needs probabilities)."""
    check_choice("output", output, OUTPUTS)
    check_choice("loss", loss, LOSSES)
    if loss == "cross_entropy" and output == "linear":
        fail("loss", "'mse' for a network with a linear output (cross-entropy needs "
             "probabilities)", loss, "Create the network with output='sigmoid' or 'softmax'.")


def _sigmoid(z):
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))  # the largest exponent is 0
    return e / e.sum(axis=-1, keepdims=True)


def apply_output(z: np.ndarray, output: str) -> np.ndarray:
    """The network's output p = f(z) for the readout `z` (..., n_out); `z` itself if linear."""
    if output == "sigmoid":
        return _sigmoid(z).astype(z.dtype, copy=False)
    if output == "softmax":
        return _softmax(z).astype(z.dtype, copy=False)
    return z


def loss_and_dz(z: np.ndarray, y: np.ndarray, mask: np.ndarray, *, output: str, loss: str,
                n_trials: int) -> tuple[float, np.ndarray]:
    """The data loss and dL/dz for readouts `z`, targets `y` and mask `mask` (same shapes,
    the last axis the outputs).

    Returns
    -------
    loss : float
        Summed in float64, divided by `n_trials`.
    dz : ndarray
        dL/dz (a new array): the dtype of `z`, or for the linear output that of ``z - y``.
    """
    if output == "linear" and z.ndim == 3 and z.shape == np.shape(y) == np.shape(mask):
        # the training step's case: one compiled pass (no broadcasting)
        dz = np.empty(z.shape, dtype=np.result_type(z, y, mask))
        value = 0.5 * _squared_error_kernel()(z, y, mask, dz) / n_trials
        dz /= n_trials
        return value, dz
    if output == "linear":
        diff = z - y
        dz = mask * diff
        value = 0.5 * float(np.sum(dz * diff, dtype=np.float64)) / n_trials
        dz /= n_trials
        return value, dz
    p = apply_output(z, output)
    if loss == "mse":
        diff = p - y
        g = mask * diff  # dL/dp times n_trials
        value = 0.5 * float(np.sum(g * diff, dtype=np.float64)) / n_trials
        if output == "sigmoid":
            dz = g * p * (1.0 - p)
        else:  # softmax: the Jacobian diag(p) - p p^T applied to g
            dz = p * (g - np.sum(g * p, axis=-1, keepdims=True))
    elif output == "sigmoid":
        softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
        value = float(np.sum(mask * (softplus - y * z), dtype=np.float64)) / n_trials
        dz = mask * (p - y)
    else:
        lse = z.max(axis=-1, keepdims=True)
        lse = lse + np.log(np.sum(np.exp(z - lse), axis=-1, keepdims=True))
        my = mask * y
        value = float(np.sum(my * (lse - z), dtype=np.float64)) / n_trials
        dz = np.sum(my, axis=-1, keepdims=True) * p - my
    dz = np.asarray(dz, dtype=z.dtype) / z.dtype.type(n_trials)
    return value, dz


def _masked_squared_error(z, y, mask, g):
    """``g = mask (z - y)`` and the sum of ``g (z - y)``, in float64, for 3-D arrays.

    NumPy needs five passes over the arrays, two of them strided views (the targets are
    trial-major, the readouts time-major): 0.86 ms of a 12 ms training step at the seed's
    size. One compiled pass writes the same ``g``, bit for bit. The sum is added in
    another order than NumPy's pairwise one, so the loss may differ in its last bits; it
    is added per step, then over the steps, so that its rounding error grows with
    n_trials n_out + n_steps terms, not with their product (a finite-difference gradient
    of the loss needs it accurate).
    """
    total = 0.0
    n_steps, n_trials, n_out = z.shape
    for t in range(n_steps):
        step = 0.0
        for b in range(n_trials):
            for j in range(n_out):
                diff = z[t, b, j] - y[t, b, j]
                g[t, b, j] = mask[t, b, j] * diff
                step += g[t, b, j] * diff
        total += step
    return total


@functools.cache
def _squared_error_kernel():
    """:func:`_masked_squared_error`, compiled like purernn's kernels, on first use: this
    module itself loads without Numba."""
    from ._fastmath import jit

    return jit(_masked_squared_error)
