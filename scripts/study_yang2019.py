"""Twenty cognitive tasks in one network (Yang et al. 2019, Nat. Neurosci. 22:297): task
variance and clusters of units (Figs. 2-3), lesions of the clusters (Fig. 4), fractional
task variance of pairs of tasks (Fig. 5) and composed rule inputs (Fig. 6).

    python scripts/study_yang2019.py --easy      # 64 units, the original's easy_task (studies/yang2019_easy.toml)
    python scripts/study_yang2019.py --quick     # 64 units, full difficulty (studies/yang2019_quick.toml)
    python scripts/study_yang2019.py             # 256 units (studies/yang2019.toml)
    python scripts/study_yang2019.py --easy --no-sweep   # analyse and redraw only
    python scripts/study_yang2019.py --no-sweep --partial  # also points still training (last checkpoint)

The networks are trained by ``purernn sweep`` (resumable: an interrupted run continues
from its checkpoint, finished points are skipped), one point at a time (``--workers 1``
unless given). Each trained network is then analysed once; its numbers are cached in
``studies/<stem>/analysis/<point_id>.json`` (not in git). Figures and numbers go to
``docs/studies/<stem>/``; the page is ``docs/studies/yang2019.md``.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from matplotlib.figure import Figure

from _study import ROOT, parse_args, run_study, save

import purernn as pr
from purernn._files import write_json, write_text
from purernn.sweep import format_table, rows_for_study

A = pr.analysis
RULES = A.RULES
NAMES = A.RULE_NAMES
#: Pairs of the original's FTV figure (``analysis/variance.py``: plot_hist_varprop_selection),
#: and Anti vs Go.
PAIRS = (("dm1", "dm2"), ("contextdm1", "contextdm2"), ("dm1", "fdanti"), ("dm1", "contextdm1"),
         ("fdgo", "reactgo"), ("delaydm1", "dm1"), ("dmcgo", "dmcnogo"), ("contextdm1", "contextdelaydm1"),
         ("fdanti", "fdgo"))
#: Composed rule inputs (``analysis/taskset.py``: compute_replacerule_performance, setups
#: 1-3), and the issue's Anti = Go + (Dly Anti - Dly Go).
COMPOSITIONS = {
    "delayanti": ({"delayanti": 1}, {"fdanti": 1}, {"fdanti": 1, "delaygo": 1},
                  {"fdanti": 1, "delaygo": 1, "fdgo": -1}),
    "fdanti": ({"fdanti": 1}, {"fdgo": 1}, {"fdgo": 1, "delayanti": 1},
               {"fdgo": 1, "delayanti": 1, "delaygo": -1}),
    "contextdelaydm1": ({"contextdelaydm1": 1}, {"contextdelaydm2": 1},
                        {"contextdelaydm2": 1, "contextdm1": 1}, {"contextdm1": 1},
                        {"contextdelaydm2": 1, "contextdm1": 1, "contextdm2": -1}),
    "dmsgo": ({"dmsgo": 1}, {"dmcgo": 1}, {"dmcgo": 1, "dmsnogo": 1},
              {"dmcgo": 1, "dmsnogo": 1, "dmcnogo": -1}),
}
N_PERF = 500  # trials per rule for the performance of a trained network
N_LESION = 200  # trials per rule and lesioned cluster
N_COMPOSE = 500  # trials per composed input
K_RANGE = range(2, 30)  # numbers of clusters tried (the original's)
ANALYSIS_VERSION = 1


def analyze(net, task, seed: int) -> dict:
    """Everything measured on one trained network (JSON values)."""
    t0 = time.process_time()
    net = net.replace(dtype="float64")
    perf = A.rule_performance(net, task, RULES, n_trials=N_PERF, rng=np.random.default_rng([seed, 1]))
    tv = A.task_variance(net, task, RULES, rng=np.random.default_rng([seed, 2]))
    cl = A.cluster_units(tv, k_range=K_RANGE, n_init=20, rng=np.random.default_rng([seed, 3]))
    les = A.lesion_performance(net, task, cl.groups(), RULES, n_trials=N_LESION,
                               rng=np.random.default_rng([seed, 4]))
    comp = {rule: A.composition_performance(net, task, rule, combos, n_trials=N_COMPOSE,
                                            rng=np.random.default_rng([seed, 5]))
            for rule, combos in COMPOSITIONS.items()}
    return {
        "version": ANALYSIS_VERSION, "seed": seed, "n_rec": net.n_rec,
        "perf": perf.tolist(),
        "variance": tv.variance.tolist(), "t_start": list(tv.t_start), "n_trials_tv": list(tv.n_trials),
        "units": cl.units.tolist(), "labels": cl.labels.tolist(), "n_clusters": cl.n_clusters,
        "silhouette": cl.silhouette, "scores": {str(k): v for k, v in cl.scores.items()},
        "preferred": list(cl.preferred), "summary": cl.summary().tolist(),
        "lesion_intact": les.intact.tolist(), "lesion": les.lesioned.tolist(),
        "ftv": {f"{a}|{b}": A.fractional_task_variance(tv, a, b).tolist() for a, b in PAIRS},
        "composition": {r: {"names": list(c.names), "accuracy": c.accuracy.tolist()} for r, c in comp.items()},
        "cpu_s": time.process_time() - t0,
    }


def analysis_of(row, study_dir, task) -> dict | None:
    """The cached analysis of a point's network, computed on first use: the trained network
    of a finished point, the last checkpoint of one still training (cached per step)."""
    run_dir = study_dir / "runs" / row["point_id"]
    res = None
    name = row["point_id"]
    if row["status"] != "done":
        res = pr.load_run(run_dir)
        name += f"-step{res.n_steps}"
    path = study_dir / "analysis" / f"{name}.json"
    if path.exists():
        out = json.loads(path.read_text())
        if out.get("version") == ANALYSIS_VERSION:
            return out
    res = pr.load_run(run_dir) if res is None else res
    out = analyze(res.net, task, int(row["seed"]))
    h = res.history
    by = np.asarray(h.get("val_accuracy_by_condition", np.zeros((0, 0))))
    out.update(n_steps=int(res.n_steps), train_wall_s=float(res.wall_time), stop_reason=str(res.stop_reason),
               eval_step=np.asarray(h["eval_step"]).tolist(),
               val_worst=(by.min(axis=1).tolist() if by.size else []),
               val_mean=np.asarray(h["val_accuracy"]).tolist())
    write_json(path, out, indent=None)
    print(f"analysed {row['point_id']} (seed {row['seed']}): {out['cpu_s']:.0f} s CPU")
    return out


# -- figures --------------------------------------------------------------------------


def fig_example(a: dict, docs, title: str) -> None:
    """Clustered task-variance map, cluster summary and lesion effects of one network."""
    V = np.asarray(a["variance"])
    units = np.asarray(a["units"])
    X = A.normalize_variance(V[units], "max")
    labels = np.asarray(a["labels"])
    sizes = np.bincount(labels, minlength=a["n_clusters"]).tolist()
    fig = Figure(figsize=(13.0, 4.8), layout="constrained")
    ax = fig.subplots(1, 3, gridspec_kw={"width_ratios": [2.2, 1.0, 1.0]})
    pr.plots.plot_task_variance_map(X, labels, RULES, ax[0], names=NAMES,
                                    title=f"{title}: normalized task variance of the active units")
    pr.plots.plot_cluster_summary(np.asarray(a["summary"]), RULES, ax[1], names=NAMES, sizes=sizes,
                                  title=f"{a['n_clusters']} clusters (silhouette {a['silhouette']:.2f})")
    change = np.asarray(a["lesion"]) - np.asarray(a["lesion_intact"])[None, :]
    pr.plots.plot_lesion_effects(change, RULES, ax[2], names=NAMES, title="silencing one cluster")
    save(fig, docs / "clusters_example.png")


def fig_scores(results, docs) -> None:
    fig = Figure(figsize=(4.6, 3.2), layout="constrained")
    ax = fig.subplots()
    for i, a in enumerate(results):
        scores = {int(k): v for k, v in a["scores"].items()}
        pr.plots.plot_silhouette_scores(scores, ax, chosen=a["n_clusters"], color=f"C{i % 10}",
                                        label=f"seed {a['seed']}")
    ax.legend(fontsize=7, frameon=False)
    ax.set_title("k-means of the normalized task variance", fontsize=9)
    save(fig, docs / "silhouette.png")


def fig_ftv(results, docs) -> None:
    n = len(PAIRS)
    cols = 3
    fig = Figure(figsize=(10.0, 2.6 * ((n + cols - 1) // cols)), layout="constrained")
    axes = fig.subplots((n + cols - 1) // cols, cols, squeeze=False).ravel()
    for ax, (a, b) in zip(axes, PAIRS):
        pr.plots.plot_ftv_histogram([r["ftv"][f"{a}|{b}"] for r in results], ax, pair=(NAMES[a], NAMES[b]))
        ax.legend(fontsize=6, frameon=False, loc="upper center")
    for ax in axes[n:]:
        ax.set_visible(False)
    save(fig, docs / "ftv.png")


def fig_composition(results, docs) -> None:
    fig = Figure(figsize=(12.0, 2.9), layout="constrained")
    axes = fig.subplots(1, len(COMPOSITIONS))
    for ax, rule in zip(axes, COMPOSITIONS):
        names = results[0]["composition"][rule]["names"]
        acc = np.array([r["composition"][rule]["accuracy"] for r in results])
        pr.plots.plot_composition(names, acc, ax, rule_name=NAMES[rule])
    save(fig, docs / "composition.png")


def fig_training(results, docs) -> None:
    fig = Figure(figsize=(5.0, 3.2), layout="constrained")
    ax = fig.subplots()
    for i, a in enumerate(results):
        if a["val_worst"]:
            ax.plot(a["eval_step"], a["val_worst"], color=f"C{i % 10}", lw=1, label=f"seed {a['seed']}: worst rule")
            ax.plot(a["eval_step"], a["val_mean"], color=f"C{i % 10}", lw=0.6, ls=":")
    ax.axhline(0.9, color="0.4", lw=0.8, ls="--")
    ax.set_xlabel("optimizer step (batch of 64 trials)", fontsize=8)
    ax.set_ylabel("validation performance", fontsize=8)
    ax.set_title("worst rule (solid) and mean over rules (dotted)", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    save(fig, docs / "training.png")


# -- numbers --------------------------------------------------------------------------


def _ms(values, fmt="{:.2f}") -> str:
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return "-"
    return (fmt + " +/- " + fmt).format(v.mean(), v.std(ddof=1) if v.size > 1 else 0.0)


def ftv_shape(values) -> tuple:
    """Fractions of units with |FTV| > 0.8 at each end and with |FTV| < 0.3."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    return (float(np.mean(v > 0.8)), float(np.mean(v < -0.8)), float(np.mean(np.abs(v) < 0.3)))


def numbers(results, rows, stem: str) -> str:
    head = ["seed", "steps", "stopped by", "train wall (min)", "worst rule (fresh)", "mean perf",
            "active units", "clusters", "silhouette"]
    table = []
    for a in results:
        p = np.asarray(a["perf"])
        table.append([a["seed"], a["n_steps"], a.get("stop_reason", "-"), f"{a['train_wall_s'] / 60:.1f}",
                      f"{p.min():.3f} ({NAMES[RULES[int(p.argmin())]]})", f"{p.mean():.3f}", len(a["units"]),
                      a["n_clusters"], f"{a['silhouette']:.3f}"])
    text = [f"Measured by scripts/study_yang2019.py ({stem}), {len(results)} networks.", "",
            format_table(head, table), ""]

    # clusters: the rules where each cluster's mean normalized task variance exceeds 0.5
    lines = []
    for a in results:
        S = np.asarray(a["summary"])
        sizes = np.bincount(np.asarray(a["labels"]), minlength=a["n_clusters"])
        parts = [f"{c + 1} ({sizes[c]} units): " + ", ".join(NAMES[RULES[j]] for j in np.flatnonzero(S[c] > 0.5))
                 for c in range(a["n_clusters"])]
        lines.append(f"- seed {a['seed']}: " + "; ".join(parts))
    text += ["Rules in which each cluster varies most (mean normalized task variance > 0.5):", ""] + lines + [""]

    # lesions: for each network, the rules each cluster is needed for (drop > 0.2)
    lines = []
    for a in results:
        change = np.asarray(a["lesion"]) - np.asarray(a["lesion_intact"])[None, :]
        parts = []
        for c in range(a["n_clusters"]):
            hit = [NAMES[RULES[j]] for j in np.flatnonzero(change[c] < -0.2)]
            parts.append(f"{c + 1}: " + (", ".join(hit) if hit else "none"))
        specific = sum(1 for c in range(a["n_clusters"]) if 0 < np.sum(change[c] < -0.2) < len(RULES))
        lines.append(f"- seed {a['seed']}: {specific} of {a['n_clusters']} clusters hurt some rules "
                     f"but not all (drop > 0.2); " + "; ".join(parts))
    text += ["Rules whose performance drops by more than 0.2 when a cluster is silenced:", ""] + lines + [""]

    head = ["pair", "FTV > 0.8", "FTV < -0.8", "|FTV| < 0.3", "units"]
    table = []
    for a_, b_ in PAIRS:
        shapes = np.array([ftv_shape(r["ftv"][f"{a_}|{b_}"]) for r in results])
        units = [len(r["ftv"][f"{a_}|{b_}"]) for r in results]
        table.append([f"{NAMES[a_]} vs {NAMES[b_]}", _ms(shapes[:, 0]), _ms(shapes[:, 1]), _ms(shapes[:, 2]),
                      _ms(units, "{:.0f}")])
    text += ["Fractional task variance (fraction of the units active in the pair; mean +/- sd over networks):",
             "", format_table(head, table), ""]

    head = ["trials of", "rule input", "performance"]
    table = []
    for rule in COMPOSITIONS:
        names = results[0]["composition"][rule]["names"]
        acc = np.array([r["composition"][rule]["accuracy"] for r in results])
        for j, nm in enumerate(names):
            table.append([NAMES[rule], nm, _ms(acc[:, j])])
    text += ["Performance with composed rule inputs (mean +/- sd over networks):", "",
             format_table(head, table), ""]
    cpu = sum(a["cpu_s"] for a in results)
    wall = sum(a["train_wall_s"] for a in results)
    text += [f"Cost: training {wall / 60:.1f} min wall in total ({len(rows)} points), analysis "
             f"{cpu / 60:.1f} min CPU."]
    return "\n".join(text) + "\n"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    easy, partial = "--easy" in argv, "--partial" in argv
    args = parse_args(__doc__, [a for a in argv if a not in ("--easy", "--partial")])
    if args.workers is None:
        args.workers = 1  # one training at a time
    stem, study_dir, docs, rows = run_study("yang2019_easy" if easy else "yang2019", args)
    if partial:  # every point, finished or not
        rows = rows_for_study(study_dir)
    done = sorted((r for r in rows if r["status"] == "done" or (
        partial and (study_dir / "runs" / r["point_id"] / "run.json").exists())), key=lambda r: int(r["seed"]))
    if not done:
        print("no finished networks yet")
        return 1
    cfg = json.loads(done[0]["config"])["task"]
    task = pr.tasks.make(cfg.pop("name"), **cfg)
    results = [analysis_of(r, study_dir, task) for r in done]
    fig_example(results[0], docs, f"seed {results[0]['seed']}")
    fig_scores(results, docs)
    fig_ftv(results, docs)
    fig_composition(results, docs)
    fig_training(results, docs)
    text = numbers(results, rows, stem)
    write_text(docs / "numbers.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
