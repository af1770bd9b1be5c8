"""Selection and integration in networks trained on the context-dependent decision
(Mante, Sussillo, Shenoy & Newsome 2013, Nature 503:78).

Trains several `context_dm` networks (the task's default network and training, seeds
0..N-1; the full study trains 1000 steps, the quick one stops at the criterion),
then for each one: targeted dimensionality reduction (choice, motion, colour, context
axes), trajectories on the axes per context and coherence (their Fig. 2/5), the fixed and
slow points under each context cue with no evidence, how line-like they are and how they
lie along the choice axis, the slowest mode's eigenvalues and right and left eigenvectors,
and the selection vector against the relevant and irrelevant input directions (their
Fig. 6); plus the dimensionality of the activity (participation ratio, cross-validated
variance per component, principal angles between the two contexts' manifolds).

    python scripts/study_mante.py            # 8 networks (a few minutes)
    python scripts/study_mante.py --quick    # 3 networks
    python scripts/study_mante.py --no-delay # 4 networks, decision right after the stimulus

Trained runs are kept in studies/mante[_quick|_nodelay]/ (loaded, not retrained, on a
second run); figures and numbers go to docs/studies/mante[_quick|_nodelay]/.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from matplotlib.figure import Figure

from _study import ROOT, mean_sd, save

import purernn as pr
from purernn import plots
from purernn._files import write_text
from purernn.errors import PurernnError
from purernn.sweep import format_table
from purernn.tasks._common import ms_to_steps

A = pr.analysis
NAMES = ("choice", "motion", "colour", "context")
CONTEXTS = ("motion", "colour")
#: Training on top of the task's defaults: the full study trains 1000 steps (keeping the
#: network of the best validation), the quick one stops at the criterion (~150 steps).
TRAIN_FULL = {"stop_at_criterion": False, "n_steps": 1000}
TRAIN_QUICK: dict = {}
#: The task without its delay: the choice is read right after the stimulus, so nothing
#: has to be held against the noise the evidence inputs carry during the delay.
NO_DELAY = {"delay_min": 0.0, "delay_max": 0.0}
#: Trajectories averaged over fewer trials (rare errors at high coherence) are not drawn.
MIN_TRIALS = 8


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="3 networks instead of 8")
    p.add_argument("--no-delay", action="store_true",
                   help="the task without its delay (decision right after the stimulus), 4 networks "
                        "trained 1000 steps (default: the task's 300-3000 ms delay)")
    p.add_argument("--n-nets", type=int, default=None,
                   help="number of networks (default 8, --quick 3, --no-delay 4)")
    p.add_argument("--trials", type=int, default=720, help="analysis trials per network (default 720)")
    return p.parse_args(argv)


def trained(task, seed: int, study_dir, overrides: dict):
    """The trained network of one seed: loaded from its run directory, else trained."""
    run_dir = study_dir / f"seed_{seed}"
    if (run_dir / "run.json").exists():
        try:
            res = pr.load_run(run_dir)
            if res.stop_reason != "interrupted":
                return res
        except PurernnError as err:
            print(f"{run_dir}: {err}; training again")
    cfg = pr.default_train_config(task, seed=seed, **overrides)
    net = pr.default_network(task, seed=seed)
    return pr.train(net, task, cfg, progress=False, run_dir=run_dir, overwrite=True)


def choices(z, info) -> np.ndarray:
    """The network's choice per trial: sign of the mean output over its decision period."""
    out = np.empty(z.shape[0])
    for k in range(z.shape[0]):
        out[k] = z[k, info["decision_on"][k]:info["decision_off"][k], 0].mean()
    return np.where(out > 0, 1, -1)


def group_average(h, keys, min_trials: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Mean of `h` (n_trials, ...) per distinct row of `keys` (n_trials, n_keys), for the
    rows with at least `min_trials` trials."""
    uniq, inv, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    keep = np.flatnonzero(counts >= min_trials)
    return uniq[keep], np.stack([h[inv == g].mean(axis=0) for g in keep])


def angle_deg(u, v) -> float:
    return float(np.degrees(A.principal_angles(u, v)[0]))


def analyze(task, res, n_trials: int, seed: int) -> dict:
    """Everything measured on one trained network."""
    net = res.net
    s0 = ms_to_steps(task.fixation, task.dt)
    s1 = s0 + ms_to_steps(task.stimulus, task.dt)
    t_end = s1 + ms_to_steps(task.delay_min, task.dt)  # every trial is still in its delay here
    batch = task.sample(n_trials, rng=np.random.default_rng([seed, 19]))
    info = batch.info
    traj = pr.simulate(net, batch.x)
    h = np.array(traj.h[:, :t_end], dtype=np.float64)  # (n_trials, t_end, n_rec)
    ch = choices(np.asarray(traj.z), info)
    accuracy = float(np.mean(ch == info["choice"]))
    ctx = info["context"]
    keys = np.stack([ctx, info["motion_coh"], info["colour_coh"], ch], axis=1)
    _, cond = np.unique(keys, axis=0, return_inverse=True)
    cond = cond.ravel()
    F = A.mante_regressors(info, choice=ch)
    tdr = A.tdr(h, F, n_pcs=12, condition=cond, window=(s0, t_end))

    # dimensionality of the condition averages
    _, avg, _ = A.condition_average(h[:, s0:], cond)
    pr_ = A.participation_ratio(avg)
    a, b = A.split_halves(h[:, s0:], cond, rng=seed)
    cv = A.cv_variance(a, b, rng=seed)
    ctx_of_cond = np.array([ctx[cond == c][0] for c in np.unique(cond)])
    man = A.manifold_angles(avg[ctx_of_cond == 0], avg[ctx_of_cond == 1], n_components=3)

    out = {"seed": seed, "n_steps": res.n_steps, "accuracy": accuracy, "tdr": tdr, "participation_ratio": pr_,
           "cv": cv, "manifold_angles": man, "h": h, "info": info, "choice": ch, "s0": s0, "s1": s1,
           "alpha": net.alpha, "tau_ms": task.dt / net.alpha, "dt": task.dt}
    # psychometric curves: P(choice = +1) against each stream's coherence, per context
    psy = {}
    for c, cname in enumerate(CONTEXTS):
        for stream, key in (("motion", "motion_coh"), ("colour", "colour_coh")):
            sel = ctx == c
            levels = np.unique(info[key])
            psy[(cname, stream)] = (levels, np.array([np.mean(ch[sel & (info[key] == v)] > 0) for v in levels]))
    out["psychometric"] = psy
    # how strongly each stream moves the state along its own axis and along the choice
    # axis at the end of the stimulus: slope of the projection against the coherence
    # (signed, as a fraction), relevant vs irrelevant
    P_end = tdr.project(h[:, s1 - 1])  # (n_trials, 4)
    slopes = {}
    for c, cname in enumerate(CONTEXTS):
        sel = ctx == c
        for k, key in enumerate(("motion_coh", "colour_coh")):
            coh = info[key][sel] / 100.0
            slopes[(cname, NAMES[1 + k], "own")] = float(np.polyfit(coh, P_end[sel, 1 + k], 1)[0])
            slopes[(cname, NAMES[1 + k], "choice")] = float(np.polyfit(coh, P_end[sel, 0], 1)[0])
    out["slopes"] = slopes
    # the input axes of each context: the regression with context interactions gives
    # beta_motion + context * beta_(motion x context), context = +1 / -1
    tdr_x = A.tdr(h, A.mante_regressors(info, choice=ch, interactions=True), n_pcs=12, condition=cond,
                  window=(s0, t_end))
    P = tdr_x.pcs
    axis_turn = {}
    for stream in ("motion", "colour"):
        i, j = tdr_x.names.index(stream), tdr_x.names.index(f"{stream} x context")
        t = tdr_x.t_max[i]
        main, inter = tdr_x.coefficients[i, t] @ P.T @ P, tdr_x.coefficients[j, t] @ P.T @ P
        axis_turn[stream] = angle_deg(main + inter, main - inter)
    # the noise floor of that angle: the same axes fitted on two random halves of the trials
    half = np.random.default_rng([seed, 7]).permutation(h.shape[0]) < h.shape[0] // 2
    fits = [A.tdr(h[m], {k: v[m] for k, v in F.items()}, n_pcs=12, condition=cond[m], window=(s0, t_end))
            for m in (half, ~half)]
    out["axis_split"] = {stream: angle_deg(fits[0].beta_max[1 + k], fits[1].beta_max[1 + k])
                         for k, stream in enumerate(("motion", "colour"))}
    out["axis_turn"] = axis_turn

    choice_axis = tdr.axis("choice")
    lines = []
    for c in range(2):
        x = np.zeros(net.n_in)
        x[2 + c] = 1.0  # the context cue, no evidence
        init = h[ctx == c, s0:].reshape(-1, net.n_rec)
        la = A.line_attractor(net, x, axis=choice_axis, initial_states=init, n_init=96,
                              rng=np.random.default_rng([seed, 6, c]))
        lines.append(la)
    out["lines"] = lines
    return out


def summarize(r: dict) -> dict:
    """The numbers of one network (per context where it applies)."""
    row = {"seed": r["seed"], "steps": r["n_steps"], "accuracy": r["accuracy"],
           "participation_ratio": r["participation_ratio"], "cv_n90": r["cv"].n_for(0.9),
           "manifold_angles_deg": np.degrees(r["manifold_angles"]).tolist()}
    alpha = r["alpha"]
    for c, cname in enumerate(CONTEXTS):
        la = r["lines"][c]
        m = la.modes
        slow = ~la.is_fixed
        rel, irr = (0, 1) if c == 0 else (1, 0)
        use = slow if slow.any() else np.ones(la.n_points, dtype=bool)
        g = np.abs(m.gain[use])
        row[cname] = {
            "n_fixed": int(la.is_fixed.sum()), "n_slow": int(slow.sum()),
            "fixed_labels": _labels(m, la.is_fixed),
            "line_fraction": la.line_fraction, "max_gap": la.max_gap,
            "axis_angle_deg": float(np.degrees(la.axis_angle)),
            "extent": la.extent,
            "speed_per_tau": float(np.median(np.sqrt(2 * la.q[slow])) / alpha) if slow.any() else float("nan"),
            "slow_eig": float(np.median(m.slow.real[use])), "next_eig": float(np.median(m.next_slow.real[use])),
            "right_angle_deg": float(np.degrees(np.median(la.right_angle[use]))),
            "cos_rel": float(np.median(m.cos_input(rel)[use])), "cos_irr": float(np.median(m.cos_input(irr)[use])),
            "cos_right_rel": float(np.median(m.cos_input(rel, "right")[use])),
            "gain_rel": float(np.median(g[:, rel])), "gain_irr": float(np.median(g[:, irr])),
            "b_norm_rel": float(np.median(np.linalg.norm(m.inputs[use, rel], axis=1))),
            "b_norm_irr": float(np.median(np.linalg.norm(m.inputs[use, irr], axis=1))),
            "selection": np.mean(m.left[use], axis=0),
            "b_mean": np.mean(m.inputs[use, :2], axis=0),
        }
    row["slopes"] = {" ".join(k): v for k, v in r["slopes"].items()}
    row["axis_turn_deg"] = r["axis_turn"]
    row["axis_split_deg"] = r["axis_split"]
    row["tdr_overlap"] = r["tdr"].to_dict()["overlap_before_qr"]
    row["lines_angle_deg"] = angle_deg(r["lines"][0].direction, r["lines"][1].direction)
    row["selection_angle_deg"] = angle_deg(row["motion"]["selection"], row["colour"]["selection"])
    # input modulation: does the same input's direction change between the contexts?
    row["input_angle_deg"] = [angle_deg(row["motion"]["b_mean"][j], row["colour"]["b_mean"][j]) for j in (0, 1)]
    return row


def _labels(m, is_fixed):
    out = []
    for i in np.flatnonzero(is_fixed):
        n_up = int(np.sum(m.eigenvalues[i].real > 0))
        out.append("stable" if n_up == 0 else f"saddle({n_up})")
    return out


def figure_trajectories(r, path):
    """Fig. 2/5 layout: one row per context; trajectories sorted by motion coherence on the
    choice and motion axes, by colour coherence on the choice and colour axes."""
    tdr, h, info, ch = r["tdr"], r["h"], r["info"], r["choice"]
    s0 = r["s0"]
    fig = Figure(figsize=(7.4, 6.6), layout="constrained")
    axes = fig.subplots(2, 2)
    for c, cname in enumerate(CONTEXTS):
        sel = info["context"] == c
        for k, (stream, key) in enumerate((("motion", "motion_coh"), ("colour", "colour_coh"))):
            keys = np.stack([info[key][sel], ch[sel]], axis=1)
            uniq, avg = group_average(h[sel, s0:], keys, min_trials=MIN_TRIALS)
            P = tdr.project(avg)  # (n_groups, n_steps, 4)
            rel = "relevant" if stream == cname else "irrelevant"
            plots.plot_axis_trajectories(P, uniq[:, 0], axes[c, k], xy=(0, 1 + k), names=NAMES,
                                         linestyles=["-" if v > 0 else "--" for v in uniq[:, 1]],
                                         value_label=f"{stream} coh. (%)",
                                         title=f"{cname} context: sorted by {stream} ({rel})")
    fig.suptitle(f"seed {r['seed']}: condition averages on the TDR axes, stimulus and first "
                 f"{(h.shape[1] - r['s1']) * r['dt']:.0f} ms of delay\n"
                 f"(solid: choice +1, dashed: choice -1; groups of >= {MIN_TRIALS} trials)", fontsize=8)
    return save(fig, path)


def figure_lines(r, path):
    """Fig. 6 layout: per context, the fixed and slow points on the choice and motion /
    colour axes, with right eigenvectors (red), selection vectors (green) and the two
    input directions (arrows)."""
    tdr = r["tdr"]
    fig = Figure(figsize=(7.4, 6.6), layout="constrained")
    axes = fig.subplots(2, 2)
    for c, cname in enumerate(CONTEXTS):
        la = r["lines"][c]
        m = la.modes
        P = tdr.project(la.points)
        Rv, Lv = m.right @ tdr.axes.T, m.left @ tdr.axes.T
        b = np.mean(m.inputs[:, :2], axis=0)
        Bv = b @ tdr.axes.T
        for k in range(2):
            plots.plot_line_attractor(P, Rv, Lv, axes[c, k], inputs=Bv, input_names=["motion in", "colour in"],
                                      xy=(0, 1 + k), names=NAMES, fixed=la.is_fixed,
                                      title=f"{cname} context (cue on, no evidence)")
    fig.suptitle(f"seed {r['seed']}: fixed points (filled), slow points (open), slowest mode's right "
                 "eigenvector (red)\nand selection vector (green), projected; arrows: the inputs' directions "
                 "D W_in at the points (mean)", fontsize=8)
    return save(fig, path)


def figure_selection(rows, path):
    """Across networks: the selection vector against the relevant and irrelevant inputs,
    the gains along the line, and the slowest eigenvalues, per context."""
    fig = Figure(figsize=(9.6, 3.2), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for c, cname in enumerate(CONTEXTS):
        rel = [r[cname]["cos_rel"] for r in rows]
        irr = [r[cname]["cos_irr"] for r in rows]
        ax1.scatter(irr, rel, s=18, color=f"C{c}", label=f"{cname} context")
        gr = [r[cname]["gain_rel"] for r in rows]
        gi = [r[cname]["gain_irr"] for r in rows]
        ax2.scatter(gi, gr, s=18, color=f"C{c}", label=f"{cname} context")
        se = [r[cname]["slow_eig"] for r in rows]
        ne = [r[cname]["next_eig"] for r in rows]
        xj = c + 0.08 * np.arange(len(rows)) / max(len(rows), 1)
        ax3.scatter(xj - 0.12, se, s=14, color=f"C{c}", marker="o")
        ax3.scatter(xj + 0.12, ne, s=14, color=f"C{c}", marker="x")
    ax1.plot([0, 1], [0, 1], color="0.6", lw=0.7, ls="--")
    ax1.set_xlim(0, 1)
    ax1.set_ylim(0, 1)
    ax1.set_xlabel("|cos(selection vector, irrelevant input)|")
    ax1.set_ylabel("|cos(selection vector, relevant input)|")
    ax1.legend(fontsize=6, frameon=False)
    ax1.set_title("selection vector vs inputs (median over slow points)", fontsize=7)
    lo = min(min(r[c]["gain_irr"] for r in rows for c in CONTEXTS), 1e-3)
    hi = max(max(r[c]["gain_rel"] for r in rows for c in CONTEXTS), 1.0)
    ax2.plot([lo, hi], [lo, hi], color="0.6", lw=0.7, ls="--")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("|gain| of the irrelevant input")
    ax2.set_ylabel("|gain| of the relevant input")
    ax2.set_title("rate along the line per unit input, (l.b)/(l.r)", fontsize=7)
    ax3.axhline(0.0, color="0.6", lw=0.7)
    ax3.set_xticks([0, 1])
    ax3.set_xticklabels([f"{c} context" for c in CONTEXTS])
    ax3.set_ylabel("Re(lambda) (1 / tau)")
    ax3.set_title("slowest (o) and next (x) Re(lambda), slow points", fontsize=7)
    return save(fig, path)


def figure_dimensionality(results, path):
    """Cross-validated variance per component and the principal angles between the two
    contexts' manifolds, one network per line."""
    fig = Figure(figsize=(7.2, 3.0), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    plots.plot_cv_variance(results[0]["cv"], ax1, title=f"seed {results[0]['seed']}: condition averages, "
                           f"PR {results[0]['participation_ratio']:.2f}")
    plots.plot_principal_angles({f"seed {r['seed']}": r["manifold_angles"] for r in results}, ax2,
                                title="motion-context vs colour-context manifold (top 3 PCs)")
    return save(fig, path)


def figure_psychometric(results, path):
    """P(choice +1) against motion and colour coherence in each context, mean over networks."""
    fig = Figure(figsize=(6.4, 2.8), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for k, stream in enumerate(("motion", "colour")):
        for c, cname in enumerate(CONTEXTS):
            lv = results[0]["psychometric"][(cname, stream)][0]
            p = np.mean([r["psychometric"][(cname, stream)][1] for r in results], axis=0)
            axes[k].plot(lv, p, "o-", ms=3, color=f"C{c}", label=f"{cname} context")
        axes[k].set_xlabel(f"{stream} coherence (%)")
        axes[k].set_title(f"{stream}: {'relevant' if k == 0 else 'irrelevant'} in the {CONTEXTS[k]} context",
                          fontsize=7)
    axes[0].set_ylabel("P(choice +1)")
    axes[0].legend(fontsize=6, frameon=False)
    return save(fig, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    stem = "mante_quick" if args.quick else "mante_nodelay" if args.no_delay else "mante"
    n_nets = args.n_nets or (3 if args.quick else 4 if args.no_delay else 8)
    study_dir = ROOT / "studies" / stem
    docs = ROOT / "docs" / "studies" / stem
    task = pr.tasks.make("context_dm", **(NO_DELAY if args.no_delay else {}))
    t0 = time.perf_counter()
    results, rows = [], []
    n_trained = sum(not (study_dir / f"seed_{seed}" / "run.json").exists() for seed in range(n_nets))
    for seed in range(n_nets):
        t1 = time.perf_counter()
        res = trained(task, seed, study_dir, TRAIN_QUICK if args.quick else TRAIN_FULL)
        r = analyze(task, res, args.trials, seed)
        results.append(r)
        rows.append(summarize(r))
        print(f"seed {seed}: {res.n_steps} steps, accuracy {r['accuracy']:.3f}, "
              f"{time.perf_counter() - t1:.1f} s")
    wall = time.perf_counter() - t0
    figure_trajectories(results[0], docs / "trajectories.png")
    figure_lines(results[0], docs / "line_attractor.png")
    figure_selection(rows, docs / "selection.png")
    figure_dimensionality(results, docs / "dimensionality.png")
    figure_psychometric(results, docs / "psychometric.png")

    head = ["seed", "steps", "accuracy", "PR", "context", "fixed points", "slow points", "line fraction", "max gap",
            "line vs choice axis (deg)", "speed (1/tau)", "slowest Re(lambda)", "next Re(lambda)",
            "r vs line (deg)", "cos(l, relevant)", "cos(l, irrelevant)", "gain relevant", "gain irrelevant",
            "|b| relevant", "|b| irrelevant"]
    body = []
    for row in rows:
        for c in CONTEXTS:
            e = row[c]
            body.append([row["seed"], row["steps"], f"{row['accuracy']:.3f}", f"{row['participation_ratio']:.2f}", c,
                         f"{e['n_fixed']} ({', '.join(e['fixed_labels'])})", e["n_slow"], f"{e['line_fraction']:.3f}",
                         f"{e['max_gap']:.2f}",
                         f"{e['axis_angle_deg']:.1f}", f"{e['speed_per_tau']:.3f}", f"{e['slow_eig']:.3f}",
                         f"{e['next_eig']:.3f}", f"{e['right_angle_deg']:.1f}", f"{e['cos_rel']:.3f}",
                         f"{e['cos_irr']:.3f}", f"{e['gain_rel']:.3f}", f"{e['gain_irr']:.3f}",
                         f"{e['b_norm_rel']:.3f}", f"{e['b_norm_irr']:.3f}"])
    summary_head = ["quantity", "motion context", "colour context"]
    keys = [("line fraction (PC1 of the points)", "line_fraction"),
            ("largest gap along the line (fraction of its extent)", "max_gap"),
            ("angle line vs TDR choice axis (deg)", "axis_angle_deg"),
            ("slowest Re(lambda) at the slow points (1/tau)", "slow_eig"),
            ("next Re(lambda) (1/tau)", "next_eig"),
            ("speed at the slow points (1/tau)", "speed_per_tau"),
            ("angle right eigenvector vs line (deg)", "right_angle_deg"),
            ("|cos| selection vector vs relevant input", "cos_rel"),
            ("|cos| selection vector vs irrelevant input", "cos_irr"),
            ("|cos| right eigenvector vs relevant input", "cos_right_rel"),
            ("|gain| relevant input (l.b)/(l.r)", "gain_rel"),
            ("|gain| irrelevant input", "gain_irr"),
            ("|b| relevant input (D W_in column)", "b_norm_rel"),
            ("|b| irrelevant input", "b_norm_irr")]
    summary = [[lab] + [mean_sd(r[c][k] for r in rows) for c in CONTEXTS] for lab, k in keys]
    summary.append(["gain ratio relevant / irrelevant (median over networks)"]
                   + [f"{np.median([r[c]['gain_rel'] / max(r[c]['gain_irr'], 1e-12) for r in rows]):.1f}"
                      for c in CONTEXTS])
    others = [["accuracy (network's choice, analysis trials)", mean_sd(r["accuracy"] for r in rows)],
              ["training steps", mean_sd(r["steps"] for r in rows)],
              ["participation ratio (condition averages, stimulus + delay)", mean_sd(r["participation_ratio"] for r in rows)],
              ["components for 90% of the cross-validated variance", mean_sd(r["cv_n90"] for r in rows)],
              ["principal angles motion vs colour context manifold, top 3 PCs (deg)",
               ", ".join(mean_sd(r["manifold_angles_deg"][k] for r in rows) for k in range(3))],
              ["angle between the two contexts' lines (deg)", mean_sd(r["lines_angle_deg"] for r in rows)],
              ["angle between the two contexts' selection vectors (deg)", mean_sd(r["selection_angle_deg"] for r in rows)],
              ["angle between the TDR motion axes of the two contexts (regression with interactions, deg)",
               mean_sd(r["axis_turn_deg"]["motion"] for r in rows)],
              ["angle between the TDR colour axes of the two contexts (deg)",
               mean_sd(r["axis_turn_deg"]["colour"] for r in rows)],
              ["noise floor: motion / colour axis fitted on two halves of the trials (deg)",
               " / ".join(mean_sd(r["axis_split_deg"][k] for r in rows) for k in ("motion", "colour"))],
              ["angle of the motion input direction between contexts (deg)", mean_sd(r["input_angle_deg"][0] for r in rows)],
              ["angle of the colour input direction between contexts (deg)", mean_sd(r["input_angle_deg"][1] for r in rows)]]
    for stream in ("motion", "colour"):
        for ax in ("own", "choice"):
            others.append([f"slope of the {'stream' if ax == 'own' else 'choice'} axis projection vs {stream} "
                           f"coherence at stimulus end: {stream} context / other context",
                           " / ".join(mean_sd(r["slopes"][f"{c} {stream} {ax}"] for r in rows) for c in
                                      ((stream, "colour" if stream == "motion" else "motion")))])
    pairs = [("choice", "motion", 0, 1), ("choice", "colour", 0, 2), ("motion", "colour", 1, 2),
             ("choice", "context", 0, 3)]
    others.append(["cos between the denoised regression vectors before QR: "
                   + ", ".join(f"{a}-{b}" for a, b, _, _ in pairs),
                   ", ".join(mean_sd(r["tdr_overlap"][i][j] for r in rows) for _, _, i, j in pairs)])
    psy = []
    for stream in ("motion", "colour"):
        for c in CONTEXTS:
            lv = results[0]["psychometric"][(c, stream)][0]
            p = np.mean([r["psychometric"][(c, stream)][1] for r in results], axis=0)
            psy.append([stream, c, ", ".join(f"{v:g}: {q:.2f}" for v, q in zip(lv, p))])
    flag = " --quick" if args.quick else " --no-delay" if args.no_delay else ""
    text = (f"Measured by scripts/study_mante.py{flag}: {n_nets} networks "
            f"(context_dm{' without its delay' if args.no_delay else ''} defaults, seeds 0-{n_nets - 1}; training "
            f"{'to the criterion' if args.quick else '1000 steps, best validation kept'}), "
            f"{args.trials} analysis trials each. This run: {wall:.0f} s wall, {n_trained} networks "
            f"trained (the others loaded from studies/{stem}/).\n\n## Summary (mean +/- sd over networks)\n\n"
            + format_table(summary_head, summary) + "\n\n" + format_table(["quantity", "value"], others)
            + "\n\n## Psychometric curves: P(choice +1) per coherence (%), mean over networks\n\n"
            + format_table(["stream", "context", "P(choice +1)"], psy)
            + "\n\n## Per network and context (medians over the slow points)\n\n" + format_table(head, body) + "\n")
    write_text(docs / "numbers.md", text)
    vectors = ("selection", "b_mean")  # (n_rec,) vectors: used above, not kept
    keep = [{k: v for k, v in row.items() if k not in CONTEXTS}
            | {c: {k: v for k, v in row[c].items() if k not in vectors} for c in CONTEXTS}
            for row in rows]
    write_text(docs / "numbers.json", json.dumps(keep, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
