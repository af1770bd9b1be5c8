"""plot_trials draws any task's trials (inputs, targets, mask, output) on a grid."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from purernn.plots import plot_trials  # noqa: E402
from purernn.tasks import make  # noqa: E402


@pytest.mark.parametrize("name", ["xor", "flipflop3", "perceptual_dm"])
def test_plot_trials_one_column_per_condition(name):
    task = make(name)
    batch = task.sample(200, rng=np.random.default_rng(0))
    z = np.zeros_like(batch.y)
    axes = plot_trials(batch, z=z, dt=task.dt, n_per_condition=2, max_conditions=6)
    try:
        n_cond = min(np.unique(batch.info["condition"]).size, 6)
        assert axes.shape == (2, n_cond)
        # top: n_in lines per trial; bottom: target + output lines per output and trial
        assert len(axes[0, 0].lines) == 2 * task.n_in
        assert len(axes[1, 0].lines) == 2 * 2 * task.n_out
        assert len(axes[1, 0].collections) == 1  # the mask shading
        x_end = axes[1, 0].lines[0].get_xdata()[-1]
        assert x_end == (task.n_steps - 1) * task.dt
    finally:
        plt.close(axes[0, 0].figure)


def test_plot_trials_uses_given_axes():
    batch = make("not").sample(10, rng=np.random.default_rng(1))
    fig, given = plt.subplots(2, 2)
    try:
        axes = plot_trials(batch, axes=given)
        assert axes[0, 0] is given[0, 0] and axes[1, 1] is given[1, 1]
        assert len(given[0, 1].lines) == 1
    finally:
        plt.close(fig)
