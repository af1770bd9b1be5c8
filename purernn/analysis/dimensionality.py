"""Dimensionality and manifolds of population activity: condition averages, the
participation ratio, cross-validated variance per principal component, and principal
angles between the manifolds of two conditions, epochs or networks (Gallego et al. 2017).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._validate import as_generator, check_array, check_int, fail

__all__ = [
    "condition_average",
    "split_halves",
    "participation_ratio",
    "CVVariance",
    "cv_variance",
    "principal_angles",
    "manifold_angles",
]


def _samples(arg: str, states, n=None) -> np.ndarray:
    """States (..., n) as float64 samples (n_samples, n), at least 2 of them."""
    X = check_array(arg, states, dtype=np.float64)
    if X.ndim < 2 or X.shape[-1] == 0 or (n is not None and X.shape[-1] != n):
        want = "an array of shape (..., n)" if n is None else f"an array of shape (..., n={n})"
        fail(arg, want + " with at least 2 samples", X.shape)
    X = X.reshape(-1, X.shape[-1])
    if X.shape[0] < 2:
        fail(arg, "an array of shape (..., n) with at least 2 samples", X.shape)
    return X


def _labels(arg: str, condition, n_trials: int) -> np.ndarray:
    c = np.asarray(condition)
    if c.shape != (n_trials,):
        fail(arg, f"one label per trial, shape (n_trials={n_trials},)", c.shape)
    return c


def condition_average(states, condition) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average trials of the same condition.

    Parameters
    ----------
    states : array_like, shape (n_trials, n_steps, n_rec)
    condition : array_like, shape (n_trials,)
        A label per trial (e.g. ``batch.info["condition"]``).

    Returns
    -------
    labels : ndarray, shape (n_cond,)
        The distinct labels, sorted.
    means : ndarray, shape (n_cond, n_steps, n_rec)
        Mean state of the trials of each label.
    counts : ndarray of int, shape (n_cond,)
    """
    h = check_array("states", states, shape=(None, None, None), names=("n_trials", "n_steps", "n_rec"),
                    dtype=np.float64)
    c = _labels("condition", condition, h.shape[0])
    labels, inverse, counts = np.unique(c, return_inverse=True, return_counts=True)
    means = np.zeros((labels.size,) + h.shape[1:])
    np.add.at(means, inverse, h)
    means /= counts[:, None, None]
    return labels, means, counts


def split_halves(states, condition, *, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Condition averages from two disjoint random halves of the trials of each condition.

    Two independent estimates of the same condition-averaged activity, for
    :func:`cv_variance`. Conditions with a single trial are left out.

    Returns
    -------
    a, b : ndarray, shape (n_cond, n_steps, n_rec)
    """
    h = check_array("states", states, shape=(None, None, None), names=("n_trials", "n_steps", "n_rec"),
                    dtype=np.float64)
    c = _labels("condition", condition, h.shape[0])
    rng = as_generator(rng)
    a, b = [], []
    for lab in np.unique(c):
        idx = rng.permutation(np.flatnonzero(c == lab))
        if idx.size < 2:
            continue
        half = idx.size // 2
        a.append(h[idx[:half]].mean(axis=0))
        b.append(h[idx[half:2 * half]].mean(axis=0))
    if not a:
        fail("condition", "labels with at least 2 trials each", "no condition with 2 trials")
    return np.array(a), np.array(b)


def participation_ratio(states) -> float:
    """Participation ratio ``(sum_i l_i)^2 / sum_i l_i^2`` of the covariance eigenvalues.

    Parameters
    ----------
    states : array_like, shape (..., n)
        Samples pooled over the leading axes.

    Returns
    -------
    float
        Between 1 and n; k when the variance is spread equally over k dimensions; 0 if
        the states do not vary.

    Notes
    -----
    Gao et al. (2017), bioRxiv 214262; Recanatesi et al. (2019). Computed from the
    covariance ``C = X^T X / n_samples`` of the centered samples as
    ``tr(C)^2 / tr(C^2)``, which needs no eigendecomposition.
    """
    X = _samples("states", states)
    Xc = X - X.mean(axis=0)
    C = Xc.T @ Xc / X.shape[0]  # (n, n)
    tr = float(np.trace(C))
    tr2 = float(np.sum(C * C))
    return tr * tr / tr2 if tr2 > 0 else 0.0


@dataclass(frozen=True)
class CVVariance:
    """Variance per principal component, plain and cross-validated.

    Attributes
    ----------
    variance : ndarray, shape (n,)
        Variance along each principal axis of the first estimate, pooled (plain PCA: its
        noise counts as variance).
    signal_variance : ndarray, shape (n,)
        Cross-validated variance shared by the two estimates along the k-th axis of the
        held-out fold, averaged over folds: an unbiased estimate of the signal variance
        along it (it can be slightly negative for axes of pure noise).
    signal_fraction : ndarray, shape (n,)
        ``signal_variance / total signal variance``.
    heldout_fraction : ndarray, shape (n,)
        Fraction of the held-out second estimate's variance along each axis.
    n_folds : int
    """

    variance: np.ndarray
    signal_variance: np.ndarray
    signal_fraction: np.ndarray
    heldout_fraction: np.ndarray
    n_folds: int

    def n_for(self, fraction: float = 0.9) -> int:
        """Fewest components whose cross-validated signal fraction reaches `fraction`."""
        c = np.cumsum(self.signal_fraction)
        return int(min(np.searchsorted(c, fraction - 1e-12) + 1, c.size))

    def to_dict(self) -> dict:
        return {"signal_fraction": [float(v) for v in self.signal_fraction[:10]],
                "heldout_fraction": [float(v) for v in self.heldout_fraction[:10]],
                "n_components_90": self.n_for(0.9), "n_folds": self.n_folds}


def cv_variance(a, b, *, n_folds: int = 5, rng=None) -> CVVariance:
    """Cross-validated variance explained per principal component.

    Parameters
    ----------
    a, b : array_like, shape (..., n)
        Two independent estimates of the same samples, e.g. the condition averages of two
        halves of the trials (:func:`split_halves`), same shape.
    n_folds : int
        The samples are split into folds; each fold is held out once.
    rng : numpy.random.Generator, int or None
        Draws the folds.

    Returns
    -------
    CVVariance

    Notes
    -----
    Cross-validated PCA after Stringer et al. (2019), Nature 571:361. For each fold the
    principal axes ``u_k`` are those of `a` on the other folds; the held-out samples of
    both estimates are projected on them and the signal variance along ``u_k`` is
    ``mean_i (u_k . (a_i - m)) (u_k . (b_i - m))``. Noise independent between `a` and
    `b` (and of the axes, fitted on other samples) averages out of this product, so
    dimensions of pure noise get about 0, where plain PCA gives them the noise variance.
    """
    A = _samples("a", a)
    B = check_array("b", b, dtype=np.float64)
    if B.shape != np.shape(a):
        fail("b", f"an array of the same shape as `a` {np.shape(a)}", B.shape)
    B = B.reshape(A.shape)
    n_samples, n = A.shape
    n_folds = check_int("n_folds", n_folds, lo=2, hi=n_samples)
    rng = as_generator(rng)
    fold = rng.permutation(n_samples) % n_folds
    signal = np.zeros(n)
    held = np.zeros(n)
    for k in range(n_folds):
        test, train = fold == k, fold != k
        m = A[train].mean(axis=0)
        Xt = A[train] - m
        _, U = np.linalg.eigh(Xt.T @ Xt)
        U = U[:, ::-1]  # (n, n) axes of the training part of `a`, by decreasing variance
        pa = (A[test] - m) @ U  # (n_test, n)
        pb = (B[test] - m) @ U
        signal += np.sum(pa * pb, axis=0)
        held += np.sum((pb - pb.mean(axis=0)) ** 2, axis=0)
    signal /= n_samples
    held /= n_samples
    Ac = A - A.mean(axis=0)
    var = np.clip(np.linalg.eigvalsh(Ac.T @ Ac / n_samples)[::-1], 0.0, None)
    tot = float(signal.sum())
    return CVVariance(variance=var, signal_variance=signal,
                      signal_fraction=signal / tot if tot > 0 else np.zeros(n),
                      heldout_fraction=held / held.sum() if held.sum() > 0 else np.zeros(n),
                      n_folds=n_folds)


def _basis(arg: str, U) -> np.ndarray:
    U = check_array(arg, U, dtype=np.float64)
    if U.ndim == 1:
        U = U[:, None]
    if U.ndim != 2 or U.shape[1] == 0 or U.shape[1] > U.shape[0]:
        fail(arg, "a basis of shape (n, k) with 1 <= k <= n (vectors in columns)", U.shape)
    if np.linalg.matrix_rank(U) < U.shape[1]:
        fail(arg, "linearly independent columns", f"rank {np.linalg.matrix_rank(U)} < {U.shape[1]}")
    return U


def principal_angles(U, V) -> np.ndarray:
    """Principal angles between the subspaces spanned by the columns of `U` and `V`.

    Parameters
    ----------
    U : array_like, shape (n, k1)
    V : array_like, shape (n, k2)
        Bases in columns (need not be orthonormal); a 1-d array is one vector.

    Returns
    -------
    ndarray, shape (min(k1, k2),)
        Angles in radians, increasing, in [0, pi/2]: 0 for a shared direction, pi/2 for
        orthogonal ones.

    Notes
    -----
    Bjorck & Golub (1973): with orthonormal bases ``Q_U, Q_V`` the cosines are the
    singular values of ``Q_U^T Q_V``; :func:`scipy.linalg.subspace_angles` computes them
    with the sine formula for small angles, which keeps them accurate near 0.
    """
    U, V = _basis("U", U), _basis("V", V)
    if U.shape[0] != V.shape[0]:
        fail("V", f"vectors of the same length as U's (n={U.shape[0]})", V.shape)
    return np.sort(scipy.linalg.subspace_angles(U, V))


def manifold_angles(states_a, states_b, n_components: int = 3) -> np.ndarray:
    """Principal angles between the top-`n_components` PCA subspaces of two sets of states.

    Parameters
    ----------
    states_a, states_b : array_like, shape (..., n_rec)
        E.g. the activity of two conditions, two epochs, or two networks with the same
        units.
    n_components : int

    Returns
    -------
    ndarray, shape (n_components,)
        Radians, increasing.

    Notes
    -----
    J. A. Gallego et al. (2017), "Neural manifolds for the control of movement", Neuron
    94:978: the neural manifold of a condition is the span of the leading principal
    components of its activity, and two manifolds are compared by their principal angles.
    """
    A = _samples("states_a", states_a)
    B = _samples("states_b", states_b, n=A.shape[1])
    k = check_int("n_components", n_components, lo=1, hi=A.shape[1])
    bases = []
    for X in (A, B):
        _, _, vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
        if vt.shape[0] < k:
            fail("n_components", f"at most the number of samples - 1 ({vt.shape[0]})", k)
        bases.append(vt[:k].T)
    return principal_angles(*bases)
