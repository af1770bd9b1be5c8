"""Trials by condition: a validation set that holds every condition in fixed proportions,
and accuracy per condition.

Tasks label each trial's condition in ``batch.info["condition"]`` (an int: the input
pattern of a gate, the bits of a flip-flop, the rule of a multi-rule task, ...). A plain
``task.sample(n)`` draws conditions at random, so a validation set may under-represent
one of them (or, for a task that draws one rule per batch, hold a single rule).
:func:`balanced_sample` draws a larger pool and keeps the same number of trials of each
condition, so that the validation accuracy, and a stop rule that asks every condition to
reach the criterion, judge all of them.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validate import as_generator, check_int

__all__ = ["balanced_sample", "accuracy_by_condition", "POOL_FACTOR", "MIN_PER_CONDITION"]

#: The pool drawn is this many times the validation set.
POOL_FACTOR = 4
#: Balancing needs at least this many trials per condition; with more conditions than
#: n_trials / MIN_PER_CONDITION (continuous conditions), the plain draw is kept.
MIN_PER_CONDITION = 4


def balanced_sample(task, n_trials: int, rng=None):
    """`n_trials` trials of `task`, every condition of a pool equally often.

    Parameters
    ----------
    task : Task
    n_trials : int
    rng : numpy.random.Generator, int or None

    Returns
    -------
    Batch
        Trials grouped by condition in ascending label order; the first
        ``n_trials % n_conditions`` conditions get one trial more. Without condition
        labels, or with more than ``n_trials / 4`` conditions, the plain draw
        ``task.sample(n_trials, rng)``.
    """
    n_trials = check_int("n_trials", n_trials, lo=1)
    rng = as_generator(rng)
    pool = task.sample(POOL_FACTOR * n_trials, rng)
    cond = np.asarray(pool.info.get("condition", np.zeros(pool.n_trials, dtype=int)))
    labels = np.unique(cond)
    if labels.size < 2 or labels.size > n_trials // MIN_PER_CONDITION:
        return pool.subset(np.arange(n_trials))
    counts = np.full(labels.size, n_trials // labels.size)
    counts[: n_trials % labels.size] += 1
    index, short = [], []
    for label, count in zip(labels, counts):
        where = np.flatnonzero(cond == label)
        if where.size < count:
            short.append(int(label))
        index.append(where[:count])
    if short:
        warnings.warn(f"balanced_sample: conditions {short} are rare in {task.name!r}; the "
                      "validation set holds fewer trials of them", stacklevel=2)
    return pool.subset(np.concatenate(index))


def accuracy_by_condition(correct, batch) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy of each condition of `batch`.

    Parameters
    ----------
    correct : array_like of bool, shape (n_trials,)
    batch : Batch

    Returns
    -------
    labels : ndarray of int, shape (n_conditions,)
    accuracy : ndarray of float, shape (n_conditions,)
    """
    correct = np.asarray(correct, dtype=bool)
    cond = np.asarray(batch.info.get("condition", np.zeros(correct.size, dtype=int)))
    labels, inverse = np.unique(cond, return_inverse=True)
    hits = np.bincount(inverse.reshape(-1), weights=correct, minlength=labels.size)
    total = np.bincount(inverse.reshape(-1), minlength=labels.size)
    return labels, hits / total
