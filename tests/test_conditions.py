"""A validation set with every condition in fixed proportions; accuracy per condition."""

import numpy as np
import pytest

import purernn as pr
from purernn.conditions import accuracy_by_condition, balanced_sample
from purernn.tasks.base import Batch


class OneRulePerBatch:
    """A multi-rule task that, like some generators, draws a single rule per call."""

    name = "one_rule"
    n_in, n_out, criterion = 1, 1, 0.9

    def sample(self, n_trials, rng=None):
        rng = np.random.default_rng(rng)
        rule = int(rng.integers(3))
        x = np.zeros((n_trials, 4, 1))
        return Batch(x=x, y=x.copy(), mask=np.ones_like(x), info={"condition": np.full(n_trials, rule)})


@pytest.mark.parametrize("name", ["xor", "flipflop", "multitask_gates", "context_dm"])
def test_every_condition_equally_often(name):
    task = pr.tasks.make(name)
    batch = balanced_sample(task, 256, rng=0)
    assert batch.n_trials == 256
    labels, counts = np.unique(batch.info["condition"], return_counts=True)
    pool = np.unique(task.sample(1024, rng=0).info["condition"])
    np.testing.assert_array_equal(labels, pool)  # the pool's conditions, all of them
    assert counts.max() - counts.min() <= 1
    again = balanced_sample(task, 256, rng=0)
    np.testing.assert_array_equal(again.x, batch.x)


def test_a_single_condition_pool_or_too_many_conditions_keeps_the_plain_draw():
    batch = balanced_sample(OneRulePerBatch(), 40, rng=1)
    assert batch.n_trials == 40 and np.unique(batch.info["condition"]).size == 1
    task = pr.tasks.make("interval_reproduction")  # many distinct intervals
    n_cond = np.unique(task.sample(64, rng=0).info["condition"]).size
    if n_cond > 64 // 4:
        plain = balanced_sample(task, 64, rng=0)
        assert plain.n_trials == 64


def test_accuracy_by_condition_counts_each_condition():
    info = {"condition": np.array([0, 0, 1, 1, 1, 2])}
    batch = Batch(x=np.zeros((6, 1, 1)), y=np.zeros((6, 1, 1)), mask=np.ones((6, 1, 1)), info=info)
    labels, acc = accuracy_by_condition([True, False, True, True, False, True], batch)
    np.testing.assert_array_equal(labels, [0, 1, 2])
    np.testing.assert_allclose(acc, [0.5, 2 / 3, 1.0])
