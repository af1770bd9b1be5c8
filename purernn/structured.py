"""Structured recurrent connectivity: a random part plus a low-rank part, and the
coherence of activity along a mode.

    C = structured.low_rank_plus_random(500, g=0.8, rank=1, rho=0.5, rng=0)
    C = structured.feedforward_modes(2000, g=2.0, J1=1.0, row_balance=True, rng=0)
    net = C.network(alpha=0.1)                  # a Network with W_rec = C.W_rec
    chi = structured.coherence(a, C.left[:, 0])  # a: pre-activations (n_steps, n_rec)

Every constructor returns a :class:`Connectivity`, which holds the matrix and its parts
(the random part and the low-rank factors, so that activity can be projected on the
modes); :meth:`Connectivity.network` makes the :class:`purernn.Network`. NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_generator, check_array, check_int, check_number, fail
from .model import Network

__all__ = ["Connectivity", "low_rank_plus_random", "feedforward_modes", "coherence"]


@dataclass(frozen=True)
class Connectivity:
    """A recurrent matrix ``W_rec = random + scale * left @ right.T`` and its parts.

    Attributes
    ----------
    W_rec : ndarray, shape (n_rec, n_rec)
    random : ndarray, shape (n_rec, n_rec)
        The random part ``g chi`` (after the row balance, if any).
    left, right : ndarray, shape (n_rec, rank)
        The low-rank factors: column r of `left` is the mode the structure drives (its
        output, ``m_r`` or ``xi``), column r of `right` the mode it reads (``n_r`` or ``nu``).
    scale : float
        Factor of the low-rank part (``1 / n_rec`` or ``J1 / sqrt(n_rec)``).
    g : float
        Gain of the random part.
    row_balance : bool
        Whether the random part was projected so that ``random @ left[:, 0] = 0``; with a
        uniform ``left[:, 0]`` (the default of :func:`feedforward_modes`) its rows sum to 0.
    kind : str
        The constructor: ``"low_rank_plus_random"`` or ``"feedforward_modes"``.
    """

    W_rec: np.ndarray
    random: np.ndarray
    left: np.ndarray
    right: np.ndarray
    scale: float
    g: float
    row_balance: bool
    kind: str

    @property
    def n_rec(self) -> int:
        return int(self.W_rec.shape[0])

    @property
    def rank(self) -> int:
        return int(self.left.shape[1])

    @property
    def structure(self) -> np.ndarray:
        """The low-rank part ``scale * left @ right.T``, shape (n_rec, n_rec)."""
        return self.scale * (self.left @ self.right.T)

    @property
    def overlaps(self) -> np.ndarray:
        """``right.T @ left * scale``, shape (rank, rank): the low-rank part restricted to the
        span of `left` (its nonzero eigenvalues are the outliers of W_rec for large n_rec;
        all zero for the feedforward pair, whose modes are orthogonal)."""
        return self.scale * (self.right.T @ self.left)

    def network(self, n_in: int = 1, n_out: int = 1, **kwargs) -> Network:
        """A :class:`purernn.Network` with this W_rec: ``Network.create(n_in, n_rec, n_out,
        init=W_rec, gain=1.0, **kwargs)`` (e.g. ``alpha``, ``activation``, ``seed`` for the
        input and output weights)."""
        for key in ("init", "gain"):
            if key in kwargs:
                fail(key, "left out (the connectivity fixes W_rec, and gain is 1)", kwargs[key])
        return Network.create(n_in, self.n_rec, n_out, init=self.W_rec, gain=1.0, **kwargs)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "n_rec": self.n_rec, "rank": self.rank, "g": self.g,
                "scale": self.scale, "row_balance": self.row_balance,
                "overlaps": self.overlaps.tolist()}


def _random_part(n: int, g: float, chi, balance_mode, gen) -> np.ndarray:
    """g chi with chi ~ N(0, 1/n) (or given), projected so that chi @ balance_mode = 0."""
    if chi is None:
        chi = gen.standard_normal((n, n)) / np.sqrt(n)
    else:
        chi = check_array("chi", chi, shape=(n, n), names=("n_rec", "n_rec"), dtype=np.float64)
    if balance_mode is not None:
        u = balance_mode / np.linalg.norm(balance_mode)
        chi = chi - np.outer(chi @ u, u)
    return g * chi


def _vectors(arg: str, v, n: int, rank: int) -> np.ndarray:
    v = check_array(arg, v, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    if v.shape != (n, rank):
        fail(arg, f"an array of shape (n_rec={n},) or (n_rec={n}, rank={rank})", v.shape)
    return v


def low_rank_plus_random(n_rec: int, *, g: float = 0.0, rank: int = 1, m=None, n=None,
                         m_mean: float = 0.0, n_mean: float = 0.0, m_sd: float = 1.0,
                         n_sd: float = 1.0, rho: float = 0.0, chi=None, row_balance: bool = False,
                         rng=None) -> Connectivity:
    """``W_rec = g chi + sum_r m_r n_r^T / n_rec``: a random part plus a rank-`rank` structure.

    Parameters
    ----------
    n_rec : int
    g : float >= 0
        Gain of the random part ``chi``, whose entries are N(0, 1 / n_rec) (its
        eigenvalues fill the disk of radius g).
    rank : int >= 1
    m, n : array_like, shape (n_rec,) or (n_rec, rank), optional
        The connectivity vectors; drawn when not given. Drawn entries are Gaussian,
        ``m_ir ~ N(m_mean, m_sd^2)``, ``n_ir ~ N(n_mean, n_sd^2)``, with correlation `rho`
        between ``m_ir`` and ``n_ir`` (independent across units and across r).
    m_mean, n_mean, m_sd, n_sd, rho : float
        The statistics of drawn vectors (``-1 <= rho <= 1``). For large n_rec the overlap
        ``n_r . m_r / n_rec`` is ``m_mean n_mean + rho m_sd n_sd``: the outlier eigenvalue
        of a rank-one W_rec (Mastrogiuseppe & Ostojic 2018).
    chi : array_like, shape (n_rec, n_rec), optional
        The random part's matrix (before the factor g); drawn when not given.
    row_balance : bool
        Make the rows of ``chi`` sum to zero (subtract each row's mean).
    rng : numpy.random.Generator, int or None
        Draws chi, then m, then n (what is not given).

    Returns
    -------
    Connectivity
        With ``left = m``, ``right = n``, ``scale = 1 / n_rec``.

    Notes
    -----
    The model of F. Mastrogiuseppe & S. Ostojic (2018, Neuron 99:609), ``J = g chi + P``
    with ``P = m n^T / N``. Their network is ``dx/dt = -x + J phi(x)``; the network of
    purernn, ``tau dh/dt = -h + sigma(W_rec h)``, follows the same dynamics in its
    pre-activation ``a = W_rec h`` (``da/dt = -a + W_rec sigma(a)``, without input or
    bias), so its activity along ``m`` is read from ``a``. When ``m`` and ``n`` are both
    drawn with ``rho`` given, ``n = n_mean + n_sd (rho z_m + sqrt(1 - rho^2) z_n)`` for
    the standard-normal draws ``z_m`` behind ``m`` and an independent ``z_n``.

    Examples
    --------
    >>> C = low_rank_plus_random(400, g=0.5, m_mean=1.0, n_mean=2.0, m_sd=0.0, n_sd=0.0, rng=0)
    >>> round(float(C.overlaps[0, 0]), 6)  # the outlier eigenvalue m.n / N
    2.0
    """
    n_rec = check_int("n_rec", n_rec, lo=1)
    g = check_number("g", g, lo=0.0)
    rank = check_int("rank", rank, lo=1, hi=n_rec)
    rho = check_number("rho", rho, lo=-1.0, hi=1.0)
    m_mean, n_mean = check_number("m_mean", m_mean), check_number("n_mean", n_mean)
    m_sd, n_sd = check_number("m_sd", m_sd, lo=0.0), check_number("n_sd", n_sd, lo=0.0)
    if rho != 0.0 and (m is not None or n is not None):
        fail("rho", "0 when m or n is given (the correlation applies to drawn vectors)", rho,
             "Draw both vectors, or give both already correlated.")
    gen = as_generator(rng)
    random = _random_part(n_rec, g, chi, np.ones(n_rec) if row_balance else None, gen)
    z_m = None
    if m is None:
        z_m = gen.standard_normal((n_rec, rank))
        m = m_mean + m_sd * z_m
    else:
        m = _vectors("m", m, n_rec, rank)
    if n is None:
        z_n = gen.standard_normal((n_rec, rank))
        if z_m is not None:
            z_n = rho * z_m + np.sqrt(1.0 - rho * rho) * z_n
        n = n_mean + n_sd * z_n
    else:
        n = _vectors("n", n, n_rec, rank)
    scale = 1.0 / n_rec
    W = random + scale * (m @ n.T)
    return Connectivity(W_rec=W, random=random, left=m, right=n, scale=scale, g=g,
                        row_balance=bool(row_balance), kind="low_rank_plus_random")


def feedforward_modes(n_rec: int, *, g: float = 2.0, J1: float = 1.0, xi=None, nu=None,
                      chi=None, row_balance: bool = False, rng=None) -> Connectivity:
    """Landau & Sompolinsky's structured connectivity: ``W_rec = g chi + J1 xi nu^T / sqrt(n_rec)``.

    A random part plus a rank-one feedforward coupling between two orthogonal modes: the
    network's activity along the output mode ``nu`` drives the input mode ``xi``, and
    since ``nu . xi = 0`` nothing feeds back (the rank-one part is nilpotent and adds no
    outlier eigenvalue).

    Parameters
    ----------
    n_rec : int >= 2
    g : float >= 0
        Gain of the random part (entries of chi are N(0, 1 / n_rec)).
    J1 : float
        Strength of the structured component.
    xi, nu : array_like, shape (n_rec,), optional
        The input and output modes, orthogonal, with entries of order 1 (``|xi|^2`` of
        order n_rec). Default: ``xi`` all ones (the uniform mode), ``nu`` +1 on the first
        half of the units and -1 on the second (0 on the last unit when n_rec is odd).
    chi : array_like, shape (n_rec, n_rec), optional
        The random part's matrix (before the factor g); drawn from `rng` when not given.
    row_balance : bool
        Project the random part so that ``chi xi = 0``: with the uniform ``xi`` every row
        of the random part sums to zero (``chi <- chi - chi xi xi^T / |xi|^2``).
    rng : numpy.random.Generator, int or None
        Draws chi.

    Returns
    -------
    Connectivity
        With ``left = xi``, ``right = nu`` (as columns), ``scale = J1 / sqrt(n_rec)``.

    Notes
    -----
    I. D. Landau & H. Sompolinsky (2018), "Coherent chaos in a recurrent neural network
    with structured connectivity", PLoS Comput Biol 14:e1006309. Their network is
    ``dh/dt = -h + J phi(h)``; purernn's ``tau dh/dt = -h + sigma(W_rec h)`` follows the
    same dynamics in its pre-activation ``a = W_rec h`` (no input or bias). Their
    coherence is the share of the activity along ``xi`` (:func:`coherence` of ``a`` and
    ``xi``). Since the structure's entries are ``J1 / sqrt(n_rec)``, like those of the
    random part, the drive it gives ``xi`` is the sum of the units' fluctuations along
    ``nu``: of order 1 for uncorrelated chaotic activity.
    """
    n_rec = check_int("n_rec", n_rec, lo=2)
    g = check_number("g", g, lo=0.0)
    J1 = check_number("J1", J1)
    if xi is None:
        xi = np.ones(n_rec)
    else:
        xi = check_array("xi", xi, shape=(n_rec,), names=("n_rec",), dtype=np.float64)
    if nu is None:
        half = n_rec // 2
        nu = np.zeros(n_rec)
        nu[:half] = 1.0
        nu[half:2 * half] = -1.0
    else:
        nu = check_array("nu", nu, shape=(n_rec,), names=("n_rec",), dtype=np.float64)
    nx, nn = np.linalg.norm(xi), np.linalg.norm(nu)
    if nx == 0 or nn == 0:
        fail("xi" if nx == 0 else "nu", "a nonzero vector", "all zeros")
    cos = float(xi @ nu) / (nx * nn)
    if abs(cos) > 1e-8:
        fail("nu", "orthogonal to xi (|cos(xi, nu)| <= 1e-8)", round(cos, 6),
             "Remove its component along xi: nu - (nu @ xi) / (xi @ xi) * xi.")
    gen = as_generator(rng)
    random = _random_part(n_rec, g, chi, xi if row_balance else None, gen)
    scale = J1 / np.sqrt(n_rec)
    W = random + scale * np.outer(xi, nu)
    return Connectivity(W_rec=W, random=random, left=xi[:, None].copy(), right=nu[:, None].copy(),
                        scale=float(scale), g=g, row_balance=bool(row_balance), kind="feedforward_modes")


def coherence(a, mode) -> float:
    """Coherence of activity along a mode: ``sqrt(var(u . a_t) / sum_i var(a_i))``, ``u = mode / |mode|``.

    Parameters
    ----------
    a : array_like, shape (n_steps, n_rec)
        Activity over time (for :func:`feedforward_modes`, the pre-activations
        ``a_t = W_rec h_{t-1}``, the variables of Landau & Sompolinsky's equation).
    mode : array_like, shape (n_rec,)

    Returns
    -------
    float
        In [0, 1]: the square root of the fraction of the total variance (summed over
        units, each variance over time) that lies along the mode. With the uniform mode it
        is ``sqrt(var(mean_i a_i) / mean_i var(a_i))``: 1 when all units move together,
        about ``1 / sqrt(n_rec)`` for independent fluctuations.

    Notes
    -----
    Landau & Sompolinsky (2018) define coherence as the root of the ratio of the
    coherent mode's mean square to the mean square of single units; for their odd ``tanh``
    network the means vanish, and this (centred) form is the same quantity.
    """
    a = check_array("a", a, shape=(None, None), names=("n_steps", "n_rec"), dtype=np.float64)
    mode = check_array("mode", mode, shape=(a.shape[1],), names=("n_rec",), dtype=np.float64)
    if a.shape[0] < 2:
        fail("a", "at least 2 time steps", a.shape)
    norm = np.linalg.norm(mode)
    if norm == 0:
        fail("mode", "a nonzero vector", "all zeros")
    total = float(np.var(a, axis=0).sum())
    if total == 0.0:
        return float("nan")
    along = float(np.var(a @ (mode / norm)))
    return float(np.sqrt(along / total))
