"""Helpers shared by the plot modules (matplotlib imported only when a figure is made)."""

from __future__ import annotations

import numpy as np


def _new_axes(nrows: int = 1, ncols: int = 1, figsize=None):
    """A new figure's axes (only when the caller gave none)."""
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=figsize, layout="constrained")
    return axes


def _unit_circle(ax, **kw) -> None:
    t = np.linspace(0.0, 2.0 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color=kw.pop("color", "0.5"), lw=kw.pop("lw", 0.8), **kw)
