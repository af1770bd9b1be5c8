"""One call that runs every analysis that applies to a network and writes its figures.

:func:`analyze_network` is what ``purernn analyze RUN_DIR`` (and ``FILE.hdf5``) calls.
It knows the task: the network is linearized where it rests under the task's baseline
input (and at each of its stable fixed points), conditions carry the task's names,
decision tasks get their psychometric curve, and every figure names the run and the task.
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
from .activity import activity, pca
from .degradation import FINE_FRACTIONS, degradation
from .fixed_points import _one_blas_thread, find_fixed_points
from .linearize import free_response, linearize
from .lowrank import connectivity_overlaps
from .psychometric import has_psychometric, psychometric
from .resting import resting_state
from .spectrum import spectrum
from .weights import nonnormality, weight_change, weight_stats

__all__ = ["analyze_network", "baseline_input"]

logger = logging.getLogger(__name__)

#: Stable fixed points linearized one by one (the rest are summarized by their count).
MAX_LINEARIZED = 16


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


def _modes(lin, dt) -> dict:
    """The slowest mode and the dominant oscillation of a linearization, in ms with a task."""
    mod = np.abs(lin.eigenvalues)
    slow = float(np.max(mod))
    with np.errstate(divide="ignore"):
        tau = -1.0 / np.log(slow) if slow != 1.0 else np.inf
    out = {"max_modulus": slow, "slowest_time_constant_steps": float(tau) if np.isfinite(tau) else None,
           "dominant_frequency_per_step": (float(lin.dominant_frequency)
                                           if np.isfinite(lin.dominant_frequency) else None),
           "stable": bool(lin.stable)}
    if dt is not None:
        out["slowest_time_constant_ms"] = float(tau * dt) if np.isfinite(tau) else None
        f = lin.dominant_frequency
        out["dominant_frequency_hz"] = float(f * 1000.0 / dt) if np.isfinite(f) else None
    return out


def _cost(net, n_steps: int) -> float:
    """Work of one simulated trial, relative to a 50-unit, 200-step one."""
    return net.n_rec**2 * n_steps / (50.0**2 * 200.0)


def analyze_network(net, task=None, *, net_before=None, out_dir, rng=0, quick: bool = False,
                    summary_path=None, x=None, fig_format: str = "png", dpi: int = DPI, label=None,
                    progress: bool = False, figures: bool = True) -> dict:
    """Run every analysis that applies to `net`, write its figures, return the numbers.

    Parameters
    ----------
    net : Network
        The network to study (e.g. the trained one).
    task : purernn.tasks.Task, optional
        Enables the analyses that need trials: accuracy, activity (PCA, trajectories,
        unit traces), the psychometric curve of a decision task and degradation; fixed
        points then start from task trajectories and use the task's resting input
        (``task.resting_input()``, else :func:`baseline_input`); times are then in ms (the
        task's ``dt``).
    net_before : Network, optional
        The same network before training: spectra and weights before/after, weight change.
    out_dir : str or path-like
        Folder for the figures (created).
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
    label : str, optional
        The network's name on every figure (e.g. the run directory or the file name).
    progress : bool
        Show a tqdm bar over the stages, and one inside each long stage (fixed points,
        degradation).
    figures : bool
        Write the figures (False: the numbers only, much faster for many networks).

    Returns
    -------
    dict
        JSON-serializable summary: ``network``, ``spectrum`` (and ``spectrum_before``),
        ``nonnormality``, ``weights`` (moments by group), ``weight_change``,
        ``connectivity_overlaps`` (and ``_before``) for a low-rank network
        (:func:`purernn.analysis.connectivity_overlaps` of its factors U, V),
        ``resting_state``, ``linearization`` (at the resting state: predicted and
        measured frequency), ``fixed_points`` (with ``linearized``: the modes of each
        stable point), and with a task ``accuracy``, ``pca``, ``degradation`` and, for a
        decision task, ``psychometric``; ``figures`` (file names written) and ``timing``
        (seconds per stage).

    Notes
    -----
    Figures: ``spectrum.png``, ``weights.png``, ``linearization.png``,
    ``fixed_points.png`` (when any is found: in state space and in output space); with a
    task ``pca_variance.png``, ``pca_trajectories.png`` (noise-free trials, one per
    condition, fixed points overlaid), ``unit_traces.png`` (one panel per condition),
    ``degradation.png`` (0.5% to 50% of units or connections removed, several draws) and
    ``psychometric.png`` for decision tasks. The linearization is at the resting state
    (:func:`purernn.analysis.resting_state`: where the noise-free network settles from
    the origin under the resting input), and the measured frequency is that of the free
    activity after a small kick from that same state.

    BLAS runs on one thread during the analysis (with threadpoolctl, when installed),
    and the fixed-point search runs one thread per core instead: the products and
    factorizations here are small (n_rec up to a few hundred), and two BLAS threads on a
    loaded 2-core machine made one 400-unit simulation 10 times slower (3.0 s against
    0.27 s).
    """
    with _one_blas_thread():
        return _analyze(net, task, net_before=net_before, out_dir=out_dir, rng=rng, quick=quick,
                        summary_path=summary_path, x=x, fig_format=fig_format, dpi=dpi, label=label,
                        progress=progress, draw=figures)


def _analyze(net, task, *, net_before, out_dir, rng, quick, summary_path, x, fig_format, dpi, label,
             progress, draw) -> dict:
    from tqdm.auto import tqdm

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
    seeds = gen.integers(0, 2**62, size=10)
    timing: dict = {}
    figures: list = []
    save = functools.partial(_save, fmt=fig_format, dpi=dpi)
    summary: dict = {"network": net.config.to_dict()}
    dt = float(task.dt) if task is not None else None
    name = label or "network"
    if task is not None:
        preset = getattr(task, "preset", "default")
        title = f"{name} | task {task.name}" + (f" (preset {preset})" if preset != "default" else "")
    else:
        title = f"{name} | no task"
    summary["title"] = title

    def figure(size):
        fig = _figure(size)
        fig.suptitle(title, fontsize=9)
        return fig

    stages = ["spectrum and weights", "fixed points", "linearization", "figures"]
    if task is not None:
        stages[1:1] = ["trials and activity"]
        if has_psychometric(task):
            stages.append("psychometric")
        stages.append("degradation")
    bar = tqdm(total=len(stages), disable=not progress, desc="analyze", unit="stage", dynamic_ncols=True)
    tic = time.perf_counter()

    def lap(stage):
        nonlocal tic
        now = time.perf_counter()
        timing[stage.replace(" ", "_")] = round(now - tic, 3)
        tic = now
        bar.update(1)

    def start(stage):
        bar.set_postfix_str(stage)

    # -- spectra, weights, non-normality ------------------------------------------------
    start("spectrum and weights")
    W = net.params["W_rec"]
    spec = spectrum(W)
    summary["spectrum"] = spec.to_dict()
    summary["nonnormality"] = nonnormality(W).to_dict()
    if net_before is not None:
        spec0 = spectrum(net_before.params["W_rec"])
        summary["spectrum_before"] = spec0.to_dict()
        summary["nonnormality_before"] = nonnormality(net_before.params["W_rec"]).to_dict()
        if draw:
            fig = figure((10.0, 4.2))
            plots.plot_spectra_before_after(spec0, spec, axes=fig.subplots(1, 2))
            save(fig, out_dir, "spectrum.png", figures)
    elif draw:
        fig = figure((6.0, 4.0))
        plots.plot_spectrum(spec, fig.subplots(), title=f"eigenvalues of W_rec (radius {spec.radius:.3g})")
        save(fig, out_dir, "spectrum.png", figures)

    stats = weight_stats(net)
    summary["weights"] = stats.to_dict()
    stats0 = None
    if net_before is not None:
        stats0 = weight_stats(net_before)
        summary["weights_before"] = stats0.to_dict()
        summary["weight_change"] = weight_change(net_before, net).to_dict()
    if net.factors is not None:  # rank r: its connectivity vectors against the inputs and readouts
        summary["connectivity_overlaps"] = connectivity_overlaps(net).to_dict()
        if net_before is not None and net_before.factors is not None:
            summary["connectivity_overlaps_before"] = connectivity_overlaps(net_before).to_dict()
    n_groups = sum(k in stats.values for k in ("W_in", "W_rec", "W_rec_E", "W_rec_I", "W_out"))
    if draw:
        fig = figure((2.7 * n_groups + (1.4 if net_before is not None else 0.0), 3.2))
        plots.plot_weight_histograms(stats, stats0, axes=fig.subplots(1, n_groups, squeeze=False)[0])
        save(fig, out_dir, "weights.png", figures)
    lap("spectrum and weights")

    # -- trials ---------------------------------------------------------------------------
    batch = act = clean = labels = None
    if task is not None:
        start("trials and activity")
        batch = task.sample(32 if quick else 128, rng=np.random.default_rng(seeds[0]))
        act = activity(net, batch, n_components=3, rng=np.random.default_rng(seeds[1]))
        summary["accuracy"] = float(np.mean(task.score(act.z.astype(batch.y.dtype, copy=False), batch)))
        summary["pca"] = act.pca.to_dict()
        # the figures use noise-free trials (input noise off, recurrent noise off), so the
        # principal axes show the task's structure, not the noise
        quiet = net.replace(sigma_rec=0.0) if net.config.sigma_rec > 0 else net
        clean_task = task.without_noise() if hasattr(task, "without_noise") else task
        clean = clean_task.sample(48 if quick else 96, rng=np.random.default_rng(seeds[2]))
        clean_act = activity(quiet, clean, n_components=3)
        summary["pca_noise_free"] = clean_act.pca.to_dict()
        labels = task.condition_labels(clean) if hasattr(task, "condition_labels") else None
        lap("trials and activity")
    if x is None and task is not None and hasattr(task, "resting_input"):
        x = task.resting_input()
    if x is None:
        x = baseline_input(batch) if batch is not None else np.zeros(net.n_in)
    x = np.asarray(x, dtype=np.float64)
    summary["input_for_fixed_points"] = x

    # -- fixed points ---------------------------------------------------------------------
    start("fixed points")
    n_init = 64 if quick else (256 if net.n_rec < 200 else 128)
    fp_rng = np.random.default_rng(seeds[3])
    init = None
    if act is not None:
        # the end of each trial (where a memory network holds its answer), and states
        # drawn along the trajectories (which pass near the saddles between memories)
        ends = act.h[:, -1][: n_init // 2]
        along = act.h.reshape(-1, net.n_rec)
        along = along[fp_rng.choice(along.shape[0], size=min(n_init - ends.shape[0], along.shape[0]), replace=False)]
        init = np.concatenate([ends, along], axis=0)
    fps = find_fixed_points(net, x, initial_states=init, n_init=n_init, rng=fp_rng, progress=progress)
    summary["fixed_points"] = fps.to_dict()
    z_fp = fps.h @ net.params["W_out"].T.astype(np.float64) + net.params["b_out"]  # (n_fp, n_out)
    for point, z in zip(summary["fixed_points"]["points"], z_fp):
        point["output"] = [float(v) for v in z]
    lap("fixed points")

    # -- linearization where the network rests, and at each stable fixed point ---------------
    start("linearization")
    rest = resting_state(net, x)
    summary["resting_state"] = rest.to_dict()
    lin = linearize(net, rest.h, x)
    resp = free_response(net, rest.h, x, n_steps=1024 if quick else 4096, pulse=0.1,
                         rng=np.random.default_rng(seeds[4]))
    lin_summary = lin.to_dict()
    lin_summary.update(resp.to_dict())
    lin_summary.update(_modes(lin, dt))
    # what the free run of the map follows in the end: the mode of largest |mu| (a real
    # one included: a real mu < 0 flips the state every step, 0.5 cycles per step)
    f_lead = float(lin.frequency[int(np.argmax(np.abs(lin.eigenvalues)))])
    lin_summary["largest_modulus_frequency"] = float(f_lead) if np.isfinite(f_lead) else None
    if dt is not None:
        for key, f in (("measured_frequency_hz", resp.frequency), ("largest_modulus_frequency_hz", f_lead)):
            lin_summary[key] = float(f * 1000.0 / dt) if np.isfinite(f) else None
    lin_summary["at"] = "resting state" + ("" if rest.is_fixed_point else " (not a fixed point: q > tol)")
    lin_summary["note"] = ("frequency = arg(mu)/(2 pi) cycles per step (exact for the Euler map) of the "
                           "dominant mode (largest real part in continuous time); Im/(2 pi Re) is its "
                           "small-angle form; largest_modulus_frequency: the mode of largest |mu| (real or "
                           "complex), which the free run of the map follows; measured = FFT peak of the free activity "
                           "after a kick of 0.1 from the same resting state (compare it with "
                           "largest_modulus_frequency; nonlinear when that state is unstable).")
    summary["linearization"] = lin_summary
    stable_idx = np.flatnonzero(fps.stable)[:MAX_LINEARIZED]
    summary["fixed_points"]["linearized"] = [
        {"index": int(i), **_modes(linearize(net, fps.h[i], x, eigenvalues=fps.eigenvalues[i]), dt)}
        for i in stable_idx
    ]
    lap("linearization")

    # -- figures --------------------------------------------------------------------------
    start("figures")
    if draw:
        where = "the resting state" + ("" if rest.is_fixed_point else " (slow point)")
        where += " (stable)" if lin.stable else f" ({int(np.sum(np.abs(lin.eigenvalues) > 1))} unstable modes)"
        n_lin = 3 if stable_idx.size else 2
        fig = figure((5.0 * n_lin, 4.8))
        axes = fig.subplots(1, n_lin)
        plots.plot_linearization(lin, resp, axes=axes[:2], dt=dt, where=where)
        if stable_idx.size:  # the modes of each memory: eigenvalues near 1 are its slow directions
            shown = stable_idx[:8]
            z_lab = [", ".join(f"{v:+.2f}" for v in z_fp[i]) for i in shown]
            plots.plot_spectra_overlay([fps.eigenvalues[i] for i in shown], axes[2],
                                       labels=[f"z = ({lab})" for lab in z_lab])
            axes[2].set_title(f"at the stable fixed points ({shown.size} of {int(fps.stable.sum())})", fontsize=9)
            axes[2].set_xlabel("Re")
            axes[2].set_ylabel("Im")
        save(fig, out_dir, "linearization.png", figures)
        readout = (net.params["W_out"], net.params["b_out"])
        if act is not None:
            fig = figure((5.6, 3.4))
            plots.plot_variance_explained(clean_act.pca.variance_explained, fig.subplots(),
                                          participation_ratio=clean_act.pca.participation_ratio)
            fig.axes[0].set_title(f"noise-free trials: participation ratio {clean_act.pca.participation_ratio:.2f}",
                                  fontsize=9)
            save(fig, out_dir, "pca_variance.png", figures)
            fig = figure((7.6, 4.6))
            fp_pcs = clean_act.pca.project(fps.h, clean_act.pcs.shape[2]) if fps.n_fp else None
            ax = plots.plot_pca_trajectories(clean_act.pcs, clean_act.condition, fig.subplots(), fixed_points=fp_pcs,
                                             fp_labels=fps.labels if fps.n_fp else None, labels=labels,
                                             max_trials_per_condition=2,
                                             dims=(0, 1) if clean_act.pcs.shape[2] > 1 else (0, 0))
            ax.set_title("noise-free trials (dot: start), fixed points at the resting input", fontsize=8)
            save(fig, out_dir, "pca_trajectories.png", figures)
            n_panels = min(4, np.unique(clean_act.condition).size)
            fig = figure((2.9 * n_panels + 1.3, 3.0))
            plots.plot_unit_traces(clean_act.h, condition=clean_act.condition, labels=labels, dt=dt,
                                   axes=fig.subplots(1, n_panels, sharey=True, squeeze=False)[0])
            save(fig, out_dir, "unit_traces.png", figures)
        if fps.n_fp:
            fig = figure((10.4, 4.8))
            traj = None
            p = clean_act.pca if act is not None else (pca(fps.h) if fps.n_fp > 1 and net.n_rec > 1 else None)
            if act is not None:
                traj = clean_act.h
            plots.plot_fixed_points(fps, pca=p, W_out=readout[0], b_out=readout[1], trajectories=traj,
                                    condition=clean_act.condition if act is not None else None, labels=labels,
                                    axes=fig.subplots(1, 2))
            fig.axes[0].set_title(f"{fps.n_fp} fixed point{'s' if fps.n_fp != 1 else ''} at x = "
                                  f"{np.round(x, 2).tolist()}", fontsize=9)
            save(fig, out_dir, "fixed_points.png", figures)
    lap("figures")

    # -- psychometric curve ----------------------------------------------------------------
    if task is not None and has_psychometric(task):
        start("psychometric")
        psy = psychometric(net, task, n_trials=400 if quick else 2000, rng=np.random.default_rng(seeds[5]))
        summary["psychometric"] = psy.to_dict()
        if draw:
            fig = figure((6.4, 4.6))
            plots.plot_psychometric(psy, fig.subplots())
            save(fig, out_dir, "psychometric.png", figures)
        lap("psychometric")

    # -- degradation ----------------------------------------------------------------------
    if task is not None:
        start("degradation")
        # the work grows as n_rec^2 n_steps: fewer trials and draws for large networks
        cost = _cost(net, batch.n_steps)
        n_deg = int(np.clip(64.0 / max(cost / 4.0, 1.0), 16, 64)) if not quick else min(32, batch.n_trials)
        n_draws = 2 if quick else (5 if cost <= 25 else 3)
        sub = batch.subset(slice(0, min(n_deg, batch.n_trials)))
        degs = [
            degradation(net, task, fractions=FINE_FRACTIONS, mode=mode, n_draws=n_draws, batch=sub,
                        rng=np.random.default_rng(seeds[6 + k]), progress=progress)
            for k, mode in enumerate(("units", "connections"))
        ]
        summary["degradation"] = {d.mode: d.to_dict() for d in degs}
        if draw:
            fig = figure((6.4, 4.6))
            ax = plots.plot_degradation(degs, fig.subplots())
            ax.set_title(f"{sub.n_trials} trials per lesion, intact accuracy {degs[0].baseline:.3f}", fontsize=9)
            save(fig, out_dir, "degradation.png", figures)
        lap("degradation")
    bar.close()

    summary["figures"] = figures
    summary["timing"] = timing
    summary = to_jsonable(summary)
    if summary_path is not None:
        write_json(summary_path, summary)
    logger.info("analysis written to %s (%d figures, %.1f s)", out_dir, len(figures), sum(timing.values()))
    return summary
