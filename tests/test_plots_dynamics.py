"""Plots of intrinsic dynamics (purernn.plots.dynamics) draw on the axes they are given."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import purernn as pr  # noqa: E402
from purernn import plots  # noqa: E402
from purernn import structured as S  # noqa: E402


def test_dynamics_plots_draw_on_given_axes():
    net = pr.Network.create(1, 16, 1, init="normal", gain=2.0, seed=0)
    spec = pr.analysis.lyapunov_spectrum(net, n_exponents=4, n_steps=100, n_discard=20, rng=0)
    fig = Figure()
    axes = fig.subplots(2, 2).ravel()
    assert plots.plot_lyapunov_spectrum([spec, spec], axes[0], labels=["a", "b"]) is axes[0]
    assert len(axes[0].lines) == 3  # the zero line and two spectra
    assert plots.plot_lyapunov_convergence(spec, axes[1], n_show=2) is axes[1]
    g = np.array([0.5, 1.0, 2.0])
    values = np.array([[-0.5, -0.4], [0.0, np.nan], [np.nan, np.nan]])
    assert plots.plot_realizations(g, values, axes[2], label="N = 16", xlabel="g") is axes[2]
    x, y = axes[2].lines[0].get_data()
    np.testing.assert_allclose(x, [0.5, 1.0])  # the point without realizations is left out
    np.testing.assert_allclose(y, [-0.45, 0.0])
    C = S.feedforward_modes(16, g=1.5, J1=1.0, rng=0)
    a = np.random.default_rng(0).standard_normal((50, 16))
    assert plots.plot_mode_activity(np.arange(50) * 0.1, a, C.left[:, 0], axes[3], n_units=3) is axes[3]
    np.testing.assert_allclose(axes[3].lines[-1].get_ydata(), a.mean(axis=1))
