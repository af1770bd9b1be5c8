"""The task-variance plots draw named rules and clusters on the axes they are given."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from purernn import plots  # noqa: E402
from purernn.analysis import RULE_NAMES  # noqa: E402

RULES = ("fdgo", "fdanti", "dm1")


def test_taskvariance_plots_draw_on_given_axes():
    rng = np.random.default_rng(0)
    fig = Figure()
    ax = fig.subplots(2, 3).ravel()
    labels = np.array([0, 0, 1, 1, 1, 2])
    out = plots.plot_task_variance_map(rng.random((6, 3)), labels, RULES, ax[0], names=RULE_NAMES)
    assert out is ax[0]
    assert [t.get_text() for t in ax[0].get_yticklabels()] == ["Go", "Anti", "DM 1"]
    assert {t.get_text() for t in ax[0].texts} == {"1", "2", "3"}  # the clusters, from 1
    assert plots.plot_cluster_summary(rng.random((3, 3)), RULES, ax[1], names=RULE_NAMES, sizes=[2, 3, 1]) is ax[1]
    assert [t.get_text() for t in ax[1].get_xticklabels()] == ["1\n(2)", "2\n(3)", "3\n(1)"]
    assert plots.plot_silhouette_scores({2: 0.3, 3: 0.5, 4: 0.4}, ax[2], chosen=3) is ax[2]
    change = np.array([[-0.6, 0.0, 0.1], [0.0, -0.9, 0.0], [0.0, 0.0, 0.0]])
    assert plots.plot_lesion_effects(change, RULES, ax[3], names=RULE_NAMES) is ax[3]
    assert ax[3].images[0].get_clim() == (-0.9, 0.9)  # symmetric, the largest change
    assert plots.plot_ftv_histogram([rng.uniform(-1, 1, 50), [1.0, -1.0]], ax[4], pair=("Go", "Anti")) is ax[4]
    assert ax[4].get_xlabel() == "FTV(Go, Anti)" and len(ax[4].lines) == 2
    acc = np.array([[1.0, 0.1, 0.8], [0.9, 0.2, 0.7]])
    assert plots.plot_composition(["Anti", "Go", "Go + Dly Anti - Dly Go"], acc, ax[5], rule_name="Anti") is ax[5]
    assert ax[5].patches[0].get_width() == np.median(acc[:, 0])
