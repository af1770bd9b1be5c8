"""Running a network: checked inputs in, states and outputs out (:func:`simulate`).

The Euler update itself is in :mod:`purernn.kernels`; this module checks what the user
passes (inputs, initial state, noise) and turns the kernels' time-major work buffers
into trial-major arrays that the caller owns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels
from ._validate import as_generator, check_array, fail
from .model import Network
from .outputs import apply_output

__all__ = ["Trajectory", "simulate", "simulate_outputs", "check_inputs", "check_h0", "check_noise"]


@dataclass(frozen=True)
class Trajectory:
    """States and outputs of a simulation, trial-major.

    Attributes
    ----------
    h : ndarray, shape (n_trials, n_steps, n_rec), or None
        States h_1..h_T (h_0 is not included); None from :func:`simulate_outputs`.
    z : ndarray, shape (n_trials, n_steps, n_out)
        Outputs, ``f(W_out h + b_out)`` with the network's output nonlinearity f.
    readout : ndarray, shape (n_trials, n_steps, n_out)
        The linear readout ``W_out h + b_out`` before f (the logits of a sigmoid or
        softmax output); the same array as `z` for a linear output.
    """

    h: np.ndarray | None
    z: np.ndarray
    readout: np.ndarray | None = None

    def __post_init__(self):
        if self.readout is None:
            object.__setattr__(self, "readout", self.z)


def check_inputs(net: Network, x, name: str = "x") -> np.ndarray:
    """Validate trial-major inputs (n_trials >= 1, n_steps >= 1, n_in) in the net's dtype."""
    return _non_empty(name, check_array(
        name, x, shape=(None, None, net.n_in), names=("n_trials", "n_steps", "n_in"),
        dtype=net.dtype, hint="Did the task and the network disagree on n_in?",
    ))


def check_h0(net: Network, h0, n_trials: int) -> np.ndarray:
    """h0 as (n_trials, n_rec): zero, one state for all trials, or one per trial."""
    if h0 is None:
        return np.zeros((n_trials, net.n_rec), dtype=net.dtype)
    h0 = check_array("h0", h0, dtype=net.dtype)
    if h0.shape == (net.n_rec,):
        return np.ascontiguousarray(np.broadcast_to(h0, (n_trials, net.n_rec)))
    if h0.shape != (n_trials, net.n_rec):
        fail("h0", f"an array of shape (n_rec={net.n_rec},) or (n_trials={n_trials}, n_rec={net.n_rec})", h0.shape)
    return h0


def check_noise(net: Network, noise, rng, n_trials: int, n_steps: int):
    """The standard-normal noise realization xi, (n_trials, n_steps, n_rec), or None.

    Drawn from `rng` when the network has ``sigma_rec > 0`` and no realization is given.
    """
    shape = (n_trials, n_steps, net.n_rec)
    if noise is not None:
        return check_array("noise", noise, shape=shape, names=("n_trials", "n_steps", "n_rec"),
                           dtype=net.dtype)
    if net.config.sigma_rec == 0.0:
        return None
    return as_generator(rng).standard_normal(shape, dtype=net.dtype)


def simulate(net: Network, x, *, h0=None, rng=None, noise=None) -> Trajectory:
    """Run the network on inputs `x` with the Euler update.

    Parameters
    ----------
    net : Network
    x : array_like, shape (n_trials, n_steps, n_in)
    h0 : array_like, shape (n_rec,) or (n_trials, n_rec), optional
        Initial state (default 0).
    rng : numpy.random.Generator, int or None
        Draws the recurrent noise when ``net.config.sigma_rec > 0``.
    noise : array_like, shape (n_trials, n_steps, n_rec), optional
        A standard-normal realization xi to use instead of drawing one.

    Returns
    -------
    Trajectory
        ``h`` (n_trials, n_steps, n_rec) and ``z`` (n_trials, n_steps, n_out).

    Notes
    -----
    For t = 1..T, the Euler discretization of ``tau dh/dt = -h + sigma(W_rec h + W_in x +
    b_rec)`` with ``alpha = dt / tau`` (see ``docs/model.md``)::

        a_t = W_rec h_{t-1} + W_in x_t + b_rec
        h_t = (1 - alpha) h_{t-1} + alpha sigma(a_t) + sqrt(2 alpha) sigma_rec xi_t
        z_t = f(W_out h_t + b_out)

    with f the network's output nonlinearity (identity, sigmoid or softmax;
    :mod:`purernn.outputs`).

    Examples
    --------
    >>> import numpy as np, purernn as pr
    >>> net = pr.Network.create(2, 8, 1, seed=0)
    >>> pr.simulate(net, np.zeros((3, 20, 2))).h.shape
    (3, 20, 8)
    """
    return _run(net, x, h0, rng, noise, keep=True)


def simulate_outputs(net: Network, x, *, h0=None, rng=None, noise=None) -> Trajectory:
    """:func:`simulate` without the states: a Trajectory whose `h` is None.

    What evaluation needs (``z`` and ``readout``): the forward pass keeps only the last
    two states of each trial and no derivatives for BPTT, so it writes a fraction of the
    memory. The same noise stream gives the same outputs as :func:`simulate`.
    """
    return _run(net, x, h0, rng, noise, keep=False)


def _run(net: Network, x, h0, rng, noise, *, keep: bool) -> Trajectory:
    """Check the arguments, run the kernels and copy out trial-major arrays."""
    x = check_inputs(net, x)
    n_trials, n_steps, _ = x.shape
    h0 = check_h0(net, h0, n_trials)
    xi = check_noise(net, noise, rng, n_trials, n_steps)
    cfg = net.config
    H, _, Z = kernels.forward(net._params, x.transpose(1, 0, 2), h0, xi, alpha=cfg.alpha, sigma_rec=cfg.sigma_rec,
                              activation=cfg.activation, keep=keep)  # work buffers with `keep`
    # copy() always copies (ascontiguousarray would return a view of the work buffer
    # when n_trials == 1)
    h = H[1:].transpose(1, 0, 2).copy() if keep else None  # (n_trials, n_steps, n_rec)
    readout = Z.transpose(1, 0, 2).copy()  # (n_trials, n_steps, n_out)
    return Trajectory(h=h, z=apply_output(readout, cfg.output), readout=readout)


def _non_empty(name: str, x: np.ndarray) -> np.ndarray:
    """`x` with at least one trial and one step: the loss averages over trials (and the
    rate penalty over steps), so an empty batch would divide by zero."""
    if x.shape[0] == 0 or x.shape[1] == 0:
        fail(name, "an array of shape (n_trials, n_steps, n_in) with n_trials >= 1 and n_steps >= 1",
             x.shape, "An empty batch has nothing to run.")
    return x
