"""Plots of tasks, trajectories and analysis results.

Every plot function takes arrays (or results holding arrays) and an optional
``ax=None`` / ``axes=None``, draws on them and returns the axes. No function here calls
``show()`` or ``savefig()``, and nothing changes matplotlib's global style. matplotlib is
imported only inside this module, so the rest of the library never needs it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_trials"]


def _trial_label(info: dict, i: int, max_items: int = 2) -> str:
    """A short description of trial `i` from its per-trial info (scalars and short bits)."""
    parts = []
    for key, val in info.items():
        if key == "condition" or len(parts) >= max_items:
            continue
        v = np.asarray(val)[i]
        if v.ndim == 0:
            if v.dtype.kind == "f":
                parts.append(f"{key}={float(v):.3g}")
            elif v.dtype.kind in "iub":
                parts.append(f"{key}={int(v)}")
        elif v.ndim == 1 and v.size <= 8 and v.dtype.kind in "iubf" and np.all(v == np.rint(v)):
            signed = bool(np.any(v < 0))
            sym = {1: "+", 0: "0", -1: "-"} if signed else {}
            parts.append(f"{key}=" + "".join(sym.get(int(b), str(int(b))) for b in v))
    text = ", ".join(parts)
    return text if len(text) <= 30 else "\n".join(parts)


def plot_trials(batch, *, z=None, dt=1.0, n_per_condition=1, axes=None, max_conditions=8):
    """Draw example trials of a task, one column per condition.

    The top row shows the inputs; the bottom row the targets (dashed), the network
    output if given (solid) and, shaded, the steps where the mask is non-zero (where the
    loss judges the output).

    Parameters
    ----------
    batch : purernn.tasks.Batch
        Trials from ``task.sample``; ``batch.info["condition"]`` groups them.
    z : ndarray, shape (n_trials, n_steps, n_out), optional
        Network outputs for the same trials.
    dt : float
        Milliseconds per step (``task.dt``), for the time axis.
    n_per_condition : int
        Trials drawn (overlaid) per condition.
    axes : array of matplotlib Axes, shape (2, n_columns), optional
        Where to draw; by default a new figure is made. ``n_columns`` is the number of
        conditions shown (at most `max_conditions`).
    max_conditions : int
        At most this many conditions (evenly spaced among those present) are shown.

    Returns
    -------
    ndarray of matplotlib Axes, shape (2, n_columns)
    """
    import matplotlib.pyplot as plt

    x, y, mask = np.asarray(batch.x), np.asarray(batch.y), np.asarray(batch.mask)
    n_trials, n_steps, n_in = x.shape
    n_out = y.shape[2]
    cond = np.asarray(batch.info.get("condition", np.zeros(n_trials, dtype=int)))
    labels = np.unique(cond)
    if labels.size > max_conditions:
        labels = labels[np.unique(np.rint(np.linspace(0, labels.size - 1, max_conditions)).astype(int))]
    n_cols = labels.size

    if axes is None:
        _, axes = plt.subplots(
            2,
            n_cols,
            sharex=True,
            sharey="row",
            squeeze=False,
            figsize=(2.4 * n_cols + 0.8, 3.8),
            layout="constrained",
        )
    axes = np.asarray(axes, dtype=object).reshape(2, n_cols)
    t = np.arange(n_steps) * dt

    for col, c in enumerate(labels):
        trials = np.flatnonzero(cond == c)[:n_per_condition]
        ax_in, ax_out = axes[0, col], axes[1, col]
        judged = mask[trials[0]].max(axis=1) > 0  # (n_steps,)
        ax_out.fill_between(
            t, 0, 1, where=judged, step="mid", color="0.88", transform=ax_out.get_xaxis_transform(), label="mask > 0"
        )
        for k, i in enumerate(trials):
            first = k == 0
            for j in range(n_in):
                ax_in.plot(t, x[i, :, j], color=f"C{j}", lw=0.8, alpha=0.8, label=f"x{j}" if first else None)
            for j in range(n_out):
                ax_out.plot(t, y[i, :, j], color=f"C{j}", lw=1.2, ls="--", label=f"y{j}" if first else None)
                if z is not None:
                    zi = np.asarray(z)[i, :, j]
                    ax_out.plot(t, zi, color=f"C{j}", lw=1.0, label=f"z{j}" if first else None)
        title = f"condition {c}"
        desc = _trial_label(batch.info, trials[0])
        ax_in.set_title(title + ("\n" + desc if desc else ""), fontsize=7)
        ax_out.set_xlabel("time (ms)", fontsize=7)
        for ax in (ax_in, ax_out):
            ax.tick_params(labelsize=6)
    axes[0, 0].set_ylabel("inputs x", fontsize=7)
    axes[1, 0].set_ylabel("target y, output z", fontsize=7)
    for ax in axes[:, 0]:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=5, loc="upper left", frameon=False)
    return axes


# ---------------------------------------------------------------------------------------
# Training curves (issue 5)
# ---------------------------------------------------------------------------------------

__all__ += ["plot_loss_curve", "plot_accuracy_curve"]


def plot_loss_curve(history, *, ax=None, log=True):
    """Training loss per step and validation loss per evaluation.

    Parameters
    ----------
    history : mapping
        ``loss (n_steps,)`` and optionally ``eval_step (n_evals,)``, ``val_loss
        (n_evals,)`` (``TrainResult.history``).
    ax : matplotlib Axes, optional
    log : bool
        Logarithmic loss axis.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.0, 3.2), layout="constrained")
    loss = np.asarray(history["loss"], dtype=float)
    steps = np.arange(1, loss.size + 1)
    ax.plot(steps, loss, lw=0.6, color="C0", alpha=0.7, label="training batch")
    if "val_loss" in history and np.size(history["val_loss"]):
        ax.plot(np.asarray(history["eval_step"]), np.asarray(history["val_loss"]), "o-", ms=2.5,
                lw=1.0, color="C1", label="validation set")
    if log and np.any(loss > 0):
        ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7, frameon=False)
    return ax


def plot_accuracy_curve(history, *, criterion=None, ax=None):
    """Validation accuracy per evaluation, with the task's criterion as a dashed line.

    Parameters
    ----------
    history : mapping
        ``eval_step (n_evals,)`` and ``val_accuracy (n_evals,)``.
    criterion : float, optional
        Accuracy that counts as learned.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.0, 3.2), layout="constrained")
    ax.plot(np.asarray(history["eval_step"]), np.asarray(history["val_accuracy"]), "o-", ms=2.5,
            lw=1.0, color="C2", label="validation accuracy")
    if criterion is not None:
        ax.axhline(criterion, color="0.4", ls="--", lw=0.8, label=f"criterion {criterion:g}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return ax


# ---------------------------------------------------------------------------------------
# Analysis plots (purernn.analysis results in, axes out)
# ---------------------------------------------------------------------------------------

__all__ += [
    "plot_spectrum",
    "plot_spectra_before_after",
    "plot_spectra_overlay",
    "plot_weight_histograms",
    "plot_pca_trajectories",
    "plot_variance_explained",
    "plot_unit_traces",
    "plot_degradation",
    "plot_linearization",
]


def _new_axes(nrows: int = 1, ncols: int = 1, figsize=None):
    """A new figure's axes (only when the caller gave none)."""
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=figsize, layout="constrained")
    return axes


def _unit_circle(ax, **kw) -> None:
    t = np.linspace(0.0, 2.0 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color=kw.pop("color", "0.5"), lw=kw.pop("lw", 0.8), **kw)


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


# ---------------------------------------------------------------------------------------
# Study plots: many realizations per condition (purernn.report; arrays in, axes out)
# ---------------------------------------------------------------------------------------

__all__ += [
    "plot_eigenvalue_cloud",
    "plot_class_counts",
    "plot_metric_by_group",
    "plot_degradation_by_condition",
]


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
