"""Diversity of solutions across realizations and degradation curves, per task.

Many networks trained on the same task from different seeds reach the criterion with
different dynamics; their dominant eigenvalues (real or complex, inside or outside the
unit circle) tell them apart. Removing a growing fraction of units (Jarne & Laje)
shows how gracefully each solution degrades.

    python scripts/study_diversity.py            # 20 realizations per task (studies/diversity.toml)
    python scripts/study_diversity.py --quick    # 3 tasks x 3 realizations
    python scripts/study_diversity.py --no-sweep # redraw from the results database only

Writes docs/studies/diversity[_quick]/: spectra.png, dominant.png, degradation.png and
numbers.md.
"""

from __future__ import annotations

import json

import numpy as np
from matplotlib.figure import Figure

from _study import eigenvalues_of, mean_sd, parse_args, run_study, save, write_numbers

from purernn import plots


def main(argv=None) -> int:
    args = parse_args(__doc__, argv)
    stem, study_dir, docs, rows = run_study("diversity", args)
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    done = {t: [r for r in rows if r["task"] == t and r["status"] == "done"] for t in tasks}

    fig = Figure(figsize=(2.8 * len(tasks), 3.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(tasks), squeeze=False)[0])
    for ax, t in zip(axes, tasks):
        specs = [eigenvalues_of(r) for r in done[t]]
        plots.plot_spectra_overlay(specs, ax)
        ax.set_title(f"{t}: {len(specs)} realizations", fontsize=8)
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.6, 1.6)
    save(fig, docs / "spectra.png")

    fig = Figure(figsize=(8.0, 3.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    t_circle = np.linspace(0, 2 * np.pi, 200)
    ax1.plot(np.cos(t_circle), np.sin(t_circle), color="0.5", lw=0.8)
    for k, t in enumerate(tasks):
        d = np.array([complex(r["dominant_re"], r["dominant_im"]) for r in done[t]])
        ax1.scatter(d.real, d.imag, s=18, color=f"C{k}", label=t, alpha=0.8)
    ax1.set_aspect("equal", adjustable="box")
    ax1.set_xlabel("Re")
    ax1.set_ylabel("Im (upper of a pair)")
    ax1.legend(fontsize=6, frameon=False)
    ax1.set_title("dominant eigenvalue of each realization", fontsize=8)
    counts = {t: {} for t in tasks}
    for t in tasks:
        for r in done[t]:
            counts[t][r["dominant_class"]] = counts[t].get(r["dominant_class"], 0) + 1
    plots.plot_class_counts(counts, ax2)
    save(fig, docs / "dominant.png")

    curves = {}
    for t in tasks:
        acc, fr = [], None
        for r in done[t]:
            if r["degradation"]:
                d = json.loads(r["degradation"])
                fr = d["fractions"]
                acc.append(np.mean(d["accuracy"], axis=1))
        if acc:
            curves[t] = (np.asarray(fr), np.vstack(acc))
    if curves:
        fig = Figure(figsize=(4.6, 3.4), layout="constrained")
        plots.plot_degradation_by_condition(curves, fig.subplots())
        save(fig, docs / "degradation.png")

    table = []
    for t in tasks:
        rs = [r for r in rows if r["task"] == t]
        d = done[t]
        cls = {}
        for r in d:
            cls[r["dominant_class"]] = cls.get(r["dominant_class"], 0) + 1
        deg = ""
        if t in curves:
            fr, acc = curves[t]
            deg = ", ".join(f"{f:g}: {m:.2f}" for f, m in zip(fr, acc.mean(axis=0)))
        table.append([t, f"{len(d)}/{len(rs)}", f"{sum(1 for r in d if r['reached_criterion'])}/{len(d)}",
                      mean_sd(r["accuracy"] for r in d), mean_sd(r["n_steps"] for r in d),
                      ", ".join(f"{k}: {v}" for k, v in sorted(cls.items())),
                      mean_sd(r["spectral_radius"] for r in d), deg])
    head = ["task", "done", "reached criterion", "accuracy", "steps", "dominant classes",
            "spectral radius", "accuracy vs fraction of units removed (mean)"]
    write_numbers(docs, "study_diversity.py", args, stem, head, table, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
