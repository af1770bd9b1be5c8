"""Eigenvalue distributions of trained AND, OR, XOR and flip-flop networks, random normal
vs random orthogonal initialization (the talk's Table 1 networks, 50 units).

    python scripts/study_init.py            # 20 realizations per condition (studies/init.toml)
    python scripts/study_init.py --quick    # 4 realizations, at most 600 steps
    python scripts/study_init.py --no-sweep # redraw from the results database only

Writes docs/studies/init[_quick]/: eigenvalues_trained.png, eigenvalues_initial.png,
dominant_classes.png, bulk.png and numbers.md.
"""

from __future__ import annotations


import numpy as np
from matplotlib.figure import Figure

from _study import eigenvalues_of, mean_sd, parse_args, run_study, save, write_numbers

from purernn import plots

TASKS = ("and", "or", "xor", "flipflop")
INITS = ("normal", "orthogonal")


def cloud_figure(rows, key: str, title: str) -> Figure:
    fig = Figure(figsize=(5.6, 10.4), layout="constrained")
    axes = fig.subplots(len(TASKS), len(INITS), squeeze=False)
    for i, task in enumerate(TASKS):
        for j, init in enumerate(INITS):
            rs = [r for r in rows if r["status"] == "done" and r["task"] == task and r["init"] == init]
            dom = [complex(r["dominant_re"], r["dominant_im"]) for r in rs] if key == "eigenvalues" else None
            plots.plot_eigenvalue_cloud([eigenvalues_of(r, key) for r in rs], axes[i, j], dominant=dom,
                                        color=f"C{j}", lim=1.6, title=f"{task}, {init} (n={len(rs)})")
    fig.suptitle(title, fontsize=9)
    return fig


def main(argv=None) -> int:
    args = parse_args(__doc__, argv)
    stem, study_dir, docs, rows = run_study("init", args)
    save(cloud_figure(rows, "eigenvalues", "trained W_rec, all realizations (stars: dominant)"),
         docs / "eigenvalues_trained.png")
    save(cloud_figure(rows, "eigenvalues_init", "initial W_rec, same realizations"),
         docs / "eigenvalues_initial.png")
    counts = {}
    for t in TASKS:
        for i in INITS:
            c = {}
            for r in rows:
                if r["status"] == "done" and r["task"] == t and r["init"] == i:
                    c[r["dominant_class"]] = c.get(r["dominant_class"], 0) + 1
            counts[f"{t}, {i}"] = c
    fig = Figure(figsize=(5.4, 3.6), layout="constrained")
    plots.plot_class_counts(counts, fig.subplots())
    save(fig, docs / "dominant_classes.png")
    fig = Figure(figsize=(7.6, 3.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for ax, metric in ((ax1, "bulk_radius"), (ax2, "inner_radius")):
        groups = {}
        for k, init in enumerate(INITS):
            xs, ys = [], []
            for r in rows:
                if r["status"] == "done" and r["init"] == init:
                    xs.append(TASKS.index(r["task"]))
                    ys.append(r[metric])
            groups[init] = (xs, ys)
        plots.plot_metric_by_group(groups, ax, ylabel=metric.replace("_", " ") + " (trained)", reference=1.0)
        ax.set_xticks(range(len(TASKS)))
        ax.set_xticklabels(TASKS)
    save(fig, docs / "bulk.png")

    table = []
    for t in TASKS:
        for i in INITS:
            rs = [r for r in rows if r["task"] == t and r["init"] == i]
            done = [r for r in rs if r["status"] == "done"]
            ok = sum(1 for r in done if r["reached_criterion"])
            cls = {}
            for r in done:
                cls[r["dominant_class"]] = cls.get(r["dominant_class"], 0) + 1
            table.append([t, i, f"{len(done)}/{len(rs)}", f"{ok}/{len(done)}",
                          mean_sd(r["accuracy"] for r in done),
                          mean_sd(r["spectral_radius"] for r in done),
                          mean_sd(r["bulk_radius"] for r in done),
                          mean_sd(r["inner_radius"] for r in done),
                          mean_sd(np.sum(np.abs(eigenvalues_of(r)) > 1) for r in done),
                          mean_sd(np.quantile(np.abs(eigenvalues_of(r)), 0.9) for r in done),
                          f"{sum(r['bulk_shape'] == 'ring' for r in done)}/{len(done)}",
                          mean_sd(r["bulk_radius_init"] for r in done),
                          ", ".join(f"{k}: {v}" for k, v in sorted(cls.items()))])
    head = ["task", "init", "done", "reached criterion", "accuracy", "spectral radius", "bulk radius",
            "inner radius", "abs(lambda) > 1 (count)", "q90 abs(lambda)", "ring", "bulk radius (init)", "dominant classes"]
    write_numbers(docs, "study_init.py", args, stem, head, table, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
