"""Spectra and non-normality, checked on matrices whose answers are known."""

import numpy as np
import pytest
import scipy.stats

import purernn.analysis as A
from purernn.errors import ValidationError


def rotation(theta):
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def test_diagonal_matrix_radius_and_real_dominant():
    spec = A.spectrum(np.diag([0.5, -1.5, 0.2]))
    np.testing.assert_allclose(spec.eigenvalues, [-1.5, 0.5, 0.2])
    assert spec.radius == pytest.approx(1.5)
    assert spec.dominant_kind == "real" and spec.dominant_outside
    assert spec.dominant_class == "real_outside"
    np.testing.assert_allclose(spec.dominant, [-1.5])


def test_scaled_rotation_is_a_complex_pair_inside():
    spec = A.spectrum(0.9 * rotation(0.3))
    assert spec.radius == pytest.approx(0.9)
    assert spec.dominant_class == "complex_inside"
    np.testing.assert_allclose(spec.dominant, 0.9 * np.exp(np.array([0.3j, -0.3j])))


def test_orthogonal_matrix_is_a_ring_of_radius_one():
    rng = np.random.default_rng(0)
    W = scipy.stats.ortho_group.rvs(60, random_state=rng)
    spec = A.spectrum(W)
    assert spec.shape == "ring"
    assert spec.n_outliers == 0
    assert spec.inner_radius == pytest.approx(1.0, abs=1e-10)
    assert spec.bulk_radius == pytest.approx(1.0, abs=1e-10)


def test_ginibre_matrix_is_a_disk_of_radius_one():
    rng = np.random.default_rng(1)
    n = 200
    spec = A.spectrum(rng.normal(0.0, 1.0 / np.sqrt(n), (n, n)))
    assert spec.shape == "disk"
    assert spec.n_outliers == 0
    assert spec.bulk_radius == pytest.approx(1.0, abs=0.15)
    assert spec.inner_radius < 0.4


def test_rank_one_outlier_is_kept_out_of_the_bulk():
    # Rajan & Abbott style: a mean connectivity mu/n adds a real outlier near mu.
    rng = np.random.default_rng(2)
    n = 200
    W = rng.normal(0.0, 0.5 / np.sqrt(n), (n, n)) + 3.0 / n
    spec = A.spectrum(W)
    assert spec.n_outliers == 1
    assert spec.dominant_class == "real_outside"
    assert spec.dominant[0].real == pytest.approx(3.0, abs=0.2)
    assert spec.bulk_radius == pytest.approx(0.5, abs=0.08)
    assert spec.radius > 2.5


def test_eigenvalues_can_be_given_directly():
    eigs = np.array([0.5 + 0.5j, 0.5 - 0.5j, 0.1])
    spec = A.spectrum(eigs)
    assert spec.radius == pytest.approx(np.sqrt(0.5))
    assert spec.dominant_kind == "complex"


def test_henrici_normal_is_zero_and_triangular_has_closed_form():
    rng = np.random.default_rng(3)
    S = rng.normal(size=(6, 6))
    assert A.henrici(S + S.T) == pytest.approx(0.0, abs=1e-12)  # symmetric
    assert A.henrici(scipy.stats.ortho_group.rvs(6, random_state=rng)) == pytest.approx(0.0, abs=1e-12)
    a, b, c = 0.7, -0.4, 2.0
    # [[a, c], [0, b]]: |W|_F^2 - sum|lambda|^2 = c^2
    assert A.henrici([[a, c], [0.0, b]]) == pytest.approx(abs(c) / np.sqrt(a**2 + b**2 + c**2), rel=1e-12)
    assert A.henrici([[0.0, 1.0], [0.0, 0.0]]) == pytest.approx(1.0)
    nn = A.nonnormality([[a, c], [0.0, b]])
    assert nn.commutator > 0 and nn.frobenius == pytest.approx(np.sqrt(a**2 + b**2 + c**2))


@pytest.mark.parametrize("bad", [np.ones((2, 3)), np.ones((2, 2, 2)), [[np.nan, 0.0], [0.0, 1.0]], "W"])
def test_bad_matrix_is_a_validation_error_naming_W(bad):
    with pytest.raises(ValidationError, match="`W`"):
        A.spectrum(bad)
    with pytest.raises(ValidationError, match="`W`"):
        A.henrici(bad)
