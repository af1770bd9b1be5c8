"""Psychometric curves of decision tasks: choice against the signed stimulus, with a fitted
logistic or probit curve and confidence intervals.

    psy = pr.analysis.psychometric(net, pr.tasks.make("perceptual_dm"), n_trials=2000, rng=0)
    psy.curves[0].threshold, psy.curves[0].slope          # with .ci["slope"] etc.

A task offers a psychometric curve when it has a ``psychometric_trials(z, batch)`` method
(``perceptual_dm``, ``perceptual_dm_zero``, ``context_dm``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_choice, check_int, check_task, fail
from ..evaluation import wilson_interval
from ..simulation import simulate
from ._common import check_net

__all__ = ["MODELS", "PsychometricFit", "Psychometric", "fit_psychometric", "psychometric", "has_psychometric"]

#: The link functions of :func:`fit_psychometric`.
MODELS = ("logistic", "probit")

_Z95 = 1.959963984540054


def _link(model: str, eta: np.ndarray):
    """F(eta) and its derivative f(eta) for the model's cumulative distribution."""
    if model == "logistic":
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))  # = 1 / (1 + exp(-eta)), without overflow
        return p, p * (1.0 - p)
    from scipy.special import ndtr

    return ndtr(eta), np.exp(-0.5 * eta * eta) / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class PsychometricFit:
    """One fitted psychometric curve, ``P(choice +) = F(a + b s)``.

    Attributes
    ----------
    model : {"logistic", "probit"}
        F: the logistic function or the standard normal CDF.
    group : str
        What these trials share (e.g. ``"context motion"``; ``"all trials"``).
    levels : ndarray, shape (n_levels,)
        The stimulus values shown (distinct values, or bin centres of a continuous one).
    n, k : ndarray of int, shape (n_levels,)
        Trials and "+" choices at each level.
    p, p_low, p_high : ndarray, shape (n_levels,)
        Fraction of "+" choices and its Wilson 95% interval.
    accuracy : ndarray, shape (n_levels,)
        Fraction of correct trials at each level.
    a, b : float
        Intercept and slope of the linear predictor (maximum likelihood).
    cov : ndarray, shape (2, 2)
        Their covariance (inverse Fisher information at the fit).
    threshold : float
        The stimulus of indifference, ``-a / b`` (the bias; 0 for an unbiased observer).
    slope : float
        ``b``: the sensitivity, per unit of stimulus.
    ci : dict of str -> (float, float)
        95% intervals of ``a``, ``b``, ``threshold`` (Wald, delta method for the threshold).
    separated : bool
        The choices are perfectly separated by the stimulus, or all alike: the
        maximum-likelihood slope or intercept is infinite, and the fit shown adds half a
        trial of each choice at every level.
    n_trials : int
    """

    model: str
    group: str
    levels: np.ndarray
    n: np.ndarray
    k: np.ndarray
    p: np.ndarray
    p_low: np.ndarray
    p_high: np.ndarray
    accuracy: np.ndarray
    a: float
    b: float
    cov: np.ndarray
    threshold: float
    slope: float
    ci: dict
    separated: bool
    n_trials: int

    def curve(self, s) -> np.ndarray:
        """The fitted P(choice +) at stimuli `s`."""
        return _link(self.model, self.a + self.b * np.asarray(s, dtype=np.float64))[0]

    def band(self, s) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise 95% band of the fitted curve at `s` (delta method on a + b s)."""
        s = np.asarray(s, dtype=np.float64)
        eta = self.a + self.b * s
        var = self.cov[0, 0] + 2 * s * self.cov[0, 1] + s * s * self.cov[1, 1]
        half = _Z95 * np.sqrt(np.maximum(var, 0.0))
        return _link(self.model, eta - half)[0], _link(self.model, eta + half)[0]

    def to_dict(self) -> dict:
        def f(v):
            v = float(v)
            return v if np.isfinite(v) else None
        return {
            "model": self.model, "group": self.group, "n_trials": self.n_trials,
            "levels": [float(v) for v in self.levels], "n": [int(v) for v in self.n],
            "p_plus": [float(v) for v in self.p], "accuracy": [float(v) for v in self.accuracy],
            "threshold": f(self.threshold), "slope": f(self.slope), "intercept": f(self.a),
            "ci": {k: [f(v[0]), f(v[1])] for k, v in self.ci.items()}, "separated": bool(self.separated),
        }


@dataclass(frozen=True)
class Psychometric:
    """Psychometric curves of a network on a decision task (:func:`psychometric`).

    Attributes
    ----------
    variable : str
        The stimulus axis, with its unit (e.g. ``"signed coherence (%)"``).
    curves : tuple of PsychometricFit
        One per group of trials (one for most tasks; one per context for ``context_dm``).
    accuracy : float
        Fraction of correct trials overall.
    n_trials : int
    """

    variable: str
    curves: tuple
    accuracy: float
    n_trials: int

    def to_dict(self) -> dict:
        return {"variable": self.variable, "accuracy": self.accuracy, "n_trials": self.n_trials,
                "curves": [c.to_dict() for c in self.curves]}

    def format(self) -> str:
        """A text table per curve (levels, trials, P(choice +) with its Wilson interval,
        accuracy) and the fit with its 95% intervals (what ``purernn evaluate
        --psychometric`` prints)."""
        lines = []
        for c in self.curves:
            lines.append(f"psychometric curve ({c.group}; {self.variable}; {c.n_trials} trials):")
            lines.append(f"  {'stimulus':>10}  trials  P(choice +)  95% CI (Wilson)  accuracy")
            for lv, n, p, lo, hi, acc in zip(c.levels, c.n, c.p, c.p_low, c.p_high, c.accuracy):
                lines.append(f"  {lv:>10.4g}  {n:>6}  {p:11.3f}  {lo:.3f}-{hi:.3f}      {acc:8.3f}")
            sep = " (choices separated or all alike: fit with half-trial pseudo-counts)" if c.separated else ""
            lines.append(f"  {c.model} fit P(+) = F(a + b s): slope b = {c.slope:.4g} (95% CI "
                         f"{c.ci['slope'][0]:.4g} to {c.ci['slope'][1]:.4g}), bias -a/b = {c.threshold:.4g} "
                         f"(95% CI {c.ci['threshold'][0]:.4g} to {c.ci['threshold'][1]:.4g}){sep}")
        return "\n".join(lines)


def _loglik(model, eta, y, w) -> float:
    p = _link(model, eta)[0]
    p_minus = _link(model, -eta)[0]  # 1 - F(eta) for both symmetric links, without cancellation
    return float(np.sum(w * (y * np.log(np.maximum(p, 1e-300)) + (1 - y) * np.log(np.maximum(p_minus, 1e-300)))))


def _fit(s, y, w, model, max_iter=200, runaway=True):
    """Maximum-likelihood (a, b) of ``P(y = 1) = F(a + b s)`` with trial weights `w`, and
    the inverse Fisher information; None when the slope runs away (separated data).

    Fisher scoring, each step halved until the log-likelihood does not decrease.
    """
    X = np.column_stack([np.ones_like(s), s])
    scale = max(float(np.std(s)), 1e-12)
    theta = np.zeros(2)
    ll = _loglik(model, X @ theta, y, w)

    def info_score(th):
        p, f = _link(model, X @ th)
        pq = np.maximum(p * _link(model, -(X @ th))[0], 1e-300)
        info = X.T @ ((w * f * f / pq)[:, None] * X)
        return info, X.T @ (w * (y - p) * f / pq)

    for _ in range(max_iter):
        info, score = info_score(theta)
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            return None
        t = 1.0
        while True:
            th = theta + t * step
            ll_new = _loglik(model, X @ th, y, w)
            if ll_new >= ll - 1e-12 * (1 + abs(ll)) or t < 1e-8:
                break
            t *= 0.5
        done = abs(ll_new - ll) <= 1e-13 * (1 + abs(ll)) and np.max(np.abs(t * step)) < 1e-9 * (1 + np.max(np.abs(th)))
        theta, ll = th, ll_new
        if runaway and (abs(theta[1]) * scale > 50 or abs(theta[0]) > 50):
            return None
        if done:
            break
    info, _ = info_score(theta)
    try:
        return theta, np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return None


def fit_psychometric(stimulus, choice_plus, *, correct=None, model: str = "logistic",
                     group: str = "all trials", n_bins: int = 10) -> PsychometricFit:
    """Fit ``P(choice +) = F(a + b s)`` to per-trial choices by maximum likelihood.

    Parameters
    ----------
    stimulus : array_like, shape (n_trials,)
        The signed stimulus of each trial (e.g. signed coherence).
    choice_plus : array_like of bool, shape (n_trials,)
        Whether the network chose "+".
    correct : array_like of bool, shape (n_trials,), optional
        Whether each trial was correct (for the accuracy per level; default: the choice
        has the stimulus' sign).
    model : {"logistic", "probit"}
    group : str
        A name for these trials.
    n_bins : int
        A stimulus with more than 2 n_bins distinct values is shown in `n_bins` quantile
        bins (the fit always uses every trial).

    Returns
    -------
    PsychometricFit

    Notes
    -----
    The log-likelihood ``sum_i y_i log F(eta_i) + (1 - y_i) log(1 - F(eta_i))``,
    ``eta_i = a + b s_i``, is maximized by Fisher scoring (Newton's method with the
    expected information ``X^T diag(f^2 / (F (1 - F))) X``), which is exact for the
    logistic model. Intervals are Wald intervals from the inverse information; the
    threshold's by the delta method, ``var(-a/b) = g^T cov g`` with
    ``g = (-1/b, a/b^2)``. When the choices are perfectly separated (every trial above
    a stimulus value chose "+"), or all choices are alike, the likelihood has no maximum;
    the fit then adds half a "+" and half a "-" choice at each level (``separated=True``).
    """
    check_choice("model", model, MODELS)
    s = np.asarray(stimulus, dtype=np.float64).ravel()
    y = np.asarray(choice_plus).astype(np.float64).ravel()
    if s.size == 0 or s.shape != y.shape or not np.all(np.isfinite(s)):
        fail("stimulus", "a non-empty finite array with one value per choice", s.shape)
    if np.unique(s).size < 2:
        fail("stimulus", "at least two distinct values (a psychometric curve needs a range)", np.unique(s))
    n_bins = check_int("n_bins", n_bins, lo=2)
    if correct is None:
        cor = np.sign(s) == np.where(y > 0, 1, -1)
    else:
        cor = np.asarray(correct, dtype=bool).ravel()

    # the levels shown
    uniq = np.unique(s)
    if uniq.size > 2 * n_bins:
        edges = np.quantile(s, np.linspace(0, 1, n_bins + 1))
        which = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, n_bins - 1)
        levels = np.array([s[which == j].mean() if np.any(which == j) else np.nan for j in range(n_bins)])
    else:
        which = np.searchsorted(uniq, s)
        levels = uniq
    n_lv = levels.size
    n = np.bincount(which, minlength=n_lv)
    k = np.bincount(which, weights=y, minlength=n_lv).astype(int)
    acc = np.bincount(which, weights=cor.astype(float), minlength=n_lv) / np.maximum(n, 1)
    keep = n > 0
    levels, n, k, acc = levels[keep], n[keep], k[keep], acc[keep]
    lo_hi = np.array([wilson_interval(int(kk), int(nn)) for kk, nn in zip(k, n)])
    # the interval holds p exactly (its formula reaches 0 and 1 only up to rounding)
    lo_hi = np.column_stack([np.minimum(lo_hi[:, 0], k / n), np.maximum(lo_hi[:, 1], k / n)])

    res = _fit(s, y, np.ones_like(s), model)
    separated = res is None
    if separated:  # half a trial of each choice at each level
        s_aug = np.concatenate([s, levels, levels])
        y_aug = np.concatenate([y, np.ones(levels.size), np.zeros(levels.size)])
        w_aug = np.concatenate([np.ones(s.size), np.full(2 * levels.size, 0.5)])
        res = _fit(s_aug, y_aug, w_aug, model, runaway=False)
        if res is None:
            fail("choice_plus", "choices that a logistic or probit curve can fit", "a degenerate set")
    (a, b), cov = res
    thr = -a / b if b != 0 else np.nan
    g = np.array([-1.0 / b, a / (b * b)]) if b != 0 else np.array([np.nan, np.nan])
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    se_thr = float(np.sqrt(max(g @ cov @ g, 0.0)))
    ci = {"a": (a - _Z95 * se[0], a + _Z95 * se[0]), "b": (b - _Z95 * se[1], b + _Z95 * se[1]),
          "threshold": (thr - _Z95 * se_thr, thr + _Z95 * se_thr)}
    ci["slope"] = ci["b"]
    return PsychometricFit(model=model, group=group, levels=levels, n=n, k=k, p=k / n,
                           p_low=lo_hi[:, 0], p_high=lo_hi[:, 1], accuracy=acc, a=float(a), b=float(b),
                           cov=cov, threshold=float(thr), slope=float(b), ci=ci, separated=separated,
                           n_trials=int(s.size))


def has_psychometric(task) -> bool:
    """Whether `task` defines a psychometric curve (``psychometric_trials``)."""
    return callable(getattr(task, "psychometric_trials", None))


def psychometric(net, task, *, n_trials: int = 2000, model: str = "logistic", batch=None, z=None,
                 rng=None) -> Psychometric:
    """The psychometric curve(s) of `net` on a decision task, on fresh trials.

    Parameters
    ----------
    net : Network
    task : Task
        A task with ``psychometric_trials(z, batch)`` (``perceptual_dm``,
        ``perceptual_dm_zero``, ``context_dm``).
    n_trials : int
        Trials drawn when `batch` is not given.
    model : {"logistic", "probit"}
    batch : Batch, optional
        The trials (default: ``task.sample(n_trials, rng)``).
    z : ndarray, shape (n_trials, n_steps, n_out), optional
        The network's outputs on `batch` (default: simulated, recurrent noise from `rng`).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    Psychometric
    """
    from .._validate import as_generator

    net = check_net(net)
    check_task(task, net=net)
    if not has_psychometric(task):
        fail("task", "a decision task with a psychometric curve (perceptual_dm, perceptual_dm_zero, "
             "context_dm)", getattr(task, "name", type(task).__name__))
    n_trials = check_int("n_trials", n_trials, lo=10)
    check_choice("model", model, MODELS)
    gen = as_generator(rng)
    if batch is None:
        batch = task.sample(n_trials, gen)
    if z is None:
        z = simulate(net, batch.x, rng=gen).z
    d = task.psychometric_trials(np.asarray(z, dtype=np.float64), batch)
    groups = np.asarray(d.get("group", np.zeros(batch.n_trials, dtype=int)))
    names = d.get("group_names", {0: "all trials"})
    curves = []
    for g in np.unique(groups):
        sel = groups == g
        curves.append(fit_psychometric(d["stimulus"][sel], d["choice"][sel] > 0, correct=d["correct"][sel],
                                       model=model, group=names.get(int(g), f"group {int(g)}")))
    return Psychometric(variable=d["variable"], curves=tuple(curves),
                        accuracy=float(np.mean(d["correct"])), n_trials=int(batch.n_trials))
