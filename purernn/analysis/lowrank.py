"""The connectivity vectors of a low-rank network and their overlaps with its inputs and
readouts.

A rank-r recurrent matrix is ``W_rec = U V^T / n_rec = sum_k m_k n_k^T / N`` with output
connectivity vectors ``m_k = U[:, k]`` and input-selection vectors ``n_k = V[:, k]``
(F. Mastrogiuseppe & S. Ostojic 2018, Neuron 99:609; A. Dubreuil, A. Valente et al. 2022,
Nat. Neurosci. 25:783). Its dynamics are read off overlaps ``sigma_ab = a . b / N``: the
activity along m_k is ``kappa_k = n_k . tanh(x) / N``; the recurrent coupling of the kappas
is the (r, r) matrix ``n_k . m_l / N`` (whose eigenvalues are the nonzero eigenvalues of
W_rec); an input vector ``I_j = W_in[:, j]`` drives kappa_k through ``n_k . I_j / N``;
a readout ``w_j = W_out[j, :]`` sees m_k through ``w_j . m_k / N``. Cosines give the same
overlaps free of the vectors' scales.

The factors of a product are not unique (``U A``, ``V A^-T`` give the same W_rec), so
overlaps of the trained columns depend on that choice; ``basis="svd"`` uses the unique
(up to signs) singular vectors instead, ``m_k = sqrt(N s_k) u_k``, ``n_k = sqrt(N s_k) v_k``,
which also serves a full-rank network: its best rank-r approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._files import to_jsonable
from .._validate import check_choice, check_int, fail
from ._common import check_net

__all__ = ["BASES", "ConnectivityOverlaps", "connectivity_overlaps"]

#: Where the connectivity vectors come from.
BASES = ("factors", "svd")


@dataclass(frozen=True)
class ConnectivityOverlaps:
    """Connectivity vectors and their overlaps ``a . b / N`` (and cosines).

    Attributes
    ----------
    rank : int
    basis : {"factors", "svd"}
    m, n : ndarray (n_rec, rank)
        Output connectivity and input-selection vectors, ``W_rec ~ m n^T / N``.
    nm : ndarray (rank, rank)
        ``n_k . m_l / N``: the recurrent coupling of the kappas (eigenvalues: the nonzero
        eigenvalues of W_rec, exactly for a rank-r W_rec).
    n_in, m_in : ndarray (rank, n_in)
        ``n_k . I_j / N`` and ``m_k . I_j / N`` with the input vectors ``I_j = W_in[:, j]``.
    m_out, n_out : ndarray (rank, n_out)
        ``w_j . m_k / N`` and ``w_j . n_k / N`` with the readouts ``w_j = W_out[j, :]``.
    cos_nm, cos_n_in, cos_m_in, cos_m_out, cos_n_out : ndarray
        The same as cosines of the angles between the vectors (0 for a zero vector).
    singular_values : ndarray (rank,) or None
        Of ``W_rec`` (basis "svd").
    """

    rank: int
    basis: str
    m: np.ndarray
    n: np.ndarray
    nm: np.ndarray
    n_in: np.ndarray
    m_in: np.ndarray
    m_out: np.ndarray
    n_out: np.ndarray
    cos_nm: np.ndarray
    cos_n_in: np.ndarray
    cos_m_in: np.ndarray
    cos_m_out: np.ndarray
    cos_n_out: np.ndarray
    singular_values: np.ndarray | None = None

    def to_dict(self) -> dict:
        """The overlaps (not the vectors) as JSON-ready lists."""
        keys = ("nm", "n_in", "m_in", "m_out", "n_out", "cos_nm", "cos_n_in", "cos_m_in",
                "cos_m_out", "cos_n_out", "singular_values")
        out = {"rank": self.rank, "basis": self.basis}
        out.update({k: to_jsonable(np.asarray(getattr(self, k)).tolist()) for k in keys
                    if getattr(self, k) is not None})
        return out


def _cos(A, B) -> np.ndarray:
    """Cosines between the columns of A (n, p) and of B (n, q): (p, q)."""
    na, nb = np.linalg.norm(A, axis=0), np.linalg.norm(B, axis=0)
    den = np.outer(na, nb)
    return np.divide(A.T @ B, den, out=np.zeros(den.shape), where=den > 0)


def connectivity_overlaps(net, rank: int | None = None, *, basis: str | None = None) -> ConnectivityOverlaps:
    """Overlaps of the connectivity vectors with each other, the inputs and the readouts.

    Parameters
    ----------
    net : Network
        A low-rank network (``Network.create(..., rank=r)``), or any network with `rank`
        and ``basis="svd"``.
    rank : int, optional
        Number of connectivity pairs; default (and required value) for a low-rank network
        with ``basis="factors"``: its rank.
    basis : {"factors", "svd"}, optional
        ``"factors"`` (default for a low-rank network): the trained columns of U and V;
        ``"svd"`` (default otherwise): ``m_k = sqrt(N s_k) u_k``, ``n_k = sqrt(N s_k) v_k``
        from the singular value decomposition of W_rec, unique up to the sign of each pair.

    Returns
    -------
    ConnectivityOverlaps

    Examples
    --------
    >>> import purernn as pr
    >>> net = pr.Network.create(2, 100, 1, rank=1, seed=0)
    >>> ov = pr.analysis.connectivity_overlaps(net)
    >>> ov.n_in.shape, ov.m_out.shape
    ((1, 2), (1, 1))
    """
    net = check_net(net)
    low_rank = net.factors is not None
    basis = ("factors" if low_rank else "svd") if basis is None else basis
    check_choice("basis", basis, BASES)
    N = net.n_rec
    W_in = np.asarray(net.params["W_in"], dtype=np.float64)  # (n_rec, n_in)
    W_out = np.asarray(net.params["W_out"], dtype=np.float64)  # (n_out, n_rec)
    s = None
    if basis == "factors":
        if not low_rank:
            fail("basis", "'svd' for a full-rank network (it has no factors U, V)", basis)
        if rank is not None and rank != net.config.rank:
            fail("rank", f"None or the network's rank {net.config.rank} with basis 'factors'", rank)
        rank = net.config.rank
        m = np.asarray(net.factors["U"], dtype=np.float64)
        n = np.asarray(net.factors["V"], dtype=np.float64)
    else:
        if rank is None:
            if not low_rank:
                fail("rank", "an integer for a full-rank network", rank, "E.g. rank=2: the best rank-2 approximation.")
            rank = net.config.rank
        rank = check_int("rank", rank, lo=1, hi=N)
        u, sv, vt = np.linalg.svd(np.asarray(net.params["W_rec"], dtype=np.float64))
        s = sv[:rank]
        m = u[:, :rank] * np.sqrt(N * s)  # (n_rec, rank)
        n = vt[:rank].T * np.sqrt(N * s)  # (n_rec, rank)
    w = W_out.T  # (n_rec, n_out): readout vectors as columns
    return ConnectivityOverlaps(
        rank=int(rank), basis=basis, m=m, n=n,
        nm=n.T @ m / N, n_in=n.T @ W_in / N, m_in=m.T @ W_in / N, m_out=m.T @ w / N, n_out=n.T @ w / N,
        cos_nm=_cos(n, m), cos_n_in=_cos(n, W_in), cos_m_in=_cos(m, W_in), cos_m_out=_cos(m, w),
        cos_n_out=_cos(n, w), singular_values=s,
    )
