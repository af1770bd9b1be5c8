"""Tiny tasks and configurations shared by test_train, test_runs and test_cli."""

import purernn as pr

#: Gate trials shortened from 200 to 30 steps (pulse on [5, 10), answer from step 15).
SHORT_GATE = dict(stim_on=5, stim_dur=5, response_on=15, t_total=30)


def tiny_task(name="xor", **overrides):
    return pr.tasks.make(name, **{**SHORT_GATE, **overrides})


def tiny_config(**overrides):
    """A fresh-trials configuration that trains the tiny XOR to 100% in about 250 steps."""
    kw = dict(seed=0, n_steps=400, lr=1e-2, batch_size=32, eval_every=20, n_valid=200)
    kw.update(overrides)
    return pr.TrainConfig(**kw)


def tiny_net(task, seed=0, **overrides):
    return pr.default_network(task, seed=seed, **{"n_rec": 16, **overrides})
