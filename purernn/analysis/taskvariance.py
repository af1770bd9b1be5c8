"""How is one network shared among many tasks? Task variance, clusters of units and
fractional task variance, after Yang et al. (2019), Figs. 2, 3 and 5 (lesions and
composed rule inputs, Figs. 4 and 6, are in :mod:`purernn.analysis.multirule`).

G. R. Yang, M. R. Joglekar, H. F. Song, W. T. Newsome & X.-J. Wang (2019), "Task
representations in neural networks trained to perform many cognitive tasks", Nat.
Neurosci. 22:297 (Figs. 2-6); their code, github.com/gyyang/multitask
(``analysis/variance.py``, ``analysis/clustering.py``, ``analysis/taskset.py``,
``network.py``). The definitions here are theirs; the code is purernn's own.

    tv = task_variance(net, task, rules=RULES)          # (n_rec, n_rules)
    cl = cluster_units(tv, rng=0)                       # k-means, k by silhouette
    ftv = fractional_task_variance(tv, "dm1", "dm2")    # one value per active unit

A multi-rule task here is any task with a ``rules`` field (``task.replace(rules=(r,))``
gives the task of one rule) whose inputs end with one rule input per rule, in the order
of :data:`RULES` (the layout of ``pr.tasks.make("yang2019")``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_generator, check_choice, check_int, check_number, fail
from ..simulation import simulate
from ._common import check_net
from .embedding import silhouette

__all__ = [
    "RULES",
    "RULE_NAMES",
    "ACTIVE_THRESHOLD",
    "TaskVariance",
    "UnitClusters",
    "rule_batches",
    "task_variance",
    "variance_from_states",
    "normalize_variance",
    "kmeans",
    "cluster_units",
    "fractional_task_variance",
]

#: The 20 rules of Yang et al. (2019), in the order of their rule inputs.
RULES = ("fdgo", "reactgo", "delaygo", "fdanti", "reactanti", "delayanti", "dm1", "dm2",
         "contextdm1", "contextdm2", "multidm", "delaydm1", "delaydm2", "contextdelaydm1",
         "contextdelaydm2", "multidelaydm", "dmsgo", "dmsnogo", "dmcgo", "dmcnogo")
#: The paper's names of the rules (its figures' labels).
RULE_NAMES = {
    "fdgo": "Go", "reactgo": "RT Go", "delaygo": "Dly Go", "fdanti": "Anti",
    "reactanti": "RT Anti", "delayanti": "Dly Anti", "dm1": "DM 1", "dm2": "DM 2",
    "contextdm1": "Ctx DM 1", "contextdm2": "Ctx DM 2", "multidm": "MultSen DM",
    "delaydm1": "Dly DM 1", "delaydm2": "Dly DM 2", "contextdelaydm1": "Ctx Dly DM 1",
    "contextdelaydm2": "Ctx Dly DM 2", "multidelaydm": "MultSen Dly DM", "dmsgo": "DMS",
    "dmsnogo": "DNMS", "dmcgo": "DMC", "dmcnogo": "DNMC",
}
#: A unit is active when its task variance summed over the rules exceeds this (the
#: original's threshold, for rates of order 1).
ACTIVE_THRESHOLD = 1e-3
#: Time skipped at the start of each trial before the variance is taken (ms): the
#: initial transient and the first fixation period (``analysis/taskset.py`` skips 500 ms).
SKIP_MS = 500.0


def _rules(rules, task=None) -> tuple:
    if rules is None:
        rules = getattr(task, "rules", None) if task is not None else None
        if rules is None:
            fail("rules", "a sequence of rule names", None)
    if isinstance(rules, str):
        rules = (rules,)
    rules = tuple(str(r) for r in rules)
    if not rules:
        fail("rules", "at least one rule name", rules)
    if len(set(rules)) != len(rules):
        fail("rules", "distinct rule names", rules)
    return rules


def _rule_task(task, rule: str):
    """The task restricted to one rule."""
    if "rules" not in getattr(task, "field_names", lambda: ())():
        fail("task", "a multi-rule task with a `rules` field (pr.tasks.make('yang2019'))",
             getattr(task, "name", type(task).__name__))
    if "rule_prob" in task.field_names():
        return task.replace(rules=(rule,), rule_prob=None)
    return task.replace(rules=(rule,))


# -- task variance --------------------------------------------------------------------


@dataclass(frozen=True)
class TaskVariance:
    """Variance of each unit across the conditions of each rule (Yang et al. 2019, Fig. 2).

    Attributes
    ----------
    variance : ndarray, shape (n_rec, n_rules)
        ``TV[i, r] = mean_t var_trials h_i(t)`` over the noise-free trials of rule r,
        time from `t_start` to the end of the trial (squared units of the rate h).
    rules : tuple of str, length n_rules
    t_start : tuple of int, length n_rules
        First step used for each rule.
    n_trials : tuple of int, length n_rules
    """

    variance: np.ndarray
    rules: tuple
    t_start: tuple = ()
    n_trials: tuple = ()

    def index(self, rule: str) -> int:
        check_choice("rule", rule, self.rules)
        return self.rules.index(rule)

    def active(self, threshold: float = ACTIVE_THRESHOLD) -> np.ndarray:
        """Indices of the units whose summed task variance exceeds `threshold`, (n_active,)."""
        return np.flatnonzero(self.variance.sum(axis=1) > threshold)

    def normalized(self, method: str = "max", threshold: float = ACTIVE_THRESHOLD) -> np.ndarray:
        """Normalized task variance of the active units, (n_active, n_rules)
        (:func:`normalize_variance`)."""
        return normalize_variance(self.variance[self.active(threshold)], method)


def variance_from_states(h, t_start: int = 0) -> np.ndarray:
    """Task variance of states `h` (n_trials, n_steps, n_rec): the variance across trials
    at each step from `t_start` on, averaged over those steps, shape (n_rec,)."""
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 3:
        fail("h", "an array of shape (n_trials, n_steps, n_rec)", h.shape)
    t_start = check_int("t_start", t_start, lo=0, hi=h.shape[1] - 1)
    return h[:, t_start:, :].var(axis=0).mean(axis=0)  # (n_rec,)


def rule_batches(task, rules=None, *, n_trials: int = 200, rng=0) -> dict:
    """Noise-free trials of each rule: ``{rule: Batch}``.

    A task with a ``stimulus_grid(rule)`` method (a fixed grid of stimulus conditions
    with fixed timing, the original's ``mode='test'``; ``pr.tasks.make("yang2019")``)
    gives those; otherwise `n_trials` trials drawn from
    ``task.replace(rules=(rule,)).without_noise()``.
    """
    rules = _rules(rules, task)
    n_trials = check_int("n_trials", n_trials, lo=2)
    rng = as_generator(rng)
    grid = getattr(task, "stimulus_grid", None)
    out = {}
    for r in rules:
        out[r] = grid(r) if callable(grid) else _rule_task(task, r).without_noise().sample(n_trials, rng)
    return out


def task_variance(net, task=None, rules=None, *, batches=None, n_trials: int = 200,
                  skip_ms: float = SKIP_MS, rng=0) -> TaskVariance:
    """Task variance of every unit for every rule, on noise-free trials.

    Parameters
    ----------
    net : Network
        Simulated without recurrent noise (``net.replace(sigma_rec=0)``), as the original
        does (``Model(model_dir, sigma_rec=0)``).
    task : multi-rule Task, optional
        Source of the trials when `batches` is not given (:func:`rule_batches`).
    rules : sequence of str, optional
        Default: the keys of `batches`, or ``task.rules``.
    batches : dict of str -> Batch, optional
        The trials of each rule (inputs ``x`` of shape (n_trials, n_steps, n_in)).
    n_trials : int
        Trials per rule drawn from `task`.
    skip_ms : float
        Time left out at the start of each trial (ms; converted with ``task.dt``, 1 ms
        per step without a task) when a batch does not say where its first fixation
        epoch ends (``info["epoch_fix1"]``, (n_trials, 2) [start, end) steps: then the
        variance starts there, as the original's does).
    rng : numpy.random.Generator, int or None
        Draws the trials.

    Returns
    -------
    TaskVariance

    Notes
    -----
    Yang et al. (2019), Methods, "Task variance": for unit i and task r,
    ``TV_i(r) = < var_k h_i(t, k) >_t`` with k the stimulus conditions, computed on
    noise-free trials (``analysis/variance.py``).
    """
    net = check_net(net).replace(sigma_rec=0.0)
    if batches is None:
        if task is None:
            fail("task", "a task (or `batches`)", None)
        batches = rule_batches(task, rules, n_trials=n_trials, rng=rng)
    if not isinstance(batches, dict) or not batches:
        fail("batches", "a non-empty dict rule -> Batch", type(batches).__name__)
    rules = _rules(rules if rules is not None else tuple(batches))
    dt = float(getattr(task, "dt", 1.0)) if task is not None else 1.0
    skip = int(round(check_number("skip_ms", skip_ms, lo=0.0) / dt))
    var, starts, counts = [], [], []
    for r in rules:
        if r not in batches:
            fail("batches", f"a batch for every rule (missing {r!r})", sorted(batches))
        b = batches[r]
        h = simulate(net, b.x).h  # (n_trials, n_steps, n_rec)
        fix1 = b.info.get("epoch_fix1") if isinstance(b.info, dict) else None
        t0 = int(np.max(np.asarray(fix1)[:, 1])) if fix1 is not None else skip
        t0 = min(max(t0, 0), h.shape[1] - 1)
        var.append(variance_from_states(h, t0))
        starts.append(t0)
        counts.append(int(h.shape[0]))
    return TaskVariance(variance=np.stack(var, axis=1), rules=rules, t_start=tuple(starts),
                        n_trials=tuple(counts))


def normalize_variance(variance, method: str = "max") -> np.ndarray:
    """Each unit's task variances divided by their maximum (``"max"``, the paper's
    normalized task variance) or their sum (``"sum"``), or left as they are (``"none"``).

    Parameters
    ----------
    variance : array_like, shape (n_units, n_rules)

    Returns
    -------
    ndarray, shape (n_units, n_rules)
        Rows of units whose variance is all zero stay zero.
    """
    check_choice("method", method, ("max", "sum", "none"))
    v = np.asarray(variance, dtype=np.float64)
    if v.ndim != 2:
        fail("variance", "an array of shape (n_units, n_rules)", v.shape)
    if method == "none":
        return v.copy()
    scale = v.max(axis=1) if method == "max" else v.sum(axis=1)  # (n_units,)
    return np.divide(v, scale[:, None], out=np.zeros_like(v), where=scale[:, None] > 0)


# -- clusters of units ----------------------------------------------------------------


def _sq_distances(X, C) -> np.ndarray:
    """Squared Euclidean distances, (n, k)."""
    d = (X * X).sum(1)[:, None] - 2.0 * X @ C.T + (C * C).sum(1)[None, :]
    return np.maximum(d, 0.0)


def _kmeans_once(X, k: int, rng, n_iter: int):
    n = X.shape[0]
    # k-means++ seeding (Arthur & Vassilvitskii 2007)
    C = np.empty((k, X.shape[1]))
    C[0] = X[rng.integers(n)]
    d2 = _sq_distances(X, C[:1])[:, 0]
    for j in range(1, k):
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(n, 1.0 / n)
        C[j] = X[rng.choice(n, p=p)]
        d2 = np.minimum(d2, _sq_distances(X, C[j : j + 1])[:, 0])
    labels = np.full(n, -1)
    for _ in range(n_iter):
        D = _sq_distances(X, C)  # (n, k)
        new = D.argmin(axis=1)
        counts = np.bincount(new, minlength=k)
        for j in np.flatnonzero(counts == 0):  # an empty cluster takes the worst-fit point
            far = int(np.argmax(D[np.arange(n), new]))
            new[far] = j
            D[far] = 0.0
            counts = np.bincount(new, minlength=k)
        if np.array_equal(new, labels):
            break
        labels = new
        C = np.stack([X[labels == j].mean(axis=0) for j in range(k)])
    inertia = float(_sq_distances(X, C)[np.arange(n), labels].sum())
    return labels, C, inertia


def kmeans(X, k: int, *, n_init: int = 20, n_iter: int = 300, rng=None):
    """k-means (Lloyd's algorithm from k-means++ seeds), best of `n_init` starts.

    Parameters
    ----------
    X : array_like, shape (n, d)
    k : int, 1 <= k <= n

    Returns
    -------
    labels : ndarray of int, shape (n,)
    centers : ndarray, shape (k, d)
    inertia : float
        Sum of squared distances of the points to their centers.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1:
        fail("X", "an array of shape (n, d) with n >= 1", X.shape)
    k = check_int("k", k, lo=1, hi=X.shape[0])
    n_init = check_int("n_init", n_init, lo=1)
    rng = as_generator(rng)
    best = None
    for _ in range(n_init):
        res = _kmeans_once(X, k, rng, n_iter)
        if best is None or res[2] < best[2] - 1e-12:
            best = res
    return best


def _euclidean(X) -> np.ndarray:
    D = np.sqrt(_sq_distances(X, X))
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    return D


@dataclass(frozen=True)
class UnitClusters:
    """Clusters of active units by their normalized task variance (Yang et al. 2019, Fig. 3).

    Attributes
    ----------
    units : ndarray of int, shape (n_active,)
        Indices of the active units, sorted by cluster.
    labels : ndarray of int, shape (n_active,)
        Cluster of each of `units`, 0..n_clusters-1, clusters ordered by their preferred rule.
    n_clusters : int
    silhouette : float
        Mean silhouette width of the chosen clustering.
    scores : dict of int -> float
        Silhouette of each number of clusters tried.
    normalized : ndarray, shape (n_active, n_rules)
        Normalized task variance of `units` (rows in the order of `units`).
    rules : tuple of str
    preferred : tuple of str, length n_clusters
        The rule with the largest summed normalized variance in each cluster.
    """

    units: np.ndarray
    labels: np.ndarray
    n_clusters: int
    silhouette: float
    scores: dict
    normalized: np.ndarray
    rules: tuple
    preferred: tuple

    def groups(self) -> list:
        """Unit indices of each cluster, a list of n_clusters arrays."""
        return [self.units[self.labels == c] for c in range(self.n_clusters)]

    def summary(self) -> np.ndarray:
        """Mean normalized task variance of each cluster for each rule, (n_clusters, n_rules)."""
        return np.stack([self.normalized[self.labels == c].mean(axis=0) for c in range(self.n_clusters)])

    def specific_rules(self, level: float = 0.5) -> list:
        """For each cluster, the rules whose mean normalized variance exceeds `level`."""
        s = self.summary()
        return [tuple(r for r, v in zip(self.rules, row) if v > level) for row in s]


def cluster_units(tv: TaskVariance, *, k_range=range(2, 30), n_init: int = 20,
                  threshold: float = ACTIVE_THRESHOLD, normalization: str = "max",
                  rng=0) -> UnitClusters:
    """k-means clusters of the active units, the number of clusters chosen by silhouette.

    Parameters
    ----------
    tv : TaskVariance
    k_range : iterable of int
        Numbers of clusters tried (the original: 2..29; those above n_active - 1 are
        skipped).
    n_init : int
        k-means starts per k (the original: 20).
    threshold : float
        Active units: summed task variance above this (:data:`ACTIVE_THRESHOLD`).
    normalization : {"max", "sum", "none"}
    rng : numpy.random.Generator, int or None

    Returns
    -------
    UnitClusters

    Notes
    -----
    ``analysis/clustering.py`` of the original: k-means (scikit-learn, ``n_init=20``) on
    the normalized task variance of the active units for each k, the k of the largest
    mean silhouette (Euclidean distances; Rousseeuw 1987), clusters sorted by the rule
    of largest summed normalized variance.
    """
    if not isinstance(tv, TaskVariance):
        fail("tv", "a TaskVariance (pr.analysis.task_variance)", type(tv).__name__)
    units = tv.active(check_number("threshold", threshold, lo=0.0))
    X = normalize_variance(tv.variance[units], normalization)
    ks = sorted({int(k) for k in k_range if 2 <= int(k) <= X.shape[0] - 1})
    if not ks:
        fail("k_range", f"at least one k in 2..n_active - 1 = {X.shape[0] - 1}", list(k_range),
             "Too few active units to cluster.")
    rng = as_generator(rng)
    D = _euclidean(X)
    scores, labels_by_k = {}, {}
    for k in ks:
        lab = kmeans(X, k, n_init=n_init, rng=rng)[0]
        labels_by_k[k] = lab
        scores[k] = silhouette(D, lab)
    k_best = max(ks, key=lambda k: (scores[k], -k))
    lab = labels_by_k[k_best]
    pref = np.array([int(np.argmax(X[lab == c].sum(axis=0))) for c in range(k_best)])
    order = np.argsort(pref, kind="stable")  # new cluster i = old cluster order[i]
    relabel = np.empty(k_best, dtype=int)
    relabel[order] = np.arange(k_best)
    lab = relabel[lab]
    idx = np.argsort(lab, kind="stable")
    return UnitClusters(units=units[idx], labels=lab[idx], n_clusters=k_best,
                        silhouette=float(scores[k_best]), scores=scores, normalized=X[idx],
                        rules=tv.rules, preferred=tuple(tv.rules[p] for p in pref[order]))


# -- fractional task variance -----------------------------------------------------------


def fractional_task_variance(tv: TaskVariance, rule_a: str, rule_b: str,
                             threshold: float = ACTIVE_THRESHOLD) -> np.ndarray:
    """FTV of each unit active in the pair: ``(TV_a - TV_b) / (TV_a + TV_b)`` in [-1, 1].

    Units with ``TV_a + TV_b`` at or below `threshold` are left out (the original's
    ``analysis/variance.py``). -1: the unit varies only in `rule_b`; +1: only in `rule_a`.
    Returns an array of shape (n_active_pair,).
    """
    if not isinstance(tv, TaskVariance):
        fail("tv", "a TaskVariance (pr.analysis.task_variance)", type(tv).__name__)
    va = tv.variance[:, tv.index(rule_a)]
    vb = tv.variance[:, tv.index(rule_b)]
    s = va + vb
    keep = s > check_number("threshold", threshold, lo=0.0)
    return (va[keep] - vb[keep]) / s[keep]
