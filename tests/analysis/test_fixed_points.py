"""Fixed points (Sussillo & Barak 2013) on networks whose fixed points are known exactly."""

import numpy as np
import pytest
import scipy.optimize

import purernn as pr
import purernn.analysis as A
from purernn.errors import ValidationError


def test_linear_network_fixed_point_solves_linear_system():
    rng = np.random.default_rng(0)
    n = 5
    W = 0.5 * rng.standard_normal((n, n)) / np.sqrt(n)
    net = pr.Network.create(2, n, 1, init=W, activation="linear", alpha=0.4, seed=rng)
    p = net.params
    p["b_rec"] = rng.standard_normal(n)
    net = net.with_params(p)
    x = np.array([0.3, -1.0])
    fps = A.find_fixed_points(net, x, n_init=16, rng=rng)
    # h* = W_rec h* + W_in x + b  (alpha cancels)
    expected = np.linalg.solve(np.eye(n) - W, p["W_in"] @ x + p["b_rec"])
    assert fps.n_fp == 1
    np.testing.assert_allclose(fps.h[0], expected, atol=1e-12)
    assert fps.q[0] < 1e-28
    mu = np.sort_complex(1 - 0.4 + 0.4 * np.linalg.eigvals(W))
    np.testing.assert_allclose(np.sort_complex(fps.eigenvalues[0]), mu, atol=1e-12)
    np.testing.assert_allclose(fps.eigenvalues_continuous[0], (fps.eigenvalues[0] - 1) / 0.4)
    assert fps.stable[0] and fps.labels == ("stable",)
    assert fps.slow.n_fp == 0


def test_bistable_pair_recovers_every_fixed_point_with_labels():
    # W_rec = 2 I, tanh: each unit solves h = tanh(2 h): h in {-s, 0, s}. The 9 products are
    # 4 stable states (+-s, +-s), 4 saddles (one coordinate 0) and an unstable source (0, 0).
    s = scipy.optimize.brentq(lambda h: h - np.tanh(2 * h), 0.5, 1.0, xtol=1e-15)
    net = pr.Network.create(1, 2, 1, init=2.0 * np.eye(2), seed=0)
    fps = A.find_fixed_points(net, rng=np.random.default_rng(1))
    assert fps.n_fp == 9
    expected = {(a, b) for a in (-s, 0.0, s) for b in (-s, 0.0, s)}
    for h, label, n_unst in zip(fps.h, fps.labels, fps.n_unstable):
        match = [e for e in expected if np.max(np.abs(h - e)) < 1e-6]
        assert len(match) == 1
        n_zero = sum(v == 0.0 for v in match[0])
        assert label == {0: "stable", 1: "saddle", 2: "unstable"}[n_zero]
        assert n_unst == n_zero
        expected.remove(match[0])
    assert not expected
    stable = fps.h[fps.stable]
    np.testing.assert_allclose(np.sort(np.abs(stable).ravel()), s, atol=1e-12)
    # the continuous convention agrees here: 2 (1 - s^2) - 1 < 0 at the stable states
    assert np.all(fps.stable_continuous == fps.stable)


def test_given_initial_states_and_input():
    # x shifts the bistable unit: h = tanh(2 h + 0.2 x); with x = 1 still three roots
    net = pr.Network.create(1, 1, 1, init=np.array([[2.0]]), seed=0)
    p = net.params
    p["W_in"] = np.array([[0.2]])
    net = net.with_params(p)
    grid = np.linspace(-1.2, 1.2, 25)[:, None]
    fps = A.find_fixed_points(net, [1.0], initial_states=grid, noise_scale=0.0, rng=0)
    f = lambda h: h - np.tanh(2 * h + 0.2)
    roots = [scipy.optimize.brentq(f, a, b, xtol=1e-15) for a, b in ((-1.5, -0.5), (-0.4, 0.0), (0.5, 1.5))]
    np.testing.assert_allclose(np.sort(fps.h[:, 0]), roots, atol=1e-10)
    assert fps.labels == ("stable", "unstable", "stable")


def test_slow_point_of_a_saddle_node_ghost_is_kept_apart():
    # h = tanh(2 h + b) just past the saddle-node bifurcation: the upper pair of fixed
    # points is gone and leaves a slow point (a local minimum of q with q > 0).
    b = -0.60
    net = pr.Network.create(1, 1, 1, init=np.array([[2.0]]), seed=0)
    p = net.params
    p["b_rec"] = np.array([b])
    net = net.with_params(p)
    res = scipy.optimize.minimize_scalar(lambda h: 0.5 * (np.tanh(2 * h + b) - h) ** 2,
                                         bounds=(0.3, 1.0), method="bounded", options={"xatol": 1e-12})
    grid = np.linspace(-1.2, 1.2, 49)[:, None]
    fps = A.find_fixed_points(net, initial_states=grid, noise_scale=0.0, slow_tol=1e-2, rng=0)
    true_root = scipy.optimize.brentq(lambda h: h - np.tanh(2 * h + b), -1.5, 0.0, xtol=1e-15)
    assert fps.n_fp == 1 and fps.h[0, 0] == pytest.approx(true_root, abs=1e-10)
    assert fps.slow.n_fp == 1
    assert fps.slow.h[0, 0] == pytest.approx(res.x, abs=1e-5)
    assert fps.slow.q[0] == pytest.approx(res.fun, rel=1e-6)
    assert fps.slow.q[0] > 1e-6


def test_speed_is_zero_at_fixed_points():
    net = pr.Network.create(1, 2, 1, init=2.0 * np.eye(2), seed=0)
    fps = A.find_fixed_points(net, n_init=32, rng=0)
    np.testing.assert_allclose(A.speed(net, fps.h), fps.q, atol=1e-30)
    assert A.speed(net, np.array([0.5, 0.5])) > 0


def test_summary_is_json_ready():
    import json

    net = pr.Network.create(1, 2, 1, init=2.0 * np.eye(2), seed=0)
    d = A.find_fixed_points(net, n_init=32, rng=0).to_dict()
    json.dumps(d)
    assert sum(d["counts"].values()) == d["n_fp"]


def test_bad_arguments_name_the_argument():
    net = pr.Network.create(2, 3, 1, seed=0)
    with pytest.raises(ValidationError, match="`x`"):
        A.find_fixed_points(net, np.zeros(3))
    with pytest.raises(ValidationError, match="`initial_states`"):
        A.find_fixed_points(net, initial_states=np.zeros((4, 2)))
    with pytest.raises(ValidationError, match="`n_init`"):
        A.find_fixed_points(net, n_init=0)
    with pytest.raises(ValidationError, match="`rng`"):
        A.find_fixed_points(net, rng="seed")


def test_batched_search_on_a_larger_linear_network_and_progress_bars(capsys):
    # 60 units, linear: one fixed point, (I - W) h = W_in x + b; found from every start
    rng = np.random.default_rng(5)
    n = 60
    W = 0.6 * rng.standard_normal((n, n)) / np.sqrt(n)
    net = pr.Network.create(1, n, 1, init=W, activation="linear", alpha=0.5, seed=rng)
    p = net.params
    p["b_rec"] = rng.standard_normal(n)
    net = net.with_params(p)
    fps = A.find_fixed_points(net, [0.5], n_init=40, rng=rng, progress=True)
    expected = np.linalg.solve(np.eye(n) - W, p["W_in"][:, 0] * 0.5 + p["b_rec"])
    assert fps.n_fp == 1 and fps.n_init == 40
    np.testing.assert_allclose(fps.h[0], expected, atol=1e-10)
    err = capsys.readouterr().err
    assert "fixed points: descent" in err and "fixed points: Newton" in err and "eigenvalues" in err
    # without the descent, Newton alone lands on the same root (one step for a linear map)
    fps0 = A.find_fixed_points(net, [0.5], n_init=8, n_descent=0, max_iter=3, rng=0)
    np.testing.assert_allclose(fps0.h[0], expected, atol=1e-10)


def test_resting_state_known_answers():
    s = scipy.optimize.brentq(lambda h: h - np.tanh(2 * h + 0.3), 0.5, 1.5, xtol=1e-15)
    net = pr.Network.create(1, 1, 1, init=np.array([[2.0]]), seed=0)
    p = net.params
    p["b_rec"] = np.array([0.3])  # tilted bistable unit: from 0 it falls into the upper state
    rest = A.resting_state(net.with_params(p))
    assert rest.is_fixed_point and rest.settled and rest.h[0] == pytest.approx(s, abs=1e-12)
    # a rotation (an unstable spiral at the origin, a limit cycle around it): the free run
    # from a kicked state does not settle, and Newton finds the origin it turns around
    theta = 2 * np.pi / 20
    R = 1.3 * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    osc = pr.Network.create(1, 2, 1, init=R, seed=0)
    rest = A.resting_state(osc, h0=[0.3, 0.0])
    assert not rest.settled and rest.is_fixed_point
    np.testing.assert_allclose(rest.h, 0.0, atol=1e-12)
    assert rest.distance > 0.1
    lin = A.linearize(osc, rest.h)
    np.testing.assert_allclose(lin.dominant_frequency, 1 / 20, rtol=1e-12)  # arg(mu) of the rotation
    # the eigenvalues may be given instead of computed
    again = A.linearize(osc, rest.h, eigenvalues=lin.eigenvalues[::-1])
    np.testing.assert_array_equal(again.eigenvalues, lin.eigenvalues)
    with pytest.raises(ValidationError, match="`eigenvalues`"):
        A.linearize(osc, rest.h, eigenvalues=np.ones(3))
