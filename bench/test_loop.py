"""The training loop with and without drawing the next batch ahead (pytest-benchmark).

The loop draws step k+1's batch and noise on a second thread while step k's kernels run
(`purernn.training._Prefetch`). The gain depends on how long a task takes to draw its
batch compared with a step: the twenty rules of ``yang2019`` (64 units, batch 64, dt 40
ms) draw their batch in about as long as the step takes, the seed's flip-flop in a small
fraction of it. The loop times its first batches and steps and draws ahead only where a
draw takes at least ``training.WORTH_AHEAD`` of a step; here each case trains the same
steps twice, forced to draw ahead after that probe and never to, checks that both give
the same network, and prints the ratio of the two times below the step table.

    pytest bench/test_loop.py
"""

import numpy as np
import pytest

import purernn as pr
from purernn import training

from .conftest import NOTES

CASES = {
    "yang2019 (64 units, dt 40 ms, batch 64)": (
        lambda: pr.tasks.make("yang2019", dt=40.0, alpha=0.4, easy_task=True),
        dict(n_rec=64, activation="relu", gain=0.5, alpha=0.4, sigma_rec=0.05, output="sigmoid",
             dtype="float32")),
    "flipflop (50 units, batch 64)": (lambda: pr.tasks.make("flipflop"), dict(n_rec=50)),
}
N_STEPS = 40
_TIMES = {}


def _train(task, net, ahead: bool):
    """Train drawing ahead after the probe (whatever the draw costs), or never."""
    cfg = pr.TrainConfig(n_steps=N_STEPS, batch_size=64, n_valid=64, eval_every=N_STEPS, seed=0,
                         stop_at_criterion=False, loss="mse")
    original = training.WORTH_AHEAD
    training.WORTH_AHEAD = 0.0 if ahead else np.inf
    try:
        return pr.train(net, task, cfg, progress=False)
    finally:
        training.WORTH_AHEAD = original


@pytest.mark.parametrize("ahead", [True, False], ids=["ahead", "in-step"])
@pytest.mark.parametrize("case", list(CASES))
def test_loop(benchmark, case, ahead):
    make_task, kw = CASES[case]
    task = make_task()
    net = pr.default_network(task, seed=0, **kw)
    _train(task, net, ahead)  # compiles (or loads) the kernels
    result = benchmark.pedantic(_train, args=(task, net, ahead), rounds=3, iterations=1)
    other = _train(task, net, not ahead)
    for name, value in result.net.variables.items():  # drawing ahead changes nothing
        assert np.array_equal(value, other.net.variables[name]), name
    if benchmark.stats is None:  # --benchmark-disable: checked, not timed
        return
    _TIMES[(case, ahead)] = benchmark.stats.stats.median
    if (case, not ahead) in _TIMES:
        t_ahead, t_in = _TIMES[(case, True)], _TIMES[(case, False)]
        NOTES.append(f"training loop, {case}: {1e3 * t_in / N_STEPS:.1f} ms per step drawing each "
                     f"batch in its step, {1e3 * t_ahead / N_STEPS:.1f} ms drawing ahead (x{t_in / t_ahead:.2f})")
