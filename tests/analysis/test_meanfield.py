"""Mean-field theory of rank-one networks: quadrature, known answers, the paper's values,
and finite networks simulated directly."""

import numpy as np
import pytest
from scipy.integrate import quad

import purernn as pr
from purernn.analysis import meanfield as mf

NO_STRUCTURE = dict(M_m=0.0, M_n=0.0, sigma_m=0.0, sigma_n=0.0)


def _quad_mean(f, mu, delta):
    """[f] by adaptive quadrature: an independent check of the Gauss-Hermite rule."""
    dens = lambda z: np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)  # noqa: E731
    return quad(lambda z: f(mu + np.sqrt(delta) * z) * dens(z), -12, 12, epsabs=1e-13,
                epsrel=1e-13, limit=400)[0]


def test_gaussian_mean_known_moments_and_quadrature():
    assert mf.gaussian_mean(lambda x: x**4, 0.5, 2.0) == pytest.approx(0.5**4 + 6 * 0.25 * 2 + 3 * 4)
    # 200 nodes resolve tanh(mu + sqrt(delta) z) to ~1e-9 for delta <= 2, ~1e-6 at delta = 5
    for mu, delta, tol in ((0.0, 0.3, 1e-10), (0.7, 2.0, 1e-8), (-1.3, 5.0, 1e-5)):
        for f in (np.tanh, lambda x: np.tanh(x) ** 2, lambda x: (1 - np.tanh(x) ** 2) ** 2):
            assert mf.gaussian_mean(f, mu, delta) == pytest.approx(_quad_mean(f, mu, delta), abs=tol)


def test_without_structure_the_chaos_boundary_is_g_1():
    assert mf.phase(mf.RankOneStats(g=0.95, **NO_STRUCTURE)) == "homogeneous stationary"
    assert mf.phase(mf.RankOneStats(g=1.05, **NO_STRUCTURE)) == "homogeneous chaotic"
    assert mf.chaotic_solutions(mf.RankOneStats(g=0.99, **NO_STRUCTURE)) == ()
    # the chaotic variance grows continuously from 0 at g = 1
    d = [mf.scs_delta0(g) for g in (1.0, 1.01, 1.05, 1.2)]
    assert d[0] == 0.0 and 0.0 < d[1] < 0.05 and d[1] < d[2] < d[3]
    (sol,) = mf.stationary_solutions(mf.RankOneStats(g=0.7, **NO_STRUCTURE))
    assert sol.kappa == 0.0 and sol.delta0 == pytest.approx(0.0, abs=1e-12)
    assert sol.radius == pytest.approx(0.7) and sol.stable
    # weak structure (overlap < 1) keeps the random network's onset
    assert mf.chaos_onset(mf.RankOneStats(g=1.0, M_n=0.5)) == 1.0


@pytest.mark.parametrize("rho, M_n", [(0.0, 2.0), (0.6, 0.4)])
def test_stationary_kappa_solves_its_own_equations(rho, M_n):
    stats = mf.RankOneStats(g=0.6, M_m=1.1, M_n=M_n, sigma_m=1.0, sigma_n=1.5, rho=rho)
    sols = mf.stationary_solutions(stats)
    assert [s.kappa == 0.0 for s in sols] == [False, True, False]  # +-kappa and 0
    s = sols[-1]
    assert sols[0].kappa == pytest.approx(-s.kappa) and s.stable
    phi, dphi = np.tanh, lambda x: 1 - np.tanh(x) ** 2
    kappa = M_n * _quad_mean(phi, s.mu, s.delta0) + stats.sigma_mn * s.kappa * _quad_mean(dphi, s.mu, s.delta0)
    delta0 = stats.g**2 * _quad_mean(lambda x: phi(x) ** 2, s.mu, s.delta0) + s.kappa**2
    assert kappa == pytest.approx(s.kappa, rel=1e-7)
    assert delta0 == pytest.approx(s.delta0, rel=1e-7)
    assert s.mu == pytest.approx(1.1 * s.kappa)


def test_heterogeneous_fixed_points_appear_at_overlap_1():
    for rho, M_n in ((0.0, 1.0 / 1.1), (0.5, 0.0)):  # the mean overlap, or a correlation
        stats = mf.RankOneStats(g=0.5, M_n=M_n, rho=rho, sigma_n=1.0 if rho == 0 else 2.0)
        below, above = stats.with_overlap(0.95), stats.with_overlap(1.05)
        assert [s.kappa for s in mf.stationary_solutions(below)] == [0.0]
        assert mf.phase(below) == "homogeneous stationary"
        assert len(mf.stationary_solutions(above)) == 3
        assert mf.phase(above) == "heterogeneous stationary"


def test_the_papers_figure_1_boundaries():
    """Fig. 1C of Mastrogiuseppe & Ostojic (overlap 2.2): the fixed points turn chaotic at
    g = 1.796 and the heterogeneous chaos collapses onto kappa = 0 at g = 2.136 (the values
    in the authors' published code)."""
    stats = mf.RankOneStats(g=1.796)
    (pos,) = [s for s in mf.stationary_solutions(stats) if s.kappa > 0]
    assert pos.radius == pytest.approx(1.0, abs=2e-3)
    assert mf.chaotic_bifurcation(2.136) == pytest.approx(2.2, abs=3e-3)
    assert mf.phase(stats.replace(g=1.7)) == "heterogeneous stationary"
    assert mf.phase(stats.replace(g=2.0)) == "heterogeneous chaotic"
    assert mf.phase(stats.replace(g=2.3)) == "homogeneous chaotic"


def _rank_one(rng, n, g, M_m=1.1, M_n=2.0):
    """W = g chi + m n^T / N with m, n standardized to the target statistics (sigma 1,
    fluctuations uncorrelated), so the finite network has the theory's overlap."""
    z = rng.standard_normal((n, 2))
    z -= z.mean(0)
    z[:, 1] -= z[:, 0] * (z[:, 0] @ z[:, 1]) / (z[:, 0] @ z[:, 0])
    z /= z.std(0)
    m, nv = M_m + z[:, 0], M_n + z[:, 1]
    return g * rng.standard_normal((n, n)) / np.sqrt(n) + np.outer(m, nv) / n, nv


def test_stationary_delta0_matches_a_simulated_network_through_simulate():
    """The pre-activation a = W_rec h of purernn's model is the paper's x: its fixed
    point has the theory's kappa and Delta_0 (N = 1000, alpha = 1: same fixed points)."""
    rng = np.random.default_rng(3)
    n = 1000
    W, nv = _rank_one(rng, n, 0.5)
    net = pr.Network.from_params({"W_in": np.zeros((n, 1)), "W_rec": W, "b_rec": np.zeros(n),
                                  "W_out": np.zeros((1, n)), "b_out": np.zeros(1)})
    h = pr.simulate(net, np.zeros((1, 60, 1)), h0=np.full(n, 0.5)).h[0]
    a = h[-1] @ W.T
    theory = mf.stationary_solutions(mf.RankOneStats(g=0.5))[-1]
    assert np.abs(h[-1] - h[-2]).max() < 1e-8  # at the fixed point
    assert nv @ np.tanh(a) / n == pytest.approx(theory.kappa, rel=0.03)
    assert np.var(a) == pytest.approx(theory.delta0, rel=0.03)


@pytest.mark.slow  # ~25 s of CPU: networks of 1000+ units (the fast tests check the solver itself)
def test_chaotic_delta0_matches_simulated_random_networks():
    """Sompolinsky-Crisanti-Sommers chaos, g = 2: N = 1000, Euler dt = 0.1 tau, 45 tau after
    15 tau of transient. A single realization's variance drifts by +-10% over such a window
    (finite N), so six are averaged (their mean: 1.940 against 1.925; the unstable frozen
    state, 2.12, would be 10% off)."""
    n, means = 1000, []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        W = 2.0 * rng.standard_normal((n, n)) / np.sqrt(n)
        x = rng.standard_normal(n)
        var = []
        for t in range(600):
            x = 0.9 * x + 0.1 * (W @ np.tanh(x))
            if t >= 150:
                var.append(np.var(x))
        means.append(np.mean(var))
    assert np.mean(means) == pytest.approx(mf.scs_delta0(2.0), rel=0.05)


def test_bad_statistics_are_refused():
    with pytest.raises(pr.ValidationError, match="`rho` must be"):
        mf.RankOneStats(g=1.0, rho=1.5)
    with pytest.raises(pr.ValidationError, match="`g` must be"):
        mf.RankOneStats(g=-1.0)
    with pytest.raises(pr.ValidationError, match="`stats` must be"):
        mf.phase({"g": 1.0})
