"""Plots of decision tasks: psychometric curves (:func:`purernn.analysis.psychometric`)."""

from __future__ import annotations

import numpy as np

from ._common import _new_axes
from .analysis import legend_outside

__all__ = ["plot_psychometric"]


def plot_psychometric(psy, ax=None, *, show_fit=True):
    """Psychometric curve(s): fraction of "+" choices against the signed stimulus, with
    Wilson 95% intervals, and the fitted logistic / probit curve with its 95% band.

    Parameters
    ----------
    psy : purernn.analysis.Psychometric
    ax : matplotlib Axes, optional
    show_fit : bool

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        ax = _new_axes(figsize=(5.4, 3.4))[0, 0]
    for k, c in enumerate(psy.curves):
        color = f"C{k}"
        lv = np.asarray(c.levels)
        ax.errorbar(lv, c.p, yerr=[c.p - c.p_low, c.p_high - c.p], fmt="o", ms=4, capsize=2, color=color,
                    label=f"{c.group}: choices (Wilson 95%)")
        if show_fit:
            s = np.linspace(lv.min(), lv.max(), 300)
            lo, hi = c.band(s)
            ax.fill_between(s, lo, hi, color=color, alpha=0.15, lw=0)
            sep = " (separated or alike: half-trial pseudo-counts)" if c.separated else ""
            ax.plot(s, c.curve(s), color=color, lw=1.2,
                    label=f"{c.group}: {c.model} fit, slope {c.slope:.3g}, bias {c.threshold:.3g}{sep}")
    ax.axhline(0.5, color="0.7", lw=0.6, ls=":")
    ax.axvline(0.0, color="0.7", lw=0.6, ls=":")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(psy.variable)
    ax.set_ylabel('P(choice "+")')
    ax.set_title(f"psychometric curve, accuracy {psy.accuracy:.3f} ({psy.n_trials} trials)", fontsize=9)
    legend_outside(ax, where="below", ncol=1)
    return ax
