"""Output nonlinearities and losses: finite differences, the plain-NumPy reference,
extreme logits, and what is refused."""

import numpy as np
import pytest

import purernn as pr
from purernn import outputs, reference

from .conftest import make_data, make_net

EPS = 1e-4
CASES = [("sigmoid", "mse"), ("sigmoid", "cross_entropy"), ("softmax", "mse"),
         ("softmax", "cross_entropy")]


def _targets(rng, output, n_trials, n_steps, n_out):
    if output == "softmax":  # one-hot classes
        return np.eye(n_out)[rng.integers(n_out, size=(n_trials, n_steps))]
    return rng.random((n_trials, n_steps, n_out))  # probabilities in [0, 1]


def _setup(rng, output, n_out=3):
    net = make_net(rng, n_in=2, n_rec=5, n_out=n_out, alpha=0.5, sigma_rec=0.1, output=output)
    x, _, mask = make_data(rng, 3, 10, 2, n_out)  # partial mask
    y = _targets(rng, output, 3, 10, n_out)
    noise = rng.standard_normal((3, 10, 5))
    return net, x, y, mask, noise


@pytest.mark.parametrize("output, loss", CASES)
def test_gradient_matches_finite_differences(output, loss, rng):
    net, x, y, mask, noise = _setup(rng, output)
    kw = dict(noise=noise, loss=loss, l2_weights=0.01, l2_rates=0.1)
    _, grads = pr.loss_and_grad(net, x, y, mask, **kw)
    params = net.params
    worst = 0.0
    for name, value in params.items():
        for idx in np.ndindex(value.shape):
            f = {}
            for k in (-2, -1, 1, 2):
                p = {n: np.array(v) for n, v in params.items()}
                p[name][idx] += k * EPS
                f[k] = pr.loss_and_grad(net.with_params(p), x, y, mask, **kw)[0]
            # five-point central difference: truncation O(EPS^4), so EPS can be large
            # enough that rounding of a loss of order 10 does not swamp small entries
            fd = (8 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12 * EPS)
            g = grads[name][idx]
            worst = max(worst, abs(fd - g) / max(abs(fd), abs(g), 1e-7))
    assert worst < 1e-6


@pytest.mark.parametrize("output, loss", CASES)
def test_matches_the_reference(output, loss, rng):
    net, x, y, mask, noise = _setup(rng, output)
    value, grads = pr.loss_and_grad(net, x, y, mask, noise=noise, loss=loss, l2_rates=0.1)
    ref_value, ref_grads = reference.loss_and_grad(
        net.params, x, y, mask, activation="tanh", alpha=0.5, sigma_rec=0.1, noise=noise,
        l2_rates=0.1, output_kind=output, loss_kind=loss)
    assert value == pytest.approx(ref_value, rel=1e-12)
    for k, g in grads.items():
        np.testing.assert_allclose(g, ref_grads[k], rtol=0, atol=1e-12 * np.abs(ref_grads[k]).max())
    z = pr.simulate(net, x, noise=noise).z
    np.testing.assert_allclose(z, reference.output(
        reference.forward(net.params, x, alpha=0.5, sigma_rec=0.1, noise=noise)[1], output), rtol=1e-12)


def test_softmax_outputs_are_probabilities(rng):
    net, x, *_ = _setup(rng, "softmax")
    z = pr.simulate(net, x).z
    assert np.all(z > 0) and np.allclose(z.sum(axis=-1), 1.0)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_extreme_logits_give_finite_exact_values(output):
    z = np.array([[[1000.0, -1000.0, 0.0]]])  # (1, 1, 3)
    y = np.array([[[1.0, 0.0, 0.0]]]) if output == "softmax" else np.array([[[0.0, 1.0, 0.5]]])
    mask = np.ones_like(z)
    value, dz = outputs.loss_and_dz(z, y, mask, output=output, loss="cross_entropy", n_trials=1)
    assert np.isfinite(value) and np.all(np.isfinite(dz))
    if output == "softmax":  # p = (1, 0, 0) = y: no loss, no gradient
        assert value == pytest.approx(0.0, abs=1e-300) and np.allclose(dz, 0.0)
    else:
        # y=0 at z=1000 costs -log(1 - p) = 1000, y=1 at z=-1000 costs -log p = 1000,
        # y=0.5 at z=0 costs log 2
        assert value == pytest.approx(2000.0 + np.log(2.0), rel=1e-12)
        np.testing.assert_allclose(dz[0, 0], [1.0, -1.0, 0.0], atol=1e-12)


def test_masked_padding_contributes_nothing(rng):
    net, x, y, mask, noise = _setup(rng, "softmax")
    mask[:, -4:] = 0.0
    y2 = y.copy()
    y2[:, -4:] = np.roll(y2[:, -4:], 1, axis=-1)  # change the targets under the mask
    a = pr.loss_and_grad(net, x, y, mask, noise=noise, loss="cross_entropy")
    b = pr.loss_and_grad(net, x, y2, mask, noise=noise, loss="cross_entropy")
    c = pr.loss_and_grad(net, x, np.roll(y, 1, axis=-1), mask, noise=noise, loss="cross_entropy")
    assert c[0] != a[0]  # where the mask is on, the targets matter
    assert a[0] == b[0] and all(np.array_equal(a[1][k], b[1][k]) for k in a[1])


def test_cross_entropy_needs_probabilities(rng):
    net = make_net(rng, n_out=2)
    x, y, mask = make_data(rng, 2, 5, 2, 2)
    with pytest.raises(pr.ValidationError, match="`loss`.*linear output"):
        pr.loss_and_grad(net, x, y, mask, loss="cross_entropy")
    with pytest.raises(pr.ValidationError, match="`output`"):
        pr.Network.create(2, 4, 1, output="tanh")
    with pytest.raises(pr.ValidationError, match="`loss`"):
        pr.TrainConfig(loss="hinge")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n_trials", [64, 33])
def test_compiled_squared_error_writes_numpys_dz_bit_for_bit(dtype, n_trials, rng):
    """The linear output's compiled pass against the NumPy expression it replaces, on the
    training step's arrays: time-major readouts, trial-major targets and mask seen
    through transposed views; dz to the last bit, the loss to its rounding."""
    z = rng.standard_normal((40, n_trials, 3)).astype(dtype)
    y = rng.standard_normal((n_trials, 40, 3))
    mask = (rng.random((n_trials, 40, 3)) < 0.5).astype(float)
    y_tm, m_tm = y.transpose(1, 0, 2), mask.transpose(1, 0, 2)
    value, dz = outputs.loss_and_dz(z, y_tm, m_tm, output="linear", loss="mse", n_trials=n_trials)
    diff = z - y_tm
    expected = m_tm * diff
    expected_value = 0.5 * float(np.sum(expected * diff, dtype=np.float64)) / n_trials
    expected /= n_trials
    assert dz.dtype == expected.dtype and np.array_equal(dz, expected)
    assert value == pytest.approx(expected_value, rel=1e-13)
    # a 2-D call (one trial's readouts) takes the NumPy lines and agrees
    value_2d, dz_2d = outputs.loss_and_dz(z[:, 0], y_tm[:, 0], m_tm[:, 0], output="linear", loss="mse", n_trials=1)
    value_3d, dz_3d = outputs.loss_and_dz(z[:, :1], y_tm[:, :1], m_tm[:, :1], output="linear", loss="mse", n_trials=1)
    assert np.array_equal(dz_2d, dz_3d[:, 0]) and value_2d == pytest.approx(value_3d, rel=1e-13)
    # a mask that broadcasts (one value per trial and step) takes the NumPy lines too
    m_one = m_tm[:, :, :1]
    value_b, dz_b = outputs.loss_and_dz(z, y_tm, m_one, output="linear", loss="mse", n_trials=n_trials)
    assert np.array_equal(dz_b, m_one * (z - y_tm) / n_trials)
    assert value_b == pytest.approx(0.5 * float(np.sum(m_one * (z - y_tm) ** 2)) / n_trials, rel=1e-12)
