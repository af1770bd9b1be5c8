"""purernn against PyTorch (eager) and JAX (jit + lax.scan + optax): one full training step.

    pytest bench/test_peers.py          # all sizes, float64 and float32, then the table
    pytest bench -k "peers and 50-400-64"

For each size and dtype the three systems run one after the other (purernn, torch, jax),
so their ratios are measured under the same load. Before a peer is timed, its first step
is checked against :func:`purernn.loss_and_grad` (loss and all five gradients); that
first call, which also compiles (JAX) or loads the compiled kernels (purernn), is timed
separately and excluded from the rounds. A peer whose library is not installed is
skipped: PyTorch, JAX and optax are never dependencies of purernn. The last tests time
purernn's first call in a fresh process, with the on-disk kernel cache and with an empty
one (compiling from scratch, as on a new install).
"""

import os
import time

import numpy as np
import pytest

from . import peers
from .conftest import PEERS, PEER_NOTES, blas_peak
from .numpy_step import numpy_loss_and_grad
from .test_step import SIZES

SKIP = {"torch": ("torch",), "jax": ("jax", "optax")}
CASES = [(size, dtype, system) for size in SIZES for dtype in ("float64", "float32") for system in peers.SYSTEMS]


def _id(case):
    size, dtype, system = case
    return "-".join(map(str, size)) + f"-{dtype}-{system}"


def _need(system):
    for module in SKIP.get(system, ()):
        pytest.importorskip(module, reason=f"{module} is not installed: the {system} peer is optional "
                                           f"(never a purernn dependency)")


def _env():
    return {"versions": peers.versions()}


def test_check_rejects_a_different_model():
    """The check before timing fails for a peer that computes a slightly different model."""
    _need("torch")
    net, batch = peers.problem((8, 20, 3), "float64")
    peer = peers.TorchPeer(net, batch)
    loss = peer.step()
    assert peers.check_against(net, batch, loss, peer.grads())[1] < 1e-12
    wrong = peers.TorchPeer(net, batch)
    wrong.alpha = 0.21  # dt / tau off by 5%
    loss = wrong.step()
    with pytest.raises(AssertionError, match="differs from purernn"):
        peers.check_against(net, batch, loss, wrong.grads())


def test_jax_check_rejects_a_different_model():
    _need("jax")
    net, batch = peers.problem((8, 20, 3), "float32")
    peer = peers.JaxPeer(net, batch)
    loss = peer.step()
    assert peers.check_against(net, batch, loss, peer.grads())[1] < 1e-5
    grads = peer.grads()
    grads["b_out"] = grads["b_out"] * 1.01
    with pytest.raises(AssertionError, match="gradient of b_out"):
        peers.check_against(net, batch, loss, grads)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_peer_step(benchmark, case):
    size, dtype, system = case
    _need(system)
    net, batch = peers.problem(size, dtype)
    t0 = time.perf_counter()
    peer = peers.PEER_CLASSES[system](net, batch)
    loss = peer.step()  # the first call: excluded from the rounds
    first_s = time.perf_counter() - t0
    row = dict(system=system, dtype=dtype, size=size, first_s=first_s, env=_env(), load=os.getloadavg()[0])
    if system == "purernn":
        # checked against the plain-NumPy step (an independent implementation)
        ref_loss, _ = numpy_loss_and_grad({k: np.asarray(v, dtype=float) for k, v in net.params.items()},
                                          batch.x, batch.y, batch.mask, net.alpha)
        assert loss == pytest.approx(ref_loss, rel=peers.TOLERANCE[dtype])
    else:
        row["loss_err"], row["grad_err"] = peers.check_against(net, batch, loss, peer.grads())
        row["compile_s"] = getattr(peer, "compile_seconds", None)
    if system == "torch":
        row["thread_s"] = peer.pick_threads()
        row["threads"] = peer.threads
    rounds = 3 if size[0] >= 1000 else 5 if size[0] >= 256 else 10
    benchmark.pedantic(peer.step, rounds=rounds, iterations=1, warmup_rounds=1)
    row["ms"] = benchmark.stats.stats.median * 1e3
    # measured after the timing (NumPy's BLAS threads spin for a while after a big
    # product), again after each size and dtype, keeping the highest
    blas_peak(dtype, remeasure=system == peers.SYSTEMS[-1])
    benchmark.extra_info.update({k: v for k, v in row.items() if k != "env"})
    PEERS.append(row)


@pytest.mark.parametrize("cache", ["on-disk-cache", "empty-cache"])
def test_purernn_first_call_fresh_process(cache, tmp_path):
    """What a user waits for: a new Python process's first steps (seed's size, both dtypes)."""
    out = peers.fresh_process_first_call(SIZES[0], cache_dir=tmp_path / "numba" if cache == "empty-cache" else None)
    for dtype in ("float64", "float32"):
        assert out[f"{dtype}_first_s"] >= out[f"{dtype}_second_s"] > 0
    what = ("Numba cache as found (loading the compiled kernels)" if cache == "on-disk-cache"
            else "empty NUMBA_CACHE_DIR (compiling every kernel)")
    PEER_NOTES.append(f"purernn in a fresh process, {what}, size {SIZES[0]}: import {out['import_s']:.2f} s; "
                      f"first step float64 {out['float64_first_s']:.2f} s (next {out['float64_second_s'] * 1e3:.0f} ms), "
                      f"float32 {out['float32_first_s']:.2f} s (next {out['float32_second_s'] * 1e3:.0f} ms); "
                      f"whole process {out['process_s']:.1f} s")
