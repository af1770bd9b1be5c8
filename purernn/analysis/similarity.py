"""How different are two networks' solutions? Distances between representations
(linear CKA, the angular Procrustes shape metric) and between dynamics (DMD operators
of delay-embedded activity compared up to an orthogonal change of basis, after Ostrow et
al. 2023), and distance matrices over many networks.

All measures compare activity on the same samples: the same trials (or the same
conditions and time steps) for every network; the networks may differ in size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from .._validate import as_generator, check_array, check_choice, check_int, fail
from ..simulation import simulate
from ._common import check_net
from .dimensionality import condition_average

__all__ = [
    "linear_cka",
    "procrustes_distance",
    "DMD",
    "dmd",
    "operator_distance",
    "spectral_distance",
    "dynamics_distance",
    "METRICS",
    "NetworkDistances",
    "network_distances",
    "condition_states",
]

#: Distances :func:`network_distances` computes.
METRICS = ("cka", "procrustes", "dsa")


def _pair(X, Y, names=("X", "Y")) -> tuple[np.ndarray, np.ndarray]:
    """Two sample sets (..., p) and (..., q) with the same leading shape, as (n, p), (n, q)."""
    X = check_array(names[0], X, dtype=np.float64)
    Y = check_array(names[1], Y, dtype=np.float64)
    if X.ndim < 2 or Y.ndim < 2 or X.shape[:-1] != Y.shape[:-1]:
        fail(names[1], f"samples in the same arrangement as `{names[0]}`: shape {X.shape[:-1]} + (q,)",
             Y.shape, "Compare activity on the same trials and steps.")
    X = X.reshape(-1, X.shape[-1])
    Y = Y.reshape(-1, Y.shape[-1])
    if X.shape[0] < 2:
        fail(names[0], "at least 2 samples", X.shape[0])
    return X - X.mean(axis=0), Y - Y.mean(axis=0)


def linear_cka(X, Y) -> float:
    """Linear centered kernel alignment of two representations of the same samples.

    Parameters
    ----------
    X : array_like, shape (..., p)
    Y : array_like, shape (..., q)
        The same samples (leading axes) in two networks.

    Returns
    -------
    float
        In [0, 1]; 1 when Y is a rotated and scaled copy of X; 0 if either does not vary.

    Notes
    -----
    Kornblith, Norouzi, Lee & Hinton (2019), "Similarity of neural network
    representations revisited", ICML: with centered ``X, Y``::

        CKA = |Y^T X|_F^2 / (|X^T X|_F |Y^T Y|_F)

    the HSIC of the linear kernels ``X X^T`` and ``Y Y^T``, normalized. It is invariant
    to orthogonal transforms and isotropic scaling of either representation, not to
    general invertible ones.
    """
    X, Y = _pair(X, Y)
    num = np.sum((Y.T @ X) ** 2)
    den = np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y)
    return float(num / den) if den > 0 else 0.0


def procrustes_distance(X, Y) -> float:
    """Angular Procrustes shape distance between two representations of the same samples.

    Parameters
    ----------
    X : array_like, shape (..., p)
    Y : array_like, shape (..., q)

    Returns
    -------
    float
        Radians in [0, pi/2]: 0 when Y is a rotated (or reflected) and scaled copy of X.
        A metric: symmetric, and it satisfies the triangle inequality.

    Notes
    -----
    Williams, Kunz, Kornblith & Linderman (2021), "Generalized shape metrics on neural
    representations", NeurIPS (their alpha = 1). Each representation is centered and
    scaled to unit Frobenius norm, the narrower one padded with zero columns; then::

        d(X, Y) = arccos( max_{Q orthogonal} tr(X^T Y Q) ) = arccos( |X^T Y|_* )

    (the nuclear norm: the orthogonal Procrustes problem's optimum is the sum of the
    singular values of ``X^T Y``).
    """
    X, Y = _pair(X, Y)
    nx, ny = np.linalg.norm(X), np.linalg.norm(Y)
    if nx == 0 or ny == 0:
        fail("X" if nx == 0 else "Y", "a representation that varies across samples", "constant")
    s = np.linalg.svd((X / nx).T @ (Y / ny), compute_uv=False)
    return float(np.arccos(np.clip(s.sum(), -1.0, 1.0)))


@dataclass(frozen=True)
class DMD:
    """A linear model of delay-embedded activity, ``z_{t+1} = A z_t + c``.

    Attributes
    ----------
    A : ndarray, shape (rank, rank)
        The operator, in the coordinates of the leading principal axes of the embedding.
    eigenvalues : ndarray of complex, shape (rank,)
        Eigenvalues of ``A`` (per step), by decreasing modulus.
    basis : ndarray, shape (rank, n * n_delays)
        The principal axes of the delay embedding (rows).
    mean : ndarray, shape (n * n_delays,)
    n_delays : int
    rank : int
    residual : float
        Relative error of the fit, ``|Z' - Z A^T - c|_F / |Z' - mean(Z')|_F``.
    """

    A: np.ndarray
    eigenvalues: np.ndarray
    basis: np.ndarray
    mean: np.ndarray
    n_delays: int
    rank: int
    residual: float


def _trajectories(arg: str, states) -> np.ndarray:
    S = check_array(arg, states, dtype=np.float64)
    if S.ndim == 2:
        S = S[None]
    if S.ndim != 3 or S.shape[2] == 0:
        fail(arg, "trajectories of shape (n_traj, n_steps, n) or (n_steps, n)", S.shape)
    return S


def dmd(states, *, n_delays: int = 5, rank: int = 6) -> DMD:
    """Fit a linear operator to delay-embedded trajectories (dynamic mode decomposition).

    Parameters
    ----------
    states : array_like, shape (n_traj, n_steps, n) or (n_steps, n)
        E.g. one condition-averaged trajectory per condition.
    n_delays : int
        States stacked per embedding vector, ``[h_t, h_{t+1}, ..., h_{t+d-1}]``.
    rank : int
        Principal components of the embedding kept (capped at its numerical rank: singular
        values below 1e-6 of the largest are dropped).

    Returns
    -------
    DMD

    Notes
    -----
    Hankel (delay) embedding of each trajectory, then PCA of all embedding vectors
    (centered on their mean), then the least-squares affine map between consecutive
    coordinates within each trajectory, ``z_{t+1} = A z_t + c`` (the offset absorbs the
    centering, so the activity of a linear system is fitted exactly). This is the
    "DMD on delay-embedded activity" of Ostrow, Eisen, Kozachkov & Fiete (2023),
    "Beyond geometry: comparing the temporal structure of computation in neural circuits
    with dynamical similarity analysis", NeurIPS (HAVOK-style, with principal-component
    coordinates instead of whitened ones, so noise directions are not amplified).
    """
    S = _trajectories("states", states)
    n_traj, n_steps, n = S.shape
    d = check_int("n_delays", n_delays, lo=1)
    if n_steps < d + 1:
        fail("n_delays", f"at most n_steps - 1 = {n_steps - 1}", d)
    rank = check_int("rank", rank, lo=1)
    m = n_steps - d + 1
    H = np.concatenate([S[:, k:k + m] for k in range(d)], axis=2)  # (n_traj, m, n * d)
    mean = H.reshape(-1, n * d).mean(axis=0)
    Hc = H - mean
    X = Hc.reshape(-1, n * d)
    # principal axes from the (n d, n d) covariance: cheaper than an SVD of the tall X
    w, vecs = np.linalg.eigh(X.T @ X)
    s = np.sqrt(np.clip(w[::-1], 0.0, None))  # singular values of X, decreasing
    # the eigenvalues are exact to ~eps w_0, so singular values to ~sqrt(eps) s_0: a rank
    # cap at 1e-6 s_0 keeps every real direction and drops round-off
    tol = 1e-6 * (s[0] if s.size else 0.0)
    r = int(min(rank, np.sum(s > tol)))
    if r == 0:
        fail("states", "trajectories that vary", "constant states")
    basis = vecs[:, ::-1][:, :r].T.copy()
    Z = Hc @ basis.T  # (n_traj, m, r)
    Z0 = Z[:, :-1].reshape(-1, r)
    Z1 = Z[:, 1:].reshape(-1, r)
    G = np.column_stack([Z0, np.ones(Z0.shape[0])])
    coef, *_ = np.linalg.lstsq(G, Z1, rcond=None)  # Z1 ~ Z0 A^T + c
    A = coef[:r].T
    res = float(np.linalg.norm(Z1 - G @ coef) / max(np.linalg.norm(Z1 - Z1.mean(axis=0)), 1e-300))
    ev = np.linalg.eigvals(A)
    ev = ev[np.argsort(-np.abs(ev), kind="stable")]
    return DMD(A=A, eigenvalues=ev, basis=basis, mean=mean, n_delays=d, rank=r, residual=res)


def _operator(arg: str, A) -> np.ndarray:
    if isinstance(A, DMD):
        return A.A
    M = check_array(arg, A, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] == 0:
        fail(arg, "a square matrix (r, r) or a DMD", M.shape)
    return M


def _pad(A: np.ndarray, r: int) -> np.ndarray:
    out = np.zeros((r, r))
    out[: A.shape[0], : A.shape[1]] = A
    return out


def _match(A: np.ndarray, B: np.ndarray, C: np.ndarray, max_iter: int, tol: float) -> np.ndarray:
    """Maximize f(C) = tr(A^T C B C^T) over orthogonal C from several starts at once.

    `C` (n_starts, r, r) holds the starts; each is moved by the polar step
    ``C <- polar(grad f(C) + 2 s C)``. For ``s >= |A|_2 |B|_2`` the function
    ``f(C) + s |C|_F^2`` is convex, so that step (which maximizes its linearization over
    the orthogonal group) never lowers f. Smaller shifts take longer steps: each start's
    s begins at 0 (a plain Procrustes step); a step that would lower f is rejected and
    s doubled, an accepted one halves it. A start stops when its gain falls below
    ``tol * |f|``. Returns the final rotations.
    """
    s_max = np.linalg.norm(A, 2) * np.linalg.norm(B, 2)
    s_min = 1e-3 * s_max
    k = C.shape[0]
    f = np.einsum("ij,kij->k", A, C @ B @ np.swapaxes(C, 1, 2))
    s = np.zeros(k)
    active = np.ones(k, dtype=bool)
    for _ in range(max_iter):
        G = A @ C @ B.T + A.T @ C @ B + 2.0 * s[:, None, None] * C  # (k, r, r)
        u, _, vt = np.linalg.svd(G)
        C_new = u @ vt
        f_new = np.einsum("ij,kij->k", A, C_new @ B @ np.swapaxes(C_new, 1, 2))
        ok = active & (f_new >= f)
        gain = np.where(ok, f_new - f, 0.0)
        C = np.where(ok[:, None, None], C_new, C)
        f = np.where(ok, f_new, f)
        s = np.where(ok, np.where(s > s_min, 0.5 * s, 0.0), np.minimum(np.maximum(2.0 * s, s_min), s_max))
        active &= ~(ok & (gain <= tol * np.maximum(1.0, np.abs(f))))
        active &= ~(~ok & (s >= s_max))  # rejected even with the convex shift: a stationary point
        if not active.any():
            break
    return C


def operator_distance(A, B, *, n_starts: int = 8, max_iter: int = 500, tol: float = 1e-13,
                      rng=0) -> float:
    """``min_C |A - C B C^T|_F`` over orthogonal C: two linear dynamics up to a rotation.

    Parameters
    ----------
    A, B : array_like, shape (r, r), or DMD
        Operators (the smaller one is padded with zeros).
    n_starts : int
        Starting rotations: the identity, the alignment of the eigenvectors of the
        symmetric parts, and random ones.
    max_iter : int
        Polar steps (all starts move together).
    tol : float
        Relative improvement below which a start stops.
    rng : numpy.random.Generator, int or None
        Draws the random starts (fixed by default, so distances are reproducible).

    Returns
    -------
    float
        0 for orthogonally conjugate operators (``B = Q^T A Q``); for normal operators it
        is at least the eigenvalue-matching distance (Hoffman-Wielandt), with equality
        for symmetric ones.

    Notes
    -----
    The similarity-transform distance of Ostrow et al. (2023) over the orthogonal group.
    ``|A - C B C^T|^2 = |A|^2 + |B|^2 - 2 tr(A^T C B C^T)``, so the distance follows from
    the maximum of ``tr(A^T C B C^T)``, found by monotone polar iterations (a
    Procrustes-type step, see ``_match``) from several starts; the best is kept. The
    problem is not convex, so this is an upper bound that equals the minimum when a
    start falls in its basin (the tests check conjugate pairs and symmetric pairs, whose
    minima are known).
    """
    A = _operator("A", A)
    B = _operator("B", B)
    r = max(A.shape[0], B.shape[0])
    A, B = _pad(A, r), _pad(B, r)
    n_starts = check_int("n_starts", n_starts, lo=1)
    max_iter = check_int("max_iter", max_iter, lo=1)
    rng = as_generator(rng)
    starts = [np.eye(r), _eigen_start(A, B)]
    while len(starts) < n_starts:
        q, rr = np.linalg.qr(rng.standard_normal((r, r)))
        starts.append(q * np.sign(np.diag(rr)))
    C = _match(A, B, np.array(starts[:n_starts]), max_iter, tol)
    d = np.linalg.norm(A - C @ B @ np.swapaxes(C, 1, 2), axis=(1, 2))  # directly: no cancellation
    return float(d.min())


def _eigen_start(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A rotation mapping B's symmetric-part eigenvectors onto A's, signs chosen greedily.

    For ``B = Q^T A Q`` the symmetric parts are conjugate too, so ``V_A S V_B^T`` is Q for
    the right signs S; flipping one sign at a time while tr(A^T C B C^T) grows finds them
    in most cases (the iterations then polish).
    """
    _, va = np.linalg.eigh(0.5 * (A + A.T))
    _, vb = np.linalg.eigh(0.5 * (B + B.T))
    signs = np.ones(A.shape[0])

    def f(sg):
        C = (va * sg) @ vb.T
        return float(np.sum(A * (C @ B @ C.T)))

    best = f(signs)
    for _ in range(3):
        improved = False
        for i in range(signs.size):
            signs[i] = -signs[i]
            val = f(signs)
            if val > best + 1e-14 * max(1.0, abs(best)):
                best, improved = val, True
            else:
                signs[i] = -signs[i]
        if not improved:
            break
    return (va * signs) @ vb.T


def spectral_distance(A, B) -> float:
    """Distance between the eigenvalue sets of two operators, optimally matched.

    ``sqrt(min_pi sum_i |lambda_i - mu_pi(i)|^2)`` (the smaller set padded with zeros):
    invariant under any change of basis (``B = M^-1 A M``, M invertible), where
    :func:`operator_distance` is invariant under rotations only.
    """
    a = np.linalg.eigvals(_operator("A", A))
    b = np.linalg.eigvals(_operator("B", B))
    r = max(a.size, b.size)
    a = np.concatenate([a, np.zeros(r - a.size)])
    b = np.concatenate([b, np.zeros(r - b.size)])
    cost = np.abs(a[:, None] - b[None, :]) ** 2
    i, j = scipy.optimize.linear_sum_assignment(cost)
    return float(np.sqrt(cost[i, j].sum()))


def dynamics_distance(states_a, states_b, *, n_delays: int = 5, rank: int = 6, **options) -> float:
    """Dynamical similarity of two sets of trajectories: :func:`dmd` of each, then
    :func:`operator_distance` (keywords `options` go to it). 0 for the activity of two
    linear systems that differ by a rotation of the state space."""
    return operator_distance(dmd(states_a, n_delays=n_delays, rank=rank),
                             dmd(states_b, n_delays=n_delays, rank=rank), **options)


@dataclass(frozen=True)
class NetworkDistances:
    """Pairwise distances between networks, one matrix per measure.

    Attributes
    ----------
    labels : tuple of str, length n_nets
    matrices : dict of str -> ndarray (n_nets, n_nets)
        ``"cka"``: 1 - linear CKA; ``"procrustes"``: angular Procrustes distance
        (radians); ``"dsa"``: :func:`operator_distance` of the DMD operators.
    dmd_rank : int
        Rank of the DMD operators (``"dsa"``).
    """

    labels: tuple
    matrices: dict

    dmd_rank: int = 0

    def to_dict(self) -> dict:
        return {"labels": list(self.labels), "dmd_rank": self.dmd_rank,
                "matrices": {k: np.round(v, 6).tolist() for k, v in self.matrices.items()}}


def network_distances(representations, *, labels=None, metrics=METRICS, n_delays: int = 5,
                      rank: int = 6, max_iter: int = 150) -> NetworkDistances:
    """Distance matrices between the activity of several networks on the same conditions.

    Parameters
    ----------
    representations : sequence of array_like, each (n_cond, n_steps, n_rec_i)
        Condition-averaged trajectories of each network (:func:`condition_states`), the
        same conditions and steps for all; sizes may differ.
    labels : sequence of str, optional
    metrics : sequence of {"cka", "procrustes", "dsa"}
    n_delays, rank : int
        Of the DMD fits (``"dsa"``).
    max_iter : int
        Polar steps of :func:`operator_distance` per pair. The default 150 is within 1% of
        2000 steps from twice as many starts on the DMD operators of trained networks, at
        a tenth of the cost (about 0.04 s per pair).

    Returns
    -------
    NetworkDistances
    """
    reps = [_trajectories(f"representations[{i}]", r) for i, r in enumerate(representations)]
    if len(reps) < 2:
        fail("representations", "at least 2 networks", len(reps))
    for i, r in enumerate(reps[1:], 1):
        if r.shape[:2] != reps[0].shape[:2]:
            fail(f"representations[{i}]", f"the same conditions and steps as the first: {reps[0].shape[:2]} + (n_rec,)",
                 r.shape)
    metrics = tuple(metrics)
    for m in metrics:
        check_choice("metrics", m, METRICS)
    n = len(reps)
    labels = tuple(str(s) for s in (labels if labels is not None else (f"net {i}" for i in range(n))))
    if len(labels) != n:
        fail("labels", f"{n} names (one per network)", len(labels))
    out = {}
    models = [dmd(r, n_delays=n_delays, rank=rank) for r in reps] if "dsa" in metrics else []
    r_min = min(m.rank for m in models) if models else 0
    # one rank for all, so every operator lives in a space of the same dimension
    models = [m if m.rank == r_min else dmd(r, n_delays=n_delays, rank=r_min) for m, r in zip(models, reps)]
    for metric in metrics:
        D = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                if metric == "cka":
                    d = 1.0 - linear_cka(reps[i], reps[j])
                elif metric == "procrustes":
                    d = procrustes_distance(reps[i], reps[j])
                else:
                    d = operator_distance(models[i], models[j], max_iter=max_iter)
                D[i, j] = D[j, i] = max(d, 0.0)
        out[metric] = D
    return NetworkDistances(labels=labels, matrices=out, dmd_rank=r_min)


def condition_states(net, batch, *, average: bool = True) -> np.ndarray:
    """States of a network on a batch of trials (noise-free dynamics), condition-averaged.

    Parameters
    ----------
    net : Network
    batch : purernn.tasks.Batch
        Give every network the same batch (the same inputs, noise included).
    average : bool
        Average the trials of each ``info["condition"]`` (conditions in sorted label
        order). Without it the single trials are returned: the better choice when trials
        of one condition differ in timing (e.g. flip-flop pulses), where averages blur.

    Returns
    -------
    ndarray, shape (n_cond, n_steps, n_rec), or (n_trials, n_steps, n_rec)
    """
    net = check_net(net)
    info = getattr(batch, "info", None) or {}
    if average and "condition" not in info:
        fail("batch", "a Batch with info['condition'] (or average=False)", type(batch).__name__)
    quiet = net.replace(sigma_rec=0.0) if net.config.sigma_rec > 0 else net
    h = np.array(simulate(quiet, batch.x).h, dtype=np.float64)
    if not average:
        return h
    _, means, _ = condition_average(h, info["condition"])
    return means
