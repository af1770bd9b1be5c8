"""Task trials and training curves: arrays in, axes out."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_trials", "plot_loss_curve", "plot_accuracy_curve"]


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


def plot_trials(batch, *, z=None, dt=1.0, n_per_condition=1, axes=None, max_conditions=8, labels=None,
                input_names=None, output_names=None):
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
    labels : dict of int -> str, optional
        Condition names for the column titles (``task.condition_labels(batch)``); default:
        ``"condition k"`` and a description from ``batch.info``.
    input_names, output_names : sequence of str, optional
        Legend names of the input and output channels (default ``x0, x1, ...``, ``y0``).

    Returns
    -------
    ndarray of matplotlib Axes, shape (2, n_columns)
    """
    import matplotlib.pyplot as plt

    x, y, mask = np.asarray(batch.x), np.asarray(batch.y), np.asarray(batch.mask)
    n_trials, n_steps, n_in = x.shape
    n_out = y.shape[2]
    cond = np.asarray(batch.info.get("condition", np.zeros(n_trials, dtype=int)))
    shown = np.unique(cond)
    if shown.size > max_conditions:
        shown = shown[np.unique(np.rint(np.linspace(0, shown.size - 1, max_conditions)).astype(int))]
    n_cols = shown.size

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

    for col, c in enumerate(shown):
        trials = np.flatnonzero(cond == c)[:n_per_condition]
        ax_in, ax_out = axes[0, col], axes[1, col]
        judged = mask[trials[0]].max(axis=1) > 0  # (n_steps,)
        ax_out.fill_between(
            t, 0, 1, where=judged, step="mid", color="0.88", transform=ax_out.get_xaxis_transform(), label="mask > 0"
        )
        for k, i in enumerate(trials):
            first = k == 0
            for j in range(n_in):
                name = input_names[j] if input_names is not None else f"x{j}"
                ax_in.plot(t, x[i, :, j], color=f"C{j}", lw=0.8, alpha=0.8, label=name if first else None)
            for j in range(n_out):
                name = output_names[j] if output_names is not None else f"{j}"
                ax_out.plot(t, y[i, :, j], color=f"C{j}", lw=1.2, ls="--", label=f"target y{name}" if first else None)
                if z is not None:
                    zi = np.asarray(z)[i, :, j]
                    ax_out.plot(t, zi, color=f"C{j}", lw=1.0, label=f"output z{name}" if first else None)
        if labels is not None and int(c) in labels:
            ax_in.set_title(labels[int(c)], fontsize=8)
        else:
            desc = _trial_label(batch.info, trials[0])
            ax_in.set_title(f"condition {c}" + ("\n" + desc if desc else ""), fontsize=7)
        ax_out.set_xlabel("time (ms)", fontsize=8)
        for ax in (ax_in, ax_out):
            ax.tick_params(labelsize=7)
    axes[0, 0].set_ylabel("inputs x", fontsize=8)
    axes[1, 0].set_ylabel("target y, output z", fontsize=8)
    for ax in axes[:, -1]:  # legends to the right of the last column, off the data
        if ax.get_legend_handles_labels()[0]:
            ax.legend(*_first_labels(axes, ax), fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                      borderaxespad=0.0, frameon=False)
    return axes


def _first_labels(axes, ax):
    """The legend entries of the row of `ax`, from its first column (where they were set)."""
    row = [r for r in axes if ax in list(r)][0]
    return row[0].get_legend_handles_labels()


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
