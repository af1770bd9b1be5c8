"""Jacobians, linearization and measured oscillation frequency (known answers)."""

import numpy as np
import pytest

import purernn as pr
import purernn.analysis as A
from purernn.errors import ValidationError


def small_net(activation="tanh", alpha=0.3, seed=0, n_rec=6):
    rng = np.random.default_rng(seed)
    net = pr.Network.create(2, n_rec, 1, init="normal", gain=1.2, activation=activation, alpha=alpha, seed=rng)
    p = net.params
    p["b_rec"] = 0.3 * rng.standard_normal(n_rec)
    return net.with_params(p)


def euler_step(net, h, x):
    """One step of the actual simulator from h0 = h under input x."""
    return pr.simulate(net, x[None, None, :], h0=h).h[0, 0].copy()  # simulate may return its work buffer


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus", "linear"])
def test_map_jacobian_equals_formula_and_finite_differences(activation):
    rng = np.random.default_rng(10)
    net = small_net(activation)
    h = 0.5 * rng.standard_normal(net.n_rec)
    x = rng.standard_normal(net.n_in)
    J = A.jacobian(net, h, x, kind="map")
    p = net.params
    a = p["W_rec"] @ h + p["W_in"] @ x + p["b_rec"]
    ds = {"tanh": 1 - np.tanh(a) ** 2, "sigmoid": np.exp(-a) / (1 + np.exp(-a)) ** 2,
          "softplus": 1 / (1 + np.exp(-a)), "linear": np.ones_like(a)}[activation]
    formula = (1 - net.alpha) * np.eye(net.n_rec) + net.alpha * ds[:, None] * p["W_rec"]
    np.testing.assert_allclose(J, formula, rtol=1e-12, atol=1e-14)
    eps = 1e-6
    fd = np.empty_like(J)
    for j in range(net.n_rec):
        e = np.zeros(net.n_rec)
        e[j] = eps
        fd[:, j] = (euler_step(net, h + e, x) - euler_step(net, h - e, x)) / (2 * eps)
    np.testing.assert_allclose(J, fd, atol=1e-8)


def test_continuous_jacobian_is_map_minus_identity():
    net = small_net(alpha=0.2)
    h = np.linspace(-0.5, 0.5, net.n_rec)
    Jm = A.jacobian(net, h, kind="map")
    Jc = A.jacobian(net, h, kind="continuous")
    np.testing.assert_allclose(Jc, Jm - np.eye(net.n_rec), atol=1e-15)
    # (-I + D W) / tau with tau = 1 / alpha steps
    a = net.params["W_rec"] @ h + net.params["b_rec"]
    D = np.diag(1 - np.tanh(a) ** 2)
    np.testing.assert_allclose(Jc, net.alpha * (-np.eye(net.n_rec) + D @ net.params["W_rec"]), atol=1e-14)


def test_origin_of_tanh_net_maps_eigenvalues_of_W_rec():
    net = pr.Network.create(1, 8, 1, init="normal", alpha=0.25, seed=3)
    lin = A.linearize(net)
    mu_W = np.linalg.eigvals(net.params["W_rec"])
    expected = A.map_eigenvalues(mu_W, 0.25)
    np.testing.assert_allclose(np.sort_complex(lin.eigenvalues), np.sort_complex(expected), atol=1e-12)
    np.testing.assert_allclose(lin.eigenvalues_continuous, (lin.eigenvalues - 1) / 0.25)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_rotation_network_oscillates_at_predicted_frequency(alpha):
    theta, r = 2 * np.pi * 0.05, 0.999
    W = r * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    net = pr.Network.create(1, 2, 1, init=W, activation="linear", alpha=alpha, seed=0)
    lin = A.linearize(net)
    mu = 1 - alpha + alpha * r * np.exp(1j * theta)
    assert lin.eigenvalues[lin.dominant] == pytest.approx(mu)
    f_pred = np.angle(mu) / (2 * np.pi)
    assert lin.dominant_frequency == pytest.approx(f_pred, rel=1e-12)
    assert lin.dominant_frequency_small_angle == pytest.approx(mu.imag / (2 * np.pi * mu.real), rel=1e-12)
    assert lin.dominant_decay_time == pytest.approx(-1 / np.log(abs(mu)))
    resp = A.free_response(net, n_steps=4096, pulse=1.0, rng=np.random.default_rng(0))
    assert resp.frequency == pytest.approx(f_pred, rel=0.01)


def test_small_angle_form_diverges_near_the_imaginary_axis():
    exact, small = A.mode_frequency(np.array([0.01 + 1.0j]))
    assert exact[0] == pytest.approx(np.angle(0.01 + 1j) / (2 * np.pi))
    assert small[0] > 10 * exact[0]


def test_dominant_is_minus_one_for_a_real_spectrum():
    net = pr.Network.create(1, 3, 1, init=np.diag([0.5, 0.2, -0.3]), activation="linear", seed=0)
    lin = A.linearize(net)
    assert lin.dominant == -1 and np.isnan(lin.dominant_frequency)
    assert lin.stable


def test_bad_arguments_name_the_argument():
    net = small_net()
    with pytest.raises(ValidationError, match="`kind`"):
        A.jacobian(net, kind="discrete")
    with pytest.raises(ValidationError, match="`h`"):
        A.jacobian(net, np.zeros(net.n_rec + 1))
    with pytest.raises(ValidationError, match="`x`"):
        A.jacobian(net, None, np.zeros((3, net.n_in)))
    with pytest.raises(ValidationError, match="`net`"):
        A.jacobian(np.eye(3))
    with pytest.raises(ValidationError, match="`by`"):
        A.linearize(net, by="imag")
    with pytest.raises(ValidationError, match="`n_steps`"):
        A.free_response(net, n_steps=2)
