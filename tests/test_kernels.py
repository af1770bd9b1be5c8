"""The compiled kernels against the plain-NumPy reference in tests/naive.py."""

import numpy as np
import pytest

import purernn as pr
from purernn import kernels

from . import naive
from .conftest import make_data, make_net

ACTIVATIONS = list(kernels.ACTIVATIONS)


def _activation(name, a):
    s = np.empty_like(a)
    ds = np.empty_like(a)
    kernels._activation_kernel(a, kernels.ACTIVATIONS[name], s, ds)
    return s, ds


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_numpy(name):
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.uniform(-40, 40, 20000), rng.normal(0, 1e-6, 1000),
                        [0.0, -0.0, 1e-300, -1e-300, 19.0, -19.0, 700.0, -700.0, 800.0, -800.0]])
    s, ds = _activation(name, a)
    f, df = naive.ACT[name]
    with np.errstate(over="ignore", invalid="ignore"):
        s_ref, ds_ref = f(a), df(a)
    ds_ref = np.nan_to_num(ds_ref)
    # a few ulp, relative to the value (tanh and sigmoid are exact in relative terms)
    np.testing.assert_allclose(s, s_ref, rtol=4e-15, atol=1e-300)
    # sigma' is formed from sigma (1 - s^2, s (1 - s)): a few ulp of 1 in absolute terms
    np.testing.assert_allclose(ds, ds_ref, rtol=1e-13, atol=2e-15)


def test_tanh_float32_matches_numpy():
    a = np.random.default_rng(1).uniform(-10, 10, 5000).astype(np.float32)
    s, _ = _activation("tanh", a)
    np.testing.assert_allclose(s, np.tanh(a.astype(np.float64)), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("alpha", [1.0, 0.3])
@pytest.mark.parametrize("dale", [None, 0.75])
def test_simulate_and_gradient_match_naive(activation, alpha, dale, rng):
    net = make_net(rng, activation=activation, alpha=alpha, dale=dale, sigma_rec=0.2)
    x, y, mask = make_data(rng, 4, 15, net.n_in, net.n_out)
    noise = rng.standard_normal((4, 15, net.n_rec))
    h0 = 0.5 * rng.standard_normal((4, net.n_rec))
    kw = dict(activation=activation, alpha=alpha, sigma_rec=0.2, noise=noise, h0=h0)

    traj = pr.simulate(net, x, h0=h0, noise=noise)
    h_ref, z_ref, _ = naive.forward(net.params, x, **kw)
    np.testing.assert_allclose(traj.h, h_ref, rtol=0, atol=1e-12 * np.abs(h_ref).max())
    np.testing.assert_allclose(traj.z, z_ref, rtol=0, atol=1e-12 * np.abs(z_ref).max())

    loss, grads = pr.loss_and_grad(net, x, y, mask, h0=h0, noise=noise, l2_weights=0.01, l2_rates=0.1)
    loss_ref, grads_ref = naive.loss_and_grad(net.params, x, y, mask, l2_weights=0.01, l2_rates=0.1, **kw)
    assert loss == pytest.approx(loss_ref, rel=1e-12)
    assert set(grads) == set(net.params)
    for k in grads:
        assert grads[k].shape == net.params[k].shape
        np.testing.assert_allclose(grads[k], grads_ref[k], rtol=0, atol=1e-12 * np.abs(grads_ref[k]).max(),
                                   err_msg=k)


def test_alpha_one_is_the_discrete_rnn(rng):
    net = make_net(rng, alpha=1.0)
    x, _, _ = make_data(rng, 3, 20, net.n_in, net.n_out)
    p = net.params
    h = pr.simulate(net, x).h
    h_prev = np.zeros((3, net.n_rec))
    for t in range(20):
        expected = np.tanh(h_prev @ p["W_rec"].T + x[:, t] @ p["W_in"].T + p["b_rec"])
        np.testing.assert_allclose(h[:, t], expected, rtol=1e-14, atol=1e-15)
        h_prev = h[:, t]


def test_float32_close_to_float64(rng):
    net = make_net(rng)
    x, y, mask = make_data(rng, 4, 30, net.n_in, net.n_out)
    net32 = net.replace(dtype="float32")
    loss64, g64 = pr.loss_and_grad(net, x, y, mask)
    loss32, g32 = pr.loss_and_grad(net32, x, y, mask)
    assert g32["W_rec"].dtype == np.float32
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for k in g64:
        np.testing.assert_allclose(g32[k], g64[k], rtol=0, atol=1e-4 * np.abs(g64[k]).max())


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_parallel_trial_blocks_match_naive(activation, rng):
    """Enough trials for the kernels to run several blocks of trials in parallel."""
    from purernn.model import trial_blocks

    n_trials = 40
    net = make_net(rng, n_rec=12, activation=activation, alpha=0.3, sigma_rec=0.2)
    assert trial_blocks(n_trials, net.n_rec) == 3
    x, y, mask = make_data(rng, n_trials, 9, net.n_in, net.n_out)
    noise = rng.standard_normal((n_trials, 9, net.n_rec))
    kw = dict(activation=activation, alpha=0.3, sigma_rec=0.2, noise=noise)
    traj = pr.simulate(net, x, noise=noise)
    h_ref, z_ref, _ = naive.forward(net.params, x, **kw)
    np.testing.assert_allclose(traj.z, z_ref, rtol=0, atol=1e-12 * np.abs(z_ref).max())
    loss, grads = pr.loss_and_grad(net, x, y, mask, noise=noise, l2_rates=0.1, l2_weights=0.01)
    loss_ref, grads_ref = naive.loss_and_grad(net.params, x, y, mask, l2_rates=0.1, l2_weights=0.01, **kw)
    assert loss == pytest.approx(loss_ref, rel=1e-12)
    for k in grads:
        np.testing.assert_allclose(grads[k], grads_ref[k], rtol=0, atol=1e-12 * np.abs(grads_ref[k]).max(),
                                   err_msg=k)


def test_float32_tanh_update_matches_numpy():
    """float32 networks use a float32 tanh (_tanh_f32) inside the Euler update."""
    a = np.concatenate([np.random.default_rng(2).uniform(-12, 12, 50000),
                        [0.0, -0.0, 1e-30, -1e-30, 30.0, -30.0, 1e-4]]).astype(np.float32)
    h = np.empty_like(a)
    ds = np.empty_like(a)
    zero = np.zeros_like(a)
    kernels._euler_update(a, zero, zero, np.float32(1.0), kernels.ACTIVATIONS["tanh"], h, ds)
    ref = np.tanh(a.astype(np.float64))
    np.testing.assert_allclose(h, ref, rtol=3e-7, atol=1e-37)
    np.testing.assert_allclose(ds, 1.0 - ref**2, rtol=0, atol=1e-6)
