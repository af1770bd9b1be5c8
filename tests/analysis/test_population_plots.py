"""The population plots draw on the axes they are given and return them."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import purernn.analysis as A  # noqa: E402
from purernn import plots  # noqa: E402


def test_population_plots_draw_on_given_axes():
    rng = np.random.default_rng(0)
    fig = Figure()
    ax = fig.subplots(2, 3).ravel()
    coords = rng.standard_normal((6, 10, 4)).cumsum(axis=1)
    values = np.array([-50, -5, 5, 50, -15, 15])
    out = plots.plot_axis_trajectories(coords, values, ax[0], names=("choice", "motion", "colour", "context"),
                                       linestyles=["-", "--"] * 3)
    assert out is ax[0] and len(ax[0].lines) >= 6
    pts = rng.standard_normal((5, 4))
    r = rng.standard_normal((5, 4))
    assert plots.plot_line_attractor(pts, r, r[::-1], ax[1], inputs=rng.standard_normal((2, 4)),
                                     input_names=["motion", "colour"], fixed=[1, 0, 0, 0, 1]) is ax[1]
    a = rng.standard_normal((200, 6))
    cv = A.cv_variance(a, a + 0.1 * rng.standard_normal(a.shape), rng=0)
    assert plots.plot_cv_variance(cv, ax[2]) is ax[2]
    assert plots.plot_principal_angles({"a vs b": [0.1, 0.5, 1.2]}, ax[3]) is ax[3]
    D = np.abs(rng.standard_normal((5, 5)))
    D = D + D.T
    np.fill_diagonal(D, 0.0)
    assert plots.plot_distance_matrix(D, ax[4], labels=list("abcde"), groups=["x", "x", "y", "y", "y"],
                                      unit="rad") is ax[4]
    emb = A.mds(D)
    assert plots.plot_embedding(emb.coords, ax[5], classes=["x", "x", "y", "y", "y"], clusters=[0, 0, 1, 1, 1],
                                labels=list("abcde")) is ax[5]
    assert len(ax[5].collections) >= 5
