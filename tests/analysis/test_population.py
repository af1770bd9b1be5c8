"""Population analysis, each against a known answer: dimensionality, principal angles,
TDR on planted axes, CKA, the Procrustes shape metric, the dynamics similarity, MDS and
clustering, slow modes of a linear network."""

import numpy as np
import pytest
import scipy.stats

import purernn as pr
import purernn.analysis as A
from purernn.errors import ValidationError


def _rotation(rng, n):
    return scipy.stats.ortho_group.rvs(n, random_state=rng)


# --- dimensionality -------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 7])
def test_participation_ratio_of_k_equal_variances_is_k(k):
    rng = np.random.default_rng(k)
    n_samples, n = 200, 12
    # k centered, mutually orthogonal columns of equal norm: exactly equal variances
    Z = rng.standard_normal((n_samples, k))
    Z -= Z.mean(axis=0)
    Q, _ = np.linalg.qr(Z)
    X = (Q * 3.0) @ _rotation(rng, n)[:k]  # (n_samples, n), rotated into 12 dimensions
    assert A.participation_ratio(X) == pytest.approx(k, rel=1e-10)
    assert A.pca(X).participation_ratio == pytest.approx(k, rel=1e-10)  # the same formula twice


def test_participation_ratio_of_unequal_variances():
    # variances 4 and 1: (4 + 1)^2 / (16 + 1)
    X = np.zeros((4, 3))
    X[:, 0] = [2, -2, 2, -2]
    X[:, 1] = [1, 1, -1, -1]
    assert A.participation_ratio(X) == pytest.approx(25 / 17)
    assert A.participation_ratio(np.ones((5, 3))) == 0.0


def test_cv_variance_finds_the_signal_dimensions_and_not_the_noise():
    rng = np.random.default_rng(1)
    n_samples, n = 1500, 20
    R = _rotation(rng, n)
    s = rng.standard_normal((n_samples, 2)) * [2.0, 1.0]  # signal variances 4 and 1
    signal = s @ R[:2]
    a = signal + np.sqrt(0.5) * rng.standard_normal((n_samples, n))
    b = signal + np.sqrt(0.5) * rng.standard_normal((n_samples, n))
    cv = A.cv_variance(a, b, n_folds=5, rng=0)
    assert cv.variance[0] == pytest.approx(4.5, rel=0.1)  # plain PCA counts the noise
    assert cv.variance[5] == pytest.approx(0.5, rel=0.25)
    np.testing.assert_allclose(cv.signal_variance[:2], [4.0, 1.0], rtol=0.1)
    assert np.all(np.abs(cv.signal_variance[2:]) < 0.05)
    assert cv.n_for(0.9) == 2
    assert cv.signal_fraction.sum() == pytest.approx(1.0)


def test_condition_average_and_split_halves():
    rng = np.random.default_rng(2)
    h = rng.standard_normal((10, 4, 3))
    cond = np.array([1, 0, 1, 0, 1, 0, 1, 0, 2, 2])
    labels, means, counts = A.condition_average(h, cond)
    assert labels.tolist() == [0, 1, 2] and counts.tolist() == [4, 4, 2]
    np.testing.assert_allclose(means[1], h[cond == 1].mean(axis=0))
    a, b = A.split_halves(h, cond, rng=0)
    assert a.shape == b.shape == (3, 4, 3)
    # each half of condition 2 is one of its two trials
    assert {tuple(a[2].ravel()), tuple(b[2].ravel())} == {tuple(h[8].ravel()), tuple(h[9].ravel())}


def test_principal_angles_known_cases():
    rng = np.random.default_rng(3)
    U = rng.standard_normal((8, 3))
    np.testing.assert_allclose(A.principal_angles(U, U @ rng.standard_normal((3, 3))), 0.0, atol=1e-7)
    E = np.eye(8)
    np.testing.assert_allclose(A.principal_angles(E[:, :3], E[:, 3:6]), np.pi / 2)
    # one shared direction, one orthogonal: angles (0, pi/2)
    np.testing.assert_allclose(A.principal_angles(E[:, [0, 1]], E[:, [0, 2]]), [0.0, np.pi / 2], atol=1e-12)
    # two vectors: the angle of their dot product
    u, v = rng.standard_normal(8), rng.standard_normal(8)
    ref = np.arccos(abs(u @ v) / np.linalg.norm(u) / np.linalg.norm(v))
    assert A.principal_angles(u, v)[0] == pytest.approx(ref, rel=1e-10)
    with pytest.raises(ValidationError, match="`V`"):
        A.principal_angles(U, np.ones((7, 2)))


def test_manifold_angles_of_planted_planes():
    rng = np.random.default_rng(4)
    R = _rotation(rng, 10)
    a = rng.standard_normal((500, 2)) * [3.0, 2.0] @ R[:2]
    b = rng.standard_normal((500, 2)) * [3.0, 2.0] @ R[[0, 5]]  # shares R[0], not R[1]
    ang = A.manifold_angles(a + 0.01 * rng.standard_normal(a.shape), b, n_components=2)
    assert ang[0] < 0.02 and ang[1] > np.pi / 2 - 0.02


# --- targeted dimensionality reduction ------------------------------------------------


def _planted(rng, axes, n_trials=400, n_steps=30, noise=0.3):
    """States r(k, t) = sum_v g_v(t) F_v(k) axes[v] + noise; 144 conditions (choice x
    motion x colour x context)."""
    choice = rng.choice([-1.0, 1.0], n_trials)
    motion = rng.choice([-1, -0.3, -0.1, 0.1, 0.3, 1.0], n_trials)
    colour = rng.choice([-1, -0.3, -0.1, 0.1, 0.3, 1.0], n_trials)
    context = rng.choice([-1.0, 1.0], n_trials)
    F = {"choice": choice, "motion": motion, "colour": colour, "context": context}
    t = np.arange(n_steps) / n_steps
    gains = np.stack([t, np.sin(np.pi * t), np.exp(-3 * t), np.ones(n_steps)])  # (4, n_steps)
    h = np.einsum("vt,kv,vn->ktn", gains, np.stack(list(F.values()), axis=1), axes)
    h += noise * rng.standard_normal(h.shape)
    cond = ((choice > 0) * 1 + 2 * np.searchsorted(np.unique(motion), motion)
            + 12 * np.searchsorted(np.unique(colour), colour) + 72 * (context > 0))
    return h, F, cond


def test_tdr_recovers_planted_orthogonal_axes():
    rng = np.random.default_rng(5)
    axes = _rotation(rng, 30)[:4]
    h, F, cond = _planted(rng, axes)
    res = A.tdr(h, F, n_pcs=12, condition=cond)
    assert res.names == ("choice", "motion", "colour", "context")
    cos = np.abs(np.sum(res.axes * axes, axis=1))
    assert np.all(cos > 0.99), cos
    np.testing.assert_allclose(res.axes @ res.axes.T, np.eye(4), atol=1e-12)
    # time of the largest vector: choice grows (last step), motion peaks mid-trial,
    # colour decays (first step), context is flat (any)
    assert res.t_max[0] == 29 and abs(res.t_max[1] - 15) <= 3 and res.t_max[2] <= 2
    assert res.project(h).shape == (400, 30, 4)


def test_tdr_orthogonalizes_in_the_given_order():
    rng = np.random.default_rng(6)
    R = _rotation(rng, 30)
    axes = R[:4].copy()
    axes[1] = 0.6 * R[0] + 0.8 * R[1]  # motion overlaps with choice
    h, F, cond = _planted(rng, axes, noise=0.2)
    res = A.tdr(h, F, condition=cond)
    # QR keeps choice and the part of motion orthogonal to it (R[1])
    assert abs(res.axis("choice") @ R[0]) > 0.99
    assert abs(res.axis("motion") @ R[1]) > 0.99
    assert res.to_dict()["overlap_before_qr"][0][1] == pytest.approx(0.6, abs=0.05)


def test_tdr_rejects_a_degenerate_design():
    rng = np.random.default_rng(7)
    h = rng.standard_normal((20, 5, 6))
    c = rng.choice([-1.0, 1.0], 20)
    with pytest.raises(ValidationError, match="`regressors`"):
        A.tdr(h, {"choice": c, "same": c.copy()}, n_pcs=3)
    with pytest.raises(ValidationError, match="`n_pcs`"):
        A.tdr(h, {"choice": c}, n_pcs=7)


def test_mante_regressors_from_context_dm_trials():
    task = pr.tasks.make("context_dm")
    b = task.sample(50, rng=0)
    F = A.mante_regressors(b.info, interactions=True)
    assert list(F)[:4] == ["choice", "motion", "colour", "context"]
    assert np.max(np.abs(F["motion"])) == 1.0
    np.testing.assert_array_equal(F["context"], np.where(b.info["context"] == 0, 1.0, -1.0))
    np.testing.assert_array_equal(F["motion x context"], F["motion"] * F["context"])


# --- representation distances --------------------------------------------------------


def test_cka_is_one_for_a_rotated_and_scaled_copy():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((60, 5)) @ rng.standard_normal((5, 10))
    Q = _rotation(rng, 10)
    assert A.linear_cka(X, 3.7 * X @ Q + 2.0) == pytest.approx(1.0, abs=1e-12)
    # a copy in a wider network (zero-padded units)
    assert A.linear_cka(X, np.hstack([X @ Q, np.zeros((60, 4))])) == pytest.approx(1.0, abs=1e-12)
    Y = rng.standard_normal((60, 10))
    c = A.linear_cka(X, Y)
    # reference: HSIC of the centered Gram matrices
    H = np.eye(60) - 1.0 / 60
    K, L = H @ X @ X.T @ H, H @ Y @ Y.T @ H
    assert c == pytest.approx(np.sum(K * L) / np.linalg.norm(K) / np.linalg.norm(L), rel=1e-10)
    assert 0.0 < c < 0.9
    # not invariant to a general linear map
    M = np.diag(np.r_[10.0, np.ones(9)])
    assert A.linear_cka(X, X @ M) < 0.99


def test_procrustes_distance_zero_for_rotated_copy_and_symmetric():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((50, 6))
    Q = _rotation(rng, 6)
    assert A.procrustes_distance(X, 0.5 * X @ Q - 1.0) == pytest.approx(0.0, abs=1e-6)
    Y = rng.standard_normal((50, 8))
    Z = rng.standard_normal((50, 6))
    d = A.procrustes_distance(X, Y)
    assert d == pytest.approx(A.procrustes_distance(Y, X), abs=1e-14)
    assert 0.0 < d <= np.pi / 2
    # a metric: triangle inequality
    assert A.procrustes_distance(X, Z) <= d + A.procrustes_distance(Y, Z) + 1e-12
    # reference: the Procrustes rotation from scipy, then the angle
    import scipy.linalg

    Xc, Zc = X - X.mean(0), Z - Z.mean(0)
    Xc, Zc = Xc / np.linalg.norm(Xc), Zc / np.linalg.norm(Zc)
    R, _ = scipy.linalg.orthogonal_procrustes(Zc, Xc)
    assert A.procrustes_distance(X, Z) == pytest.approx(np.arccos(np.sum(Xc * (Zc @ R))), rel=1e-10)


def _linear_trajectories(rng, Amat, n_traj=6, n_steps=40):
    x = np.empty((n_traj, n_steps, Amat.shape[0]))
    x[:, 0] = rng.standard_normal((n_traj, Amat.shape[0]))
    for t in range(1, n_steps):
        x[:, t] = x[:, t - 1] @ Amat.T
    return x


def test_operator_distance_known_answers():
    rng = np.random.default_rng(10)
    M = 0.4 * rng.standard_normal((5, 5))
    Q = _rotation(rng, 5)
    assert A.operator_distance(M, Q.T @ M @ Q) < 1e-6  # orthogonally conjugate
    # symmetric operators: the minimum is the sorted eigenvalue matching (Hoffman-Wielandt)
    a, b = np.array([0.9, 0.5, -0.2]), np.array([0.8, 0.2, 0.1])
    Ra, Rb = _rotation(rng, 3), _rotation(rng, 3)
    Sa, Sb = Ra @ np.diag(a) @ Ra.T, Rb @ np.diag(b) @ Rb.T
    ref = np.sqrt(np.sum((np.sort(a) - np.sort(b)) ** 2))
    assert A.operator_distance(Sa, Sb) == pytest.approx(ref, abs=1e-6)
    assert A.spectral_distance(Sa, Sb) == pytest.approx(ref, abs=1e-12)
    # a general (non-orthogonal) conjugacy keeps the spectrum only
    G = rng.standard_normal((5, 5)) + 3 * np.eye(5)
    assert A.spectral_distance(M, np.linalg.solve(G, M @ G)) < 1e-8


def test_dynamics_similarity_zero_for_conjugate_linear_systems_positive_otherwise():
    rng = np.random.default_rng(11)
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    A1 = Q @ np.diag([0.95, 0.8, 0.6]) @ Q.T + np.array([[0, 0.1, 0], [-0.1, 0, 0], [0, 0, 0]])
    x = _linear_trajectories(rng, A1)
    # the same system seen through two different orthonormal readouts into 10 units
    E1, E2 = _rotation(rng, 10)[:3], _rotation(rng, 10)[:3]
    d_same = A.dynamics_distance(x @ E1, x @ E2, n_delays=3, rank=6)
    assert d_same < 1e-6
    # a different system (slower modes), observed the same way
    A2 = Q @ np.diag([0.7, 0.5, 0.3]) @ Q.T
    y = _linear_trajectories(rng, A2)
    d_diff = A.dynamics_distance(x @ E1, y @ E1, n_delays=3, rank=6)
    assert d_diff > 0.1
    m = A.dmd(x @ E1, n_delays=3, rank=6)
    assert m.rank == 3 and m.residual < 1e-8  # capped at the rank of the data
    np.testing.assert_allclose(np.sort(np.abs(m.eigenvalues)), np.sort(np.abs(np.linalg.eigvals(A1))), atol=1e-8)


def test_network_distances_mds_and_clusters():
    rng = np.random.default_rng(12)
    base = [rng.standard_normal((4, 20, 6)) for _ in range(2)]
    reps, truth = [], []
    for g, B in enumerate(base):
        for _ in range(3):
            n = int(rng.integers(6, 9))
            M = _rotation(rng, n)[:6] * rng.uniform(0.5, 2.0)
            reps.append(B @ M + 0.05 * rng.standard_normal((4, 20, n)))
            truth.append(g)
    nd = A.network_distances(reps, metrics=("cka", "procrustes"))
    for D in nd.matrices.values():
        assert np.allclose(D, D.T) and np.all(np.diag(D) == 0)
        within = D[0, 1]
        assert within < D[0, 3]
        cl = A.cluster(D)
        assert cl.n_clusters == 2
        assert A.adjusted_rand_index(cl.labels, truth) == 1.0
    emb = A.mds(nd.matrices["procrustes"])
    assert emb.coords.shape == (6, 2)


def test_mds_is_exact_for_euclidean_points_and_ari_known_values():
    rng = np.random.default_rng(13)
    P = rng.standard_normal((7, 2))
    D = np.linalg.norm(P[:, None] - P[None], axis=2)
    emb = A.mds(D)
    Dh = np.linalg.norm(emb.coords[:, None] - emb.coords[None], axis=2)
    np.testing.assert_allclose(Dh, D, atol=1e-10)
    assert emb.stress < 1e-10
    assert A.adjusted_rand_index([0, 0, 1, 1], [5, 5, 3, 3]) == 1.0
    # reference value: labels (0,0,0,1,1,1) vs (0,0,1,1,2,2)
    assert A.adjusted_rand_index([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) == pytest.approx(0.24242424, abs=1e-7)
    with pytest.raises(ValidationError, match="`D`"):
        A.mds(np.array([[0.0, 1.0], [2.0, 0.0]]))


# --- slow modes and selection vectors -------------------------------------------------


def test_slow_modes_of_a_linear_network_with_a_planted_line():
    """A linear network whose W_rec has eigenvalue 1 along r: the continuous-time mode
    -1 + 1 = 0 is the line attractor; its left eigenvector is known in closed form."""
    rng = np.random.default_rng(14)
    n = 6
    V = rng.standard_normal((n, n)) + 2 * np.eye(n)  # right eigenvectors (columns)
    lam = np.array([1.0, 0.5, 0.3, -0.2, 0.1, 0.0])
    W = V @ np.diag(lam) @ np.linalg.inv(V)
    net = pr.Network.create(2, n, 1, activation="linear", alpha=0.5, seed=0)
    p = net.params
    p["W_rec"] = W
    p["b_rec"] = np.zeros(n)
    p["W_in"] = rng.standard_normal((n, 2))
    net = net.with_params(p)
    m = A.slow_modes(net, np.zeros((2, n)))
    assert m.slow[0] == pytest.approx(0.0, abs=1e-10)
    assert m.next_slow[0].real == pytest.approx(-0.5, abs=1e-10)
    r = V[:, 0] / np.linalg.norm(V[:, 0])
    ell = np.linalg.inv(V)[0]  # the first row of V^-1: l^T V = e_1^T
    assert abs(m.right[0] @ r) == pytest.approx(1.0, abs=1e-10)
    assert abs(m.left[0] @ ell) / np.linalg.norm(ell) == pytest.approx(1.0, abs=1e-10)
    # the gain of input j along the line: (l . b_j) / (l . r) with b_j = W_in[:, j] (sigma' = 1)
    g = (ell @ p["W_in"]) / (ell @ V[:, 0]) * np.linalg.norm(V[:, 0])
    np.testing.assert_allclose(m.gain[0] * np.sign(m.right[0] @ r), g, rtol=1e-8)
    assert m.cos_input(0).shape == (2,)


def test_line_attractor_of_a_linear_network_with_a_slow_direction():
    """W_rec with eigenvalue 0.99 along r and <= 0.5 elsewhere: one fixed point (the
    origin), and relaxed states that lie on the line through it along r."""
    rng = np.random.default_rng(15)
    n = 6
    V = np.linalg.qr(rng.standard_normal((n, n)))[0] + 0.3 * rng.standard_normal((n, n))
    W = V @ np.diag([0.99, 0.5, 0.4, 0.2, -0.3, 0.0]) @ np.linalg.inv(V)
    net = pr.Network.create(2, n, 1, activation="linear", alpha=0.5, seed=0)
    p = net.params
    p["W_rec"], p["b_rec"] = W, np.zeros(n)
    net = net.with_params(p)
    r = V[:, 0] / np.linalg.norm(V[:, 0])
    starts = rng.standard_normal((40, n))
    la = A.line_attractor(net, axis=r, initial_states=starts, n_init=40, rng=0)
    assert la.is_fixed.sum() == 1 and np.allclose(la.points[la.is_fixed][0], 0.0, atol=1e-10)
    assert (~la.is_fixed).sum() >= 10
    assert la.line_fraction > 0.9999
    assert la.axis_angle < np.radians(0.5)
    np.testing.assert_allclose(la.right_angle, 0.0, atol=1e-6)  # linear: the same modes everywhere
    np.testing.assert_allclose(la.modes.slow, -0.01, atol=1e-10)
    assert 0.0 < la.max_gap < 1.0
    assert la.to_dict()["n_fixed"] == 1
