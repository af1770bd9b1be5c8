"""Task-specific checks: truth tables, pulse timing, target shapes, score edge cases.

Reference shapes are rebuilt here with scipy.signal, the way C. Jarne's original code
builds them, so the NumPy implementation is checked against an independent one.
"""

import operator

import numpy as np
import pytest
from scipy import signal

from purernn.errors import ValidationError
from purernn.tasks import make
from purernn.tasks._common import dominant_period

GATE_OPS = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": operator.xor,
}


# ---------------------------------------------------------------- logic gates


@pytest.mark.parametrize("name", ["and", "or", "xor", "not"])
def test_gate_truth_table_and_pulses(name):
    task = make(name, noise_sigma=0.0)
    batch = task.sample(200, rng=np.random.default_rng(0))
    x, y, bits = batch.x, batch.y[:, :, 0], batch.info["bits"]
    # pulses of amplitude 1 on [30, 50) exactly where a bit is 1, nothing elsewhere
    np.testing.assert_array_equal(x[:, 30:50, :], np.broadcast_to(bits[:, None, :], (200, 20, bits.shape[1])))
    assert np.all(x[:, :30] == 0) and np.all(x[:, 50:] == 0)
    expected = 1 - bits[:, 0] if name == "not" else GATE_OPS[name](bits[:, 0], bits[:, 1])
    np.testing.assert_array_equal(y[:, 70:], np.broadcast_to(expected[:, None], (200, 130)))
    baseline = 0.0 if name == "and" else 0.01
    assert np.all(y[:, :70] == baseline)
    np.testing.assert_array_equal(batch.info["label"], expected)
    assert task.n_steps == 200


def test_gate_noise_level():
    batch = make("xor").sample(500, rng=np.random.default_rng(1))
    quiet = batch.x[:, 60:, :]  # no pulse there: pure noise
    assert abs(quiet.std() - 0.1) < 0.005


def test_gate_score_threshold():
    task = make("and")
    batch = task.sample(100, rng=np.random.default_rng(2))
    label = batch.info["label"][:, None, None]
    z = np.where(label == 1, 0.6, 0.4) * np.ones_like(batch.y)  # right side of 0.5 everywhere
    assert task.score(z, batch).all()
    assert not task.score(1.0 - z, batch).any()


@pytest.mark.parametrize("include_xor", [False, True])
def test_multitask_context_and_targets(include_xor):
    task = make("multitask_gates", noise_sigma=0.0, include_xor=include_xor)
    batch = task.sample(400, rng=np.random.default_rng(3))
    gate, bits, x, y = batch.info["gate"], batch.info["bits"], batch.x, batch.y[:, :, 0]
    assert set(np.unique(gate)) == ({0, 1, 2} if include_xor else {0, 1})
    level = np.select([gate == 0, gate == 1], [1.0, -1.0], 0.0)
    np.testing.assert_array_equal(x[:, 20:40, 2], np.broadcast_to(level[:, None], (400, 20)))
    assert np.all(x[:, :20, 2] == 0) and np.all(x[:, 40:, 2] == 0)
    np.testing.assert_array_equal(x[:, 60:80, :2], np.broadcast_to(bits[:, None, :], (400, 20, 2)))
    ops = [GATE_OPS["and"], GATE_OPS["or"], GATE_OPS["xor"]]
    expected = np.array([ops[g](a, b) for g, (a, b) in zip(gate, bits)])
    np.testing.assert_array_equal(y[:, 100:], np.broadcast_to(expected[:, None], (400, 140)))
    assert np.all(y[:, :100] == 0.0) and task.n_steps == 240


# ---------------------------------------------------------------- flip-flops


def test_flipflop_jarne_timing():
    task = make("flipflop", noise_sigma=0.0)
    assert (task.n_in, task.n_out, task.n_steps) == (2, 1, 1010)
    batch = task.sample(50, rng=np.random.default_rng(4))
    x, y, ch = batch.x, batch.y[:, :, 0], batch.info["bits"]
    expected_x = np.zeros_like(x)
    expected_y = np.full(y.shape, 0.01)
    for i in range(50):  # naive reference: one turn at a time
        for k in range(8):
            on = 50 + 120 * k
            expected_x[i, on : on + 20, ch[i, k]] = 1.0
            expected_y[i, on + 40 :] = ch[i, k]
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(batch.info["condition"], ch[:, -1])


def test_flipflop_jarne_score_tolerates_one_percent():
    task = make("flipflop")
    batch = task.sample(20, rng=np.random.default_rng(5))
    z = batch.y.copy()
    z[:, 100:105, 0] = 1.0 - z[:, 100:105, 0]  # 5 wrong steps of 1010: < 1%
    assert task.score(z, batch).all()
    z[:, 100:120, 0] = 1.0 - batch.y[:, 100:120, 0]  # 20 wrong steps: > 1%
    assert not task.score(z, batch).any()


@pytest.mark.parametrize("force", [False, True])
def test_flipflop3_holds_last_pulse(force):
    task = make("flipflop3", noise_sigma=0.0, force_first_pulse=force)
    assert (task.n_in, task.n_out, task.n_steps) == (3, 3, 200)
    batch = task.sample(30, rng=np.random.default_rng(6))
    x, y = batch.x, batch.y
    assert set(np.unique(x)) <= {-1.0, 0.0, 1.0}
    expected = np.zeros_like(y)
    for i in range(30):  # naive reference: remember the last pulse
        state = np.zeros(3)
        for t in range(200):
            state = np.where(x[i, t] != 0, x[i, t], state)
            expected[i, t] = state
    np.testing.assert_array_equal(y, expected)
    if force:
        assert np.all(x[:, 0, :] != 0)


def test_flipflop3_pulse_rate():
    task = make("flipflop3", noise_sigma=0.0)
    x = task.sample(500, rng=np.random.default_rng(7)).x
    assert np.all(x[:, 0] != 0)  # the preset pulses every bit at t = 0 (8 memories)
    later = x[:, 1:]
    n = later.size
    rate = np.count_nonzero(later) / n
    assert abs(rate - 0.05) < 4 * np.sqrt(0.05 * 0.95 / n)
    assert abs(np.mean(x[x != 0] > 0) - 0.5) < 0.02


def test_flipflop3_outputs_are_always_plus_or_minus_one():
    batch = make("flipflop3", noise_sigma=0.0).sample(50, rng=3)
    assert set(np.unique(batch.y)) == {-1.0, 1.0}


def test_flipflop_protocol_validation():
    with pytest.raises(ValidationError, match="`n_bits`"):
        make("flipflop", n_bits=3, protocol="jarne")
    with pytest.raises(ValidationError, match="`protocol`"):
        make("flipflop", protocol="golub")
    one_bit_sb = make("flipflop", protocol="sussillo")
    assert (one_bit_sb.n_in, one_bit_sb.n_out, one_bit_sb.n_steps) == (1, 1, 200)


# ---------------------------------------------------------------- timing


def test_time_reproduction_shapes_match_jarne():
    task = make("time_reproduction", noise_sigma=0.0, target_noise_sigma=0.0)
    batch = task.sample(100, rng=np.random.default_rng(8))
    pulse = batch.info["pulse"]
    win = signal.windows.hann(10)
    ref_pulse = signal.convolve(np.ones(20), win, mode="same") / win.sum()
    ref_bump = signal.convolve(np.ones(20), 0.055 * signal.windows.gaussian(20, std=12), mode="same")
    x, y = batch.x[:, :, 0], batch.y[:, :, 0]
    np.testing.assert_allclose(x[pulse, 50:70], np.broadcast_to(ref_pulse, (pulse.sum(), 20)), atol=1e-12)
    assert np.all(x[~pulse] == 0) and np.all(x[:, :50] == 0) and np.all(x[:, 70:] == 0)
    np.testing.assert_allclose(y[pulse, 90:110], np.broadcast_to(ref_bump, (pulse.sum(), 20)), atol=1e-12)
    assert np.all(y[~pulse, 90:110] == 0)
    assert np.all(y[:, :90] == 0.045) and np.all(y[:, 110:] == 0.045)
    assert 0.9 < ref_bump.max() < 1.05  # "peak ~1"
    assert task.n_steps == 300


def test_time_reproduction_mem_gap_moves_bump_and_score_checks_time():
    task = make("time_reproduction", mem_gap=50, target_noise_sigma=0.0)
    batch = task.sample(200, rng=np.random.default_rng(9))
    pulse = batch.info["pulse"]
    assert np.all(batch.info["peak_time"][pulse] == 50 + 20 + 50 + 10)
    z = batch.y.copy()
    assert task.score(z, batch).all()
    late = np.roll(z, 10, axis=1)  # bump 10 steps late: beyond the 5-step tolerance
    assert not task.score(late, batch)[pulse].any()
    slightly = np.roll(z, 3, axis=1)
    assert task.score(slightly, batch).all()


def test_time_reproduction_target_noise():
    batch = make("time_reproduction").sample(300, rng=np.random.default_rng(10))
    assert abs(batch.y[:, 200:, 0].std() - 0.03) < 0.002  # baseline + noise only there


def test_interval_reproduction_pulses_and_score():
    task = make("interval_reproduction", noise_sigma=0.0)
    batch = task.sample(100, rng=np.random.default_rng(11))
    iv, go = batch.info["interval"], batch.info["go_time"]
    x, y = batch.x[:, :, 0], batch.y[:, :, 0]
    for i in range(100):
        on = np.flatnonzero(np.diff(np.r_[0.0, x[i]]) > 0)  # pulse onsets
        np.testing.assert_array_equal(on, [20, 20 + iv[i]])
        np.testing.assert_array_equal(np.flatnonzero(y[i]), np.arange(go[i], go[i] + 10))
    assert np.all(go == 20 + 2 * iv)
    early = np.roll(batch.y, -int(0.2 * iv.min()), axis=1)  # 20% early
    assert not task.score(early, batch).any()
    close = np.roll(batch.y, 2, axis=1)  # 2 steps late: within 10% of >= 48 steps
    assert task.score(close, batch).all()


# ---------------------------------------------------------------- oscillators


def test_oscillation_target_matches_jarne_period_and_amplitude():
    task = make("oscillation", noise_sigma=0.0)
    batch = task.sample(50, rng=np.random.default_rng(12))
    pulse = batch.info["pulse"]
    y = batch.y[:, :, 0]
    assert np.all(y[~pulse] == 0) and np.all(y[:, :160] == 0) and np.all(y[:, 380:] == 0)
    # Jarne's target: 0.2 * convolve(box, sin(2 pi 12 t / 420), 'same') -> amplitude and period
    t = np.arange(420)
    jarne = 0.2 * signal.convolve(np.ones(220), np.sin(2 * np.pi * 12 / 420 * t), mode="same")
    assert abs(np.abs(jarne[20:200]).max() - task.amplitude) < 0.01
    assert abs(dominant_period(jarne[None, 20:200])[0] - 35.0) < 0.5
    assert abs(dominant_period(y[pulse][:1, 160:380])[0] - 35.0) < 0.5
    win = signal.windows.hann(15)
    ref_pulse = signal.convolve(np.ones(40), win, mode="same") / win.sum()
    np.testing.assert_allclose(batch.x[pulse, 100:140, 0], np.broadcast_to(ref_pulse, (pulse.sum(), 40)))


def test_oscillation_score_rejects_wrong_period_and_quiet_failure():
    task = make("oscillation")
    batch = task.sample(200, rng=np.random.default_rng(13))
    pulse = batch.info["pulse"]
    t = np.arange(220)
    wrong = np.zeros_like(batch.y)
    wrong[:, 160:380, 0] = 1.74 * np.sin(2 * np.pi * t / 40.0)  # period 40, not 35
    assert not task.score(wrong, batch).any()  # wrong in pulse trials, not quiet otherwise
    ok = batch.y.copy()
    assert task.score(ok + 0.05 * np.sin(np.arange(420))[None, :, None], batch).all()
    assert task.score(ok, batch)[~pulse].all()


def test_sine_generator_levels_and_score():
    task = make("sine_generator", noise_sigma=0.0)
    batch = task.sample(120, rng=np.random.default_rng(14))
    cond = batch.info["condition"]
    np.testing.assert_allclose(batch.x[:, :, 0], np.broadcast_to(((cond + 1) / 6 + 0.25)[:, None], (120, 300)))
    measured = dominant_period(batch.y[:, 50:, 0])
    np.testing.assert_allclose(measured, batch.info["period"], rtol=0.02)
    # the output of the neighbouring frequency is wrong
    omegas = task.omegas
    other = omegas[(cond + 1) % 6]
    z = np.sin(other[:, None] * np.arange(300))[:, :, None]
    assert not task.score(z, batch).any()
    assert not task.score(0.1 * batch.y, batch).any()  # right period, too small


# ---------------------------------------------------------------- decisions


def test_perceptual_dm_evidence_and_noise():
    task = make("perceptual_dm")
    assert (task.n_in, task.n_out, task.n_steps, task.dt) == (2, 1, 110, 20.0)
    batch = task.sample(3000, rng=np.random.default_rng(15))
    s0, s1 = task.epochs()["stimulus"]
    d0, d1 = task.epochs()["decision"]
    diff = batch.x[:, s0:s1, 0].mean(axis=1) - batch.x[:, s0:s1, 1].mean(axis=1)
    sc = batch.info["signed_coherence"]
    slope = np.polyfit(sc / 100.0, diff, 1)[0]  # mean difference = coherence (1 +/- c/2)
    assert abs(slope - 1.0) < 0.05
    resid = batch.x[:, s0:s1, :] - batch.x[:, s0:s1, :].mean(axis=1, keepdims=True)
    assert abs(resid.std() - 1.0 / np.sqrt(20.0)) < 0.01
    assert np.all(batch.mask[:, :d0] == 0) and np.all(batch.mask[:, d0:d1] == 1)
    np.testing.assert_array_equal(batch.y[:, d0:, 0], np.broadcast_to(batch.info["choice"][:, None], (3000, d1 - d0)))


def test_perceptual_dm_psychometric_of_ideal_integrator():
    task = make("perceptual_dm")
    batch = task.sample(6000, rng=np.random.default_rng(16))
    s0, s1 = task.epochs()["stimulus"]
    evidence = (batch.x[:, s0:s1, 0] - batch.x[:, s0:s1, 1]).sum(axis=1)
    z = np.sign(evidence)[:, None, None] * np.ones_like(batch.y)
    cohs, acc = task.accuracy_by_coherence(z, batch)
    np.testing.assert_array_equal(cohs, [0, 3.2, 6.4, 12.8, 25.6, 51.2])
    assert abs(acc[0] - 0.5) < 0.07  # no information at 0% coherence
    assert np.all(np.diff(acc) >= -0.03) and acc[-1] == 1.0
    assert task.accuracy(z, batch) >= task.criterion  # the criterion is reachable
    levels, p_plus = task.psychometric(z, batch)
    assert levels.size == 11 and np.all(np.diff(p_plus) >= -0.05)
    perfect_levels, perfect_p = task.psychometric(batch.y, batch)
    np.testing.assert_array_equal(perfect_p[perfect_levels < 0], 0.0)
    np.testing.assert_array_equal(perfect_p[perfect_levels > 0], 1.0)


def test_perceptual_dm_zero_target_is_sign_of_integral():
    task = make("perceptual_dm_zero")
    batch = task.sample(300, rng=np.random.default_rng(17))
    x, y = batch.x[:, :, 0], batch.y[:, :, 0]
    assert np.all(x[:, :50] == 0) and np.all(x[:, 250:] == 0)
    np.testing.assert_array_equal(np.sign(x[:, 50:250].sum(axis=1)), batch.info["choice"])
    np.testing.assert_array_equal(y[:, 270:], np.broadcast_to(batch.info["choice"][:, None], (300, 210)))
    assert np.all(y[:, :270] == 0.045) and task.n_steps == 480
    # the stimulus is smooth (Hann-filtered): neighbouring steps are strongly correlated
    a = x[:, 60:240]
    assert np.corrcoef(a[:, :-1].ravel(), a[:, 1:].ravel())[0, 1] > 0.8


def test_context_dm_choice_follows_context_and_delays():
    task = make("context_dm")
    assert (task.n_in, task.n_out, task.n_steps) == (4, 1, 208)
    batch = task.sample(3000, rng=np.random.default_rng(18))
    info = batch.info
    relevant = np.where(info["context"] == 0, info["motion_coh"], info["colour_coh"])
    np.testing.assert_array_equal(info["choice"], np.sign(relevant))
    np.testing.assert_array_equal(batch.x[:, :, 2], np.broadcast_to((info["context"] == 0)[:, None], (3000, 208)))
    delay = info["delay"]
    assert delay.min() >= 300 and delay.max() <= 3000
    # mean of an exponential (mean 600) truncated to [300, 3000]
    a, b, m = 300.0, 3000.0, 600.0
    mean = m + (a * np.exp(-a / m) - b * np.exp(-b / m)) / (np.exp(-a / m) - np.exp(-b / m))
    assert abs(delay.mean() - mean) < 4 * delay.std() / np.sqrt(3000)
    assert np.all(batch.mask.sum(axis=(1, 2)) == 5)  # 100 ms decision at dt = 20 ms
    assert np.all(info["decision_off"] <= 208)


def test_context_dm_validation():
    with pytest.raises(ValidationError, match="`delay_max`"):
        make("context_dm", delay_min=500.0, delay_max=400.0)
    with pytest.raises(ValidationError, match="`coherences"):
        make("context_dm", coherences=(0.0, 5.0))


# ---------------------------------------------------------------- memory


def test_dms_test_matches_sample_exactly_in_match_trials():
    task = make("dms", sigma=0.0)
    assert (task.n_in, task.n_out, task.n_steps) == (4, 1, 160)
    batch = task.sample(300, rng=np.random.default_rng(19))
    ep = task.epochs()
    a0, b0 = ep["sample_period"][0], ep["test_period"][0]
    same = np.all(batch.x[:, a0, :] == batch.x[:, b0, :], axis=1)
    np.testing.assert_array_equal(same, batch.info["match"])
    np.testing.assert_array_equal(batch.info["choice"], np.where(batch.info["match"], 1, -1))
    assert np.all(batch.x[:, : ep["fixation"][1]] == 0)


def test_romo_frequencies_and_choice():
    task = make("romo", sigma=0.0)
    assert (task.n_in, task.n_out, task.n_steps) == (1, 1, 130)
    batch = task.sample(400, rng=np.random.default_rng(20))
    ep = task.epochs()
    f1, f2 = batch.info["f1"], batch.info["f2"]
    pairs = {(18, 10), (22, 14), (26, 18), (30, 22), (34, 26)}
    assert all((max(a, b), min(a, b)) in pairs for a, b in zip(f1, f2))
    np.testing.assert_allclose(batch.x[:, ep["stim1"][0], 0], f1 / 30.0)
    np.testing.assert_allclose(batch.x[:, ep["stim2"][0], 0], f2 / 30.0)
    np.testing.assert_array_equal(batch.info["choice"], np.sign(f1 - f2))
    with pytest.raises(ValidationError, match="`freq_pairs"):
        make("romo", freq_pairs=((20, 20),))
