"""The BPTT gradient against central finite differences (float64)."""

import numpy as np
import pytest

import purernn as pr
from purernn import reference

from .conftest import make_data, make_net

EPS = 1e-6


def _fd_check(activation, alpha, rng, **net_kw):
    net = make_net(rng, n_in=2, n_rec=5, n_out=2, activation=activation, alpha=alpha,
                   sigma_rec=0.1, **net_kw)
    x, y, mask = make_data(rng, 3, 12, 2, 2)  # partial mask
    noise = rng.standard_normal((3, 12, 5))  # fixed noise realization
    reg = dict(l2_weights=0.03, l2_rates=0.2)
    loss, grads = pr.loss_and_grad(net, x, y, mask, noise=noise, **reg)
    params = net.params
    n_checked = 0
    worst = 0.0
    for name, value in params.items():
        for idx in np.ndindex(value.shape):
            def f(delta):
                p = {k: np.array(v) for k, v in params.items()}
                p[name][idx] += delta
                return pr.loss_and_grad(net.with_params(p), x, y, mask, noise=noise, **reg), p

            (lp, _), pp = f(EPS)
            (lm, _), pm = f(-EPS)
            if activation == "relu":
                # skip entries whose perturbation moves a pre-activation across the kink
                kw = dict(activation="relu", alpha=alpha, sigma_rec=0.1, noise=noise)
                if not np.array_equal(reference.forward(pp, x, **kw)[2] > 0, reference.forward(pm, x, **kw)[2] > 0):
                    continue
            fd = (lp - lm) / (2 * EPS)
            g = grads[name][idx]
            err = abs(fd - g) / max(abs(fd), abs(g), 1e-7)
            worst = max(worst, err)
            n_checked += 1
    return worst, n_checked


@pytest.mark.parametrize("activation", ["tanh", "relu", "softplus", "sigmoid", "linear"])
@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_gradient_matches_finite_differences(activation, alpha, rng):
    worst, n_checked = _fd_check(activation, alpha, rng)
    n_params = 5 * 2 + 25 + 5 + 2 * 5 + 2
    assert n_checked > (0.5 if activation == "relu" else 0.999) * n_params
    assert worst < 1e-6


def test_gradient_with_dale_and_sparse_connectivity(rng):
    worst, n_checked = _fd_check("tanh", 0.5, rng, dale=0.6)
    assert worst < 1e-6


def test_directional_derivative_large_net(rng):
    net = make_net(rng, n_in=3, n_rec=200, n_out=2, alpha=0.5)
    x, y, mask = make_data(rng, 4, 30, 3, 2)
    loss, grads = pr.loss_and_grad(net, x, y, mask, l2_rates=0.1)
    d = {k: rng.standard_normal(v.shape) for k, v in net.params.items()}
    eps = 1e-6

    def shifted(s):
        p = {k: v + s * d[k] for k, v in net.params.items()}
        return pr.loss_and_grad(net.with_params(p), x, y, mask, l2_rates=0.1)[0]

    fd = (shifted(eps) - shifted(-eps)) / (2 * eps)
    analytic = sum(float(np.sum(grads[k] * d[k])) for k in grads)
    assert fd == pytest.approx(analytic, rel=1e-6)


def test_masked_connections_have_zero_gradient(rng):
    net = make_net(rng, n_rec=10, conn_prob=0.5, autapses=False, dale=0.5, e_only_readout=True)
    x, y, mask = make_data(rng, 3, 10, net.n_in, net.n_out)
    _, grads = pr.loss_and_grad(net, x, y, mask)
    assert np.all(grads["W_rec"][~net.rec_mask] == 0)
    assert np.all(np.diag(grads["W_rec"]) == 0)
    assert np.all(grads["W_out"][~net.out_mask] == 0)
    assert np.any(grads["W_rec"][net.rec_mask] != 0)


def test_zero_mask_gives_zero_gradient(rng):
    net = make_net(rng)
    x, y, _ = make_data(rng, 3, 10, net.n_in, net.n_out)
    loss, grads = pr.loss_and_grad(net, x, y, np.zeros_like(y))
    assert loss == 0.0
    for g in grads.values():
        assert np.all(g == 0)


def test_permuting_trials_leaves_loss_and_gradient_unchanged(rng):
    net = make_net(rng)
    x, y, mask = make_data(rng, 6, 10, net.n_in, net.n_out)
    perm = rng.permutation(6)
    loss, grads = pr.loss_and_grad(net, x, y, mask)
    loss_p, grads_p = pr.loss_and_grad(net, x[perm], y[perm], mask[perm])
    assert loss_p == pytest.approx(loss, rel=1e-13)
    for k in grads:
        np.testing.assert_allclose(grads_p[k], grads[k], rtol=0, atol=1e-13 * np.abs(grads[k]).max())
