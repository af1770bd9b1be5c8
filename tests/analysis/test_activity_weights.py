"""PCA, weight statistics, degradation and diversity helpers (known answers)."""

import numpy as np
import pytest

import purernn as pr
import purernn.analysis as A
from purernn.errors import ValidationError


def test_participation_ratio_of_known_covariance():
    rng = np.random.default_rng(0)
    var = np.array([4.0, 2.0, 1.0, 1.0, 0.0])
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    X = (rng.standard_normal((200_000, 5)) * np.sqrt(var)) @ Q.T + 3.0
    p = A.pca(X.reshape(1000, 200, 5))  # trial-major states are pooled
    expected = var.sum() ** 2 / np.sum(var**2)  # 64 / 22
    assert p.participation_ratio == pytest.approx(expected, rel=0.01)
    np.testing.assert_allclose(p.variance, var, atol=0.03)
    np.testing.assert_allclose(p.variance_explained, var / var.sum(), atol=0.005)
    assert abs(p.components[0] @ Q[:, 0]) == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(p.mean, X.mean(axis=0))
    assert p.n_for(0.75) == 2
    proj = p.project(X[:10], 2)
    assert proj.shape == (10, 2)


def test_participation_ratio_extremes():
    assert A.pca(np.column_stack([np.arange(10.0), np.zeros(10)])).participation_ratio == pytest.approx(1.0)
    assert A.pca(np.ones((5, 3))).participation_ratio == 0.0


def test_activity_groups_by_condition():
    task = pr.tasks.make("xor")
    net = pr.Network.create(task.n_in, 12, task.n_out, seed=0)
    batch = task.sample(16, rng=np.random.default_rng(1))
    act = A.activity(net, batch, n_components=3)
    assert act.h.shape == (16, task.n_steps, 12) and act.pcs.shape == (16, task.n_steps, 3)
    np.testing.assert_array_equal(act.condition, batch.info["condition"])
    np.testing.assert_allclose(act.h, pr.simulate(net, batch.x).h)


def test_bad_states_are_validation_errors():
    with pytest.raises(ValidationError, match="`states`"):
        A.pca(np.ones(5))
    with pytest.raises(ValidationError, match="`states`"):
        A.pca(np.ones((1, 4)))


def test_moments_of_known_sample():
    m = A.moments([-1.0, 1.0, -1.0, 1.0, 0.0])
    assert m.mean == 0.0 and m.std == pytest.approx(np.sqrt(0.8))
    assert m.skewness == pytest.approx(0.0) and m.kurtosis == pytest.approx(0.8 / 0.64 - 3.0)
    assert m.frac_zero == pytest.approx(0.2) and (m.min, m.max) == (-1.0, 1.0)


def test_weight_stats_split_E_and_I_under_dale():
    net = pr.Network.create(2, 20, 1, init="normal", dale=0.8, seed=0)
    st = A.weight_stats(net)
    assert st.dale and "W_rec" not in st.values
    assert st.values["W_rec_E"].size == 20 * 16 and st.values["W_rec_I"].size == 20 * 4
    assert np.all(st.values["W_rec_E"] >= 0) and np.all(st.values["W_rec_I"] <= 0)
    assert st.moments["W_rec_I"].mean < 0 < st.moments["W_rec_E"].mean
    plain = A.weight_stats(pr.Network.create(2, 20, 1, seed=0))
    assert not plain.dale and plain.values["W_rec"].size == 400


def test_weight_change_statistics():
    net0 = pr.Network.create(2, 6, 1, init="normal", seed=0)
    p = net0.params
    p["W_rec"] = -2.0 * p["W_rec"]
    net1 = net0.with_params(p)
    ch = A.weight_change(net0, net1)
    n0 = np.linalg.norm(net0.params["W_rec"])
    assert ch.norm_change["W_rec"] == pytest.approx(3 * n0)
    assert ch.relative_change["W_rec"] == pytest.approx(3.0)
    assert ch.correlation["W_rec"] == pytest.approx(-1.0)
    assert ch.frac_sign_flip["W_rec"] == 1.0
    assert ch.norm_change["W_in"] == 0.0 and ch.relative_change["b_rec"] == 0.0
    import json

    json.dumps(ch.to_dict())
    with pytest.raises(ValidationError, match="`net_after`"):
        A.weight_change(net0, pr.Network.create(2, 7, 1, seed=0))


def test_degradation_at_fraction_zero_equals_plain_accuracy():
    task = pr.tasks.make("xor")
    net = pr.Network.create(task.n_in, 16, task.n_out, seed=0)
    batch = task.sample(64, rng=np.random.default_rng(5))
    plain = float(np.mean(task.score(pr.simulate(net, batch.x).z, batch)))
    deg = A.degradation(net, task, fractions=[0.0, 0.5, 1.0], n_draws=3, batch=batch, rng=1)
    assert deg.accuracy.shape == (3, 3)
    assert deg.baseline == plain
    np.testing.assert_array_equal(deg.accuracy[0], plain)
    np.testing.assert_allclose(deg.mean, deg.accuracy.mean(axis=1))


def test_degradation_with_recurrent_noise_uses_one_realization():
    task = pr.tasks.make("xor")
    net = pr.Network.create(task.n_in, 16, task.n_out, sigma_rec=0.3, seed=0)
    deg = A.degradation(net, task, fractions=[0.0], n_draws=4, n_trials=32, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(deg.accuracy[0], deg.baseline)


def test_lesion_zeroes_the_removed_units_and_connections():
    net = pr.Network.create(2, 10, 1, seed=0)
    les = A.lesion(net, 0.3, mode="units", rng=0)
    W = les.params["W_rec"]
    dead = np.flatnonzero(np.all(W == 0, axis=0) & np.all(W == 0, axis=1))
    assert dead.size == 3
    assert np.all(les.params["W_out"][:, dead] == 0) and np.all(les.params["W_in"][dead] == 0)
    les = A.lesion(net, 0.25, mode="connections", rng=0)
    assert np.sum(les.params["W_rec"] == 0) == 25
    assert A.lesion(net, 0.0, rng=0).params["W_rec"].tolist() == net.params["W_rec"].tolist()
    with pytest.raises(ValidationError, match="`mode`"):
        A.lesion(net, 0.1, mode="synapses")
    with pytest.raises(ValidationError, match="`fraction`"):
        A.lesion(net, 1.5)
    with pytest.raises(ValidationError, match="`fractions`"):
        A.degradation(net, pr.tasks.make("xor"), fractions=[0.1, 2.0])


def test_dominant_class_table():
    rot = 1.2 * np.array([[0.0, -1.0], [1.0, 0.0]])
    runs = [np.diag([0.5, 0.1]), rot, pr.Network.create(1, 2, 1, init=np.diag([1.5, 0.2]), seed=0), A.spectrum(rot)]
    table = A.dominant_class_table(runs, labels=["a", "b", "c", "d"])
    assert table.classes == ("real_inside", "complex_outside", "real_outside", "complex_outside")
    assert table.counts == {"real_inside": 1, "real_outside": 1, "complex_inside": 0, "complex_outside": 2}
    np.testing.assert_allclose(table.radius, [0.5, 1.2, 1.5, 1.2])
    assert table.rows()[1]["dominant_im"] == pytest.approx(1.2)
    with pytest.raises(ValidationError, match="`labels`"):
        A.dominant_class_table(runs, labels=["a"])
    with pytest.raises(ValidationError, match=r"`runs\[0\]`"):
        A.dominant_class_table(["nope"])
