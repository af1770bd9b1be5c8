"""Weight statistics: moments, E/I groups, change through training, non-normality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._files import to_jsonable
from .._validate import fail
from ..model import Network
from ._common import check_net, check_square

__all__ = [
    "Moments",
    "WeightStats",
    "WeightChange",
    "NonNormality",
    "moments",
    "weight_stats",
    "weight_change",
    "henrici",
    "nonnormality",
]


@dataclass(frozen=True)
class Moments:
    """Moments of a set of weights, computed from the weights themselves.

    Attributes
    ----------
    n : int
        Number of weights.
    mean, std, skewness, kurtosis : float
        Sample mean, standard deviation (ddof=0), skewness ``E[(w-m)^3]/std^3`` and
        excess kurtosis ``E[(w-m)^4]/std^4 - 3`` (both 0 when std is 0).
    min, max : float
    frac_zero : float
        Fraction of weights exactly 0 (absent connections, clipped Dale entries).
    """

    n: int
    mean: float
    std: float
    skewness: float
    kurtosis: float
    min: float
    max: float
    frac_zero: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def moments(w) -> Moments:
    """The :class:`Moments` of the entries of `w` (any shape, at least one entry)."""
    w = np.asarray(w, dtype=np.float64).ravel()
    if w.size == 0:
        fail("w", "a non-empty array", w.shape)
    m = w.mean()
    d = w - m
    var = np.mean(d * d)
    std = float(np.sqrt(var))
    if std > 0:
        skew = float(np.mean(d**3) / std**3)
        kurt = float(np.mean(d**4) / var**2 - 3.0)
    else:
        skew = kurt = 0.0
    return Moments(n=int(w.size), mean=float(m), std=std, skewness=skew, kurtosis=kurt,
                   min=float(w.min()), max=float(w.max()), frac_zero=float(np.mean(w == 0.0)))


def _groups(net: Network) -> dict:
    """Weights by group: W_in, W_rec (or W_rec_E, W_rec_I under Dale), W_out, biases.

    Under Dale's law the groups are the outgoing weights of E and of I units (columns of
    W_rec, or rows in ``dale_mode="postsynaptic"``), and only existing connections
    (rec_mask) are counted.
    """
    p = net.params
    W = p["W_rec"]
    exists = np.ones(W.shape, dtype=bool) if net.rec_mask is None else net.rec_mask
    out = {"W_in": p["W_in"].ravel()}
    signs = net.config.signs
    if signs is None:
        out["W_rec"] = W[exists]
    else:
        exc = signs > 0
        if net.config.dale_mode == "presynaptic":
            sel_e = exists & exc[None, :]
            sel_i = exists & ~exc[None, :]
        else:
            sel_e = exists & exc[:, None]
            sel_i = exists & ~exc[:, None]
        out["W_rec_E"] = W[sel_e]
        out["W_rec_I"] = W[sel_i]
    out["W_out"] = p["W_out"].ravel() if net.out_mask is None else p["W_out"][net.out_mask]
    out["b_rec"] = p["b_rec"].ravel()
    out["b_out"] = p["b_out"].ravel()
    return out


@dataclass(frozen=True)
class WeightStats:
    """Weights of one network grouped for histograms, with their moments.

    Attributes
    ----------
    values : dict of str -> ndarray, shape (n_weights,)
        The weights of each group: ``W_in``, ``W_rec`` (or ``W_rec_E`` and ``W_rec_I``,
        the outgoing weights of excitatory and inhibitory units, under Dale's law),
        ``W_out``, ``b_rec``, ``b_out``. Absent connections are left out.
    moments : dict of str -> Moments
        The moments of each group.
    dale : bool
        Whether the network has Dale's law (E and I groups).
    """

    values: dict
    moments: dict
    dale: bool

    def to_dict(self) -> dict:
        return {"dale": self.dale, "moments": {k: m.to_dict() for k, m in self.moments.items()}}


def weight_stats(net) -> WeightStats:
    """Group the weights of `net` (E and I apart under Dale's law) and take their moments.

    Parameters
    ----------
    net : Network

    Returns
    -------
    WeightStats
    """
    net = check_net(net)
    values = _groups(net)
    return WeightStats(values=values, moments={k: moments(v) for k, v in values.items() if v.size},
                       dale=net.config.dale is not None)


@dataclass(frozen=True)
class WeightChange:
    """How much training moved each parameter.

    Every attribute is a dict keyed by parameter name (``W_in, W_rec, b_rec, W_out,
    b_out``) with float values.

    Attributes
    ----------
    norm_before, norm_after : dict
        Frobenius norms ``|P_0|_F`` and ``|P|_F``.
    norm_change : dict
        ``|P - P_0|_F``.
    relative_change : dict
        ``|P - P_0|_F / |P_0|_F`` (inf when ``P_0 = 0`` and P changed, 0 if neither).
    max_abs_change : dict
        ``max |P - P_0|``.
    correlation : dict
        Pearson correlation of the entries before and after (nan when either is constant).
    frac_sign_flip : dict
        Fraction of entries whose sign changed (entries 0 on either side not counted).
    """

    norm_before: dict
    norm_after: dict
    norm_change: dict
    relative_change: dict
    max_abs_change: dict
    correlation: dict
    frac_sign_flip: dict

    def to_dict(self) -> dict:
        return {k: {p: to_jsonable(float(v)) for p, v in d.items()} for k, d in self.__dict__.items()}


def weight_change(net_before, net_after) -> WeightChange:
    """Statistics of the change of every parameter between two networks.

    Parameters
    ----------
    net_before, net_after : Network
        The same architecture (e.g. the initial and the trained network).

    Returns
    -------
    WeightChange
    """
    net_before = check_net(net_before, "net_before")
    net_after = check_net(net_after, "net_after")
    p0, p1 = net_before.params, net_after.params
    for name in p0:
        if p0[name].shape != p1[name].shape:
            fail("net_after", f"a network with {name} of shape {p0[name].shape} like net_before",
                 p1[name].shape)
    fields = {k: {} for k in ("norm_before", "norm_after", "norm_change", "relative_change",
                              "max_abs_change", "correlation", "frac_sign_flip")}
    for name in p0:
        a = np.asarray(p0[name], dtype=np.float64).ravel()
        b = np.asarray(p1[name], dtype=np.float64).ravel()
        d = b - a
        n0, nd = np.linalg.norm(a), np.linalg.norm(d)
        fields["norm_before"][name] = float(n0)
        fields["norm_after"][name] = float(np.linalg.norm(b))
        fields["norm_change"][name] = float(nd)
        fields["relative_change"][name] = float(nd / n0) if n0 > 0 else (np.inf if nd > 0 else 0.0)
        fields["max_abs_change"][name] = float(np.max(np.abs(d))) if d.size else 0.0
        if a.size > 1 and np.std(a) > 0 and np.std(b) > 0:
            fields["correlation"][name] = float(np.corrcoef(a, b)[0, 1])
        else:
            fields["correlation"][name] = float("nan")
        both = (a != 0) & (b != 0)
        fields["frac_sign_flip"][name] = float(np.mean(np.sign(a[both]) != np.sign(b[both]))) if both.any() else 0.0
    return WeightChange(**fields)


def henrici(W) -> float:
    """Henrici's departure from normality of `W`, normalized by its Frobenius norm.

    Parameters
    ----------
    W : array_like, shape (n, n)

    Returns
    -------
    float in [0, 1]
        0 for a normal matrix (``W W^T = W^T W``), 1 for a nilpotent one.

    Notes
    -----
    ``d(W) = sqrt(|W|_F^2 - sum_i |lambda_i|^2) / |W|_F`` (Henrici 1962, Numer. Math.
    4:24). With the complex Schur form ``W = Q T Q^H`` the numerator is the Frobenius
    norm of the strictly upper triangle of T, computed that way here to avoid the
    cancellation of the difference (which leaves ``sqrt(eps)`` instead of 0 for a
    normal matrix).

    Examples
    --------
    >>> round(henrici([[1.0, 1.0], [0.0, 1.0]]), 12)   # 1 / sqrt(3)
    0.57735026919
    """
    W = check_square("W", W)
    fro = np.linalg.norm(W)
    if fro == 0:
        return 0.0
    T, _ = scipy.linalg.schur(W, output="complex")
    return float(np.linalg.norm(np.triu(T, 1)) / fro)


@dataclass(frozen=True)
class NonNormality:
    """Measures of the non-normality of a matrix.

    Attributes
    ----------
    henrici : float
        Normalized departure from normality, see :func:`henrici`.
    frobenius : float
        ``|W|_F``.
    commutator : float
        ``|W W^T - W^T W|_F / |W|_F^2`` (0 iff W is normal).
    """

    henrici: float
    frobenius: float
    commutator: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def nonnormality(W) -> NonNormality:
    """Henrici's departure from normality and the normalized commutator of `W` (n, n)."""
    W = check_square("W", W)
    fro = float(np.linalg.norm(W))
    comm = float(np.linalg.norm(W @ W.T - W.T @ W) / fro**2) if fro > 0 else 0.0
    return NonNormality(henrici=henrici(W), frobenius=fro, commutator=comm)
