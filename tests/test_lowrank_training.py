"""Low-rank networks, W_rec = U V^T / n_rec: the factors' gradient (finite differences and
reference.py), training, and run files (save, load, resume bit for bit)."""

import numpy as np
import pytest

import purernn as pr
from purernn import reference
from purernn.model import LOWRANK_NAMES

from .conftest import make_data, make_net
from .train_helpers import tiny_config, tiny_task

EPS = 1e-6


def _ref_kw(net, noise):
    cfg = net.config
    return dict(activation=cfg.activation, alpha=cfg.alpha, sigma_rec=cfg.sigma_rec, noise=noise)


@pytest.mark.parametrize("rank, alpha", [(1, 1.0), (2, 0.3)])
def test_factor_gradients_match_finite_differences(rng, rank, alpha):
    net = make_net(rng, n_in=2, n_rec=6, n_out=2, alpha=alpha, sigma_rec=0.1, rank=rank)
    assert net.config.rank == rank and sorted(net.factors) == ["U", "V"]
    x, y, mask = make_data(rng, 3, 12, 2, 2)  # partial mask
    noise = rng.standard_normal((3, 12, 6))
    reg = dict(l2_weights=0.03, l2_rates=0.2)
    loss, grads = pr.loss_and_grad(net, x, y, mask, noise=noise, **reg)
    variables = net.variables
    assert tuple(variables) == LOWRANK_NAMES
    worst, n_checked = 0.0, 0
    for name, value in variables.items():
        for idx in np.ndindex(value.shape):
            def f(delta):
                p = {k: np.array(v) for k, v in variables.items()}
                p[name][idx] += delta
                return pr.loss_and_grad(net.with_params(p), x, y, mask, noise=noise, **reg)[0]

            fd = (f(EPS) - f(-EPS)) / (2 * EPS)
            g = grads[name][idx]
            worst = max(worst, abs(fd - g) / max(abs(fd), abs(g), 1e-7))
            n_checked += 1
    assert n_checked == 2 * 6 + 2 * 6 * rank + 6 + 2 * 6 + 2
    assert worst < 1e-6
    # and the plain-NumPy oracle, which forms W_rec and the chain rule on its own
    ref_loss, ref_grads = reference.loss_and_grad(variables, x, y, mask, h0=None, **_ref_kw(net, noise), **reg)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for k in LOWRANK_NAMES + ("W_rec",):
        np.testing.assert_allclose(grads[k], ref_grads[k], rtol=1e-10, atol=1e-14, err_msg=k)


def test_effective_matrix_is_the_product_and_analysis_reads_it(rng):
    net = pr.Network.create(3, 40, 2, rank=2, init="normal", seed=1)
    U, V = net.factors["U"], net.factors["V"]
    W = net.params["W_rec"]
    np.testing.assert_allclose(W, U @ V.T / 40, rtol=1e-14)
    assert np.linalg.matrix_rank(W) == 2 and not W.flags.writeable
    # its two nonzero eigenvalues are those of V^T U / n_rec
    eig = pr.analysis.spectrum(W).eigenvalues
    top = eig[np.argsort(-np.abs(eig))[:2]]
    np.testing.assert_allclose(np.sort_complex(top), np.sort_complex(np.linalg.eigvals(V.T @ U / 40)),
                               atol=1e-12)
    # a simulated trajectory uses the product
    x = rng.standard_normal((2, 5, 3))
    traj = pr.simulate(net, x)
    h, z, _ = reference.forward(net.variables, x)
    np.testing.assert_allclose(traj.h, h, rtol=1e-12, atol=1e-14)


def test_orthogonal_factors_keep_the_spectral_radius_and_float32():
    """init="orthogonal": W_rec = gain Q O Q^T, so its nonzero eigenvalues have modulus gain
    (as the full-rank orthogonal init's); "normal" gives small ones, ~gain^2 / sqrt(n_rec)."""
    net = pr.Network.create(1, 30, 1, rank=3, init="orthogonal", gain=1.5, dtype="float32", seed=0)
    U, V = net.factors["U"], net.factors["V"]
    assert U.dtype == np.float32 and net.params["W_rec"].dtype == np.float32
    np.testing.assert_allclose(U.T @ U, 1.5 * 30 * np.eye(3), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(V.T @ U / 30)), 1.5, rtol=1e-5)
    ident = pr.Network.create(1, 30, 1, rank=2, init="identity", gain=1.2, seed=0)  # a projector
    np.testing.assert_allclose(np.linalg.eigvals(ident.factors["V"].T @ ident.factors["U"] / 30), 1.2)
    normal = pr.Network.create(1, 400, 1, rank=2, init="normal", seed=0)
    assert np.abs(np.linalg.eigvals(pr.analysis.connectivity_overlaps(normal).nm)).max() < 0.3


def test_trainable_names_and_conversions():
    net = pr.Network.create(2, 10, 1, rank=1, seed=0, trainable=("W_rec", "W_out"))
    assert net.config.trainable == ("U", "V", "W_out")
    assert pr.Network.create(2, 10, 1, rank=1, seed=0, trainable=("V",)).config.trainable == ("V",)
    p = net.params
    p["b_rec"] = np.ones(10)
    same = net.with_params(p)  # W_rec unchanged: still low rank, factors kept
    assert same.config.rank == 1 and np.array_equal(same.factors["U"], net.factors["U"])
    lesioned = pr.analysis.lesion(net, 0.5, mode="connections", rng=0)  # a changed W_rec
    assert lesioned.config.rank is None and lesioned.config.trainable == ("W_rec", "W_out")
    full = net.full_rank()
    assert full.config.rank is None and np.array_equal(full.params["W_rec"], net.params["W_rec"])
    back = pr.Network.from_params(net.variables)
    assert back.config.rank == 1 and np.array_equal(back.params["W_rec"], net.params["W_rec"])


@pytest.mark.parametrize("kw, match", [
    (dict(dale=0.8), "`dale` must be None when rank is set"),
    (dict(conn_prob=0.5), "`conn_prob` must be 1.0 when rank is set"),
    (dict(autapses=False), "`autapses` must be True when rank is set"),
    (dict(init=np.eye(10)), "`init` must be 'normal', 'orthogonal' or 'identity' when rank is set"),
    (dict(rank=11), "`rank` must be an integer <= 10"),
])
def test_what_a_low_rank_network_refuses(kw, match):
    with pytest.raises(pr.ValidationError, match=match):
        pr.Network.create(2, 10, 1, **{"rank": 1, **kw})
    with pytest.raises(pr.ValidationError, match="`trainable` must be one of"):
        pr.Network.create(2, 10, 1, trainable=("U",))  # no factors without a rank
    with pytest.raises(pr.ValidationError, match="give U and V"):
        pr.Network(pr.Network.create(2, 10, 1, rank=1).config, pr.Network.create(2, 10, 1).params)


def test_a_training_step_moves_the_factors_and_keeps_the_product(rng):
    task = tiny_task("xor")
    net = pr.default_network(task, seed=0, n_rec=16, rank=2)
    opt = pr.optim.Adam(lr=1e-2)
    state = opt.init(net.variables)
    batch = task.sample(8, rng=0)
    res = pr.train_step(net, batch, opt, state)
    for k in ("U", "V", "W_in"):
        assert not np.array_equal(res.net.variables[k], net.variables[k]), k
    U, V = res.net.factors["U"], res.net.factors["V"]
    np.testing.assert_allclose(res.net.params["W_rec"], U @ V.T / 16, rtol=1e-14)
    assert sorted(res.state.m) == sorted(LOWRANK_NAMES)


def _stop_at(step):
    def cb(event):
        if event.step == step:
            raise KeyboardInterrupt
    return cb


def test_low_rank_runs_save_load_and_resume_bit_for_bit(tmp_path):
    task = tiny_task("xor")
    cfg = tiny_config(n_steps=30, eval_every=7, checkpoint_every=10, stop_at_criterion=False, seed=3)
    net = pr.default_network(task, seed=3, n_rec=16, rank=2)
    whole = pr.train(net, task, cfg, progress=False, run_dir=tmp_path / "whole")
    pr.train(net, task, cfg, progress=False, run_dir=tmp_path / "part", callbacks=[_stop_at(17)])
    resumed = pr.resume(tmp_path / "part", progress=False)
    loaded = pr.load_run(tmp_path / "whole")
    for other in (resumed, loaded):
        assert other.net.config == whole.net.config and other.net.config.rank == 2
        for k in LOWRANK_NAMES:
            assert np.array_equal(other.net.variables[k], whole.net.variables[k]), k
        assert np.array_equal(other.net.params["W_rec"], whole.net.params["W_rec"])
        assert np.array_equal(other.history["loss"], whole.history["loss"])
    assert np.array_equal(loaded.optimizer_state.v["U"], whole.optimizer_state.v["U"])
    with np.load(tmp_path / "whole" / "params.npz", allow_pickle=False) as z:
        assert {"U", "V", "W_rec", "init_U", "init_V"} <= set(z.files)  # W_rec for readers


def test_rank_one_network_learns_tiny_and():
    """The fast variant of the slow test below: 16 units, 30-step AND trials (measured:
    criterion at step 40 with lr 1e-2)."""
    task = tiny_task("and")
    net = pr.default_network(task, seed=0, n_rec=16, rank=1)
    result = pr.train(net, task, tiny_config(n_steps=300), progress=False)
    assert result.reached_criterion and result.stop_reason == "criterion", (result.val_accuracy, result.n_steps)


@pytest.mark.slow
def test_rank_one_network_reaches_criterion_on_the_seed_and_gate():
    """The task's own defaults (50 units, 200-step trials, lr 1e-3) with rank=1: measured
    criterion at step 125 (a full-rank network: 75)."""
    task = pr.tasks.make("and")
    net = pr.default_network(task, seed=0, rank=1)
    result = pr.train(net, task, pr.default_train_config("and", seed=0), progress=False)
    assert result.reached_criterion and result.n_steps <= 500, (result.val_accuracy, result.n_steps)
    assert np.linalg.matrix_rank(result.net.params["W_rec"]) == 1


def test_configurations_written_before_rank_existed_still_load():
    """A network entry without "rank" (run.json written before low-rank networks; run files
    build the configuration as NetworkConfig(**entry)) is a full-rank network."""
    cfg = pr.default_network(tiny_task("xor"), seed=0, n_rec=8).config
    old = {k: v for k, v in cfg.to_dict().items() if k != "rank"}
    assert pr.NetworkConfig(**old) == cfg and cfg.rank is None
