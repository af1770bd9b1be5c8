"""Linearization: Jacobians of the Euler map and of the continuous system, eigenmodes,
predicted oscillation frequency and decay time, and the frequency measured by FFT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._validate import as_generator, check_array, check_choice, check_int, check_number
from ..model import Network
from ..simulation import simulate
from ._common import activation, check_const_input, check_net, check_state, complex_to_json
from .spectrum import sort_eigenvalues

__all__ = [
    "KINDS",
    "jacobian",
    "map_eigenvalues",
    "Linearization",
    "linearize",
    "FreeResponse",
    "free_response",
    "mode_frequency",
]

#: Conventions of :func:`jacobian`.
KINDS = ("map", "continuous")

_REAL_TOL = 1e-10  # |Im| below this (relative) counts as a real eigenvalue


def _preactivation(net: Network, h: np.ndarray, x: np.ndarray) -> np.ndarray:
    p = net.params
    return p["W_rec"].astype(np.float64) @ h + p["W_in"].astype(np.float64) @ x + p["b_rec"]


def jacobian(net, h=None, x=None, *, kind: str = "map") -> np.ndarray:
    """Jacobian of the network's dynamics at state `h` under constant input `x`.

    Parameters
    ----------
    net : Network
    h : array_like, shape (n_rec,), optional
        The state (default: the origin).
    x : array_like, shape (n_in,), optional
        The constant input (default: 0).
    kind : {"map", "continuous"}
        ``"map"``: of the Euler map ``F(h) = (1 - alpha) h + alpha sigma(a)``;
        ``"continuous"``: of the vector field ``dh/dt``, time in steps.

    Returns
    -------
    ndarray, shape (n_rec, n_rec)

    Notes
    -----
    With ``a = W_rec h + W_in x + b_rec`` and ``D = diag(sigma'(a))``::

        map:         J = (1 - alpha) I + alpha D W_rec
        continuous:  J = (-I + D W_rec) / tau,   tau = 1 / alpha steps

    so ``J_map = I + J_continuous``: an eigenvalue ``mu`` of the map is
    ``1 + lambda`` for the eigenvalue ``lambda`` of the continuous system (per step),
    or ``1 + alpha lambda_tau`` for ``lambda_tau = lambda tau`` in units of ``1 / tau``.
    The map is stable iff all ``|mu| < 1``, the continuous system iff all
    ``Re(lambda) < 0``; these agree as ``alpha -> 0``.
    """
    net = check_net(net)
    check_choice("kind", kind, KINDS)
    h = check_state(net, h)
    x = check_const_input(net, x)
    _, ds = activation(net, _preactivation(net, h, x))
    DW = ds[:, None] * net.params["W_rec"].astype(np.float64)  # (n_rec, n_rec)
    alpha = net.alpha
    if kind == "map":
        J = alpha * DW
        J[np.diag_indices_from(J)] += 1.0 - alpha
    else:
        J = alpha * DW
        J[np.diag_indices_from(J)] -= alpha
    return J


def map_eigenvalues(mu, alpha: float) -> np.ndarray:
    """Eigenvalues of the Euler map from eigenvalues `mu` of ``D W_rec``: ``1 - alpha + alpha mu``.

    At the origin of a tanh network (``sigma'(0) = 1``) `mu` are the eigenvalues of
    W_rec, so this maps the spectrum of W_rec to the modes of the simulated dynamics.
    """
    alpha = check_number("alpha", alpha, lo=0.0, hi=1.0, lo_open=True)
    return 1.0 - alpha + alpha * np.asarray(mu, dtype=complex)


def mode_frequency(mu) -> tuple[np.ndarray, np.ndarray]:
    """Oscillation frequency (cycles per step) of map eigenvalues `mu`, exact and small-angle.

    Returns ``(arg(mu) / (2 pi), Im(mu) / (2 pi Re(mu)))``, both as absolute values. The
    second is the talk's formula; it is the first-order form of the first in the angle
    (``tan(theta) ~ theta``) and diverges as ``Re(mu) -> 0``.
    """
    mu = np.asarray(mu, dtype=complex)
    exact = np.abs(np.angle(mu)) / (2.0 * np.pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        small = np.abs(mu.imag) / (2.0 * np.pi * mu.real)
    return exact, small


@dataclass(frozen=True)
class Linearization:
    """Eigenmodes of the linearized dynamics at one state.

    Attributes
    ----------
    h, x : ndarray, shapes (n_rec,), (n_in,)
        Where the network was linearized.
    alpha : float
    jacobian : ndarray, shape (n_rec, n_rec)
        Jacobian of the Euler map.
    eigenvalues : ndarray of complex, shape (n_rec,)
        Its eigenvalues ``mu``, by decreasing modulus.
    eigenvalues_continuous : ndarray of complex, shape (n_rec,)
        The same modes for the continuous system, ``(mu - 1) / alpha``, in units of
        ``1 / tau``.
    frequency : ndarray, shape (n_rec,)
        ``|arg(mu)| / (2 pi)``, cycles per step.
    frequency_small_angle : ndarray, shape (n_rec,)
        ``|Im mu| / (2 pi Re mu)`` (talk's formula; inf or negative when ``Re mu <= 0``).
    decay_time : ndarray, shape (n_rec,)
        ``-1 / log |mu|`` steps: the e-folding time of the mode (negative: a growth time;
        inf: marginal).
    dominant : int
        Index of the dominant oscillatory mode: the complex mode (``Im mu > 0``) with the
        largest modulus (``by="modulus"``) or the largest real part of the continuous
        eigenvalue (``by="real"``); -1 when every eigenvalue is real.
    stable : bool
        All ``|mu| < 1``.
    """

    h: np.ndarray
    x: np.ndarray
    alpha: float
    jacobian: np.ndarray
    eigenvalues: np.ndarray
    eigenvalues_continuous: np.ndarray
    frequency: np.ndarray
    frequency_small_angle: np.ndarray
    decay_time: np.ndarray
    dominant: int
    stable: bool

    @property
    def dominant_frequency(self) -> float:
        """Frequency (cycles per step) of the dominant oscillatory mode (nan if none)."""
        return float(self.frequency[self.dominant]) if self.dominant >= 0 else float("nan")

    @property
    def dominant_frequency_small_angle(self) -> float:
        return float(self.frequency_small_angle[self.dominant]) if self.dominant >= 0 else float("nan")

    @property
    def dominant_decay_time(self) -> float:
        return float(self.decay_time[self.dominant]) if self.dominant >= 0 else float("nan")

    def to_dict(self) -> dict:
        def f(v):
            v = float(v)
            return v if np.isfinite(v) else None
        dom = self.eigenvalues[self.dominant] if self.dominant >= 0 else None
        return {
            "alpha": self.alpha,
            "stable": self.stable,
            "radius": float(np.abs(self.eigenvalues[0])),
            "leading_eigenvalues": complex_to_json(self.eigenvalues[:6]),
            "dominant_oscillatory_eigenvalue": None if dom is None else complex_to_json(dom),
            "dominant_frequency": f(self.dominant_frequency),
            "dominant_frequency_small_angle": f(self.dominant_frequency_small_angle),
            "dominant_decay_time": f(self.dominant_decay_time),
            "units": "cycles per step; steps",
        }


def linearize(net, h=None, x=None, *, by: str = "real", eigenvalues=None) -> Linearization:
    """Linearize the network at state `h` under constant input `x`; eigenmodes and frequencies.

    Parameters
    ----------
    net : Network
    h : array_like, shape (n_rec,), optional
        The state (default: the origin, a fixed point when ``b_rec = 0``, ``x = 0`` and
        ``sigma(0) = 0``).
    x : array_like, shape (n_in,), optional
        Constant input (default 0).
    by : {"real", "modulus"}
        How the dominant oscillatory mode is chosen: the complex pair with the largest
        real part of the continuous eigenvalue ``(mu - 1) / alpha`` (default: the slowest
        mode of equation (1), the talk's choice), or the largest ``|mu|`` of the Euler map.
        They agree as ``alpha -> 0``; at ``alpha = 1`` a map eigenvalue near -1 (a
        period-2 flip of the discrete update) can have the largest modulus while being
        the fastest-decaying mode of the ODE. On a trained ``oscillation`` network (50
        units, alpha = 1), "real" predicts a period of 34.3 steps against 34.7 measured
        in its output, "modulus" a period-2 mode.
    eigenvalues : array_like of complex, shape (n_rec,), optional
        The eigenvalues of the map Jacobian at `h` when they are already known (e.g.
        ``fps.eigenvalues[i]`` of a fixed point), to skip the eigendecomposition.

    Returns
    -------
    Linearization

    Notes
    -----
    For a map eigenvalue ``mu = |mu| e^{i theta}`` the mode ``mu^t`` oscillates with
    frequency ``theta / (2 pi)`` cycles per step and decays with e-folding time
    ``-1 / log |mu|`` steps. The talk's ``Im / (2 pi Re)`` equals
    ``tan(theta) / (2 pi)``: its small-angle form, accurate for slow oscillations and
    diverging as ``theta -> pi / 2``; both are reported. At the origin of a tanh network
    ``mu = 1 - alpha + alpha nu`` for the eigenvalues ``nu`` of W_rec.
    """
    net = check_net(net)
    check_choice("by", by, ("modulus", "real"))
    h = check_state(net, h)
    x = check_const_input(net, x)
    J = jacobian(net, h, x, kind="map")
    if eigenvalues is None:
        mu = sort_eigenvalues(scipy.linalg.eigvals(J))
    else:
        mu = sort_eigenvalues(check_array("eigenvalues", eigenvalues, shape=(net.n_rec,), names=("n_rec",),
                                          dtype=complex))
    alpha = net.alpha
    lam = (mu - 1.0) / alpha
    freq, small = mode_frequency(mu)
    with np.errstate(divide="ignore"):
        decay = -1.0 / np.log(np.abs(mu))
    osc = np.flatnonzero(mu.imag > _REAL_TOL * np.maximum(1.0, np.abs(mu)))
    if osc.size == 0:
        dominant = -1
    else:
        key = np.abs(mu[osc]) if by == "modulus" else lam[osc].real
        dominant = int(osc[np.argmax(key)])
    return Linearization(
        h=h, x=x, alpha=alpha, jacobian=J, eigenvalues=mu, eigenvalues_continuous=lam,
        frequency=freq, frequency_small_angle=small, decay_time=decay, dominant=dominant,
        stable=bool(np.all(np.abs(mu) < 1.0)),
    )


@dataclass(frozen=True)
class FreeResponse:
    """Free activity of the network after a pulse, and its power spectrum.

    Attributes
    ----------
    h : ndarray, shape (n_steps, n_rec)
        States after the pulse (constant input, no recurrent noise).
    freqs : ndarray, shape (n_freqs,)
        Frequencies of the spectrum, cycles per step (zero-padded FFT grid).
    power : ndarray, shape (n_freqs,)
        Power summed over units of the centred traces.
    frequency : float
        Peak frequency (cycles per step, refined by parabolic interpolation of the log
        power; nan when the activity is flat).
    """

    h: np.ndarray
    freqs: np.ndarray
    power: np.ndarray
    frequency: float

    def to_dict(self) -> dict:
        return {"measured_frequency": float(self.frequency) if np.isfinite(self.frequency) else None}


def free_response(net, h=None, x=None, *, n_steps: int = 2048, pulse: float = 0.1,
                  skip: int = 0, pad: int = 8, rng=None) -> FreeResponse:
    """Kick the network out of state `h` and measure the frequency of its free activity.

    Parameters
    ----------
    net : Network
    h : array_like, shape (n_rec,), optional
        The state kicked (default: the origin).
    x : array_like, shape (n_in,), optional
        Constant input during the free run (default 0).
    n_steps : int
        Length of the free run.
    pulse : float
        Size of the kick: ``h_0 = h + pulse u``, ``u`` a random unit vector (an
        instantaneous input pulse; small values probe the linearization at `h`).
    skip : int
        Steps dropped at the start before the FFT (a transient).
    pad : int
        Zero-padding factor of the FFT (finer frequency grid).
    rng : numpy.random.Generator, int or None
        Draws the kick direction.

    Returns
    -------
    FreeResponse

    Notes
    -----
    The recurrent noise is switched off (``sigma_rec = 0``). The spectrum is the sum over
    units of ``|FFT(h_i - c_i)|^2``, zero-padded `pad` times, where ``c`` is the mean state
    over the second half of the run (the point a decaying response settles to, or the
    centre of a sustained oscillation); no taper, since a decaying response is windowed by
    its own decay. The peak is refined by a parabola through the log power at the three
    grid points around it.
    """
    net = check_net(net)
    h = check_state(net, h)
    x = check_const_input(net, x)
    n_steps = check_int("n_steps", n_steps, lo=8)
    pulse = check_number("pulse", pulse, lo=0.0)
    skip = check_int("skip", skip, lo=0, hi=n_steps - 8)
    pad = check_int("pad", pad, lo=1)
    u = as_generator(rng).standard_normal(net.n_rec)
    u /= np.linalg.norm(u)
    quiet = net.replace(sigma_rec=0.0) if net.config.sigma_rec > 0 else net
    xs = np.broadcast_to(x, (1, n_steps, net.n_in))
    traj = simulate(quiet, xs, h0=h + pulse * u)
    H = np.array(traj.h[0], dtype=np.float64)  # (n_steps, n_rec), a copy
    n_fft = pad * (n_steps - skip)
    freqs = np.fft.rfftfreq(n_fft)
    if not np.all(np.isfinite(H)) or np.abs(H).max() > 1e150:
        nan = np.full(freqs.shape, np.nan)
        return FreeResponse(h=H, freqs=freqs, power=nan, frequency=float("nan"))
    seg = H[skip:]
    # Centre on the mean of the second half: the fixed point a decaying response settles
    # to, or the centre of a sustained oscillation.
    seg = seg - seg[seg.shape[0] // 2:].mean(axis=0)
    # No taper: a decaying response is already windowed by its decay, and a Hann window
    # would erase its start, where the signal is.
    spec = np.fft.rfft(seg, n=n_fft, axis=0)
    power = np.sum(np.abs(spec) ** 2, axis=1)  # (n_freqs,)
    if power[1:].max() <= 1e-300:
        return FreeResponse(h=H, freqs=freqs, power=power, frequency=float("nan"))
    k = int(np.argmax(power))
    f = freqs[k]
    if 0 < k < power.size - 1 and np.all(power[k - 1:k + 2] > 0):
        lm, l0, lp = np.log(power[k - 1:k + 2])
        denom = lm - 2.0 * l0 + lp
        if denom < 0:
            f = freqs[k] + 0.5 * (lm - lp) / denom * (freqs[1] - freqs[0])
    return FreeResponse(h=H, freqs=freqs, power=power, frequency=float(f))
