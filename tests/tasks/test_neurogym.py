"""The NeuroGym adapter, on a small fake environment written here (and on real NeuroGym
when it is installed)."""

import warnings

import numpy as np
import pytest

import purernn as pr
from purernn.tasks.neurogym import NeuroGymTask, from_neurogym


class _Discrete:
    def __init__(self, n):
        self.n = n


class _Box:
    def __init__(self, shape):
        self.shape = shape


class FakeDecision:
    """Fixation (3 steps), stimulus (random 4-6 steps), decision (2 steps): the sign of a
    noisy stimulus difference, actions 0 fixate, 1 left, 2 right."""

    def __init__(self):
        self.dt = 20
        self.action_space = _Discrete(3)
        self.observation_space = _Box((3,))
        self.rng = np.random.RandomState(0)

    def seed(self, seed=None):
        self.rng = np.random.RandomState(seed)

    def new_trial(self):
        n_stim = int(self.rng.randint(4, 7))
        gt_choice = int(self.rng.randint(1, 3))
        coh = float(self.rng.choice([0.1, 0.5]))
        T = 3 + n_stim + 2
        self.start_ind = {"fixation": 0, "stimulus": 3, "decision": 3 + n_stim}
        self.end_ind = {"fixation": 3, "stimulus": 3 + n_stim, "decision": T}
        ob = np.zeros((T, 3))
        ob[: 3 + n_stim, 0] = 1.0  # fixation cue
        sign = 1.0 if gt_choice == 2 else -1.0
        ob[3: 3 + n_stim, 1] = 0.5 - sign * coh / 2 + 0.1 * self.rng.standard_normal(n_stim)
        ob[3: 3 + n_stim, 2] = 0.5 + sign * coh / 2 + 0.1 * self.rng.standard_normal(n_stim)
        gt = np.zeros(T, dtype=int)
        gt[3 + n_stim:] = gt_choice
        self.ob, self.gt = ob, gt
        return {"ground_truth": gt_choice, "coh": coh}


class Wrapper:
    """What gymnasium wrappers look like from outside."""

    def __init__(self, env):
        self.unwrapped = env


def test_batches_are_padded_with_mask_zero_and_one_hot_targets():
    task = from_neurogym(Wrapper(FakeDecision()))
    batch = task.sample(20, rng=0)
    lengths = batch.info["length"]
    assert batch.x.shape == (20, lengths.max(), 3) and batch.y.shape == (20, lengths.max(), 3)
    assert set(lengths) <= {9, 10, 11} and len(set(lengths)) > 1
    for b in range(20):
        assert np.all(batch.mask[b, : lengths[b]] == 1) and np.all(batch.mask[b, lengths[b]:] == 0)
        assert np.all(batch.x[b, lengths[b]:] == 0)
        np.testing.assert_array_equal(batch.y[b, : lengths[b]].argmax(axis=1), batch.info["gt"][b, : lengths[b]])
        assert np.all(batch.y[b, : lengths[b]].sum(axis=1) == 1)
    # a seed gives the same trials
    again = task.sample(20, rng=0)
    np.testing.assert_array_equal(again.x, batch.x)
    # conditions: every (coh, choice) pair gets one label
    assert len(np.unique(batch.info["condition"])) == len({(c, g) for c, g in zip(batch.info["coh"], batch.info["ground_truth"])})
    fixed = from_neurogym(FakeDecision(), n_steps=15).sample(4, rng=1)
    assert fixed.x.shape[1] == 15
    with pytest.raises(pr.ValidationError, match="`n_steps`"):
        from_neurogym(FakeDecision(), n_steps=5).sample(4, rng=1)


def test_scoring_is_neurogyms_decision_with_fixation_breaks():
    task = from_neurogym(FakeDecision())
    batch = task.sample(30, rng=2)
    perfect = batch.y.copy()
    assert task.score(perfect, batch).all()
    wrong = perfect[..., [0, 2, 1]]  # left and right swapped: every decision wrong
    assert not task.score(wrong, batch).any()
    broke = perfect.copy()
    broke[:, 1] = [0.0, 1.0, 0.0]  # a choice during the fixation period
    assert not task.score(broke, batch).any()
    during_stimulus = perfect.copy()
    during_stimulus[:, 4] = [0.0, 1.0, 0.0]  # NeuroGym checks fixation only in its period
    assert task.score(during_stimulus, batch).all()
    with pytest.raises(pr.ValidationError, match="`z`"):
        task.score(perfect[:, :-1], batch)


def test_value_targets_for_a_linear_readout():
    task = from_neurogym(FakeDecision(), target="value")
    batch = task.sample(10, rng=3)
    assert task.n_out == 1 and np.array_equal(batch.y[..., 0], batch.info["gt"].astype(float))
    assert task.score(batch.y, batch).all()


def test_a_network_learns_the_fake_environment_with_cross_entropy():
    task = from_neurogym(FakeDecision())
    net = pr.Network.create(task.n_in, 16, task.n_out, alpha=0.5, output="softmax", seed=0)
    cfg = pr.TrainConfig(loss="cross_entropy", n_steps=300, lr=1e-2, batch_size=32, eval_every=50,
                         n_valid=200, seed=0)
    result = pr.train(net, task, cfg, progress=False)
    ev = pr.evaluate(result.net, task, n_trials=500, rng=1)
    assert ev.accuracy >= 0.8, ev


def test_bad_environments_are_refused():
    with pytest.raises(pr.ValidationError, match="`env`"):
        NeuroGymTask(object())
    with pytest.raises(pr.ValidationError, match="`target`"):
        from_neurogym(FakeDecision(), target="logits")


def test_real_neurogym_if_installed():
    pytest.importorskip("neurogym")
    with warnings.catch_warnings():  # gymnasium's deprecation chatter about wrappers
        warnings.simplefilter("ignore")
        task = from_neurogym("PerceptualDecisionMaking-v0", dt=20)
        batch = task.sample(16, rng=0)
    assert batch.x.shape[2] == 3 and task.n_out == 3 and task.dt == 20
    assert task.score(batch.y, batch).all()
    assert not task.score(batch.y[..., [0, 2, 1]], batch).any()


def test_decision_weight_scales_the_mask_of_the_decision_period():
    batch = from_neurogym(FakeDecision(), decision_weight=5.0).sample(8, rng=4)
    for b in range(8):
        d0, d1 = batch.info["start_decision"][b], batch.info["end_decision"][b]
        assert np.all(batch.mask[b, d0:d1] == 5.0) and np.all(batch.mask[b, :d0] == 1.0)
    task = from_neurogym(FakeDecision(), decision_weight=5.0)
    assert task.to_dict()["decision_weight"] == 5.0
