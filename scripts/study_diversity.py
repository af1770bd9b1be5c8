"""Diversity of solutions across realizations and degradation curves, per task.

Many networks trained on the same task from different seeds reach the criterion with
different dynamics; their dominant eigenvalues (real or complex, inside or outside the
unit circle) tell them apart. Removing a growing fraction of units, or of recurrent
connections (Jarne & Laje's "connectivity damage"), shows how gracefully each solution
degrades. The sweep records the unit lesions; the connection lesions are computed here
from the saved run directories (no retraining) and cached in the study directory.

    python scripts/study_diversity.py            # 20 realizations per task (studies/diversity.toml)
    python scripts/study_diversity.py --quick    # 3 tasks x 3 realizations
    python scripts/study_diversity.py --no-sweep # redraw from the results database only

Writes docs/studies/diversity[_quick]/: spectra.png, dominant.png, degradation.png
(units and connections removed) and numbers.md.
"""

from __future__ import annotations

import json

import numpy as np
from matplotlib.figure import Figure

from _study import eigenvalues_of, mean_sd, parse_args, run_study, save, write_numbers

import purernn as pr
from purernn import plots

#: Connection lesions: finer steps at small damage than the unit lesions, where the
#: accuracy of these 50-unit networks already falls.
CONNECTIONS = {"mode": "connections", "fractions": [0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
               "n_draws": 5, "n_trials": 128}


def connection_curves(study_dir, rows) -> dict:
    """point_id -> (fractions, mean accuracy per fraction) with recurrent connections removed.

    Computed once per trained network from its run directory and cached in
    ``<study_dir>/connection_degradation.json``.
    """
    cache_file = study_dir / "connection_degradation.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    todo = [r for r in rows if cache.get(r["point_id"], [None])[0] != CONNECTIONS["fractions"]]
    for i, r in enumerate(todo):
        result = pr.load_run(study_dir / r["run_dir"])
        deg = pr.analysis.degradation(result.net, result.task, rng=np.random.default_rng([r["seed"], 7]),
                                      **CONNECTIONS)
        cache[r["point_id"]] = [CONNECTIONS["fractions"], np.mean(deg.accuracy, axis=1).tolist()]
        print(f"connection lesions: {i + 1}/{len(todo)}", end="\r", flush=True)
    if todo:
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache))
        tmp.replace(cache_file)
        print()
    return cache


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

    conn = connection_curves(study_dir, [r for t in tasks for r in done[t]])
    curves, conn_curves = {}, {}
    for t in tasks:
        acc, fr = [], None
        for r in done[t]:
            if r["degradation"]:
                d = json.loads(r["degradation"])
                fr = d["fractions"]
                acc.append(np.mean(d["accuracy"], axis=1))
        if acc:
            curves[t] = (np.asarray(fr), np.vstack(acc))
        if done[t]:
            conn_curves[t] = (np.asarray(CONNECTIONS["fractions"]), np.vstack([conn[r["point_id"]][1] for r in done[t]]))
    if curves or conn_curves:
        fig = Figure(figsize=(8.4, 3.4), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2, sharey=True)
        plots.plot_degradation_by_condition(curves, ax1)
        ax1.set_title("units removed", fontsize=9)
        ax1.set_xlabel("fraction of units removed")
        plots.plot_degradation_by_condition(conn_curves, ax2)
        ax2.set_title("recurrent connections removed", fontsize=9)
        ax2.set_xlabel("fraction of connections removed")
        save(fig, docs / "degradation.png")

    table = []
    for t in tasks:
        rs = [r for r in rows if r["task"] == t]
        d = done[t]
        cls = {}
        for r in d:
            cls[r["dominant_class"]] = cls.get(r["dominant_class"], 0) + 1
        deg, cdeg = ("" if t not in c else ", ".join(f"{f:g}: {m:.2f}" for f, m in zip(c[t][0], c[t][1].mean(axis=0)))
                     for c in (curves, conn_curves))
        table.append([t, f"{len(d)}/{len(rs)}", f"{sum(1 for r in d if r['reached_criterion'])}/{len(d)}",
                      mean_sd(r["accuracy"] for r in d), mean_sd(r["n_steps"] for r in d),
                      ", ".join(f"{k}: {v}" for k, v in sorted(cls.items())),
                      mean_sd(r["spectral_radius"] for r in d), deg, cdeg])
    head = ["task", "done", "reached criterion", "accuracy", "steps", "dominant classes",
            "spectral radius", "accuracy vs fraction of units removed (mean)",
            "accuracy vs fraction of connections removed (mean)"]
    write_numbers(docs, "study_diversity.py", args, stem, head, table, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
