"""Structured connectivity: shapes, ranks, given vectors, row balance, seeds, errors, and
the coherence measure on known signals."""

import numpy as np
import pytest

import purernn as pr
from purernn import structured as S
from purernn.errors import ValidationError


def test_low_rank_plus_random_shapes_rank_and_parts():
    C = S.low_rank_plus_random(120, g=0.7, rank=2, m_mean=0.5, rng=0)
    assert C.W_rec.shape == (120, 120) and C.left.shape == C.right.shape == (120, 2)
    assert C.rank == 2 and C.kind == "low_rank_plus_random"
    assert np.linalg.matrix_rank(C.structure) == 2
    np.testing.assert_allclose(C.W_rec, C.random + C.structure, atol=1e-14)
    np.testing.assert_allclose(C.structure, C.left @ C.right.T / 120, atol=1e-14)
    # the random part has gain g: entries N(0, g^2 / n_rec)
    assert np.std(C.random) * np.sqrt(120) == pytest.approx(0.7, rel=0.05)
    assert S.low_rank_plus_random(50, rng=0).random.max() == 0.0  # g = 0: structure only


def test_given_vectors_are_used_and_the_overlap_sets_the_outlier():
    rng = np.random.default_rng(1)
    m, n = rng.standard_normal(200), rng.standard_normal(200)
    n = n + 1.5 * m  # overlap n.m / N about 1.5
    C = S.low_rank_plus_random(200, g=0.3, m=m, n=n, rng=2)
    np.testing.assert_array_equal(C.left[:, 0], m)
    np.testing.assert_array_equal(C.right[:, 0], n)
    overlap = float(n @ m) / 200
    assert C.overlaps[0, 0] == pytest.approx(overlap)
    eigs = np.linalg.eigvals(C.W_rec)
    top = eigs[np.argmax(eigs.real)]
    assert abs(top - overlap) < 0.15  # the outlier of a rank-one structure over a disk of radius 0.3
    assert abs(top.imag) < 1e-9


def test_drawn_vectors_are_correlated_as_asked():
    C = S.low_rank_plus_random(1500, m_sd=1.0, n_sd=2.0, rho=0.6, n_mean=0.5, rng=3)
    m, n = C.left[:, 0], C.right[:, 0]
    assert np.corrcoef(m, n)[0, 1] == pytest.approx(0.6, abs=0.06)
    assert n.mean() == pytest.approx(0.5, abs=0.2) and n.std() == pytest.approx(2.0, rel=0.06)
    assert C.overlaps[0, 0] == pytest.approx(0.6 * 2.0, abs=0.25)
    D = S.low_rank_plus_random(1500, rng=3)
    assert abs(np.corrcoef(D.left[:, 0], D.right[:, 0])[0, 1]) < 0.1  # rho = 0: uncorrelated


def test_row_balance_makes_rows_of_the_random_part_sum_to_zero():
    for C in (S.low_rank_plus_random(80, g=1.5, row_balance=True, rng=0),
              S.feedforward_modes(80, g=1.5, row_balance=True, rng=0)):
        np.testing.assert_allclose(C.random.sum(axis=1), 0.0, atol=1e-12)
        assert C.row_balance
    unbalanced = S.feedforward_modes(80, g=1.5, rng=0)
    assert np.abs(unbalanced.random.sum(axis=1)).max() > 0.5
    # the balance removes only the mean of each row: the same draw minus its row means
    np.testing.assert_allclose(S.feedforward_modes(80, g=1.5, row_balance=True, rng=0).random,
                               unbalanced.random - unbalanced.random.mean(axis=1, keepdims=True), atol=1e-13)
    # a non-uniform xi: the random part annihilates it
    xi = np.tile([1.0, -1.0, 2.0, 0.5], 20)
    nu = np.tile([1.0, 1.0, 0.0, 0.0], 20)
    C = S.feedforward_modes(80, xi=xi, nu=nu, row_balance=True, rng=0)
    np.testing.assert_allclose(C.random @ xi, 0.0, atol=1e-12)


def test_feedforward_modes_structure():
    C = S.feedforward_modes(101, g=2.0, J1=0.8, rng=4)
    xi, nu = C.left[:, 0], C.right[:, 0]
    np.testing.assert_array_equal(xi, np.ones(101))
    assert nu[:50].tolist() == [1.0] * 50 and nu[50:100].tolist() == [-1.0] * 50 and nu[100] == 0.0
    assert xi @ nu == 0.0
    np.testing.assert_allclose(C.structure, 0.8 / np.sqrt(101) * np.outer(xi, nu), atol=1e-15)
    assert np.linalg.matrix_rank(C.structure) == 1
    S2 = C.structure @ C.structure
    np.testing.assert_allclose(S2, 0.0, atol=1e-12)  # nilpotent: no feedback through the structure
    assert C.overlaps[0, 0] == 0.0 and C.scale == pytest.approx(0.8 / np.sqrt(101))


def test_reproducible_with_a_seed_and_the_network():
    a = S.feedforward_modes(60, g=1.2, J1=0.5, rng=7)
    b = S.feedforward_modes(60, g=1.2, J1=0.5, rng=7)
    np.testing.assert_array_equal(a.W_rec, b.W_rec)
    assert not np.array_equal(a.W_rec, S.feedforward_modes(60, g=1.2, J1=0.5, rng=8).W_rec)
    c, d = (S.low_rank_plus_random(60, g=0.5, rank=3, rng=np.random.default_rng(5)) for _ in range(2))
    np.testing.assert_array_equal(c.W_rec, d.W_rec)
    net = a.network(n_in=2, n_out=1, alpha=0.2, seed=0)
    assert isinstance(net, pr.Network) and net.alpha == 0.2 and net.n_in == 2
    np.testing.assert_array_equal(net.params["W_rec"], a.W_rec)  # gain 1: used as given
    chi = np.random.default_rng(0).standard_normal((60, 60)) / np.sqrt(60)
    np.testing.assert_allclose(S.feedforward_modes(60, g=2.0, J1=0.0, chi=chi).W_rec, 2.0 * chi)
    assert a.to_dict()["kind"] == "feedforward_modes"


def test_coherence_of_known_signals():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 20, 400)
    common = np.sin(t)[:, None] * np.ones(50)  # every unit the same signal
    assert S.coherence(common, np.ones(50)) == pytest.approx(1.0)
    independent = rng.standard_normal((20000, 50))
    assert S.coherence(independent, np.ones(50)) == pytest.approx(1 / np.sqrt(50), rel=0.05)
    # a coherent part of variance c2 along the uniform mode plus unit noise of variance 1
    c2 = 0.25
    mix = np.sqrt(c2) * rng.standard_normal((20000, 1)) * np.ones(50) + rng.standard_normal((20000, 50))
    expected = np.sqrt((50 * c2 + 1) / (50 * (c2 + 1)))
    assert S.coherence(mix, 3.0 * np.ones(50)) == pytest.approx(expected, rel=0.03)  # scale-free in mode


@pytest.mark.parametrize("call, match", [
    (lambda: S.low_rank_plus_random(0), "n_rec"),
    (lambda: S.low_rank_plus_random(10, g=-1.0), "`g`"),
    (lambda: S.low_rank_plus_random(10, rank=11), "rank"),
    (lambda: S.low_rank_plus_random(10, rho=1.5), "rho"),
    (lambda: S.low_rank_plus_random(10, m=np.ones(9)), "`m`"),
    (lambda: S.low_rank_plus_random(10, rank=2, n=np.ones(10)), "`n`"),
    (lambda: S.low_rank_plus_random(10, m=np.ones(10), rho=0.5), "rho"),
    (lambda: S.low_rank_plus_random(10, chi=np.ones((10, 9))), "chi"),
    (lambda: S.feedforward_modes(10, nu=np.ones(10)), "orthogonal"),
    (lambda: S.feedforward_modes(10, xi=np.zeros(10)), "nonzero"),
    (lambda: S.feedforward_modes(10, J1=float("nan")), "J1"),
    (lambda: S.feedforward_modes(1), "n_rec"),
    (lambda: S.feedforward_modes(10, rng=0).network(gain=2.0), "gain"),
    (lambda: S.coherence(np.zeros((5, 3)), np.ones(4)), "mode"),
    (lambda: S.coherence(np.zeros((1, 3)), np.ones(3)), "time steps"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValidationError, match=match):
        call()
