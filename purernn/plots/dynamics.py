"""Plots of a network's intrinsic dynamics: Lyapunov spectra and their convergence,
quantities over many realizations against a parameter (gain, structure strength), and
activity along a mode. Arrays (or results holding arrays) in, axes out."""

from __future__ import annotations

import numpy as np

from ._common import _new_axes

__all__ = ["plot_realizations", "plot_lyapunov_spectrum", "plot_lyapunov_convergence", "plot_mode_activity"]


def plot_realizations(x, values, ax=None, *, label=None, color=None, band="range", marker="o",
                      xlabel=None, ylabel=None, points=True):
    """A quantity over several realizations against a parameter: the mean and a band.

    Parameters
    ----------
    x : array_like, shape (n_x,)
        The parameter (e.g. the gain g).
    values : array_like, shape (n_x, n_realizations)
        One value per realization; nan where there is none (missing realizations are
        left out of that point's mean and band).
    ax : matplotlib Axes, optional
    label, color : legend label and color of this condition.
    band : {"range", "sd", None}
        Shade between the smallest and largest realization, or mean +/- one standard
        deviation, or nothing.
    marker : str
        Marker of the mean.
    xlabel, ylabel : str, optional
    points : bool
        Also draw every realization as a small dot.

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(4.2, 3.0))[0, 0]
    x = np.asarray(x, dtype=float)
    v = np.asarray(values, dtype=float).reshape(x.size, -1)
    has = np.any(np.isfinite(v), axis=1)
    x, v = x[has], v[has]
    if x.size == 0:
        return ax
    mean = np.nanmean(v, axis=1)
    line, = ax.plot(x, mean, marker=marker, ms=3.5, lw=1.2, color=color, label=label)
    color = line.get_color()
    if band == "range":
        ax.fill_between(x, np.nanmin(v, axis=1), np.nanmax(v, axis=1), color=color, alpha=0.2, lw=0)
    elif band == "sd":
        sd = np.nanstd(v, axis=1)
        ax.fill_between(x, mean - sd, mean + sd, color=color, alpha=0.2, lw=0)
    if points:
        xx = np.broadcast_to(x[:, None], v.shape)
        ax.scatter(xx.ravel(), v.ravel(), s=5, color=color, alpha=0.6, lw=0)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    return ax


def plot_lyapunov_spectrum(spectra, ax=None, *, labels=None, per="tau", relative_index=True, colors=None):
    """Lyapunov spectra: exponent against its index (optionally over n_rec).

    Parameters
    ----------
    spectra : sequence of purernn.analysis.LyapunovSpectrum
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
    per : {"tau", "step"}
        Units of the exponents.
    relative_index : bool
        Plot against ``i / n_rec`` (spectra of networks of different sizes then overlay
        when the number of positive exponents, and the attractor dimension, grow with
        n_rec).
    colors : sequence of colors, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(4.2, 3.0))[0, 0]
    ax.axhline(0.0, color="0.6", lw=0.6)
    for j, s in enumerate(spectra):
        lam = s.exponents_tau if per == "tau" else s.exponents
        i = np.arange(1, lam.size + 1, dtype=float)
        if relative_index:
            i = i / s.n_rec
        ax.plot(i, lam, lw=1.1, color=None if colors is None else colors[j],
                label=None if labels is None else labels[j])
    ax.set_xlabel("i / n_rec" if relative_index else "index i")
    ax.set_ylabel("exponent lambda_i (1/tau)" if per == "tau" else "exponent lambda_i (1/step)")
    if labels is not None:
        ax.legend(fontsize=7, frameon=False)
    return ax


def plot_lyapunov_convergence(spec, ax=None, *, n_show: int = 3, per="tau"):
    """The running estimate of the leading exponents at the end of each segment, with the
    final value and its standard error (shaded).

    Parameters
    ----------
    spec : purernn.analysis.LyapunovSpectrum
    ax : matplotlib Axes, optional
    n_show : int
        How many of the leading exponents.
    per : {"tau", "step"}

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(4.2, 3.0))[0, 0]
    scale = 1.0 / spec.alpha if per == "tau" else 1.0
    t = np.cumsum(spec.block_steps) * (spec.alpha if per == "tau" else 1.0)
    run = spec.running * scale
    for i in range(min(n_show, spec.n_exponents)):
        line, = ax.plot(t, run[:, i], marker="o", ms=3, lw=1.0, label=f"lambda_{i + 1}")
        e, se = spec.exponents[i] * scale, spec.stderr[i] * scale
        if np.isfinite(se):
            ax.axhspan(e - se, e + se, color=line.get_color(), alpha=0.15, lw=0)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlabel("averaging time (tau)" if per == "tau" else "averaging time (steps)")
    ax.set_ylabel("running estimate (1/tau)" if per == "tau" else "running estimate (1/step)")
    ax.legend(fontsize=7, frameon=False)
    return ax


def plot_mode_activity(t, a, mode, ax=None, *, n_units: int = 6, title=None, ylabel="pre-activation a"):
    """A few units' activity and the activity along a mode, over time.

    Parameters
    ----------
    t : array_like, shape (n_steps,)
        Times (e.g. in units of tau).
    a : array_like, shape (n_steps, n_rec)
        Activity of every unit.
    mode : array_like, shape (n_rec,)
        The mode; its coefficient ``mode . a / |mode|^2`` (for the uniform mode, the mean
        over units) is drawn in black.
    ax : matplotlib Axes, optional
    n_units : int
        Units drawn (the first ones), thin and colored.
    title, ylabel : str, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(5.0, 2.6))[0, 0]
    t = np.asarray(t, dtype=float)
    a = np.asarray(a, dtype=float)
    mode = np.asarray(mode, dtype=float)
    for i in range(min(n_units, a.shape[1])):
        ax.plot(t, a[:, i], lw=0.6, alpha=0.7)
    ax.plot(t, a @ mode / (mode @ mode), color="k", lw=1.6, label="along the mode")
    ax.set_xlabel("time (tau)")
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    return ax
