"""Dale's law: the bulk of non-dominant eigenvalues of trained networks for E fractions
{0.5, 0.65, 0.8} and n_rec {50, 100, 200}, random normal vs random orthogonal init (XOR).

The talk reports a disk (normal init) or a ring (orthogonal init) of radius < 1 that
depends neither on the E fraction nor on the network size.

    python scripts/study_dale.py            # 10 realizations per condition (studies/dale.toml)
    python scripts/study_dale.py --quick    # 2 realizations, at most 400 steps
    python scripts/study_dale.py --no-sweep # redraw from the results database only

Writes docs/studies/dale[_quick]/: bulk_vs_dale.png, bulk_vs_n_rec.png, clouds.png and
numbers.md.
"""

from __future__ import annotations


import numpy as np
from matplotlib.figure import Figure

from _study import eigenvalues_of, mean_sd, parse_args, run_study, save, write_numbers

from purernn import plots

INITS = ("normal", "orthogonal")
FRACTIONS = (0.5, 0.65, 0.8)
SIZES = (50, 100, 200)


def done(rows, **where):
    return [r for r in rows if r["status"] == "done" and all(r[k] == v for k, v in where.items())]


def main(argv=None) -> int:
    args = parse_args(__doc__, argv)
    stem, study_dir, docs, rows = run_study("dale", args)

    for axis, other, values, fname in (("dale", "n_rec", SIZES, "bulk_vs_dale.png"),
                                       ("n_rec", "dale", FRACTIONS, "bulk_vs_n_rec.png")):
        fig = Figure(figsize=(8.0, 6.0), layout="constrained")
        axes = fig.subplots(2, 2, squeeze=False)
        for j, init in enumerate(INITS):
            for i, metric in enumerate(("bulk_radius", "inner_radius")):
                groups = {}
                for v in values:
                    rs = done(rows, init=init, **{other: v})
                    groups[f"{other}={v:g}"] = ([r[axis] for r in rs], [r[metric] for r in rs])
                plots.plot_metric_by_group(groups, axes[i, j], xlabel="E fraction" if axis == "dale" else "n_rec",
                                           ylabel=metric.replace("_", " "), reference=1.0,
                                           log_x=(axis == "n_rec"))
                axes[i, j].set_title(f"{init} init", fontsize=9)
        save(fig, docs / fname)

    fig = Figure(figsize=(7.8, 5.4), layout="constrained")
    axes = fig.subplots(len(INITS), len(FRACTIONS), squeeze=False)
    for i, init in enumerate(INITS):
        for j, f in enumerate(FRACTIONS):
            rs = done(rows, init=init, dale=f, n_rec=max(SIZES))
            dom = [complex(r["dominant_re"], r["dominant_im"]) for r in rs]
            plots.plot_eigenvalue_cloud([eigenvalues_of(r) for r in rs], axes[i, j], dominant=dom,
                                        color=f"C{i}", lim=1.5,
                                        title=f"{init}, E fraction {f:g}, n_rec {max(SIZES)} (n={len(rs)})")
    fig.suptitle("trained W_rec under Dale's law, all realizations", fontsize=9)
    save(fig, docs / "clouds.png")

    table = []
    for init in INITS:
        for f in FRACTIONS:
            for n in SIZES:
                rs = [r for r in rows if r["init"] == init and r["dale"] == f and r["n_rec"] == n]
                d = [r for r in rs if r["status"] == "done"]
                table.append([init, f"{f:g}", n, f"{len(d)}/{len(rs)}",
                              f"{sum(1 for r in d if r['reached_criterion'])}/{len(d)}",
                              mean_sd(r["bulk_radius"] for r in d), mean_sd(r["inner_radius"] for r in d),
                              mean_sd(np.sum(np.abs(eigenvalues_of(r)) > 1) for r in d),
                              mean_sd(np.quantile(np.abs(eigenvalues_of(r)), 0.9) for r in d),
                              f"{sum(r['bulk_shape'] == 'ring' for r in d)}/{len(d)}",
                              mean_sd(r["spectral_radius"] for r in d),
                              mean_sd(r["bulk_radius_init"] for r in d)])
    head = ["init", "E fraction", "n_rec", "done", "reached criterion", "bulk radius", "inner radius",
            "abs(lambda) > 1 (count)", "q90 abs(lambda)", "ring", "spectral radius", "bulk radius (init)"]
    # How much the bulk radius depends on each axis: range of the condition means.
    lines = []
    for init in INITS:
        means = {(f, n): np.mean([r["bulk_radius"] for r in done(rows, init=init, dale=f, n_rec=n)] or [np.nan])
                 for f in FRACTIONS for n in SIZES}
        allr = [r["bulk_radius"] for r in done(rows, init=init)]
        q90 = {(f, n): np.mean([np.quantile(np.abs(eigenvalues_of(r)), 0.9)
                                for r in done(rows, init=init, dale=f, n_rec=n)] or [np.nan])
               for f in FRACTIONS for n in SIZES}
        by_f = [np.nanmean([means[f, n] for n in SIZES]) for f in FRACTIONS]
        by_n = [np.nanmean([means[f, n] for f in FRACTIONS]) for n in SIZES]
        if allr:
            lines.append(f"- {init}: bulk radius over all {len(allr)} networks {np.min(allr):.3f} to "
                         f"{np.max(allr):.3f}; mean by E fraction {', '.join(f'{v:.3f}' for v in by_f)}; "
                         f"by n_rec {', '.join(f'{v:.3f}' for v in by_n)}; q90 abs(lambda) by E fraction "
                         f"{', '.join(f'{np.nanmean([q90[f, n] for n in SIZES]):.3f}' for f in FRACTIONS)}, by n_rec "
                         f"{', '.join(f'{np.nanmean([q90[f, n] for f in FRACTIONS]):.3f}' for n in SIZES)}.")
    write_numbers(docs, "study_dale.py", args, stem, head, table, rows, extra="\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
