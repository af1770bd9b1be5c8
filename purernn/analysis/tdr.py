"""Targeted dimensionality reduction (Mante et al. 2013): the axes of the state space
along which task variables (choice, motion, colour, context) are represented.

Each unit's response at each time is regressed on the task variables across trials; the
regression vectors are denoised in the subspace of the leading principal components of
the condition-averaged activity, taken at the time of their largest norm, and
orthogonalized by QR in the order the variables are given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_array, check_int, fail
from .dimensionality import condition_average

__all__ = ["TDR", "tdr"]


@dataclass(frozen=True)
class TDR:
    """Task axes from targeted dimensionality reduction.

    Attributes
    ----------
    names : tuple of str, length n_vars
        The task variables, in the order of the QR orthogonalization.
    axes : ndarray, shape (n_vars, n_rec)
        Orthonormal axes (rows): ``axes[0]`` is the first variable's denoised regression
        vector normalized, ``axes[1]`` the part of the second orthogonal to it, and so on.
    beta_max : ndarray, shape (n_vars, n_rec)
        Denoised regression vectors at their time of largest norm, before QR.
    coefficients : ndarray, shape (n_vars, n_steps, n_rec)
        Raw regression coefficients ``beta_{v,t}`` of every unit and time.
    t_max : ndarray of int, shape (n_vars,)
        The step where ``|D beta_{v,t}|`` is largest.
    pcs : ndarray, shape (n_pcs, n_rec)
        The principal axes the coefficients were denoised in.
    mean, scale : ndarray, shape (n_rec,)
        Each unit's mean and the scale it was divided by (1 unless z-scored); states are
        projected as ``((h - mean) / scale) @ axes.T``.
    r2 : ndarray, shape (n_steps, n_rec)
        Fraction of each unit's across-trial variance at each step that the regression
        explains.
    """

    names: tuple
    axes: np.ndarray
    beta_max: np.ndarray
    coefficients: np.ndarray
    t_max: np.ndarray
    pcs: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    r2: np.ndarray

    def axis(self, name: str) -> np.ndarray:
        """The orthonormal axis of one variable, shape (n_rec,)."""
        if name not in self.names:
            fail("name", "one of " + ", ".join(repr(n) for n in self.names), name)
        return self.axes[self.names.index(name)]

    def project(self, h) -> np.ndarray:
        """Coordinates of states `h` (..., n_rec) on the axes, shape (..., n_vars)."""
        h = np.asarray(h, dtype=np.float64)
        if h.shape[-1] != self.mean.size:
            fail("h", f"an array of shape (..., n_rec={self.mean.size})", h.shape)
        return ((h - self.mean) / self.scale) @ self.axes.T

    def to_dict(self) -> dict:
        return {"names": list(self.names), "t_max": [int(t) for t in self.t_max],
                "n_pcs": int(self.pcs.shape[0]),
                "norm_beta_max": [float(v) for v in np.linalg.norm(self.beta_max, axis=1)],
                "overlap_before_qr": np.round(_cosines(self.beta_max), 4).tolist()}


def _cosines(V: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(V, axis=1)
    n = np.where(n > 0, n, 1.0)
    U = V / n[:, None]
    return U @ U.T


def _design(regressors, n_trials: int) -> tuple[tuple, np.ndarray]:
    if isinstance(regressors, dict):
        names = tuple(str(k) for k in regressors)
        cols = []
        for k, v in regressors.items():
            v = check_array(f"regressors[{k!r}]", v, dtype=np.float64)
            if v.shape != (n_trials,):
                fail(f"regressors[{k!r}]", f"one value per trial, shape (n_trials={n_trials},)", v.shape)
            cols.append(v)
        F = np.stack(cols, axis=1) if cols else np.zeros((n_trials, 0))
    else:
        F = check_array("regressors", regressors, shape=(n_trials, None), names=("n_trials", "n_vars"),
                        dtype=np.float64, hint="Or a dict name -> values, one per trial.")
        names = tuple(f"var{i}" for i in range(F.shape[1]))
    if F.shape[1] == 0:
        fail("regressors", "at least one task variable", "none")
    return names, F


def tdr(states, regressors, *, n_pcs: int = 12, condition=None, window=None,
        zscore: bool = False) -> TDR:
    """Targeted dimensionality reduction of population activity.

    Parameters
    ----------
    states : array_like, shape (n_trials, n_steps, n_rec)
        Single trials (or condition averages), aligned in time.
    regressors : dict of str -> array_like (n_trials,), or array_like (n_trials, n_vars)
        The task variables of each trial, e.g. ``{"choice": ..., "motion": ...,
        "colour": ..., "context": ...}`` (:func:`purernn.analysis.mante_regressors`).
        Their order is the order of the QR orthogonalization. An intercept is added.
    n_pcs : int
        Number of principal components of the condition averages the regression vectors
        are projected on (Mante et al. used 12); at most n_rec.
    condition : array_like, shape (n_trials,), optional
        Condition labels; the principal components are those of the condition-averaged
        states (default: of all states pooled).
    window : (int, int), optional
        Steps [start, stop) searched for each variable's largest vector (default: all).
    zscore : bool
        Divide each unit by its standard deviation over trials and time first (Mante et
        al. z-scored firing rates). The default keeps the network's state space, so the
        axes can be compared with weight vectors and eigenvectors.

    Returns
    -------
    TDR

    Notes
    -----
    V. Mante, D. Sussillo, K. V. Shenoy & W. T. Newsome (2013), Nature 503:78, Methods.
    For each unit i and step t, across trials k::

        r_{i,t}(k) = sum_v beta_{v,t}(i) F_v(k) + beta_{0,t}(i) + noise

    is fitted by least squares. With ``P`` (n_pcs, n_rec) the leading principal axes of
    the condition-averaged states and ``D = P^T P``, the denoised vectors are
    ``D beta_{v,t}``; ``beta_v^max = D beta_{v,t_max}`` at ``t_max = argmax_t
    |D beta_{v,t}|``. The axes are the columns of ``Q`` in the QR decomposition
    ``[beta_1^max ... beta_V^max] = Q R`` (signs fixed so ``diag(R) > 0``): each axis is
    the part of its variable's vector orthogonal to the variables before it.
    """
    h = check_array("states", states, shape=(None, None, None), names=("n_trials", "n_steps", "n_rec"),
                    dtype=np.float64)
    n_trials, n_steps, n_rec = h.shape
    names, F = _design(regressors, n_trials)
    n_vars = F.shape[1]
    if n_vars > n_rec:
        fail("regressors", f"at most n_rec={n_rec} task variables", n_vars)
    n_pcs = check_int("n_pcs", n_pcs, lo=n_vars, hi=n_rec)
    if window is None:
        t0, t1 = 0, n_steps
    else:
        try:
            t0, t1 = (int(v) for v in window)
        except (TypeError, ValueError):
            fail("window", "a pair (start, stop) of steps", window)
        if not 0 <= t0 < t1 <= n_steps:
            fail("window", f"0 <= start < stop <= n_steps={n_steps}", window)

    mean = h.reshape(-1, n_rec).mean(axis=0)
    scale = np.ones(n_rec)
    if zscore:
        sd = h.reshape(-1, n_rec).std(axis=0)
        scale = np.where(sd > 0, sd, 1.0)
    X = (h - mean) / scale  # (n_trials, n_steps, n_rec)

    G = np.column_stack([F, np.ones(n_trials)])  # (n_trials, n_vars + 1)
    if np.linalg.matrix_rank(G) < n_vars + 1:
        fail("regressors", "linearly independent task variables (and not constant)",
             f"a design of rank {np.linalg.matrix_rank(G)} for {n_vars} variables plus an intercept",
             "Two variables may be equal on every trial (e.g. choice and the relevant coherence's sign).")
    Y = X.reshape(n_trials, -1)  # (n_trials, n_steps * n_rec)
    coef, *_ = np.linalg.lstsq(G, Y, rcond=None)  # (n_vars + 1, n_steps * n_rec)
    resid = Y - G @ coef
    ss_tot = np.sum((Y - Y.mean(axis=0)) ** 2, axis=0)
    r2 = np.where(ss_tot > 0, 1.0 - np.sum(resid**2, axis=0) / np.where(ss_tot > 0, ss_tot, 1.0), 0.0)
    beta = coef[:n_vars].reshape(n_vars, n_steps, n_rec)

    if condition is not None:
        _, avg, _ = condition_average(X, condition)
    else:
        avg = X
    A = avg.reshape(-1, n_rec)
    if A.shape[0] - 1 < n_pcs:
        fail("n_pcs", f"at most {A.shape[0] - 1} (the samples of the condition averages - 1)", n_pcs)
    Ac = A - A.mean(axis=0)
    _, vecs = np.linalg.eigh(Ac.T @ Ac)  # (n_rec, n_rec): cheaper than an SVD of the tall A
    P = vecs[:, ::-1][:, :n_pcs].T.copy()  # (n_pcs, n_rec), by decreasing variance
    den = (beta @ P.T) @ P  # (n_vars, n_steps, n_rec)
    norms = np.linalg.norm(den[:, t0:t1], axis=2)  # (n_vars, n_window)
    t_max = t0 + np.argmax(norms, axis=1)
    beta_max = den[np.arange(n_vars), t_max]  # (n_vars, n_rec)
    if np.linalg.matrix_rank(beta_max) < n_vars:
        fail("regressors", "variables whose denoised regression vectors are linearly independent",
             "dependent vectors", "A variable the activity does not represent has a zero vector; drop it.")
    Q, R = np.linalg.qr(beta_max.T)  # (n_rec, n_vars)
    Q = Q * np.sign(np.diag(R))[None, :]
    return TDR(names=names, axes=Q.T.copy(), beta_max=beta_max, coefficients=beta, t_max=t_max,
               pcs=P, mean=mean, scale=scale, r2=r2.reshape(n_steps, n_rec))
