"""Accuracy on fresh trials, with its Wilson interval, overall and per condition: :func:`evaluate`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_generator, check_int, check_task, fail
from .model import Network
from .outputs import check_output_loss, loss_and_dz
from .simulation import simulate_outputs

__all__ = ["Evaluation", "ConditionAccuracy", "wilson_interval", "batch_metrics", "by_condition", "evaluate"]


@dataclass(frozen=True)
class ConditionAccuracy:
    """Accuracy on the trials of one condition (``batch.info["condition"]``).

    Attributes
    ----------
    condition : int
        The task's condition label.
    name : str
        A readable name (the task's ``condition_labels`` when it has them).
    n_trials, n_correct : int
    accuracy, ci_low, ci_high : float
        Accuracy and its Wilson score 95% interval.
    """

    condition: int
    name: str
    n_trials: int
    n_correct: int
    accuracy: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Evaluation:
    """Accuracy and loss on fresh trials (:func:`evaluate`).

    Attributes
    ----------
    n_trials, n_correct : int
    accuracy : float
    ci_low, ci_high : float
        Wilson score 95% interval of the accuracy.
    loss : float
        The data loss per trial (no regularizers): squared error, or cross-entropy for a
        sigmoid or softmax output.
    by_condition : tuple of ConditionAccuracy
        The same per condition, in ascending condition order (empty when built without).
    """

    n_trials: int
    n_correct: int
    accuracy: float
    ci_low: float
    ci_high: float
    loss: float
    by_condition: tuple = field(default=())

    def to_dict(self) -> dict:
        """Plain numbers, JSON-ready (``by_condition`` as a list of dicts)."""
        d = {k: getattr(self, k) for k in ("n_trials", "n_correct", "accuracy", "ci_low", "ci_high", "loss")}
        d["by_condition"] = [dict(vars(c)) for c in self.by_condition]
        return d


def wilson_interval(n_correct: int, n_trials: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% for the default `z`).

    Notes
    -----
    With p = k / n: ``(p + z^2/(2n) +- z sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)``
    (E. B. Wilson 1927). Unlike the normal interval it stays inside [0, 1] and is not
    empty at p = 0 or 1.

    Examples
    --------
    >>> lo, hi = wilson_interval(1000, 1000)
    >>> round(lo, 4), hi
    (0.9962, 1.0)
    """
    n_trials = check_int("n_trials", n_trials, lo=1)
    n_correct = check_int("n_correct", n_correct, lo=0, hi=n_trials)
    p = n_correct / n_trials
    z2n = z * z / n_trials
    center = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n_trials + z2n / (4 * n_trials))
    return max(0.0, center - half), min(1.0, center + half)


def batch_metrics(net: Network, task, batch, noise_rng, loss: str = "mse") -> tuple[float, np.ndarray]:
    """Loss (no regularizers) and per-trial correctness of `net` on `batch`.

    Parameters
    ----------
    net : Network
    task : Task
        Its ``score(z, batch)`` gives the per-trial correctness.
    batch : Batch
    noise_rng : numpy.random.Generator, int or None
        Draws the recurrent noise (ignored by a noiseless network).
    loss : {"mse", "cross_entropy"}

    Returns
    -------
    loss : float
        The data loss per trial (:func:`purernn.outputs.loss_and_dz`), e.g. the masked
        squared error ``0.5 sum m (z - y)^2 / n_trials``.
    correct : ndarray of bool, shape (n_trials,)
    """
    traj = simulate_outputs(net, batch.x, rng=noise_rng)  # z, readout (n_trials, n_steps, n_out)
    value, _ = loss_and_dz(traj.readout, batch.y, batch.mask, output=net.config.output, loss=loss,
                           n_trials=batch.n_trials)
    return value, np.asarray(task.score(traj.z, batch), dtype=bool)


def by_condition(task, batch, correct) -> tuple:
    """Per-condition accuracy of `correct` (one bool per trial of `batch`).

    Parameters
    ----------
    task : Task
        Names the conditions with ``task.condition_labels(batch)`` when it has that method.
    batch : Batch
        Its ``info["condition"]`` labels the trials (all one condition without it).
    correct : array_like of bool, shape (n_trials,)

    Returns
    -------
    tuple of ConditionAccuracy
        In ascending condition order.
    """
    correct = np.asarray(correct, dtype=bool)
    cond = np.asarray(batch.info.get("condition", np.zeros(correct.size, dtype=int))).reshape(-1)
    names = {}
    labels_of = getattr(task, "condition_labels", None)
    if callable(labels_of):
        names = dict(labels_of(batch))
    out = []
    for c in np.unique(cond):
        hit = correct[cond == c]
        k = int(hit.sum())
        lo, hi = wilson_interval(k, hit.size)
        out.append(ConditionAccuracy(condition=int(c), name=str(names.get(int(c), f"condition {int(c)}")),
                                     n_trials=int(hit.size), n_correct=k, accuracy=k / hit.size,
                                     ci_low=lo, ci_high=hi))
    return tuple(out)


def evaluate(net: Network, task, *, n_trials: int = 1000, rng=None, loss: str | None = None) -> Evaluation:
    """Accuracy (with a Wilson 95% interval) and loss of `net` on fresh trials of `task`.

    Parameters
    ----------
    net : Network
    task : Task
    n_trials : int
    rng : numpy.random.Generator, int or None
        Draws the trials, then the recurrent noise.
    loss : {"mse", "cross_entropy"} or None
        The loss reported; None: cross-entropy for a sigmoid or softmax output, the
        squared error for a linear one.

    Returns
    -------
    Evaluation
        With the accuracy of each condition in ``by_condition``.
    """
    if not isinstance(net, Network):
        fail("net", "a purernn.Network", type(net).__name__)
    check_task(task, net=net)
    n_trials = check_int("n_trials", n_trials, lo=1)
    rng = as_generator(rng)
    batch = task.sample(n_trials, rng)
    if loss is None:
        loss = "mse" if net.config.output == "linear" else "cross_entropy"
    check_output_loss(net.config.output, loss)
    value, correct = batch_metrics(net, task, batch, rng, loss)
    k = int(correct.sum())
    lo, hi = wilson_interval(k, n_trials)
    return Evaluation(n_trials=n_trials, n_correct=k, accuracy=k / n_trials, ci_low=lo, ci_high=hi, loss=value,
                      by_condition=by_condition(task, batch, correct))
