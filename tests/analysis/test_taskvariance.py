"""Task variance, clusters, lesions, FTV and composed rule inputs (Yang et al. 2019).

Everything here runs on synthetic data and a toy multi-rule task, so the default run needs
no trained network (the study, scripts/study_yang2019.py, uses trained ones).
"""

from dataclasses import dataclass

import numpy as np
import pytest

import purernn as pr
from purernn import reference
from purernn.analysis import taskvariance as tvm
from purernn.errors import ValidationError
from purernn.tasks.base import Batch, Task
from tests.conftest import make_net

N_RULES = len(tvm.RULES)


@dataclass(frozen=True, kw_only=True)
class ToyRules(Task):
    """A stimulus s = +-1 on input 0, one rule input per rule (the last 20 inputs, on for
    the whole trial); correct when the final output has the sign of s (rules "dm1"),
    or of -s (every other rule)."""

    name = "toy_rules"
    noise_fields = ()
    rules: tuple = ("dm1", "dm2")
    t_total: int = 6

    @property
    def n_in(self):
        return 1 + N_RULES

    @property
    def n_out(self):
        return 1

    def _sample(self, n, rng):
        r = rng.integers(len(self.rules), size=n)
        s = rng.choice([-1.0, 1.0], size=n)
        x = np.zeros((n, self.t_total, self.n_in))
        x[:, :, 0] = s[:, None]
        x[np.arange(n), :, 1 + np.array([tvm.RULES.index(self.rules[k]) for k in r])] = 1.0
        sign = np.where(np.array(self.rules)[r] == "dm1", s, -s)
        y = np.repeat(sign[:, None, None], self.t_total, axis=1)
        return Batch(x=x, y=y, mask=np.ones_like(y), info={"condition": r, "sign": sign})

    def score(self, z, batch):
        return np.sign(z[:, -1, 0]) == batch.info["sign"]


def toy_net(rng, n_rec=6):
    return make_net(rng, n_in=1 + N_RULES, n_rec=n_rec, n_out=1, alpha=0.5, sigma_rec=0.0)


def clustered(rng, sizes=(12, 9, 7), n_rules=6, spread=0.03):
    """Task variances of units in known groups: group g varies in rules 2g, 2g+1 only."""
    rows, labels = [], []
    for g, n in enumerate(sizes):
        base = np.full(n_rules, 0.02)
        base[2 * g : 2 * g + 2] = 1.0
        rows.append(base + spread * rng.random((n, n_rules)))
        labels += [g] * n
    return np.concatenate(rows), np.array(labels)


def test_task_variance_matches_numpy_recomputation(rng):
    net = toy_net(rng)
    batches = {r: Batch(x=rng.standard_normal((5, 7, net.n_in)), y=np.zeros((5, 7, 1)),
                        mask=np.ones((5, 7, 1))) for r in ("dm1", "dm2", "fdgo")}
    tv = pr.analysis.task_variance(net, batches=batches, skip_ms=2.0)  # 2 steps skipped
    assert tv.variance.shape == (net.n_rec, 3) and tv.rules == ("dm1", "dm2", "fdgo")
    for j, r in enumerate(tv.rules):
        h = reference.forward(net.params, batches[r].x, activation="tanh", alpha=0.5)[0]
        want = np.mean(np.var(h[:, 2:, :], axis=0), axis=0)
        np.testing.assert_allclose(tv.variance[:, j], want, rtol=1e-10, atol=1e-14)


def test_task_variance_ignores_recurrent_noise(rng):
    net = toy_net(rng)
    task = ToyRules()
    tv0 = pr.analysis.task_variance(net, task, n_trials=8, rng=1)
    tv1 = pr.analysis.task_variance(net.replace(sigma_rec=0.5), task, n_trials=8, rng=1)
    np.testing.assert_array_equal(tv0.variance, tv1.variance)


def test_normalize_and_active_units():
    v = np.array([[1.0, 3.0], [0.0, 0.0], [2e-4, 3e-4], [0.5, 0.25]])
    tv = tvm.TaskVariance(variance=v, rules=("a", "b"))
    np.testing.assert_array_equal(tv.active(), [0, 3])
    np.testing.assert_allclose(tv.normalized("max"), [[1 / 3, 1.0], [1.0, 0.5]])
    np.testing.assert_allclose(tvm.normalize_variance(v, "sum")[[0, 1]], [[0.25, 0.75], [0.0, 0.0]])
    with pytest.raises(ValidationError, match="method"):
        tvm.normalize_variance(v, "median")


def test_silhouette_known_answer():
    # points 0, 1 | 10 on a line: s = [1 - 1/10, 1 - 1/9, 0 (singleton)]
    X = np.array([[0.0], [1.0], [10.0]])
    D = tvm._euclidean(X)
    want = np.mean([1 - 1 / 10, 1 - 1 / 9, 0.0])
    assert pr.analysis.silhouette(D, [0, 0, 1]) == pytest.approx(want, abs=1e-12)
    # a worse split scores lower
    assert pr.analysis.silhouette(D, [0, 1, 1]) < want


def test_kmeans_recovers_known_clusters(rng):
    X, truth = clustered(rng)
    labels, centers, inertia = tvm.kmeans(X, 3, n_init=5, rng=0)
    assert pr.analysis.adjusted_rand_index(labels, truth) == pytest.approx(1.0)
    assert inertia == pytest.approx(((X - centers[labels]) ** 2).sum())


def test_cluster_units_chooses_k_by_silhouette(rng):
    X, truth = clustered(rng)
    v = np.concatenate([X, np.zeros((4, X.shape[1]))])  # 4 inactive units at the end
    tv = tvm.TaskVariance(variance=v, rules=tuple(f"r{i}" for i in range(X.shape[1])))
    cl = pr.analysis.cluster_units(tv, k_range=range(2, 8), n_init=4, rng=0)
    assert cl.n_clusters == 3
    assert cl.silhouette == max(cl.scores.values())
    assert set(cl.units) == set(range(X.shape[0]))  # the inactive units are left out
    assert pr.analysis.adjusted_rand_index(cl.labels, truth[cl.units]) == pytest.approx(1.0)
    # clusters are ordered by preferred rule: group g prefers rule 2g or 2g+1
    assert [tv.rules.index(p) // 2 for p in cl.preferred] == [0, 1, 2]
    assert np.all(np.diff(cl.labels) >= 0)
    assert cl.specific_rules(0.5) == [tuple(tv.rules[2 * g : 2 * g + 2]) for g in range(3)]


def test_ftv_identical_rules_and_exclusive_units():
    v = np.array([[1.0, 1.0, 0.0], [0.2, 0.2, 0.4], [1e-4, 1e-4, 0.0], [0.0, 0.0, 0.3]])
    tv = tvm.TaskVariance(variance=v, rules=("a", "b", "c"))
    np.testing.assert_array_equal(pr.analysis.fractional_task_variance(tv, "a", "b"), [0.0, 0.0])
    np.testing.assert_allclose(pr.analysis.fractional_task_variance(tv, "a", "c"), [1.0, -1 / 3, -1.0])


def test_silence_units_equals_removing_them(rng):
    net = toy_net(rng, n_rec=7)
    x = rng.standard_normal((3, 9, net.n_in))
    cut, keep = np.array([1, 4]), np.array([0, 2, 3, 5, 6])
    les = pr.analysis.silence_units(net, cut)
    p = net.params
    sub = {"W_in": p["W_in"][keep], "W_rec": p["W_rec"][np.ix_(keep, keep)], "b_rec": p["b_rec"][keep],
           "W_out": p["W_out"][:, keep], "b_out": p["b_out"]}
    h, z, _ = reference.forward(sub, x, activation="tanh", alpha=0.5)
    traj = pr.simulate(les, x)
    np.testing.assert_allclose(traj.h[:, :, keep], h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(traj.z, z, rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(traj.h[:, :, cut]) > 0)  # silenced units still respond


def test_lesion_none_unchanged_all_chance(rng):
    net = toy_net(rng)
    task = ToyRules()
    les = pr.analysis.lesion_performance(net, task, [np.array([], dtype=int), np.arange(net.n_rec)],
                                         n_trials=64, rng=3)
    np.testing.assert_array_equal(les.change[0], 0.0)
    # all units silenced: a constant output, right on the trials whose target has its sign
    const = np.sign(net.params["b_out"][0])
    seed = int(np.random.default_rng(3).integers(2**31))
    g = np.random.default_rng(seed)
    for j, r in enumerate(task.rules):
        b = task.replace(rules=(r,)).sample(64, g)
        assert les.lesioned[1, j] == pytest.approx(np.mean(b.info["sign"] == const))
    assert les.group_sizes == (0, net.n_rec)


def test_compose_rule_input_is_the_arithmetic(rng):
    b = ToyRules(rules=("delayanti",)).sample(4, rng)
    combo = {"fdanti": 1, "delaygo": 1, "fdgo": -1}
    x = pr.analysis.compose_rule_input(b.x, "delayanti", combo)
    start = 1
    want = b.x.copy()
    want[..., start + tvm.RULES.index("delayanti")] -= 1
    want[..., start + tvm.RULES.index("fdanti")] += 1
    want[..., start + tvm.RULES.index("delaygo")] += 1
    want[..., start + tvm.RULES.index("fdgo")] -= 1
    np.testing.assert_array_equal(x, want)
    np.testing.assert_array_equal(x[..., 0], b.x[..., 0])
    # padding after a trial's end (rule input 0) is left alone
    xp = b.x.copy()
    xp[0, -2:, :] = 0.0
    np.testing.assert_array_equal(pr.analysis.compose_rule_input(xp, "delayanti", combo)[0, -2:], 0.0)
    assert pr.analysis.composition_name(combo) == "Anti + Dly Go - Go"
    # the trained input itself changes nothing
    np.testing.assert_array_equal(pr.analysis.compose_rule_input(b.x, "delayanti", {"delayanti": 1}), b.x)
    with pytest.raises(ValidationError, match="combination"):
        pr.analysis.compose_rule_input(b.x, "delayanti", {"nogo": 1})


def test_composition_performance_own_rule_matches_plain(rng):
    net = toy_net(rng)
    task = ToyRules()
    comp = pr.analysis.composition_performance(net, task, "dm2", [{"dm2": 1}, {"dm1": 1}], n_trials=50, rng=5)
    seed = int(np.random.default_rng(5).integers(2**31))
    plain = pr.analysis.rule_performance(net, task, ("dm2",), n_trials=50, rng=seed)
    assert comp.accuracy[0] == plain[0]
    assert comp.names == ("DM 2", "DM 1")


def test_bad_inputs_are_named():
    with pytest.raises(ValidationError, match="tv"):
        pr.analysis.cluster_units(np.zeros((3, 2)))
    tv = tvm.TaskVariance(variance=np.ones((3, 2)), rules=("a", "b"))
    with pytest.raises(ValidationError, match="k_range"):
        pr.analysis.cluster_units(tv, k_range=range(3, 5))
    with pytest.raises(ValidationError, match="rule"):
        pr.analysis.fractional_task_variance(tv, "a", "z")


@pytest.mark.slow
def test_trained_on_two_rules_then_analysed():
    """Go and Anti in one 32-unit network (dt 40 ms), trained until both reach 0.9; then
    the analyses on a trained network: intact performance, lesions and composed inputs."""
    task = pr.tasks.make("yang2019", rules=("fdgo", "fdanti"), dt=40.0, alpha=0.4)
    net = pr.Network.create(task.n_in, 32, task.n_out, init="orthogonal", gain=0.5, activation="relu",
                            alpha=0.4, sigma_rec=0.05, output="sigmoid", dtype="float32", seed=0)
    cfg = pr.TrainConfig(n_steps=3000, batch_size=64, lr=2e-3, loss="mse", clip_norm=1.0, n_valid=200,
                         eval_every=100, stop_rule="every_condition", target_accuracy=0.9, keep_best=False,
                         seed=0)
    res = pr.train(net, task, cfg, progress=False)
    assert res.stop_reason == "criterion"
    trained = res.net.replace(dtype="float64")
    perf = pr.analysis.rule_performance(trained, task, n_trials=300, rng=1)
    assert perf.min() > 0.8
    tv = pr.analysis.task_variance(trained, task)
    assert tv.variance.shape == (32, 2) and tv.active().size > 4
    les = pr.analysis.lesion_performance(trained, task, [np.arange(32)], n_trials=300, rng=2)
    assert np.all(les.lesioned[0] < 0.3)  # a constant output: no response lands on the target
    comp = pr.analysis.composition_performance(trained, task, "fdanti", [{"fdanti": 1}, {"fdgo": 1}],
                                               n_trials=300, rng=3)
    assert comp.accuracy[0] > 0.8 > comp.accuracy[1]  # the Go input makes Anti trials fail
