"""Population plots: trajectories on task axes (Mante et al. 2013, Fig. 2/5), line
attractors with their eigenvectors and selection vectors (Fig. 6), cross-validated
variance per component, principal angles, distance matrices between networks and their
MDS embedding; arrays in, axes out."""

from __future__ import annotations

import numpy as np

from ._common import _new_axes

__all__ = ["plot_axis_trajectories", "plot_line_attractor", "plot_cv_variance", "plot_principal_angles",
           "plot_distance_matrix", "plot_embedding"]


def plot_axis_trajectories(coords, values, ax=None, *, xy=(0, 1), names=None, linestyles=None,
                           value_label="coherence", cmap="coolwarm", markers=True, title=None):
    """Condition-averaged trajectories projected on two task axes.

    Parameters
    ----------
    coords : array_like, shape (n_cond, n_steps, n_axes)
        E.g. ``TDR.project(condition averages)``.
    values : array_like, shape (n_cond,)
        The signed value that colours each trajectory (e.g. the relevant coherence).
    ax : matplotlib Axes, optional
    xy : (int, int)
        Axes shown horizontally and vertically (default: the first, e.g. choice,
        horizontally, as in Mante et al.'s Fig. 2, and the second vertically).
    names : sequence of str, optional
        Axis names, for the labels.
    linestyles : sequence of str, length n_cond, optional
        E.g. solid for choice +1, dashed for choice -1.
    value_label : str
        Legend title of the colours.
    cmap : str
    markers : bool
        Dot at each trajectory's end.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib

    if ax is None:
        ax = _new_axes(figsize=(3.6, 3.2))[0, 0]
    P = np.asarray(coords, dtype=float)
    v = np.asarray(values, dtype=float)
    lim = float(np.max(np.abs(v))) or 1.0
    cm = matplotlib.colormaps[cmap]
    i, j = xy
    for c in range(P.shape[0]):
        color = cm(0.5 + 0.5 * v[c] / lim)
        ls = linestyles[c] if linestyles is not None else "-"
        ax.plot(P[c, :, i], P[c, :, j], ls=ls, color=color, lw=1.0)
        if markers:
            ax.plot(P[c, -1, i], P[c, -1, j], "o", ms=2.5, color=color)
    for val in np.unique(v):  # one legend entry per value, drawn solid
        ax.plot([], [], color=cm(0.5 + 0.5 * val / lim), lw=1.2, label=f"{val:g}")
    if names is not None:
        ax.set_xlabel(f"{names[i]} axis")
        ax.set_ylabel(f"{names[j]} axis")
    ax.legend(title=value_label, fontsize=5, title_fontsize=6, frameon=False, loc="best")
    if title is not None:
        ax.set_title(title, fontsize=8)
    return ax


def plot_line_attractor(points, right, left, ax=None, *, inputs=None, input_names=None, xy=(0, 1),
                        names=None, scale=None, fixed=None, title=None):
    """Slow points on two axes, with each point's right eigenvector and selection vector.

    Parameters
    ----------
    points : array_like, shape (n_points, n_axes)
        The points' coordinates (e.g. on the TDR axes).
    right, left : array_like, shape (n_points, n_axes)
        The unit right and left eigenvectors of each point's slow mode, on the same
        axes (projections, so their drawn length shows how much of them lies in the
        plane).
    ax : matplotlib Axes, optional
    inputs : array_like, shape (n_inputs, n_axes), optional
        Input directions, drawn as arrows from the points' centre (scaled to the drawn
        range; their relative lengths and directions in the plane are kept).
    input_names : sequence of str, optional
    xy : (int, int)
    names : sequence of str, optional
    scale : float, optional
        Half-length of the drawn eigenvector segments (default: 8% of the points' extent).
    fixed : array_like of bool, shape (n_points,), optional
        Fixed points (filled) vs slow points (open).
    title : str, optional

    Returns
    -------
    matplotlib Axes
        Right eigenvectors red, selection vectors green.
    """
    if ax is None:
        ax = _new_axes(figsize=(3.6, 3.4))[0, 0]
    P = np.asarray(points, dtype=float)
    R = np.asarray(right, dtype=float)
    L = np.asarray(left, dtype=float)
    i, j = xy
    ext = float(np.max(np.ptp(P[:, [i, j]], axis=0))) if P.shape[0] > 1 else 1.0
    s = scale if scale is not None else 0.08 * (ext or 1.0)
    for k in range(P.shape[0]):
        for V, color in ((R, "C3"), (L, "C2")):
            ax.plot([P[k, i] - s * V[k, i], P[k, i] + s * V[k, i]],
                    [P[k, j] - s * V[k, j], P[k, j] + s * V[k, j]], color=color, lw=0.8, alpha=0.8)
    f = np.ones(P.shape[0], dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    ax.scatter(P[f, i], P[f, j], s=10, color="k", zorder=3, label="fixed points")
    ax.scatter(P[~f, i], P[~f, j], s=10, facecolors="none", edgecolors="k", lw=0.6, zorder=3,
               label="slow points")
    ax.plot([], [], color="C3", lw=0.8, label="right eigenvector")
    ax.plot([], [], color="C2", lw=0.8, label="selection vector")
    if inputs is not None:
        c = P.mean(axis=0)
        U = np.asarray(inputs, dtype=float)
        span = np.maximum(np.ptp(P[:, [i, j]], axis=0), 1e-12) if P.shape[0] > 1 else np.ones(2)
        # one scale for all arrows: the longest fills a third of the drawn range
        f = 0.33 * float(np.min(span / np.maximum(np.abs(U[:, [i, j]]).max(axis=0), 1e-12)))
        for k in range(U.shape[0]):
            d = np.zeros(U.shape[1])
            d[[i, j]] = f * U[k, [i, j]]
            ax.annotate("", xy=(c[i] + d[i], c[j] + d[j]), xytext=(c[i], c[j]),
                        arrowprops={"arrowstyle": "->", "color": f"C{k % 2}", "lw": 1.0})
            if input_names is not None:
                ax.text(c[i] + 1.1 * d[i], c[j] + 1.1 * d[j], input_names[k], fontsize=6, color=f"C{k % 2}")
    if names is not None:
        ax.set_xlabel(f"{names[i]} axis")
        ax.set_ylabel(f"{names[j]} axis")
    ax.legend(fontsize=5, frameon=False, loc="best")
    if title is not None:
        ax.set_title(title, fontsize=8)
    return ax


def plot_cv_variance(cv, ax=None, *, max_components=15, title=None):
    """Variance per principal component: plain PCA against the cross-validated estimate.

    Parameters
    ----------
    cv : purernn.analysis.CVVariance
    ax : matplotlib Axes, optional
    max_components : int
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.6, 3.0))[0, 0]
    var = np.asarray(cv.variance)
    plain = var / var.sum() if var.sum() > 0 else var
    k = np.arange(1, min(max_components, plain.size) + 1)
    ax.plot(k, plain[: k.size], "o-", ms=3, lw=1.0, color="C7", label="plain PCA")
    ax.plot(k, np.asarray(cv.signal_fraction)[: k.size], "o-", ms=3, lw=1.0, color="C0",
            label="cross-validated (signal)")
    ax.axhline(0.0, color="0.8", lw=0.6)
    ax.set_xlabel("principal component")
    ax.set_ylabel("fraction of variance")
    ax.legend(fontsize=6, frameon=False)
    if title is not None:
        ax.set_title(title, fontsize=8)
    return ax


def plot_principal_angles(angles, ax=None, *, title=None):
    """Principal angles (degrees) of several pairs of subspaces.

    Parameters
    ----------
    angles : mapping of str -> array_like
        Pair label -> angles in radians (increasing).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.6, 3.0))[0, 0]
    for k, (lab, a) in enumerate(angles.items()):
        a = np.degrees(np.asarray(a, dtype=float))
        ax.plot(np.arange(1, a.size + 1), a, "o-", ms=3, lw=1.0, color=f"C{k}", label=lab)
    ax.set_ylim(0, 92)
    ax.axhline(90.0, color="0.8", lw=0.6, ls="--")
    ax.set_xlabel("principal angle")
    ax.set_ylabel("angle (degrees)")
    ax.legend(fontsize=6, frameon=False)
    if title is not None:
        ax.set_title(title, fontsize=8)
    return ax


def plot_distance_matrix(D, ax=None, *, labels=None, groups=None, title=None, unit="", cmap="viridis"):
    """A distance matrix between networks as an image, with a colour bar.

    Parameters
    ----------
    D : array_like, shape (n, n)
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        Tick labels (shown when n <= 30).
    groups : sequence, length n, optional
        A class per network (e.g. its dominant-eigenvalue class): a coloured strip along
        both edges.
    title : str, optional
    unit : str
        Colour-bar label.
    cmap : str

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.8, 3.4))[0, 0]
    D = np.asarray(D, dtype=float)
    n = D.shape[0]
    im = ax.imshow(D, cmap=cmap, interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label=unit)
    if labels is not None and n <= 30:
        ax.set_xticks(range(n))
        ax.set_yticks(range(n))
        ax.set_xticklabels(labels, rotation=90, fontsize=5)
        ax.set_yticklabels(labels, fontsize=5)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if groups is not None:
        uniq = list(dict.fromkeys(groups))
        for k, g in enumerate(groups):
            c = f"C{uniq.index(g) % 10}"
            ax.add_patch(_rect((k - 0.5, n - 0.5), 1.0, 0.03 * n + 0.5, c))
            ax.add_patch(_rect((-0.5 - 0.03 * n - 0.5, k - 0.5), 0.03 * n + 0.5, 1.0, c))
        ax.set_xlim(-0.5 - 0.03 * n - 0.5, n - 0.5)
        ax.set_ylim(n + 0.03 * n, -0.5)
        for k, g in enumerate(uniq):
            ax.plot([], [], "s", color=f"C{k % 10}", label=str(g).replace("_", " "))
        ax.legend(fontsize=5, frameon=False, loc="upper right", bbox_to_anchor=(1.0, -0.02), ncol=2)
    if title is not None:
        ax.set_title(title, fontsize=8)
    return ax


def _rect(xy, w, h, color):
    from matplotlib.patches import Rectangle

    return Rectangle(xy, w, h, color=color, clip_on=False, lw=0)


def plot_embedding(coords, ax=None, *, classes=None, clusters=None, labels=None, title=None,
                   xlabel="MDS 1", ylabel="MDS 2"):
    """Networks as points of a 2-d embedding (e.g. MDS of a distance matrix).

    Parameters
    ----------
    coords : array_like, shape (n, >=2)
    ax : matplotlib Axes, optional
    classes : sequence, length n, optional
        Colour per class (e.g. the dominant-eigenvalue class).
    clusters : sequence of int, length n, optional
        Marker per cluster.
    labels : sequence of str, optional
        A small text next to each point.
    title, xlabel, ylabel : str

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.6, 3.2))[0, 0]
    X = np.asarray(coords, dtype=float)
    n = X.shape[0]
    cls = list(classes) if classes is not None else ["networks"] * n
    uniq = list(dict.fromkeys(cls))
    marks = "os^DvP*X"
    cl = np.zeros(n, dtype=int) if clusters is None else np.asarray(clusters, dtype=int)
    for k in range(n):
        ax.scatter(X[k, 0], X[k, 1], s=22, color=f"C{uniq.index(cls[k]) % 10}", marker=marks[cl[k] % len(marks)],
                   edgecolors="k", lw=0.3, alpha=0.85)
    for k, g in enumerate(uniq):
        ax.scatter([], [], s=22, color=f"C{k % 10}", label=str(g).replace("_", " "))
    if clusters is not None:
        for c in np.unique(cl):
            ax.scatter([], [], s=22, color="0.6", marker=marks[c % len(marks)], label=f"cluster {c}")
    if labels is not None:
        for k in range(n):
            ax.annotate(str(labels[k]), X[k, :2], fontsize=4, xytext=(2, 2), textcoords="offset points")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=5, frameon=False)
    if title is not None:
        ax.set_title(title, fontsize=8)
    return ax
