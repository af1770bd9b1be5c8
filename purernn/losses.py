"""The loss and its exact gradient by backpropagation through time (BPTT).

The loss is the masked squared error of the outputs plus L2 terms on the weights and
the rates (:func:`loss_and_grad`); the BPTT recursion itself is in :mod:`purernn.kernels`.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from ._validate import check_array, check_number, fail
from .model import Network
from .outputs import check_output_loss, loss_and_dz
from .simulation import check_h0, check_inputs, check_noise

__all__ = ["loss_and_grad", "check_targets"]


def check_targets(net: Network, x: np.ndarray, y, mask):
    """Validate targets and mask against validated inputs `x`; mask defaults to ones."""
    n_trials, n_steps, _ = x.shape
    shape = (n_trials, n_steps, net.n_out)
    names = ("n_trials", "n_steps", "n_out")
    y = check_array("y", y, shape=shape, names=names, dtype=net.dtype,
                    hint="Did the task and the network disagree on n_out?")
    if mask is None:
        mask = np.ones(shape, dtype=net.dtype)
    else:
        mask = check_array("mask", mask, shape=shape, names=names, dtype=net.dtype)
        if (mask < 0).any():
            fail("mask", "non-negative (it weights the squared error)", f"min {mask.min()}")
    return y, mask


def loss_and_grad(net: Network, x, y, mask=None, *, h0=None, noise=None, rng=None,
                  l2_weights: float = 0.0, l2_rates: float = 0.0, loss: str = "mse"):
    """Loss and its exact gradient with respect to every parameter.

    Parameters
    ----------
    net : Network
    x : array_like, shape (n_trials, n_steps, n_in)
    y : array_like, shape (n_trials, n_steps, n_out)
        Targets.
    mask : array_like, shape (n_trials, n_steps, n_out), optional
        Non-negative weights of the squared error (default: all ones).
    h0 : array_like, shape (n_rec,) or (n_trials, n_rec), optional
    noise : array_like, shape (n_trials, n_steps, n_rec), optional
        Standard-normal recurrent-noise realization xi; the gradient is exact for it.
        Drawn from `rng` when omitted and ``net.config.sigma_rec > 0``.
    rng : numpy.random.Generator, int or None
    l2_weights, l2_rates : float >= 0
        Regularizer strengths.
    loss : {"mse", "cross_entropy"}
        The data term: squared error of the output, or cross-entropy (binary for a
        sigmoid output, categorical for a softmax one; see :mod:`purernn.outputs`).

    Returns
    -------
    loss : float
    grads : dict of str -> ndarray
        Same keys and shapes as ``net.params``. Gradients of absent connections
        (connectivity mask, no autapses, E-only readout) are 0. A low-rank network
        (``W_rec = U V^T / n_rec``) also gets ``U`` and ``V``, by the chain rule from
        ``W_rec``'s: ``dL/dU = dL/dW_rec V / n_rec``, ``dL/dV = dL/dW_rec^T U / n_rec``.

    Notes
    -----
    ::

        L = 1/n_trials sum_{b,t,j} 0.5 m[b,t,j] (z[b,t,j] - y[b,t,j])^2     (loss="mse")
            + l2_weights / 2 (|W_in|^2 + |W_rec|^2 + |W_out|^2)
            + l2_rates / (2 n_trials n_steps) sum_{b,t,i} h[b,t,i]^2

    The BPTT recursion is :func:`purernn.kernels.backward`; the plain-NumPy version is
    :func:`purernn.reference.loss_and_grad`.
    """
    x = check_inputs(net, x)
    y, mask = check_targets(net, x, y, mask)
    l2_weights = check_number("l2_weights", l2_weights, lo=0.0)
    l2_rates = check_number("l2_rates", l2_rates, lo=0.0)
    n_trials, n_steps, _ = x.shape
    h0 = check_h0(net, h0, n_trials)
    xi = check_noise(net, noise, rng, n_trials, n_steps)
    check_output_loss(net.config.output, loss)
    return _loss_and_grad(net, x, y, mask, h0, xi, l2_weights, l2_rates, loss)


def _loss_and_grad(net, x, y, mask, h0, xi, l2_weights, l2_rates, loss="mse"):
    """loss_and_grad on validated arrays (the training step calls this directly).

    Overflow gives inf or NaN without a warning: the caller checks that the loss and the
    gradient are finite and says what diverged.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return _loss_and_grad_unchecked(net, x, y, mask, h0, xi, l2_weights, l2_rates, loss)


def _loss_and_grad_unchecked(net, x, y, mask, h0, xi, l2_weights, l2_rates, loss):
    p = net._params
    cfg = net.config
    dtype = net.dtype
    n_trials, n_steps, _ = x.shape
    # (n_steps, n_trials, n_in) in the network's dtype, once for both passes
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)
    # time-major states, sigma'(a_t) and outputs (work buffers)
    H, DS, z = kernels.forward(p, x_tm, h0, xi, alpha=cfg.alpha, sigma_rec=cfg.sigma_rec,
                               activation=cfg.activation)

    # the data loss and dL/dz_t, (n_steps, n_trials, n_out)
    value, dz = loss_and_dz(z, y.transpose(1, 0, 2), mask.transpose(1, 0, 2), output=cfg.output,
                            loss=loss, n_trials=n_trials)

    rate_scale = l2_rates / (n_trials * n_steps)
    if l2_rates > 0:
        value += 0.5 * rate_scale * float(np.sum(np.square(H[1:]), dtype=np.float64))
    grads = kernels.backward(p, x_tm, H, DS, dz, alpha=cfg.alpha, rate_scale=rate_scale)
    if l2_weights > 0:
        for name in ("W_in", "W_rec", "W_out"):
            W = p[name]
            value += 0.5 * l2_weights * float(np.sum(np.square(W), dtype=np.float64))
            grads[name] += dtype.type(l2_weights) * W
    if net.rec_mask is not None:
        grads["W_rec"] *= net.rec_mask
    if net.out_mask is not None:
        grads["W_out"] *= net.out_mask
    if net._factors:
        # W_rec = U V^T / n_rec: dL/dU = dL/dW_rec V / n_rec, dL/dV = dL/dW_rec^T U / n_rec
        U, V, dW = net._factors["U"], net._factors["V"], grads["W_rec"]
        grads["U"] = (dW @ V) / net.n_rec  # (n_rec, rank)
        grads["V"] = (dW.T @ U) / net.n_rec  # (n_rec, rank)
    return value, grads
