"""Lyapunov exponents of a network's trajectory: the spectrum by repeated QR (Benettin et
al. 1980), the largest exponent from two nearby trajectories, and the Kaplan-Yorke dimension.

    spec = pr.analysis.lyapunov_spectrum(net, n_exponents=20, rng=0)
    spec.exponents_tau, spec.stderr_tau, spec.kaplan_yorke
    top = pr.analysis.largest_lyapunov_exponent(net, rng=0)   # no Jacobian: the simulator only

Both follow the Euler map that :func:`purernn.simulate` iterates, in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import as_generator, check_array, check_int, check_number, fail
from ..errors import ConvergenceError
from ..simulation import simulate
from ._common import activation, check_net

__all__ = ["LyapunovSpectrum", "lyapunov_spectrum", "largest_lyapunov_exponent", "kaplan_yorke_dimension"]

#: Steps simulated per call of :func:`purernn.simulate` (bounds the memory of long runs).
_CHUNK = 512


@dataclass(frozen=True)
class LyapunovSpectrum:
    """Lyapunov exponents of one trajectory, with their convergence.

    Attributes
    ----------
    exponents : ndarray, shape (n_exponents,)
        The leading exponents, per step of the Euler map, in decreasing order.
    stderr : ndarray, shape (n_exponents,)
        Standard error of each exponent: the standard deviation of the estimates over
        `n_blocks` consecutive segments of the run, over ``sqrt(n_blocks)`` (nan with one
        block).
    blocks : ndarray, shape (n_blocks, n_exponents)
        The estimate of each segment, per step.
    block_steps : ndarray of int, shape (n_blocks,)
        Steps in each segment.
    alpha : float
        ``dt / tau`` of the network: a step is ``alpha`` units of tau.
    n_rec, n_steps, n_discard : int
        Network size; steps averaged over; steps run first and not averaged.
    method : {"qr", "two-trajectory"}
        How the exponents were measured.
    """

    exponents: np.ndarray
    stderr: np.ndarray
    blocks: np.ndarray
    block_steps: np.ndarray
    alpha: float
    n_rec: int
    n_steps: int
    n_discard: int
    method: str

    @property
    def n_exponents(self) -> int:
        return int(self.exponents.size)

    @property
    def exponents_tau(self) -> np.ndarray:
        """Exponents per unit of tau (``exponents / alpha``): those of equation (1) as alpha -> 0."""
        return self.exponents / self.alpha

    @property
    def stderr_tau(self) -> np.ndarray:
        return self.stderr / self.alpha

    @property
    def largest(self) -> float:
        """The largest exponent, per step."""
        return float(self.exponents[0])

    @property
    def largest_tau(self) -> float:
        """The largest exponent, per unit of tau."""
        return float(self.exponents[0]) / self.alpha

    @property
    def running(self) -> np.ndarray:
        """The cumulative estimate at the end of each segment, shape (n_blocks, n_exponents), per step."""
        steps = np.cumsum(self.block_steps)[:, None]
        return np.cumsum(self.blocks * self.block_steps[:, None], axis=0) / steps

    @property
    def kaplan_yorke(self) -> float:
        """Kaplan-Yorke dimension of the exponents (:func:`kaplan_yorke_dimension`); nan when
        the computed exponents still sum to a positive number (the dimension exceeds them)."""
        return kaplan_yorke_dimension(self.exponents, n_total=self.n_rec)

    def to_dict(self) -> dict:
        def f(v):
            v = float(v)
            return v if np.isfinite(v) else None

        return {
            "method": self.method,
            "alpha": self.alpha,
            "n_rec": self.n_rec,
            "n_steps": self.n_steps,
            "n_discard": self.n_discard,
            "n_exponents": self.n_exponents,
            "largest_per_step": f(self.largest),
            "largest_per_tau": f(self.largest_tau),
            "stderr_largest_per_tau": f(self.stderr_tau[0]),
            "n_positive": int(np.sum(self.exponents > 0)),
            "sum_per_tau": f(np.sum(self.exponents_tau)),
            "kaplan_yorke": f(self.kaplan_yorke),
            "exponents_per_tau": [f(v) for v in self.exponents_tau],
            "units": "exponents per step and per tau (tau = 1 / alpha steps)",
        }


def kaplan_yorke_dimension(exponents, n_total: int | None = None) -> float:
    """Kaplan-Yorke (Lyapunov) dimension of a set of Lyapunov exponents.

    ``D = j + (lambda_1 + ... + lambda_j) / |lambda_{j+1}|``, with the exponents sorted in
    decreasing order and ``j`` the largest index whose partial sum is still >= 0
    (Kaplan & Yorke 1979). The units of the exponents do not matter.

    Parameters
    ----------
    exponents : array_like, shape (k,)
        The leading k exponents (any order).
    n_total : int, optional
        Number of exponents the system has (``n_rec``). When all k given exponents sum to
        a positive number, the dimension is ``k`` if ``k == n_total`` (volumes expand in
        every direction) and unknown (nan) otherwise: more exponents are needed.

    Returns
    -------
    float
        0 when the largest exponent is negative (a stable fixed point).

    Examples
    --------
    >>> round(kaplan_yorke_dimension([0.5, 0.1, -0.3, -1.0]), 6)
    3.3
    """
    lam = np.sort(np.asarray(exponents, dtype=np.float64).ravel())[::-1]
    if lam.size == 0 or not np.isfinite(lam[0]):
        return float("nan")
    partial = np.cumsum(lam)
    nonneg = np.flatnonzero(partial >= 0.0)
    if nonneg.size == 0:
        return 0.0
    j = int(nonneg[-1]) + 1  # partial sum over the first j exponents is >= 0
    if j == lam.size:
        return float(j) if n_total is not None and j == n_total else float("nan")
    if not np.isfinite(lam[j]):
        return float(j)
    return float(j + partial[j - 1] / abs(lam[j]))


# ---------------------------------------------------------------------------------------
# Argument handling shared by both estimators
# ---------------------------------------------------------------------------------------


def _check_run(net, x, n_steps, n_discard, h0, n_blocks, rng):
    """-> (float64 network, inputs (n_total, n_in), h0, n_steps, n_discard, n_blocks, generator)."""
    net = check_net(net)
    if net.config.dtype != "float64":
        net = net.replace(dtype="float64")
    trial = x is not None and np.ndim(x) == 2
    if x is None:
        x = np.zeros(net.n_in)
    if trial:
        x = check_array("x", x, shape=(None, net.n_in), names=("n_steps", "n_in"), dtype=np.float64,
                        hint="x is one constant input (n_in,) or one trial (n_steps, n_in).")
        if x.shape[0] == 0:
            fail("x", "a trial with at least one step", x.shape)
    else:
        x = check_array("x", x, shape=(net.n_in,), names=("n_in",), dtype=np.float64,
                        hint="x is one constant input (n_in,) or one trial (n_steps, n_in).")
    alpha = net.alpha
    if trial:
        n_discard = 0 if n_discard is None else check_int("n_discard", n_discard, lo=0, hi=x.shape[0] - 1)
        n_steps = (x.shape[0] - n_discard if n_steps is None
                   else check_int("n_steps", n_steps, lo=1))
        if n_discard + n_steps > x.shape[0]:
            fail("n_discard + n_steps", f"at most the trial's length {x.shape[0]}", n_discard + n_steps,
                 "Give a longer trial or fewer steps.")
        xs = x[: n_discard + n_steps]
    else:
        n_steps = math.ceil(500 / alpha) if n_steps is None else check_int("n_steps", n_steps, lo=1)
        n_discard = math.ceil(100 / alpha) if n_discard is None else check_int("n_discard", n_discard, lo=0)
        xs = np.broadcast_to(x, (n_discard + n_steps, net.n_in))
    n_blocks = check_int("n_blocks", n_blocks, lo=1, hi=n_steps)
    gen = as_generator(rng)
    if h0 is None:
        h0 = np.zeros(net.n_rec) if trial else gen.standard_normal(net.n_rec)
    else:
        h0 = check_array("h0", h0, shape=(net.n_rec,), names=("n_rec",), dtype=np.float64)
    return net, xs, h0, n_steps, n_discard, n_blocks, gen


def _trajectory(net, xs, h0, gen):
    """Yield (h_prev, x) chunks of the run: the states before each step and the inputs of it."""
    h = h0
    for start in range(0, xs.shape[0], _CHUNK):
        xc = xs[start:start + _CHUNK]
        H = simulate(net, xc[None], h0=h, rng=gen).h[0]  # (n_chunk, n_rec)
        if not np.all(np.isfinite(H)):
            bad = start + int(np.flatnonzero(~np.all(np.isfinite(H), axis=1))[0]) + 1
            raise ConvergenceError(f"the trajectory diverged (non-finite state at step {bad}); "
                                   "Lyapunov exponents need a bounded trajectory.")
        prev = np.vstack([h[None], H[:-1]])  # (n_chunk, n_rec): h_{t-1}
        yield prev, xc, H
        h = H[-1]


def _result(log_growth, block_of_step, n_blocks, net, n_steps, n_discard, method) -> LyapunovSpectrum:
    """Per-block sums of log growth (n_blocks, k) -> LyapunovSpectrum (sorted, with errors)."""
    steps = np.bincount(block_of_step, minlength=n_blocks)
    with np.errstate(invalid="ignore", divide="ignore"):
        blocks = log_growth / steps[:, None]
        exponents = log_growth.sum(axis=0) / n_steps
        stderr = (np.std(blocks, axis=0, ddof=1) / np.sqrt(n_blocks) if n_blocks > 1
                  else np.full(exponents.shape, np.nan))
    order = np.argsort(-exponents, kind="stable")
    return LyapunovSpectrum(
        exponents=exponents[order], stderr=stderr[order], blocks=blocks[:, order], block_steps=steps,
        alpha=net.alpha, n_rec=net.n_rec, n_steps=n_steps, n_discard=n_discard, method=method,
    )


def _blocks(n_steps: int, n_blocks: int) -> np.ndarray:
    """Block index of each averaged step: n_blocks nearly equal consecutive segments."""
    return (np.arange(n_steps) * n_blocks) // n_steps


# ---------------------------------------------------------------------------------------
# The spectrum by repeated QR
# ---------------------------------------------------------------------------------------


def lyapunov_spectrum(net, x=None, *, n_exponents: int | None = None, n_steps: int | None = None,
                      n_discard: int | None = None, h0=None, qr_every: int = 1, n_blocks: int = 10,
                      rng=None) -> LyapunovSpectrum:
    """The leading Lyapunov exponents of the network's trajectory under input `x`.

    Parameters
    ----------
    net : Network
    x : array_like, shape (n_in,) or (T, n_in), optional
        A constant input (default 0) or one trial, whose steps drive the run.
    n_exponents : int, optional
        How many exponents, 1..n_rec (default: all n_rec). The cost per step is about
        ``2 n_rec^2 n_exponents`` for the tangent map and ``4 n_rec n_exponents^2`` for
        the QR.
    n_steps : int, optional
        Steps averaged over. Default: ``ceil(500 / alpha)`` (500 tau) for a constant input,
        the rest of the trial after `n_discard` for a trial.
    n_discard : int, optional
        Steps run first and not averaged, so that the state reaches its attractor and the
        tangent frame aligns with the Lyapunov vectors. Default: ``ceil(100 / alpha)``
        (100 tau) for a constant input, 0 for a trial.
    h0 : array_like, shape (n_rec,), optional
        Initial state. Default: standard normal per unit, drawn from `rng`, for a constant
        input (the origin, a fixed point of a network without bias or input, is not where
        the run should start); zero for a trial (how :func:`purernn.simulate` starts one).
    qr_every : int
        Steps between re-orthonormalizations. 1 is exact; larger values are cheaper but
        lose precision when the exponents differ by more than about ``30 / qr_every`` per
        step (the ratio of growths must stay far from the float64 resolution).
    n_blocks : int
        Segments the averaged steps are cut into, for the standard error.
    rng : numpy.random.Generator, int or None
        Draws the initial state, the initial tangent frame and the recurrent noise (when
        ``sigma_rec > 0``).

    Returns
    -------
    LyapunovSpectrum
        ``exponents`` per step, ``exponents_tau`` per unit of tau, ``stderr``,
        ``kaplan_yorke``.

    Raises
    ------
    ConvergenceError
        When the trajectory diverges (a non-finite state).

    Notes
    -----
    The state follows the Euler map of :func:`purernn.simulate` (in float64), with
    ``a_t = W_rec h_{t-1} + W_in x_t + b_rec``. Its Jacobian at step t is, in closed form,
    ``J_t = (1 - alpha) I + alpha diag(sigma'(a_t)) W_rec`` (additive recurrent noise
    leaves it unchanged). An orthonormal frame ``Q_0`` (n_rec, k) is carried along,
    ``Q_t R_t = J_t Q_{t-1}`` (a QR factorization), and the i-th exponent is the mean of
    ``log |R_t[i, i]|`` over the averaged steps (Benettin, Galgani, Giorgilli & Strelcyn
    1980, Meccanica 15:9; Shimada & Nagashima 1979). Its value per unit of tau is
    ``lambda / alpha``, which tends to the exponent of equation (1) as ``alpha -> 0``.
    With all n_rec exponents, their sum equals the mean of ``log |det J_t|`` exactly
    (the R factors telescope); a direction collapsed in one step (a singular ``J_t``, e.g.
    relu units below threshold at alpha = 1) has exponent ``-inf``.
    """
    net, xs, h0, n_steps, n_discard, n_blocks, gen = _check_run(net, x, n_steps, n_discard, h0, n_blocks, rng)
    n = net.n_rec
    k = n if n_exponents is None else check_int("n_exponents", n_exponents, lo=1, hi=n)
    qr_every = check_int("qr_every", qr_every, lo=1)
    p = net.params
    W, W_in, b = p["W_rec"], p["W_in"], p["b_rec"]
    alpha = net.alpha
    Q, _ = np.linalg.qr(gen.standard_normal((n, k)))  # (n_rec, k)
    M = np.empty_like(Q)
    block_of = _blocks(n_steps, n_blocks)
    growth = np.zeros((n_blocks, k))
    t = 0  # steps taken
    since_qr = 0
    for prev, xc, _ in _trajectory(net, xs, h0, gen):
        A = prev @ W.T + xc @ W_in.T + b  # (n_chunk, n_rec): a_t
        _, DS = activation(net, A)
        for ds in DS:
            # Q <- J_t Q = (1 - alpha) Q + alpha diag(ds) W Q
            np.matmul(W, Q, out=M)
            M *= (alpha * ds)[:, None]
            if alpha != 1.0:
                Q *= 1.0 - alpha
                Q += M
            else:
                Q, M = M, Q
            t += 1
            since_qr += 1
            i = t - n_discard - 1  # index of this step among the averaged ones
            # re-orthonormalize every qr_every steps, at the end of the discard and of each block
            if (since_qr == qr_every or t == n_discard
                    or (i >= 0 and (i == n_steps - 1 or block_of[i + 1] != block_of[i]))):
                if k == 1:  # the QR of one column is its normalization
                    r = np.linalg.norm(Q, axis=0)
                    Q /= r
                else:
                    Q, R = np.linalg.qr(Q)
                    r = np.abs(np.diagonal(R))
                if i >= 0:
                    with np.errstate(divide="ignore"):
                        growth[block_of[i]] += np.log(r)
                since_qr = 0
    return _result(growth, block_of, n_blocks, net, n_steps, n_discard, "qr")


# ---------------------------------------------------------------------------------------
# The largest exponent from two trajectories
# ---------------------------------------------------------------------------------------


def largest_lyapunov_exponent(net, x=None, *, n_steps: int | None = None, n_discard: int | None = None,
                              h0=None, eps: float = 1e-8, renorm_every: int = 1, n_blocks: int = 10,
                              rng=None) -> LyapunovSpectrum:
    """The largest Lyapunov exponent from a trajectory and a nearby one, renormalized.

    An estimate independent of the Jacobian: it runs :func:`purernn.simulate` itself on a
    reference state and on a copy displaced by `eps`, and after every `renorm_every` steps
    records the growth of their distance and pulls the copy back to distance `eps` along
    the current separation (Benettin, Galgani & Strelcyn 1976).

    Parameters
    ----------
    net, x, n_steps, n_discard, h0, n_blocks, rng
        As in :func:`lyapunov_spectrum`; `rng` also draws the first displacement, and both
        trajectories receive the same recurrent noise.
    eps : float
        Distance between the trajectories after each renormalization (Euclidean, in units
        of h). Small enough to stay linear, large enough to be resolved in float64.
    renorm_every : int
        Steps between renormalizations; ``renorm_every * |lambda|`` must stay small (the
        distance must neither leave the linear range nor fall to the rounding floor).

    Returns
    -------
    LyapunovSpectrum
        With one exponent and ``method="two-trajectory"``.
    """
    net, xs, h0, n_steps, n_discard, n_blocks, gen = _check_run(net, x, n_steps, n_discard, h0, n_blocks, rng)
    eps = check_number("eps", eps, lo=0.0, lo_open=True)
    renorm_every = check_int("renorm_every", renorm_every, lo=1)
    u = gen.standard_normal(net.n_rec)
    h = np.stack([h0, h0 + eps * u / np.linalg.norm(u)])  # (2, n_rec)
    block_of = _blocks(n_steps, n_blocks)
    growth = np.zeros((n_blocks, 1))
    noisy = net.config.sigma_rec > 0
    t = 0
    total = n_discard + n_steps
    while t < total:
        # segments end at the renormalization period, the end of the discard and block ends
        stop = min(t + renorm_every, total)
        if t < n_discard:
            stop = min(stop, n_discard)
        else:
            i = t - n_discard
            stop = min(stop, n_discard + int(np.searchsorted(block_of, block_of[i], side="right")))
        xc = np.broadcast_to(xs[t:stop], (2, stop - t, net.n_in))
        noise = None
        if noisy:
            noise = np.broadcast_to(gen.standard_normal((1, stop - t, net.n_rec)), (2, stop - t, net.n_rec))
        H = simulate(net, xc, h0=h, noise=noise).h[:, -1]  # (2, n_rec)
        if not np.all(np.isfinite(H)):
            raise ConvergenceError(f"the trajectory diverged (non-finite state by step {stop}); "
                                   "Lyapunov exponents need a bounded trajectory.")
        d = float(np.linalg.norm(H[1] - H[0]))
        if t >= n_discard:
            with np.errstate(divide="ignore"):
                growth[block_of[t - n_discard], 0] += math.log(d / eps) if d > 0 else -np.inf
        if d == 0.0:  # collapsed: restart the copy along a fresh direction
            u = gen.standard_normal(net.n_rec)
            H[1] = H[0] + eps * u / np.linalg.norm(u)
        else:
            H[1] = H[0] + (eps / d) * (H[1] - H[0])
        h = H
        t = stop
    return _result(growth, block_of, n_blocks, net, n_steps, n_discard, "two-trajectory")
