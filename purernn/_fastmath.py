"""Compiler policy and a vectorizable exponential for the kernels (speed, not model math).

Why a hand-written ``exp`` and ``tanh``: inside a Numba loop, ``np.tanh`` and
``math.exp`` are scalar calls into libm, which stop LLVM from vectorizing the loop; at
the seed's size (n_rec = 50, n_steps = 400, n_trials = 64) the tanh calls alone cost
about 15 ms of a training step. The functions below compute ``exp(-y)`` from an explicit
range reduction and a polynomial, with selects instead of branches, so that the loops
that call them (inlined) vectorize. Accuracy: a few ulp in float64 and a few float32 ulp
for :func:`tanh_f32`, checked against ``np.tanh`` in ``tests/test_kernels.py``.

Method, for y >= 0: write y = k ln2 + r with k = round(y / ln2) and |r| <= ln2 / 2
(Cody & Waite: ln2 split in a high part, exact in k * hi, and a low part), so that
exp(-y) = 2^-k exp(-r); exp(-r) - 1 is a truncated Taylor polynomial and 2^-k is built
from the bits of k.

Numba caches compiled code per source file and does not notice that an inlined
function from this file changed: after editing it, touch ``kernels.py`` (or delete
``purernn/__pycache__``) so that the kernels are recompiled.
"""

from __future__ import annotations

import math

from . import _threads  # noqa: F401  (before Numba: the OpenMP wait policy)

import numba  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["JIT_OPTIONS", "jit", "inline", "exp_neg_parts", "expm1_neg", "exp_neg", "tanh", "tanh_f32"]

#: The one decorator policy of purernn's compiled code. Never ``fastmath=True``: it
#: drops the NaN/Inf semantics that the divergence guard relies on; these flags only
#: allow reassociation, contraction to FMA, reciprocals, approximate functions and
#: ignoring the sign of zero. ``error_model="numpy"``: a division by zero gives inf or
#: NaN (caught by the divergence guard) instead of a Python exception; with Numba's
#: default ("python") every division carries a zero check that stops vectorization.
#: ``nogil``: the kernels release the GIL, so that threads run blocks of trials at once.
JIT_OPTIONS = dict(
    cache=True,
    nogil=True,
    error_model="numpy",
    fastmath={"nsz", "arcp", "contract", "afn", "reassoc"},
)


def jit(fn=None, **extra):
    """``numba.njit`` with :data:`JIT_OPTIONS` (``@jit`` or ``@jit(parallel=True)``)."""
    if fn is None:
        return lambda f: numba.njit(**JIT_OPTIONS, **extra)(f)
    return numba.njit(**JIT_OPTIONS)(fn)


#: For small scalar functions: inlined into the caller, where its loop vectorizes.
inline = numba.njit(inline="always", **JIT_OPTIONS)

# Cody-Waite split of ln 2: k * _LN2_HI is exact for |k| < 2**21.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_Y_MAX = 700.0  # exp(-700) ~ 1e-304 is still a normal double


@inline
def _expm1_reduced(y):
    """(k, q) with y = k ln2 - r, |r| <= 0.347, and q = exp(-r) - 1 (float64 y >= 0).

    q is a degree-13 Taylor polynomial (truncation error < 2e-16 relative); the split of
    ln 2 keeps ``k ln2`` exact (Cody-Waite).
    """
    k = math.floor(y * _INV_LN2 + 0.5)
    r = -((y - k * _LN2_HI) - k * _LN2_LO)  # exponent of the reduced exp, |r| <= 0.347
    q = r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (
        1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (
            1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 + r * (
                1.0 / 6227020800)))))))))))))
    return k, q


@inline
def _pow2_neg_small(ki):
    """2^-k for integers 0 <= k < 64, from the bits of k (selects, so loops vectorize)."""
    s = 0.5 if ki & 1 else 1.0
    s *= 0.25 if ki & 2 else 1.0
    s *= 0.0625 if ki & 4 else 1.0
    s *= 3.90625e-03 if ki & 8 else 1.0
    s *= 1.52587890625e-05 if ki & 16 else 1.0
    s *= 2.3283064365386963e-10 if ki & 32 else 1.0
    return s


@inline
def exp_neg_parts(y):
    """(q, s) with exp(-y) = s (1 + q) for float64 y >= 0; branch-free, so loops vectorize.

    q = exp(-r) - 1 (:func:`_expm1_reduced`) and s = 2^-k. Then exp(-y) = s (1 + q) and
    expm1(-y) = s q + (s - 1), which is exact in relative terms near y = 0 (k = 0, s = 1).
    """
    k, q = _expm1_reduced(min(y, _Y_MAX))
    # 2^-k for 0 <= k < 1024 from the bits of k (selects, so the loop stays vectorized).
    ki = np.int64(k)
    s = _pow2_neg_small(ki)
    s *= 5.421010862427522e-20 if ki & 64 else 1.0
    s *= 2.938735877055719e-39 if ki & 128 else 1.0
    s *= 8.636168555094445e-78 if ki & 256 else 1.0
    s *= 7.458340731200207e-155 if ki & 512 else 1.0
    return q, s


@inline
def expm1_neg(y):
    """expm1(-y) = exp(-y) - 1 for y >= 0, to a few ulp."""
    q, s = exp_neg_parts(y)
    return q * s + (s - 1.0)


@inline
def exp_neg(y):
    """exp(-y) for y >= 0, to a few ulp."""
    q, s = exp_neg_parts(y)
    return s * (1.0 + q)


_TANH_Y_MAX = 44.0  # exp(-44) < 2^-63: tanh(22) rounds to 1, and k below stays < 64


@inline
def tanh(a):
    """tanh(a) = sign(a) (1 - e) / (1 + e), e = exp(-2|a|), via expm1 for accuracy near 0.

    :func:`exp_neg_parts`' method on y = min(2|a|, 44), where tanh is 1 in float64 and
    2^-k needs only six selects.
    """
    k, q = _expm1_reduced(min(2.0 * abs(a), _TANH_Y_MAX))
    s = _pow2_neg_small(np.int64(k))
    em1 = q * s + (s - 1.0)
    t = -em1 / (2.0 + em1)
    return t if a >= 0.0 else -t  # a select, where math.copysign would stop vectorization


# float32 constants, so that float32 networks compute tanh in float32 arithmetic (a
# float64 literal would promote the loop to float64): twice the SIMD lanes.
_F32 = np.float32
_F32_ONE, _F32_TWO, _F32_HALF = _F32(1.0), _F32(2.0), _F32(0.5)
_F32_Y_MAX = _F32(40.0)  # tanh(20) == 1 in float32
_F32_INV_LN2 = _F32(1.4426950408889634)
_F32_LN2_HI = _F32(0.693359375)  # Cephes' split: k * _F32_LN2_HI is exact for k < 2**12
_F32_LN2_LO = _F32(-2.12194440e-4)
_F32_C = tuple(_F32(1.0 / math.factorial(n)) for n in range(1, 9))


@inline
def tanh_f32(a):
    """tanh of a float32 `a` in float32 arithmetic, to a few float32 ulp.

    :func:`tanh`'s method with a degree-8 polynomial (truncation error < 3e-9 relative)
    and 2^-k for k < 64.
    """
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
