"""analyze_network knows the task: resting state, named conditions, psychometric curve,
fine degradation grid, titles; legends outside the data."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import purernn as pr  # noqa: E402
import purernn.analysis as A  # noqa: E402
from purernn import plots  # noqa: E402
from purernn.analysis.degradation import FINE_FRACTIONS  # noqa: E402

from .test_psychometric import integrator  # noqa: E402


def _outside(fig, ax) -> bool:
    """The legend of `ax` does not overlap the axes (in display coordinates)."""
    fig.canvas.draw()
    leg = ax.get_legend()
    a, b = ax.get_window_extent(), leg.get_window_extent()
    return b.x0 >= a.x1 - 1 or b.y1 <= a.y0 + 1 or b.x1 <= a.x0 + 1 or b.y0 >= a.y1 - 1


def test_report_of_a_decision_task(tmp_path):
    task = pr.tasks.make("perceptual_dm")
    net = integrator(task)
    s = A.analyze_network(net, task, out_dir=tmp_path, rng=0, quick=True, label="integrator", figures=False)
    assert s["title"] == "integrator | task perceptual_dm" and s["figures"] == []
    assert not list(tmp_path.iterdir())  # numbers only
    (curve,) = s["psychometric"]["curves"]
    assert curve["slope"] > 0 and s["psychometric"]["variable"] == "signed coherence (%)"
    assert s["degradation"]["units"]["fractions"] == list(FINE_FRACTIONS)
    # the resting input of perceptual_dm is 0 (fixation); the linearization is taken there
    assert s["resting_state"]["is_fixed_point"] and s["linearization"]["at"] == "resting state"
    assert set(s["timing"]) == {"spectrum_and_weights", "trials_and_activity", "fixed_points",
                                "linearization", "figures", "psychometric", "degradation"}


def test_report_linearizes_a_memory_at_its_stable_points(tmp_path):
    # two bistable units with a bias: 4 stable states, one resting state away from h = 0
    net = pr.Network.create(1, 2, 1, init=2.0 * np.eye(2), seed=0)
    p = net.params
    p["b_rec"] = np.array([0.2, -0.1])
    net = net.with_params(p)
    s = A.analyze_network(net, out_dir=tmp_path, rng=0, quick=True, figures=False)
    rest = s["resting_state"]
    assert rest["is_fixed_point"] and rest["settled"] and rest["norm"] > 1.0  # not the origin
    assert s["linearization"]["stable"] and s["linearization"]["max_modulus"] < 1
    lin = s["fixed_points"]["linearized"]
    assert len(lin) == s["fixed_points"]["counts"]["stable"] == 4
    assert all(m["stable"] and m["max_modulus"] < 1 for m in lin)
    assert s["title"] == "network | no task"
    assert "connectivity_overlaps" not in s  # full rank


def test_conditions_are_named_and_legends_sit_outside():
    task = pr.tasks.make("xor")
    net = pr.Network.create(2, 6, 1, seed=0)
    batch = task.without_noise().sample(40, rng=0)
    act = A.activity(net, batch)
    labels = task.condition_labels(batch)
    assert labels == {0: "A=0 B=0", 1: "A=1 B=0", 2: "A=0 B=1", 3: "A=1 B=1"}
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = plots.plot_pca_trajectories(act.pcs, act.condition, fig.subplots(), labels=labels)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == list(labels.values())
    assert _outside(fig, ax)
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = plots.plot_spectrum(A.spectrum(net.params["W_rec"]), fig.subplots())
    texts = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "unit circle" in texts and "eigenvalues" in texts and "bulk radius" in texts
    assert _outside(fig, ax)
    fig = Figure(figsize=(9, 3), layout="constrained")
    axes = plots.plot_unit_traces(act.h, condition=act.condition, labels=labels, dt=task.dt,
                                  axes=fig.subplots(1, 4))
    assert [a.get_title() for a in axes] == list(labels.values())
    assert axes[0].get_xlabel() == "time (ms)" and len(axes[0].lines) == 4


def test_fine_degradation_grid_with_draws():
    assert FINE_FRACTIONS == (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
    task = pr.tasks.make("xor")
    net = pr.Network.create(2, 40, 1, seed=0)
    batch = task.sample(16, rng=0)
    d = A.degradation(net, task, fractions=FINE_FRACTIONS, mode="units", n_draws=3, batch=batch, rng=0)
    # 0.5% and 1% of 40 units remove none: those draws are the intact network
    np.testing.assert_array_equal(d.accuracy[:3], d.baseline)
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = plots.plot_degradation([d], fig.subplots())
    assert ax.get_xscale() == "symlog" and len(ax.collections) >= 2  # band and draws
    assert _outside(fig, ax)


def test_psychometric_plot_names_the_fit():
    task = pr.tasks.make("perceptual_dm")
    psy = A.psychometric(integrator(task), task, n_trials=600, rng=0)
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = plots.plot_psychometric(psy, fig.subplots())
    texts = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "logistic fit" in texts and "Wilson" in texts
    assert ax.get_xlabel() == "signed coherence (%)" and _outside(fig, ax)


def test_report_of_a_low_rank_network_has_its_overlaps(tmp_path):
    net0 = pr.Network.create(2, 30, 1, rank=2, seed=0)
    p = net0.variables
    p["U"] = p["U"] + 0.5
    net = net0.with_params(p)  # the variables: U and V in place of W_rec
    s = A.analyze_network(net, net_before=net0, out_dir=tmp_path, rng=0, quick=True, figures=False)
    ov, ov0 = s["connectivity_overlaps"], s["connectivity_overlaps_before"]
    ref = A.connectivity_overlaps(net)
    assert ov["rank"] == 2 and ov["basis"] == "factors"
    np.testing.assert_allclose(ov["n_in"], ref.n_in) and np.testing.assert_allclose(ov["m_out"], ref.m_out)
    # nm: the coupling of the kappas, whose eigenvalues are the nonzero eigenvalues of W_rec
    lam = np.linalg.eigvals(net.params["W_rec"])
    lam = lam[np.argsort(-np.abs(lam))[:2]]  # the two nonzero ones
    np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(np.array(ov["nm"]))), np.sort_complex(lam),
                               atol=1e-8)
    assert ov["m_in"] != ov0["m_in"]
