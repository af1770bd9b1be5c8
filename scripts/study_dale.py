"""Dale's law: the bulk of non-dominant eigenvalues of trained networks for E fractions
{0.5, 0.65, 0.8} and n_rec {50, 100, 200}, random normal vs random orthogonal init (XOR),
for both of purernn's Dale constructions (``dale_init``): "projected" (the draw with its
wrongly signed entries set to 0, as in the talk's Keras code) and "balanced" (|draw| with
signs, E and I cancelling row by row).

The talk reports a disk (normal init) or a ring (orthogonal init) of radius < 1 that
depends neither on the E fraction nor on the network size.

    python scripts/study_dale.py            # 5 realizations per condition (studies/dale.toml)
    python scripts/study_dale.py --quick    # 2 realizations, at most 400 steps
    python scripts/study_dale.py --no-sweep # redraw from the results database only

Writes docs/studies/dale[_quick]/: bulk_vs_dale.png, bulk_vs_n_rec.png, clouds.png,
clouds_init.png and numbers.md.
"""

from __future__ import annotations

import json

import numpy as np
from matplotlib.figure import Figure

from _study import eigenvalues_of, mean_sd, parse_args, run_study, save, write_numbers

from purernn import plots

INITS = ("normal", "orthogonal")
CONSTRUCTIONS = ("projected", "balanced")
FRACTIONS = (0.5, 0.65, 0.8)
SIZES = (50, 100, 200)
#: (construction, init) panels, in figure order
PANELS = [(c, i) for c in CONSTRUCTIONS for i in INITS]


def done(rows, dale_init=None, **where):
    """The finished rows matching `where` (and the Dale construction, when given)."""
    if dale_init is not None:
        where["dale_init"] = dale_init
    return [r for r in rows if r["status"] == "done" and all(r[k] == v for k, v in where.items())]


def q90(r, key="eigenvalues") -> float:
    """90th percentile of |lambda|: the edge of the bulk, blind to a few outliers."""
    return float(np.quantile(np.abs(eigenvalues_of(r, key)), 0.9))


def main(argv=None) -> int:
    args = parse_args(__doc__, argv)
    stem, study_dir, docs, rows = run_study("dale", args)
    for r in rows:  # the construction is not a column of the database: read it once
        r["dale_init"] = json.loads(r["config"])["network"].get("dale_init", "balanced")

    for axis, other, values, fname in (("dale", "n_rec", SIZES, "bulk_vs_dale.png"),
                                       ("n_rec", "dale", FRACTIONS, "bulk_vs_n_rec.png")):
        fig = Figure(figsize=(12.0, 6.0), layout="constrained")
        axes = fig.subplots(2, len(PANELS), squeeze=False)
        for j, (con, init) in enumerate(PANELS):
            for i, (metric, label) in enumerate((("bulk_radius", "bulk radius"),
                                                 (None, "q90 |lambda|"))):
                groups = {}
                for v in values:
                    rs = done(rows, con, init=init, **{other: v})
                    ys = [r[metric] if metric else q90(r) for r in rs]
                    groups[f"{other}={v:g}"] = ([r[axis] for r in rs], ys)
                plots.plot_metric_by_group(groups, axes[i, j], xlabel="E fraction" if axis == "dale" else "n_rec",
                                           ylabel=label, reference=1.0, log_x=(axis == "n_rec"))
                axes[i, j].set_title(f"{con}, {init} init", fontsize=9)
        save(fig, docs / fname)

    for key, fname, what in (("eigenvalues", "clouds.png", "trained"),
                             ("eigenvalues_init", "clouds_init.png", "initial")):
        fig = Figure(figsize=(7.8, 10.4), layout="constrained")
        axes = fig.subplots(len(PANELS), len(FRACTIONS), squeeze=False)
        for i, (con, init) in enumerate(PANELS):
            for j, f in enumerate(FRACTIONS):
                rs = done(rows, con, init=init, dale=f, n_rec=max(SIZES))
                dom = ([complex(r["dominant_re"], r["dominant_im"]) for r in rs]
                       if key == "eigenvalues" else None)
                plots.plot_eigenvalue_cloud([eigenvalues_of(r, key) for r in rs], axes[i, j], dominant=dom,
                                            color=f"C{i}", lim=1.5,
                                            title=f"{con}, {init}, E {f:g} (n={len(rs)})")
        fig.suptitle(f"{what} W_rec under Dale's law, n_rec {max(SIZES)}, all realizations", fontsize=9)
        save(fig, docs / fname)

    table = []
    for con, init in PANELS:
        for f in FRACTIONS:
            for n in SIZES:
                rs = [r for r in rows if r["init"] == init and r["dale"] == f and r["n_rec"] == n
                      and r["dale_init"] == con]
                d = [r for r in rs if r["status"] == "done"]
                table.append([con, init, f"{f:g}", n, f"{len(d)}/{len(rs)}",
                              f"{sum(1 for r in d if r['reached_criterion'])}/{len(d)}",
                              mean_sd(r["accuracy"] for r in d),
                              mean_sd(r["bulk_radius"] for r in d), mean_sd(r["inner_radius"] for r in d),
                              f"{sum(r['bulk_shape'] == 'ring' for r in d)}/{len(d)}",
                              mean_sd(q90(r) for r in d), mean_sd(q90(r, "eigenvalues_init") for r in d),
                              mean_sd(np.sum(np.abs(eigenvalues_of(r)) > 1) for r in d),
                              mean_sd(r["spectral_radius"] for r in d),
                              mean_sd(r["inner_radius_init"] for r in d)])
    head = ["construction", "init", "E fraction", "n_rec", "done", "reached criterion", "accuracy",
            "bulk radius", "inner radius", "ring", "q90 abs(lambda)", "q90 (init)", "abs(lambda) > 1 (count)",
            "spectral radius", "inner radius (init)"]
    # How much the bulk depends on each axis: condition means, averaged over the other
    # axis; over the networks that reached the criterion, and over all of them.
    lines = []
    for con, init in PANELS:
        for label, keep in (("trained", lambda r: r["reached_criterion"]), ("all", lambda r: True)):
            sel = [r for r in done(rows, con, init=init) if keep(r)]
            if not sel:
                continue

            def by(axis, values, key="eigenvalues"):
                out = []
                for v in values:
                    q = [q90(r, key) for r in sel if r[axis] == v]
                    out.append(f"{np.mean(q):.3f} (n={len(q)})" if q else "-")
                return ", ".join(out)

            inner = [r["inner_radius"] for r in sel]
            lines.append(f"- {con}, {init}, {label} networks ({len(sel)}): q90 abs(lambda) by E fraction "
                         f"{by('dale', FRACTIONS)}; by n_rec {by('n_rec', SIZES)}; at init by E fraction "
                         f"{by('dale', FRACTIONS, 'eigenvalues_init')}; inner radius {np.min(inner):.3f} to "
                         f"{np.max(inner):.3f}; ring {sum(r['bulk_shape'] == 'ring' for r in sel)}/{len(sel)}.")
    write_numbers(docs, "study_dale.py", args, stem, head, table, rows, extra="\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
