import numpy as np
import pytest

import purernn as pr


def make_net(rng, *, n_in=2, n_rec=8, n_out=2, activation="tanh", alpha=1.0, dale=None,
             sigma_rec=0.0, dtype="float64", **kw):
    """A random network with nonzero biases (so every gradient is exercised)."""
    net = pr.Network.create(n_in, n_rec, n_out, init="normal", gain=1.2, activation=activation,
                            alpha=alpha, dale=dale, sigma_rec=sigma_rec, dtype=dtype,
                            seed=int(rng.integers(2**31)), **kw)
    p = net.params
    p["b_rec"] = 0.3 * rng.standard_normal(n_rec)
    p["b_out"] = 0.3 * rng.standard_normal(n_out)
    return net.with_params(p)


def make_data(rng, n_trials, n_steps, n_in, n_out, *, partial_mask=True):
    x = rng.standard_normal((n_trials, n_steps, n_in))
    y = rng.standard_normal((n_trials, n_steps, n_out))
    if partial_mask:
        mask = (rng.random((n_trials, n_steps, n_out)) < 0.6).astype(float)
    else:
        mask = np.ones((n_trials, n_steps, n_out))
    return x, y, mask


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
