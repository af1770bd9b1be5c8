"""The flip-flop score: the level held on 99% of the steps, where the `settle` steps
from each change of the target count as right (purernn/tasks/flipflop.py)."""

import numpy as np
import pytest

from purernn.errors import ValidationError
from purernn.taskspec import task_from_json
from purernn.tasks import make

#: (task, preset): the 1-bit set/reset, Sussillo & Barak's 3 bits, Jarne's three pulses
CASES = [("flipflop", "default"), ("flipflop3", "default"), ("flipflop3", "jarne")]


def scored_reference(task, y):
    """Naive scored steps of one trial `y` (n_steps, n_out): loop over steps, open a
    window of `settle` steps wherever the rounded target differs from the step before
    (level 0 before the first step)."""
    lev = task.level(y)
    out = np.ones(y.shape, dtype=bool)
    for j in range(y.shape[1]):
        prev = 0
        for t in range(y.shape[0]):
            if lev[t, j] != prev:
                out[t:t + task.settle, j] = False
            prev = lev[t, j]
    return out


def late(y, k):
    """The target `k` steps late (the network's rest level 0 before), as a slow network's output."""
    return np.concatenate([np.zeros_like(y[:, :k]), y[:, :y.shape[1] - k]], axis=1)


@pytest.mark.parametrize("name, preset", CASES)
def test_scored_steps_match_a_naive_loop(name, preset):
    task = make(name, preset=preset)
    assert task.settle == 3
    b = task.sample(12, rng=np.random.default_rng(0))
    judged = task.scored_steps(b)
    for i in range(b.n_trials):
        np.testing.assert_array_equal(judged[i], scored_reference(task, b.y[i]))
    assert 0.85 < judged.mean() < 1.0  # windows exist, and they are a small part of the trial
    np.testing.assert_array_equal(task.replace(settle=0).scored_steps(b), b.mask > 0)


@pytest.mark.parametrize("name, preset", CASES)
def test_late_inside_the_window_is_right_outside_it_is_wrong(name, preset):
    task = make(name, preset=preset)
    b = task.sample(60, rng=np.random.default_rng(1))
    assert task.score(b.y.copy(), b).all()  # a perfect output
    for k in (1, task.settle):  # late by up to `settle` steps: only unscored steps are wrong
        z = late(b.y, k)
        assert not ((task.level(z) != task.level(b.y)) & task.scored_steps(b)).any()
        assert task.score(z, b).all()
    # late by settle + 1: the step after each window is wrong and scored
    z = late(b.y, task.settle + 1)
    judged = np.array([scored_reference(task, y) for y in b.y])
    wrong = ((task.level(z) != task.level(b.y)) & judged).sum(axis=(1, 2))
    assert wrong.min() >= 1
    # a window step counts as right: at most 1% of all the steps may be wrong
    np.testing.assert_array_equal(task.score(z, b), wrong <= 0.01 * b.y[0].size + 1e-9)
    # without the window, a switch one step late is already an error
    strict = task.replace(settle=0)
    n_wrong = (task.level(late(b.y, 1)) != task.level(b.y)).sum(axis=(1, 2))
    np.testing.assert_array_equal(strict.score(late(b.y, 1), b), n_wrong <= 0.01 * b.y[0].size)


def test_sussillo_switches_must_be_prompt():
    """About 17 changes per trial of 600 steps: a switch 4 steps late loses most trials."""
    task = make("flipflop3")
    b = task.sample(200, rng=np.random.default_rng(2))
    assert task.accuracy(late(b.y, 4), b) < 0.2
    assert task.replace(settle=0).accuracy(late(b.y, 1), b) < 0.2


@pytest.mark.parametrize("name, preset", CASES)
def test_constant_outputs_stay_at_chance(name, preset):
    task = make(name, preset=preset)
    b = task.sample(300, rng=np.random.default_rng(3))
    chance = 2.0**-8 if name == "flipflop" else 0.0  # flipflop: all 8 pulses resets
    for level in (-1.0, 0.0, 1.0):
        assert task.accuracy(np.full(b.y.shape, level), b) <= chance + 0.01


def test_jarne_last_step_is_in_the_window():
    """Her target drops to 0 on the last step: a change no network can foresee, not scored."""
    task = make("flipflop3", preset="jarne")
    b = task.sample(100, rng=np.random.default_rng(4))
    assert np.all(b.y[:, -1] == 0) and np.all(b.y[:, -2] != 0)
    assert not task.scored_steps(b)[:, -1].any()
    z = b.y.copy()
    z[:, -1] = z[:, -2]  # the network holds its memory to the end
    assert task.score(z, b).all()
    y = b.y[:, 150:180, 0]
    z[:, 150:180, 0] = np.where(y == 0, 1.0, -y)  # 30 steps at a wrong level, at most 3 in a window
    assert not task.score(z, b).any()


def test_settle_validation_and_old_run_files():
    with pytest.raises(ValidationError, match="`settle`"):
        make("flipflop3", settle=-1)
    with pytest.raises(ValidationError, match="`settle`"):
        make("flipflop3", settle=200)
    with pytest.raises(ValidationError, match="`settle`"):
        make("flipflop", settle=1.5)
    task = make("flipflop3", preset="jarne")
    d = task.to_dict()
    assert d["settle"] == 3 and task_from_json(d) == task
    old = {k: v for k, v in d.items() if k != "settle"}  # a run file written before the field
    assert task_from_json(old) == task.replace(settle=0)


def test_a_longer_window_never_makes_the_score_stricter():
    """Against a score over the judged steps only, where a window would shrink the 1%."""
    task = make("flipflop")
    b = task.sample(300, rng=np.random.default_rng(5))
    rng = np.random.default_rng(6)
    z = b.y.copy()
    for i in range(b.n_trials):  # 9 or 10 wrong steps away from the changes, about the 1% of 1010
        t = 100 + rng.choice(40, size=9 + i % 2, replace=False)
        z[i, t, 0] = 1.0 - task.level(b.y[i, t, 0])
    acc = [task.replace(settle=k).accuracy(z, b) for k in (0, 1, 3, 10)]
    assert acc == sorted(acc) and acc[0] == 1.0  # 10 of 1010 wrong is within 1%
