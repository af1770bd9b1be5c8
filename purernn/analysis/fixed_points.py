"""Fixed points and slow points of the network dynamics (Sussillo & Barak 2013).

Candidates are minima of the speed ``q(h) = 0.5 |F(h) - h|^2`` of the Euler map ``F``,
found with SciPy from many starting states, polished with Newton's method on
``F(h) - h = 0``, deduplicated, and classified by the eigenvalues of their Jacobian.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from .._validate import as_generator, check_array, check_int, check_number
from ..model import Network
from ..simulation import simulate
from ._common import activation, activation_second, check_const_input, check_net, complex_to_json
from .spectrum import sort_eigenvalues

__all__ = ["FixedPoints", "find_fixed_points", "speed"]

logger = logging.getLogger(__name__)

_EDGE = 1e-10  # |mu| within this of 1 is a marginal direction


@dataclass(frozen=True)
class FixedPoints:
    """Fixed points (or slow points) of the Euler map under one constant input.

    Attributes
    ----------
    h : ndarray, shape (n_fp, n_rec)
        The points, sorted by their coordinates (first coordinate first).
    q : ndarray, shape (n_fp,)
        Their speed ``0.5 |F(h) - h|^2`` (per step squared).
    eigenvalues : ndarray of complex, shape (n_fp, n_rec)
        Eigenvalues ``mu`` of the map Jacobian ``(1 - alpha) I + alpha diag(sigma'(a)) W_rec``
        at each point, by decreasing modulus.
    eigenvalues_continuous : ndarray of complex, shape (n_fp, n_rec)
        The same modes in the continuous-time convention, ``(mu - 1) / alpha``, in units
        of ``1 / tau``.
    stable : ndarray of bool, shape (n_fp,)
        Stable for the Euler map: every ``|mu| < 1``.
    n_unstable : ndarray of int, shape (n_fp,)
        Number of unstable directions of the map, ``|mu| > 1``.
    stable_continuous : ndarray of bool, shape (n_fp,)
        Stable for the ODE: every ``Re(lambda) < 0``.
    n_unstable_continuous : ndarray of int, shape (n_fp,)
        Number of eigenvalues with ``Re(lambda) > 0``.
    labels : tuple of str, length n_fp
        ``"stable"`` (all ``|mu| < 1``), ``"saddle"`` (some unstable and some stable
        directions), ``"unstable"`` (every direction unstable) or ``"marginal"`` (none
        unstable, some with ``|mu| = 1`` within 1e-10), for the map.
    x : ndarray, shape (n_in,)
        The constant input.
    alpha : float
    slow : FixedPoints or None
        Slow points: local minima of q with ``tol_q < q <= slow_tol`` (``slow`` of a slow
        point set is None).
    n_init : int
        Number of starting states used.
    """

    h: np.ndarray
    q: np.ndarray
    eigenvalues: np.ndarray
    eigenvalues_continuous: np.ndarray
    stable: np.ndarray
    n_unstable: np.ndarray
    stable_continuous: np.ndarray
    n_unstable_continuous: np.ndarray
    labels: tuple
    x: np.ndarray
    alpha: float
    slow: "FixedPoints | None" = None
    n_init: int = 0

    @property
    def n_fp(self) -> int:
        return int(self.h.shape[0])

    def to_dict(self, max_points: int = 50) -> dict:
        """JSON-serializable summary (at most `max_points` points listed)."""
        k = min(self.n_fp, max_points)
        out = {
            "n_fp": self.n_fp,
            "x": [float(v) for v in self.x],
            "counts": {lab: int(self.labels.count(lab)) for lab in ("stable", "saddle", "unstable", "marginal")},
            "points": [
                {
                    "label": self.labels[i],
                    "q": float(self.q[i]),
                    "n_unstable": int(self.n_unstable[i]),
                    "n_unstable_continuous": int(self.n_unstable_continuous[i]),
                    "norm": float(np.linalg.norm(self.h[i])),
                    "leading_eigenvalues": complex_to_json(self.eigenvalues[i, :3]),
                }
                for i in range(k)
            ],
        }
        if self.slow is not None:
            out["n_slow"] = self.slow.n_fp
        return out


class _Speed:
    """q(h), its gradient and Hessian, and the residual F(h) - h with its Jacobian.

    With ``a = W h + c`` (``c = W_in x + b_rec``), ``s = sigma(a)``, ``D = diag(sigma'(a))``::

        r(h)   = F(h) - h = alpha (s - h)
        J_r    = alpha (D W - I)
        q      = 0.5 r^T r
        grad q = J_r^T r
        hess q = J_r^T J_r + alpha W^T diag(r * sigma''(a)) W

    (the last term is the curvature of each residual, ``alpha sigma''(a_i) w_i w_i^T``).
    Evaluations at the same h are cached, since SciPy asks for q, grad and hess in turn.
    """

    def __init__(self, net: Network, x: np.ndarray):
        p = net.params
        self.net = net
        self.W = np.ascontiguousarray(p["W_rec"], dtype=np.float64)
        self.c = p["W_in"].astype(np.float64) @ x + p["b_rec"].astype(np.float64)
        self.alpha = net.alpha
        self.act = net.config.activation
        self.n = self.W.shape[0]
        self._h = None

    def _eval(self, h):
        if self._h is not None and np.array_equal(h, self._h):
            return
        a = self.W @ h + self.c
        s, ds = activation(self.net, a)
        self._h = h.copy()
        self._s, self._ds = s, ds
        self._r = self.alpha * (s - h)
        self._Jr = None

    def residual(self, h):
        self._eval(h)
        return self._r

    def jac_residual(self, h):
        self._eval(h)
        if self._Jr is None:
            Jr = self.alpha * (self._ds[:, None] * self.W)
            Jr[np.diag_indices(self.n)] -= self.alpha
            self._Jr = Jr
        return self._Jr

    def q(self, h):
        r = self.residual(h)
        return 0.5 * float(r @ r)

    def grad(self, h):
        return self.jac_residual(h).T @ self.residual(h)

    def hess(self, h):
        Jr = self.jac_residual(h)
        H = Jr.T @ Jr
        d2 = activation_second(self.act, self._s, self._ds)
        curv = self.alpha * self._r * d2  # (n_rec,)
        if np.any(curv):
            H += self.W.T @ (curv[:, None] * self.W)
        return H


def speed(net, h, x=None) -> np.ndarray:
    """The speed ``q(h) = 0.5 |F(h) - h|^2`` of the Euler map at states `h`.

    Parameters
    ----------
    net : Network
    h : array_like, shape (..., n_rec)
    x : array_like, shape (n_in,), optional
        Constant input (default 0).

    Returns
    -------
    ndarray, shape (...)
    """
    net = check_net(net)
    x = check_const_input(net, x)
    h = check_array("h", h, dtype=np.float64)
    if h.ndim == 0 or h.shape[-1] != net.n_rec:
        check_array("h", h, shape=(None, net.n_rec), names=("n_points", "n_rec"))
    p = net.params
    a = h @ p["W_rec"].astype(np.float64).T + p["W_in"].astype(np.float64) @ x + p["b_rec"]
    s, _ = activation(net, a)
    r = net.alpha * (s - h)
    return 0.5 * np.sum(r * r, axis=-1)


def _newton(sp: _Speed, h: np.ndarray, max_iter: int = 40) -> np.ndarray:
    """Polish a root of r(h) = F(h) - h; each accepted step lowers |r| (halving if not)."""
    r = sp.residual(h)
    best = float(r @ r)
    for _ in range(max_iter):
        if best == 0.0:
            break
        try:
            step = scipy.linalg.solve(sp.jac_residual(h), -r, check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            break
        improved = False
        t = 1.0
        for _ in range(6):
            h_new = h + t * step
            r_new = sp.residual(h_new)
            val = float(r_new @ r_new)
            if val < best:
                h, r, best, improved = h_new, r_new, val, True
                break
            t *= 0.5
        if not improved:
            break
    return h


def _initial_states(net: Network, x: np.ndarray, n_init: int, rng: np.random.Generator) -> np.ndarray:
    """Starting states: half random states sigma(a_0), a_0 ~ N(0, 1.5^2) (they cover the
    state space, so that the minimizer also reaches saddles and sources), half states on
    the free trajectories that start there (they sample where the dynamics go)."""
    n_traj = max(8, n_init // 2)
    n_steps = 50
    h0, _ = activation(net, 1.5 * rng.standard_normal((n_traj, net.n_rec)))
    quiet = net.replace(sigma_rec=0.0) if net.config.sigma_rec > 0 else net
    traj = simulate(quiet, np.broadcast_to(x, (n_traj, n_steps, net.n_in)), h0=h0)
    on_traj = np.asarray(traj.h, dtype=np.float64).reshape(-1, net.n_rec)
    n_traj_states = n_init - n_init // 2
    pick = rng.choice(on_traj.shape[0], size=min(n_traj_states, on_traj.shape[0]), replace=False)
    return np.concatenate([h0[: n_init // 2], on_traj[pick]], axis=0)


def _dedup(h: np.ndarray, q: np.ndarray, tol: float) -> np.ndarray:
    """Indices of representatives: lowest q first, drop points within `tol` of a kept one."""
    keep = []
    for i in np.argsort(q, kind="stable"):
        if all(np.max(np.abs(h[i] - h[j])) > tol for j in keep):
            keep.append(int(i))
    return np.array(keep, dtype=int)


def _classify(net: Network, sp: _Speed, h: np.ndarray, q: np.ndarray, x: np.ndarray,
              n_init: int, slow=None) -> FixedPoints:
    n_fp, n = h.shape
    alpha = net.alpha
    eig = np.empty((n_fp, n), dtype=complex)
    for i in range(n_fp):
        J = sp.jac_residual(h[i]).copy()
        J[np.diag_indices(n)] += 1.0  # the map Jacobian I + J_r
        eig[i] = sort_eigenvalues(scipy.linalg.eigvals(J, check_finite=False))
    mod = np.abs(eig)
    n_unstable = np.sum(mod > 1.0 + _EDGE, axis=1)
    n_stable_dir = np.sum(mod < 1.0 - _EDGE, axis=1)
    labels = []
    for nu, ns in zip(n_unstable, n_stable_dir):
        if ns == n:
            labels.append("stable")
        elif nu == n:
            labels.append("unstable")
        elif nu > 0:
            labels.append("saddle")
        else:
            labels.append("marginal")
    lam = (eig - 1.0) / alpha
    return FixedPoints(
        h=h, q=q, eigenvalues=eig, eigenvalues_continuous=lam,
        stable=n_stable_dir == n, n_unstable=n_unstable.astype(int),
        stable_continuous=np.all(lam.real < 0, axis=1),
        n_unstable_continuous=np.sum(lam.real > 0, axis=1).astype(int),
        labels=tuple(labels), x=x, alpha=alpha, slow=slow, n_init=n_init,
    )


def _order(h: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Deterministic order: by label-independent keys (rounded coordinates), so runs agree."""
    if h.shape[0] == 0:
        return np.arange(0)
    keys = np.round(h, 8)[:, ::-1].T
    return np.lexsort(keys)


def find_fixed_points(
    net,
    x=None,
    *,
    initial_states=None,
    n_init: int = 256,
    rng=None,
    noise_scale: float = 0.02,
    tol_q: float = 1e-20,
    slow_tol: float = 1e-6,
    dedup_tol: float = 1e-6,
    slow_dedup_tol: float = 1e-2,
    max_iter: int = 200,
) -> FixedPoints:
    """Find the fixed points (and slow points) of the network under a constant input.

    Parameters
    ----------
    net : Network
    x : array_like, shape (n_in,), optional
        The constant input (default 0: e.g. the flip-flop between pulses).
    initial_states : array_like, shape (..., n_rec), optional
        States to start from, e.g. ``traj.h`` of task trials (n_trials, n_steps, n_rec).
        Default: half random states ``sigma(a_0)``, ``a_0 ~ N(0, 1.5^2)``, half states on
        the free trajectories of the network under `x` that start there. At most
        `n_init` of the given states are drawn (without replacement).
    n_init : int
        Number of minimizations.
    rng : numpy.random.Generator, int or None
        Draws the starting states and their noise.
    noise_scale : float
        Standard deviation of the Gaussian noise added to each starting state.
    tol_q : float
        A polished point is a fixed point when ``q <= tol_q`` (``|F(h) - h| <~ 1.4e-10``
        by default; Newton usually reaches ``q ~ 1e-32``).
    slow_tol : float
        A minimum of q with ``tol_q < q <= slow_tol`` is a slow point; above, it is
        discarded.
    dedup_tol : float
        Fixed points closer than this (max-norm) are one point.
    slow_dedup_tol : float
        The same for slow points (minima of q on a slow manifold are not isolated).
    max_iter : int
        Iterations of the minimizer per starting state.

    Returns
    -------
    FixedPoints
        True fixed points in ``h, q, eigenvalues, ...`` and slow points in ``.slow``.

    Notes
    -----
    Sussillo & Barak (2013), "Opening the black box: low-dimensional dynamics in
    high-dimensional recurrent neural networks", Neural Comput. 25:626. With the Euler map
    ``F(h) = (1 - alpha) h + alpha sigma(W_rec h + W_in x + b_rec)`` we minimize::

        q(h) = 0.5 |F(h) - h|^2 = 0.5 alpha^2 |sigma(a) - h|^2

    with ``scipy.optimize.minimize(method="trust-exact")`` and the closed-form gradient
    ``J_r^T r`` and Hessian ``J_r^T J_r + alpha W_rec^T diag(r sigma''(a)) W_rec``, where
    ``r = F(h) - h`` and ``J_r = alpha (diag(sigma'(a)) W_rec - I)``. Each minimum is
    then polished by Newton's method on ``r(h) = 0``, ``h <- h - J_r^{-1} r``, which
    converges quadratically at a regular root (to machine precision) and stalls at a slow
    point, where ``min q > 0``. Fixed points are labelled by the eigenvalues ``mu`` of the
    map Jacobian ``I + J_r``; the continuous-time eigenvalues are ``(mu - 1) / alpha``.
    """
    net = check_net(net)
    x = check_const_input(net, x)
    n_init = check_int("n_init", n_init, lo=1)
    rng = as_generator(rng)
    noise_scale = check_number("noise_scale", noise_scale, lo=0.0)
    tol_q = check_number("tol_q", tol_q, lo=0.0)
    slow_tol = check_number("slow_tol", slow_tol, lo=tol_q)
    dedup_tol = check_number("dedup_tol", dedup_tol, lo=0.0)
    slow_dedup_tol = check_number("slow_dedup_tol", slow_dedup_tol, lo=0.0)
    max_iter = check_int("max_iter", max_iter, lo=1)

    if initial_states is None:
        pool = _initial_states(net, x, n_init, rng)
    else:
        pool = check_array("initial_states", initial_states, dtype=np.float64)
        if pool.ndim == 0 or pool.shape[-1] != net.n_rec or pool.size == 0:
            check_array("initial_states", initial_states, shape=(None, net.n_rec),
                        names=("n_states", "n_rec"), hint="Trial-major states (..., n_rec) are also accepted.")
        pool = pool.reshape(-1, net.n_rec)
    if pool.shape[0] > n_init:
        pool = pool[rng.choice(pool.shape[0], size=n_init, replace=False)]
    starts = pool + noise_scale * rng.standard_normal(pool.shape)

    sp = _Speed(net, x)
    found_h, found_q = [], []
    with warnings.catch_warnings():
        # trust-exact may warn about a failed model step; convergence is judged below.
        warnings.simplefilter("ignore")
        for h0 in starts:
            res = scipy.optimize.minimize(sp.q, h0, jac=sp.grad, hess=sp.hess, method="trust-exact",
                                          options={"maxiter": max_iter, "gtol": 1e-12})
            h = _newton(sp, np.asarray(res.x, dtype=np.float64))
            q = sp.q(h)
            if np.isfinite(q) and q <= slow_tol:
                found_h.append(h)
                found_q.append(q)
    h_all = np.array(found_h).reshape(-1, net.n_rec)
    q_all = np.array(found_q)
    is_fp = q_all <= tol_q
    parts = []
    for sel, tol in ((is_fp, dedup_tol), (~is_fp, slow_dedup_tol)):
        h_sel, q_sel = h_all[sel], q_all[sel]
        keep = _dedup(h_sel, q_sel, tol)
        h_sel, q_sel = h_sel[keep].reshape(-1, net.n_rec), q_sel[keep]
        order = _order(h_sel, q_sel)
        parts.append((h_sel[order], q_sel[order]))
    slow = _classify(net, sp, *parts[1], x, starts.shape[0])
    fps = _classify(net, sp, *parts[0], x, starts.shape[0], slow=slow)
    logger.info("fixed points: %d from %d starts (%s), %d slow points", fps.n_fp, starts.shape[0],
                ", ".join(f"{fps.labels.count(k)} {k}" for k in ("stable", "saddle", "unstable", "marginal")),
                slow.n_fp)
    return fps
