"""Pictures and groups of a distance matrix: classical multidimensional scaling,
average-linkage clustering with the number of clusters chosen by the silhouette, and the
adjusted Rand index to compare a clustering with other labels (e.g. eigenvalue classes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_array, check_int, fail

__all__ = ["MDS", "mds", "Clustering", "cluster", "silhouette", "adjusted_rand_index"]


def _distances(arg: str, D) -> np.ndarray:
    D = check_array(arg, D, dtype=np.float64)
    if D.ndim != 2 or D.shape[0] != D.shape[1] or D.shape[0] < 2:
        fail(arg, "a square distance matrix (n, n) with n >= 2", D.shape)
    if np.any(D < -1e-12) or np.max(np.abs(D - D.T)) > 1e-9 * max(1.0, float(np.abs(D).max())):
        fail(arg, "a symmetric matrix of non-negative distances", "an asymmetric or negative matrix")
    if np.max(np.abs(np.diag(D))) > 1e-9 * max(1.0, float(np.abs(D).max())):
        fail(arg, "a distance matrix with zeros on the diagonal", f"max |diag| {np.abs(np.diag(D)).max():.3g}")
    return 0.5 * (D + D.T)


@dataclass(frozen=True)
class MDS:
    """Classical (Torgerson) multidimensional scaling of a distance matrix.

    Attributes
    ----------
    coords : ndarray, shape (n, n_components)
        Points whose Euclidean distances approximate the given ones.
    eigenvalues : ndarray, shape (n,)
        Of the double-centered matrix ``B = -J D^2 J / 2``, decreasing (negative ones
        say the distances are not Euclidean).
    stress : float
        ``|D - D_hat|_F / |D|_F`` of the embedding.
    """

    coords: np.ndarray
    eigenvalues: np.ndarray
    stress: float


def mds(D, n_components: int = 2) -> MDS:
    """Embed a distance matrix in `n_components` dimensions (classical MDS).

    Parameters
    ----------
    D : array_like, shape (n, n)
    n_components : int

    Returns
    -------
    MDS

    Notes
    -----
    W. S. Torgerson (1952), Psychometrika 17:401. With ``J = I - 11^T / n``,
    ``B = -J (D o D) J / 2``; the coordinates are the top eigenvectors of B times the
    square roots of their (positive) eigenvalues. Exact for Euclidean distances.
    """
    D = _distances("D", D)
    n = D.shape[0]
    k = check_int("n_components", n_components, lo=1, hi=n)
    J = np.eye(n) - 1.0 / n
    B = -0.5 * J @ (D * D) @ J
    w, v = np.linalg.eigh(0.5 * (B + B.T))
    w, v = w[::-1], v[:, ::-1]
    coords = v[:, :k] * np.sqrt(np.clip(w[:k], 0.0, None))[None, :]
    sign = np.sign(coords[np.argmax(np.abs(coords), axis=0), np.arange(k)])
    coords = coords * np.where(sign == 0, 1.0, sign)[None, :]
    Dh = np.linalg.norm(coords[:, None] - coords[None, :], axis=2)
    nd = np.linalg.norm(D)
    return MDS(coords=coords, eigenvalues=w, stress=float(np.linalg.norm(D - Dh) / nd) if nd > 0 else 0.0)


def silhouette(D, labels) -> float:
    """Mean silhouette width of a clustering given by `labels` (Rousseeuw 1987).

    For each point, ``(b - a) / max(a, b)`` with ``a`` its mean distance to its own
    cluster and ``b`` the smallest mean distance to another cluster (0 for a singleton).
    In [-1, 1]; NaN with a single cluster.
    """
    D = _distances("D", D)
    lab = np.asarray(labels)
    if lab.shape != (D.shape[0],):
        fail("labels", f"one label per point, shape ({D.shape[0]},)", lab.shape)
    uniq = np.unique(lab)
    if uniq.size < 2:
        return float("nan")
    s = np.zeros(D.shape[0])
    for i in range(D.shape[0]):
        own = (lab == lab[i])
        if own.sum() == 1:
            continue
        a = D[i, own & (np.arange(D.shape[0]) != i)].mean()
        b = min(D[i, lab == u].mean() for u in uniq if u != lab[i])
        s[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return float(s.mean())


@dataclass(frozen=True)
class Clustering:
    """Average-linkage clusters of a distance matrix.

    Attributes
    ----------
    labels : ndarray of int, shape (n,)
        Cluster of each point, 0..n_clusters-1, numbered by first appearance.
    n_clusters : int
    silhouette : float
        Mean silhouette width of the chosen clustering.
    scores : dict of int -> float
        Silhouette of each number of clusters tried (when it was chosen).
    """

    labels: np.ndarray
    n_clusters: int
    silhouette: float
    scores: dict


def cluster(D, n_clusters=None, *, max_clusters: int = 6) -> Clustering:
    """Hierarchical clustering (average linkage, UPGMA) of a distance matrix.

    Parameters
    ----------
    D : array_like, shape (n, n)
    n_clusters : int, optional
        Default: the number in 2..`max_clusters` (and < n) with the largest silhouette.
    max_clusters : int

    Returns
    -------
    Clustering
    """
    import scipy.cluster.hierarchy as sch
    import scipy.spatial.distance as ssd

    D = _distances("D", D)
    n = D.shape[0]
    Z = sch.linkage(ssd.squareform(D, checks=False), method="average")
    scores = {}
    if n_clusters is None:
        hi = min(check_int("max_clusters", max_clusters, lo=2), n - 1)
        if hi < 2:
            k = 1
        else:
            for k in range(2, hi + 1):
                scores[k] = silhouette(D, sch.fcluster(Z, k, criterion="maxclust"))
            k = max(scores, key=lambda c: (scores[c], -c))
    else:
        k = check_int("n_clusters", n_clusters, lo=1, hi=n)
    raw = sch.fcluster(Z, k, criterion="maxclust")
    _, first, inv = np.unique(raw, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    labels = order[inv]
    return Clustering(labels=labels, n_clusters=int(labels.max() + 1),
                      silhouette=silhouette(D, labels), scores=scores)


def adjusted_rand_index(a, b) -> float:
    """Adjusted Rand index of two labelings of the same items (Hubert & Arabie 1985).

    1 for the same partition (up to renaming), about 0 for independent ones.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 1 or a.shape != b.shape or a.size < 2:
        fail("b", f"labels of the same {a.size} items as `a` (at least 2)", b.shape)
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1.0)

    def pairs(x):
        return float(np.sum(x * (x - 1.0) / 2.0))

    index = pairs(table)
    sa, sb = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    total = a.size * (a.size - 1) / 2.0
    expected = sa * sb / total
    top = 0.5 * (sa + sb)
    if top == expected:
        return 1.0
    return float((index - expected) / (top - expected))
