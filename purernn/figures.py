"""Figure files: new figures, atomic writes (PNG, PDF or SVG), and the figures of a training run.

:mod:`purernn.plots` draws on axes and never saves; this module makes the figures
(``matplotlib.figure.Figure``, no pyplot state, so it works without a display and in
worker processes) and writes them, each with the atomic write of
:func:`purernn._files.write_bytes`.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from . import plots
from ._files import write_bytes
from ._validate import as_generator, check_choice, check_int
from .runs import FIGURES_DIR, load_run
from .simulation import simulate

__all__ = ["DPI", "FORMATS", "new_figure", "save_figure", "save_png", "trials_figure", "task_figure",
           "write_figures"]

#: Resolution of every PNG purernn writes unless told otherwise (dots per inch).
DPI = 120
#: File formats of figures: raster PNG, or vector PDF and SVG (the resolution then only
#: matters for embedded images).
FORMATS = ("png", "pdf", "svg")


def new_figure(figsize=(5.0, 3.2)):
    """A new constrained-layout ``Figure`` (not registered with pyplot)."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _render(fig, fmt: str, dpi: int) -> bytes:
    check_choice("fmt", fmt, FORMATS)
    dpi = check_int("dpi", dpi, lo=10, hi=2400)
    import matplotlib

    buf = io.BytesIO()
    # no creation date in PDF and SVG files, and fixed SVG ids, so that a figure drawn
    # again is the same file
    metadata = {"CreationDate": None} if fmt == "pdf" else {"Date": None} if fmt == "svg" else None
    with matplotlib.rc_context({"svg.hashsalt": "purernn"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return buf.getvalue()


def save_figure(fig, path, *, fmt: str | None = None, dpi: int = DPI) -> Path:
    """Write `fig` to `path` atomically (parent folders created); returns the path written.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        With `fmt` given, its suffix is replaced by ``"." + fmt``.
    fmt : {"png", "pdf", "svg"}, optional
        Default: the suffix of `path`.
    dpi : int
        Dots per inch (PNG; for PDF and SVG only embedded images).
    """
    path = Path(path)
    if fmt is None:
        fmt = path.suffix.lstrip(".").lower()
    else:
        path = path.with_suffix("." + fmt)
    return write_bytes(path, _render(fig, fmt, dpi))


def save_png(fig, path, *, dpi: int = DPI) -> Path:
    """Write `fig` as a PNG to `path` (as given, whatever its suffix) atomically."""
    return write_bytes(path, _render(fig, "png", dpi))


def trials_figure(batch, *, z=None, dt: float = 1.0, title: str = "", max_conditions: int = 8,
                  n_per_condition: int = 1, labels=None):
    """A figure of sample trials, one column per condition (:func:`purernn.plots.plot_trials`).

    Parameters
    ----------
    batch : Batch
    z : ndarray, shape (n_trials, n_steps, n_out), optional
        Network outputs for the same trials.
    dt : float
        Milliseconds per step.
    title : str
    max_conditions, n_per_condition : int
    labels : dict of int -> str, optional
        Column titles, one per condition (``task.condition_labels(batch)``; default
        ``"condition k"`` and a description from ``batch.info``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    cond = np.asarray(batch.info.get("condition", np.zeros(batch.n_trials, dtype=int)))
    n_cols = min(np.unique(cond).size, max_conditions)
    fig = new_figure(figsize=(2.4 * n_cols + 0.8, 3.8))
    axes = fig.subplots(2, n_cols, sharex=True, sharey="row", squeeze=False)
    plots.plot_trials(batch, z=z, dt=dt, axes=axes, max_conditions=max_conditions,
                      n_per_condition=n_per_condition, labels=labels)
    if title:
        fig.suptitle(title, fontsize=8)
    return fig


def _condition_labels(task, batch):
    """The task's names of the conditions in `batch` (``task.condition_labels``), or None
    for a task without them (a user task that does not define it)."""
    names = getattr(task, "condition_labels", None)
    return names(batch) if callable(names) else None


def task_figure(task, *, rng=0, n_trials: int = 200):
    """Sample trials of `task` (``purernn tasks NAME --out``): one per condition
    (:func:`trials_figure`), or, for a task with ``example_trials`` (the ring tasks of
    Yang et al. 2019), one per rule as unit-by-time images (:func:`purernn.plots.plot_ring_trials`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = f"{task.name}: {task.summary}"
    if not hasattr(task, "example_trials"):
        batch = task.sample(n_trials, rng=rng)
        return trials_figure(batch, dt=task.dt, title=title, labels=_condition_labels(task, batch))
    return _ring_figure(task, task.example_trials(rng=rng), title)


def _ring_figure(task, trials, title):
    """One trial per rule of a ring task as unit-by-time images (with outputs if given)."""
    n_cols = min(len(trials), 5)
    n_rows = -(-len(trials) // n_cols)
    k = 3 if trials and trials[0].get("z") is not None else 2
    fig = new_figure(figsize=(max(3.1 * n_cols, 4.2), 1.65 * k * n_rows + 0.3))
    plots.plot_ring_trials(trials, n_eachring=task.n_eachring, dt=task.dt, n_cols=n_cols, fig=fig)
    fig.suptitle((title if n_cols == 5 else task.name) + " (hatched: mask 0)", fontsize=12 if n_cols == 5 else 9)
    return fig


def write_figures(path, result=None, *, n_trials: int = 200, rng=0, dpi: int = DPI) -> list:
    """Write the training figures of a run into ``path / "figures"``.

    ``loss.png`` (training loss per step, validation loss), ``accuracy.png`` (validation
    accuracy and the criterion) and ``trials.png`` (one sample trial per condition:
    input, target and the trained network's output).

    Parameters
    ----------
    path : str or path-like
        The run directory.
    result : TrainResult, optional
        Default: :func:`purernn.load_run` (`path`).
    n_trials : int
        Trials drawn to find one per condition.
    rng : numpy.random.Generator, int or None
        Draws the sample trials (and their recurrent noise).
    dpi : int

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    path = Path(path)
    result = load_run(path) if result is None else result
    out = path / FIGURES_DIR

    fig = new_figure()
    plots.plot_loss_curve(result.history, ax=fig.subplots())
    written = [save_png(fig, out / "loss.png", dpi=dpi)]
    fig = new_figure()
    plots.plot_accuracy_curve(result.history, criterion=result.target_accuracy, ax=fig.subplots())
    written.append(save_png(fig, out / "accuracy.png", dpi=dpi))

    gen = as_generator(rng)
    title = f"{result.task.name}: trained network (one trial per condition)"
    if hasattr(result.task, "example_trials"):  # ring tasks: one trial per rule, as images
        trials = result.task.example_trials(rng=gen)
        for tr in trials:
            tr["z"] = simulate(result.net, tr["x"][None], rng=gen).z[0]
        fig = _ring_figure(result.task, trials, title.replace("condition", "rule"))
    else:
        batch = result.task.sample(n_trials, gen)
        z = simulate(result.net, batch.x, rng=gen).z
        fig = trials_figure(batch, z=z, dt=result.task.dt, labels=_condition_labels(result.task, batch), title=title)
    written.append(save_png(fig, out / "trials.png", dpi=dpi))
    return written
