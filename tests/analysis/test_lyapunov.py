"""Lyapunov exponents: known answers (linear networks, a stable origin), the log-det
identity, the two-trajectory estimate, the Kaplan-Yorke dimension, argument errors."""

import numpy as np
import pytest

import purernn as pr
import purernn.analysis as A
from purernn.errors import ConvergenceError, ValidationError


def linear_net(n_rec=6, alpha=0.5, radius=0.9, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n_rec, n_rec))
    W *= radius / np.abs(np.linalg.eigvals(W)).max()
    return pr.Network.create(2, n_rec, 1, init=W, gain=1.0, activation="linear", alpha=alpha, seed=seed)


def map_log_moduli(net, h=None):
    """log |eigenvalues| of the Euler map's Jacobian at h (default: the origin), decreasing."""
    J = A.jacobian(net, h, kind="map")
    return np.sort(np.log(np.abs(np.linalg.eigvals(J))))[::-1]


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_linear_network_exponents_are_log_moduli_of_the_jacobian(alpha):
    net = linear_net(alpha=alpha)
    spec = A.lyapunov_spectrum(net, n_steps=1000, n_discard=200, rng=1)
    expected = map_log_moduli(net)
    # complex pairs share a modulus: each member's estimate oscillates, their sum does not
    np.testing.assert_allclose(spec.exponents, expected, atol=2e-3)
    np.testing.assert_allclose(spec.exponents.sum(), expected.sum(), rtol=1e-10)
    np.testing.assert_allclose(spec.exponents_tau, expected / alpha, atol=2e-3 / alpha)
    assert spec.n_exponents == net.n_rec and spec.method == "qr"
    # the leading ones alone, with fewer QR steps
    top = A.lyapunov_spectrum(net, n_exponents=3, n_steps=1000, n_discard=200, qr_every=4, rng=1)
    np.testing.assert_allclose(top.exponents, expected[:3], atol=2e-3)


def test_sum_of_all_exponents_is_the_mean_log_determinant():
    rng = np.random.default_rng(3)
    net = pr.Network.create(2, 10, 1, init="normal", gain=2.5, alpha=0.5, seed=0)
    p = net.params
    p["b_rec"] = 0.2 * rng.standard_normal(10)
    net = net.with_params(p)
    x = np.array([0.3, -0.5])
    h0 = rng.standard_normal(10)
    n_discard, n_steps = 40, 300
    spec = A.lyapunov_spectrum(net, x, n_steps=n_steps, n_discard=n_discard, h0=h0, qr_every=3, rng=0)
    # the same trajectory from the simulator, and log |det J_t| at each averaged step
    H = pr.simulate(net, np.broadcast_to(x, (1, n_discard + n_steps, 2)), h0=h0).h[0]
    prev = np.vstack([h0, H[:-1]])[n_discard:]
    logdet = [np.linalg.slogdet(A.jacobian(net, h, x, kind="map"))[1] for h in prev]
    assert np.std(logdet) > 0.05  # a moving state (here a limit cycle), not a fixed point
    np.testing.assert_allclose(spec.exponents.sum(), np.mean(logdet), rtol=1e-9)


def test_largest_exponent_agrees_with_two_nearby_trajectories():
    net = pr.Network.create(1, 60, 1, init="normal", gain=2.0, alpha=1.0, seed=3)
    qr = A.lyapunov_spectrum(net, n_exponents=2, n_steps=2000, n_discard=200, rng=1)
    two = A.largest_lyapunov_exponent(net, n_steps=2000, n_discard=200, rng=2, renorm_every=2)
    assert two.method == "two-trajectory" and two.n_exponents == 1
    assert qr.largest > 0.05  # chaotic
    se = np.hypot(qr.stderr[0], two.stderr[0])
    assert 0 < se < 0.01
    assert abs(qr.largest - two.largest) < 4 * se
    # a stable network: both give the leading log-modulus at the origin
    calm = pr.Network.create(1, 20, 1, init="normal", gain=0.5, alpha=0.5, seed=1)
    expected = map_log_moduli(calm)[0]
    two = A.largest_lyapunov_exponent(calm, n_steps=600, n_discard=200, rng=2, renorm_every=3)
    assert two.largest == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("alpha", [1.0, 0.2])
def test_contracting_network_has_only_negative_exponents(alpha):
    net = pr.Network.create(1, 20, 1, init="normal", gain=0.5, alpha=alpha, seed=5)
    spec = A.lyapunov_spectrum(net, n_steps=400, n_discard=200, rng=0)
    assert np.all(spec.exponents < 0)
    assert spec.kaplan_yorke == 0.0
    # the trajectory settles at the origin: the exponents are those of its linearization
    np.testing.assert_allclose(spec.exponents, map_log_moduli(net), atol=0.03)
    # with recurrent noise the trajectory moves, and the exponents stay negative
    noisy = net.replace(sigma_rec=0.05)
    assert np.all(A.lyapunov_spectrum(noisy, n_exponents=3, n_steps=400, n_discard=50, rng=0).exponents < 0)


def test_trial_input_and_reproducibility():
    net = pr.Network.create(2, 12, 1, init="normal", gain=1.8, alpha=0.5, seed=2)
    trial = np.random.default_rng(0).standard_normal((300, 2))
    a = A.lyapunov_spectrum(net, trial, n_exponents=4, n_discard=50, rng=7)
    b = A.lyapunov_spectrum(net, trial, n_exponents=4, n_discard=50, rng=7)
    assert a.n_steps == 250 and a.n_discard == 50
    np.testing.assert_array_equal(a.exponents, b.exponents)
    assert np.all(np.diff(a.exponents) <= 0)
    assert a.blocks.shape == (10, 4) and a.block_steps.sum() == 250
    np.testing.assert_allclose(a.running[-1], a.exponents)
    d = a.to_dict()
    assert d["n_exponents"] == 4 and d["largest_per_tau"] == pytest.approx(a.largest / 0.5)


def test_kaplan_yorke_dimension_known_answers():
    assert A.kaplan_yorke_dimension([0.5, 0.1, -0.3, -1.0]) == pytest.approx(3.3)
    assert A.kaplan_yorke_dimension([-1.0, 0.2, -0.1]) == pytest.approx(2.0 + 0.1 / 1.0)  # any order
    assert A.kaplan_yorke_dimension([-0.1, -2.0]) == 0.0
    assert A.kaplan_yorke_dimension([0.0, -1.0]) == pytest.approx(1.0)
    assert np.isnan(A.kaplan_yorke_dimension([0.3, 0.2]))  # more exponents needed
    assert A.kaplan_yorke_dimension([0.3, 0.2], n_total=2) == 2.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_exponents=0), "n_exponents"),
    (dict(n_exponents=9), "n_exponents"),
    (dict(n_steps=0), "n_steps"),
    (dict(n_discard=-1), "n_discard"),
    (dict(qr_every=0), "qr_every"),
    (dict(n_steps=5, n_blocks=6), "n_blocks"),
    (dict(x=np.zeros(3)), "x"),
    (dict(x=np.zeros((10, 3))), "x"),
    (dict(x=np.zeros((10, 2)), n_steps=11), "n_discard \\+ n_steps"),
    (dict(h0=np.zeros(7)), "h0"),
    (dict(rng="seed"), "rng"),
])
def test_bad_arguments_are_named(kwargs, match):
    net = pr.Network.create(2, 8, 1, seed=0)
    with pytest.raises(ValidationError, match=match):
        A.lyapunov_spectrum(net, **kwargs)


def test_bad_arguments_of_the_two_trajectory_estimate_and_divergence():
    net = pr.Network.create(2, 8, 1, seed=0)
    with pytest.raises(ValidationError, match="eps"):
        A.largest_lyapunov_exponent(net, eps=0.0)
    with pytest.raises(ValidationError, match="renorm_every"):
        A.largest_lyapunov_exponent(net, renorm_every=0)
    with pytest.raises(ValidationError, match="net"):
        A.lyapunov_spectrum(net.params)
    grows = linear_net(radius=1.5, alpha=1.0)
    with pytest.raises(ConvergenceError, match="diverged"):
        A.lyapunov_spectrum(grows, n_steps=3000, n_discard=0, rng=0)
