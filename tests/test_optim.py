"""Adam, clipping, constraint projection and the training step."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

import purernn as pr
from purernn import reference
from purernn.optim import clip_scale, global_norm
from purernn.tasks import Batch

from .conftest import make_data, make_net


def test_adam_two_steps_by_hand():
    params = {"w": np.array([1.0, -2.0, 0.5])}
    g1 = np.array([0.1, -0.3, 0.0])
    g2 = np.array([-0.2, 0.1, 0.4])
    opt = pr.Adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    state = opt.init(params)
    state, _ = opt.update(params, {"w": g1}, state, ["w"])
    # t = 1, by hand: m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2 -> step lr * sign(g)
    expected1 = np.array([1.0, -2.0, 0.5]) - 0.01 * g1 / (np.abs(g1) + 1e-8)
    np.testing.assert_allclose(params["w"], expected1, rtol=1e-14)
    np.testing.assert_allclose(state.m["w"], 0.1 * g1, rtol=1e-14)
    np.testing.assert_allclose(state.v["w"], 0.001 * g1**2, rtol=1e-14)
    state, _ = opt.update(params, {"w": g2}, state, ["w"])
    m2 = 0.9 * 0.1 * g1 + 0.1 * g2
    v2 = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    expected2 = expected1 - 0.01 * (m2 / (1 - 0.9**2)) / (np.sqrt(v2 / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(params["w"], expected2, rtol=1e-14)
    assert state.t == 2
    # and the textbook reference
    p, m, v = reference.adam_step(np.array([1.0, -2.0, 0.5]), g1, 0, 0, 1, lr=0.01)
    p, m, v = reference.adam_step(p, g2, m, v, 2, lr=0.01)
    np.testing.assert_allclose(params["w"], p, rtol=1e-14)


def test_adam_with_clipping_matches_reference():
    """Several clipped steps on several parameters, against the textbook form."""
    rng = np.random.default_rng(0)
    params = {"a": rng.standard_normal((4, 3)), "b": rng.standard_normal(5)}
    ref = {k: (v.copy(), 0.0, 0.0) for k, v in params.items()}
    opt = pr.Adam(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-7, clip_norm=1.0)
    state = opt.init(params)
    for t in range(1, 8):
        grads = {k: 3.0 * rng.standard_normal(v.shape) for k, v in params.items()}
        state, norm = opt.update(params, grads, state, ["a", "b"])
        scale = min(1.0, 1.0 / norm)
        for k, g in grads.items():
            p, m, v = ref[k]
            ref[k] = reference.adam_step(p, scale * g, m, v, t, lr=0.02, beta1=0.8, beta2=0.99, eps=1e-7)
    assert state.t == 7
    for k in params:
        for got, want in zip((params[k], state.m[k], state.v[k]), ref[k]):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.abs(want).max())


def test_clipping_exactly_at_threshold():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[0.0, 4.0]])}  # global norm 5
    assert global_norm(grads, ["a", "b"]) == 5.0
    assert clip_scale(5.0, 5.0) == 1.0  # at the threshold: untouched
    assert clip_scale(5.0, 2.5) == 0.5
    assert clip_scale(5.0, None) == 1.0
    # clipped Adam step at t = 1 is still lr * sign(g); the moments see the clipped gradient
    params = {k: np.zeros_like(v) for k, v in grads.items()}
    opt = pr.Adam(lr=0.1, clip_norm=2.5)
    state, norm = opt.update(params, grads, opt.init(params), ["a", "b"])
    assert norm == 5.0
    np.testing.assert_allclose(state.m["a"], 0.1 * 0.5 * grads["a"])


def test_adam_state_roundtrip():
    net = pr.Network.create(2, 5, 1, seed=0)
    opt = pr.Adam()
    state = opt.init(net.params)
    arrays = state.to_arrays()
    back = pr.AdamState.from_arrays(arrays, net.params)
    assert back.t == 0 and set(back.m) == set(net.params)
    with pytest.raises(pr.ValidationError, match="adam_m_W_rec"):
        pr.AdamState.from_arrays({k: v for k, v in arrays.items() if k != "adam_m_W_rec"}, net.params)


@pytest.mark.parametrize("kwargs", [dict(lr=0.0), dict(beta1=1.0), dict(eps=-1.0), dict(clip_norm=0.0)])
def test_bad_adam_arguments(kwargs):
    with pytest.raises(pr.ValidationError, match=f"`{next(iter(kwargs))}`"):
        pr.Adam(**kwargs)


def _batch(rng, net, n_trials=8, n_steps=20):
    x, y, mask = make_data(rng, n_trials, n_steps, net.n_in, net.n_out)
    return Batch(x, y, mask)


def test_constraints_hold_after_every_step(rng):
    net = make_net(rng, n_rec=20, dale=0.7, conn_prob=0.5, autapses=False, e_only_readout=True)
    opt = pr.Adam(lr=0.05)
    state = opt.init(net.params)
    batch = _batch(rng, net)
    signs = net.config.signs
    for _ in range(10):
        r = pr.train_step(net, batch, opt, state)
        net, state = r.net, r.state
        W = net.params["W_rec"]
        assert np.all(W * signs[None, :] >= 0)
        assert np.all(W[~net.rec_mask] == 0)
        assert np.all(net.params["W_out"][:, net.config.n_exc:] == 0)
    assert r.loss > 0 and r.grad_norm > 0


def test_training_step_lowers_the_loss(rng):
    net = make_net(rng, n_rec=20)
    batch = _batch(rng, net)
    opt = pr.Adam(lr=0.01)
    state = opt.init(net.params)
    losses = []
    for _ in range(30):
        r = pr.train_step(net, batch, opt, state)
        net, state = r.net, r.state
        losses.append(r.loss)
    assert losses[-1] < 0.8 * losses[0]


def test_frozen_parameters_do_not_move(rng):
    net = make_net(rng, trainable=("W_rec", "W_out"))
    opt = pr.Adam(lr=0.01)
    r = pr.train_step(net, _batch(rng, net), opt, opt.init(net.params))
    assert np.array_equal(r.net.params["W_in"], net.params["W_in"])
    assert np.array_equal(r.net.params["b_rec"], net.params["b_rec"])
    assert not np.array_equal(r.net.params["W_rec"], net.params["W_rec"])


def test_divergence_raises_convergence_error(rng):
    net = make_net(rng)
    batch = _batch(rng, net)
    batch = Batch(batch.x, np.full_like(batch.y, 1e200), batch.mask)
    opt = pr.Adam()
    with pytest.raises(pr.ConvergenceError, match="lr"):
        pr.train_step(net, batch, opt, opt.init(net.params))


def test_train_step_validates(rng):
    net = make_net(rng)
    opt = pr.Adam()
    with pytest.raises(pr.ValidationError, match="`state`"):
        pr.train_step(net, _batch(rng, net), opt, None)
    with pytest.raises(pr.ValidationError, match="`batch.x`"):
        pr.train_step(net, Batch(np.zeros((2, 5, 7)), np.zeros((2, 5, 2)), None), opt, opt.init(net.params))


_SCRIPT = """
import hashlib, numpy as np, purernn as pr
from purernn.tasks import Batch
rng = np.random.default_rng(0)
net = pr.Network.create(3, 40, 2, seed=1, sigma_rec=0.1, dale=0.8)
opt = pr.Adam(lr=0.01)
state = opt.init(net.params)
x = rng.standard_normal((40, 50, 3)); y = rng.standard_normal((40, 50, 2))  # 3 trial blocks
noise_rng = np.random.default_rng(2)
for _ in range(10):
    r = pr.train_step(net, Batch(x, y, np.ones_like(y)), opt, state, rng=noise_rng)
    net, state = r.net, r.state
h = hashlib.sha256()
for k, v in net.params.items():
    h.update(np.ascontiguousarray(v).tobytes())
print(h.hexdigest())
"""


def _digest_of_training(threads: int) -> str:
    """The SHA-256 of the parameters after the 10 steps of _SCRIPT, run here on `threads`
    kernel threads (numba.set_num_threads, which the kernels' thread pool follows)."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        out = {}
        exec(_SCRIPT.replace("print(h.hexdigest())", "out['digest'] = h.hexdigest()"), {"out": out})
    finally:
        numba.set_num_threads(before)
    return out["digest"]


@pytest.mark.skipif(__import__("numba").config.NUMBA_NUM_THREADS < 2, reason="needs two threads")
def test_bitwise_identical_for_one_or_two_kernel_threads():
    """In-process variant of the test below: one thread runs every block, or two share them."""
    assert _digest_of_training(1) == _digest_of_training(2)


@pytest.mark.slow
def test_bitwise_identical_for_any_thread_count():
    """Fresh processes with NUMBA_NUM_THREADS and OPENBLAS_NUM_THREADS 1 and 2."""
    digests = set()
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
        out = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True,
                             check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1
    assert len(next(iter(digests))) == 64


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_update_returns_the_global_norm_and_leaves_the_old_state_alone(dtype):
    """The norm of one kernel call over all parameters against NumPy's, with clipping on;
    the state passed in keeps its arrays' values, and an untrained parameter's moments and
    value stay as they were."""
    rng = np.random.default_rng(7)
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in (("a", (4, 3)), ("b", (5,)), ("c", (2, 2)))}
    opt = pr.Adam(lr=0.05, clip_norm=0.5)
    state = opt.init(params)
    for _ in range(3):
        grads = {k: (2.0 * rng.standard_normal(v.shape)).astype(dtype) for k, v in params.items()}
        before = {k: (state.m[k].copy(), state.v[k].copy()) for k in params}
        c_before = params["c"].copy()
        new, norm = opt.update(params, grads, state, ["a", "b"])
        want = np.sqrt(sum(np.sum(grads[k].astype(np.float64) ** 2) for k in ("a", "b")))
        assert norm == pytest.approx(want, rel=1e-12)
        for k in params:
            np.testing.assert_array_equal(state.m[k], before[k][0])
            np.testing.assert_array_equal(state.v[k], before[k][1])
        np.testing.assert_array_equal(params["c"], c_before)
        np.testing.assert_array_equal(new.m["c"], 0.0)
        assert new.m["a"].dtype == dtype and not np.array_equal(new.m["a"], state.m["a"])
        state = new


def test_adam_update_takes_read_only_gradients_and_names_a_wrong_dtype():
    """One kernel call takes one array type: a read-only gradient beside a writable one is
    copied, a moment of another dtype than the parameters is refused by name."""
    p = [np.zeros(3), np.zeros((2, 2))]
    g0 = np.ones(3)
    g0.flags.writeable = False
    hyper = dict(t=1, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    m, v = [np.zeros(3), np.zeros((2, 2))], [np.zeros(3), np.zeros((2, 2))]
    norm = pr.optim.adam_update(p, [g0, np.ones((2, 2))], m, v, **hyper)
    assert norm == pytest.approx(np.sqrt(7.0))
    np.testing.assert_allclose(p[0], -0.1, rtol=1e-7)
    with pytest.raises(pr.ValidationError, match="m_out"):
        pr.optim.adam_update(p, [g0, np.ones((2, 2))], m, v, m_out=[np.zeros(3, np.float32), np.zeros((2, 2))],
                             v_out=[np.zeros(3), np.zeros((2, 2))], **hyper)
    assert pr.optim.adam_update([], [], [], [], **hyper) == 0.0
