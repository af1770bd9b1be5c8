"""Report of a study (``purernn report STUDY_DIR``): success rates per condition, spectra
of all realizations, dominant-eigenvalue classes, bulk radius against the E/I fraction
and the network size, and degradation curves, from the results database only; and, when
the run directories are there, how different the trained networks' solutions are
(distance matrices between their activity, an MDS embedding and clusters, set against
the dominant-eigenvalue classes). Nothing is trained.

    rep = purernn.sweep.report("studies/init")       # rep.text, rep.tables, rep.figures
    table = purernn.sweep.condition_table(rows)       # one dict per condition
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import plots
from .._files import json_bytes, write_files
from .._validate import check_choice
from ..taskspec import task_from_json
from ..analysis.embedding import adjusted_rand_index, cluster, mds
from ..analysis.similarity import METRICS, NetworkDistances, condition_states, network_distances
from ..errors import PurernnError, ValidationError
from ..evaluation import wilson_interval
from ..figures import DPI, FORMATS, new_figure, save_figure
from ..runs import RUN_JSON, load_run
from .db import rows_for_study
from .study import STUDY_FILE, format_value, load_study

__all__ = ["REPORT_DIR", "StudyReport", "condition_table", "format_table", "report", "eigenvalues_of",
           "group_rows", "degradation_curves", "figure_eigenvalue_clouds", "figure_class_counts",
           "figure_metric_vs", "figure_degradation", "DistanceGroup", "network_distance_groups",
           "figure_distances", "distance_rows", "DISTANCE_HEADER"]

logger = logging.getLogger(__name__)

#: The report's directory inside a study directory.
REPORT_DIR = "report"
_CLASSES = ("real_inside", "real_outside", "complex_inside", "complex_outside")


@dataclass(frozen=True)
class StudyReport:
    """What :func:`report` wrote.

    Attributes
    ----------
    out : pathlib.Path
        The report directory.
    text : str
        The tables, in the chosen format.
    tables : dict of str -> list of dict
        ``"conditions"`` (one row per condition) and ``"failed"`` (failed points).
    figures : tuple of pathlib.Path
    """

    out: Path
    text: str
    tables: dict
    figures: tuple


def eigenvalues_of(row: dict, key: str = "eigenvalues") -> np.ndarray:
    """The eigenvalues stored in a result row, as complex (n_rec,) (empty if absent)."""
    if not row.get(key):
        return np.zeros(0, dtype=complex)
    pairs = np.asarray(json.loads(row[key]), dtype=float).reshape(-1, 2)
    return pairs[:, 0] + 1j * pairs[:, 1]


def group_rows(rows, keys=None) -> dict:
    """Rows grouped by condition label (or by the values of `keys`), in grid order."""
    groups: dict = {}
    for r in rows:
        if keys is None:
            lab = r["label"]
        else:
            cond = json.loads(r["condition"])
            lab = ", ".join(f"{k}={format_value(cond.get(k))}" for k in keys)
        groups.setdefault(lab, []).append(r)
    return groups


def _ms(values) -> tuple:
    v = np.asarray([x for x in values if x is not None], dtype=float)
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def condition_table(rows) -> list:
    """One summary per condition: counts, success rate, accuracy and spectral numbers.

    Parameters
    ----------
    rows : list of dict
        Result rows (:meth:`purernn.sweep.ResultsDB.rows`).

    Returns
    -------
    list of dict
        Keys: ``condition``, ``n`` (points), ``n_done``, ``n_failed``, ``success``
        (done points whose accuracy on fresh trials reached the task's criterion),
        ``success_rate`` with its Wilson 95% interval ``ci_low``/``ci_high`` (over done
        points), ``accuracy``/``accuracy_sd``, ``steps``, ``radius``/``radius_sd``,
        ``bulk_radius``/``bulk_radius_sd``, ``inner_radius``/``inner_radius_sd`` (trained
        W_rec), ``bulk_radius_init``, ``n_outside`` (eigenvalues outside the unit circle
        per realization), ``q90_modulus`` (90th percentile of the moduli), ``n_ring``
        (bulks classed as rings) and one count per dominant class.
    """
    out = []
    for lab, rs in group_rows(rows).items():
        done = [r for r in rs if r["status"] == "done"]
        k = sum(1 for r in done if r["reached_criterion"])
        lo, hi = wilson_interval(k, len(done)) if done else (math.nan, math.nan)
        entry = {"condition": lab, "n": len(rs), "n_done": len(done),
                 "n_failed": sum(1 for r in rs if r["status"] == "failed"),
                 "success": k, "success_rate": k / len(done) if done else math.nan,
                 "ci_low": lo, "ci_high": hi}
        for key, col in (("accuracy", "accuracy"), ("steps", "n_steps"), ("radius", "spectral_radius"),
                         ("bulk_radius", "bulk_radius"), ("inner_radius", "inner_radius"),
                         ("bulk_radius_init", "bulk_radius_init")):
            m, sd = _ms(r[col] for r in done)
            entry[key] = m
            entry[key + "_sd"] = sd
        # from the stored eigenvalues: how many leave the unit circle, and where the
        # bulk's edge is when the few largest are set aside (90th percentile of |lambda|)
        eig = [np.abs(eigenvalues_of(r)) for r in done if r.get("eigenvalues")]
        entry["n_outside"], entry["n_outside_sd"] = _ms(float(np.sum(m > 1.0)) for m in eig)
        entry["q90_modulus"], entry["q90_modulus_sd"] = _ms(float(np.quantile(m, 0.9)) for m in eig)
        entry["n_ring"] = sum(1 for r in done if r["bulk_shape"] == "ring")
        for c in _CLASSES:
            entry[c] = sum(1 for r in done if r["dominant_class"] == c)
        out.append(entry)
    return out


_MAIN_COLUMNS = (
    ("condition", "condition", "{}"),
    ("done/n", None, None),
    ("success", None, None),
    ("accuracy", "accuracy", "{:.3f}"),
    ("steps", "steps", "{:.0f}"),
    ("radius", "radius", "{:.3f}"),
    ("bulk radius", "bulk_radius", "{:.3f}"),
    ("inner radius", "inner_radius", "{:.3f}"),
    ("abs(lambda) > 1", "n_outside", "{:.1f}"),
    ("q90 abs(lambda)", "q90_modulus", "{:.3f}"),
    ("ring", None, None),
    ("real in/out", None, None),
    ("complex in/out", None, None),
)


def _cells(e: dict) -> list:
    cells = []
    for head, key, fmt in _MAIN_COLUMNS:
        if head == "done/n":
            cells.append(f"{e['n_done']}/{e['n']}")
        elif head == "success":
            cells.append("-" if not e["n_done"] else
                         f"{e['success']}/{e['n_done']} ({e['success_rate']:.0%}, CI {e['ci_low']:.2f}-{e['ci_high']:.2f})")
        elif head == "ring":
            cells.append(f"{e['n_ring']}/{e['n_done']}")
        elif head == "real in/out":
            cells.append(f"{e['real_inside']}/{e['real_outside']}")
        elif head == "complex in/out":
            cells.append(f"{e['complex_inside']}/{e['complex_outside']}")
        else:
            v = e[key]
            if isinstance(v, float) and math.isnan(v):
                cells.append("-")
            else:
                s = fmt.format(v)
                sd = e.get(key + "_sd")
                if sd is not None and isinstance(v, float) and key != "condition" and e["n_done"] > 1:
                    s += " +/- " + fmt.format(sd)
                cells.append(s)
    return cells


def format_table(header, rows, fmt: str = "markdown") -> str:
    """A table as GitHub markdown or aligned plain text."""
    rows = [[str(c) for c in r] for r in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _axis_values(rows, key):
    vals = []
    for r in rows:
        v = json.loads(r["condition"]).get(key)
        if v not in vals:
            vals.append(v)
    return vals


def figure_eigenvalue_clouds(rows, path: Path, *, key: str = "eigenvalues", max_cols: int = 4, dpi: int = DPI):
    """One panel per condition: the eigenvalues of all its realizations overlaid.

    Each ``figure_*`` function writes the figure to `path` (PNG, PDF or SVG by its suffix, at
    `dpi`) and returns the path, or returns None (writing nothing) when the rows hold no
    data for that figure.
    """
    groups = {lab: [r for r in rs if r["status"] == "done" and r.get(key)]
              for lab, rs in group_rows(rows).items()}
    groups = {k: v for k, v in groups.items() if v}
    if not groups:
        return None
    n = len(groups)
    ncols = min(max_cols, n)
    nrows = -(-n // ncols)
    lim = 1.1 * max(1.0, max(float(np.abs(eigenvalues_of(r, key)).max()) for rs in groups.values() for r in rs))
    fig = new_figure((2.6 * ncols, 2.7 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for k, (ax, (lab, rs)) in enumerate(zip(axes, groups.items())):
        dom = None
        if key == "eigenvalues":
            dom = [complex(r["dominant_re"], r["dominant_im"]) for r in rs]
        plots.plot_eigenvalue_cloud([eigenvalues_of(r, key) for r in rs], ax, dominant=dom,
                                    color=f"C{k % 10}", title=f"{lab} (n={len(rs)})", lim=lim)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("eigenvalues of W_rec, " + ("trained" if key == "eigenvalues" else "initial")
                 + "; all realizations overlaid (stars: dominant)", fontsize=8)
    return save_figure(fig, path, dpi=dpi)


def figure_class_counts(rows, path: Path, *, dpi: int = DPI):
    """Dominant-eigenvalue classes of the done realizations, counted per condition."""
    counts = {}
    for lab, rs in group_rows(rows).items():
        c: dict = {}
        for r in rs:
            if r["status"] == "done":
                c[r["dominant_class"]] = c.get(r["dominant_class"], 0) + 1
        if c:
            counts[lab] = c
    if not counts:
        return None
    fig = new_figure((max(4.0, 0.6 * len(counts) + 2.0), 3.6))
    plots.plot_class_counts(counts, fig.subplots())
    return save_figure(fig, path, dpi=dpi)


def figure_metric_vs(rows, path: Path, axis: str, *, metric: str = "bulk_radius", xlabel=None, dpi: int = DPI):
    """`metric` of each done realization against grid axis `axis`, grouped by the other
    axes (``dale = none`` is left out of a plot against dale)."""
    done = [r for r in rows if r["status"] == "done" and r.get(metric) is not None]
    if not done:
        return None
    conds = [json.loads(r["condition"]) for r in done]
    if axis not in conds[0] or len({format_value(c.get(axis)) for c in conds}) < 2:
        return None
    others = [k for k in conds[0] if k != axis]
    groups: dict = {}
    for r, c in zip(done, conds):
        if c.get(axis) is None:
            continue
        lab = ", ".join(f"{k}={format_value(c[k])}" for k in others if len(_axis_values(done, k)) > 1) or metric
        xs, ys = groups.setdefault(lab, ([], []))
        xs.append(float(c[axis]))
        ys.append(float(r[metric]))
    if not groups:
        return None
    fig = new_figure((4.6, 3.4))
    plots.plot_metric_by_group(groups, fig.subplots(), xlabel=xlabel or axis,
                               ylabel=metric.replace("_", " "), reference=1.0 if "radius" in metric else None,
                               log_x=(axis == "n_rec"))
    return save_figure(fig, path, dpi=dpi)


def degradation_curves(rows) -> dict:
    """Condition label -> (fractions, accuracy (n_runs, n_fractions)) from the rows that
    recorded degradation (each run's accuracy averaged over its lesion draws)."""
    curves = {}
    for lab, rs in group_rows(rows).items():
        acc, fr = [], None
        for r in rs:
            if r["status"] != "done" or not r.get("degradation"):
                continue
            d = json.loads(r["degradation"])
            fr = d["fractions"]
            acc.append(np.asarray(d["accuracy"], dtype=float).mean(axis=1))
        if acc:
            curves[lab] = (np.asarray(fr), np.vstack(acc))
    return curves


def figure_degradation(rows, path: Path, *, dpi: int = DPI):
    """Accuracy against the fraction removed, one curve per condition (mean over runs)."""
    curves = degradation_curves(rows)
    if not curves:
        return None
    fig = new_figure((4.8, 3.6))
    plots.plot_degradation_by_condition(curves, fig.subplots())
    return save_figure(fig, path, dpi=dpi)


#: The distance section: every network of a task sees the same `DISTANCE_TRIALS` trials
#: (seed 0, single trials, not averaged: trials of one condition may differ in timing);
#: at most `MAX_DISTANCE_NETWORKS` networks per task are compared (realization by
#: realization across the conditions, so every condition is represented).
DISTANCE_TRIALS = 16
MAX_DISTANCE_NETWORKS = 40
#: DMD and matching settings of the dynamics distance (kept in the cache key).
DISTANCE_SETTINGS = {"n_delays": 5, "rank": 6, "max_iter": 150}
_METRIC_NAMES = {"cka": "1 - linear CKA", "procrustes": "Procrustes angle (rad)",
                 "dsa": "DMD operator distance"}


@dataclass(frozen=True)
class DistanceGroup:
    """The networks of one task compared: distances, embeddings and clusters per measure
    (`solutions`: only networks that reached the criterion)."""

    task: str
    rows: tuple
    solutions: bool
    distances: NetworkDistances
    embeddings: dict
    clusters: dict


def _task_of(row: dict):
    """The task of a database row, as its sweep made it (fields that purernn added later
    take the value the sweep's purernn behaved as: :func:`purernn.taskspec.task_from_json`)."""
    return task_from_json(json.loads(row["config"])["task"])


def _cached(cache: Path, key: dict, labels) -> NetworkDistances | None:
    """The cached matrices for `key`'s points, or their rows and columns of a cache over
    more points (every pair distance is computed alone, so a sub-matrix is exact, as long
    as the DMD rank was the full setting for all); None if the cache cannot serve."""
    try:
        saved = json.loads(cache.read_text())
        old = saved["key"]
        if {k: v for k, v in old.items() if k != "points"} != {k: v for k, v in key.items() if k != "points"}:
            return None
        if (old["points"] != key["points"] and "dsa" in key["metrics"]
                and int(saved["dmd_rank"]) != DISTANCE_SETTINGS["rank"]):
            return None
        index = [old["points"].index(p) for p in key["points"]]
    except (ValueError, KeyError, TypeError):  # unreadable, or a point not in it
        return None
    ix = np.ix_(index, index)
    return NetworkDistances(labels=tuple(labels), dmd_rank=int(saved["dmd_rank"]),
                            matrices={k: np.asarray(v)[ix] for k, v in saved["matrices"].items()})


def network_distance_groups(rows, study_dir, *, n_trials: int = DISTANCE_TRIALS,
                            max_networks: int = MAX_DISTANCE_NETWORKS, metrics=METRICS, cache_dir=None) -> dict:
    """Task -> :class:`DistanceGroup` of the trained networks whose run directories exist.

    The networks compared are the solutions, those that reached the task's criterion;
    when fewer than 3 did, every done network of the task is (``DistanceGroup.solutions``
    says which). Tasks with fewer than 3 networks are left out. With `cache_dir`, the
    distance matrices are kept in ``distances_<task>.json`` there and reused while the
    points (or a subset of them) and the settings are the same. The dynamics distance
    (``"dsa"``) costs about 0.05 s per pair of networks; the others are faster.
    """
    study_dir = Path(study_dir)
    out = {}
    by_task: dict = {}
    for r in sorted((r for r in rows if r["status"] == "done" and r.get("run_dir")),
                    key=lambda r: (r["seed"], r["idx"] if r.get("idx") is not None else 0)):
        if (study_dir / r["run_dir"] / RUN_JSON).exists():
            by_task.setdefault(r["task"], []).append(r)
    for name, rs in by_task.items():
        good = [r for r in rs if r.get("reached_criterion")]
        solutions = len(good) >= 3
        rs = (good if solutions else rs)[:max_networks]
        if len(rs) < 3:
            continue
        labels = [f"{r['label']} seed {r['seed']}" for r in rs]
        key = {"points": [r["point_id"] for r in rs], "n_trials": n_trials, "metrics": list(metrics),
               **DISTANCE_SETTINGS}
        cache = Path(cache_dir) / f"distances_{name}.json" if cache_dir is not None else None
        nd = _cached(cache, key, labels) if cache is not None and cache.exists() else None
        if nd is None:
            try:
                batch = _task_of(rs[0]).sample(n_trials, rng=0)
                reps = [condition_states(load_run(study_dir / r["run_dir"]).net, batch, average=False) for r in rs]
                nd = network_distances(reps, labels=labels, metrics=metrics, **DISTANCE_SETTINGS)
            except (PurernnError, OSError) as err:
                logger.warning("distances of the %s networks: %s", name, err)
                continue
            if cache is not None:
                write_files(cache.parent, {cache.name: json_bytes(
                    {"key": key, "labels": labels, "dmd_rank": nd.dmd_rank,
                     "matrices": {k: v.tolist() for k, v in nd.matrices.items()}})})
        out[name] = DistanceGroup(task=name, rows=tuple(rs), solutions=solutions, distances=nd,
                                  embeddings={m: mds(D) for m, D in nd.matrices.items()},
                                  clusters={m: cluster(D) for m, D in nd.matrices.items()})
    return out


def distance_rows(g: DistanceGroup) -> list:
    """One table row per distance of a group (columns :data:`DISTANCE_HEADER`): mean
    distance between networks of the same and of different dominant-eigenvalue classes,
    the clusters, their members by class, and the adjusted Rand index against the classes."""
    classes = np.array([r["dominant_class"] for r in g.rows])
    same = classes[:, None] == classes[None, :]
    off = ~np.eye(len(classes), dtype=bool)
    body = []
    for m, D in g.distances.matrices.items():
        cl = g.clusters[m]
        within = D[same & off].mean() if np.any(same & off) else math.nan
        between = D[~same].mean() if np.any(~same) else math.nan
        members = "; ".join(
            f"{k}: " + ", ".join(f"{c.replace('_', ' ')} {int(np.sum(classes[cl.labels == k] == c))}"
                                 for c in dict.fromkeys(classes[cl.labels == k]))
            for k in range(cl.n_clusters))
        ari = adjusted_rand_index(cl.labels, classes) if len(set(classes)) > 1 or cl.n_clusters > 1 else 1.0
        body.append([g.task, _METRIC_NAMES[m], f"{len(g.rows)} {'solutions' if g.solutions else 'done'}",
                     f"{within:.3f}", f"{between:.3f}",
                     f"{cl.n_clusters} (silhouette {cl.silhouette:.2f})", members, f"{ari:.2f}"])
    return body


DISTANCE_HEADER = ["task", "distance", "networks", "mean, same class", "mean, other class", "clusters",
                    "cluster members by dominant class", "ARI clusters vs classes"]


def figure_distances(group: DistanceGroup, path: Path, *, dpi: int = DPI):
    """The distance matrices of one task (top) and their MDS embeddings (bottom), coloured
    by dominant-eigenvalue class, markers by cluster."""
    classes = [r["dominant_class"] for r in group.rows]
    mats = group.distances.matrices
    fig = new_figure((3.3 * len(mats), 6.4))
    axes = np.atleast_2d(fig.subplots(2, len(mats), squeeze=False))
    for k, (m, D) in enumerate(mats.items()):
        plots.plot_distance_matrix(D, axes[0, k], groups=classes, title=_METRIC_NAMES[m])
        plots.plot_embedding(group.embeddings[m].coords, axes[1, k], classes=classes,
                             clusters=group.clusters[m].labels, title=f"MDS of {_METRIC_NAMES[m]}")
    kind = "networks that reached the criterion" if group.solutions else "trained networks"
    fig.suptitle(f"{group.task}: {len(group.rows)} {kind}, activity on the same "
                 f"{DISTANCE_TRIALS} trials", fontsize=8)
    return save_figure(fig, path, dpi=dpi)


def report(study_dir, *, out=None, fmt: str = "markdown", figures: bool = True,
           distances: bool = True, fig_format: str = "png", dpi: int = DPI) -> StudyReport:
    """Write the tables and figures of a study directory.

    Parameters
    ----------
    study_dir : str or path-like
        Holds ``results.sqlite`` (and ``study.toml``, whose points are reported; without
        it every row of the database is).
    out : str or path-like, optional
        Default ``study_dir / "report"``.
    fmt : {"markdown", "text"}
        Format of the tables.
    figures : bool
    fig_format : {"png", "pdf", "svg"}
        File format of the figures (their names below get this suffix).
    dpi : int
        Resolution of the figures (dots per inch).
    distances : bool
        Compare the trained networks of each task (:func:`network_distance_groups`;
        needs the run directories, cached in the report directory).

    Returns
    -------
    StudyReport

    Notes
    -----
    Files: ``report.md`` (or ``report.txt``), ``conditions.json``; figures
    ``eigenvalues.png`` (trained), ``eigenvalues_init.png``, ``dominant_classes.png``,
    ``bulk_radius_vs_dale.png``, ``bulk_radius_vs_n_rec.png``, ``inner_radius_vs_dale.png``,
    ``degradation.png`` when the data for them are there; ``distances_<task>.png`` (and
    ``distances_<task>.json``) when the run directories are.
    """
    check_choice("fmt", fmt, ("markdown", "text"))
    check_choice("fig_format", fig_format, FORMATS)
    study_dir = Path(study_dir)
    rows = rows_for_study(study_dir)
    out = Path(out) if out is not None else study_dir / REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    name = study_dir.name
    if (study_dir / STUDY_FILE).exists():
        try:
            name = load_study(study_dir / STUDY_FILE).name
        except ValidationError as err:  # e.g. written by another purernn version
            logger.warning("%s", err)
    table = condition_table(rows)
    failed = [{"point_id": r["point_id"], "condition": r["label"], "seed": r["seed"],
               "error": (r["error"] or "").splitlines()[0] if r["error"] else ""}
              for r in rows if r["status"] == "failed"]
    counts: dict = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    parts = []
    head = f"Study {name}: {len(rows)} points (" + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + ")"
    parts.append(("# " if fmt == "markdown" else "") + head)
    parts.append("Success: accuracy on fresh trials >= the task's criterion (95% Wilson interval). "
                 "Spectral numbers of the trained W_rec, mean +/- sd over done realizations "
                 "(abs(lambda) > 1: eigenvalues outside the unit circle per network; q90: 90th "
                 "percentile of the moduli); "
                 "ring: bulk with inner radius >= 0.5 bulk radius; last columns: dominant-eigenvalue "
                 "classes (inside/outside the unit circle).")
    parts.append(format_table([h for h, _, _ in _MAIN_COLUMNS], [_cells(e) for e in table], fmt))
    curves = degradation_curves(rows)
    if curves:
        fr = next(iter(curves.values()))[0]
        hdr = ["condition", "n"] + [f"{f:g}" for f in fr]
        body = [[lab, acc.shape[0]] + [f"{m:.2f}" for m in acc.mean(axis=0)] for lab, (_, acc) in curves.items()]
        parts.append(("## " if fmt == "markdown" else "") + "Accuracy vs fraction removed (mean over realizations)")
        parts.append(format_table(hdr, body, fmt))
    groups = network_distance_groups(rows, study_dir, cache_dir=out) if distances else {}
    if groups:
        parts.append(("## " if fmt == "markdown" else "") + "How different the solutions are")
        parts.append(f"Distances between the trained networks of each task (those that reached the criterion, "
                     f"or all done ones when fewer than 3 did), from their activity on the same "
                     f"{DISTANCE_TRIALS} trials (purernn.analysis.network_distances): 1 - linear CKA, the "
                     "angular Procrustes shape distance, and the distance between DMD operators of the "
                     "delay-embedded activity up to a rotation (dynamics). Clusters: average linkage, their "
                     "number chosen by the silhouette; ARI: adjusted Rand index of the clusters against the "
                     "dominant-eigenvalue classes (1 = the same partition, about 0 = unrelated).")
        parts.append(format_table(DISTANCE_HEADER, [row for g in groups.values() for row in distance_rows(g)],
                                  fmt))
    if failed:
        parts.append(("## " if fmt == "markdown" else "") + f"Failed points ({len(failed)})")
        parts.append(format_table(["point", "condition", "seed", "error"],
                                  [[f["point_id"], f["condition"], f["seed"], f["error"][:120]] for f in failed], fmt))
    text = "\n\n".join(parts) + "\n"
    write_files(out, {"report.md" if fmt == "markdown" else "report.txt": text.encode("ascii", errors="replace"),
                      "conditions.json": json_bytes({"conditions": table, "failed": failed})})
    written = []
    if figures:
        jobs = (
            (figure_eigenvalue_clouds, "eigenvalues.png", {}),
            (figure_eigenvalue_clouds, "eigenvalues_init.png", {"key": "eigenvalues_init"}),
            (figure_class_counts, "dominant_classes.png", {}),
            (figure_metric_vs, "bulk_radius_vs_dale.png", {"axis": "dale", "xlabel": "E fraction (dale)"}),
            (figure_metric_vs, "bulk_radius_vs_n_rec.png", {"axis": "n_rec"}),
            (figure_metric_vs, "inner_radius_vs_dale.png", {"axis": "dale", "metric": "inner_radius",
                                                            "xlabel": "E fraction (dale)"}),
            (figure_metric_vs, "inner_radius_vs_n_rec.png", {"axis": "n_rec", "metric": "inner_radius"}),
            (figure_degradation, "degradation.png", {}),
        )
        for fn, fname, kw in jobs:
            p = fn(rows, (out / fname).with_suffix("." + fig_format), dpi=dpi, **kw)
            if p is not None:
                written.append(p)
        written += [figure_distances(g, out / f"distances_{name}.{fig_format}", dpi=dpi)
                    for name, g in groups.items()]
    logger.info("report of %s written to %s (%d figures)", study_dir, out, len(written))
    return StudyReport(out=out, text=text, tables={"conditions": table, "failed": failed},
                       figures=tuple(written))
