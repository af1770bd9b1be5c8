"""Plots of :mod:`purernn.analysis` results (spectra, weights, activity, fixed points,
linearization, degradation): results in, axes out.

Legends sit outside the axes (to the right or below), so they never cover the data;
conditions are named with ``task.condition_labels(batch)`` (a dict condition -> name)
wherever a ``labels`` argument is taken.
"""

from __future__ import annotations

import numpy as np

from ._common import _new_axes, _unit_circle

__all__ = ["plot_spectrum", "plot_spectra_before_after", "plot_spectra_overlay", "plot_weight_histograms",
           "plot_pca_trajectories", "plot_variance_explained", "plot_unit_traces", "plot_degradation",
           "plot_linearization", "plot_fixed_points", "legend_outside"]

_FP_STYLE = {"stable": ("o", "k", "stable fixed point"), "saddle": ("x", "C3", "saddle"),
             "unstable": ("s", "C1", "unstable fixed point"), "marginal": ("d", "C0", "marginal fixed point")}


def legend_outside(ax, *, where: str = "right", fontsize: float = 7, **kw):
    """A legend outside `ax` (``where`` = "right" or "below"); None when nothing is labelled.

    The legend needs room beside the axes: draw into a figure with constrained layout
    (``purernn.figures.new_figure``, or ``plt.subplots(..., layout="constrained")``), or
    the legend may be cut off when the figure is saved.
    """
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if where == "below":
        kw = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.18), "ncol": min(3, len(handles)), **kw}
    else:
        kw = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0, **kw}
    return ax.legend(handles, labels, fontsize=fontsize, frameon=False, **kw)


def _cond_color(k: int, n: int):
    """Colour of the k-th of n conditions: the default cycle up to 10, then tab20."""
    if n <= 10:
        return f"C{k % 10}"
    import matplotlib

    return matplotlib.colormaps["tab20"](k % 20)


def _name(labels, c) -> str:
    c = int(c)
    return labels.get(c, f"condition {c}") if labels else f"condition {c}"


def plot_spectrum(spec_or_eigs, ax=None, *, unit_circle=True, bulk=True, color="C0", label=None,
                  s=12.0, title=None, legend=True):
    """Eigenvalues in the complex plane, with the unit circle and the bulk radii.

    Every mark is named in the legend: the eigenvalues, the unit circle, the bulk radius
    (dashed), the inner radius of a ring (dotted) and the ringed outliers.

    Parameters
    ----------
    spec_or_eigs : purernn.analysis.Spectrum or array_like of complex, shape (n,)
    ax : matplotlib Axes, optional
    unit_circle : bool
        Draw the unit circle.
    bulk : bool
        Draw the bulk radius and, for a ring, the inner radius, and ring the outliers
        (needs a Spectrum).
    color, label, s : scatter color, legend label (default "eigenvalues") and marker size.
    title : str, optional
    legend : bool
        Put the legend outside the axes, to the right.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(4.6, 3.6))[0, 0]
    eigs = np.asarray(getattr(spec_or_eigs, "eigenvalues", spec_or_eigs), dtype=complex).ravel()
    if unit_circle:
        _unit_circle(ax, label="unit circle |z| = 1")
    ax.axhline(0.0, color="0.85", lw=0.5, zorder=0)
    ax.axvline(0.0, color="0.85", lw=0.5, zorder=0)
    ax.scatter(eigs.real, eigs.imag, s=s, color=color, alpha=0.8, lw=0,
               label=label or f"eigenvalues ({eigs.size})")
    if bulk and hasattr(spec_or_eigs, "bulk_radius"):
        t = np.linspace(0.0, 2.0 * np.pi, 400)
        r = spec_or_eigs.bulk_radius
        ax.plot(r * np.cos(t), r * np.sin(t), color=color, lw=0.8, ls="--", alpha=0.8,
                label=f"bulk radius {r:.3g}")
        if spec_or_eigs.shape == "ring":
            r = spec_or_eigs.inner_radius
            ax.plot(r * np.cos(t), r * np.sin(t), color=color, lw=0.8, ls=":", alpha=0.8,
                    label=f"inner radius {r:.3g} (ring)")
        out = eigs[np.asarray(spec_or_eigs.outliers, dtype=int)]
        if out.size:
            ax.scatter(out.real, out.imag, s=4 * s, facecolors="none", edgecolors="C3", lw=0.8,
                       label=f"outliers ({out.size})")
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("Re")
    ax.set_ylabel("Im")
    if title is not None:
        ax.set_title(title, fontsize=9)
    if legend:
        legend_outside(ax)
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
        axes = _new_axes(1, 2, figsize=(9.0, 3.8))[0]
    axes = np.asarray(axes, dtype=object).ravel()
    for ax, spec, name, color in ((axes[0], spec_before, "before training", "C7"),
                                  (axes[1], spec_after, "after training", "C0")):
        plot_spectrum(spec, ax, color=color)
        r = getattr(spec, "radius", None)
        ax.set_title(name + (f" (radius {r:.3g})" if r is not None else ""), fontsize=9)
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
        ax = _new_axes(figsize=(5.0, 4.0))[0, 0]
    specs = list(specs)
    for i, spec in enumerate(specs):
        lab = None if labels is None else labels[i]
        plot_spectrum(spec, ax, unit_circle=(i == 0), bulk=False, color=f"C{i % 10}", label=lab or "_",
                      s=8.0, legend=False)
        dom = getattr(spec, "dominant", None)
        if dom is not None:
            ax.scatter(np.real(dom), np.imag(dom), s=60, marker="*", color=f"C{i % 10}", edgecolors="k", lw=0.4)
    if labels is not None:
        legend_outside(ax, fontsize=6)
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
            ax.hist(sets[1], bins=edges, histtype="step", color="0.4", lw=1.0, label="before training")
        ax.hist(w, bins=edges, color=color, alpha=0.7, label="after training" if len(sets) == 2 else None)
        m = stats.moments.get(name)
        txt = name if m is None else f"{name}\nmean {m.mean:.2g}, std {m.std:.2g}"
        ax.set_title(txt, fontsize=8)
        ax.set_xlabel("weight", fontsize=8)
        ax.tick_params(labelsize=7)
    if len(axes):
        axes[0].set_ylabel("count", fontsize=8)
    if stats_before is not None and len(axes):
        legend_outside(axes[-1], where="right")
    return axes


def plot_pca_trajectories(pcs, condition=None, ax=None, *, fixed_points=None, stable=None, dims=(0, 1),
                          max_trials_per_condition=5, labels=None, fp_labels=None, legend=True):
    """Trajectories in the plane of two principal components, one colour per condition.

    Parameters
    ----------
    pcs : array_like, shape (n_trials, n_steps, n_components)
        States projected on the principal axes (``Activity.pcs``), or condition-averaged
        trajectories (one per condition).
    condition : array_like of int, shape (n_trials,), optional
    ax : matplotlib Axes, optional
    fixed_points : array_like, shape (n_fp, n_components), optional
        Fixed points projected on the same axes (``pca.project(fps.h)``).
    stable : array_like of bool, shape (n_fp,), optional
        Stable points are drawn as filled circles, the others as crosses.
    dims : (int, int)
        The two components drawn.
    max_trials_per_condition : int
    labels : dict of int -> str, optional
        Condition names (``task.condition_labels(batch)``); default "condition k".
    fp_labels : sequence of str, optional
        The fixed points' labels (``fps.labels``), which override `stable` for the markers.
    legend : bool

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(5.4, 4.0))[0, 0]
    pcs = np.asarray(pcs)
    i, j = dims
    cond = np.zeros(pcs.shape[0], dtype=int) if condition is None else np.asarray(condition)
    present = np.unique(cond)
    for k, c in enumerate(present):
        trials = np.flatnonzero(cond == c)[:max_trials_per_condition]
        color = _cond_color(k, present.size)
        for n, t in enumerate(trials):
            ax.plot(pcs[t, :, i], pcs[t, :, j], color=color, lw=0.8, alpha=0.8,
                    label=_name(labels, c) if n == 0 else None)
            ax.plot(pcs[t, 0, i], pcs[t, 0, j], "o", color=color, ms=2)
    if fixed_points is not None:
        _scatter_fixed_points(ax, np.asarray(fixed_points)[:, [i, j]], stable, fp_labels)
    ax.set_xlabel(f"PC {i + 1}")
    ax.set_ylabel(f"PC {j + 1}")
    if legend:
        legend_outside(ax)
    return ax


def _scatter_fixed_points(ax, xy, stable=None, fp_labels=None, size=36):
    n = xy.shape[0]
    if fp_labels is None:
        st = np.ones(n, dtype=bool) if stable is None else np.asarray(stable, dtype=bool)
        fp_labels = ["stable" if v else "saddle" for v in st]
    fp_labels = np.asarray(fp_labels)
    for lab, (marker, color, name) in _FP_STYLE.items():
        sel = fp_labels == lab
        if sel.any():
            ax.scatter(xy[sel, 0], xy[sel, 1], s=size, marker=marker, color=color, zorder=5,
                       label=f"{name} ({int(sel.sum())})", lw=1.2 if marker == "x" else None)


def plot_fixed_points(fps, *, pca=None, W_out=None, b_out=None, trajectories=None, condition=None,
                      labels=None, axes=None, out_dims=(0, 1)):
    """Fixed points in state space (principal components) and, with a read-out, in
    output space, where a memory network's stable points sit at its target levels.

    Parameters
    ----------
    fps : purernn.analysis.FixedPoints
    pca : purernn.analysis.PCA, optional
        Axes of the left panel (default: the PCA of the fixed points themselves).
    W_out, b_out : ndarray, optional
        The read-out: the right panel shows ``z = W_out h + b_out`` of each point (its
        outputs `out_dims`, or output 1 against the point's index for one output).
    trajectories : ndarray, shape (n_curves, n_steps, n_rec), optional
        States to draw faintly under the points (e.g. condition-averaged trajectories).
    condition, labels : as in :func:`plot_pca_trajectories`, for `trajectories`.
    axes : sequence of 1 or 2 matplotlib Axes, optional
    out_dims : (int, int)
        The outputs drawn for a two-output network (three outputs: a 3-d view of the
        output cube, whose edges [-1, 1]^3 are drawn).

    Returns
    -------
    ndarray of matplotlib Axes
    """
    n_panels = 1 if W_out is None else 2
    if axes is None:
        axes = _new_axes(1, n_panels, figsize=(4.4 * n_panels + 1.6, 3.8))[0]
    axes = np.asarray(axes, dtype=object).ravel()
    h = np.asarray(fps.h)
    ax = axes[0]
    if pca is None and h.shape[0] >= 2 and h.shape[1] >= 2:
        from ..analysis.activity import pca as _pca

        pca = _pca(h)
    if pca is not None:
        def proj2(states):  # two coordinates, the second 0 for a one-unit network
            c = pca.project(states, 2)
            return c if c.shape[-1] == 2 else np.concatenate([c, np.zeros(c.shape[:-1] + (1,))], axis=-1)

        xy = proj2(h) if h.shape[0] else np.zeros((0, 2))
        if trajectories is not None:
            tr = proj2(np.asarray(trajectories))
            plot_pca_trajectories(tr, condition, ax, labels=labels, legend=False, max_trials_per_condition=1)
            for line in ax.lines:
                line.set_alpha(0.35)
        ax.set_xlabel("PC 1")
        ax.set_ylabel("PC 2")
    else:
        xy = np.column_stack([h[:, 0], h[:, 1] if h.shape[1] > 1 else np.zeros(h.shape[0])])
        ax.set_xlabel("h_1")
        ax.set_ylabel("h_2")
    _scatter_fixed_points(ax, xy, fp_labels=fps.labels)
    ax.set_title(f"{fps.n_fp} fixed point{'s' if fps.n_fp != 1 else ''}, state space", fontsize=9)
    if W_out is not None:
        ax2 = axes[1]
        z = h @ np.asarray(W_out, dtype=np.float64).T
        if b_out is not None:
            z = z + np.asarray(b_out, dtype=np.float64)
        if z.shape[1] >= 3:  # the output cube, in 3-d
            if getattr(ax2, "name", "") != "3d":
                spec = ax2.get_subplotspec()
                fig = ax2.figure
                ax2.remove()
                ax2 = fig.add_subplot(spec, projection="3d")
                axes[1] = ax2
            for lab, (marker, color, name_) in _FP_STYLE.items():
                sel = np.asarray(fps.labels) == lab
                if sel.any():
                    ax2.scatter(z[sel, 0], z[sel, 1], z[sel, 2], marker=marker, color=color, s=30,
                                depthshade=False, label=f"{name_} ({int(sel.sum())})")
            ax2.grid(False)
            for u in (-1, 1):  # the edges of the cube [-1, 1]^3 (the targets of a 3-bit flip-flop)
                for v in (-1, 1):
                    kw = dict(color="0.45", lw=0.7, label="the cube [-1, 1]^3" if u == v == -1 else None)
                    ax2.plot([-1, 1], [u, u], [v, v], **kw)
                    kw.pop("label")
                    ax2.plot([u, u], [-1, 1], [v, v], **kw)
                    ax2.plot([u, u], [v, v], [-1, 1], **kw)
            ax2.set_xlabel("z_1", fontsize=8)
            ax2.set_ylabel("z_2", fontsize=8)
            ax2.set_zlabel("z_3", fontsize=8)
            ax2.tick_params(labelsize=6)
        elif z.shape[1] == 2:
            a, b = out_dims
            _scatter_fixed_points(ax2, z[:, [a, b]], fp_labels=fps.labels)
            ax2.set_xlabel(f"output z_{a + 1}")
            ax2.set_ylabel(f"output z_{b + 1}")
        else:
            _scatter_fixed_points(ax2, np.column_stack([np.arange(z.shape[0]), z[:, 0]]), fp_labels=fps.labels)
            ax2.set_xlabel("fixed point (index)")
            ax2.set_ylabel("output z")
        ax2.set_title("their read-out", fontsize=9)
        legend_outside(ax2, where="below")
    else:
        legend_outside(ax, where="below")
    if trajectories is not None and labels:
        handles = [line for line in ax.lines if not line.get_label().startswith("_")]
        if handles:
            ax.legend(handles=handles, fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(0.0, -0.18),
                      ncol=2)
    return axes


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
        ax = _new_axes(figsize=(4.6, 3.0))[0, 0]
    v = np.asarray(variance_explained)[:max_components]
    k = np.arange(1, v.size + 1)
    ax.bar(k, v, color="C0", alpha=0.7, label="per component")
    ax.plot(k, np.cumsum(v), "o-", color="C1", ms=3, lw=1.0, label="cumulative")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("principal component")
    ax.set_ylabel("fraction of variance")
    if participation_ratio is not None:
        ax.set_title(f"participation ratio {participation_ratio:.2f}", fontsize=9)
    legend_outside(ax)
    return ax


def plot_unit_traces(h, ax=None, *, condition=None, units=None, max_units=4, dt=None, labels=None,
                     max_panels=4, axes=None):
    """Activity of a few units, one panel per condition (one sample trial each).

    Parameters
    ----------
    h : array_like, shape (n_trials, n_steps, n_rec)
    ax : matplotlib Axes, optional
        With a single axes, all conditions are overlaid (line style by condition).
    condition : array_like of int, shape (n_trials,), optional
    units : sequence of int, optional
        Units drawn (default: the `max_units` with the largest variance over the trials).
    max_units : int
    dt : float, optional
        ms per step (the task's ``dt``): the time axis is in ms; without it, in steps.
    labels : dict of int -> str, optional
        Condition names (panel titles).
    max_panels : int
        At most this many conditions (evenly spaced among those present).
    axes : sequence of matplotlib Axes, optional
        One panel per condition (takes precedence over `ax`).

    Returns
    -------
    matplotlib Axes, or ndarray of Axes when `axes` is given
    """
    h = np.asarray(h)
    if units is None:
        var = h.reshape(-1, h.shape[2]).var(axis=0)
        units = sorted(np.argsort(var)[::-1][:min(max_units, h.shape[2])].tolist())
    units = list(units)
    cond = np.zeros(h.shape[0], dtype=int) if condition is None else np.asarray(condition)
    present = np.unique(cond)
    if present.size > max_panels:
        present = present[np.unique(np.rint(np.linspace(0, present.size - 1, max_panels)).astype(int))]
    t = np.arange(h.shape[1]) * (1.0 if dt is None else dt)
    xlabel = "time (steps)" if dt is None else "time (ms)"
    if axes is None:
        if ax is None:
            ax = _new_axes(figsize=(5.6, 3.0))[0, 0]
        styles = ["-", "--", ":", "-."]
        for k, c in enumerate(present):
            trial = int(np.flatnonzero(cond == c)[0])
            for n, u in enumerate(units):
                ax.plot(t, h[trial, :, u], color=f"C{n % 10}", ls=styles[k % 4], lw=0.9,
                        label=(f"unit {u}" if k == 0 else None))
            ax.plot([], [], color="k", ls=styles[k % 4], lw=0.9, label=_name(labels, c))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("h")
        legend_outside(ax)
        return ax
    axes = np.asarray(axes, dtype=object).ravel()
    for ax_i, c in zip(axes, present):
        trial = int(np.flatnonzero(cond == c)[0])
        for n, u in enumerate(units):
            ax_i.plot(t, h[trial, :, u], color=f"C{n % 10}", lw=0.9, label=f"unit {u}")
        ax_i.set_title(_name(labels, c), fontsize=8)
        ax_i.set_xlabel(xlabel, fontsize=8)
        ax_i.tick_params(labelsize=7)
    for ax_i in axes[present.size:]:
        ax_i.set_visible(False)
    axes[0].set_ylabel("h")
    legend_outside(axes[min(present.size, axes.size) - 1])
    return axes


def plot_degradation(results, ax=None, *, band: str = "range"):
    """Accuracy against the percentage of units or connections removed.

    Each curve is the mean over lesion draws with a shaded band (the range of the draws,
    or ``band="std"``: mean +/- one standard deviation) and the draws as dots; the x axis
    is symmetric-log in percent so that 0.5% and 50% are both readable; curves are drawn
    with different markers and a small horizontal offset so that both stay visible where
    they coincide.

    Parameters
    ----------
    results : Degradation or sequence of Degradation
    ax : matplotlib Axes, optional
    band : {"range", "std"}

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(5.2, 3.2))[0, 0]
    if not isinstance(results, (list, tuple)):
        results = [results]
    markers = ["o", "s", "^", "D"]
    for k, res in enumerate(results):
        pct = 100.0 * np.asarray(res.fractions)
        x = pct * (1.0 + 0.04 * (k - (len(results) - 1) / 2))  # a small offset on the log axis
        acc = np.asarray(res.accuracy)
        m = acc.mean(axis=1)
        lo, hi = (acc.min(axis=1), acc.max(axis=1)) if band == "range" else (m - acc.std(axis=1), m + acc.std(axis=1))
        color = f"C{k}"
        ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0)
        ax.plot(x, m, marker=markers[k % 4], ms=4, lw=1.2, color=color,
                label=f"{res.mode} removed (mean of {acc.shape[1]} draws; band: {band})")
        ax.scatter(np.repeat(x, acc.shape[1]), acc.ravel(), s=5, color=color, alpha=0.45, lw=0)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(-0.05, 110)
    ticks = [0, 0.5, 1, 2, 5, 10, 20, 50, 100]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{v:g}" for v in ticks], fontsize=7)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("removed (%)")
    ax.set_ylabel("accuracy")
    legend_outside(ax, where="below", ncol=1)
    return ax


def plot_linearization(lin, response=None, axes=None, *, max_freq=None, dt=None, where="the origin"):
    """Predicted (linearization) against measured (FFT of the free activity) oscillation.

    Left: eigenvalues of the map Jacobian with the unit circle; ringed, the dominant
    oscillatory mode of ``lin`` (red: chosen by ``linearize(by=...)``, by default the
    largest real part in continuous time, the talk's choice) and the mode of largest
    ``|mu|`` (purple, real or complex, when it differs), which the free activity of the
    map follows in the end. Right (with `response`): power spectrum of the free activity after
    a small kick from the same point, with both predictions ``arg(mu) / (2 pi)``, the
    small-angle form ``Im / (2 pi Re)`` of the first (dotted) and the measured peak
    (dashed).

    Parameters
    ----------
    lin : purernn.analysis.Linearization
    response : purernn.analysis.FreeResponse, optional
    axes : sequence of 1 or 2 matplotlib Axes, optional
    max_freq : float, optional
        Upper limit of the frequency axis (in the axis' unit; default: Nyquist).
    dt : float, optional
        ms per step: frequencies in Hz; default cycles per step.
    where : str
        Where the network was linearized (for the titles).

    Returns
    -------
    ndarray of matplotlib Axes
    """
    n_panels = 1 if response is None else 2
    if axes is None:
        axes = _new_axes(1, n_panels, figsize=(5.0 * n_panels, 3.8))[0]
    axes = np.asarray(axes, dtype=object).ravel()
    ax = axes[0]
    scale, unit = (1000.0 / dt, "Hz") if dt else (1.0, "cycles/step")
    mu_all = np.asarray(lin.eigenvalues)
    lead = int(np.argmax(np.abs(mu_all))) if mu_all.size else -1  # real or complex
    plot_spectrum(mu_all, ax, color="C0", bulk=False, label="eigenvalues mu of the map Jacobian", legend=False)
    if lin.dominant >= 0:
        mu = mu_all[lin.dominant]
        ax.scatter([mu.real, mu.real], [mu.imag, -mu.imag], s=80, facecolors="none", edgecolors="C3", lw=1.2,
                   label=f"dominant mode (largest Re in continuous time): |mu| {abs(mu):.3f}, "
                         f"{lin.frequency[lin.dominant] * scale:.3g} {unit}")
    if lead >= 0 and lead != lin.dominant and not (lin.dominant >= 0 and
                                                   np.isclose(mu_all[lead], np.conj(mu_all[lin.dominant]))):
        mu = mu_all[lead]
        ax.scatter([mu.real, mu.real], [mu.imag, -mu.imag], s=130, facecolors="none", edgecolors="C4", lw=1.2,
                   label=f"largest |mu| = {abs(mu):.3f}: {lin.frequency[lead] * scale:.3g} {unit}")
    ax.set_title(f"linearized at {where}", fontsize=9)
    legend_outside(ax, where="below", ncol=1)
    if response is not None:
        ax = axes[1]
        p = np.asarray(response.power)
        if np.all(np.isfinite(p)) and p.max() > 0:
            ax.semilogy(response.freqs * scale, p / p.max(), color="k", lw=0.8,
                        label="power of the free activity after a kick")
        f_pred, f_small = lin.dominant_frequency, lin.dominant_frequency_small_angle
        if np.isfinite(f_pred):
            ax.axvline(f_pred * scale, color="C3", lw=1.2,
                       label=f"dominant mode arg(mu)/2pi = {f_pred * scale:.4g} {unit}")
        if np.isfinite(f_small) and 0 < f_small < 0.5:
            ax.axvline(f_small * scale, color="C1", lw=1.2, ls=":",
                       label=f"its small-angle form Im/(2pi Re) = {f_small * scale:.4g} {unit}")
        if lead >= 0 and not np.isclose(lin.frequency[lead], f_pred):
            ax.axvline(lin.frequency[lead] * scale, color="C4", lw=1.2, ls="-.",
                       label=f"largest |mu| mode = {lin.frequency[lead] * scale:.4g} {unit}")
        if np.isfinite(response.frequency):
            ax.axvline(response.frequency * scale, color="C0", lw=1.2, ls="--",
                       label=f"measured peak = {response.frequency * scale:.4g} {unit}")
        ax.set_xlim(0, 0.5 * scale if max_freq is None else max_freq)
        ax.set_xlabel(f"frequency ({unit})")
        ax.set_ylabel("power (normalized)")
        ax.set_title(f"free activity from {where}", fontsize=9)
        legend_outside(ax, where="below", ncol=1)
    return axes
