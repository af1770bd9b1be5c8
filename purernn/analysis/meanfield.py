"""Mean-field theory of a rank-one network with a random part (Mastrogiuseppe & Ostojic 2018).

F. Mastrogiuseppe & S. Ostojic (2018), Neuron 99:609, study the network::

    tau dx_i/dt = -x_i + sum_j W_ij tanh(x_j) + I_i,     W = g chi + m n^T / N

with ``chi_ij ~ N(0, 1/N)``, connectivity vectors ``m_i ~ N(M_m, sigma_m^2)``,
``n_i ~ N(M_n, sigma_n^2)`` whose fluctuations have correlation ``rho``, and an optional
constant input ``I_i ~ N(M_I, sigma_I^2)`` independent of m and n. The pre-activation of
purernn's model obeys exactly this equation: with ``a_t = W_rec h_{t-1} + W_in x + b_rec``
and a constant input, ``a_{t+1} = (1 - alpha) a_t + alpha (W_rec tanh(a_t) + I)`` with
``I = W_in x + b_rec`` -- the Euler step of the equation above. So ``x`` here is
``a`` there and the theory applies to :func:`purernn.simulate` with ``alpha -> 0``
(stationary states do not depend on alpha at all).

For N -> infinity the input of unit i is Gaussian across units, ``x_i = m_i kappa +
(random part)``, with mean ``mu`` and variance ``Delta_0`` (``[f]`` is the average of f over
``N(mu, Delta_0)``, computed by Gauss-Hermite quadrature)::

    kappa   = n . tanh(x) / N = M_n [phi] + sigma_mn kappa [phi']     (sigma_mn = rho sigma_m sigma_n)
    mu      = M_m kappa + M_I
    Delta_0 = g^2 [phi^2] + sigma_m^2 kappa^2 + sigma_I^2             (stationary solutions)

Chaotic solutions (the dynamic mean-field of Sompolinsky, Crisanti & Sommers 1988, with the
rank-one mean): the autocorrelation ``Delta(tau)`` of the input obeys
``Delta'' = Delta - g^2 C(Delta) - c`` with ``c = sigma_m^2 kappa^2 + sigma_I^2`` and
``C(Delta) = int Dz [int Dx phi(mu + sqrt(Delta_0 - Delta) x + sqrt(Delta) z)]^2``; it decays
from ``Delta_0`` to ``Delta_inf``, which gives two equations (Phi = log cosh, the primitive of
tanh)::

    Delta_inf = g^2 C(Delta_inf) + c
    (Delta_0^2 - Delta_inf^2) / 2 = g^2 ([Phi^2] - int Dz [int Dx Phi(...)]^2) + c (Delta_0 - Delta_inf)

``Delta_0 - Delta_inf`` is the variance of the temporal fluctuations. A stationary solution
is stable when the radius ``g sqrt([phi'^2])`` of the random bulk of the linearized dynamics
is below 1 and the slope of the reduced kappa map (its outlier along m) is below 1. The
phase diagram of the paper's Fig. 1 (no input, rho = 0) has four regions: homogeneous
stationary (kappa = 0; g < 1, overlap < 1), heterogeneous stationary (two fixed points
+-kappa: bistable), homogeneous chaotic (kappa = 0) and heterogeneous chaotic (kappa != 0).
Its boundaries are g = 1 (overlap < 1), overlap = 1 (g < 1), the onset of chaos of the
heterogeneous fixed points ``g^2 [phi'^2] = 1`` (:func:`chaos_onset`) and the instability
along m of the homogeneous chaotic state ``overlap [phi'] = 1`` (:func:`chaotic_bifurcation`).
The overlap ``m . n / N -> M_m M_n + sigma_mn`` is the outlier eigenvalue of W.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from .._validate import check_number, fail
from ..errors import ConvergenceError

__all__ = ["PHASES", "RankOneStats", "MeanFieldSolution", "PhaseDiagram", "gaussian_mean",
           "stationary_solutions", "chaotic_solutions", "scs_delta0", "phase", "chaos_onset",
           "chaotic_bifurcation", "phase_diagram"]

#: The regions of the phase diagram, in the order of their integer codes.
PHASES = ("homogeneous stationary", "heterogeneous stationary", "homogeneous chaotic",
          "heterogeneous chaotic")
#: Gauss-Hermite nodes of the single and of each axis of the nested Gaussian integrals.
N_NODES = 200
N_NODES_2D = 80
#: |kappa| below this counts as 0 (homogeneous).
KAPPA_TOL = 1e-7
_LOG2 = np.log(2.0)


def _gauss_hermite(n: int):
    """Nodes z and weights w with sum_k w_k f(z_k) ~ int Dz f(z), Dz = N(0, 1) density."""
    z, w = np.polynomial.hermite_e.hermegauss(n)
    return z, w / np.sqrt(2.0 * np.pi)


_Z1, _W1 = _gauss_hermite(N_NODES)
_Z2, _W2 = _gauss_hermite(N_NODES_2D)


def _logcosh(x):
    """log cosh x without overflow."""
    ax = np.abs(x)
    return ax + np.log1p(np.exp(-2.0 * ax)) - _LOG2


def gaussian_mean(f, mu=0.0, delta=1.0):
    """``[f] = int Dz f(mu + sqrt(delta) z)`` by Gauss-Hermite quadrature (N_NODES nodes).

    `mu` and `delta` broadcast; `f` must accept arrays.

    Examples
    --------
    >>> round(float(gaussian_mean(lambda x: x**2, 1.0, 2.0)), 12)
    3.0
    """
    mu, delta = np.asarray(mu, dtype=float), np.asarray(delta, dtype=float)
    x = mu[..., None] + np.sqrt(np.maximum(delta, 0.0))[..., None] * _Z1
    return f(x) @ _W1


def _moments(mu, delta):
    """Gaussian averages of tanh and its derivatives over N(mu, delta), arrays broadcast."""
    t = np.tanh(np.asarray(mu)[..., None] + np.sqrt(np.maximum(delta, 0.0))[..., None] * _Z1)
    d1 = 1.0 - t * t  # phi'
    return {
        "phi": t @ _W1, "dphi": d1 @ _W1, "phi2": (t * t) @ _W1, "dphi2": (d1 * d1) @ _W1,
        "phi_dphi": (t * d1) @ _W1, "d2phi": (-2.0 * t * d1) @ _W1,
        "phi_d2phi": (-2.0 * t * t * d1) @ _W1, "d3phi": (-2.0 * d1 * (1.0 - 3.0 * t * t)) @ _W1,
    }


def _nested(mu, delta0, delta, with_P: bool = True):
    """C, C' (and P): int Dz [int Dx f(mu + sqrt(delta0 - delta) x + sqrt(delta) z)]^2 for
    f = tanh, tanh' (and log cosh); z outer, x inner; arrays broadcast."""
    mu, delta0, delta = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (mu, delta0, delta)))
    s_x = np.sqrt(np.maximum(delta0 - delta, 0.0))[..., None, None]
    s_z = np.sqrt(np.maximum(delta, 0.0))[..., None, None]
    u = mu[..., None, None] + s_x * _Z2[None, :] + s_z * _Z2[:, None]  # (..., n_z, n_x)
    t = np.tanh(u)
    inner = [t @ _W2, (1.0 - t * t) @ _W2] + ([_logcosh(u) @ _W2] if with_P else [])  # (..., n_z)
    return [(v * v) @ _W2 for v in inner]


# -- Parameters and results --


@dataclass(frozen=True, kw_only=True)
class RankOneStats:
    """Statistics of ``W = g chi + m n^T / N`` and of the constant input.

    Defaults are the paper's Fig. 1 values (its published code for Fig. 1C: M_m = 1.1,
    M_n = 2, sigma_m = sigma_n = 1, rho = 0, so the overlap is 2.2).

    Attributes
    ----------
    g : float >= 0
        Strength of the random part.
    M_m, M_n : float
        Means of the entries of m and n.
    sigma_m, sigma_n : float >= 0
        Their standard deviations.
    rho : float in [-1, 1]
        Correlation of the fluctuations of m and n.
    M_I, sigma_I : float
        Mean and standard deviation of the constant input ``I_i`` (independent of m, n).
    """

    g: float
    M_m: float = 1.1
    M_n: float = 2.0
    sigma_m: float = 1.0
    sigma_n: float = 1.0
    rho: float = 0.0
    M_I: float = 0.0
    sigma_I: float = 0.0

    def __post_init__(self):
        for name in ("M_m", "M_n", "M_I"):
            check_number(name, getattr(self, name))
        for name in ("g", "sigma_m", "sigma_n", "sigma_I"):
            check_number(name, getattr(self, name), lo=0.0)
        check_number("rho", self.rho, lo=-1.0, hi=1.0)

    @property
    def sigma_mn(self) -> float:
        """Covariance of the entries of m and n."""
        return self.rho * self.sigma_m * self.sigma_n

    @property
    def overlap(self) -> float:
        """``m . n / N`` for N -> infinity: ``M_m M_n + sigma_mn`` (the outlier of W)."""
        return self.M_m * self.M_n + self.sigma_mn

    @property
    def no_input(self) -> bool:
        return self.M_I == 0.0 and self.sigma_I == 0.0

    def replace(self, **changes) -> "RankOneStats":
        return dataclasses.replace(self, **changes)

    def with_overlap(self, overlap: float) -> "RankOneStats":
        """The same statistics with M_n changed so that ``overlap`` is as given."""
        overlap = check_number("overlap", overlap)
        if self.M_m == 0.0:
            fail("M_m", "nonzero to set the overlap through M_n", self.M_m)
        return self.replace(M_n=(overlap - self.sigma_mn) / self.M_m)


@dataclass(frozen=True)
class MeanFieldSolution:
    """One solution of the mean-field equations.

    Attributes
    ----------
    kind : {"stationary", "chaotic"}
    kappa : float
        Activity along m, ``n . tanh(x) / N``.
    mu : float
        Mean input ``M_m kappa + M_I``.
    delta0 : float
        Variance of the input across units (at any time).
    delta_inf : float
        Its part frozen in time (equal to `delta0` for a stationary solution);
        ``delta0 - delta_inf`` is the variance of the temporal fluctuations.
    radius : float
        ``g sqrt([phi'^2])``: radius of the random bulk of the linearized dynamics.
    slope : float
        Slope of the reduced kappa map at the solution (its outlier along m): the solution
        is unstable along m when it exceeds 1.
    stable : bool
        Both below 1 (a marginal 1, to 1e-9, counts as stable).
    """

    kind: str
    kappa: float
    mu: float
    delta0: float
    delta_inf: float
    radius: float
    slope: float
    stable: bool

    @property
    def heterogeneous(self) -> bool:
        """kappa != 0."""
        return abs(self.kappa) > KAPPA_TOL

    @property
    def temporal_variance(self) -> float:
        return self.delta0 - self.delta_inf


def _check_stats(stats) -> RankOneStats:
    if not isinstance(stats, RankOneStats):
        fail("stats", "a purernn.analysis.meanfield.RankOneStats", type(stats).__name__)
    return stats


def _bisect(f, lo, hi, n_iter: int = 64):
    """Vectorized bisection: f(lo) >= 0 > f(hi) elementwise; returns the crossing."""
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        pos = f(mid) >= 0.0
        lo, hi = np.where(pos, mid, lo), np.where(pos, hi, mid)
    return 0.5 * (lo + hi)


def _kappa_scan(stats: RankOneStats, n: int = 60) -> np.ndarray:
    """kappa values where the kappa equations are scanned for sign changes (0 excluded)."""
    K = 2.0 * (abs(stats.M_n) + abs(stats.rho) * stats.sigma_n) + 1.0
    pos = np.unique(np.concatenate([K * np.geomspace(1e-5, 1e-2, 8), np.linspace(0.01 * K, K, n)]))
    return pos if stats.no_input else np.concatenate([-pos[::-1], pos])


def _brent(f, a: float, b: float, xtol: float = 1e-12):
    """Brent's root of f on [a, b], or None when f is not finite there or has no sign change."""
    try:
        return brentq(f, a, b, xtol=xtol, rtol=1e-11)
    except ValueError:
        return None


def _roots(fun, xs: np.ndarray, values: np.ndarray) -> list:
    """Roots of scalar `fun` bracketed by sign changes of `values` = fun(xs)."""
    out = []
    for i in range(len(xs) - 1):
        a, b = values[i], values[i + 1]  # a NaN compares False: skipped
        if a == 0.0:
            out.append(float(xs[i]))
        elif a * b < 0.0:
            out.append(brentq(fun, xs[i], xs[i + 1], xtol=1e-13, rtol=1e-12))
    return out


# -- Stationary solutions --


def _static_delta0(stats: RankOneStats, kappa) -> np.ndarray:
    """The largest root of ``Delta = g^2 [phi^2](mu, Delta) + c`` for each kappa."""
    kappa = np.asarray(kappa, dtype=float)
    mu = stats.M_m * kappa + stats.M_I
    c = stats.sigma_m**2 * kappa**2 + stats.sigma_I**2
    g2 = stats.g**2
    if g2 == 0.0:
        return c
    hi = g2 + c  # [phi^2] < 1, so the residual below is negative there

    def resid(d, mu=mu, c=c):
        return g2 * gaussian_mean(lambda x: np.tanh(x) ** 2, mu, d) + c - d

    grid = hi[..., None] * np.linspace(0.0, 1.0, 33)  # (..., 33)
    r = resid(grid, mu[..., None], c[..., None])
    last = np.minimum(32 - np.argmax((r >= 0.0)[..., ::-1], axis=-1), 31)  # last r >= 0
    lo = np.take_along_axis(grid, last[..., None], -1)[..., 0]
    up = np.take_along_axis(grid, last[..., None] + 1, -1)[..., 0]
    return _bisect(resid, lo, up)


def _stationary_map(stats: RankOneStats, kappa):
    """(F(kappa) - kappa, Delta_0, moments) of the stationary kappa equation."""
    d0 = _static_delta0(stats, kappa)
    mu = stats.M_m * np.asarray(kappa) + stats.M_I
    mo = _moments(mu, d0)
    F = stats.M_n * mo["phi"] + stats.sigma_mn * np.asarray(kappa) * mo["dphi"]
    return F - kappa, d0, mo


def _stationary_solution(stats: RankOneStats, kappa: float) -> MeanFieldSolution:
    _, d0, mo = _stationary_map(stats, np.array(kappa))
    d0 = float(d0)
    s, g2, smn = stats, stats.g**2, stats.sigma_mn
    # Jacobian of (F_kappa, F_Delta) with d[f]/dmu = [f'] and d[f]/dDelta = [f''] / 2
    a = s.M_n * s.M_m * mo["dphi"] + smn * (mo["dphi"] + kappa * s.M_m * mo["d2phi"])
    b = 0.5 * s.M_n * mo["d2phi"] + 0.5 * smn * kappa * mo["d3phi"]
    c = 2.0 * g2 * s.M_m * mo["phi_dphi"] + 2.0 * s.sigma_m**2 * kappa
    d = g2 * (mo["dphi2"] + mo["phi_d2phi"])
    slope = float(a + b * c / (1.0 - d)) if d < 1.0 else np.inf
    radius = float(s.g * np.sqrt(mo["dphi2"]))
    return MeanFieldSolution("stationary", float(kappa), float(s.M_m * kappa + s.M_I), d0, d0,
                             radius, slope, bool(radius < 1.0 + 1e-9 and slope < 1.0 + 1e-9))


def stationary_solutions(stats: RankOneStats) -> tuple:
    """Every stationary solution (fixed point statistics), sorted by kappa.

    Parameters
    ----------
    stats : RankOneStats

    Returns
    -------
    tuple of MeanFieldSolution
        With ``kind="stationary"``. Without input, kappa = 0 is always among them and the
        others come in pairs +-kappa. For each kappa, Delta_0 is the largest root of its
        equation (for kappa = 0 and g > 1, the unstable frozen state of the random network).

    Notes
    -----
    Solves ``kappa = M_n [phi] + sigma_mn kappa [phi']`` (by sign changes on a grid of
    kappa, then Brent's method), with ``Delta_0(kappa)`` solved by bisection.
    """
    stats = _check_stats(stats)
    xs = _kappa_scan(stats)
    vals = _stationary_map(stats, xs)[0]
    roots = _roots(lambda k: float(_stationary_map(stats, np.array(k))[0]), xs, vals)
    if stats.no_input:
        roots = [0.0] + roots + [-r for r in roots]
    return tuple(_stationary_solution(stats, k) for k in sorted(roots))


# -- Chaotic solutions --


def _delta_inf(stats: RankOneStats, mu, c, delta0) -> np.ndarray:
    """Smallest root of ``h(D) = g^2 C(D) + c - D`` on [0, delta0] (Newton from 0; h is
    convex, so the iterates increase monotonically); NaN where there is none."""
    g2 = stats.g**2
    delta0 = np.asarray(delta0, dtype=float)
    D = np.zeros(delta0.shape)
    for _ in range(100):
        C, dC = _nested(mu, delta0, D, with_P=False)
        h, dh = g2 * C + c - D, g2 * dC - 1.0
        step = np.where(dh < 0.0, -h / np.where(dh < 0.0, dh, -1.0), np.nan)
        D = D + step
        D = np.where(D > delta0 * (1.0 + 1e-12), np.nan, D)  # overshot: h > 0 on [0, delta0]
        if np.all(~np.isfinite(step) | (np.abs(step) <= 1e-12 * (1.0 + np.abs(D)))):
            break
    return np.where(D >= 0.0, D, np.nan)


def _energy(stats: RankOneStats, kappa: float, delta0):
    """(energy residual, Delta_inf) of the chaotic equations at fixed kappa, for delta0."""
    mu = stats.M_m * kappa + stats.M_I
    c = stats.sigma_m**2 * kappa**2 + stats.sigma_I**2
    delta0 = np.asarray(delta0, dtype=float)
    d_inf = _delta_inf(stats, mu, c, delta0)
    P = _nested(mu, delta0, np.nan_to_num(d_inf))[2]
    Phi2 = gaussian_mean(lambda x: _logcosh(x) ** 2, mu, delta0)
    E = 0.5 * (delta0**2 - d_inf**2) - stats.g**2 * (Phi2 - P) - c * (delta0 - d_inf)
    return E, d_inf


def _chaotic_delta0(stats: RankOneStats, kappa: float):
    """(Delta_0, Delta_inf) of the chaotic solution at fixed kappa, or (nan, nan).

    The chaotic Delta_0 lies below the stationary one (the autocorrelation starts at
    Delta_0 moving down) and above the Delta_0 where Delta_inf ceases to exist: the energy
    residual is scanned up to the stationary Delta_0 for a sign change from - to +.
    """
    mu = stats.M_m * kappa + stats.M_I
    c = stats.sigma_m**2 * kappa**2 + stats.sigma_I**2
    d_s = float(_static_delta0(stats, np.array(kappa)))
    grid = d_s * (1.0 - np.geomspace(1.0, 1e-7, 28))

    def energy(d):
        return float(_energy(stats, kappa, np.array(d))[0])

    E, _ = _energy(stats, kappa, grid)
    finite = np.isfinite(E)
    if not finite.any():
        return np.nan, np.nan
    j = int(np.argmax(finite))
    brackets = [(grid[i], grid[i + 1]) for i in range(j, len(grid) - 1)
                if finite[i] and finite[i + 1] and E[i] < 0.0 <= E[i + 1]]
    if j > 0 and E[j] >= 0.0:
        # Delta_inf appears between grid[j - 1] and grid[j]: the residual may dip below 0
        # just above that edge, which the grid does not resolve.
        lo, hi = grid[j - 1], grid[j]
        for _ in range(20):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if np.isfinite(_delta_inf(stats, mu, c, np.array(mid))) else (mid, hi)
        brackets.insert(0, (hi, grid[j]))
    for a, b in brackets:
        d0 = _brent(energy, a, b)
        if d0 is not None:
            return d0, float(_energy(stats, kappa, np.array(d0))[1])
    return np.nan, np.nan


def _chaotic_map(stats: RankOneStats, kappa: float):
    d0, d_inf = _chaotic_delta0(stats, kappa)
    if not np.isfinite(d0):
        return np.nan, d0, d_inf
    mo = _moments(stats.M_m * kappa + stats.M_I, d0)
    return float(stats.M_n * mo["phi"] + stats.sigma_mn * kappa * mo["dphi"] - kappa), d0, d_inf


def _chaotic_solution(stats: RankOneStats, kappa: float, d0: float, d_inf: float) -> MeanFieldSolution:
    mu = stats.M_m * kappa + stats.M_I
    mo = _moments(mu, d0)
    slope = np.nan
    stable = True  # the kappa != 0 chaotic states are taken as stable (as in the paper)
    if abs(kappa) <= KAPPA_TOL and stats.no_input:
        slope = stats.overlap * float(mo["dphi"])  # instability along m of the kappa = 0 state
        stable = slope < 1.0
    return MeanFieldSolution("chaotic", float(kappa), float(mu), float(d0), float(d_inf),
                             float(stats.g * np.sqrt(mo["dphi2"])), float(slope), bool(stable))


@functools.lru_cache(maxsize=1024)  # phase diagrams ask for it at every point of a row
def scs_delta0(g: float) -> float:
    """Delta_0 of the chaotic state of a purely random tanh network (Sompolinsky, Crisanti &
    Sommers 1988): the root of ``Delta_0^2 / 2 = g^2 ([Phi^2] - [Phi]^2)``; 0 for g <= 1."""
    g = check_number("g", g, lo=0.0)
    if g <= 1.0:
        return 0.0
    d0, _ = _chaotic_delta0(RankOneStats(g=g, M_m=0.0, M_n=0.0, sigma_m=0.0), 0.0)
    if not np.isfinite(d0):
        raise ConvergenceError(f"no chaotic solution found for g = {g}")
    return float(d0)


def chaotic_solutions(stats: RankOneStats) -> tuple:
    """Every chaotic solution of the dynamic mean-field equations, sorted by kappa.

    Parameters
    ----------
    stats : RankOneStats

    Returns
    -------
    tuple of MeanFieldSolution
        With ``kind="chaotic"``; empty when g is too small for chaos. Without input, the
        kappa = 0 solution (the random network's chaos) comes first when g > 1; its
        `stable` says whether it is stable along m (``overlap [phi'] < 1``).

    Notes
    -----
    For each kappa, Delta_inf(Delta_0) is the smallest root of its equation (Newton) and
    Delta_0 the first root of the energy equation above the stationary Delta_0; kappa then
    solves ``kappa = M_n [phi] + sigma_mn kappa [phi']`` (sign changes on a grid, Brent).
    Without input, the kappa != 0 pair is looked for only where the kappa = 0 state is
    unstable along m (it branches off there, as in the paper's Fig. 1C). This costs up to
    about 15 s per call near the onset of chaos (a fraction of a second when only the
    kappa = 0 state exists), more with an input.
    """
    stats = _check_stats(stats)
    sols = []
    if stats.g <= 1.0:  # g^2 [phi'^2] <= g^2 <= 1: no fluctuations can sustain themselves
        return ()
    if stats.no_input:
        d0, d_inf = _chaotic_delta0(stats, 0.0)
        if np.isfinite(d0):
            sols.append(_chaotic_solution(stats, 0.0, d0, d_inf))
            if sols[0].stable:  # the kappa != 0 pair branches off where this one turns unstable
                return tuple(sols)
    # Scanned upwards; without input, the first root ends the scan (one pair +-kappa).
    K = _kappa_scan(stats)[-1]
    pos = K * np.concatenate([np.geomspace(1e-4, 0.01, 4), np.linspace(0.02, 1.0, 50)])
    xs = pos if stats.no_input else np.concatenate([-pos[::-1], pos])

    def resid(q):
        return _chaotic_map(stats, q)[0]

    prev_k, prev_v = float(xs[0]), resid(float(xs[0]))
    for k in map(float, xs[1:]):
        val = end_k = resid(k)
        end = k
        if np.isfinite(prev_v) and not np.isfinite(val):  # the chaotic solutions end in between
            lo = prev_k
            for _ in range(12):
                mid = 0.5 * (lo + end)
                lo, end = (mid, end) if np.isfinite(resid(mid)) else (lo, mid)
            end, end_k = lo, resid(lo)
        root = _brent(resid, prev_k, end, 1e-10) if prev_v * end_k <= 0.0 else None
        if root is not None:
            _, d0, d_inf = _chaotic_map(stats, root)
            if abs(root) > KAPPA_TOL and np.isfinite(d0) and d0 - d_inf > 1e-9 * d0:
                sols.append(_chaotic_solution(stats, root, d0, d_inf))
                if stats.no_input:
                    sols.append(_chaotic_solution(stats, -root, d0, d_inf))
                    break
        prev_k, prev_v = k, val
    return tuple(sorted(sols, key=lambda s: s.kappa))


# -- Phases and their boundaries --


def phase(stats: RankOneStats) -> str:
    """The region of the phase diagram that `stats` lies in (one of :data:`PHASES`).

    Stationary if a stable stationary solution exists (heterogeneous if one has kappa !=
    0), otherwise chaotic: heterogeneous when the kappa = 0 chaotic state is unstable along
    m (``overlap [phi'] > 1``, no input) or, with an input, when a kappa != 0 chaotic
    solution exists.
    """
    stats = _check_stats(stats)
    stable = [s for s in stationary_solutions(stats) if s.stable]
    if stable:
        return PHASES[1] if any(s.heterogeneous for s in stable) else PHASES[0]
    if stats.no_input:
        d0 = scs_delta0(stats.g) if stats.g > 1.0 else 0.0
        het = stats.overlap * float(_moments(0.0, d0)["dphi"]) > 1.0
    else:
        het = any(s.heterogeneous for s in chaotic_solutions(stats))
    return PHASES[3] if het else PHASES[2]


def chaos_onset(stats: RankOneStats, *, g_max: float = 10.0) -> float:
    """The g at which the heterogeneous fixed points (kappa > 0) become chaotic.

    The root in g of ``g sqrt([phi'^2]) = 1`` along the kappa > 0 stationary solution, at
    the overlap of `stats` (its `g` is ignored); 1 when the overlap is at most 1 (no such
    fixed point: the random network's onset). The paper's Fig. 1C (overlap 2.2) has 1.796.
    """
    stats = _check_stats(stats)

    def radius(g):
        sols = [s for s in stationary_solutions(stats.replace(g=g)) if s.kappa > KAPPA_TOL]
        return (max(s.radius for s in sols) if sols else g) - 1.0

    if radius(1.0) >= 0.0:
        return 1.0
    if radius(g_max) < 0.0:
        raise ConvergenceError(f"the fixed points are still stable at g = {g_max}")
    return brentq(radius, 1.0, g_max, xtol=1e-10)


def chaotic_bifurcation(g: float) -> float:
    """The overlap above which the kappa = 0 chaotic state is unstable along m, no input:
    ``1 / [phi'](0, Delta_0^SCS(g))`` (1 for g <= 1). The paper's Fig. 1C: at overlap 2.2
    this is crossed at g = 2.136."""
    return 1.0 / float(_moments(0.0, scs_delta0(g))["dphi"])


@dataclass(frozen=True)
class PhaseDiagram:
    """The phase of each point of a grid: `codes` (n_g, n_overlap) index :data:`PHASES`
    at ``overlaps`` (n_overlap,) and ``gs`` (n_g,); `stats` is the first grid point's."""

    overlaps: np.ndarray
    gs: np.ndarray
    codes: np.ndarray
    stats: RankOneStats

    def names(self) -> np.ndarray:
        """(n_g, n_overlap) array of phase names."""
        return np.asarray(PHASES, dtype=object)[self.codes]


def phase_diagram(overlaps, gs, stats: RankOneStats | None = None) -> PhaseDiagram:
    """:func:`phase` on every point of the grid ``gs x overlaps``.

    The overlap is set through M_n (:meth:`RankOneStats.with_overlap`); the other
    statistics are those of `stats` (default: the paper's Fig. 1 values).
    """
    stats = RankOneStats(g=0.0) if stats is None else _check_stats(stats)
    overlaps = np.asarray(overlaps, dtype=float).ravel()
    gs = np.asarray(gs, dtype=float).ravel()
    codes = np.zeros((gs.size, overlaps.size), dtype=int)
    for i, g in enumerate(gs):
        for j, ov in enumerate(overlaps):
            codes[i, j] = PHASES.index(phase(stats.replace(g=float(g)).with_overlap(float(ov))))
    return PhaseDiagram(overlaps, gs, codes, stats.replace(g=float(gs[0])).with_overlap(float(overlaps[0])))
