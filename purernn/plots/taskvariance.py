"""Plots of how one network shares its units among many rules (Yang et al. 2019, Figs. 2-6):
the clustered unit-by-rule map of normalized task variance, the cluster-by-rule summary,
the silhouette against the number of clusters, lesion effects, fractional task variance
histograms and performance with composed rule inputs.

The functions take arrays (or the result dataclasses of :mod:`purernn.analysis.taskvariance`,
read through their attributes) and readable rule names.
"""

from __future__ import annotations

import numpy as np

from ._common import _new_axes

__all__ = ["plot_task_variance_map", "plot_cluster_summary", "plot_silhouette_scores",
           "plot_lesion_effects", "plot_ftv_histogram", "plot_composition"]


def _cluster_color(c: int):
    import matplotlib

    return matplotlib.colormaps["tab20"](c % 20)


def _names(rules, names) -> list:
    names = names or {}
    return [names.get(r, r) for r in rules]


def _rule_map(ax, M, rules, names, label: str, *, cmap: str = "hot", vmin: float = 0.0, vmax: float = 1.0) -> None:
    """`M` (n_rules, n_columns) as an image with a colour bar, one named row per rule."""
    im = ax.imshow(M, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label=label)
    ax.set_yticks(range(len(rules)))
    ax.set_yticklabels(_names(rules, names), fontsize=7)


def _cluster_ticks(ax, ticks) -> None:
    """One tick per cluster column, in the cluster's colour."""
    ax.set_xticks(range(len(ticks)))
    ax.set_xticklabels(ticks, fontsize=6)
    for c, lab in enumerate(ax.get_xticklabels()):
        lab.set_color(_cluster_color(c))


def _cluster_strip(ax, labels, n_rows: int) -> None:
    """Coloured segments under the map, one per cluster, numbered from 1."""
    labels = np.asarray(labels)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        lo, hi = idx[0] - 0.5, idx[-1] + 0.5
        ax.plot([lo, hi], [n_rows + 0.1, n_rows + 0.1], color=_cluster_color(int(c)), lw=6,
                solid_capstyle="butt", clip_on=False)
        ax.text(0.5 * (lo + hi), n_rows + 0.9, str(int(c) + 1), ha="center", va="top", fontsize=7,
                color=_cluster_color(int(c)), clip_on=False)


def plot_task_variance_map(normalized, labels, rules, ax=None, *, names=None, title=None):
    """Normalized task variance of every active unit (columns, sorted by cluster) for every
    rule (rows), with the clusters marked below (Yang et al. 2019, Fig. 3a).

    Parameters
    ----------
    normalized : array_like, shape (n_units, n_rules)
        E.g. ``UnitClusters.normalized`` (rows in cluster order).
    labels : array_like of int, shape (n_units,)
        Cluster of each unit (0-based; shown from 1).
    rules : sequence of str, length n_rules
    ax : matplotlib Axes, optional
    names : dict of str -> str, optional
        Readable rule names (``pr.analysis.RULE_NAMES``).
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(7.0, 4.2))[0, 0]
    V = np.asarray(normalized, dtype=float).T  # (n_rules, n_units)
    _rule_map(ax, V, rules, names, "normalized task variance")
    ax.set_xticks([])
    ax.set_xlabel(f"active units ({V.shape[1]}), by cluster", fontsize=8, labelpad=24)
    _cluster_strip(ax, labels, V.shape[0])
    ax.set_ylim(V.shape[0] - 0.5, -0.5)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_cluster_summary(summary, rules, ax=None, *, names=None, sizes=None, title=None):
    """Mean normalized task variance of each cluster (columns) for each rule (rows).

    Parameters
    ----------
    summary : array_like, shape (n_clusters, n_rules)
        ``UnitClusters.summary()``.
    rules : sequence of str
    names : dict of str -> str, optional
    sizes : sequence of int, optional
        Units per cluster, shown under the cluster numbers.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(4.4, 4.2))[0, 0]
    S = np.asarray(summary, dtype=float).T  # (n_rules, n_clusters)
    _rule_map(ax, S, rules, names, "mean normalized task variance")
    _cluster_ticks(ax, [str(c + 1) if sizes is None else f"{c + 1}\n({sizes[c]})" for c in range(S.shape[1])])
    ax.set_xlabel("cluster" + ("" if sizes is None else " (units)"), fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_silhouette_scores(scores, ax=None, *, chosen=None, label=None, color="C0"):
    """Mean silhouette width against the number of clusters.

    Parameters
    ----------
    scores : dict of int -> float
        ``UnitClusters.scores``.
    chosen : int, optional
        The chosen number of clusters (marked).

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.4, 2.6))[0, 0]
    ks = sorted(scores)
    ax.plot(ks, [scores[k] for k in ks], "o-", ms=3, lw=1, color=color, label=label)
    if chosen is not None:
        ax.plot([chosen], [scores[chosen]], "o", ms=7, mfc="none", color=color)
    ax.set_xlabel("number of clusters k", fontsize=8)
    ax.set_ylabel("mean silhouette width", fontsize=8)
    ax.tick_params(labelsize=7)
    return ax


def plot_lesion_effects(change, rules, ax=None, *, names=None, vmax=None, title=None):
    """Change of each rule's performance (rows) when each cluster (columns) is silenced
    (Yang et al. 2019, Fig. 4).

    Parameters
    ----------
    change : array_like, shape (n_clusters, n_rules)
        ``LesionEffects.change`` (fraction correct, lesioned minus intact).
    rules : sequence of str
    vmax : float, optional
        Colour scale +-vmax (default: the larger of 0.5 and max |change|).

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(4.4, 4.2))[0, 0]
    C = np.asarray(change, dtype=float).T  # (n_rules, n_clusters)
    v = vmax if vmax is not None else max(0.5, float(np.nanmax(np.abs(C))) if C.size else 0.5)
    _rule_map(ax, C, rules, names, "performance change after lesion", cmap="coolwarm", vmin=-v, vmax=v)
    _cluster_ticks(ax, [str(c + 1) for c in range(C.shape[1])])
    ax.set_xlabel("cluster silenced", fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_ftv_histogram(ftvs, ax=None, *, pair=("rule a", "rule b"), bins: int = 20, color="C0"):
    """Distribution of the fractional task variance over units (Yang et al. 2019, Fig. 5):
    the pooled histogram of all networks (bars) and each network's (thin lines).

    Parameters
    ----------
    ftvs : sequence of array_like
        FTV values of each network (``pr.analysis.fractional_task_variance``).
    pair : (str, str)
        Readable names of the two rules (the axis reads FTV(a, b)).
    bins : int
        Bins over [-1, 1].

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.0, 2.4))[0, 0]
    edges = np.linspace(-1.0, 1.0, bins + 1)
    centers = 0.5 * (edges[1:] + edges[:-1])
    arrays = [np.asarray(f, dtype=float).reshape(-1) for f in ftvs]
    pooled = np.concatenate(arrays) if arrays else np.zeros(0)
    if pooled.size:
        h = np.histogram(pooled, edges)[0] / pooled.size
        ax.bar(centers, h, width=edges[1] - edges[0], color=color, alpha=0.5, edgecolor="none",
               label=f"{len(arrays)} networks, {pooled.size} units")
    for f in arrays:
        if f.size:
            ax.plot(centers, np.histogram(f, edges)[0] / f.size, color=color, lw=0.6, alpha=0.7)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel(f"FTV({pair[0]}, {pair[1]})", fontsize=8)
    ax.set_ylabel("fraction of units", fontsize=8)
    ax.tick_params(labelsize=7)
    return ax


def plot_composition(names, accuracy, ax=None, *, rule_name="", chance=None):
    """Performance on one rule's trials with each composed rule input (Yang et al. 2019,
    Fig. 6): the median over networks (bar) and each network (dots).

    Parameters
    ----------
    names : sequence of str, length n_combinations
        E.g. ``Composition.names``.
    accuracy : array_like, shape (n_networks, n_combinations)
        Fraction correct.
    rule_name : str
        The rule of the trials (title).
    chance : float, optional
        A dashed line at this performance.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.6, 2.6))[0, 0]
    A = np.atleast_2d(np.asarray(accuracy, dtype=float))  # (n_networks, n_combinations)
    y = np.arange(A.shape[1])
    ax.barh(y, np.median(A, axis=0), color="0.75", height=0.6)
    for j in range(A.shape[1]):
        ax.plot(A[:, j], np.full(A.shape[0], y[j]) + np.linspace(-0.15, 0.15, A.shape[0]), "o",
                ms=3, color="C0")
    if chance is not None:
        ax.axvline(chance, color="0.4", ls="--", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(list(names), fontsize=7)
    ax.set_ylim(A.shape[1] - 0.5, -0.5)
    ax.set_xlim(0.0, 1.02)
    ax.set_xlabel("performance (fraction correct)", fontsize=8)
    ax.set_title(f"{rule_name} trials, rule input:" if rule_name else "rule input", fontsize=8)
    ax.tick_params(labelsize=7)
    return ax
