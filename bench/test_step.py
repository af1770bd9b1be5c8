"""One full training step (forward + BPTT + Adam), compile time excluded.

    pytest bench                # all sizes, both dtypes, and the NumPy peer
    pytest bench -k "50-400-64" # the seed's size only

FLOPs per step ~ 6 n_trials n_rec^2 n_steps (three n_rec x n_rec products per trial and
step: forward, BPTT and the W_rec gradient); each result is also reported as a fraction
of the BLAS matmul throughput measured in the same run.
"""

import numpy as np
import pytest

import purernn as pr
from purernn.tasks import Batch

from .conftest import RESULTS, blas_peak
from .numpy_step import numpy_adam, numpy_loss_and_grad

SIZES = [(50, 400, 64), (50, 400, 1), (256, 200, 64), (1000, 100, 64)]
N_IN, N_OUT = 3, 2


def _problem(n_rec, n_steps, n_trials, dtype, seed=0):
    rng = np.random.default_rng(seed)
    net = pr.Network.create(N_IN, n_rec, N_OUT, init="orthogonal", gain=0.95, dtype=dtype, seed=seed)
    x = rng.standard_normal((n_trials, n_steps, N_IN))
    y = rng.standard_normal((n_trials, n_steps, N_OUT))
    mask = (rng.random((n_trials, n_steps, N_OUT)) < 0.5).astype(float)
    return net, Batch(x, y, mask)


def _record(benchmark, variant, dtype, size, base_ms=None):
    n_rec, n_steps, n_trials = size
    ms = benchmark.stats.stats.median * 1e3
    gflops = 6 * n_trials * n_rec**2 * n_steps / (ms * 1e-3) / 1e9
    peak = blas_peak(dtype)
    row = dict(variant=variant, dtype=dtype, n_rec=n_rec, n_steps=n_steps, n_trials=n_trials, ms=ms,
               gflops=gflops, frac_peak=gflops / peak)
    RESULTS.append(row)
    benchmark.extra_info.update(row)
    return row


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_train_step(benchmark, dtype, size):
    n_rec, n_steps, n_trials = size
    net, batch = _problem(n_rec, n_steps, n_trials, dtype)
    opt = pr.Adam(lr=1e-3)
    state = opt.init(net.params)
    first = pr.train_step(net, batch, opt, state)  # warm-up: compiles (or loads) the kernels
    rounds = 3 if n_rec >= 1000 else 20
    # the BLAS peak is measured after the timing (in _record): NumPy's BLAS threads keep
    # spinning for a while after a large product and would slow the first rounds
    result = benchmark.pedantic(pr.train_step, args=(net, batch, opt, state), rounds=rounds,
                                iterations=1, warmup_rounds=2)
    # the timed step computes what the reference does
    loss_ref, _ = numpy_loss_and_grad({k: v.astype(float) for k, v in net.params.items()},
                                      batch.x, batch.y, batch.mask, net.alpha)
    tol = 1e-12 if dtype == "float64" else 1e-4
    assert result.loss == pytest.approx(loss_ref, rel=tol)
    assert np.array_equal(result.net.params["W_rec"], first.net.params["W_rec"])
    _record(benchmark, "purernn", dtype, size)


@pytest.mark.parametrize("size", [(50, 400, 64)], ids=lambda s: "-".join(map(str, s)))
def test_numpy_peer_step(benchmark, size):
    """The same step in plain NumPy (loop over time, trials vectorized), float64."""
    n_rec, n_steps, n_trials = size
    net, batch = _problem(n_rec, n_steps, n_trials, "float64")
    p0 = {k: np.array(v) for k, v in net.params.items()}

    def step():
        p = dict(p0)
        loss, g = numpy_loss_and_grad(p, batch.x, batch.y, batch.mask, net.alpha)
        m = {k: np.zeros_like(v) for k, v in p.items()}
        v = {k: np.zeros_like(v) for k, v in p.items()}
        numpy_adam(p, g, m, v, 1)
        return loss, g

    loss, g = benchmark.pedantic(step, rounds=5, iterations=1, warmup_rounds=1)
    ref_loss, ref_g = pr.loss_and_grad(net, batch.x, batch.y, batch.mask)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(g["W_rec"], ref_g["W_rec"], rtol=0, atol=1e-12 * np.abs(ref_g["W_rec"]).max())
    row = _record(benchmark, "numpy loop", "float64", size)
    ours = [r for r in RESULTS if r["variant"] == "purernn" and r["n_rec"] == n_rec and r["n_steps"] == n_steps
            and r["n_trials"] == n_trials]
    for r in ours:
        r["speedup"] = row["ms"] / r["ms"]
