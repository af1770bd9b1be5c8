"""The resting state of a network under a constant input: where its linearization says
the most about the task (:func:`resting_state`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_array, check_int
from ..simulation import simulate
from ._common import check_const_input, check_net
from .fixed_points import _descend, _newton_batch, _Speed

__all__ = ["RestingState", "resting_state"]


@dataclass(frozen=True)
class RestingState:
    """Where the network sits at rest under a constant input (:func:`resting_state`).

    Attributes
    ----------
    h : ndarray, shape (n_rec,)
        The state: the fixed point Newton's method reached from the end of the free run,
        or that end state when it reached none.
    q : float
        Its speed ``0.5 |F(h) - h|^2``.
    is_fixed_point : bool
        ``q <= tol_q``.
    settled : bool
        The free run itself had stopped (``q <= settle_tol`` at its end): the point is
        where the dynamics go, not only a fixed point near where they went.
    distance : float
        Max-norm distance from the end of the free run to `h`.
    n_steps : int
        Length of the free run.
    """

    h: np.ndarray
    q: float
    is_fixed_point: bool
    settled: bool
    distance: float
    n_steps: int

    def to_dict(self) -> dict:
        return {"q": float(self.q), "is_fixed_point": bool(self.is_fixed_point), "settled": bool(self.settled),
                "distance_from_free_run": float(self.distance), "n_steps": int(self.n_steps),
                "norm": float(np.linalg.norm(self.h))}


def resting_state(net, x=None, *, h0=None, n_steps: int = 500, tol_q: float = 1e-20,
                  settle_tol: float = 1e-8) -> RestingState:
    """The state the network rests in under constant input `x`: run the noise-free
    dynamics from `h0` (default the origin, where every trial starts) for `n_steps`, then
    polish the end state with Newton's method on ``F(h) - h = 0`` (after a descent on
    the speed q when Newton alone stalls).

    Parameters
    ----------
    net : Network
    x : array_like, shape (n_in,), optional
        The constant input (default 0), e.g. a task's resting input
        (:func:`purernn.analysis.baseline_input`).
    h0 : array_like, shape (n_rec,), optional
    n_steps : int
    tol_q, settle_tol : float
        Speeds below which a point is a fixed point, and the free run has settled.

    Returns
    -------
    RestingState

    Notes
    -----
    A network with a stable resting point settles there (``settled``, and Newton only
    polishes); one that oscillates or is chaotic at rest does not settle, and Newton
    then finds the fixed point nearest its activity (the unstable point a limit cycle
    turns around), which is where its linearization says the most.
    """
    net = check_net(net)
    x = check_const_input(net, x)
    n_steps = check_int("n_steps", n_steps, lo=1)
    h0 = np.zeros(net.n_rec) if h0 is None else check_array("h0", h0, shape=(net.n_rec,), names=("n_rec",),
                                                             dtype=np.float64)
    quiet = net.replace(sigma_rec=0.0) if net.config.sigma_rec > 0 else net
    traj = simulate(quiet, np.broadcast_to(x, (1, n_steps, net.n_in)), h0=h0)
    end = np.array(traj.h[0, -1], dtype=np.float64)
    sp = _Speed(net, x)
    q_end = sp.q(end) if np.all(np.isfinite(end)) else np.inf
    if not np.isfinite(q_end):
        end = h0.copy()
        q_end = sp.q(end)
    with np.errstate(over="ignore", invalid="ignore"):
        h = _newton_batch(sp, end[None, :], 50, tol_q)[0]
        if sp.q(h) > tol_q:  # Newton stalled: descend on q first, as find_fixed_points does
            h2 = _newton_batch(sp, _descend(sp, end[None, :], 500, 1e-2, tol_q), 50, tol_q)[0]
            h = h2 if sp.q(h2) < sp.q(h) else h
    q = sp.q(h)
    if not q < q_end:
        h, q = end, q_end
    return RestingState(h=h, q=float(q), is_fixed_point=bool(q <= tol_q), settled=bool(q_end <= settle_tol),
                        distance=float(np.max(np.abs(h - end))), n_steps=n_steps)
