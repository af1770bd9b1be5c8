"""Plot functions under Agg, and analyze_network end to end on a small network."""

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import purernn as pr  # noqa: E402
import purernn.analysis as A  # noqa: E402
from purernn import plots  # noqa: E402
from purernn.errors import ValidationError  # noqa: E402


@pytest.fixture(scope="module")
def results():
    rng = np.random.default_rng(0)
    task = pr.tasks.make("xor")
    net0 = pr.Network.create(task.n_in, 12, task.n_out, init="normal", dale=0.75, seed=rng)
    p = net0.params
    p["W_rec"] = p["W_rec"] * 1.3
    net = net0.with_params(p)
    batch = task.sample(16, rng=rng)
    act = A.activity(net, batch)
    fps = A.find_fixed_points(net, initial_states=act.h, n_init=32, rng=rng)
    lin = A.linearize(net)
    resp = A.free_response(net, n_steps=256, rng=rng)
    deg = A.degradation(net, task, fractions=[0.0, 0.5], n_draws=2, batch=batch, rng=rng)
    return dict(net0=net0, net=net, act=act, fps=fps, lin=lin, resp=resp, deg=deg)


def test_plot_functions_draw_on_given_axes(results):
    r = results
    fig = Figure()
    axes = fig.subplots(3, 4).ravel()
    s0, s1 = A.spectrum(r["net0"].params["W_rec"]), A.spectrum(r["net"].params["W_rec"])
    assert plots.plot_spectrum(s1, axes[0]) is axes[0]
    assert plots.plot_spectrum(s1.eigenvalues, axes[1]) is axes[1]
    out = plots.plot_spectra_before_after(s0, s1, axes=axes[2:4])
    assert list(out) == list(axes[2:4])
    assert plots.plot_spectra_overlay([s0, s1], axes[4], labels=["a", "b"]) is axes[4]
    w = plots.plot_weight_histograms(A.weight_stats(r["net"]), A.weight_stats(r["net0"]), axes=axes[5:9])
    assert len(w) == 4  # W_in, W_rec_E, W_rec_I, W_out
    fp = r["act"].pca.project(r["fps"].h, 3)
    assert plots.plot_pca_trajectories(r["act"].pcs, r["act"].condition, axes[9], fixed_points=fp,
                                       stable=r["fps"].stable) is axes[9]
    assert plots.plot_variance_explained(r["act"].pca.variance_explained, axes[10],
                                         participation_ratio=r["act"].pca.participation_ratio) is axes[10]
    assert plots.plot_unit_traces(r["act"].h, axes[11], condition=r["act"].condition) is axes[11]
    fig2 = Figure()
    ax = fig2.subplots(1, 3)
    assert plots.plot_degradation(r["deg"], ax[0]) is ax[0]
    out = plots.plot_linearization(r["lin"], r["resp"], axes=ax[1:])
    assert list(out) == list(ax[1:])
    assert len(axes[0].collections) > 0 and len(ax[0].lines) > 0
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_plot_functions_make_their_own_axes():
    try:
        ax = plots.plot_spectrum(np.array([0.5 + 0.5j, 0.5 - 0.5j]))
        assert ax.figure is not None
        axes = plots.plot_linearization(A.linearize(pr.Network.create(1, 3, 1, seed=0)))
        assert len(axes) == 1
    finally:
        plt.close("all")


def test_analyze_network_with_task_writes_figures_and_summary(tmp_path):
    rng = np.random.default_rng(3)
    task = pr.tasks.make("xor")
    net0 = pr.Network.create(task.n_in, 20, task.n_out, init="normal", gain=1.1, seed=rng)
    p = net0.params
    p["W_rec"] = p["W_rec"] + 0.05 * rng.standard_normal((20, 20))
    net = net0.with_params(p)
    out = tmp_path / "figures"
    summary = A.analyze_network(net, task, net_before=net0, out_dir=out, rng=0, quick=True,
                                summary_path=tmp_path / "summary.json")
    for name in ("spectrum.png", "weights.png", "linearization.png", "pca_variance.png",
                 "pca_trajectories.png", "unit_traces.png", "degradation.png"):
        assert (out / name).stat().st_size > 1000
        assert name in summary["figures"]
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == json.loads(json.dumps(summary))
    # the same 32 trials scored independently (the report draws them from its first seed)
    seeds = np.random.default_rng(0).integers(0, 2**62, size=8)
    batch = task.sample(32, rng=np.random.default_rng(seeds[0]))
    z = pr.simulate(net, batch.x).z
    assert summary["accuracy"] == np.mean(task.score(z, batch))
    # quick: the 32 trials are all used by degradation too, so fraction 0 is the accuracy
    assert summary["degradation"]["units"]["baseline"] == summary["accuracy"]
    assert summary["degradation"]["units"]["mean"][0] == summary["accuracy"]
    assert summary["spectrum"]["radius"] > 0 and "spectrum_before" in summary
    fp = summary["fixed_points"]
    assert fp["n_fp"] >= 1 and fp["n_fp"] == sum(fp["counts"].values())
    assert set(summary["linearization"]) >= {"dominant_frequency", "dominant_frequency_small_angle",
                                              "measured_frequency"}


def test_analyze_network_without_task(tmp_path):
    net = pr.Network.create(1, 2, 1, init=2.0 * np.eye(2), seed=0)
    summary = A.analyze_network(net, out_dir=tmp_path, rng=0, quick=True)
    assert summary["fixed_points"]["counts"] == {"stable": 4, "saddle": 4, "unstable": 1, "marginal": 0}
    assert "fixed_points.png" in summary["figures"] and "accuracy" not in summary
    json.dumps(summary)


def test_analyze_network_refuses_a_mismatched_task(tmp_path):
    net = pr.Network.create(3, 5, 1, seed=0)
    with pytest.raises(ValidationError, match="`task`"):
        A.analyze_network(net, pr.tasks.make("xor"), out_dir=tmp_path)
