"""pr.evaluate: accuracy overall and per condition, each with its Wilson interval."""

import json

import numpy as np

import purernn as pr
from purernn.evaluation import ConditionAccuracy, Evaluation, by_condition, wilson_interval

from .train_helpers import tiny_config, tiny_net, tiny_task


def test_accuracy_per_condition_adds_up_and_matches_a_direct_count():
    task = tiny_task("xor")
    net = pr.train(tiny_net(task), task, tiny_config(n_steps=60), progress=False).net
    ev = pr.evaluate(net, task, n_trials=400, rng=7)
    # the same trials, scored by hand
    rng = np.random.default_rng(7)
    batch = task.sample(400, rng)
    correct = task.score(pr.simulate(net, batch.x, rng=rng).z, batch)
    cond = batch.info["condition"]
    assert [c.condition for c in ev.by_condition] == sorted(set(cond.tolist())) == [0, 1, 2, 3]
    for c in ev.by_condition:
        assert c.n_trials == np.sum(cond == c.condition)
        assert c.n_correct == np.sum(correct[cond == c.condition])
        assert c.accuracy == c.n_correct / c.n_trials
        assert (c.ci_low, c.ci_high) == wilson_interval(c.n_correct, c.n_trials)
    assert sum(c.n_correct for c in ev.by_condition) == ev.n_correct
    assert sum(c.n_trials for c in ev.by_condition) == ev.n_trials == 400
    d = json.loads(json.dumps(ev.to_dict()))
    assert d["by_condition"][2]["n_correct"] == ev.by_condition[2].n_correct


class _Named:
    def condition_labels(self, batch):
        return {0: "left", 1: "right"}


def test_names_come_from_the_task_and_no_condition_is_one_group():
    batch = pr.tasks.make("xor").sample(6, rng=0)
    batch.info["condition"] = np.array([0, 1, 1, 0, 1, 1])
    got = by_condition(_Named(), batch, [True, True, False, False, True, True])
    assert got == (ConditionAccuracy(0, "left", 2, 1, 0.5, *wilson_interval(1, 2)),
                   ConditionAccuracy(1, "right", 4, 3, 0.75, *wilson_interval(3, 4)))
    del batch.info["condition"]
    (only,) = by_condition(object(), batch, [True] * 6)
    assert only.name == "condition 0" and only.n_trials == 6


def test_evaluation_built_the_old_way_still_works():
    ev = Evaluation(10, 9, 0.9, 0.6, 0.98, 0.1)  # positional, without by_condition
    assert ev.by_condition == () and ev.to_dict()["by_condition"] == []
