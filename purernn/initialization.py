"""The initial weights of a network (:meth:`purernn.Network.create`): Glorot-uniform input
and readout weights, the recurrent matrix (normal, orthogonal, identity or the user's, a
connectivity mask, Dale's law) and the factors of a low-rank one.

Each function takes the network's :class:`~purernn.model.NetworkConfig` and a NumPy
generator and returns float64 arrays; the network casts them to its dtype.
"""

from __future__ import annotations

import numpy as np

from ._validate import fail

__all__ = ["glorot_uniform", "orthogonal", "init_factors", "connectivity_mask", "init_recurrent"]


def glorot_uniform(rng, fan_out: int, fan_in: int) -> np.ndarray:
    """U(-l, l), l = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010; Keras' default)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_out, fan_in))


def orthogonal(rng, n: int) -> np.ndarray:
    """A Haar-random orthogonal (n, n) matrix drawn from `rng`."""
    if n == 1:
        return np.array([[1.0 if rng.random() < 0.5 else -1.0]])
    # Imported here, not at the top, for start-up time: scipy.stats takes longer to import
    # (about 0.9 s) than the model, the kernels and Numba together (about 0.5 s), and only
    # this initialization needs it.
    import scipy.stats

    return scipy.stats.ortho_group.rvs(n, random_state=rng)


def init_factors(cfg: NetworkConfig, rng) -> tuple:
    """U, V (n_rec, rank) of a low-rank W_rec. "normal": independent N(0, gain^2) entries
    (the unit variance of Dubreuil, Valente et al. 2022, for gain 1): W_rec's nonzero
    eigenvalues (those of V^T U / n_rec) are then about gain^2 / sqrt(n_rec). "orthogonal":
    W_rec = gain Q O Q^T, a Haar rotation O (det +1, so rank 1 starts at +gain, not at an
    alternating -gain) of a random subspace Q (QR of a Gaussian draw, R's signs divided out)."""
    n, r = cfg.n_rec, cfg.rank
    A = rng.standard_normal((n, r))
    if cfg.init == "normal":
        return cfg.gain * A, cfg.gain * rng.standard_normal((n, r))
    Q, R = np.linalg.qr(A)
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)
    O = np.eye(r) if cfg.init == "identity" else orthogonal(rng, r)  # "identity": a projector
    O[:, 0] *= np.sign(np.linalg.det(O))  # a rotation: Haar on SO(r)
    scale = np.sqrt(cfg.gain * n)
    return scale * Q, scale * (Q @ O.T)


def connectivity_mask(cfg: NetworkConfig, user_mask, rng) -> np.ndarray | None:
    n = cfg.n_rec
    if user_mask is not None:
        mask = user_mask.copy()
    elif cfg.conn_prob < 1.0:
        mask = rng.random((n, n)) < cfg.conn_prob
    else:
        mask = None
    if not cfg.autapses:
        mask = np.ones((n, n), dtype=bool) if mask is None else mask
        np.fill_diagonal(mask, False)
    return mask


def init_recurrent(cfg: NetworkConfig, user_init, mask, rng) -> np.ndarray:
    n = cfg.n_rec
    density = 1.0 if mask is None else max(mask.mean(), 1.0 / n**2)
    if cfg.init == "normal":
        W = rng.normal(0.0, 1.0 / np.sqrt(n * density), size=(n, n))
    elif cfg.init == "orthogonal":
        W = orthogonal(rng, n) / np.sqrt(density)
    elif cfg.init == "identity":
        W = np.eye(n)
    else:
        W = user_init.copy()
    if mask is not None:
        W = W * mask
    if cfg.dale is None:
        return cfg.gain * W

    signs = cfg.signs
    if cfg.init == "user":
        # A user matrix must already obey Dale's law; we do not silently change it.
        signed = W * (signs[None, :] if cfg.dale_mode == "presynaptic" else signs[:, None])
        if np.any(signed < 0):
            fail("init", f"a matrix whose entries have the sign of their "
                 f"{'column' if cfg.dale_mode == 'presynaptic' else 'row'} unit under dale={cfg.dale}",
                 f"{int(np.sum(signed < 0))} wrongly signed entries")
        return cfg.gain * W
    if cfg.dale_init == "projected":
        W = cfg.gain * W
        signed = W * (signs[None, :] if cfg.dale_mode == "presynaptic" else signs[:, None])
        return np.where(signed < 0, 0.0, W)
    # Balanced: presynaptic construction; the postsynaptic mode is its transpose.
    M = np.abs(W if cfg.dale_mode == "presynaptic" else W.T)
    W = M * signs[None, :]  # column j has the sign of unit j
    exc = signs > 0
    excitation = W[:, exc].sum(axis=1)  # (n_rec,)
    inhibition = -W[:, ~exc].sum(axis=1)  # (n_rec,)
    scale = np.divide(excitation, inhibition, out=np.ones(n), where=inhibition > 0)
    W[:, ~exc] *= scale[:, None]  # every row sums to 0: no eigenvalue outlier
    radius = np.max(np.abs(np.linalg.eigvals(W)))
    if radius > 0:
        W *= cfg.gain / radius
    return W if cfg.dale_mode == "presynaptic" else np.ascontiguousarray(W.T)
