"""Helpers shared by the analysis modules: argument checks and the activation.

Private to :mod:`purernn.analysis`. The activation is computed by the same compiled
functions that the forward pass inlines (``purernn.kernels._tanh`` and the others), so a
fixed point found here is a fixed point of the map that :func:`purernn.simulate` actually
iterates in float64 (to the last ulp).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .._fastmath import jit as _jit
from .._files import to_jsonable
from ..kernels import (_RELU, _SIGMOID, _SOFTPLUS, _TANH, _relu, _relu_grad, _sigmoid, _sigmoid_grad,
                       _softplus, _softplus_grad, _tanh, _tanh_grad)
from .._validate import check_array, fail
from ..model import Network

__all__ = [
    "check_net",
    "check_square",
    "check_state",
    "check_const_input",
    "activation",
    "activation_second",
    "complex_to_json",
]


def check_net(net, arg: str = "net") -> Network:
    """`net` must be a :class:`purernn.Network`."""
    if not isinstance(net, Network):
        fail(arg, "a purernn.Network", type(net).__name__,
             "Build one with pr.Network.create or load one with pr.load_run / pr.io.load_keras_h5.")
    return net


def check_square(arg: str, W) -> np.ndarray:
    """A finite real square matrix (n, n) with n >= 1, as float64."""
    W = check_array(arg, W, shape=(None, None), names=("n", "n"), dtype=np.float64)
    if W.shape[0] != W.shape[1] or W.shape[0] == 0:
        fail(arg, "a non-empty square matrix of shape (n, n)", W.shape)
    return W


def check_state(net: Network, h, arg: str = "h") -> np.ndarray:
    """One state (n_rec,) as float64; None means the origin."""
    if h is None:
        return np.zeros(net.n_rec)
    return check_array(arg, h, shape=(net.n_rec,), names=("n_rec",), dtype=np.float64)


def check_const_input(net: Network, x, arg: str = "x") -> np.ndarray:
    """A constant input (n_in,) as float64; None means zero input."""
    if x is None:
        return np.zeros(net.n_in)
    return check_array(arg, x, shape=(net.n_in,), names=("n_in",), dtype=np.float64,
                       hint="x is one constant input vector, not a time series.")


@_jit
def _activation_kernel(a, act, s, ds):
    """s = sigma(a) and ds = sigma'(a), elementwise over flat float64 arrays (analysis)."""
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


def activation(net: Network, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sigma(a) and sigma'(a) of the net's activation, for float64 `a` of any shape."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    flat = a.reshape(-1)
    s = np.empty_like(flat)
    ds = np.empty_like(flat)
    _activation_kernel(flat, kernels.ACTIVATIONS[net.config.activation], s, ds)
    return s.reshape(a.shape), ds.reshape(a.shape)


def activation_second(name: str, s: np.ndarray, ds: np.ndarray) -> np.ndarray:
    """sigma''(a) written with s = sigma(a) and ds = sigma'(a).

    tanh'' = -2 s ds; sigmoid'' = ds (1 - 2 s); softplus'' = sigmoid' = ds (1 - ds)
    (ds = sigmoid(a)); relu'' = linear'' = 0 (almost everywhere).
    """
    if name == "tanh":
        return -2.0 * s * ds
    if name == "sigmoid":
        return ds * (1.0 - 2.0 * s)
    if name == "softplus":
        return ds * (1.0 - ds)
    return np.zeros_like(s)


def complex_to_json(z) -> list:
    """Complex numbers -> [re, im] pairs (nested like the input), for JSON."""
    return to_jsonable(np.asarray(z, dtype=complex))
