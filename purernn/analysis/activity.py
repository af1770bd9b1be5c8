"""Activity: PCA of network states, participation ratio, trajectories by condition."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_array, check_int, fail
from ..simulation import simulate
from ._common import check_net

__all__ = ["PCA", "pca", "Activity", "activity"]


@dataclass(frozen=True)
class PCA:
    """Principal components of a set of states.

    Attributes
    ----------
    mean : ndarray, shape (n_rec,)
        Mean state, removed before projecting.
    components : ndarray, shape (n_rec, n_rec)
        Principal axes as rows, by decreasing variance (sign fixed so that the largest
        entry of each axis is positive).
    variance : ndarray, shape (n_rec,)
        Variance along each axis (eigenvalues of the covariance, ddof=0).
    variance_explained : ndarray, shape (n_rec,)
        ``variance / variance.sum()``.
    participation_ratio : float
        ``(sum_i l_i)^2 / sum_i l_i^2`` of the covariance eigenvalues ``l_i``: the number
        of dimensions the activity effectively spans (between 1 and n_rec; 0 if the
        states do not vary).
    n_samples : int
    """

    mean: np.ndarray
    components: np.ndarray
    variance: np.ndarray
    variance_explained: np.ndarray
    participation_ratio: float
    n_samples: int

    def project(self, h, n_components: int | None = None) -> np.ndarray:
        """Coordinates of states `h` (..., n_rec) on the first `n_components` axes."""
        h = np.asarray(h, dtype=np.float64)
        if h.shape[-1] != self.mean.size:
            fail("h", f"an array of shape (..., n_rec={self.mean.size})", h.shape)
        k = self.components.shape[0] if n_components is None else n_components
        return (h - self.mean) @ self.components[:k].T

    def n_for(self, fraction: float = 0.9) -> int:
        """Smallest number of components explaining at least `fraction` of the variance."""
        c = np.cumsum(self.variance_explained)
        return int(min(np.searchsorted(c, fraction - 1e-12) + 1, c.size))

    def to_dict(self) -> dict:
        return {
            "participation_ratio": self.participation_ratio,
            "variance_explained": [float(v) for v in self.variance_explained[:10]],
            "n_components_90": self.n_for(0.9),
            "n_samples": self.n_samples,
        }


def pca(states) -> PCA:
    """PCA of states, all samples pooled.

    Parameters
    ----------
    states : array_like, shape (..., n_rec)
        E.g. ``traj.h`` of shape (n_trials, n_steps, n_rec); at least 2 samples.

    Returns
    -------
    PCA

    Notes
    -----
    The covariance ``C = X^T X / n_samples`` of the centered states is diagonalized
    with ``numpy.linalg.eigh``. The participation ratio
    ``PR = (tr C)^2 / tr(C^2) = (sum l_i)^2 / sum l_i^2`` is the dimensionality measure of
    Gao et al. (2017, bioRxiv 214262) and Recanatesi et al. (2019): it is k when the
    variance is spread equally over k dimensions.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(pca(rng.standard_normal((20000, 4)) * [1, 1, 0, 0]).participation_ratio, 2)
    2.0
    """
    X = check_array("states", states, dtype=np.float64)
    if X.ndim < 2:
        fail("states", "an array of shape (..., n_rec) with at least 2 samples", X.shape)
    X = X.reshape(-1, X.shape[-1])
    if X.shape[0] < 2:
        fail("states", "an array of shape (..., n_rec) with at least 2 samples", X.shape)
    mean = X.mean(axis=0)
    Xc = X - mean
    C = Xc.T @ Xc / X.shape[0]  # (n_rec, n_rec)
    var, vecs = np.linalg.eigh(C)
    var, vecs = np.clip(var[::-1], 0.0, None), vecs[:, ::-1]
    comp = vecs.T.copy()
    sign = np.sign(comp[np.arange(comp.shape[0]), np.argmax(np.abs(comp), axis=1)])
    comp *= np.where(sign == 0, 1.0, sign)[:, None]
    total = var.sum()
    explained = var / total if total > 0 else np.zeros_like(var)
    pr_ = float(total**2 / np.sum(var**2)) if total > 0 else 0.0
    return PCA(mean=mean, components=comp, variance=var, variance_explained=explained,
               participation_ratio=pr_, n_samples=int(X.shape[0]))


@dataclass(frozen=True)
class Activity:
    """Network activity on a set of trials and its PCA.

    Attributes
    ----------
    h : ndarray, shape (n_trials, n_steps, n_rec)
        States.
    z : ndarray, shape (n_trials, n_steps, n_out)
        Outputs.
    condition : ndarray of int, shape (n_trials,)
        Condition label of each trial (all 0 when none was given).
    pca : PCA
        PCA of all states pooled.
    pcs : ndarray, shape (n_trials, n_steps, n_components)
        The states on the first principal axes.
    """

    h: np.ndarray
    z: np.ndarray
    condition: np.ndarray
    pca: PCA
    pcs: np.ndarray


def activity(net, batch, *, n_components: int = 3, rng=None) -> Activity:
    """Simulate the network on a batch of trials and take the PCA of its states.

    Parameters
    ----------
    net : Network
    batch : purernn.tasks.Batch or array_like
        Trials (``batch.x``, ``batch.info["condition"]``) or bare inputs
        (n_trials, n_steps, n_in).
    n_components : int
        Number of principal components kept in ``pcs``.
    rng : numpy.random.Generator, int or None
        Recurrent noise, if the network has any.

    Returns
    -------
    Activity
    """
    net = check_net(net)
    n_components = check_int("n_components", n_components, lo=1)
    x = getattr(batch, "x", batch)
    traj = simulate(net, x, rng=rng)
    n_trials = traj.h.shape[0]
    info = getattr(batch, "info", {}) or {}
    cond = np.asarray(info.get("condition", np.zeros(n_trials, dtype=int)))
    if cond.shape != (n_trials,):
        cond = np.zeros(n_trials, dtype=int)
    h = np.array(traj.h, dtype=np.float64)  # a copy: simulate may return its work buffer
    p = pca(h)
    k = min(n_components, net.n_rec)
    return Activity(h=h, z=np.array(traj.z, dtype=np.float64), condition=cond, pca=p,
                    pcs=p.project(h, k))
