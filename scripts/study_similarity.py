"""How different are the solutions of the diversity study? Distances between the trained
networks of each task (linear CKA, angular Procrustes shape distance, DMD operator
distance of the delay-embedded activity), their MDS embeddings and clusters, set against
the dominant-eigenvalue classes the study records.

Needs the diversity study's run directories (``python scripts/study_diversity.py`` or
``purernn sweep studies/diversity.toml``); trains nothing. The distance matrices are the
ones ``purernn report studies/diversity`` computes (and caches in its report directory).

    python scripts/study_similarity.py            # studies/diversity
    python scripts/study_similarity.py --quick    # studies/diversity_quick

Writes docs/studies/diversity[_quick]/: distances.png, mds.png, similarity.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.stats
from matplotlib.figure import Figure

from _study import ROOT, save

from purernn import plots
from purernn._files import write_text
from purernn.sweep import format_table, rows_for_study
from purernn.sweep.reporting import (
    DISTANCE_HEADER,
    DISTANCE_TRIALS,
    distance_rows,
    network_distance_groups,
)

NAMES = {"cka": "1 - linear CKA", "procrustes": "Procrustes angle (rad)", "dsa": "DMD operator distance"}


def upper(D):
    i, j = np.triu_indices(D.shape[0], 1)
    return D[i, j]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the reduced study (studies/diversity_quick)")
    args = p.parse_args(argv)
    stem = "diversity_quick" if args.quick else "diversity"
    study_dir = ROOT / "studies" / stem
    docs = ROOT / "docs" / "studies" / stem
    rows = rows_for_study(study_dir)
    t0 = time.perf_counter()
    groups = network_distance_groups(rows, study_dir, cache_dir=study_dir / "report")
    print(f"distances: {time.perf_counter() - t0:.0f} s (little when read from the report's cache)")
    if not groups:
        raise SystemExit(f"no run directories in {study_dir}: run the study first")
    tasks = list(groups)
    metrics = list(next(iter(groups.values())).distances.matrices)

    for kind in ("distances", "mds"):
        fig = Figure(figsize=(3.4 * len(metrics), 3.1 * len(tasks)), layout="constrained")
        axes = np.atleast_2d(fig.subplots(len(tasks), len(metrics), squeeze=False))
        for i, t in enumerate(tasks):
            g = groups[t]
            classes = [r["dominant_class"] for r in g.rows]
            for j, m in enumerate(metrics):
                title = f"{t}: {NAMES[m]}"
                if kind == "distances":
                    plots.plot_distance_matrix(g.distances.matrices[m], axes[i, j], groups=classes, title=title)
                else:
                    cl = g.clusters[m]
                    plots.plot_embedding(g.embeddings[m].coords, axes[i, j], classes=classes, clusters=cl.labels,
                                         title=f"{title} ({cl.n_clusters} clusters)")
        fig.suptitle(f"{stem}: the networks of each task that reached the criterion, activity on the same {DISTANCE_TRIALS} trials; "
                     "colour = dominant-eigenvalue class" + (", marker = cluster" if kind == "mds" else ""),
                     fontsize=8)
        save(fig, docs / f"{kind}.png")

    table = [row for t in tasks for row in distance_rows(groups[t])]
    # do the measures agree, and do they follow the dominant eigenvalue?
    corr_head = ["task", "networks", "CKA vs Procrustes", "CKA vs DMD", "Procrustes vs DMD",
                 "CKA vs |d lambda_dom|", "Procrustes vs |d lambda_dom|", "DMD vs |d lambda_dom|"]
    corr = []
    for t in tasks:
        g = groups[t]
        M = {m: upper(D) for m, D in g.distances.matrices.items()}
        dom = np.array([complex(r["dominant_re"], r["dominant_im"]) for r in g.rows])
        ddom = upper(np.abs(dom[:, None] - dom[None, :]))

        def rho(a, b):
            return f"{scipy.stats.spearmanr(a, b).statistic:.2f}"

        corr.append([t, len(g.rows), rho(M["cka"], M["procrustes"]), rho(M["cka"], M["dsa"]),
                     rho(M["procrustes"], M["dsa"]), rho(M["cka"], ddom), rho(M["procrustes"], ddom),
                     rho(M["dsa"], ddom)])
    # are networks of different dominant classes farther apart than networks of the same
    # class? permutation test of the difference of the two means (class labels shuffled)
    rng = np.random.default_rng(0)
    perm_head = ["task", "distance", "complex-pair networks", "mean other - mean same", "p (10000 permutations)"]
    perm = []
    for t in tasks:
        g = groups[t]
        cls = np.array([r["dominant_class"] for r in g.rows])
        off = ~np.eye(cls.size, dtype=bool)

        def diff(c, D):
            same = (c[:, None] == c[None, :]) & off
            return D[~(c[:, None] == c[None, :])].mean() - D[same].mean()

        for m in metrics:
            D = g.distances.matrices[m]
            if len(set(cls)) < 2:
                continue
            d0 = diff(cls, D)
            null = np.array([diff(rng.permutation(cls), D) for _ in range(10000)])
            perm.append([t, NAMES[m], int(np.sum(cls != "real_outside")), f"{d0:.3f}",
                         f"{(1 + np.sum(null >= d0)) / (1 + null.size):.4f}"])
    spread = []
    for t in tasks:
        g = groups[t]
        spread.append([t] + [f"{upper(g.distances.matrices[m]).mean():.3f} "
                             f"({upper(g.distances.matrices[m]).min():.3f}-{upper(g.distances.matrices[m]).max():.3f})"
                             for m in metrics])
    text = (f"Measured by scripts/study_similarity.py{' --quick' if args.quick else ''} on the run directories "
            f"of studies/{stem}: the {sum(len(g.rows) for g in groups.values())} networks that reached the "
            f"criterion. Activity: noise-free dynamics on the same "
            f"{DISTANCE_TRIALS} trials (seed 0) for every network of a task; DMD with 5 delays, rank "
            f"{next(iter(groups.values())).distances.dmd_rank}.\n\n"
            "## Distances, clusters and the dominant-eigenvalue classes\n\n" + format_table(DISTANCE_HEADER, table)
            + "\n\n## Networks of different dominant classes vs the same class (one-sided permutation test)\n\n"
            + format_table(perm_head, perm)
            + "\n\n## Mean (min-max) pairwise distance\n\n" + format_table(["task"] + [NAMES[m] for m in metrics], spread)
            + "\n\n## Spearman correlation between the measures, and with the distance between dominant "
              "eigenvalues (pairs of networks)\n\n" + format_table(corr_head, corr) + "\n")
    write_text(docs / "similarity.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
