"""Training: one optimizer step (:func:`train_step`) and the training loop."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import check_number, fail
from .errors import ConvergenceError
from .losses import _loss_and_grad, check_targets
from .model import Network, check_h0, check_inputs, check_noise
from .optim import Adam, AdamState

__all__ = ["StepResult", "train_step"]


@dataclass(frozen=True)
class StepResult:
    """What one training step returns.

    Attributes
    ----------
    net : Network
        The updated network (constraints applied).
    state : AdamState
        The updated optimizer state.
    loss : float
        Loss of the batch before the update.
    grad_norm : float
        Global L2 norm of the trainable parameters' gradient, before clipping.
    """

    net: Network
    state: AdamState
    loss: float
    grad_norm: float


def train_step(net: Network, batch, optimizer: Adam, state: AdamState, *, rng=None, noise=None,
               h0=None, l2_weights: float = 0.0, l2_rates: float = 0.0) -> StepResult:
    """One step: forward, BPTT, Adam on the trainable parameters, constraint projection.

    Parameters
    ----------
    net : Network
    batch : Batch
        Anything with ``x (n_trials, n_steps, n_in)``, ``y`` and ``mask``
        ``(n_trials, n_steps, n_out)`` (``mask`` may be None).
    optimizer : Adam
    state : AdamState
        From ``optimizer.init(net.params)`` or a previous step.
    rng : numpy.random.Generator, int or None
        Draws the recurrent noise when ``net.config.sigma_rec > 0``.
    noise, h0, l2_weights, l2_rates
        As in :func:`purernn.loss_and_grad`.

    Returns
    -------
    StepResult

    Raises
    ------
    ConvergenceError
        The loss or the gradient is not finite; nothing is updated.
    """
    if not isinstance(net, Network):
        fail("net", "a purernn.Network", type(net).__name__)
    if not isinstance(optimizer, Adam):
        fail("optimizer", "a purernn.optim.Adam", type(optimizer).__name__)
    if not isinstance(state, AdamState):
        fail("state", "a purernn.optim.AdamState (from optimizer.init(net.params))", type(state).__name__)
    x = check_inputs(net, batch.x, "batch.x")
    y, mask = check_targets(net, x, batch.y, getattr(batch, "mask", None))
    n_trials, n_steps, _ = x.shape
    h0 = check_h0(net, h0, n_trials)
    xi = check_noise(net, noise, rng, n_trials, n_steps)
    l2_weights = check_number("l2_weights", l2_weights, lo=0.0)
    l2_rates = check_number("l2_rates", l2_rates, lo=0.0)

    loss, grads = _loss_and_grad(net, x, y, mask, h0, xi, l2_weights, l2_rates)
    names = net.config.trainable
    params = {k: np.array(v) for k, v in net._params.items()}  # writable copies
    with np.errstate(over="ignore", invalid="ignore"):
        new_state, norm = optimizer.update(params, grads, state, names)
    if not (math.isfinite(loss) and math.isfinite(norm)):
        raise ConvergenceError(
            f"non-finite {'loss' if not math.isfinite(loss) else 'gradient'} "
            f"(loss={loss}, gradient norm={norm}); the network diverged. "
            f"Try a smaller learning rate (lr={optimizer.lr}), gradient clipping or a smaller gain."
        )
    net.project(params)
    return StepResult(net=net.with_params(params), state=new_state, loss=loss, grad_norm=norm)
