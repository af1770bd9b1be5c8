"""Line attractors and selection vectors (Mante et al. 2013, Fig. 6).

In a network trained on the context-dependent decision (``context_dm``), the slow points
of the dynamics under each context's cue (no evidence) lie close to a line along the
choice axis. Linearized at each point, one mode is slow: its right eigenvector points
along the line (where the integrated evidence is held), its left eigenvector, the
*selection vector*, says which input directions move the state along the line. The
contextually relevant input has a large projection on the selection vector, the
irrelevant one a small projection, so the same inputs are integrated differently in the
two contexts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._validate import as_generator, check_array, check_int, check_number, fail
from ..simulation import simulate
from ._common import activation, check_const_input, check_net
from .fixed_points import find_fixed_points, speed

__all__ = ["mante_regressors", "SlowModes", "slow_modes", "LineAttractor", "line_attractor"]


def mante_regressors(info, *, choice=None, interactions: bool = False) -> dict:
    """The task variables of ``context_dm`` trials for :func:`purernn.analysis.tdr`.

    Parameters
    ----------
    info : dict
        ``batch.info`` of :class:`purernn.tasks.ContextDM` trials (``context``,
        ``motion_coh``, ``colour_coh``, ``choice``).
    choice : array_like of +1/-1, shape (n_trials,), optional
        The network's choices (default: the correct ones, ``info["choice"]``); Mante et
        al. regressed on the monkey's choice.
    interactions : bool
        Also the products of each coherence with the context, so that the input axes may
        differ between contexts.

    Returns
    -------
    dict of str -> ndarray (n_trials,)
        ``choice`` (+1/-1), ``motion`` and ``colour`` (signed coherence divided by the
        largest one, in [-1, 1]), ``context`` (+1 motion context, -1 colour context), in
        this order (the QR order of Mante et al.), then ``motion x context`` and
        ``colour x context`` with `interactions`.
    """
    for k in ("context", "motion_coh", "colour_coh", "choice"):
        if k not in info:
            fail("info", "the info of context_dm trials (with context, motion_coh, colour_coh, choice)",
                 sorted(info), f"It has no {k!r}.")
    n = np.asarray(info["choice"]).shape[0]
    ch = np.asarray(info["choice"] if choice is None else choice, dtype=np.float64)
    if ch.shape != (n,) or not np.all(np.isin(ch, (-1.0, 1.0))):
        fail("choice", f"+1/-1 per trial, shape ({n},)", ch.shape if ch.shape != (n,) else "other values")
    motion = np.asarray(info["motion_coh"], dtype=np.float64)
    colour = np.asarray(info["colour_coh"], dtype=np.float64)
    context = np.where(np.asarray(info["context"]) == 0, 1.0, -1.0)
    out = {"choice": ch,
           "motion": motion / max(np.abs(motion).max(), 1e-300),
           "colour": colour / max(np.abs(colour).max(), 1e-300),
           "context": context}
    if interactions:
        out["motion x context"] = out["motion"] * context
        out["colour x context"] = out["colour"] * context
    return out


@dataclass(frozen=True)
class SlowModes:
    """The slowest linear mode of the dynamics at a set of points, and its input gains.

    Linearized at a point ``h*`` under constant input ``x*``, equation (1) reads
    ``tau d(dh)/dt = M dh + B dx`` with ``M = -I + D W_rec``, ``B = D W_in`` and
    ``D = diag(sigma'(a*))``. For the slow mode ``M r = lambda r``, ``l^T M = lambda l^T``,
    the coordinate ``c = l . dh / (l . r)`` obeys ``tau dc/dt = lambda c + g . dx`` with
    ``g_j = (l . b_j) / (l . r)``: input j moves the state along ``r`` at rate ``g_j``.

    Attributes
    ----------
    h : ndarray, shape (n_points, n_rec)
    x : ndarray, shape (n_in,)
    eigenvalues : ndarray of complex, shape (n_points, n_rec)
        Eigenvalues of ``M`` (units of 1 / tau), by decreasing real part.
    slow : ndarray of complex, shape (n_points,)
        The slowest one: smallest ``|lambda|``.
    next_slow : ndarray of complex, shape (n_points,)
        The slowest of the others (the gap to the rest of the spectrum).
    right, left : ndarray, shape (n_points, n_rec)
        Unit right and left eigenvectors of the slow mode (real parts, if it is
        complex); the left one signed so that ``l . r > 0``.
    inputs : ndarray, shape (n_points, n_in, n_rec)
        The input directions ``b_j = D W_in[:, j]`` at each point.
    gain : ndarray, shape (n_points, n_in)
        ``g_j = (l . b_j) / (l . r)``.
    """

    h: np.ndarray
    x: np.ndarray
    eigenvalues: np.ndarray
    slow: np.ndarray
    next_slow: np.ndarray
    right: np.ndarray
    left: np.ndarray
    inputs: np.ndarray
    gain: np.ndarray

    @property
    def n_points(self) -> int:
        return int(self.h.shape[0])

    def cos_input(self, j: int, which: str = "left") -> np.ndarray:
        """|cos| of the angle between input j's direction and the left (selection) or
        right eigenvector at each point, shape (n_points,)."""
        v = self.left if which == "left" else self.right
        b = self.inputs[:, j]
        nb = np.linalg.norm(b, axis=1)
        return np.abs(np.sum(v * b, axis=1)) / np.where(nb > 0, nb, 1.0)


def slow_modes(net, h, x=None) -> SlowModes:
    """The slowest mode, its right and left eigenvectors and the input gains at states `h`.

    Parameters
    ----------
    net : Network
    h : array_like, shape (n_points, n_rec) or (n_rec,)
        E.g. fixed and slow points from :func:`find_fixed_points`.
    x : array_like, shape (n_in,), optional
        The constant input (default 0), e.g. a context cue.

    Returns
    -------
    SlowModes

    Notes
    -----
    Mante et al. (2013), Nature 503:78, Fig. 6 and Supplementary Information: the right
    eigenvector of the near-zero eigenvalue is the local direction of the line attractor;
    the left eigenvector (the selection vector) is orthogonal to all other right
    eigenvectors, so only the component of an input along it is integrated.
    """
    net = check_net(net)
    x = check_const_input(net, x)
    H = check_array("h", h, dtype=np.float64)
    if H.ndim == 1:
        H = H[None, :]
    if H.ndim != 2 or H.shape[1] != net.n_rec:
        fail("h", f"states of shape (n_points, n_rec={net.n_rec})", np.shape(h))
    p = net.params
    W = p["W_rec"].astype(np.float64)
    W_in = p["W_in"].astype(np.float64)
    n_pts, n = H.shape
    _, ds = activation(net, H @ W.T + W_in @ x + p["b_rec"])  # (n_points, n_rec)
    eig = np.empty((n_pts, n), dtype=complex)
    slow = np.empty(n_pts, dtype=complex)
    nxt = np.full(n_pts, np.nan, dtype=complex)
    right = np.empty((n_pts, n))
    left = np.empty((n_pts, n))
    inputs = ds[:, :, None] * W_in[None, :, :]  # (n_points, n_rec, n_in)
    inputs = np.transpose(inputs, (0, 2, 1)).copy()  # (n_points, n_in, n_rec)
    for i in range(n_pts):
        M = ds[i][:, None] * W
        M[np.diag_indices(n)] -= 1.0
        w, vl, vr = scipy.linalg.eig(M, left=True, right=True)
        k = int(np.argmin(np.abs(w)))
        slow[i] = w[k]
        if n > 1:
            nxt[i] = np.delete(w, k)[np.argmin(np.abs(np.delete(w, k)))]
        eig[i] = w[np.argsort(-w.real, kind="stable")]
        r = vr[:, k].real
        lv = vl[:, k].real  # scipy: vl[:, k]^H M = w_k vl[:, k]^H
        r /= np.linalg.norm(r)
        lv /= np.linalg.norm(lv)
        if r @ lv < 0:
            lv = -lv
        right[i], left[i] = r, lv
    lr = np.sum(left * right, axis=1)  # (n_points,)
    gain = np.einsum("pn,pjn->pj", left, inputs) / np.where(np.abs(lr) > 1e-12, lr, np.nan)[:, None]
    return SlowModes(h=H, x=x, eigenvalues=eig, slow=slow, next_slow=nxt, right=right, left=left,
                     inputs=inputs, gain=gain)


@dataclass(frozen=True)
class LineAttractor:
    """Fixed and slow points under one constant input, and how line-like they are.

    Attributes
    ----------
    points : ndarray, shape (n_points, n_rec)
        The fixed points, then the slow points.
    is_fixed : ndarray of bool, shape (n_points,)
    q : ndarray, shape (n_points,)
        Speed ``0.5 |F(h) - h|^2`` of the Euler map (per step squared).
    modes : SlowModes
        The slow mode at each point.
    direction : ndarray, shape (n_rec,)
        First principal axis of the points (unit; signed to have a positive projection
        on `axis` when one was given).
    line_fraction : float
        Fraction of the points' variance along `direction` (1 for points on a line).
    extent : float
        Range of the points' coordinates along `direction`.
    max_gap : float
        Largest gap between neighbouring points along `direction`, as a fraction of
        `extent`: near 0 when the points fill the line, near 1 for two clusters at its
        ends (which also give a high `line_fraction`).
    axis_angle : float
        Angle (radians, in [0, pi/2]) between `direction` and the given axis; NaN
        without one.
    right_angle : ndarray, shape (n_points,)
        Angle between each point's right eigenvector and `direction` (in [0, pi/2]).
    x : ndarray, shape (n_in,)
    """

    points: np.ndarray
    is_fixed: np.ndarray
    q: np.ndarray
    modes: SlowModes
    direction: np.ndarray
    line_fraction: float
    extent: float
    max_gap: float
    axis_angle: float
    right_angle: np.ndarray
    x: np.ndarray

    @property
    def n_points(self) -> int:
        return int(self.points.shape[0])

    def to_dict(self) -> dict:
        m = self.modes
        return {"n_fixed": int(self.is_fixed.sum()), "n_slow": int((~self.is_fixed).sum()),
                "line_fraction": self.line_fraction, "extent": self.extent, "max_gap": self.max_gap,
                "axis_angle_deg": float(np.degrees(self.axis_angle)),
                "median_right_angle_deg": float(np.degrees(np.median(self.right_angle))) if self.n_points else None,
                "median_slow_eigenvalue": float(np.median(m.slow.real)) if self.n_points else None,
                "median_next_eigenvalue": float(np.median(m.next_slow.real)) if self.n_points else None,
                "median_gain": np.median(m.gain, axis=0).tolist() if self.n_points else None}


def _angle(u: np.ndarray, v: np.ndarray) -> float:
    c = abs(float(u @ v)) / (np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.arccos(min(c, 1.0)))


def _relaxed_states(net, x: np.ndarray, starts: np.ndarray, n_relax: int, slow_tol: float,
                    dedup_tol: float) -> tuple[np.ndarray, np.ndarray]:
    """States on the slow manifold: `starts` run for `n_relax` steps under `x`, those with
    ``q <= slow_tol`` kept, closer ones than `dedup_tol` (max-norm) merged."""
    quiet = net.replace(sigma_rec=0.0) if net.config.sigma_rec > 0 else net
    traj = simulate(quiet, np.broadcast_to(x, (starts.shape[0], n_relax, net.n_in)), h0=starts)
    h = np.array(traj.h[:, -1], dtype=np.float64)  # (n_starts, n_rec)
    q = speed(net, h, x)
    keep = []
    for i in np.argsort(q, kind="stable"):
        if q[i] <= slow_tol and all(np.max(np.abs(h[i] - h[j])) > dedup_tol for j in keep):
            keep.append(int(i))
    keep = np.array(keep, dtype=int)
    return h[keep].reshape(-1, net.n_rec), q[keep]


def line_attractor(net, x=None, *, axis=None, initial_states=None, n_init: int = 128, rng=None,
                   n_relax: int = 50, slow_tol: float = 1e-4, dedup_tol: float = 1e-2,
                   **fixed_point_options) -> LineAttractor:
    """Find the fixed and slow points under input `x` and measure their line.

    Parameters
    ----------
    net : Network
    x : array_like, shape (n_in,), optional
        The constant input, e.g. ``[0, 0, 1, 0]`` (motion context cue, no evidence) for
        ``context_dm``.
    axis : array_like, shape (n_rec,), optional
        A direction to compare the line with, e.g. the TDR choice axis.
    initial_states : array_like, shape (..., n_rec), optional
        Starting states, e.g. the states of trials in this context.
    n_init : int
        Starting states, for the fixed points and for the slow points.
    rng : numpy.random.Generator, int or None
    n_relax : int
        Steps each starting state runs under `x` before it is taken as a slow point: long
        enough for the fast modes to decay, short enough that the state is still on its
        way along the slow manifold (default 50; ten time constants at alpha = 0.2).
    slow_tol : float
        A relaxed state is a slow point when its speed ``q <= slow_tol``.
    dedup_tol : float
        Slow points closer than this (max-norm) are merged.
    **fixed_point_options
        Passed to :func:`find_fixed_points` (``tol_q``, ``max_iter``, ...).

    Returns
    -------
    LineAttractor

    Notes
    -----
    Mante et al. (2013), Fig. 6: the slow points of the trained network in each context
    are approximately arranged along a line (a line attractor); here their line-ness is
    the fraction of their variance on their first principal axis, and the local
    direction of the attractor is the right eigenvector of each point's slowest mode.

    The fixed points come from :func:`find_fixed_points` (minima of q polished by
    Newton's method, so they are exact). The slow points are taken differently from
    Mante et al.'s (who kept the minimizer's end points where q was small): the
    polishing carries every minimization along the valley of q to a true fixed point,
    so here the starting states are relaxed under `x` instead, and the states where the
    dynamics are slow (``q <= slow_tol``) are kept. They sample the slow manifold
    between the fixed points.
    """
    net = check_net(net)
    x = check_const_input(net, x)
    if axis is not None:
        axis = check_array("axis", axis, shape=(net.n_rec,), names=("n_rec",), dtype=np.float64)
        if not np.any(axis):
            fail("axis", "a nonzero vector", "zeros")
    n_relax = check_int("n_relax", n_relax, lo=1)
    slow_tol = check_number("slow_tol", slow_tol, lo=0.0)
    dedup_tol = check_number("dedup_tol", dedup_tol, lo=0.0)
    rng = as_generator(rng)
    fps = find_fixed_points(net, x, initial_states=initial_states, n_init=n_init, rng=rng,
                            **fixed_point_options)
    if initial_states is None:
        starts, _ = activation(net, 1.5 * rng.standard_normal((n_init, net.n_rec)))
    else:
        starts = check_array("initial_states", initial_states, dtype=np.float64).reshape(-1, net.n_rec)
        if starts.shape[0] > n_init:
            starts = starts[rng.choice(starts.shape[0], size=n_init, replace=False)]
    h_slow, q_slow = _relaxed_states(net, x, starts, n_relax, slow_tol, dedup_tol)
    pts = np.concatenate([fps.h, h_slow], axis=0)
    q = np.concatenate([fps.q, q_slow])
    is_fixed = np.arange(pts.shape[0]) < fps.n_fp
    if pts.shape[0] == 0:
        fail("net", "a network with fixed or slow points under this input", "none found",
             "Give initial_states on its trajectories, or raise slow_tol.")
    modes = slow_modes(net, pts, x)
    if pts.shape[0] >= 2:
        c = pts - pts.mean(axis=0)
        _, s, vt = np.linalg.svd(c, full_matrices=False)
        direction = vt[0]
        frac = float(s[0] ** 2 / np.sum(s**2)) if np.sum(s**2) > 0 else 1.0
    else:
        direction = modes.right[0].copy()
        frac = 1.0
    if axis is not None and direction @ axis < 0:
        direction = -direction
    elif axis is None and np.sum(direction) < 0:
        direction = -direction
    coords = np.sort(pts @ direction)
    extent = float(coords[-1] - coords[0])
    return LineAttractor(
        points=pts, is_fixed=is_fixed, q=q, modes=modes, direction=direction, line_fraction=frac,
        extent=extent, max_gap=float(np.max(np.diff(coords)) / extent) if extent > 0 else 0.0,
        axis_angle=_angle(direction, axis) if axis is not None else float("nan"),
        right_angle=np.array([_angle(r, direction) for r in modes.right]), x=x,
    )
