"""The twenty rules of Yang et al. (2019): layout, timing against the original's
distributions, directions, targets and cost mask against the original's formulas written
plainly here, balance, scoring (perfect 1, constant at chance), validation, round trip."""

import json

import numpy as np
import pytest

import purernn as pr
from purernn.conditions import balanced_sample
from purernn.errors import ValidationError
from purernn.outputs import apply_output, loss_and_dz
from purernn.taskspec import task_from_json, task_to_json
from purernn.tasks.yang2019 import RULES

DT = 20.0
TWO_PI = 2 * np.pi
GO = ("fdgo", "reactgo", "delaygo", "fdanti", "reactanti", "delayanti")
DM = ("dm1", "dm2", "contextdm1", "contextdm2", "multidm")
DELAY_DM = ("delaydm1", "delaydm2", "contextdelaydm1", "contextdelaydm2", "multidelaydm")
MATCH = ("dmsgo", "dmsnogo", "dmcgo", "dmcnogo")
NOGO_RULES = MATCH

#: The original task.py's random durations (ms) per rule and epoch: ("choice", values) or
#: ("uniform", lo, hi); "go1" is the response period. fix1 ends at the first onset.
FD = {"fix1": ("uniform", 300, 700), "stim1": ("uniform", 500, 1500), "go1": ("choice", [500])}
DLY = {"fix1": ("choice", [300, 500, 700]), "stim1": ("choice", [200, 400, 600]),
       "delay1": ("choice", [200, 400, 800, 1600]), "go1": ("choice", [500])}
DMT = {"fix1": ("uniform", 100, 400), "stim1": ("choice", [400, 800, 1600]), "go1": ("choice", [500])}
DDM = {"fix1": ("choice", [200, 400, 600]), "stim1": ("choice", [200, 400, 600]),
       "delay1": ("choice", [200, 400, 800, 1600]), "stim2": ("choice", [200, 400, 600]),
       "delay2": ("uniform", 100, 300), "go1": ("choice", [500])}
DMS = {"fix1": ("choice", [200, 400, 600]), "stim1": ("choice", [200, 400, 600]),
       "delay1": ("choice", [200, 400, 800, 1600]), "go1": ("choice", [500])}
EXPECTED = {"fdgo": FD, "fdanti": FD, "reactgo": {"fix1": ("uniform", 500, 2500), "go1": ("choice", [500])},
            "delaygo": DLY, "delayanti": DLY, "dmsgo": DMS, "dmsnogo": DMS,
            "dmcgo": {**DMS, "go1": ("choice", [200, 400, 600])}}
EXPECTED.update({"reactanti": EXPECTED["reactgo"], "dmcnogo": EXPECTED["dmcgo"]})
EXPECTED.update({r: DMT for r in DM})
EXPECTED.update({r: DDM for r in DELAY_DM})


@pytest.fixture(scope="module")
def clean():
    """400 noise-free trials of all 20 rules (about 20 per rule)."""
    task = pr.tasks.make("yang2019", sigma_x=0.0)
    return task, task.sample(400, rng=11)


def _rule_rows(batch, rule):
    return np.flatnonzero(batch.info["condition"] == RULES.index(rule))


def _pref(n=32):
    return np.arange(n) * TWO_PI / n


def _bump(loc, n=32):
    """The original's add_x_loc / add_y_loc ('lsq'), written plainly."""
    out = np.zeros(n)
    for j, p in enumerate(_pref(n)):
        d = abs(loc - p)
        d = min(d, TWO_PI - d) / (np.pi / 8)
        out[j] = 0.8 * np.exp(-d**2 / 2)
    return out


def test_layout_and_rule_inputs(clean):
    task, batch = clean
    assert (task.n_in, task.n_out, task.rule_start) == (85, 33, 65)
    assert task.rules == RULES and len(RULES) == 20 and RULES[0] == "fdgo" and RULES[-1] == "dmcnogo"
    assert batch.x.shape[2] == 85 and batch.y.shape[2] == 33
    assert batch.n_steps == batch.info["length"].max() <= task.n_steps == 210
    length = batch.info["length"]
    for b in range(batch.n_trials):
        rule_in = batch.x[b, : length[b], 65:]
        expect = np.zeros(20)
        expect[batch.info["condition"][b]] = 1.0
        assert np.all(rule_in == expect)
        assert np.all(batch.x[b, length[b]:] == 0) and np.all(batch.mask[b, length[b]:] == 0)
    assert task.condition_labels(batch) == dict(enumerate(RULES))


@pytest.mark.parametrize("rule", RULES)
def test_epoch_durations_follow_the_original(clean, rule):
    _, batch = clean
    rows = _rule_rows(batch, rule)
    assert rows.size >= 10
    for epoch, spec in EXPECTED[rule].items():
        se = batch.info[f"epoch_{epoch}"][rows]
        dur = se[:, 1] - se[:, 0]
        if spec[0] == "choice":
            allowed = {int(v / DT) for v in spec[1]}
            assert set(dur.tolist()) <= allowed, (epoch, set(dur.tolist()))
            if len(allowed) <= 3:
                assert set(dur.tolist()) == allowed, epoch
        else:
            lo, hi = int(spec[1] / DT), int(spec[2] / DT)
            assert dur.min() >= lo and dur.max() <= hi - (spec[2] % DT == 0), (epoch, dur.min(), dur.max())
            assert np.unique(dur).size >= min(5, hi - lo)  # spread over the range
    present = {e for e in ("fix1", "stim1", "delay1", "stim2", "delay2", "go1")
               if np.all(batch.info[f"epoch_{e}"][rows] >= 0)}
    assert present == set(EXPECTED[rule])
    # epochs tile the trial
    ends = batch.info["epoch_go1"][rows, 1]
    np.testing.assert_array_equal(ends, batch.info["length"][rows])


def _stim_windows(rule, info, b):
    """(k, on, off) of each stimulus of trial b, as the original's task.py places them."""
    e = {k: info[f"epoch_{k}"][b] for k in ("stim1", "stim2", "go1", "fix1")}
    end = info["length"][b]
    if rule in ("fdgo", "fdanti"):
        return [(0, e["stim1"][0], end)]
    if rule in ("reactgo", "reactanti"):
        return [(0, e["go1"][0], end)]
    if rule in ("delaygo", "delayanti"):
        return [(0, *e["stim1"])]
    if rule in DM:
        return [(0, *e["stim1"]), (1, *e["stim1"])]
    if rule in DELAY_DM:
        return [(0, *e["stim1"]), (1, *e["stim2"])]
    return [(0, *e["stim1"]), (1, e["go1"][0], end)]


@pytest.mark.parametrize("rule", RULES)
def test_inputs_targets_mask_match_the_original_formulas(clean, rule):
    """Two trials per rule rebuilt step by step with the original's Trial.add and
    add_c_mask logic (lsq coding, dt = 20 ms), from the trial's info."""
    task, batch = clean
    info = batch.info
    for b in _rule_rows(batch, rule)[:2]:
        T, T_pad = info["length"][b], batch.n_steps
        x = np.zeros((T_pad, 85))
        y = np.zeros((T_pad, 33))
        y[:T] = 0.05
        go1 = info["epoch_go1"][b][0]
        keeps_fixating = rule in MATCH or rule.startswith("react")
        x[: T if keeps_fixating else go1, 0] = 1
        for k, on, off in _stim_windows(rule, info, b):
            for ring in (0, 1):
                s = info["stim_strength"][b, k, ring]
                if s != 0:
                    x[on:off, 1 + 32 * ring:33 + 32 * ring] += _bump(info["stim_loc"][b, k]) * s
        x[:T, 65 + RULES.index(rule)] = 1
        if info["go"][b]:
            y[:go1, 0] = 0.8
            y[go1:T, 1:] += _bump(info["target_loc"][b])
        else:
            y[:T, 0] = 0.8
        c = np.zeros((T_pad, 33))
        c[go1 + 5:T] = 5.0  # post_ons = response onset + int(100 / dt)
        c[5:go1] = 1.0  # pre_on = int(100 / dt)
        c[:, 0] *= 2.0
        np.testing.assert_allclose(batch.x[b], x, atol=1e-12)
        np.testing.assert_allclose(batch.y[b], y, atol=1e-12)
        np.testing.assert_allclose(batch.mask[b], c**2 * 2 / (T * 33), rtol=1e-12)


def test_loss_equals_the_originals_cost(clean):
    """purernn's masked mse of sigmoid outputs = the original's mean((c (y - p))^2) per trial."""
    task, batch = clean
    sub = batch.subset(np.arange(40))
    rng = np.random.default_rng(0)
    z = rng.normal(size=sub.y.shape)
    value, _ = loss_and_dz(z, sub.y, sub.mask, output="sigmoid", loss="mse", n_trials=sub.n_trials)
    p = 1 / (1 + np.exp(-z))
    costs = []
    for b in range(sub.n_trials):
        T = sub.info["length"][b]
        c = np.sqrt(sub.mask[b, :T] * T * 33 / 2)  # the original's c_mask (1, 5; 2, 10)
        assert set(np.round(np.unique(c), 9)) <= {0.0, 1.0, 2.0, 5.0, 10.0}
        costs.append(np.mean((c * (sub.y[b, :T] - p[b, :T])) ** 2))
    assert value == pytest.approx(np.mean(costs), rel=1e-12)
    raw = pr.tasks.make("yang2019", sigma_x=0.0, loss_normalization="none").sample(40, rng=11)
    assert raw.mask.max() == 100.0


@pytest.mark.parametrize("rule", RULES)
def test_target_directions(clean, rule):
    _, batch = clean
    info = batch.info
    rows = _rule_rows(batch, rule)
    loc, s = info["stim_loc"][rows], info["stim_strength"][rows]
    target = info["target_loc"][rows]
    go = info["go"][rows]
    if rule in GO:
        expect = np.mod(loc[:, 0] + (np.pi if "anti" in rule else 0.0), TWO_PI)
    elif rule in ("dm1", "delaydm1"):
        expect = np.where(s[:, 0, 0] > s[:, 1, 0], loc[:, 0], loc[:, 1])
    elif rule in ("dm2", "delaydm2"):
        expect = np.where(s[:, 0, 1] > s[:, 1, 1], loc[:, 0], loc[:, 1])
    elif rule.endswith("1"):
        expect = np.where(s[:, 0, 0] > s[:, 1, 0], loc[:, 0], loc[:, 1])
    elif rule.endswith("2"):
        expect = np.where(s[:, 0, 1] > s[:, 1, 1], loc[:, 0], loc[:, 1])
    elif rule.startswith("multi"):
        expect = np.where(s[:, 0].sum(axis=1) > s[:, 1].sum(axis=1), loc[:, 0], loc[:, 1])
    else:  # matching: respond towards the test stimulus
        expect = loc[:, 1]
        if rule.startswith("dms"):
            same = np.isclose(loc[:, 0], loc[:, 1])
        else:
            same = (loc[:, 0] < np.pi) == (loc[:, 1] < np.pi)
        np.testing.assert_array_equal(info["match"][rows], same.astype(int))
        np.testing.assert_array_equal(go, same if rule.endswith("sgo") or rule == "dmcgo" else ~same)
        assert 0.2 < go.mean() < 0.8
    assert np.all(target[go] >= 0) and np.all(target[~go] == -1)
    np.testing.assert_allclose(target[go], expect[go], atol=1e-12)
    # the ring target's peak sits at the unit nearest the target direction
    t_resp = info["epoch_go1"][rows, 0] + 1
    peak = np.argmax(batch.y[rows, t_resp, 1:], axis=1)
    nearest = np.round(target / (TWO_PI / 32)).astype(int) % 32
    np.testing.assert_array_equal(peak[go], nearest[go])
    if rule in DM + DELAY_DM:  # the two stimuli are 0.5 pi .. 1.5 pi apart
        d = np.abs(loc[:, 0] - loc[:, 1])
        d = np.minimum(d, TWO_PI - d)
        assert np.all(d >= 0.5 * np.pi - 1e-9)


def test_stimulus_strengths_and_directions_follow_the_original(clean):
    _, batch = clean
    info = batch.info
    for rule in DM + DELAY_DM:
        rows = _rule_rows(batch, rule)
        s = info["stim_strength"][rows]  # (n, stimulus, ring)
        coh = {0.01, 0.02, 0.04, 0.08} if rule in DM else {0.08, 0.16, 0.32}
        rings = (0, 1) if rule.startswith("context") else (int(rule[-1]) - 1,) if rule[-1] in "12" else ()
        for r in rings:  # mean U(0.8, 1.2) +/- coh
            assert set(np.round(np.abs(s[:, 0, r] - s[:, 1, r]) / 2, 9)) <= coh, rule
            mean = (s[:, 0, r] + s[:, 1, r]) / 2
            assert np.all((mean >= 0.8) & (mean < 1.2))
        if rule.startswith("multi"):  # stimulus k: s_k (1 +/- u / 2) in the two rings, u in U(0.2, 0.8)
            total = s.sum(axis=2)  # (n, 2) = 2 s_k
            assert set(np.round(np.abs(total[:, 0] - total[:, 1]) / 4, 9)) <= coh
            u = np.abs(s[:, :, 0] - s[:, :, 1]) / (total / 2)
            assert np.all((u >= 0.2) & (u < 0.8))
    for rule in ("dmsgo", "dmsnogo"):
        rows = _rule_rows(batch, rule)
        loc, match = info["stim_loc"][rows], info["match"][rows]
        d = np.abs(loc[:, 0] - loc[:, 1])
        d = np.minimum(d, TWO_PI - d)
        assert np.all(d[match == 0] >= np.pi / 9 - 1e-9) and np.all(d[match == 1] < 1e-9)
    for rule in ("dmcgo", "dmcnogo"):
        rows = _rule_rows(batch, rule)
        assert set(np.round(info["stim_loc"][rows].ravel() / np.pi, 9)) <= {0.1, 0.3, 0.5, 0.7, 0.9, 1.1, 1.3, 1.5,
                                                                            1.7, 1.9}
    easy = pr.tasks.make("yang2019", rules=("dm1", "delaydm2"), easy_task=True, sigma_x=0.0).sample(40, rng=0)
    for k, (ring, coh) in enumerate(((0, {0.1, 0.2, 0.4, 0.8}), (1, {0.16, 0.32, 0.64}))):
        rows = easy.info["condition"] == RULES.index(("dm1", "delaydm2")[k])
        s = easy.info["stim_strength"][rows]
        assert set(np.round(np.abs(s[:, 0, ring] - s[:, 1, ring]) / 2, 9)) == coh


def test_rules_drawn_uniformly_or_with_rule_prob():
    task = pr.tasks.make("yang2019", rules=("dm1", "dm2", "contextdm1"), rule_prob={"dm1": 4.0, "dm2": 0.0},
                         sigma_x=0.0)
    assert task.rule_prob == (4.0, 0.0, 1.0)  # left-out rules weigh 1, as the original's rule_prob_map
    np.testing.assert_allclose(task.probabilities, [0.8, 0.0, 0.2])
    n = 200
    cond = task.sample(n, rng=2).info["condition"]
    k1 = np.sum(cond == RULES.index("dm1"))
    assert np.sum(cond == RULES.index("dm2")) == 0
    assert abs(k1 - 0.8 * n) < 4.5 * np.sqrt(n * 0.8 * 0.2)
    seq = pr.tasks.make("yang2019", rules=("fdgo", "dmsgo"), rule_prob=[1, 3], sigma_x=0.0)
    cond = seq.sample(n, rng=3).info["condition"]
    assert abs(np.sum(cond == RULES.index("dmsgo")) - 0.75 * n) < 4.5 * np.sqrt(n * 0.75 * 0.25)
    uniform = pr.tasks.make("yang2019", rules=("fdgo", "dmsgo"), sigma_x=0.0).sample(n, rng=4).info["condition"]
    assert abs(np.sum(uniform == 0) - n / 2) < 4.5 * np.sqrt(n / 4)


def test_batch_rule_draws_each_training_batch_from_one_rule():
    task = pr.tasks.make("yang2019", rules=("fdgo", "dm1", "dmsgo"), rule_prob=[1, 1, 2], batch_rule=True,
                         sigma_x=0.0)
    firsts = []
    for k in range(300):
        b = task.training_batch(8, rng=k)
        cond = b.info["condition"]
        assert np.all(cond == cond[0])  # one rule per batch
        assert b.n_steps == int(b.info["length"].max())
        firsts.append(int(cond[0]))
    counts = [firsts.count(RULES.index(r)) for r in ("fdgo", "dm1", "dmsgo")]
    for count, p in zip(counts, (0.25, 0.25, 0.5)):  # the rules' probabilities
        assert abs(count - 300 * p) < 4.5 * np.sqrt(300 * p * (1 - p))
    # sample (validation, evaluation) still mixes the rules; without the flag, so do batches
    assert len(np.unique(task.sample(64, rng=0).info["condition"])) == 3
    mixed = task.replace(batch_rule=False)
    np.testing.assert_array_equal(mixed.training_batch(16, rng=5).x, mixed.sample(16, rng=5).x)
    # the field is left out of the task's dict when off: earlier runs' point ids stay
    assert "batch_rule" not in mixed.to_dict() and task.to_dict()["batch_rule"] is True
    assert task_from_json(json.loads(json.dumps(task_to_json(task)))) == task


def test_training_loop_draws_training_batches_and_validates_on_mixed_ones():
    from purernn.config import TrainConfig, stream_rng
    from purernn.training import _Data

    task = pr.tasks.make("yang2019", rules=("fdgo", "dm1"), batch_rule=True, dt=100.0, alpha=1.0)
    net = pr.Network.create(task.n_in, 8, task.n_out, output="sigmoid", seed=0)
    data = _Data(task, TrainConfig(n_steps=4, batch_size=16, n_valid=32, seed=0), net)
    assert len(np.unique(data.valid.info["condition"])) == 2  # validation mixes the rules
    for k in range(4):
        b = data.batch(k)
        assert len(np.unique(b.info["condition"])) == 1
        np.testing.assert_array_equal(b.x, task.training_batch(16, stream_rng(0, "data", k)).x)


def test_one_rule():
    task = pr.tasks.make("yang2019", rules="dm1")
    assert task.rules == ("dm1",) and task.n_in == 85 and task.n_steps == 125
    batch = task.sample(8, rng=0)
    valid = np.arange(batch.n_steps)[None, :] < batch.info["length"][:, None]
    assert np.all(batch.info["condition"] == 6) and np.all(batch.x[:, :, 65 + 6][valid] != 0)


@pytest.mark.parametrize("bad, arg", [
    ({"rules": ("dm1", "dm3")}, "rules"),
    ({"rules": ()}, "rules"),
    ({"rules": ("dm1", "dm1")}, "rules"),
    ({"rule_prob": {"dm3": 1.0}}, "rule_prob"),
    ({"rule_prob": [1.0, 2.0]}, "rule_prob"),
    ({"rule_prob": [-1.0] + [1.0] * 19}, "rule_prob"),
    ({"rule_prob": [0.0] * 20}, "rule_prob"),
    ({"n_eachring": 1}, "n_eachring"),
    ({"sigma_x": -0.1}, "sigma_x"),
    ({"loss_normalization": "mean"}, "loss_normalization"),
    ({"fixation_check": "always"}, "fixation_check"),
    ({"easy_task": 1}, "easy_task"),
    ({"batch_rule": "yes"}, "batch_rule"),
])
def test_bad_arguments_name_the_argument(bad, arg):
    with pytest.raises(ValidationError, match=f"`{arg}") as err:
        pr.tasks.make("yang2019", **bad)
    if arg == "rules" and "dm3" in str(bad):
        assert all(r in str(err.value) for r in RULES)  # lists the twenty names


def test_stimulus_grid_is_the_originals_test_mode():
    task = pr.tasks.make("yang2019")
    from purernn.tasks.yang2019 import decision, delay_decision

    for group, rule, T in ((decision, "contextdm1", 100), (delay_decision, "multidelaydm", 175)):
        grid = group.grid(rule, DT)  # 5 x 5 strengths x 20 directions: not rendered here
        assert grid.n == 500 and np.all(grid.length == T)
    sizes = {"fdgo": (40, 100), "reactanti": (40, 125), "delaygo": (40, 125), "dm2": (100, 125),
             "delaydm1": (100, 150), "dmsnogo": (80, 135), "dmcgo": (80, 135)}
    for rule, (n, T) in sizes.items():
        g = task.stimulus_grid(rule)
        assert g.x.shape == (n, T, 85), rule
        assert task.accuracy(g.y, g) == 1.0 and np.all(g.info["go"])
        assert np.all(g.info["condition"] == RULES.index(rule))
    g = task.stimulus_grid("dmcnogo")
    np.testing.assert_allclose(g.info["stim_loc"][:40:4, 0], (0.1 + 0.08 * np.arange(10)) * np.pi)
    np.testing.assert_array_equal(g.info["match"], 0)  # the test is opposite: the other category
    g = task.stimulus_grid("dm1")
    np.testing.assert_allclose(g.info["stim_loc"][::5, 0], TWO_PI * np.arange(20) / 20)
    np.testing.assert_allclose(g.info["stim_strength"][:5, 0, 0], [0.8, 0.88, 0.96, 1.04, 1.12])
    np.testing.assert_allclose(g.info["stim_strength"][:5, 1, 0], 2 - np.array([0.8, 0.88, 0.96, 1.04, 1.12]))
    assert np.all(g.x[:, 5:, 33:65] == 0)  # noise-free, ring 2 silent
    noisy = task.stimulus_grid("dm1", noise=True, rng=0)
    assert np.std(noisy.x - g.x) == pytest.approx(task.noise_sd, rel=0.02)
    with pytest.raises(ValidationError, match="`rule`"):
        task.stimulus_grid("dm3")


def test_input_noise_scale():
    task = pr.tasks.make("yang2019", rules=("dm1",), alpha=0.2, sigma_x=0.01)
    assert task.noise_sd == pytest.approx(0.01 * np.sqrt(10))
    noisy, clean = task.sample(40, rng=5), task.without_noise().sample(40, rng=5)
    valid = np.arange(noisy.n_steps)[None, :] < noisy.info["length"][:, None]
    resid = (noisy.x - clean.x)[valid]  # (n_valid_steps, 85): every input gets noise
    assert resid.std() == pytest.approx(task.noise_sd, rel=0.02)
    assert np.all(resid.std(axis=0) > 0.5 * task.noise_sd)
    assert np.all(noisy.x[~valid] == 0)


def test_shared_timing_draws_once_per_rule():
    task = pr.tasks.make("yang2019", rules=("delaygo", "dmsgo"), shared_timing=True, sigma_x=0.0)
    batch = task.sample(40, rng=6)
    for rule in ("delaygo", "dmsgo"):
        rows = _rule_rows(batch, rule)
        for e in ("fix1", "stim1", "delay1", "go1"):
            assert np.unique(batch.info[f"epoch_{e}"][rows], axis=0).shape[0] == 1
        assert np.unique(batch.info["stim_strength"][rows, 0].argmax(axis=1)).size == 1  # one ring
        assert np.unique(batch.info["stim_loc"][rows, 0]).size == rows.size  # directions per trial


def test_perfect_output_scores_one_per_rule(clean):
    task, batch = clean
    correct = task.score(batch.y, batch)
    assert correct.dtype == bool and correct.all()
    # a sigmoid network whose readout is logit(y) gives back y
    valid = batch.y > 0
    readout = np.where(valid, np.log(np.where(valid, batch.y, 0.5) / (1 - np.where(valid, batch.y, 0.5))), 0.0)
    assert task.score(apply_output(readout, "sigmoid"), batch).all()
    strict = task.replace(fixation_check="throughout")
    assert strict.score(batch.y, batch).all()


def test_constant_outputs_score_at_chance(clean):
    task, batch = clean
    cond, go = batch.info["condition"], batch.info["go"]
    fixate = np.full(batch.y.shape, 0.05)
    fixate[:, :, 0] = 0.8
    correct = task.score(fixate, batch)
    for k, rule in enumerate(RULES):
        rows = cond == k
        if rule in NOGO_RULES:
            assert np.mean(correct[rows]) == pytest.approx(np.mean(~go[rows]))
            assert 0.2 < np.mean(correct[rows]) < 0.8
        else:
            assert not correct[rows].any(), rule
    # responding always towards one direction: right only when the target is within 0.2 pi
    theta = 1.0
    respond = np.full(batch.y.shape, 0.05)
    respond[:, :, 1:] += np.array([0.8 * np.exp(-(min(abs(theta - p), TWO_PI - abs(theta - p)) / (np.pi / 8))**2 / 2)
                                   for p in _pref()])
    correct = task.score(respond, batch)
    d = np.abs(batch.info["target_loc"] - theta)
    near = go & (np.minimum(d, TWO_PI - d) < 0.2 * np.pi)
    np.testing.assert_array_equal(correct, near)
    assert abs(correct.mean() - 0.2 * go.mean()) < 4 * np.sqrt(0.2 * 0.8 / batch.n_trials)
    # an all-zero ring has no direction (the original's 0 / 0): wrong, without a warning
    assert not task.score(np.zeros(batch.y.shape), batch)[go].any()


def test_score_is_the_originals_get_perf(clean):
    """network.py's get_perf and popvec, written plainly trial by trial, on random sigmoid
    outputs and on noisy targets."""
    task, batch = clean
    batch = batch.subset(np.arange(120))
    rng = np.random.default_rng(5)
    pref = _pref()
    for z in (1 / (1 + np.exp(-rng.normal(0, 2, batch.y.shape))),
              np.clip(batch.y + rng.normal(0, 0.4, batch.y.shape), 0.01, 0.99)):
        expect = []
        for b in range(batch.n_trials):
            last = z[b, batch.info["length"][b] - 1]
            ring = last[1:]
            loc = np.arctan2(np.sum(ring * np.sin(pref)) / ring.sum(), np.sum(ring * np.cos(pref)) / ring.sum())
            d = abs(batch.info["target_loc"][b] - loc % TWO_PI)
            fixating = last[0] > 0.5
            if batch.info["target_loc"][b] < 0:
                expect.append(fixating)
            else:
                expect.append(min(d, TWO_PI - d) < 0.2 * np.pi and not fixating)
        got = task.score(z, batch)
        np.testing.assert_array_equal(got, expect)
        assert 0.05 < got.mean() < 0.99


def test_score_reads_each_trials_last_step(clean):
    task, batch = clean
    sub = batch.subset(np.arange(20))
    z = sub.y.copy()
    z[:, :, 0] = np.where(np.arange(sub.n_steps)[None, :] >= sub.info["length"][:, None], 0.9, z[:, :, 0])
    assert task.score(z, sub).all()  # the padding is never read
    last = sub.info["length"] - 1
    z[np.arange(20), last, 0] = np.where(sub.info["go"], 0.9, 0.1)  # fixation flipped at the end
    assert not task.score(z, sub).any()
    # a fixation break before the response: the original's final-step check misses it
    z = sub.y.copy()
    z[:, 5, 0] = 0.1  # the first judged step: fixation asked on every rule
    assert task.score(z, sub).all()
    assert not task.replace(fixation_check="throughout").score(z, sub).any()
    with pytest.raises(ValidationError, match="`z`"):
        task.score(z[:, :-1], sub)


def test_round_trip_through_json():
    task = pr.tasks.make("yang2019", rules=("dm1", "dmsgo"), rule_prob={"dm1": 2}, easy_task=True,
                         shared_timing=True, fixation_check="throughout")
    d = json.loads(json.dumps(task_to_json(task)))
    assert d["rules"] == ["dm1", "dmsgo"] and d["rule_prob"] == [2.0, 1.0]
    again = task_from_json(d)
    assert again == task
    name = d.pop("name")
    assert pr.tasks.make(name, **d) == task
    np.testing.assert_array_equal(again.sample(4, rng=0).x, task.sample(4, rng=0).x)


def test_pictures_one_trial_per_rule():
    import matplotlib

    matplotlib.use("Agg")
    from purernn.figures import task_figure
    from purernn.plots import plot_ring_trial

    task = pr.tasks.make("yang2019", rules=("dmsnogo", "delaydm1"))
    trials = task.example_trials(rng=0)
    assert [t["title"] for t in trials] == ["dmsnogo (DNMS)", "delaydm1 (Dly DM 1)"]
    assert trials[0]["x"].shape[1] == 85 and set(trials[1]["epochs"]) == set(DDM)
    fig = task_figure(task, rng=0)
    shown = [ax for ax in fig.axes if ax.get_visible() and ax.get_images()]
    assert len(shown) == 4  # inputs and targets of each rule
    assert shown[0].get_title() == "dmsnogo (DNMS)"
    t = trials[1]
    axes = plot_ring_trial(t["x"], t["y"], t["mask"], n_eachring=32, dt=20.0, z=t["y"], epochs=t["epochs"])
    try:
        assert len(axes) == 3
        img = axes[0].get_images()[0].get_array()
        assert img.shape == (4 + 1 + 32 + 1 + 32, t["x"].shape[0])  # fixation, ring 1, ring 2
        np.testing.assert_allclose(img[5:37].T, t["x"][:, 1:33])
        assert axes[2].get_xlabel() == "time (ms)"
    finally:
        import matplotlib.pyplot as plt

        plt.close(axes[0].figure)


def test_balanced_validation_scores_sigmoid_outputs_per_rule():
    """The balanced validation set holds every rule 4 times in 80 trials; purernn's
    evaluation hands score the network's sigmoid outputs and names the rules: a network
    whose output is the constant 'fixate' answer (W_out = 0, b_out = logit of the targets
    at rest) is right exactly on the No-Go trials."""
    from purernn.evaluation import batch_metrics, by_condition

    task = pr.tasks.make("yang2019", sigma_x=0.0)
    net = pr.Network.create(85, 4, 33, output="sigmoid", alpha=0.2, seed=0)
    b_out = np.full(33, np.log(0.05 / 0.95))
    b_out[0] = np.log(0.8 / 0.2)
    net = net.with_params({**net.params, "W_out": np.zeros((33, 4)), "b_out": b_out})
    batch = balanced_sample(task, 80, rng=1)
    labels, counts = np.unique(batch.info["condition"], return_counts=True)
    np.testing.assert_array_equal(labels, np.arange(20))
    assert np.all(counts == 4)
    _, correct = batch_metrics(net, task, batch, 0, "mse")
    np.testing.assert_array_equal(correct, ~batch.info["go"])
    accuracy = {c.name: c.accuracy for c in by_condition(task, batch, correct)}
    assert list(accuracy) == list(RULES)
    assert all(accuracy[r] == 0.0 for r in RULES if r not in NOGO_RULES)
