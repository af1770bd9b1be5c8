"""Adam with global-norm gradient clipping, and its compiled step.

The optimizer state is an explicit, immutable object (:class:`AdamState`) that can be
saved as plain arrays (:meth:`AdamState.to_arrays`) and restored exactly. The update of
each parameter is one call of the Numba kernel :func:`_adam_kernel`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ._fastmath import jit as _jit
from ._validate import check_array, check_int, check_number, fail

__all__ = ["Adam", "AdamState", "global_norm", "clip_scale", "adam_update"]


@dataclass(frozen=True, kw_only=True)
class Adam:
    """Adam hyperparameters (Kingma & Ba 2015).

    Attributes
    ----------
    lr : float
        Learning rate.
    beta1, beta2 : float in [0, 1)
        Decay rates of the first and second moment estimates.
    eps : float > 0
    clip_norm : float or None
        If set, gradients are rescaled so that their global L2 norm (over all trainable
        parameters) is at most ``clip_norm``.
    """

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    clip_norm: float | None = None

    def __post_init__(self):
        check_number("lr", self.lr, lo=0.0, lo_open=True)
        check_number("beta1", self.beta1, lo=0.0, hi=1.0, hi_open=True)
        check_number("beta2", self.beta2, lo=0.0, hi=1.0, hi_open=True)
        check_number("eps", self.eps, lo=0.0, lo_open=True)
        if self.clip_norm is not None:
            check_number("clip_norm", self.clip_norm, lo=0.0, lo_open=True)

    def init(self, params: Mapping) -> "AdamState":
        """Zero moments for `params` (step count 0)."""
        return AdamState(
            t=0,
            m={k: np.zeros_like(v) for k, v in params.items()},
            v={k: np.zeros_like(v) for k, v in params.items()},
        )

    def update(self, params: dict, grads: Mapping, state: "AdamState", names) -> tuple["AdamState", float]:
        """Apply one step to the arrays of `params` named in `names`, in place.

        Returns the new state and the gradient's global norm before clipping.

        Notes
        -----
        With g the (clipped) gradient and t the new step count::

            m <- beta1 m + (1 - beta1) g
            v <- beta2 v + (1 - beta2) g^2
            p <- p - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
        """
        norm = global_norm(grads, names)
        scale = clip_scale(norm, self.clip_norm)
        t = state.t + 1
        m = {k: a.copy() for k, a in state.m.items()}
        v = {k: a.copy() for k, a in state.v.items()}
        if names:
            adam_update([params[k] for k in names], [grads[k] for k in names], [m[k] for k in names],
                        [v[k] for k in names], t=t, lr=self.lr, beta1=self.beta1, beta2=self.beta2,
                        eps=self.eps, scale=scale)
        return AdamState(t=t, m=m, v=v), norm


def global_norm(grads: Mapping, names) -> float:
    """sqrt(sum over the named gradients of the sum of squared entries), in float64."""
    total = 0.0
    for name in names:
        g = grads[name]
        # np.sum's own reduction without its Python wrapper (no BLAS call: see purernn.kernels.forward)
        total += float(np.add.reduce(np.square(g), axis=None, dtype=np.float64))
    return math.sqrt(total)


def clip_scale(norm: float, clip_norm: float | None) -> float:
    """Factor that brings a gradient of global norm `norm` down to `clip_norm`.

    1 when there is no clipping or the norm is at or below the threshold.
    """
    if clip_norm is None or not norm > clip_norm:
        return 1.0
    return clip_norm / norm


@dataclass(frozen=True)
class AdamState:
    """Step count and moment estimates, one array per parameter."""

    t: int
    m: Mapping
    v: Mapping

    def to_arrays(self) -> dict:
        """Flat dict of arrays for ``np.savez`` (no pickling)."""
        out = {"adam_t": np.array(self.t, dtype=np.int64)}
        for k in self.m:
            out[f"adam_m_{k}"] = np.asarray(self.m[k])
            out[f"adam_v_{k}"] = np.asarray(self.v[k])
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping, params: Mapping) -> "AdamState":
        """Inverse of :meth:`to_arrays`, checked against the shapes of `params`."""
        if "adam_t" not in arrays:
            fail("arrays", "an optimizer state with the key 'adam_t'", sorted(arrays))
        t = check_int("adam_t", int(np.asarray(arrays["adam_t"])), lo=0)
        m, v = {}, {}
        for k, p in params.items():
            for prefix, store in (("adam_m_", m), ("adam_v_", v)):
                key = prefix + k
                if key not in arrays:
                    fail("arrays", f"an optimizer state with the key {key!r}", sorted(arrays))
                store[k] = check_array(key, arrays[key], shape=np.shape(p), dtype=np.asarray(p).dtype).copy()
        return cls(t=t, m=m, v=v)


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


def adam_update(p, g, m, v, *, t: int, lr: float, beta1: float, beta2: float, eps: float,
                scale: float = 1.0) -> None:
    """One Adam step (:func:`_adam_kernel`) on `p` and its moments `m`, `v`, in place.

    `g`: the gradient; `scale`: the clipping factor; `t`: the new step count (1 first).
    `p`, `g`, `m`, `v` may also be sequences of arrays of one dtype (one entry per
    parameter): the kernel then runs once per parameter, with the scalars converted once.
    """
    many = isinstance(p, (list, tuple))
    ps, gs, ms, vs = (a if many else (a,) for a in (p, g, m, v))
    dtype = ps[0].dtype
    dt = dtype.type
    bias1, bias2 = 1.0 - beta1**t, 1.0 - beta2**t
    scalars = (dt(scale), dt(lr), dt(beta1), dt(beta2), dt(eps), dt(bias1), dt(bias2))
    for p, g, m, v in zip(ps, gs, ms, vs):
        flat = [np.ascontiguousarray(a) for a in (p, m, v)]  # the arrays themselves unless strided
        _adam_kernel(flat[0].reshape(-1), np.ascontiguousarray(g, dtype=dtype).reshape(-1), flat[1].reshape(-1),
                     flat[2].reshape(-1), *scalars)
        for a, c in zip((p, m, v), flat):
            if c is not a:
                a[...] = c
