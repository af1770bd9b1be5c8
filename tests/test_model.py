"""Network creation, initialization, constraints, noise and input validation."""

import numpy as np
import pytest

import purernn as pr
from purernn.model import PARAM_NAMES


def test_params_have_spec_keys_shapes_and_are_read_only():
    net = pr.Network.create(3, 20, 2, seed=0)
    p = net.params
    assert tuple(p) == PARAM_NAMES
    assert p["W_in"].shape == (20, 3) and p["W_rec"].shape == (20, 20)
    assert p["b_rec"].shape == (20,) and p["W_out"].shape == (2, 20) and p["b_out"].shape == (2,)
    with pytest.raises(ValueError):
        p["W_rec"][0, 0] = 1.0
    p["W_rec"] = np.zeros((20, 20))  # replacing in the returned dict does not touch the net
    assert np.any(net.params["W_rec"] != 0)
    with pytest.raises(AttributeError):
        net.config = None


def test_same_seed_same_weights_and_dtype():
    a = pr.Network.create(2, 30, 1, init="normal", seed=7)
    b = pr.Network.create(2, 30, 1, init="normal", seed=7)
    c = pr.Network.create(2, 30, 1, init="normal", seed=8)
    assert np.array_equal(a.params["W_rec"], b.params["W_rec"])
    assert not np.array_equal(a.params["W_rec"], c.params["W_rec"])
    assert pr.Network.create(2, 30, 1, dtype="float32", seed=0).params["W_rec"].dtype == np.float32


def test_orthogonal_init_is_orthogonal_times_gain():
    W = pr.Network.create(1, 40, 1, init="orthogonal", gain=1.3, seed=0).params["W_rec"]
    np.testing.assert_allclose(W @ W.T, 1.3**2 * np.eye(40), atol=1e-12)


def test_orthogonal_init_is_scipys_draw():
    """The orthogonal draw is scipy.stats.ortho_group's, from the seed's generator, so that
    networks (and training runs) stay the same across versions of purernn."""
    import scipy.stats

    W = pr.Network.create(2, 30, 1, init="orthogonal", gain=0.9, seed=11).params["W_rec"]
    expected = scipy.stats.ortho_group.rvs(30, random_state=np.random.default_rng(11))
    np.testing.assert_array_equal(W, 0.9 * expected)


def test_normal_init_variance_and_identity():
    W = pr.Network.create(1, 400, 1, init="normal", gain=2.0, seed=0).params["W_rec"]
    assert np.var(W) * 400 == pytest.approx(4.0, rel=0.02)
    W = pr.Network.create(1, 5, 1, init="identity", gain=0.5, seed=0).params["W_rec"]
    np.testing.assert_array_equal(W, 0.5 * np.eye(5))


def test_user_init_array():
    M = np.arange(9.0).reshape(3, 3)
    net = pr.Network.create(1, 3, 1, init=M, gain=2.0)
    np.testing.assert_array_equal(net.params["W_rec"], 2 * M)
    assert net.config.init == "user"


def test_glorot_uniform_inputs_and_outputs():
    net = pr.Network.create(4, 100, 3, seed=0)
    assert np.abs(net.params["W_in"]).max() <= np.sqrt(6 / 104)
    assert np.abs(net.params["W_out"]).max() <= np.sqrt(6 / 103)
    assert np.all(net.params["b_rec"] == 0) and np.all(net.params["b_out"] == 0)


@pytest.mark.parametrize("init", ["normal", "orthogonal"])
@pytest.mark.parametrize("mode", ["presynaptic", "postsynaptic"])
def test_dale_init_signs_balance_and_radius(init, mode):
    net = pr.Network.create(1, 100, 1, init=init, dale=0.8, dale_mode=mode, gain=0.9, seed=3)
    W = net.params["W_rec"]
    if mode == "postsynaptic":
        W = W.T  # rows of the postsynaptic mode are the columns of the presynaptic one
    assert net.config.n_exc == 80
    assert np.all(W[:, :80] >= 0) and np.all(W[:, 80:] <= 0)
    np.testing.assert_allclose(W.sum(axis=1), 0, atol=1e-12)  # E and I balance row by row
    radius = np.abs(np.linalg.eigvals(W))
    assert radius.max() == pytest.approx(0.9, rel=1e-9)


@pytest.mark.parametrize("init", ["normal", "orthogonal"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dale_init_has_no_outlier_eigenvalue(init, seed):
    """A balanced E/I init has no eigenvalue far outside the bulk; an unbalanced one does.

    An outlier stands alone: the largest |lambda| is then far above the next ones, which
    sit on the bulk's edge (the 4th largest skips a conjugate pair)."""
    net = pr.Network.create(1, 200, 1, init=init, dale=0.8, gain=1.0, seed=seed)
    lam = np.sort(np.abs(np.linalg.eigvals(net.params["W_rec"])))[::-1]
    assert lam[0] < 1.25 * lam[3]
    # the same magnitudes with the inhibition halved: the mean mode sticks out
    unbalanced = np.array(net.params["W_rec"])
    unbalanced[:, 160:] *= 0.5
    lam_u = np.sort(np.abs(np.linalg.eigvals(unbalanced)))[::-1]
    assert lam_u[0] > 2 * lam_u[1]


@pytest.mark.parametrize("mode", ["presynaptic", "postsynaptic"])
def test_projected_dale_init_is_the_draw_with_wrong_signs_zeroed(mode):
    plain = pr.Network.create(2, 60, 1, init="orthogonal", gain=1.2, seed=5)
    net = pr.Network.create(2, 60, 1, init="orthogonal", gain=1.2, seed=5, dale=0.5,
                            dale_mode=mode, dale_init="projected")
    W0 = np.array(plain.params["W_rec"])
    signs = np.where(np.arange(60) < 30, 1.0, -1.0)
    keep = W0 * (signs[None, :] if mode == "presynaptic" else signs[:, None]) >= 0
    np.testing.assert_array_equal(net.params["W_rec"], np.where(keep, W0, 0.0))
    np.testing.assert_array_equal(net.params["W_in"], plain.params["W_in"])
    assert net.config.dale_init == "projected"
    assert 0.4 < keep.mean() < 0.6


@pytest.mark.parametrize("init, shape", [("orthogonal", "ring"), ("normal", "disk")])
def test_projected_dale_init_keeps_ring_or_disk_balanced_gives_disk(init, shape):
    """The projected orthogonal draw is still a ring with a bulk inside the unit circle;
    the balanced construction (|draw| with signs) is a disk for both draws."""
    kw = dict(init=init, dale=0.5, gain=1.0, seed=1)
    proj = pr.analysis.spectrum(pr.Network.create(1, 200, 1, dale_init="projected", **kw).params["W_rec"])
    bal = pr.analysis.spectrum(pr.Network.create(1, 200, 1, **kw).params["W_rec"])
    assert proj.shape == shape and proj.bulk_radius < 0.8
    assert bal.shape == "disk"
    if shape == "ring":
        assert proj.inner_radius > 0.3 > bal.inner_radius


def test_connectivity_autapses_and_readout_masks():
    net = pr.Network.create(2, 50, 2, conn_prob=0.3, autapses=False, dale=0.5, e_only_readout=True, seed=0)
    W = net.params["W_rec"]
    assert np.all(W[~net.rec_mask] == 0)
    assert np.all(np.diag(W) == 0)
    assert 0.2 < net.rec_mask.mean() < 0.4
    assert np.all(net.params["W_out"][:, 25:] == 0)
    user = np.random.default_rng(0).random((6, 6)) < 0.5
    net = pr.Network.create(1, 6, 1, conn_prob=user, seed=0)
    assert np.all(net.params["W_rec"][~user] == 0)
    assert net.config.conn_prob == "user"


@pytest.mark.parametrize("alpha", [0.1, 0.5])
def test_recurrent_noise_stationary_variance(alpha):
    """A leaky linear unit driven by sqrt(2 alpha) sigma_rec xi has stationary variance
    2 sigma_rec^2 / (2 - alpha): sigma_rec^2 up to O(alpha), the Ornstein-Uhlenbeck value
    of equation (1) with noise, whatever the time step."""
    sigma = 0.7
    net = pr.Network.create(1, 4, 1, init=np.zeros((4, 4)), activation="linear", alpha=alpha,
                            sigma_rec=sigma, seed=0)
    n_steps = 20000
    h = pr.simulate(net, np.zeros((8, n_steps, 1)), rng=np.random.default_rng(5)).h
    var = h[:, 200:].var()
    assert var == pytest.approx(2 * sigma**2 / (2 - alpha), rel=0.03)
    assert var == pytest.approx(sigma**2, rel=0.35)


def test_noise_is_reproducible_with_rng():
    net = pr.Network.create(1, 5, 1, sigma_rec=0.3, seed=0)
    x = np.zeros((2, 50, 1))
    a = pr.simulate(net, x, rng=4).h
    b = pr.simulate(net, x, rng=4).h
    c = pr.simulate(net, x, rng=5).h
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_h0_single_state_or_per_trial(rng):
    net = pr.Network.create(1, 5, 1, seed=0)
    x = rng.standard_normal((3, 10, 1))
    h0 = rng.standard_normal(5)
    a = pr.simulate(net, x, h0=h0).h
    b = pr.simulate(net, x, h0=np.tile(h0, (3, 1))).h
    assert np.array_equal(a, b)


BAD_CREATE = [
    (dict(activation="swish"), "activation"),
    (dict(init="glorot"), "init"),
    (dict(alpha=0.0), "alpha"),
    (dict(alpha=1.5), "alpha"),
    (dict(dale=1.0), "dale"),
    (dict(dale=0.0), "dale"),
    (dict(dale=-0.2), "dale"),
    (dict(conn_prob=0.0), "conn_prob"),
    (dict(sigma_rec=-1.0), "sigma_rec"),
    (dict(dtype="float16"), "dtype"),
    (dict(gain=float("nan")), "gain"),
    (dict(init=np.zeros((3, 3))), "init"),
    (dict(trainable=("W_in", "W_hh")), "trainable"),
    (dict(e_only_readout=True), "e_only_readout"),
    (dict(init="identity", dale=0.5), "init"),
    (dict(dale=0.5, dale_init="abs"), "dale_init"),
]


@pytest.mark.parametrize("kwargs, arg", BAD_CREATE)
def test_bad_create_arguments_name_the_argument(kwargs, arg):
    with pytest.raises(pr.ValidationError, match=f"`{arg}`"):
        pr.Network.create(2, 10, 1, **kwargs)


def test_unknown_activation_lists_valid_names():
    with pytest.raises(pr.ValidationError, match="'tanh'"):
        pr.Network.create(2, 10, 1, activation="swish")


BAD_INPUTS = [
    (np.zeros((4, 10, 3)), "x", r"n_in=2"),
    (np.zeros((10, 2)), "x", r"3-d"),
    (np.full((4, 10, 2), np.nan), "x", "finite"),
    (np.full((4, 10, 2), np.inf), "x", "finite"),
    (np.zeros((4, 10, 2), dtype=complex), "x", "real"),
    (np.array([["a", "b"]]), "x", "real"),
]


@pytest.mark.parametrize("x, arg, pattern", BAD_INPUTS)
def test_bad_inputs_raise_clear_errors(x, arg, pattern):
    net = pr.Network.create(2, 6, 1, seed=0)
    with pytest.raises(pr.ValidationError, match=f"`{arg}`.*{pattern}|{pattern}.*`{arg}`"):
        pr.simulate(net, x)
    with pytest.raises(pr.ValidationError, match=f"`{arg}`"):
        pr.loss_and_grad(net, x, np.zeros((4, 10, 1)))


def test_bad_targets_mask_h0_noise():
    net = pr.Network.create(2, 6, 1, seed=0, sigma_rec=0.1)
    x = np.zeros((4, 10, 2))
    y = np.zeros((4, 10, 1))
    with pytest.raises(pr.ValidationError, match="`y`.*n_out=1"):
        pr.loss_and_grad(net, x, np.zeros((4, 10, 2)))
    with pytest.raises(pr.ValidationError, match="`mask`"):
        pr.loss_and_grad(net, x, y, np.zeros((4, 9, 1)))
    with pytest.raises(pr.ValidationError, match="`mask`.*non-negative"):
        pr.loss_and_grad(net, x, y, -np.ones((4, 10, 1)))
    with pytest.raises(pr.ValidationError, match="`h0`"):
        pr.simulate(net, x, h0=np.zeros(5))
    with pytest.raises(pr.ValidationError, match="`noise`"):
        pr.simulate(net, x, noise=np.zeros((4, 10, 5)))
    with pytest.raises(pr.ValidationError, match="`rng`"):
        pr.simulate(net, x, rng="seed")
    with pytest.raises(pr.ValidationError, match="`l2_rates`"):
        pr.loss_and_grad(net, x, y, l2_rates=-1.0)


def test_integer_inputs_are_converted():
    net = pr.Network.create(2, 6, 1, seed=0)
    a = pr.simulate(net, np.ones((2, 5, 2), dtype=int)).z
    b = pr.simulate(net, np.ones((2, 5, 2))).z
    assert np.array_equal(a, b)


def test_simulate_returns_fresh_arrays_for_a_single_trial():
    net = pr.Network.create(1, 5, 1, seed=0)
    first = pr.simulate(net, np.ones((1, 10, 1)))
    kept = first.h.copy()
    pr.simulate(net, -np.ones((1, 10, 1)))  # same sizes: reuses the work buffers
    assert np.array_equal(first.h, kept)


@pytest.mark.parametrize("kw", [{}, {"dale": 0.8, "conn_prob": 0.5, "e_only_readout": True}, {"rank": 2}])
def test_a_training_steps_network_is_the_constructors(kw):
    """train_step adopts its new arrays without the constructor's checks: the network is the
    one the constructor would build (values, read-only arrays, masks, factors)."""
    from purernn.tasks import Batch

    net = pr.Network.create(2, 6, 1, seed=0, **kw)
    rng = np.random.default_rng(0)
    batch = Batch(rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 5, 1)), np.ones((3, 5, 1)))
    opt = pr.Adam(lr=0.05)
    new = pr.train_step(net, batch, opt, opt.init(net.variables)).net
    built = net.with_params(new.variables)
    assert new.config == built.config
    for name in ("params", "variables"):
        got, want = getattr(new, name), getattr(built, name)
        assert got.keys() == want.keys()
        for k in got:
            assert np.array_equal(got[k], want[k]) and got[k].dtype == want[k].dtype, k
            assert not got[k].flags.writeable and got[k].flags.c_contiguous, k
    for mask in ("rec_mask", "out_mask"):
        a, b = getattr(new, mask), getattr(built, mask)
        assert (a is None and b is None) or np.array_equal(a, b)
    assert not np.array_equal(new.params["W_rec"], net.params["W_rec"])  # it did train
