"""Degradation: task accuracy as units or connections are removed (Jarne & Laje)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_generator, check_array, check_choice, check_int, check_task, fail
from ..model import Network
from ..simulation import check_noise, simulate
from ._common import check_net

__all__ = ["MODES", "FINE_FRACTIONS", "Degradation", "degradation", "lesion"]

#: What :func:`degradation` removes.
MODES = ("units", "connections")

#: A grid where trained networks actually degrade: 0, 0.5, 1, 2, 5, 10, 20 and 50 % (the
#: report's default; ``round(fraction * n)`` elements are removed, so the smallest
#: fractions remove nothing from a small network).
FINE_FRACTIONS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


@dataclass(frozen=True)
class Degradation:
    """Accuracy against the fraction of the network removed.

    Attributes
    ----------
    mode : {"units", "connections"}
    fractions : ndarray, shape (n_fractions,)
    accuracy : ndarray, shape (n_fractions, n_draws)
        Accuracy (fraction of trials correct) of each random lesion.
    baseline : float
        Accuracy of the intact network on the same trials.
    n_trials : int
    """

    mode: str
    fractions: np.ndarray
    accuracy: np.ndarray
    baseline: float
    n_trials: int

    @property
    def mean(self) -> np.ndarray:
        """(n_fractions,) mean accuracy over draws."""
        return self.accuracy.mean(axis=1)

    @property
    def std(self) -> np.ndarray:
        """(n_fractions,) standard deviation over draws."""
        return self.accuracy.std(axis=1)

    def to_dict(self) -> dict:
        return {
            "mode": self.mode,
            "baseline": self.baseline,
            "fractions": [float(f) for f in self.fractions],
            "mean": [float(v) for v in self.mean],
            "std": [float(v) for v in self.std],
            "n_draws": int(self.accuracy.shape[1]),
            "n_trials": self.n_trials,
        }


def lesion(net, fraction: float, *, mode: str = "units", rng=None) -> Network:
    """A copy of `net` with a random `fraction` of its units or connections removed.

    Parameters
    ----------
    net : Network
    fraction : float in [0, 1]
        ``round(fraction * n)`` of the ``n`` units (or existing non-zero recurrent
        connections) are removed.
    mode : {"units", "connections"}
        ``"units"``: every weight of the unit is zeroed (its row and column of W_rec, its
        row of W_in and b_rec, its column of W_out), so it stays at ``h = 0`` when
        ``sigma(0) = 0`` and, in any case, no longer acts on the network or the output.
        ``"connections"``: entries of W_rec are zeroed.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    Network
    """
    net = check_net(net)
    check_choice("mode", mode, MODES)
    if isinstance(fraction, bool) or not np.isscalar(fraction) or not 0.0 <= float(fraction) <= 1.0:
        fail("fraction", "a number in [0, 1]", fraction)
    rng = as_generator(rng)
    p = {k: np.array(v) for k, v in net.params.items()}
    if mode == "units":
        k = int(round(fraction * net.n_rec))
        idx = rng.choice(net.n_rec, size=k, replace=False)
        p["W_rec"][idx, :] = 0.0
        p["W_rec"][:, idx] = 0.0
        p["W_in"][idx, :] = 0.0
        p["b_rec"][idx] = 0.0
        p["W_out"][:, idx] = 0.0
    else:
        rows, cols = np.nonzero(p["W_rec"])
        k = int(round(fraction * rows.size))
        idx = rng.choice(rows.size, size=k, replace=False)
        p["W_rec"][rows[idx], cols[idx]] = 0.0
    return net.with_params(p)


def degradation(
    net,
    task,
    *,
    fractions=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5),
    mode: str = "units",
    n_draws: int = 5,
    n_trials: int = 128,
    batch=None,
    rng=None,
    progress: bool = False,
) -> Degradation:
    """Accuracy of `net` on `task` as a growing fraction of units or connections is removed.

    Parameters
    ----------
    net : Network
    task : purernn.tasks.Task
        Draws the trials (``task.sample``) and judges them (``task.score``).
    fractions : sequence of float in [0, 1]
    mode : {"units", "connections"}
        See :func:`lesion`.
    n_draws : int
        Random lesions per fraction.
    n_trials : int
        Trials drawn when `batch` is not given.
    batch : purernn.tasks.Batch, optional
        The trials to use (default: ``task.sample(n_trials, rng)``).
    rng : numpy.random.Generator, int or None
    progress : bool
        Show a tqdm bar over the lesions.

    Returns
    -------
    Degradation

    Notes
    -----
    Every lesion is tested on the same trials and the same recurrent-noise realization
    (common random numbers), so differences come from the lesion alone, and fraction 0
    reproduces the intact accuracy exactly. After C. Jarne & R. Laje (2020), "Graceful
    degradation of recurrent neural networks as a function of network size, memory length,
    and connectivity damage", arXiv:2011.01808.
    """
    net = check_net(net)
    check_choice("mode", mode, MODES)
    fr = check_array("fractions", fractions, shape=(None,), names=("n_fractions",), dtype=np.float64)
    if fr.size == 0 or np.any(fr < 0) or np.any(fr > 1):
        fail("fractions", "a non-empty sequence of numbers in [0, 1]", fractions)
    n_draws = check_int("n_draws", n_draws, lo=1)
    n_trials = check_int("n_trials", n_trials, lo=1)
    check_task(task)
    rng = as_generator(rng)
    if batch is None:
        batch = task.sample(n_trials, rng=rng)
    if batch.x.shape[2] != net.n_in:
        fail("task", f"a task with n_in = net.n_in = {net.n_in}", batch.x.shape[2],
             "Did the task and the network disagree on n_in?")
    noise = check_noise(net, None, rng, batch.x.shape[0], batch.x.shape[1])

    def accuracy(n):
        z = simulate(n, batch.x, noise=noise).z
        return float(np.mean(task.score(z, batch)))

    from tqdm.auto import tqdm

    baseline = accuracy(net)
    acc = np.empty((fr.size, n_draws))
    n_elements = net.n_rec if mode == "units" else int(np.count_nonzero(net.params["W_rec"]))
    with tqdm(total=fr.size * n_draws, disable=not progress, leave=False, dynamic_ncols=True,
              desc=f"degradation: {mode}", unit="lesion") as bar:
        for i, f in enumerate(fr):
            for d in range(n_draws):
                # a lesion that removes nothing is the intact network (no draw is spent)
                removes = int(round(float(f) * n_elements)) > 0
                acc[i, d] = accuracy(lesion(net, float(f), mode=mode, rng=rng)) if removes else baseline
                bar.update(1)
    return Degradation(mode=mode, fractions=fr, accuracy=acc, baseline=baseline,
                       n_trials=int(batch.x.shape[0]))
