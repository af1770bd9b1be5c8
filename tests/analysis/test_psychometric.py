"""Psychometric fits against an independent optimizer, and on a hand-built integrator."""

import numpy as np
import pytest
import scipy.optimize
import scipy.stats

import purernn as pr
import purernn.analysis as A
from purernn.errors import ValidationError

LEVELS = np.array([-51.2, -25.6, -12.8, -6.4, -3.2, 0.0, 3.2, 6.4, 12.8, 25.6, 51.2])
CDF = {"logistic": scipy.stats.logistic.cdf, "probit": scipy.stats.norm.cdf}


@pytest.mark.parametrize("model", ["logistic", "probit"])
def test_fit_is_the_maximum_likelihood(model):
    rng = np.random.default_rng(0)
    s = rng.choice(LEVELS, 4000)
    F = CDF[model]
    y = rng.random(s.size) < F(0.3 + 0.12 * s)
    fit = A.fit_psychometric(s, y, model=model)

    def nll(th):
        p = np.clip(F(th[0] + th[1] * s), 1e-300, 1 - 1e-16)
        return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))

    ref = scipy.optimize.minimize(nll, [0.0, 0.05], method="Nelder-Mead",
                                  options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
    np.testing.assert_allclose([fit.a, fit.b], ref.x, rtol=1e-6, atol=1e-8)
    assert fit.threshold == pytest.approx(-fit.a / fit.b)
    # the intervals hold the true values (a seeded draw), and the Hessian of the NLL
    # at the optimum is the information whose inverse is the covariance
    assert fit.ci["b"][0] < 0.12 < fit.ci["b"][1] and fit.ci["a"][0] < 0.3 < fit.ci["a"][1]
    lo, hi = fit.ci["threshold"]
    assert lo < -0.3 / 0.12 < hi
    eps = 1e-4
    H = np.empty((2, 2))
    th = np.array([fit.a, fit.b])
    for i in range(2):
        for j in range(2):
            e_i, e_j = np.eye(2)[i] * eps, np.eye(2)[j] * eps
            H[i, j] = (nll(th + e_i + e_j) - nll(th + e_i - e_j) - nll(th - e_i + e_j)
                       + nll(th - e_i - e_j)) / (4 * eps**2)
    if model == "logistic":  # observed = expected information for the canonical link
        np.testing.assert_allclose(np.linalg.inv(H), fit.cov, rtol=1e-3)
    # per-level counts and the band
    assert fit.n.sum() == 4000 and np.all(fit.p_low <= fit.p) and np.all(fit.p <= fit.p_high)
    b_lo, b_hi = fit.band(LEVELS)
    assert np.all(b_lo <= fit.curve(LEVELS)) and np.all(fit.curve(LEVELS) <= b_hi)


def test_separated_choices_are_flagged_not_infinite():
    s = np.repeat(LEVELS, 50)
    fit = A.fit_psychometric(s, s > 0)
    assert fit.separated and np.isfinite(fit.slope) and fit.slope > 0
    assert fit.curve(51.2) > 0.99 and fit.curve(-51.2) < 0.01
    with pytest.raises(ValidationError, match="`stimulus`"):
        A.fit_psychometric(np.zeros(10), np.ones(10, bool))
    with pytest.raises(ValidationError, match="`model`"):
        A.fit_psychometric(s, s > 0, model="weibull")


def integrator(task, k=0.05):
    """One leaky-integrator unit for the evidence x_0 - x_1 (tanh in its linear range:
    W_rec = 1 makes alpha (tanh(h + k d) - h) ~ alpha k d), read out with a positive gain."""
    net = pr.Network.create(2, 1, 1, init=np.array([[1.0]]), alpha=task.alpha, seed=0)
    p = net.params
    p["W_in"] = np.array([[k, -k]])
    p["W_out"] = np.array([[5.0]])
    return net.with_params(p)


def test_psychometric_of_an_integrator_on_perceptual_dm():
    task = pr.tasks.make("perceptual_dm")
    psy = A.psychometric(integrator(task), task, n_trials=3000, rng=0)
    (c,) = psy.curves
    assert psy.variable == "signed coherence (%)" and c.group == "all trials"
    np.testing.assert_array_equal(c.levels, np.unique(np.concatenate([-LEVELS, LEVELS])))
    assert c.slope > 0 and c.ci["slope"][0] > 0
    assert c.ci["threshold"][0] < 0 < c.ci["threshold"][1]  # unbiased
    assert c.p[0] < 0.02 and c.p[-1] > 0.98  # +-51.2%: always right
    assert abs(c.p[c.levels == 0][0] - 0.5) < 0.12
    # the same trials scored by the task: the accuracy agrees
    ev = pr.evaluate(integrator(task), task, n_trials=3000, rng=0)
    assert abs(psy.accuracy - ev.accuracy) < 0.03
    # a network that reads the evidence backwards has a negative slope
    back = integrator(task, k=-0.05)
    assert A.psychometric(back, task, n_trials=1000, rng=1).curves[0].slope < 0


def test_context_dm_gives_one_curve_per_context_and_other_tasks_refuse():
    task = pr.tasks.make("context_dm")
    net = pr.Network.create(4, 3, 1, alpha=task.alpha, seed=0)
    psy = A.psychometric(net, task, n_trials=400, rng=0)
    assert [c.group for c in psy.curves] == ["context motion", "context colour"]
    assert sum(c.n_trials for c in psy.curves) == 400
    assert A.has_psychometric(task) and not A.has_psychometric(pr.tasks.make("xor"))
    with pytest.raises(ValidationError, match="`task`"):
        A.psychometric(pr.Network.create(2, 3, 1, seed=0), pr.tasks.make("xor"))


def test_cli_evaluate_psychometric(tmp_path, capsys):
    from purernn.cli import main

    run = tmp_path / "run"
    assert main(["train", "perceptual_dm", "--n-steps", "2", "--n-rec", "4", "--no-figures", "--quiet",
                 "--seed", "0", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(run), "--psychometric", "--n-trials", "200", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "psychometric curve (all trials; signed coherence (%); 200 trials)" in out
    assert "logistic fit" in out and "95% CI" in out
    xor = tmp_path / "xor"
    assert main(["train", "xor", "--n-steps", "2", "--n-rec", "4", "--no-figures", "--quiet", "--seed", "0",
                 "--out", str(xor)]) == 0
    assert main(["evaluate", str(xor), "--psychometric"]) == 1
    assert "decision task" in capsys.readouterr().err
