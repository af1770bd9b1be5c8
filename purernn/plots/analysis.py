"""Plots of :mod:`purernn.analysis` results (spectra, weights, activity, linearization,
degradation): results in, axes out."""

from __future__ import annotations

import numpy as np

from ._common import _new_axes, _unit_circle

__all__ = ["plot_spectrum", "plot_spectra_before_after", "plot_spectra_overlay", "plot_weight_histograms", "plot_pca_trajectories", "plot_variance_explained", "plot_unit_traces", "plot_degradation", "plot_linearization"]


def plot_spectrum(spec_or_eigs, ax=None, *, unit_circle=True, bulk=True, color="C0", label=None,
                  s=12.0, title=None):
    """Eigenvalues in the complex plane, with the unit circle and the bulk radii.

    Parameters
    ----------
    spec_or_eigs : purernn.analysis.Spectrum or array_like of complex, shape (n,)
    ax : matplotlib Axes, optional
    unit_circle : bool
        Draw the unit circle.
    bulk : bool
        Draw the bulk radius (dashed) and, for a ring, the inner radius (dotted), and
        ring the outliers (needs a Spectrum).
    color, label, s : scatter color, legend label and marker size.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.6, 3.6))[0, 0]
    eigs = np.asarray(getattr(spec_or_eigs, "eigenvalues", spec_or_eigs), dtype=complex).ravel()
    if unit_circle:
        _unit_circle(ax)
    ax.axhline(0.0, color="0.85", lw=0.5, zorder=0)
    ax.axvline(0.0, color="0.85", lw=0.5, zorder=0)
    ax.scatter(eigs.real, eigs.imag, s=s, color=color, alpha=0.8, lw=0, label=label)
    if bulk and hasattr(spec_or_eigs, "bulk_radius"):
        t = np.linspace(0.0, 2.0 * np.pi, 400)
        r = spec_or_eigs.bulk_radius
        ax.plot(r * np.cos(t), r * np.sin(t), color=color, lw=0.6, ls="--", alpha=0.7)
        if spec_or_eigs.shape == "ring":
            r = spec_or_eigs.inner_radius
            ax.plot(r * np.cos(t), r * np.sin(t), color=color, lw=0.6, ls=":", alpha=0.7)
        out = eigs[np.asarray(spec_or_eigs.outliers, dtype=int)]
        if out.size:
            ax.scatter(out.real, out.imag, s=4 * s, facecolors="none", edgecolors="C3", lw=0.8)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("Re")
    ax.set_ylabel("Im")
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax


def plot_spectra_before_after(spec_before, spec_after, axes=None):
    """Spectra of W_rec before and after training, side by side (same scale).

    Parameters
    ----------
    spec_before, spec_after : Spectrum or array_like of complex
    axes : sequence of 2 matplotlib Axes, optional

    Returns
    -------
    ndarray of matplotlib Axes, shape (2,)
    """
    if axes is None:
        axes = _new_axes(1, 2, figsize=(7.0, 3.6))[0]
    axes = np.asarray(axes, dtype=object).ravel()
    for ax, spec, name, color in ((axes[0], spec_before, "before training", "C7"),
                                  (axes[1], spec_after, "after training", "C0")):
        plot_spectrum(spec, ax, color=color)
        r = getattr(spec, "radius", None)
        ax.set_title(name + (f"  (radius {r:.3g})" if r is not None else ""), fontsize=9)
    lim = max(1.05, *(np.abs(np.asarray(getattr(s, "eigenvalues", s))).max() * 1.05
                     for s in (spec_before, spec_after)))
    for ax in axes[:2]:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    return axes


def plot_spectra_overlay(specs, ax=None, *, labels=None):
    """Overlay the spectra of several runs (diversity across realizations).

    Parameters
    ----------
    specs : sequence of Spectrum or arrays of eigenvalues
    ax : matplotlib Axes, optional
    labels : sequence of str, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(4.0, 4.0))[0, 0]
    specs = list(specs)
    for i, spec in enumerate(specs):
        lab = None if labels is None else labels[i]
        plot_spectrum(spec, ax, unit_circle=(i == 0), bulk=False, color=f"C{i % 10}", label=lab, s=8.0)
        dom = getattr(spec, "dominant", None)
        if dom is not None:
            ax.scatter(np.real(dom), np.imag(dom), s=60, marker="*", color=f"C{i % 10}", edgecolors="k", lw=0.4)
    if labels is not None:
        ax.legend(fontsize=6, frameon=False)
    return ax


def plot_weight_histograms(stats, stats_before=None, axes=None, *, bins=40):
    """Histograms of the weights by group (W_in, W_rec or W_rec_E / W_rec_I, W_out).

    Parameters
    ----------
    stats : purernn.analysis.WeightStats
        The (trained) network's weights.
    stats_before : WeightStats, optional
        The initial weights, drawn as outlines.
    axes : sequence of matplotlib Axes, optional
        One per group shown.
    bins : int

    Returns
    -------
    ndarray of matplotlib Axes
    """
    names = [k for k in ("W_in", "W_rec", "W_rec_E", "W_rec_I", "W_out") if k in stats.values]
    if axes is None:
        axes = _new_axes(1, len(names), figsize=(2.6 * len(names), 2.6))[0]
    axes = np.asarray(axes, dtype=object).ravel()
    for ax, name in zip(axes, names):
        w = np.asarray(stats.values[name])
        sets = [w]
        if stats_before is not None and name in stats_before.values:
            sets.append(np.asarray(stats_before.values[name]))
        lo = min(s.min() for s in sets if s.size)
        hi = max(s.max() for s in sets if s.size)
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
        color = {"W_rec_E": "C3", "W_rec_I": "C0"}.get(name, "C2")
        if len(sets) == 2:
            ax.hist(sets[1], bins=edges, histtype="step", color="0.4", lw=1.0, label="before")
        ax.hist(w, bins=edges, color=color, alpha=0.7, label="after" if len(sets) == 2 else None)
        m = stats.moments.get(name)
        txt = name if m is None else f"{name}\nmean {m.mean:.2g}, std {m.std:.2g}"
        ax.set_title(txt, fontsize=8)
        ax.tick_params(labelsize=7)
    if stats_before is not None and len(axes):
        axes[0].legend(fontsize=6, frameon=False)
    return axes


def plot_pca_trajectories(pcs, condition=None, ax=None, *, fixed_points=None, stable=None, dims=(0, 1),
                          max_trials_per_condition=5):
    """Trajectories in the plane of two principal components, coloured by condition.

    Parameters
    ----------
    pcs : array_like, shape (n_trials, n_steps, n_components)
        States projected on the principal axes (``Activity.pcs``).
    condition : array_like of int, shape (n_trials,), optional
    ax : matplotlib Axes, optional
    fixed_points : array_like, shape (n_fp, n_components), optional
        Fixed points projected on the same axes (``pca.project(fps.h)``).
    stable : array_like of bool, shape (n_fp,), optional
        Stable points are drawn as filled circles, the others as open crosses.
    dims : (int, int)
        The two components drawn.
    max_trials_per_condition : int

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(4.0, 3.6))[0, 0]
    pcs = np.asarray(pcs)
    i, j = dims
    cond = np.zeros(pcs.shape[0], dtype=int) if condition is None else np.asarray(condition)
    for k, c in enumerate(np.unique(cond)):
        trials = np.flatnonzero(cond == c)[:max_trials_per_condition]
        for n, t in enumerate(trials):
            ax.plot(pcs[t, :, i], pcs[t, :, j], color=f"C{k % 10}", lw=0.6, alpha=0.7,
                    label=f"condition {c}" if n == 0 else None)
            ax.plot(pcs[t, 0, i], pcs[t, 0, j], "o", color=f"C{k % 10}", ms=2)
    if fixed_points is not None:
        fp = np.asarray(fixed_points)
        st = np.ones(fp.shape[0], dtype=bool) if stable is None else np.asarray(stable, dtype=bool)
        if st.any():
            ax.scatter(fp[st, i], fp[st, j], s=40, color="k", zorder=5, label="stable fixed point")
        if (~st).any():
            ax.scatter(fp[~st, i], fp[~st, j], s=40, marker="x", color="C3", zorder=5,
                       label="unstable fixed point")
    ax.set_xlabel(f"PC {i + 1}")
    ax.set_ylabel(f"PC {j + 1}")
    ax.legend(fontsize=6, frameon=False)
    return ax


def plot_variance_explained(variance_explained, ax=None, *, participation_ratio=None, max_components=20):
    """Variance explained per principal component, and cumulated.

    Parameters
    ----------
    variance_explained : array_like, shape (n_components,)
        E.g. ``PCA.variance_explained``.
    ax : matplotlib Axes, optional
    participation_ratio : float, optional
        Shown in the title.
    max_components : int

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.6, 3.0))[0, 0]
    v = np.asarray(variance_explained)[:max_components]
    k = np.arange(1, v.size + 1)
    ax.bar(k, v, color="C0", alpha=0.7, label="per component")
    ax.plot(k, np.cumsum(v), "o-", color="C1", ms=3, lw=1.0, label="cumulative")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("principal component")
    ax.set_ylabel("fraction of variance")
    if participation_ratio is not None:
        ax.set_title(f"participation ratio {participation_ratio:.2f}", fontsize=9)
    ax.legend(fontsize=6, frameon=False)
    return ax


def plot_unit_traces(h, ax=None, *, condition=None, units=None, max_units=6, dt=1.0):
    """Activity of a few units, one sample trial per condition.

    Parameters
    ----------
    h : array_like, shape (n_trials, n_steps, n_rec)
    ax : matplotlib Axes, optional
    condition : array_like of int, shape (n_trials,), optional
        One trial per condition is drawn (line style by condition).
    units : sequence of int, optional
        Units drawn (default: the first `max_units`).
    dt : float
        ms per step.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(5.0, 3.0))[0, 0]
    h = np.asarray(h)
    units = list(range(min(max_units, h.shape[2]))) if units is None else list(units)
    cond = np.zeros(h.shape[0], dtype=int) if condition is None else np.asarray(condition)
    styles = ["-", "--", ":", "-."]
    t = np.arange(h.shape[1]) * dt
    for k, c in enumerate(np.unique(cond)[:4]):
        trial = int(np.flatnonzero(cond == c)[0])
        for n, u in enumerate(units):
            ax.plot(t, h[trial, :, u], color=f"C{n % 10}", ls=styles[k], lw=0.8,
                    label=(f"unit {u}" if k == 0 else None))
        ax.plot([], [], color="k", ls=styles[k], lw=0.8, label=f"condition {c}")
    ax.set_xlabel("time (ms)" if dt != 1.0 else "time (steps)")
    ax.set_ylabel("h")
    ax.legend(fontsize=5, frameon=False, ncol=2)
    return ax


def plot_degradation(results, ax=None):
    """Accuracy against the fraction of units or connections removed (mean +/- std).

    Parameters
    ----------
    results : Degradation or sequence of Degradation
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(3.6, 3.0))[0, 0]
    if not isinstance(results, (list, tuple)):
        results = [results]
    for k, res in enumerate(results):
        f = np.asarray(res.fractions)
        acc = np.asarray(res.accuracy)
        m, s = acc.mean(axis=1), acc.std(axis=1)
        ax.errorbar(f, m, yerr=s, fmt="o-", ms=3, lw=1.0, capsize=2, color=f"C{k}", label=f"{res.mode} removed")
        ax.scatter(np.repeat(f, acc.shape[1]), acc.ravel(), s=4, color=f"C{k}", alpha=0.4)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("fraction removed")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=6, frameon=False)
    return ax


def plot_linearization(lin, response=None, axes=None, *, max_freq=None):
    """Predicted (linearization) against measured (FFT of free activity) oscillation.

    Left: eigenvalues of the map Jacobian with the unit circle, the dominant oscillatory
    mode ringed. Right (with `response`): power spectrum of the free activity after a
    pulse, with the predicted frequency ``arg(mu) / (2 pi)`` (solid) and its small-angle
    form ``Im / (2 pi Re)`` (dotted).

    Parameters
    ----------
    lin : purernn.analysis.Linearization
    response : purernn.analysis.FreeResponse, optional
    axes : sequence of 1 or 2 matplotlib Axes, optional
    max_freq : float, optional
        Upper limit of the frequency axis (cycles per step; default 0.5).

    Returns
    -------
    ndarray of matplotlib Axes
    """
    n_panels = 1 if response is None else 2
    if axes is None:
        axes = _new_axes(1, n_panels, figsize=(3.6 * n_panels, 3.4))[0]
    axes = np.asarray(axes, dtype=object).ravel()
    ax = axes[0]
    plot_spectrum(lin.eigenvalues, ax, color="C0", bulk=False)
    if lin.dominant >= 0:
        mu = lin.eigenvalues[lin.dominant]
        ax.scatter([mu.real, mu.real], [mu.imag, -mu.imag], s=70, facecolors="none", edgecolors="C3")
    ax.set_title("Jacobian of the Euler map", fontsize=9)
    if response is not None:
        ax = axes[1]
        p = np.asarray(response.power)
        if np.all(np.isfinite(p)) and p.max() > 0:
            ax.semilogy(response.freqs, p / p.max(), color="k", lw=0.8, label="FFT of free activity")
        f_pred, f_small = lin.dominant_frequency, lin.dominant_frequency_small_angle
        if np.isfinite(f_pred):
            ax.axvline(f_pred, color="C3", lw=1.0, label=f"arg(mu)/2pi = {f_pred:.4g}")
        if np.isfinite(f_small) and 0 < f_small < 0.5:
            ax.axvline(f_small, color="C1", lw=1.0, ls=":", label=f"Im/(2pi Re) = {f_small:.4g}")
        if np.isfinite(response.frequency):
            ax.axvline(response.frequency, color="C0", lw=1.0, ls="--",
                       label=f"measured = {response.frequency:.4g}")
        ax.set_xlim(0, 0.5 if max_freq is None else max_freq)
        ax.set_xlabel("frequency (cycles per step)")
        ax.set_ylabel("power (normalized)")
        ax.legend(fontsize=6, frameon=False)
    return axes
