"""Study plots: many realizations per condition (:mod:`purernn.sweep.reporting`); arrays in,
axes out."""

from __future__ import annotations

import numpy as np

from ._common import _new_axes, _unit_circle

__all__ = ["plot_eigenvalue_cloud", "plot_class_counts", "plot_metric_by_group", "plot_degradation_by_condition"]


def plot_eigenvalue_cloud(eigenvalues, ax=None, *, dominant=None, color="C0", s=3.0, alpha=0.25,
                          title=None, lim=None):
    """Eigenvalues of many realizations of one condition, overlaid in the complex plane.

    Parameters
    ----------
    eigenvalues : sequence of array_like of complex, each shape (n_rec,)
        One array per realization (trained W_rec).
    ax : matplotlib Axes, optional
    dominant : array_like of complex, shape (n_runs,), optional
        Dominant eigenvalue of each realization, drawn as stars (and their conjugates).
    color : scatter color.
    s, alpha : marker size and opacity of the cloud.
    title : str, optional
    lim : float, optional
        Half-width of the square view (default: fit the cloud and the unit circle).

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.6, 3.6))[0, 0]
    eigs = [np.asarray(e, dtype=complex).ravel() for e in eigenvalues]
    allv = np.concatenate(eigs) if eigs else np.zeros(0, dtype=complex)
    _unit_circle(ax)
    ax.axhline(0.0, color="0.85", lw=0.5, zorder=0)
    ax.axvline(0.0, color="0.85", lw=0.5, zorder=0)
    ax.scatter(allv.real, allv.imag, s=s, color=color, alpha=alpha, lw=0)
    if dominant is not None:
        d = np.asarray(dominant, dtype=complex).ravel()
        d = np.concatenate([d, np.conj(d[d.imag != 0])])
        ax.scatter(d.real, d.imag, s=30, marker="*", color=color, edgecolors="k", lw=0.4, zorder=3)
    if lim is None:
        lim = 1.1 * max(1.0, float(np.abs(allv).max()) if allv.size else 1.0)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("Re")
    ax.set_ylabel("Im")
    if title is not None:
        ax.set_title(title, fontsize=8)
    return ax


def plot_class_counts(counts, ax=None, *, classes=None):
    """Stacked bars: how many realizations of each condition fall in each dominant class.

    Parameters
    ----------
    counts : mapping of str -> mapping of str -> int
        Condition label -> {class name: count}.
    ax : matplotlib Axes, optional
    classes : sequence of str, optional
        Order of the classes (default: ``purernn.analysis.DOMINANT_CLASSES`` order of
        those present, then any other).

    Returns
    -------
    matplotlib Axes
    """
    labels = list(counts)
    if ax is None:
        ax = _new_axes(figsize=(max(3.6, 0.7 * len(labels) + 1.5), 3.4))[0, 0]
    if classes is None:
        seen = sorted({c for v in counts.values() for c in v})
        order = ("real_inside", "real_outside", "complex_inside", "complex_outside")
        classes = [c for c in order if c in seen] + [c for c in seen if c not in order]
    x = np.arange(len(labels))
    bottom = np.zeros(len(labels))
    for k, cls in enumerate(classes):
        v = np.array([counts[lab].get(cls, 0) for lab in labels], dtype=float)
        ax.bar(x, v, bottom=bottom, color=f"C{k}", label=cls.replace("_", " "), width=0.7)
        bottom += v
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=6)
    ax.set_ylabel("realizations")
    ax.legend(fontsize=6, frameon=False)
    return ax


def plot_metric_by_group(groups, ax=None, *, xlabel="", ylabel="", reference=None, log_x=False):
    """A per-realization metric against a study axis, one series per group.

    Each realization is a small dot (jittered along x); each group's mean +/- standard
    deviation at every x is a line with error bars.

    Parameters
    ----------
    groups : mapping of str -> (array_like, array_like)
        Group label -> (x values, metric values), one entry per realization.
    ax : matplotlib Axes, optional
    xlabel, ylabel : str
    reference : float, optional
        Draw a horizontal dashed line there (e.g. 1, the unit circle).
    log_x : bool

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(4.0, 3.2))[0, 0]
    xs_all = np.concatenate([np.asarray(x, dtype=float) for x, _ in groups.values()]) if groups else np.zeros(0)
    span = float(np.ptp(xs_all)) if xs_all.size else 1.0
    n = max(len(groups), 1)
    for k, (lab, (x, y)) in enumerate(groups.items()):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        shift = (k - (n - 1) / 2) * 0.015 * (span or 1.0)
        if log_x:
            xj = x * (1.0 + (k - (n - 1) / 2) * 0.03)
        else:
            xj = x + shift
        ax.scatter(xj, y, s=5, color=f"C{k}", alpha=0.35, lw=0)
        ux = np.unique(x)
        m = np.array([np.nanmean(y[x == u]) for u in ux])
        sd = np.array([np.nanstd(y[x == u]) for u in ux])
        ux_plot = ux * (1.0 + (k - (n - 1) / 2) * 0.03) if log_x else ux + shift
        ax.errorbar(ux_plot, m, yerr=sd, fmt="o-", ms=3, lw=1.0, capsize=2, color=f"C{k}", label=lab)
    if reference is not None:
        ax.axhline(reference, color="0.5", lw=0.8, ls="--")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=6, frameon=False)
    return ax


def plot_degradation_by_condition(curves, ax=None):
    """Mean accuracy against the fraction removed, one line per condition.

    Parameters
    ----------
    curves : mapping of str -> (array_like, array_like)
        Condition label -> (fractions (n_fractions,), accuracy (n_runs, n_fractions)),
        the accuracy of each realization averaged over its random lesions.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Lines are the mean over realizations, bands +/- one standard deviation.
    """
    if ax is None:
        ax = _new_axes(figsize=(4.0, 3.2))[0, 0]
    for k, (lab, (f, acc)) in enumerate(curves.items()):
        f = np.asarray(f, dtype=float)
        acc = np.atleast_2d(np.asarray(acc, dtype=float))
        m, sd = acc.mean(axis=0), acc.std(axis=0)
        ax.plot(f, m, "o-", ms=3, lw=1.0, color=f"C{k}", label=f"{lab} (n={acc.shape[0]})")
        ax.fill_between(f, m - sd, m + sd, color=f"C{k}", alpha=0.15, lw=0)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("fraction removed")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=6, frameon=False)
    return ax
