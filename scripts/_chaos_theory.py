"""Mean-field theory of random tanh networks (N -> infinity, no input), for the study
scripts: the largest Lyapunov exponent of the discrete map and of the continuous-time
network (Sompolinsky, Crisanti & Sommers 1988), and the autocorrelation of the chaotic
state, from which the weak-structure coherence of Landau & Sompolinsky's network follows.

Notation: W_ij ~ N(0, g^2 / N); a = W h is the pre-activation (the variable of SCS's
``dx/dt = -x + J tanh(x)``), D(t) its autocorrelation, D0 = D(0) its variance.
"""

from __future__ import annotations

import numpy as np
import scipy.integrate
import scipy.linalg
import scipy.optimize

__all__ = ["map_exponent", "continuous_solution", "continuous_exponent", "weak_coherence"]

_Z, _WZ = np.polynomial.hermite_e.hermegauss(60)
_WZ = _WZ / _WZ.sum()


def _gauss(f, var: float) -> float:
    return float(np.sum(_WZ * f(np.sqrt(var) * _Z)))


def map_exponent(g: float) -> float:
    """Largest exponent per step of h <- tanh(W h), in mean field.

    The pre-activation a = W h is Gaussian with variance D = g^2 <tanh(a)^2>; a small
    displacement grows by g^2 <tanh'(a)^2> in squared norm per step, so
    lambda = 0.5 log(g^2 <tanh'(a)^2>): log g below g = 1 (D = 0), positive above.
    """
    if g <= 1.0:
        return float(np.log(g))
    d = scipy.optimize.brentq(lambda v: g * g * _gauss(lambda a: np.tanh(a) ** 2, v) - v, 1e-9, g * g + 1)
    return 0.5 * float(np.log(g * g * _gauss(lambda a: np.cosh(a) ** -4, d)))


def _pair(f, d, d0):
    """<f(x1) f(x2)> for x1, x2 Gaussian with variance d0 and covariance d (an array)."""
    d = np.clip(np.atleast_1d(np.asarray(d, dtype=float)), 0.0, d0)
    out = np.empty(d.size)
    for i in range(0, d.size, 256):
        dd = d[i:i + 256, None, None]
        x = np.sqrt(d0 - dd) * _Z[None, None, :] + np.sqrt(dd) * _Z[None, :, None]  # (n, outer, inner)
        inner = np.sum(_WZ * f(x), axis=2)  # (n, outer)
        out[i:i + 256] = np.sum(_WZ * inner**2, axis=1)
    return out


def _lncosh(x):
    return np.abs(x) + np.log1p(np.exp(-2 * np.abs(x))) - np.log(2.0)


def continuous_solution(g: float, length: float = 60.0, n: int = 4000) -> dict:
    """The chaotic solution of SCS's mean-field equations for g > 1.

    D'' = D - g^2 C(D), with C = <tanh(x1) tanh(x2)> at covariance D, is the motion of a
    particle in the potential V(D) = -D^2/2 + g^2 <lncosh(x1) lncosh(x2)>; the chaotic
    solution starts at rest at D0 and reaches D = 0 at long lags, so V(D0) = V(0) fixes D0.

    Returns
    -------
    dict
        ``tau`` (n,) lags in units of tau, ``D`` (n,) the autocorrelation of a, ``D0``,
        ``C_phi`` (n,) the autocorrelation of tanh(a).
    """
    def potential(d, d0):
        return -d * d / 2 + g * g * _pair(_lncosh, d, d0)

    d0 = scipy.optimize.brentq(lambda v: potential(v, v)[0] - potential(0.0, v)[0], 1e-6, 10 * g * g)
    tau = np.linspace(0.0, length, n)

    def rhs(t, y):
        return [y[1], y[0] - g * g * _pair(np.tanh, y[0], d0)[0]]

    def minimum(t, y):
        return y[1]

    minimum.terminal, minimum.direction = True, 1
    sol = scipy.integrate.solve_ivp(rhs, (0.0, length), [d0 * (1 - 1e-12), 0.0], t_eval=tau, events=minimum,
                                    rtol=1e-11, atol=1e-13, method="DOP853")
    D = np.zeros(n)
    D[: sol.y.shape[1]] = np.maximum(sol.y[0], 0.0)  # past its (numerical) minimum D stays 0
    return {"tau": tau, "D": D, "D0": float(d0), "C_phi": _pair(np.tanh, D, d0)}


def continuous_exponent(g: float, length: float = 60.0, n: int = 4000) -> tuple:
    """Largest exponent per tau of tau dh/dt = -h + tanh(W h) (SCS 1988), and the first
    excited energy of their Schrodinger problem, which is 0 exactly (a check of the numerics).

    Displacements grow as exp(lambda t) with lambda = -1 + sqrt(1 - E0), E0 the
    ground-state energy of -psi'' + (1 - g^2 <tanh'(x1) tanh'(x2)>) psi = E psi over the
    lag; psi = D' is a state of energy 0 with one node. Below g = 1: lambda = g - 1.
    """
    if g <= 1.0:
        return g - 1.0, 0.0
    s = continuous_solution(g, length, n)
    vq = 1.0 - g * g * _pair(lambda x: np.cosh(x) ** -2, s["D"], s["D0"])
    v = np.concatenate([vq[:0:-1], vq])  # lags from -length to length
    h = s["tau"][1] - s["tau"][0]
    E = scipy.linalg.eigh_tridiagonal(2 / h**2 + v, -np.ones(v.size - 1) / h**2, select="i",
                                      select_range=(0, 1), eigvals_only=True)
    return -1.0 + float(np.sqrt(1.0 - E[0])), float(E[1])


def weak_coherence(g: float, J1, n_rec: int | None = None) -> np.ndarray:
    """Coherence along xi of Landau & Sompolinsky's network to first order in J1.

    With xi uniform and nu +-1, the structure gives every unit the same input
    J1 eta(t), eta = nu . tanh(a) / sqrt(N): for J1 -> 0 the units are SCS's independent
    chaotic units, so eta has the autocorrelation C_phi of one unit's rate, and the mean
    a_bar = xi . a / N follows (1 + d/dt) a_bar = J1 eta. Hence
    var(a_bar) = J1^2 int_0^inf C_phi(t) exp(-t) dt = x D0, and each unit's variance is
    D0 (its own fluctuations) plus var(a_bar), so coherence^2 = (x + 1 / n_rec) / (1 + x),
    the 1 / n_rec from the residuals' own projection on xi in a finite network. Derived
    here; it is exact only as J1 -> 0 (with and without row balance alike). Beyond, the
    random part acts on the coherent activity: without balance its row sums carry it into
    a fixed pattern across units, which the output mode reads back (a loop of gain of
    order J1), and which adds unit-specific variance.
    """
    s = continuous_solution(g)
    integral = float(scipy.integrate.trapezoid(s["C_phi"] * np.exp(-s["tau"]), s["tau"]))
    x = np.asarray(J1, dtype=float) ** 2 * integral / s["D0"]
    floor = 0.0 if n_rec is None else 1.0 / n_rec
    return np.sqrt((x + floor) / (1.0 + x))
