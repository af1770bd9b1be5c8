"""Fixed points and slow points of the network dynamics (Sussillo & Barak 2013).

Candidates are minima of the speed ``q(h) = 0.5 |F(h) - h|^2`` of the Euler map ``F``,
reached from many starting states at once (batched Adam on q), polished with batched
Newton steps on ``F(h) - h = 0`` with the closed-form Jacobian, deduplicated, and
classified by the eigenvalues of their Jacobian.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.linalg

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
    """Indices of representatives: lowest q first, drop points within `tol` (max-norm) of
    a kept one."""
    keep: list = []
    for i in np.argsort(q, kind="stable"):
        if not keep or np.min(np.max(np.abs(h[keep] - h[i]), axis=1)) > tol:
            keep.append(int(i))
    return np.array(keep, dtype=int)


def _jacobians(sp: _Speed, h: np.ndarray) -> np.ndarray:
    """Map Jacobians ``(1 - alpha) I + alpha diag(sigma'(a)) W_rec`` at each row of `h`,
    shape (n_points, n_rec, n_rec)."""
    _, ds = activation(sp.net, h @ sp.W.T + sp.c)
    J = sp.alpha * ds[:, :, None] * sp.W[None, :, :]
    idx = np.arange(sp.n)
    J[:, idx, idx] += 1.0 - sp.alpha
    return J


def _classify(net: Network, sp: _Speed, h: np.ndarray, q: np.ndarray, x: np.ndarray,
              n_init: int, slow=None, bar=None) -> FixedPoints:
    n_fp, n = h.shape
    alpha = net.alpha
    eig = np.empty((n_fp, n), dtype=complex)
    chunk = max(1, min(_chunk(n), -(-n_fp // max(1, os.cpu_count() or 1))))

    def eigs(i):
        mu = np.linalg.eigvals(_jacobians(sp, h[i:i + chunk]))  # (chunk, n_rec), LAPACK geev on each
        eig[i:i + chunk] = [sort_eigenvalues(m) for m in mu]
        if bar is not None:
            bar.update(mu.shape[0])

    with _one_blas_thread():
        _map(eigs, list(range(0, n_fp, chunk)))
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


@contextlib.contextmanager
def _one_blas_thread():
    """BLAS limited to one thread (with threadpoolctl, when installed): the batched
    solves and eigendecompositions run one thread per group of points instead, which
    scales on 2 cores and does not collapse when other processes load them (two
    OpenBLAS threads per 400 x 400 problem on a loaded machine ran 10-20 times slower)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _map(fn, items: list) -> list:
    """``[fn(item) for item in items]`` on a thread per core (NumPy's LAPACK and BLAS
    calls release the GIL)."""
    n = max(1, min(os.cpu_count() or 1, len(items)))
    if n == 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(n) as ex:
        return list(ex.map(fn, items))


def _groups(n_points: int) -> list:
    """Row indices split into one group per core."""
    return [g for g in np.array_split(np.arange(n_points), max(1, min(os.cpu_count() or 1, n_points))) if g.size]


def _chunk(n: int, budget: float = 6.4e7) -> int:
    """Points per batch of (n_rec, n_rec) matrices: about `budget` bytes of float64."""
    return int(max(1, min(256, budget // (8.0 * n * n))))


def _residuals(sp: _Speed, H: np.ndarray):
    """r = F(h) - h and sigma'(a) for each row of H (n_points, n_rec)."""
    s, ds = activation(sp.net, H @ sp.W.T + sp.c)
    return sp.alpha * (s - H), ds


def _descend(sp: _Speed, H: np.ndarray, n_iter: int, lr: float, tol_q: float, bar=None) -> np.ndarray:
    """Batched Adam on q(h) for every row of H (Golub & Sussillo's FixedPointFinder does
    the same), each row stopping once its q is below `tol_q`.

    ``grad q = J_r^T r = alpha (W_rec^T (sigma'(a) * r) - r)``; in rows,
    ``alpha ((ds * r) @ W_rec - r)``.
    """
    H = H.copy()
    m = np.zeros_like(H)
    v = np.zeros_like(H)
    b1, b2, eps = 0.9, 0.999, 1e-12
    active = np.ones(H.shape[0], dtype=bool)
    for t in range(1, n_iter + 1):
        if not active.any():
            break
        Ha = H[active]
        r, ds = _residuals(sp, Ha)
        q = 0.5 * np.sum(r * r, axis=1)
        done = q <= tol_q
        g = sp.alpha * ((ds * r) @ sp.W - r)  # (n_active, n_rec)
        ma = b1 * m[active] + (1 - b1) * g
        va = b2 * v[active] + (1 - b2) * g * g
        step = lr * (ma / (1 - b1**t)) / (np.sqrt(va / (1 - b2**t)) + eps)
        step[done] = 0.0
        H[active] = Ha - step
        m[active], v[active] = ma, va
        idx = np.flatnonzero(active)
        active[idx[done]] = False
        if bar is not None:
            bar.update(1)
    return H


def _newton_batch(sp: _Speed, H: np.ndarray, max_iter: int, tol_q: float, bar=None) -> np.ndarray:
    """Newton's method on r(h) = F(h) - h = 0 for every row of H, in batches of linear
    solves: ``h <- h - t J_r^{-1} r``, with t halved (up to 20 times) until |r| decreases;
    a row stops when q <= tol_q or no step lowers |r| (a slow point or a far start)."""
    H = H.copy()
    n = sp.n
    eye = np.eye(n)
    r, _ = _residuals(sp, H)
    q = 0.5 * np.sum(r * r, axis=1)
    active = q > tol_q
    chunk = _chunk(n)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        for k in range(0, idx.size, chunk):
            rows = idx[k:k + chunk]
            Hc, rc = H[rows], r[rows]
            _, ds = activation(sp.net, Hc @ sp.W.T + sp.c)
            Jr = sp.alpha * (ds[:, :, None] * sp.W[None] - eye)  # (chunk, n_rec, n_rec)
            try:
                step = -np.linalg.solve(Jr, rc[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:  # a singular J_r: least squares, row by row
                step = np.stack([-np.linalg.lstsq(J, v, rcond=None)[0] for J, v in zip(Jr, rc)])
            qc = q[rows]
            accepted = np.zeros(rows.size, dtype=bool)
            t = np.ones(rows.size)
            for _ in range(21):
                trial = Hc + t[:, None] * step
                r_new, _ = _residuals(sp, trial)
                q_new = 0.5 * np.sum(r_new * r_new, axis=1)
                better = ~accepted & np.isfinite(q_new) & (q_new < qc)
                H[rows[better]] = trial[better]
                r[rows[better]] = r_new[better]
                q[rows[better]] = q_new[better]
                accepted |= better
                if accepted.all():
                    break
                t[~accepted] *= 0.5
            active[rows[~accepted]] = False  # stalled
        active &= q > tol_q
        if bar is not None:
            bar.update(1)
    return H


def _polish_minimum(sp: _Speed, h: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """Newton's method on grad q = 0 with the exact Hessian (for a few slow points):
    ``h <- h - t H_q^{-1} grad q``, t halved until q decreases."""
    val = sp.q(h)
    for _ in range(max_iter):
        g = sp.grad(h)
        if not np.any(g):
            break
        try:
            step = -scipy.linalg.solve(sp.hess(h), g, assume_a="sym", check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            step = -g
        if step @ g >= 0:  # not a descent direction (indefinite Hessian): gradient step
            step = -g
        t, improved = 1.0, False
        for _ in range(30):
            h_new = h + t * step
            v_new = sp.q(h_new)
            if v_new < val:
                h, val, improved = h_new, v_new, True
                break
            t *= 0.5
        if not improved:
            break
    return h


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
    max_iter: int = 50,
    n_descent: int = 500,
    lr: float = 1e-2,
    max_slow: int = 32,
    progress: bool = False,
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
        Number of starting states.
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
        Newton iterations per starting state (each a batch of linear solves).
    n_descent : int
        Adam iterations on q before Newton (0: Newton from the starting states).
    lr : float
        Adam's step size (in units of h).
    max_slow : int
        At most this many slow points (lowest q first) are polished and classified.
    progress : bool
        Show a tqdm bar per stage (descent, Newton, eigenvalues).

    Returns
    -------
    FixedPoints
        True fixed points in ``h, q, eigenvalues, ...`` and slow points in ``.slow``.

    Notes
    -----
    Sussillo & Barak (2013), "Opening the black box: low-dimensional dynamics in
    high-dimensional recurrent neural networks", Neural Comput. 25:626. With the Euler map
    ``F(h) = (1 - alpha) h + alpha sigma(W_rec h + W_in x + b_rec)`` the speed is::

        q(h) = 0.5 |F(h) - h|^2 = 0.5 alpha^2 |sigma(a) - h|^2

    Every start takes `n_descent` steps of Adam on q, all starts at once (one matrix
    product per step for the batch), with the closed-form gradient ``J_r^T r``, where
    ``r = F(h) - h`` and ``J_r = alpha (diag(sigma'(a)) W_rec - I)``. Then Newton's
    method on ``r(h) = 0``, ``h <- h - J_r^{-1} r`` with the closed-form ``J_r`` and a
    backtracking step, in batches of linear solves: it converges quadratically at a
    regular root (to machine precision) and stalls at a slow point, where ``min q > 0``.
    Slow points are polished by Newton on ``grad q = 0`` with the exact Hessian
    ``J_r^T J_r + alpha W_rec^T diag(r sigma''(a)) W_rec``. Points are deduplicated
    (max-norm) and labelled by the eigenvalues ``mu`` of the map Jacobian ``I + J_r``;
    the continuous-time eigenvalues are ``(mu - 1) / alpha``. The starts are split into
    one group per core, each searched on its own thread with BLAS on one thread. On the
    400-unit 3-bit flip-flop of C. Jarne's tutorial, 128 starts (what ``analyze_network``
    uses from 200 units on) took 20 s on 2 cores shared with other jobs (load 4.5), most
    of it in the Newton solves and the eigenvalues.
    """
    from tqdm.auto import tqdm

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
    n_descent = check_int("n_descent", n_descent, lo=0)
    lr = check_number("lr", lr, lo=0.0, lo_open=True)
    max_slow = check_int("max_slow", max_slow, lo=0)

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
    bar = functools.partial(tqdm, disable=not progress, leave=False, dynamic_ncols=True)
    groups = _groups(starts.shape[0])
    with bar(total=n_descent * len(groups), desc="fixed points: descent", unit="step") as b1, \
            bar(total=max_iter * len(groups), desc="fixed points: Newton", unit="iter") as b2:

        def search(rows):  # one group of starts per core; the rows are independent
            with np.errstate(over="ignore", invalid="ignore"):
                return _newton_batch(sp, _descend(sp, starts[rows], n_descent, lr, tol_q, bar=b1), max_iter,
                                     tol_q, bar=b2)

        with _one_blas_thread():
            H = np.concatenate(_map(search, groups), axis=0)
    r, _ = _residuals(sp, H)
    q_all = 0.5 * np.sum(r * r, axis=1)
    ok = np.isfinite(q_all) & (q_all <= slow_tol) & np.all(np.isfinite(H), axis=1)
    h_all, q_all = H[ok], q_all[ok]
    is_fp = q_all <= tol_q

    h_fp, q_fp = h_all[is_fp], q_all[is_fp]
    keep = _dedup(h_fp, q_fp, dedup_tol)
    h_fp, q_fp = h_fp[keep].reshape(-1, net.n_rec), q_fp[keep]
    h_sl, q_sl = h_all[~is_fp], q_all[~is_fp]
    keep = _dedup(h_sl, q_sl, slow_dedup_tol)[:max_slow]
    h_sl = np.array([_polish_minimum(sp, h) for h in h_sl[keep]]).reshape(-1, net.n_rec)
    q_sl = np.array([sp.q(h) for h in h_sl])
    if h_sl.shape[0]:  # polishing may reach a root, or two slow points may merge
        sel = q_sl > tol_q
        keep = _dedup(h_sl[sel], q_sl[sel], slow_dedup_tol)
        h_sl, q_sl = h_sl[sel][keep], q_sl[sel][keep]
    o = _order(h_fp, q_fp)
    h_fp, q_fp = h_fp[o], q_fp[o]
    o = _order(h_sl, q_sl)
    h_sl, q_sl = h_sl[o], q_sl[o]
    with bar(total=h_fp.shape[0] + h_sl.shape[0], desc="fixed points: eigenvalues", unit="point") as b:
        slow = _classify(net, sp, h_sl, q_sl, x, starts.shape[0], bar=b)
        fps = _classify(net, sp, h_fp, q_fp, x, starts.shape[0], slow=slow, bar=b)
    logger.info("fixed points: %d from %d starts (%s), %d slow points", fps.n_fp, starts.shape[0],
                ", ".join(f"{fps.labels.count(k)} {k}" for k in ("stable", "saddle", "unstable", "marginal")),
                slow.n_fp)
    return fps
