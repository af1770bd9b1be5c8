"""Properties every registered task must have (parametrized over ``TASKS``)."""

import json
import re

import numpy as np
import pytest

import purernn as pr
from purernn.errors import ValidationError
from purernn.tasks import TASKS, make

NAMES = sorted(TASKS)

#: Number of distinct conditions each task defines with its defaults (from its docstring).
N_CONDITIONS = {
    "and": 4,  # bits 00, 10, 01, 11
    "or": 4,
    "xor": 4,
    "not": 2,  # bit 0 or 1
    "time_reproduction": 2,  # pulse / no pulse
    "oscillation": 2,  # pulse / no pulse
    "sine_generator": 6,  # n_freqs
    "flipflop": 2,  # final state
    "flipflop3": 8,  # final state of 3 bits
    "perceptual_dm": 12,  # 6 coherences x 2 choices
    "perceptual_dm_zero": 2,  # sign of the integral
    "context_dm": 4,  # 2 contexts x 2 choices
    "dms": 8,  # 4 sample directions x match / non-match
    "romo": 10,  # 5 pairs x 2 orders
    "multitask_gates": 8,  # 2 gates x 4 bit pairs
    "interval_reproduction": 5,  # 5 intervals
    "yang2019": 20,  # 20 rules (tests/tasks/test_yang2019.py tests each)
}

#: Tasks whose batches are as long as their longest trial (at most ``task.n_steps``), and
#: the fraction of the generic tests' trial counts they draw (their trials are large:
#: 85 inputs x up to 210 steps; test_yang2019.py covers them rule by rule).
VARIABLE_LENGTH = {"yang2019"}
SCALE = {"yang2019": 0.1}


def _n(name, n):
    return max(int(n * SCALE.get(name, 1.0)), 1)

#: Best accuracy a constant output can reach (the fraction of trials a constant answers right).
CHANCE = {
    "and": 0.75,  # a constant 0 is right on the 3 of 4 bit pairs whose AND is 0
    "or": 0.75,  # a constant 1 is right on the 3 of 4 bit pairs whose OR is 1
    "xor": 0.5,
    "not": 0.5,
    "time_reproduction": 0.5,  # a flat output is right on the no-pulse half only
    "oscillation": 0.5,  # a zero output is right on the no-pulse half only
    "sine_generator": 0.0,  # a constant has no period
    "flipflop": 2.0**-8,  # a constant 0 is right only when all 8 pulses are resets
    "flipflop3": 0.0,  # no constant is near the right level on 99% of the steps
    "perceptual_dm": 0.5,
    "perceptual_dm_zero": 0.5,
    "context_dm": 0.5,
    "dms": 0.5,
    "romo": 0.5,
    "multitask_gates": 0.5,  # AND is 0 on 3/4 of bit pairs, OR on 1/4
    "interval_reproduction": 0.0,  # a constant never crosses at the go time
    "yang2019": 0.2,  # a flat ring points nowhere in particular: ~0.2 of the targets are near it
}

#: A duration (or onset) field of each task that must refuse a negative value.
DURATION_FIELD = {
    "and": "stim_on",
    "or": "stim_dur",
    "xor": "response_on",
    "not": "stim_on",
    "time_reproduction": "mem_gap",
    "oscillation": "stim_on",
    "sine_generator": "washout",
    "flipflop": "pulse_dur",
    "flipflop3": "t_total",
    "perceptual_dm": "stimulus",
    "perceptual_dm_zero": "stim_dur",
    "context_dm": "fixation",
    "dms": "delay",
    "romo": "delay",
    "multitask_gates": "context_on",
    "interval_reproduction": "ready_on",
    "yang2019": "n_eachring",  # its durations are the original's, not fields
}


def perfect_output(task, batch, seed):
    """The noise-free target: every task's y is noise-free except time_reproduction's,
    whose target noise is switched off (conditions are drawn before any noise, so the same
    seed gives the same trials)."""
    if task.name == "time_reproduction":
        return task.replace(target_noise_sigma=0.0).sample(batch.n_trials, rng=seed).y
    return batch.y


def test_registry_matches_tables():
    assert set(N_CONDITIONS) == set(TASKS) == set(CHANCE) == set(DURATION_FIELD)
    for name, cls in TASKS.items():
        assert cls.name == name
        assert cls.summary and "\n" not in cls.summary
        assert cls.source and "\n" not in cls.source
        assert re.search(r"\((19|20)\d\d\)", cls.__doc__), "docstring cites a paper"
        cites_code = "github.com/" in cls.__doc__ or "No original code" in cls.__doc__
        assert cites_code, "docstring cites the original code (or says there is none)"


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_masks(name):
    task = make(name)
    batch = task.sample(16, rng=np.random.default_rng(0))
    n_steps = batch.n_steps if name in VARIABLE_LENGTH else task.n_steps
    assert n_steps <= task.n_steps
    shapes = {
        "x": (16, n_steps, task.n_in),
        "y": (16, n_steps, task.n_out),
        "mask": (16, n_steps, task.n_out),
    }
    for attr, shape in shapes.items():
        a = getattr(batch, attr)
        assert a.shape == shape, attr
        assert a.dtype == np.float64, attr
        assert a.flags.c_contiguous, attr
        assert np.all(np.isfinite(a)), attr
    assert np.all((batch.mask >= 0) & (batch.mask <= 1))
    assert np.all(batch.mask.sum(axis=(1, 2)) > 0)  # every trial is judged somewhere
    assert batch.n_trials == 16 and batch.n_steps == n_steps
    cond = batch.info["condition"]
    assert cond.shape == (16,) and cond.dtype.kind == "i"
    for key, value in batch.info.items():
        assert np.asarray(value).shape[0] == 16, key
    assert 0 < task.criterion <= 1 and task.dt > 0 and 0 < task.alpha <= 1


@pytest.mark.parametrize("name", NAMES)
def test_determinism(name):
    task = make(name)
    a = task.sample(8, rng=np.random.default_rng(7))
    b = task.sample(8, rng=np.random.default_rng(7))
    c = task.sample(8, rng=np.random.default_rng(8))
    for attr in ("x", "y", "mask"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    for key in a.info:
        np.testing.assert_array_equal(a.info[key], b.info[key])
    assert not np.array_equal(a.x, c.x)
    # an int seed works like a Generator seeded with it
    np.testing.assert_array_equal(task.sample(8, rng=7).x, a.x)


@pytest.mark.parametrize("name", NAMES)
def test_conditions_balanced(name):
    n = _n(name, 2000)
    batch = make(name).sample(n, rng=np.random.default_rng(1))
    labels, counts = np.unique(batch.info["condition"], return_counts=True)
    k = N_CONDITIONS[name]
    assert labels.size == k
    p = 1.0 / k
    sd = np.sqrt(n * p * (1 - p))
    # 4.5 binomial standard deviations: a false alarm once in ~10^5 conditions
    assert np.all(np.abs(counts - n * p) < 4.5 * sd), counts


@pytest.mark.parametrize("name", NAMES)
def test_perfect_output_scores_100(name):
    task = make(name)
    seed = 3
    n = _n(name, 300)
    batch = task.sample(n, rng=np.random.default_rng(seed))
    z = perfect_output(task, batch, np.random.default_rng(seed))
    correct = task.score(z, batch)
    assert correct.dtype == bool and correct.shape == (n,)
    assert correct.all()
    assert task.accuracy(z, batch) == 1.0


@pytest.mark.parametrize("name", NAMES)
def test_constant_output_at_most_chance(name):
    task = make(name)
    n = _n(name, 2000)
    batch = task.sample(n, rng=np.random.default_rng(4))
    chance = CHANCE[name]
    tol = 4 * np.sqrt(max(chance * (1 - chance), 1.0 / n) / n)
    best = 0.0
    for level in (-1.5, -1.0, -0.5, 0.0, 0.01, 0.25, 0.5, 0.75, 1.0, 1.5):
        z = np.full(batch.y.shape, level)
        best = max(best, task.accuracy(z, batch))
    assert best <= chance + tol
    if chance >= 0.5:  # the majority answer, held constant, does reach chance
        assert best >= chance - tol


@pytest.mark.parametrize("name", NAMES)
def test_overrides_validated(name):
    cls = TASKS[name]
    field = DURATION_FIELD[name]
    with pytest.raises(ValidationError, match=f"`{field}`"):
        make(name, **{field: -3})
    with pytest.raises(ValidationError, match="`not_a_field`") as err:
        make(name, not_a_field=1)
    assert "criterion" in str(err.value) and "dt" in str(err.value)  # lists valid fields
    with pytest.raises(ValidationError, match="`not_a_field`"):
        make(name).replace(not_a_field=1)
    noise = next((f for f in ("noise_sigma", "sigma_x") if f in cls.field_names()), "sigma")
    with pytest.raises(ValidationError, match=f"`{noise}`"):
        make(name, **{noise: -0.1})
    for bad in ({"criterion": 1.5}, {"dt": 0.0}, {"alpha": 2.0}):
        with pytest.raises(ValidationError, match=f"`{next(iter(bad))}`"):
            make(name, **bad)
    for prob in ("p_pulse", "p_match"):
        if prob in cls.field_names():
            with pytest.raises(ValidationError, match=f"`{prob}`"):
                make(name, **{prob: 1.5})
    # a valid override lands
    assert getattr(make(name, **{noise: 0.5}), noise) == 0.5


def test_unknown_task_lists_names():
    with pytest.raises(ValidationError, match="'xor'"):
        make("xnor")


@pytest.mark.parametrize("name", NAMES)
def test_to_dict_round_trip(name):
    task = make(name)
    d = json.loads(json.dumps(task.to_dict()))
    assert d.pop("name") == name
    again = make(name, **d)
    assert again == task


@pytest.mark.parametrize("name", NAMES)
def test_score_checks_output_shape(name):
    task = make(name)
    batch = task.sample(4, rng=np.random.default_rng(0))
    with pytest.raises(ValidationError, match="`z`"):
        task.score(np.zeros((4, task.n_steps + 1, task.n_out)), batch)


@pytest.mark.parametrize("name", NAMES)
def test_large_batch_is_drawn_trial_by_trial_alike(name):
    """A batch of 1000 is vectorized, not a different generator: its conditions cover
    every condition that small batches show, and its arrays have the documented layout.
    (How fast sampling is: bench/test_tasks.py.)"""
    task = make(name)
    n = _n(name, 1000)
    batch = task.sample(n, rng=np.random.default_rng(0))
    assert batch.x.shape == (n, batch.n_steps if name in VARIABLE_LENGTH else task.n_steps, task.n_in)
    small = np.concatenate([task.sample(_n(name, 20), rng=np.random.default_rng(s)).info["condition"]
                            for s in range(5)])
    assert set(np.unique(small)) <= set(np.unique(batch.info["condition"]))


@pytest.mark.parametrize("name", NAMES)
def test_subset_keeps_info(name):
    batch = make(name).sample(10, rng=np.random.default_rng(0))
    sub = batch.subset(np.array([1, 3]))
    np.testing.assert_array_equal(sub.x, batch.x[[1, 3]])
    np.testing.assert_array_equal(sub.info["condition"], batch.info["condition"][[1, 3]])


def test_package_exposes_tasks():
    assert pr.tasks.make is make
    assert pr.tasks.TASKS["flipflop3"]().n_bits == 3
