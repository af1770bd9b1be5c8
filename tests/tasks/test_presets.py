"""Presets: the mechanism (make, to_dict, replace) and the "jarne" preset of each task
against C. Jarne's data generators (github.com/katejarne): timing, targets and quirks.

Each reference below is a plain loop over trials written from her generator's text (one
statement per slice assignment, in her order), rebuilt from the per-trial draws the
vectorized task records in ``info``; the task must give the same arrays exactly.
"""

import json

import numpy as np
import pytest

import purernn as pr
from purernn.errors import ValidationError
from purernn.tasks import PRESETS, TASKS, make

JARNE = ("and", "or", "xor", "not", "flipflop", "time_reproduction", "oscillation", "flipflop3",
         "multitask_gates")


# -- the mechanism ----------------------------------------------------------------------


def test_jarne_preset_offered_by_every_task_she_published_networks_for():
    assert set(PRESETS["jarne"]) == set(JARNE)
    assert set(PRESETS["default"]) == set(TASKS)
    for name in TASKS:
        assert TASKS[name].preset_names()[0] == "default"


@pytest.mark.parametrize("name", JARNE)
def test_preset_serializes_and_rebuilds(name):
    task = make(name, preset="jarne")
    assert task.preset == "jarne"
    d = json.loads(json.dumps(task.to_dict()))
    assert d["preset"] == "jarne"
    assert make(d.pop("name"), **d) == task  # what run.json and the sweep worker do
    # an override lands on top of the preset, and the label stays
    tweaked = make(name, preset="jarne", criterion=0.9)
    assert tweaked.criterion == 0.9 and tweaked.preset == "jarne"
    assert tweaked.preset_differences("jarne") == {"criterion": (0.9, task.criterion)}


def test_preset_errors_name_the_argument():
    with pytest.raises(ValidationError, match="`preset`.*'jarne'"):
        make("xor", preset="jarn")
    with pytest.raises(ValidationError, match="`preset`"):
        make("romo", preset="jarne")  # she published no Romo network
    with pytest.raises(ValidationError, match="`preset`"):
        make("xor").replace(preset="jarne")
    with pytest.raises(ValidationError, match="`preset`"):
        TASKS["xor"](preset="nope")
    assert make("xor", preset="jarne").replace(noise_sigma=0.2).preset == "jarne"


def test_defaults_and_presets_differ_where_the_docstrings_say():
    assert make("and", preset="jarne").preset_differences() == {"noise_sigma": (0.0, 0.1),
                                                                "t_total": (210, 200)}
    for gate in ("or", "xor", "not"):
        assert make(gate, preset="jarne").preset_differences() == {"noise_sigma": (0.0, 0.1)}
    for same in ("time_reproduction", "flipflop"):
        diff = make(same, preset="jarne").preset_differences()
        assert set(diff) <= {"protocol"}, diff  # flipflop: "jarne" is what "auto" picks
        np.testing.assert_array_equal(make(same, preset="jarne").sample(4, rng=0).x,
                                      make(same).sample(4, rng=0).x)


def test_study_file_task_tables_accept_a_preset():
    """A study's [task] table is passed to make(name, **table), so `preset` works there."""
    table = {"preset": "jarne", "noise_sigma": 0.05}
    TASKS["xor"].check_overrides(table)
    task = make("xor", **table)
    assert task.preset == "jarne" and task.noise_sigma == 0.05


# -- gates (code_paper_rep/generate_data_set_{and,or,xor,not}.py) -------------------------


@pytest.mark.parametrize("name,T,base", [("and", 210, 0.0), ("or", 200, 0.01), ("xor", 200, 0.01),
                                         ("not", 200, 0.01)])
def test_gates_as_her_generator(name, T, base):
    task = make(name, preset="jarne")
    b = task.sample(200, rng=np.random.default_rng(0))
    assert b.n_steps == T
    table = {"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "xor": (0, 1, 1, 0), "not": (1, 0)}[name]
    first_in, stim_dur, mem_gap = 30, 20, 20
    for i in range(b.n_trials):  # her loop: seeds A = [0,1,0,1], B = [0,0,1,1]
        x = np.zeros((T, task.n_in))
        y = np.full(T, base)
        for k in range(task.n_in):
            x[first_in:first_in + stim_dur, k] = b.info["bits"][i, k]
        y[first_in + stim_dur + mem_gap:] = table[b.info["condition"][i]]
        np.testing.assert_array_equal(b.x[i], x)  # stim_noise is defined, never added
        np.testing.assert_array_equal(b.y[i, :, 0], y)
    assert np.all(b.mask == 1)


# -- oscillation (code_paper_rep/generate_data_set_oscilator.py, mem_gap = 200) -----------


def test_oscillation_target_is_her_convolution():
    task = make("oscillation", preset="jarne")
    osc = task.oscillation()
    # 0.2 * convolve(box of 220, sin(2 pi 12 n / 420), "same") written as the sum it is:
    # sample i is sum over j in the box of kernel[i + 209 - j], where the kernel exists
    w = 2 * np.pi * 12 / 420
    ref = np.empty(220)
    for i in range(220):
        n = np.arange(max(0, i + 209 - 219), min(419, i + 209) + 1)
        ref[i] = 0.2 * np.sum(np.sin(w * n))
    np.testing.assert_allclose(osc, ref, atol=1e-12)
    # in the middle of the window: amplitude 0.2 |sin(110 w)| / sin(w / 2) = 1.744, lagging
    # the default's phase-0 sinusoid by 99.5 steps mod 35
    amp = 0.2 * abs(np.sin(110 * w)) / np.sin(w / 2)
    i = np.arange(10, 211)
    np.testing.assert_allclose(osc[i], amp * np.sin(w * (i + 99.5)), atol=1e-12)
    assert osc[0] == pytest.approx(0.0, abs=1e-12) and abs(osc[9]) < amp  # the ramp at onset

    b = task.sample(300, rng=np.random.default_rng(1))
    clean = task.replace(noise_sigma=0.0).sample(300, rng=np.random.default_rng(1))
    pulse = b.info["pulse"]
    assert 0.4 < pulse.mean() < 0.6
    for i in range(300):
        y = np.full(420, 0.01)  # her y_train starts at 0.01 and is multiplied by 0.2
        y[160:380] = osc / 0.2 if pulse[i] else 0.0
        np.testing.assert_allclose(b.y[i, :, 0], 0.2 * y, atol=1e-12)
        x = np.zeros(420)
        if pulse[i]:
            win = np.hanning(15)
            x[100:140] = np.convolve(np.ones(40), win)[7:47] / win.sum()  # mode="same"
        np.testing.assert_allclose(clean.x[i, :, 0], x, atol=1e-12)
    assert np.std(b.x - clean.x) == pytest.approx(0.1, rel=0.02)


# -- 3-bit flip-flop (3-bit-FF-tutorial/paper/generate_data_set.py, one call per channel) --


def ff3_reference(first_in, var_delay_, var_delay_2, a, T=340, stim_dur=20, mem_gap=20):
    """One channel of one trial, statement by statement as her generator writes it."""
    x = np.zeros(T)
    y = np.zeros(T)
    x[first_in:first_in + stim_dur] = a[0]
    y[mem_gap + first_in + stim_dur:-1] = a[0]
    x[first_in + 50 + stim_dur + var_delay_:first_in + 50 + 2 * stim_dur + var_delay_] = a[1]
    y[first_in + 50 + 2 * stim_dur + var_delay_ + mem_gap:-1] = a[1]
    on3 = first_in + 150 + stim_dur + var_delay_ + var_delay_2
    x[on3:on3 + stim_dur] = a[2]
    y[on3 + stim_dur + mem_gap:-1] = a[2]
    return x, y


def test_flipflop3_as_her_generator():
    task = make("flipflop3", preset="jarne", noise_sigma=0.0)
    assert (task.n_in, task.n_out, task.n_steps) == (3, 3, 340)
    b = task.sample(400, rng=np.random.default_rng(2))
    on, val = b.info["onsets"], b.info["pulses"]  # (n_trials, 3, 3)
    for i in range(b.n_trials):
        for c in range(3):
            first = int(on[i, c, 0])
            d1 = int(on[i, c, 1] - first - 70)
            d2 = int(on[i, c, 2] - on[i, c, 1] - 100)
            x, y = ff3_reference(first, d1, d2, val[i, c])
            np.testing.assert_array_equal(b.x[i, :, c], x)
            np.testing.assert_array_equal(b.y[i, :, c], y)
    # the draws: first onset randint(10, 100); delays randint(50) + 1; values
    first = on[:, :, 0]
    d1 = on[:, :, 1] - first - 70
    d2 = on[:, :, 2] - on[:, :, 1] - 100
    assert first.min() == 10 and first.max() == 99
    for d in (d1, d2):
        assert d.min() == 1 and d.max() == 50
    v1, later = val[:, :, 0], val[:, :, 1:]
    assert set(np.unique(v1)) == {-1.0, 0.0, 1.0} and set(np.unique(later)) == {-1.0, 1.0}
    assert np.all(np.abs([np.mean(v1 == v) - 1 / 3 for v in (-1, 0, 1)]) < 0.05)
    # channels are independent: their onsets are not all equal
    assert np.mean(first[:, 0] == first[:, 1]) < 0.05
    # quirks: the last step is 0; a late third pulse is cut or absent and does not count
    assert np.all(b.y[:, -1, :] == 0)
    late = on[:, :, 2] >= 340 - 20
    assert late.any()
    assert np.all(b.info["bits"] == b.y[:, -2, :])
    assert set(np.unique(b.info["bits"])) == {-1.0, 1.0}  # the second pulse always lands
    noisy = make("flipflop3", preset="jarne").sample(400, rng=np.random.default_rng(2))
    assert np.std(noisy.x - b.x) == pytest.approx(0.1, rel=0.02)
    np.testing.assert_array_equal(noisy.y, b.y)


def test_flipflop3_scores_the_three_level_target():
    task = make("flipflop3", preset="jarne")
    b = task.sample(50, rng=np.random.default_rng(3))
    assert task.score(b.y.copy(), b).all()
    z = b.y.copy()
    z[:, :-1] = np.where(b.y[:, :-1] == 0, 1.0, b.y[:, :-1])  # holds a level before the first answer
    assert not task.score(z, b).any()


# -- multitask (multitasking_RNN/generate_data_set_multi_task_3_tasks.py) -----------------


def test_multitask_as_her_generator():
    task = make("multitask_gates", preset="jarne")
    assert (task.n_in, task.n_steps) == (3, 290)
    b = task.sample(600, rng=np.random.default_rng(4))
    cont = {0: 1, 1: -1, 2: 0}  # purernn gate index -> her context level (AND, OR, XOR)
    tables = {1: (0, 0, 0, 1), -1: (0, 1, 1, 1), 0: (0, 1, 1, 0)}
    first_in, first_in_c, stim_dur, mem_gap = 60, 20, 20, 20
    for i in range(b.n_trials):
        vd = int(b.info["shift"][i])
        c = cont[int(b.info["gate"][i])]
        A, B = (int(v) for v in b.info["bits"][i])
        x = np.zeros((290, 3))
        y = np.zeros(290)
        x[first_in_c + vd:first_in_c + stim_dur + vd, 2] = c
        x[first_in + vd:first_in + stim_dur + vd, 0] = A
        x[first_in + vd:first_in + stim_dur + vd, 1] = B
        y[first_in + mem_gap + stim_dur + vd:-1] = tables[c][A + 2 * B]
        np.testing.assert_array_equal(b.x[i], x)
        np.testing.assert_array_equal(b.y[i, :, 0], y)
    shift = b.info["shift"]
    assert shift.min() == 1 and shift.max() == 50  # randint(50) + 1: never 0
    assert set(np.unique(b.info["gate"])) == {0, 1, 2}
    assert task.score(b.y.copy(), b).all()


def test_cli_train_with_a_preset_records_it(tmp_path, capsys):
    from purernn.cli import main

    toml = tmp_path / "c.toml"
    toml.write_text('preset = "jarne"\nn_steps = 2\nn_rec = 4\n[task]\nnoise_sigma = 0.05\n')
    assert main(["train", "and", "--config", str(toml), "--no-figures", "--quiet", "--seed", "0",
                 "--out", str(tmp_path / "run")]) == 0
    task = pr.load_run(tmp_path / "run").task
    assert task.preset == "jarne" and task.t_total == 210 and task.noise_sigma == 0.05
    assert main(["train", "xor", "--preset", "jarne", "--n-steps", "2", "--n-rec", "4", "--no-figures",
                 "--quiet", "--seed", "0", "--out", str(tmp_path / "run2")]) == 0
    assert pr.load_run(tmp_path / "run2").task == make("xor", preset="jarne")
