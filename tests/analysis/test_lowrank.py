"""Overlaps of the connectivity vectors of low-rank networks: known constructions."""

import numpy as np
import pytest

import purernn as pr


def _net(U, V, W_in, W_out):
    n_rec = U.shape[0]
    return pr.Network.from_params({"W_in": W_in, "U": U, "V": V, "b_rec": np.zeros(n_rec),
                                   "W_out": W_out, "b_out": np.zeros(W_out.shape[0])})


def test_overlaps_of_vectors_built_from_the_inputs_and_readout(rng):
    N = 200
    W_in = rng.standard_normal((N, 2))
    W_out = rng.standard_normal((1, N))
    # n_1 along input 0, m_1 along the readout, n_2 orthogonal to both inputs, m_2 = -3 input 1
    v2 = rng.standard_normal(N)
    v2 -= W_in @ np.linalg.lstsq(W_in, v2, rcond=None)[0]
    U = np.column_stack([2.0 * W_out[0], -3.0 * W_in[:, 1]])
    V = np.column_stack([W_in[:, 0], v2])
    ov = pr.analysis.connectivity_overlaps(_net(U, V, W_in, W_out))
    assert (ov.rank, ov.basis) == (2, "factors")
    assert ov.cos_n_in[0, 0] == pytest.approx(1.0) and ov.cos_m_out[0, 0] == pytest.approx(1.0)
    np.testing.assert_allclose(ov.cos_n_in[1], 0.0, atol=1e-12)
    assert ov.cos_m_in[1, 1] == pytest.approx(-1.0)
    assert ov.n_in[0, 0] == pytest.approx(W_in[:, 0] @ W_in[:, 0] / N)
    assert ov.m_out[0, 0] == pytest.approx(2.0 * W_out[0] @ W_out[0] / N)
    assert np.all(np.abs(ov.cos_nm) <= 1 + 1e-12)
    d = ov.to_dict()
    assert d["rank"] == 2 and np.array(d["n_in"]).shape == (2, 2)


def test_kappa_coupling_has_the_nonzero_eigenvalues_of_w_rec():
    net = pr.Network.create(2, 60, 1, rank=3, init="normal", seed=4)
    ov = pr.analysis.connectivity_overlaps(net)
    eig = np.linalg.eigvals(net.params["W_rec"])
    top = eig[np.argsort(-np.abs(eig))[:3]]
    np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(ov.nm)), np.sort_complex(top), atol=1e-10)


def test_svd_basis_recovers_a_rank_one_matrix_of_a_full_network(rng):
    N = 80
    m, n = rng.standard_normal(N), rng.standard_normal(N)
    W = np.outer(m, n) / N
    net = pr.Network.from_params({"W_in": rng.standard_normal((N, 1)), "W_rec": W, "b_rec": np.zeros(N),
                                  "W_out": rng.standard_normal((1, N)), "b_out": np.zeros(1)})
    ov = pr.analysis.connectivity_overlaps(net, rank=1)
    assert ov.basis == "svd"
    np.testing.assert_allclose(ov.m @ ov.n.T / N, W, atol=1e-12)
    assert abs(np.corrcoef(ov.m[:, 0], m)[0, 1]) == pytest.approx(1.0)
    assert ov.singular_values[0] == pytest.approx(np.linalg.norm(m) * np.linalg.norm(n) / N)
    # the SVD basis of a low-rank network reproduces its W_rec as well
    low = pr.Network.create(1, 50, 1, rank=2, seed=0)
    sv = pr.analysis.connectivity_overlaps(low, basis="svd")
    np.testing.assert_allclose(sv.m @ sv.n.T / 50, low.params["W_rec"], atol=1e-12)


def test_bad_arguments():
    full = pr.Network.create(1, 10, 1, seed=0)
    with pytest.raises(pr.ValidationError, match="`rank` must be an integer for a full-rank"):
        pr.analysis.connectivity_overlaps(full)
    with pytest.raises(pr.ValidationError, match="`basis` must be 'svd' for a full-rank"):
        pr.analysis.connectivity_overlaps(full, rank=1, basis="factors")
    with pytest.raises(pr.ValidationError, match="`rank` must be None or the network's rank 1"):
        pr.analysis.connectivity_overlaps(pr.Network.create(1, 10, 1, rank=1, seed=0), rank=2)
