"""One call that runs every analysis that applies to a network and writes its figures.

:func:`analyze_network` is what ``purernn analyze RUN_DIR`` (and ``FILE.hdf5``) calls.
"""

from __future__ import annotations

import functools
import logging
import os
import time

import numpy as np

from .._files import to_jsonable, write_json
from .._validate import as_generator, check_array, check_choice, check_int, check_task, fail
from ..figures import new_figure as _figure
from ..figures import DPI, FORMATS, save_figure
from ._common import check_net
from .activity import activity
from .degradation import degradation
from .fixed_points import find_fixed_points
from .linearize import free_response, linearize
from .spectrum import spectrum
from .weights import nonnormality, weight_change, weight_stats

__all__ = ["analyze_network", "baseline_input"]

logger = logging.getLogger(__name__)


def baseline_input(batch, n_first: int = 10) -> np.ndarray:
    """The input at rest: per-channel median of ``batch.x`` over trials and the first
    `n_first` steps (before any pulse in most tasks; a context input is on from the
    start), rounded to a multiple of 0.05 so that input noise (a median error of about
    ``1.25 sigma / sqrt(n_trials n_first)``) does not move it. Shape (n_in,).

    The median over all steps would not do: pulses shift it (the flip-flop's is 0.01).
    """
    x = np.asarray(batch.x, dtype=np.float64)[:, :n_first]
    return np.round(20.0 * np.median(x.reshape(-1, x.shape[-1]), axis=0)) / 20.0 + 0.0


def _save(fig, out_dir: str, name: str, figures: list, *, fmt: str = "png", dpi: int = DPI) -> None:
    """Write `fig` as `name` with the suffix of `fmt` (png, pdf or svg)."""
    figures.append(save_figure(fig, os.path.join(out_dir, name), fmt=fmt, dpi=dpi).name)


def analyze_network(net, task=None, *, net_before=None, out_dir, rng=0, quick: bool = False,
                    summary_path=None, x=None, fig_format: str = "png", dpi: int = DPI) -> dict:
    """Run every analysis that applies to `net`, write its figures, return the numbers.

    Parameters
    ----------
    net : Network
        The network to study (e.g. the trained one).
    task : purernn.tasks.Task, optional
        Enables the analyses that need trials: accuracy, activity (PCA, trajectories,
        unit traces) and degradation; fixed points then start from task trajectories and
        use the task's resting input (:func:`baseline_input`).
    net_before : Network, optional
        The same network before training: spectra and weights before/after, weight change.
    out_dir : str or path-like
        Folder for the PNG figures (created).
    rng : numpy.random.Generator, int or None
        Seeds every random draw (trials, kicks, starting states, lesions).
    quick : bool
        Fewer trials, starting states and lesions (a smoke run).
    summary_path : str or path-like, optional
        Also write the summary there as JSON (atomically).
    x : array_like, shape (n_in,), optional
        Constant input for the fixed points and the linearization (default: the task's
        resting input, or 0).
    fig_format : {"png", "pdf", "svg"}
        File format of the figures (the names below get this suffix).
    dpi : int
        Resolution of the figures (dots per inch).

    Returns
    -------
    dict
        JSON-serializable summary: ``network``, ``spectrum`` (and ``spectrum_before``),
        ``nonnormality``, ``weights`` (moments by group), ``weight_change``,
        ``linearization`` (predicted and measured frequency), ``fixed_points``, and with a
        task ``accuracy``, ``pca``, ``degradation``; ``figures`` (file names written) and
        ``timing`` (seconds per part).

    Notes
    -----
    Figures: ``spectrum.png``, ``weights.png``, ``linearization.png`` always;
    ``fixed_points.png`` without a task (the fixed points in the plane of their own top
    two PCs); with a task ``pca_variance.png``, ``pca_trajectories.png`` (fixed points
    overlaid), ``unit_traces.png`` and ``degradation.png``.
    """
    from .. import plots

    net = check_net(net)
    if net_before is not None:
        net_before = check_net(net_before, "net_before")
        if net_before.params["W_rec"].shape != net.params["W_rec"].shape:
            fail("net_before", f"a network with n_rec = {net.n_rec}", net_before.n_rec)
    if task is not None:
        check_task(task, net=net)
    check_choice("fig_format", fig_format, FORMATS)
    check_int("dpi", dpi, lo=10, hi=2400)
    if x is not None:
        x = check_array("x", x, shape=(net.n_in,), names=("n_in",), dtype=np.float64)
    gen = as_generator(rng)
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)  # after the checks: a bad argument leaves no empty folder
    seeds = gen.integers(0, 2**62, size=8)
    timing: dict = {}
    figures: list = []
    save = functools.partial(_save, fmt=fig_format, dpi=dpi)
    summary: dict = {"network": net.config.to_dict()}
    tic = time.perf_counter()

    def lap(name):
        nonlocal tic
        now = time.perf_counter()
        timing[name] = round(now - tic, 3)
        tic = now

    # -- spectra, weights, non-normality ------------------------------------------------
    W = net.params["W_rec"]
    spec = spectrum(W)
    summary["spectrum"] = spec.to_dict()
    summary["nonnormality"] = nonnormality(W).to_dict()
    fig = _figure((7.2, 3.6) if net_before is not None else (3.8, 3.8))
    if net_before is not None:
        spec0 = spectrum(net_before.params["W_rec"])
        summary["spectrum_before"] = spec0.to_dict()
        summary["nonnormality_before"] = nonnormality(net_before.params["W_rec"]).to_dict()
        plots.plot_spectra_before_after(spec0, spec, axes=fig.subplots(1, 2))
    else:
        plots.plot_spectrum(spec, fig.subplots(), title=f"W_rec (radius {spec.radius:.3g})")
    save(fig, out_dir, "spectrum.png", figures)

    stats = weight_stats(net)
    summary["weights"] = stats.to_dict()
    stats0 = None
    if net_before is not None:
        stats0 = weight_stats(net_before)
        summary["weights_before"] = stats0.to_dict()
        summary["weight_change"] = weight_change(net_before, net).to_dict()
    n_groups = sum(k in stats.values for k in ("W_in", "W_rec", "W_rec_E", "W_rec_I", "W_out"))
    fig = _figure((2.6 * n_groups, 2.8))
    plots.plot_weight_histograms(stats, stats0, axes=fig.subplots(1, n_groups, squeeze=False)[0])
    save(fig, out_dir, "weights.png", figures)
    lap("spectrum_weights")

    # -- trials ---------------------------------------------------------------------------
    batch = act = None
    if task is not None:
        batch = task.sample(32 if quick else 128, rng=np.random.default_rng(seeds[0]))
        act = activity(net, batch, n_components=3, rng=np.random.default_rng(seeds[1]))
        summary["accuracy"] = float(np.mean(task.score(act.z.astype(batch.y.dtype, copy=False), batch)))
        summary["pca"] = act.pca.to_dict()
        lap("activity")
    if x is None:
        x = baseline_input(batch) if batch is not None else np.zeros(net.n_in)
    x = np.asarray(x, dtype=np.float64)
    summary["input_for_fixed_points"] = x

    # -- linearization at the origin, against the measured free activity --------------------
    lin = linearize(net, None, x)
    resp = free_response(net, None, x, n_steps=1024 if quick else 4096, pulse=0.1,
                         rng=np.random.default_rng(seeds[2]))
    lin_summary = lin.to_dict()
    lin_summary.update(resp.to_dict())
    lin_summary["note"] = ("frequency = arg(mu)/(2 pi) cycles per step (exact for the Euler map); "
                           "Im/(2 pi Re) is its small-angle form and diverges as Re(mu) -> 0; "
                           "measured = FFT peak of the free activity after a kick of 0.1 from "
                           "the origin (nonlinear, so it differs when the origin is unstable).")
    summary["linearization"] = lin_summary
    fig = _figure((7.2, 3.4))
    plots.plot_linearization(lin, resp, axes=fig.subplots(1, 2))
    save(fig, out_dir, "linearization.png", figures)
    lap("linearization")

    # -- fixed points ---------------------------------------------------------------------
    n_init = 64 if quick else 256
    init = act.h if act is not None else None
    fps = find_fixed_points(net, x, initial_states=init, n_init=n_init, rng=np.random.default_rng(seeds[3]))
    summary["fixed_points"] = fps.to_dict()
    lap("fixed_points")

    # -- activity figures -----------------------------------------------------------------
    if act is not None:
        fig = _figure((3.8, 3.2))
        plots.plot_variance_explained(act.pca.variance_explained, fig.subplots(),
                                      participation_ratio=act.pca.participation_ratio)
        save(fig, out_dir, "pca_variance.png", figures)
        fig = _figure((4.4, 4.0))
        fp_pcs = act.pca.project(fps.h, act.pcs.shape[2]) if fps.n_fp else None
        plots.plot_pca_trajectories(act.pcs, act.condition, fig.subplots(), fixed_points=fp_pcs,
                                    stable=fps.stable if fps.n_fp else None,
                                    dims=(0, 1) if act.pcs.shape[2] > 1 else (0, 0))
        save(fig, out_dir, "pca_trajectories.png", figures)
        fig = _figure((6.0, 3.2))
        plots.plot_unit_traces(act.h, fig.subplots(), condition=act.condition, dt=float(getattr(task, "dt", 1.0)))
        save(fig, out_dir, "unit_traces.png", figures)
    elif fps.n_fp:
        from .activity import pca

        fig = _figure((4.0, 3.6))
        ax = fig.subplots()
        if fps.n_fp > 1 and net.n_rec > 1:
            p = pca(fps.h)
            coords = p.project(fps.h, 2)
            ax.set_xlabel("PC 1 of the fixed points")
            ax.set_ylabel("PC 2")
        else:
            coords = fps.h[:, :2] if net.n_rec > 1 else np.column_stack([fps.h[:, 0], 0 * fps.h[:, 0]])
            ax.set_xlabel("h_1")
            ax.set_ylabel("h_2")
        for lab, marker, color in (("stable", "o", "k"), ("saddle", "x", "C3"), ("unstable", "s", "C1"),
                                   ("marginal", "d", "C0")):
            sel = np.array([lb == lab for lb in fps.labels])
            if sel.any():
                ax.scatter(coords[sel, 0], coords[sel, 1], marker=marker, color=color, label=lab)
        ax.legend(fontsize=6, frameon=False)
        ax.set_title(f"{fps.n_fp} fixed points at x = {np.round(x, 2).tolist()}", fontsize=8)
        save(fig, out_dir, "fixed_points.png", figures)
    lap("activity_figures")

    # -- degradation ----------------------------------------------------------------------
    if task is not None:
        # 64 trials and 4 draws per fraction: the part that dominates the run time
        fr = (0.0, 0.2, 0.5) if quick else (0.0, 0.1, 0.2, 0.3, 0.5)
        n_draws = 2 if quick else 4
        sub = batch.subset(slice(0, 64))
        degs = [
            degradation(net, task, fractions=fr, mode=mode, n_draws=n_draws, batch=sub,
                        rng=np.random.default_rng(seeds[4 + k]))
            for k, mode in enumerate(("units", "connections"))
        ]
        summary["degradation"] = {d.mode: d.to_dict() for d in degs}
        fig = _figure((3.8, 3.2))
        plots.plot_degradation(degs, fig.subplots())
        save(fig, out_dir, "degradation.png", figures)
        lap("degradation")

    summary["figures"] = figures
    summary["timing"] = timing
    summary = to_jsonable(summary)
    if summary_path is not None:
        write_json(summary_path, summary)
    logger.info("analysis written to %s (%d figures, %.1f s)", out_dir, len(figures), sum(timing.values()))
    return summary
