"""Trials of ring tasks (Yang et al. 2019): inputs and targets as unit-by-time images."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_ring_trial", "plot_ring_trials"]

#: Image rows given to the single fixation unit, so that it is visible next to 32 ring units.
_FIX_ROWS = 4
#: Epoch names as written above the inputs.
_SHORT = {"fix1": "fix", "stim1": "stim 1", "delay1": "delay", "stim2": "stim 2", "delay2": "dly 2",
          "go1": "go"}


def _stack(parts):
    """Rows of an image: each part (n_units, n_steps) in turn, with a blank row between."""
    rows, ticks, pos = [], [], 0
    for name, a in parts:
        rows.append(a)
        ticks.append((pos + (a.shape[0] - 1) / 2, name))
        pos += a.shape[0]
        rows.append(np.full((1, a.shape[1]), np.nan))
        pos += 1
    return np.concatenate(rows[:-1]), ticks


def plot_ring_trial(x, y, mask=None, *, n_eachring, dt=1.0, z=None, epochs=None, title=None, axes=None,
                    vmax=1.2):
    """One trial of a ring task: its fixation and ring inputs, and its targets (and output).

    Parameters
    ----------
    x : ndarray, shape (n_steps, n_in)
        Inputs: fixation, ring 1, ring 2 (``n_eachring`` units each), then rule inputs
        (not drawn: the title names the rule).
    y : ndarray, shape (n_steps, 1 + n_eachring)
        Targets: fixation, then the response ring.
    mask : ndarray, shape (n_steps, n_out), optional
        Steps where the mask is 0 on every output are hatched on the target image.
    n_eachring : int
    dt : float
        Milliseconds per step.
    z : ndarray, shape (n_steps, n_out), optional
        Network outputs, drawn in a third image.
    epochs : dict of str -> (start, end), optional
        Epoch boundaries (steps), marked by dotted lines and named above the inputs.
    title : str, optional
    axes : sequence of 2 (3 with `z`) matplotlib Axes, optional
    vmax : float
        Top of the colour scale (stimulus strengths reach ~1.1; targets 0.85).

    Returns
    -------
    list of matplotlib Axes
    """
    import matplotlib.pyplot as plt

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n_steps = x.shape[0]
    n = n_eachring
    rows = 3 if z is not None else 2
    if axes is None:
        _, axes = plt.subplots(rows, 1, sharex=True, figsize=(3.2, 1.6 * rows), layout="constrained")
    axes = list(np.ravel(axes))
    extent_x = (-0.5 * dt, (n_steps - 0.5) * dt)
    fix_in = np.repeat(x[None, :, 0], _FIX_ROWS, axis=0)
    images = [("inputs", [("fix", fix_in), ("ring 1", x[:, 1:1 + n].T), ("ring 2", x[:, 1 + n:1 + 2 * n].T)]),
              ("target", [("fix", np.repeat(y[None, :, 0], _FIX_ROWS, axis=0)), ("ring", y[:, 1:].T)])]
    if z is not None:
        z = np.asarray(z, dtype=float)
        images.append(("output", [("fix", np.repeat(z[None, :, 0], _FIX_ROWS, axis=0)), ("ring", z[:, 1:].T)]))
    for ax, (label, parts) in zip(axes, images):
        img, ticks = _stack(parts)
        ax.imshow(img, aspect="auto", origin="upper", interpolation="nearest", cmap="viridis", vmin=0.0,
                  vmax=vmax, extent=(*extent_x, img.shape[0] - 0.5, -0.5))
        ax.set_yticks([t for t, _ in ticks], [name for _, name in ticks], fontsize=8)
        ax.set_ylabel(label, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        for start, end in (epochs or {}).values():
            if start > 0:
                ax.axvline((start - 0.5) * dt, color="w", lw=0.7, ls=":")
    if mask is not None:
        free = np.asarray(mask).max(axis=1) <= 0  # (n_steps,)
        t = np.arange(n_steps) * dt
        axes[1].fill_between(t, 0, 1, where=free, step="mid", transform=axes[1].get_xaxis_transform(),
                             facecolor="none", edgecolor="0.85", hatch="////", lw=0.0)
    if epochs:
        for name, (start, end) in epochs.items():
            if end > start >= 0 and end - start >= 0.09 * n_steps:  # room for the name
                axes[0].text((start + end) / 2 * dt, 1.0, _SHORT.get(name, name), fontsize=7, ha="center",
                             va="bottom", transform=axes[0].get_xaxis_transform())
    axes[-1].set_xlabel("time (ms)", fontsize=9)
    if title:
        axes[0].set_title(title, fontsize=11, pad=10 if epochs else 4)
    return axes


def plot_ring_trials(trials, *, n_eachring, dt=1.0, n_cols=5, fig=None):
    """A grid of ring-task trials, e.g. one per rule (:func:`plot_ring_trial` each).

    Parameters
    ----------
    trials : sequence of dict
        Each with ``x``, ``y`` (one trial each), and optionally ``mask``, ``epochs``,
        ``title`` and ``z`` (a network's outputs: a third image under each trial).
    n_eachring : int
    dt : float
    n_cols : int
        Trials per row of the grid.
    fig : matplotlib Figure, optional
        Drawn into (default: a new one sized for the grid).

    Returns
    -------
    ndarray of matplotlib Axes, shape (k * n_rows, n_cols)
        Inputs above targets (above outputs: k = 3) for each trial; unused cells are hidden.
    """
    import matplotlib.pyplot as plt

    n_rows = -(-len(trials) // n_cols)
    k = 3 if any(tr.get("z") is not None for tr in trials) else 2
    if fig is None:
        fig = plt.figure(figsize=(3.1 * n_cols, 1.65 * k * n_rows), layout="constrained")
    axes = fig.subplots(k * n_rows, n_cols, squeeze=False,
                        gridspec_kw={"height_ratios": [1.25, 1.0, 1.0][:k] * n_rows})
    for i in range(n_rows * n_cols):
        pair = axes[k * (i // n_cols):k * (i // n_cols) + k, i % n_cols]
        if i >= len(trials):
            for ax in pair:
                ax.set_visible(False)
            continue
        tr = trials[i]
        for ax in pair[1:]:
            ax.sharex(pair[0])
        plot_ring_trial(tr["x"], tr["y"], tr.get("mask"), n_eachring=n_eachring, dt=dt, epochs=tr.get("epochs"),
                        title=tr.get("title"), z=tr.get("z"), axes=pair)
        for ax in pair[:-1]:
            ax.tick_params(labelbottom=False)
    images = [im for ax in axes.flat if ax.get_visible() for im in ax.get_images()]
    if images:
        bar = fig.colorbar(images[0], ax=axes, shrink=0.4, aspect=30, pad=0.01)
        bar.set_label("input / target / output" if k == 3 else "input / target", fontsize=8)
        bar.ax.tick_params(labelsize=7)
    return axes
