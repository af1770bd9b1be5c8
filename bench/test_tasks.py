"""How long a task takes to draw 1000 trials (pytest-benchmark; run with ``pytest bench``).

Sampling is NumPy only and vectorized over trials; a training step at the seed's size
costs tens of milliseconds, so a task that draws its batch in more than that would
dominate training. Each benchmark also checks what it drew.
"""

import numpy as np
import pytest

from purernn.tasks import TASKS, make


@pytest.mark.parametrize("name", sorted(TASKS))
def test_sample_1000_trials(benchmark, name):
    task = make(name)
    task.sample(10, rng=0)  # warm-up
    batch = benchmark(task.sample, 1000, np.random.default_rng(0))
    n_trials, n_steps, n_in = batch.x.shape
    # a task whose trials differ in length (yang2019) draws a batch as long as its longest
    assert (n_trials, n_in) == (1000, task.n_in) and 0 < n_steps <= task.n_steps
    assert np.all(np.isfinite(batch.x)) and np.all(batch.mask >= 0)
