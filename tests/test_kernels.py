"""The compiled kernels against the plain-NumPy model in purernn/reference.py.

Every comparison is in float64 and relative to the largest entry of the reference array
(1e-12): entries near zero come from cancellations, where an elementwise relative error
would measure the cancellation, not the kernel.
"""

import os
import select
import signal

import numpy as np
import pytest

import purernn as pr
from purernn import kernels, reference
from purernn.analysis._common import _activation_kernel, activation

from .conftest import make_data, make_net

ACTIVATIONS = list(kernels.ACTIVATIONS)
REL = 1e-12


def assert_close(actual, ref, rel=REL, name=""):
    actual, ref = np.asarray(actual), np.asarray(ref)
    assert actual.shape == ref.shape, name
    scale = np.max(np.abs(ref))
    assert np.max(np.abs(actual - ref)) <= rel * scale, f"{name}: {np.max(np.abs(actual - ref)) / scale:.2e}"


def test_reference_is_the_documented_equation():
    """A two-step linear example worked out by hand."""
    p = {"W_in": np.array([[1.0], [0.0]]), "W_rec": np.array([[0.0, 0.5], [1.0, 0.0]]),
         "b_rec": np.array([0.0, 0.1]), "W_out": np.array([[1.0, 1.0]]), "b_out": np.array([0.2])}
    h, z, a = reference.forward(p, np.ones((1, 2, 1)), activation="linear", alpha=0.5)
    # h_1 = 0.5 * (1, 0.1) = (0.5, 0.05); a_2 = (1 + 0.025, 0.5 + 0.1); h_2 = 0.5 h_1 + 0.5 a_2
    np.testing.assert_allclose(h[0], [[0.5, 0.05], [0.7625, 0.325]], rtol=1e-15)
    np.testing.assert_allclose(z[0, :, 0], [0.75, 1.2875], rtol=1e-15)
    np.testing.assert_allclose(a[0, 1], [1.025, 0.6], rtol=1e-15)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_numpy(name):
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.uniform(-40, 40, 20000), rng.normal(0, 1e-6, 1000),
                        [0.0, -0.0, 1e-300, -1e-300, 19.0, -19.0, 700.0, -700.0, 800.0, -800.0]])
    net = make_net(np.random.default_rng(1), activation=name)
    s, ds = activation(net, a)
    f, df = reference.ACTIVATIONS[name]
    with np.errstate(over="ignore", invalid="ignore"):
        s_ref, ds_ref = f(a), df(a)
    ds_ref = np.nan_to_num(ds_ref)
    # a few ulp, relative to the value (tanh and sigmoid are exact in relative terms)
    np.testing.assert_allclose(s, s_ref, rtol=4e-15, atol=1e-300)
    # sigma' is formed from sigma (1 - s^2, s (1 - s)): a few ulp of 1 in absolute terms
    np.testing.assert_allclose(ds, ds_ref, rtol=1e-13, atol=2e-15)
    # the wrapper keeps the shape
    s2, _ = activation(net, a[:12].reshape(3, 4))
    assert s2.shape == (3, 4) and np.array_equal(s2.reshape(-1), s[:12])


def test_tanh_float32_matches_numpy():
    a = np.random.default_rng(1).uniform(-10, 10, 5000).astype(np.float32)
    s, ds = np.empty_like(a), np.empty_like(a)
    _activation_kernel(a, kernels.ACTIVATIONS["tanh"], s, ds)
    np.testing.assert_allclose(s, np.tanh(a.astype(np.float64)), rtol=1e-6, atol=1e-7)


def test_float32_tanh_update_matches_numpy():
    """float32 networks use a float32 tanh (the float32 polynomial) inside the Euler update."""
    a = np.concatenate([np.random.default_rng(2).uniform(-12, 12, 50000),
                        [0.0, -0.0, 1e-30, -1e-30, 30.0, -30.0, 1e-4]]).astype(np.float32)
    h = np.empty_like(a)
    ds = np.empty_like(a)
    zero = np.zeros_like(a)
    kernels._euler_update(a, zero, zero, np.float32(1.0), 0.0, kernels._ACT_TAGS["tanh"], h, ds)
    assert h.dtype == ds.dtype == np.float32
    ref = np.tanh(a.astype(np.float64))
    np.testing.assert_allclose(h, ref, rtol=3e-7, atol=1e-37)
    np.testing.assert_allclose(ds, 1.0 - ref**2, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_euler_update_is_the_euler_step(name, alpha):
    """One call of the update: h = (1 - alpha) h_prev + alpha sigma(a) + noise, ds = sigma'(a)."""
    rng = np.random.default_rng(3)
    a, h_prev, noise = rng.uniform(-3, 3, 500), rng.uniform(-1, 1, 500), 0.1 * rng.standard_normal(500)
    h, ds = np.empty(500), np.empty(500)
    kernels._euler_update(a, h_prev, noise, alpha, 1.0 - alpha, kernels._ACT_TAGS[name], h, ds)
    f, df = reference.ACTIVATIONS[name]
    assert_close(h, (1 - alpha) * h_prev + alpha * f(a) + noise, rel=2e-15)
    assert_close(ds, df(a), rel=4e-15)


def _compare_with_reference(net, x, y, mask, noise, h0):
    kw = dict(activation=net.config.activation, alpha=net.alpha, sigma_rec=net.config.sigma_rec,
              noise=noise, h0=h0)
    traj = pr.simulate(net, x, h0=h0, noise=noise)
    h_ref, z_ref, _ = reference.forward(net.params, x, **kw)
    assert_close(traj.h, h_ref, name="h")
    assert_close(traj.z, z_ref, name="z")
    reg = dict(l2_weights=0.01, l2_rates=0.1)
    loss, grads = pr.loss_and_grad(net, x, y, mask, h0=h0, noise=noise, **reg)
    loss_ref, grads_ref = reference.loss_and_grad(net.params, x, y, mask, **reg, **kw)
    assert loss == pytest.approx(loss_ref, rel=REL)
    assert list(grads) == list(net.params)
    for k in grads:
        assert_close(grads[k], grads_ref[k], name=k)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("alpha", [1.0, 0.3])
@pytest.mark.parametrize("dale", [None, 0.75])
def test_simulate_and_gradient_match_reference(activation, alpha, dale, rng):
    """One trial, then four in two blocks: noise, a per-trial h0, a partial mask, L2."""
    net = make_net(rng, activation=activation, alpha=alpha, dale=dale, sigma_rec=0.2)
    for n_trials, n_blocks in ((1, 1), (4, 2)):
        assert kernels.trial_blocks(n_trials, net.n_rec) == n_blocks
        x, y, mask = make_data(rng, n_trials, 15, net.n_in, net.n_out)
        noise = rng.standard_normal((n_trials, 15, net.n_rec))
        h0 = 0.5 * rng.standard_normal((n_trials, net.n_rec))
        _compare_with_reference(net, x, y, mask, noise, h0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_parallel_trial_blocks_match_reference(activation, alpha, rng):
    """Enough trials for the kernels to run several blocks of trials in parallel, and
    enough steps for two full stages of the gradient sums and a partial one."""
    n_trials = 70
    net = make_net(rng, n_rec=12, activation=activation, alpha=alpha, sigma_rec=0.2)
    assert kernels.trial_blocks(n_trials, net.n_rec) == 3  # 23, 23 and 24 trials
    n_steps = 2 * kernels._stage_steps(24, net.n_rec, net.n_in, net.n_out) + 5
    x, y, mask = make_data(rng, n_trials, n_steps, net.n_in, net.n_out)
    noise = rng.standard_normal((n_trials, n_steps, net.n_rec))
    h0 = 0.3 * rng.standard_normal(net.n_rec)  # one state for all trials
    _compare_with_reference(net, x, y, mask, noise, h0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_one_trial_and_small_blocks_match_reference(activation, rng):
    """19 units: the loop products' unrolled rows (two groups of 8) and their tail of 3.
    One trial runs the 2-D kernels; three trials, blocks of 1 and 2 that the block
    kernels multiply with the same loops."""
    net = make_net(rng, n_rec=19, activation=activation, alpha=0.3, sigma_rec=0.2)
    for n_trials in (1, 3):
        n_steps = 2 * kernels._stage_steps(2, net.n_rec, net.n_in, net.n_out) + 5
        x, y, mask = make_data(rng, n_trials, n_steps, net.n_in, net.n_out)
        noise = rng.standard_normal((n_trials, x.shape[1], net.n_rec))
        h0 = 0.5 * rng.standard_normal((n_trials, net.n_rec))
        _compare_with_reference(net, x, y, mask, noise, h0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_trial_kernels_compute_what_the_block_kernels_compute(dtype, rng):
    """The 2-D kernels of a single trial against the block kernels run on the same trial
    as a block of one: the same states and gradients up to the order of the sums (the
    input drive and bias are terms of the block kernel's product, passes after the single
    trial's; the gradients are one product instead of stages). The block kernel runs with
    stages of 1, 3 and 7 steps and of its own size: full stages, a partial last one."""
    net = make_net(rng, n_rec=21, alpha=0.4, sigma_rec=0.3, dtype=dtype)
    p, n_steps = net.params, 3 * kernels._stage_steps(1, 21, net.n_in, net.n_out) + 2
    x = rng.standard_normal((n_steps, 1, net.n_in)).astype(dtype)
    xi = rng.standard_normal((1, n_steps, net.n_rec))
    h0 = 0.5 * rng.standard_normal((1, net.n_rec)).astype(dtype)
    kw = dict(alpha=0.4, sigma_rec=0.3, activation="tanh")
    H, DS, Z = (a.copy() for a in kernels.forward(p, x, h0, xi, **kw))
    # the block kernel, called as kernels.forward calls it for a batch of several trials
    t = np.dtype(dtype).type
    noise = np.ascontiguousarray(np.transpose(xi, (1, 0, 2)), dtype=dtype) * t(kernels.noise_scale(0.4, 0.3))
    H_b, DS_b, Z_b = np.empty_like(H), np.empty_like(DS), np.empty_like(Z)
    H_b[0] = h0
    kernels._forward_block(x, kernels._augmented(p, dtype), p["W_out"], p["b_out"], noise, True, t(0.4),
                           1.0 - float(t(0.4)), kernels._ACT_TAGS["tanh"], True, 0, 1, H_b, DS_b, Z_b)
    rel = 1e-13 if dtype == "float64" else 1e-5
    for name, got, want in (("H", H, H_b), ("DS", DS, DS_b), ("Z", Z, Z_b)):
        assert_close(got, want, rel=rel, name=name)
    dz = rng.standard_normal(Z.shape).astype(dtype)
    grads = kernels.backward(p, x, H, DS.copy(), dz, alpha=0.4, rate_scale=0.01)
    names = ("W_in", "W_rec", "b_rec", "W_out", "b_out")
    W_back = np.ascontiguousarray(np.concatenate((p["W_rec"], p["W_out"])))
    DS_in = DS.copy()
    n_rec, n_in = net.n_rec, net.n_in
    for stage in (1, 3, 7, kernels._stage_steps(1, 21, net.n_in, net.n_out)):
        sums = np.zeros((n_rec + net.n_out, n_rec + n_in + 1), dtype=dtype)
        kernels._bptt_block(dz, W_back, t(0.01), t(0.4), t(1 - 0.4), x, H, 0, 1, DS, stage, sums)
        block = (sums[:n_rec, n_rec:-1], sums[:n_rec, :n_rec], sums[:n_rec, -1], sums[n_rec:, :n_rec],
                 sums[n_rec:, -1])  # W_in, W_rec, b_rec, W_out, b_out
        for name, ref in zip(names, block):
            assert_close(grads[name], ref, rel=rel, name=f"{name}, stages of {stage}")
    assert np.array_equal(DS, DS_in)  # the block kernel only reads sigma'(a_t)


def test_gradient_stages_stay_small_products_where_a_step_fits():
    """Stages of the block BPTT: at most 10^6 multiply-adds in their product (n_rec + n_out,
    rows) x (rows, n_rec + n_in + 1) while one step of the block fits, at most 32 steps."""
    for n_block, n_rec, n_in, n_out in ((32, 50, 3, 2), (32, 128, 3, 2), (22, 64, 10, 33), (2, 8, 2, 2)):
        steps = kernels._stage_steps(n_block, n_rec, n_in, n_out)
        madds = (n_rec + n_out) * (n_rec + n_in + 1)
        assert 1 <= steps <= 32
        assert steps * n_block * madds <= kernels._SMALL_PRODUCT < (steps + 1) * n_block * madds or steps == 32
    assert kernels._stage_steps(32, 50, 3, 2) == 11  # 352 rows: 52 x 54 x 352 = 988416
    assert kernels._stage_steps(32, 1000, 3, 2) == kernels._STAGE_STEPS  # no step fits: 512 rows


def test_trial_blocks_depend_only_on_sizes():
    assert kernels.trial_blocks(1, 50) == 1
    assert kernels.trial_blocks(2, 50) == 2
    assert kernels.trial_blocks(31, 50) == 2  # less than a block's worth: cut in two
    assert kernels.trial_blocks(64, 50) == 2
    assert kernels.trial_blocks(65, 50) == 3  # 21, 22 and 22 trials
    assert kernels.trial_blocks(128, 50) == 4
    assert kernels.trial_blocks(64, 1000) == 2
    assert kernels.trial_blocks(20, 1000) == 2


def test_noise_scale():
    assert kernels.noise_scale(0.5, 0.3) == pytest.approx(0.3)
    assert kernels.noise_scale(0.02, 1.0) == pytest.approx(0.2)


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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_update_matches_reference(dtype):
    rng = np.random.default_rng(4)
    p = rng.standard_normal((6, 5)).astype(dtype)
    m, v = np.zeros_like(p), np.zeros_like(p)
    p_ref, m_ref, v_ref = p.astype(float), 0.0, 0.0
    hyper = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    # the kernel runs with the hyperparameters rounded to the dtype; so does the reference
    hyper_ref = {k: float(dtype(v)) for k, v in hyper.items()}
    for t in range(1, 6):
        g = rng.standard_normal((6, 5))
        pr.optim.adam_update(p, g, m, v, t=t, scale=0.5, **hyper)
        p_ref, m_ref, v_ref = reference.adam_step(p_ref, 0.5 * g, m_ref, v_ref, t, **hyper_ref)
    assert p.dtype == dtype
    rel = REL if dtype == np.float64 else 1e-5
    for got, ref in ((p, p_ref), (m, m_ref), (v, v_ref)):
        assert_close(got, ref, rel=rel)


def test_adam_update_on_a_strided_array_updates_it():
    p = np.zeros((4, 6))[:, ::2]  # not contiguous
    m, v = np.zeros_like(p), np.zeros_like(p)
    pr.optim.adam_update(p, np.ones((4, 3)), m, v, t=1, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    np.testing.assert_allclose(p, -0.1, rtol=1e-7)


@pytest.mark.parametrize("n_trials", [1, 5, 40])
def test_outputs_without_states_are_the_outputs_of_simulate(n_trials, rng):
    """Evaluation's forward pass (last two states only, no derivatives) gives bit for bit
    the readouts of the full one, with noise, a per-trial h0 and several blocks."""
    net = make_net(rng, n_rec=12, alpha=0.4, sigma_rec=0.3, output="sigmoid")
    x = rng.standard_normal((n_trials, 23, net.n_in))
    h0 = rng.standard_normal((n_trials, net.n_rec))
    full = pr.simulate(net, x, h0=h0, rng=7)
    outputs = pr.simulation.simulate_outputs(net, x, h0=h0, rng=7)
    assert outputs.h is None
    assert np.array_equal(outputs.readout, full.readout) and np.array_equal(outputs.z, full.z)
    assert not np.array_equal(outputs.z, pr.simulate(net, x, h0=h0, rng=8).z)  # the noise is used


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_runs_the_blocks_with_pools_of_its_own(rng):
    """After the parent has used its thread pool, a forked child (multiprocessing's
    default start on Linux) computes the same outputs instead of waiting for threads
    it does not have."""
    net = make_net(rng, n_rec=12)
    x = rng.standard_normal((40, 9, net.n_in))
    z = pr.simulate(net, x).z  # the parent's pool exists now
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once, whatever happens
        try:
            os.write(w, b"1" if np.array_equal(pr.simulate(net, x).z, z) else b"0")
        finally:
            os._exit(0)
    os.close(w)
    try:
        ready, _, _ = select.select([r], [], [], 60)
        assert ready, "the forked child did not finish in 60 s"
        assert os.read(r, 1) == b"1"
    finally:
        os.close(r)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_the_callers_blas_threads_are_restored_after_the_kernels(rng):
    """The kernels run BLAS on one thread, and give the calling thread back the BLAS
    thread counts it had (each library once, whatever the paths it was found under)."""
    from purernn import _threads

    net = make_net(rng, n_rec=12)
    pr.simulate(net, rng.standard_normal((40, 5, net.n_in)))  # finds the libraries
    before = _threads.serial_blas(3)  # a count of our own, to see it come back
    try:
        during = _threads.serial_blas(1)
        assert during == [3] * len(during)  # each library once: all report the 3 just set
        _threads.restore_blas(during)
        pr.simulate(net, rng.standard_normal((40, 5, net.n_in)))
        after = _threads.serial_blas(1)
        _threads.restore_blas(after)
        assert after == [3] * len(after)
    finally:
        _threads.restore_blas(before)
