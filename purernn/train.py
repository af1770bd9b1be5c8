"""Training: one optimizer step (:func:`train_step`) and the training loop."""

from __future__ import annotations

import dataclasses
import logging
import math
import signal
import threading
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from ._validate import as_generator, check_array, check_choice, check_int, check_number, fail
from .errors import ConvergenceError
from .losses import _loss_and_grad, check_targets
from .model import PARAM_NAMES, Network, check_h0, check_inputs, check_noise, simulate
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


# =======================================================================================
# The training loop (issue 5): configuration, random streams, evaluation, train()
# =======================================================================================

__all__ += [
    "STREAMS",
    "REGIMES",
    "TRAIN_DEFAULTS",
    "DEFAULT_TRAIN",
    "TrainConfig",
    "TrainResult",
    "StepEvent",
    "Evaluation",
    "train",
    "evaluate",
    "wilson_interval",
    "stream_seed",
    "stream_rng",
    "default_train_config",
    "default_network",
    "default_network_kwargs",
    "resolve_seed",
]

logger = logging.getLogger(__name__)

#: Independent random streams spawned from the training seed: ``SeedSequence(seed,
#: spawn_key=(STREAMS[name], *key))`` is the ``key``-th child of child ``STREAMS[name]``
#: of ``SeedSequence(seed)``. Step- or epoch-indexed children make every draw a function
#: of (seed, stream, index) only, so a resumed run redraws exactly what it would have.
STREAMS = {"init": 0, "data": 1, "noise": 2, "order": 3, "valid": 4}
#: Training regimes: a fixed training set passed over in epochs (the seed's Table 1, as
#: the original Keras code trains), or a fresh batch per step (PsychRNN / NeuroGym style).
REGIMES = ("fixed", "fresh")
#: How training ended.
STOP_REASONS = ("criterion", "loss_threshold", "max_steps", "callback", "interrupted", "diverged")


def stream_seed(seed: int, stream: str, *key: int) -> np.random.SeedSequence:
    """The SeedSequence of random stream `stream` (see :data:`STREAMS`), child `key`.

    Parameters
    ----------
    seed : int >= 0
        The training seed (``TrainConfig.seed``).
    stream : {"init", "data", "noise", "order", "valid"}
    *key : int
        Further spawn indices (e.g. the step for per-step draws).

    Examples
    --------
    >>> import numpy as np
    >>> child = np.random.SeedSequence(7).spawn(5)[2]
    >>> stream_seed(7, "noise").generate_state(2).tolist() == child.generate_state(2).tolist()
    True
    """
    check_choice("stream", stream, STREAMS)
    return np.random.SeedSequence(seed, spawn_key=(STREAMS[stream], *key))


def stream_rng(seed: int, stream: str, *key: int) -> np.random.Generator:
    """A Generator for :func:`stream_seed` (`seed`, `stream`, `*key`)."""
    return np.random.default_rng(stream_seed(seed, stream, *key))


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Hyperparameters of :func:`train` (every field has a default).

    Attributes
    ----------
    regime : {"fixed", "fresh"}
        ``"fixed"``: draw `n_samples` trials once and make `n_epochs` passes over them in
        shuffled mini-batches (the seed's Table 1 regime). ``"fresh"``: a new batch of
        `batch_size` trials at each of `n_steps` steps.
    n_steps : int
        Number of optimizer steps in the fresh regime.
    n_samples, n_epochs : int
        Training-set size and number of passes in the fixed regime (the last
        mini-batch of an epoch is smaller when `batch_size` does not divide `n_samples`).
    batch_size : int
        Trials per optimizer step.
    lr, beta1, beta2, eps : float
        Adam hyperparameters (Kingma & Ba 2015).
    clip_norm : float or None
        Rescale the gradient to this global norm when it is larger.
    l2_weights, l2_rates : float
        Regularizer strengths (SPEC section 1); 0 in the Table 1 regime.
    n_valid : int
        Size of the fixed held-out validation set (drawn once from its own stream).
    eval_every : int
        Evaluate on the validation set every this many steps (and at the first and the
        last step).
    stop_at_criterion : bool
        Stop when the validation accuracy reaches `target_accuracy`.
    target_accuracy : float or None
        Accuracy that counts as learned; None uses the task's ``criterion``.
    loss_threshold : float or None
        Also stop when the validation loss is at or below this value.
    patience : int
        A stop rule must hold on this many consecutive evaluations.
    keep_best : bool
        Return the parameters of the best evaluation (highest validation accuracy, ties
        broken by lower loss) rather than the last ones.
    checkpoint_every : int
        Steps between checkpoints when training into a run directory.
    seed : int or None
        Seed of the random streams init, data, noise, order and valid (:data:`STREAMS`);
        None draws one, which :func:`train` records in its result.
    """

    regime: str = "fresh"
    n_steps: int = 2000
    n_samples: int = 4000
    n_epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    clip_norm: float | None = None
    l2_weights: float = 0.0
    l2_rates: float = 0.0
    n_valid: int = 256
    eval_every: int = 25
    stop_at_criterion: bool = True
    target_accuracy: float | None = None
    loss_threshold: float | None = None
    patience: int = 1
    keep_best: bool = True
    checkpoint_every: int = 200
    seed: int | None = None

    def __post_init__(self):
        check_choice("regime", self.regime, REGIMES)
        for name in ("n_steps", "n_samples", "n_epochs", "batch_size", "n_valid", "eval_every",
                     "patience", "checkpoint_every"):
            object.__setattr__(self, name, check_int(name, getattr(self, name), lo=1))
        # Adam validates lr, betas, eps and clip_norm with the same messages.
        self.optimizer  # noqa: B018
        for name in ("lr", "beta1", "beta2", "eps", "l2_weights", "l2_rates"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.clip_norm is not None:
            object.__setattr__(self, "clip_norm", float(self.clip_norm))
        check_number("l2_weights", self.l2_weights, lo=0.0)
        check_number("l2_rates", self.l2_rates, lo=0.0)
        for name in ("stop_at_criterion", "keep_best"):
            if not isinstance(getattr(self, name), bool):
                fail(name, "True or False", getattr(self, name))
        if self.target_accuracy is not None:
            object.__setattr__(self, "target_accuracy", check_number(
                "target_accuracy", self.target_accuracy, lo=0.0, hi=1.0, lo_open=True))
        if self.loss_threshold is not None:
            object.__setattr__(self, "loss_threshold", check_number(
                "loss_threshold", self.loss_threshold, lo=0.0, lo_open=True))
        if self.seed is not None:
            object.__setattr__(self, "seed", check_int("seed", self.seed, lo=0))

    @property
    def optimizer(self) -> Adam:
        """The :class:`~purernn.optim.Adam` these hyperparameters describe."""
        return Adam(lr=self.lr, beta1=self.beta1, beta2=self.beta2, eps=self.eps,
                    clip_norm=self.clip_norm)

    @property
    def steps_per_epoch(self) -> int:
        """Mini-batches per pass over the training set (fixed regime)."""
        return -(-self.n_samples // self.batch_size)

    @property
    def total_steps(self) -> int:
        """Optimizer steps of a run that does not stop early."""
        if self.regime == "fixed":
            return self.n_epochs * self.steps_per_epoch
        return self.n_steps

    def to_dict(self) -> dict:
        """JSON- and TOML-friendly fields."""
        return dataclasses.asdict(self)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_dict(cls, d: Mapping) -> "TrainConfig":
        """Inverse of :meth:`to_dict`; unknown keys are an error listing the valid ones."""
        valid = cls.field_names()
        for key in d:
            if key not in valid:
                fail(key, "a TrainConfig field, one of " + ", ".join(valid), key, "Unknown key.")
        return cls(**d)

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some fields changed (validated; unknown names listed)."""
        return self.from_dict({**self.to_dict(), **changes})


@dataclass(frozen=True)
class StepEvent:
    """What a callback receives after each optimizer step.

    Attributes
    ----------
    step : int
        Number of optimizer steps done (1 after the first step).
    total_steps : int
    net : Network
        The network after this step.
    loss, grad_norm : float
        Training-batch loss before the update and gradient norm before clipping.
    val_loss, val_accuracy : float or None
        Validation results when this step was evaluated, else None.
    """

    step: int
    total_steps: int
    net: Network
    loss: float
    grad_norm: float
    val_loss: float | None = None
    val_accuracy: float | None = None


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What :func:`train` returns (and :func:`purernn.load_run` reads back).

    Attributes
    ----------
    net : Network
        The trained network (the best evaluation's parameters if ``config.keep_best``).
    net_init : Network
        The network before training.
    history : mapping of str -> ndarray
        ``loss (n_steps,)`` training-batch loss and ``grad_norm (n_steps,)`` per step;
        ``eval_step (n_evals,)``, ``val_loss (n_evals,)`` and ``val_accuracy (n_evals,)``
        on the fixed validation set, every ``config.eval_every`` steps.
    config : TrainConfig
        With the seed actually used.
    task : Task
    n_steps : int
        Optimizer steps taken.
    best_step : int
        Step of the parameters in `net`.
    stop_reason : str
        ``"criterion"``, ``"loss_threshold"``, ``"max_steps"``, ``"callback"``,
        ``"interrupted"`` (Ctrl-C) or ``"diverged"`` (only from a saved run).
    wall_time : float
        Seconds spent training (summed over resumed sessions).
    val_accuracy, val_loss : float
        Validation accuracy and loss of `net`.
    optimizer_state : AdamState
        Adam's state after the last step.
    """

    net: Network
    net_init: Network
    history: Mapping
    config: TrainConfig
    task: object
    n_steps: int
    best_step: int
    stop_reason: str
    wall_time: float
    val_accuracy: float
    val_loss: float
    optimizer_state: AdamState

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def target_accuracy(self) -> float:
        """The accuracy that counts as learned for this run."""
        return _target(self.config, self.task)

    @property
    def reached_criterion(self) -> bool:
        """Whether the validation accuracy of `net` reached `target_accuracy`."""
        return self.val_accuracy >= self.target_accuracy


@dataclass(frozen=True)
class Evaluation:
    """Accuracy and loss on fresh trials (:func:`evaluate`).

    Attributes
    ----------
    n_trials, n_correct : int
    accuracy : float
    ci_low, ci_high : float
        Wilson score 95% interval of the accuracy.
    loss : float
        Mean masked squared-error loss per trial (no regularizers).
    """

    n_trials: int
    n_correct: int
    accuracy: float
    ci_low: float
    ci_high: float
    loss: float


def wilson_interval(n_correct: int, n_trials: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% for the default `z`).

    Notes
    -----
    With p = k / n: ``(p + z^2/(2n) +- z sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)``
    (E. B. Wilson 1927). Unlike the normal interval it stays inside [0, 1] and is not
    empty at p = 0 or 1.

    Examples
    --------
    >>> lo, hi = wilson_interval(1000, 1000)
    >>> round(lo, 4), hi
    (0.9962, 1.0)
    """
    n_trials = check_int("n_trials", n_trials, lo=1)
    n_correct = check_int("n_correct", n_correct, lo=0, hi=n_trials)
    p = n_correct / n_trials
    z2n = z * z / n_trials
    center = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n_trials + z2n / (4 * n_trials))
    return max(0.0, center - half), min(1.0, center + half)


def _batch_metrics(net: Network, task, batch, noise_rng) -> tuple[float, np.ndarray]:
    """Loss (no regularizers) and per-trial correctness of `net` on `batch`."""
    z = simulate(net, batch.x, rng=noise_rng).z  # (n_trials, n_steps, n_out)
    diff = z - batch.y
    loss = 0.5 * float(np.sum(batch.mask * diff * diff, dtype=np.float64)) / batch.n_trials
    return loss, np.asarray(task.score(z, batch), dtype=bool)


def evaluate(net: Network, task, *, n_trials: int = 1000, rng=None) -> Evaluation:
    """Accuracy (with a Wilson 95% interval) and loss of `net` on fresh trials of `task`.

    Parameters
    ----------
    net : Network
    task : Task
    n_trials : int
    rng : numpy.random.Generator, int or None
        Draws the trials, then the recurrent noise.

    Returns
    -------
    Evaluation
    """
    if not isinstance(net, Network):
        fail("net", "a purernn.Network", type(net).__name__)
    n_trials = check_int("n_trials", n_trials, lo=1)
    rng = as_generator(rng)
    batch = task.sample(n_trials, rng)
    loss, correct = _batch_metrics(net, task, batch, rng)
    k = int(correct.sum())
    lo, hi = wilson_interval(k, n_trials)
    return Evaluation(n_trials=n_trials, n_correct=k, accuracy=k / n_trials, ci_low=lo, ci_high=hi, loss=loss)


# ---------------------------------------------------------------------------------------
# Default configurations
# ---------------------------------------------------------------------------------------

#: Training settings every task starts from: fresh trials, Adam at lr 1e-3 with the
#: gradient clipped to global norm 1. Without clipping, the occasional gradient spike of
#: a 200-step trial (norms of 100-1000) throws a 50-unit network onto a plateau where it
#: outputs the mean target for thousands of steps; with it the gates learn in ~100 steps.
DEFAULT_TRAIN = {"regime": "fresh", "n_steps": 3000, "lr": 1e-3, "clip_norm": 1.0, "eval_every": 50}

#: The seed's Table 1 regime for Jarne's gates: a fixed training set of 3200 trials, 20
#: shuffled epochs of mini-batches of 32 (at most 2000 steps), early stop at criterion.
_TABLE1 = {"regime": "fixed", "n_samples": 3200, "n_epochs": 20, "batch_size": 32, "eval_every": 25}

#: Recommended network and training settings per task name, on top of
#: :data:`DEFAULT_TRAIN` and a 50-unit orthogonal tanh network with the task's alpha;
#: measured to reach the task's criterion (``scripts/train_table.py`` writes the README
#: table from them). ``"network"`` holds :meth:`Network.create` keywords (``n_rec``
#: included), ``"train"`` :class:`TrainConfig` fields. A task class may instead define a
#: ``train_defaults`` ClassVar dict of the same form; this table is consulted first.
TRAIN_DEFAULTS: dict = {
    "and": {"train": _TABLE1},
    "or": {"train": _TABLE1},
    "xor": {"train": _TABLE1},
    "not": {"train": _TABLE1},
    # measured (seed 0): criterion at step 650, 10.5 s; with lr 1e-3 and batch 32 it was
    # at 0.11 accuracy after 3000 steps
    "flipflop3": {"train": {"lr": 3e-3, "batch_size": 64, "n_steps": 5000}},
    # The sign of 200 steps of integrated noise needs a time constant of hundreds of
    # steps: a leaky integrator with tau = 20 steps is right on 0.67 of the trials,
    # tau = 500 on 0.97. Discrete units (alpha 1) stalled at 0.63-0.68 (6000 steps, lr up
    # to 3e-3, 100 units); leaky units (alpha 0.1, i.e. tau = 10 ms) reach the criterion
    # in 200-750 steps (seeds 0-2). patience 3 stops on three evaluations in a row at
    # criterion, not on one lucky validation set.
    "perceptual_dm_zero": {"network": {"alpha": 0.1}, "train": {"batch_size": 64, "patience": 3}},
    # Six frequencies from one static input: 50 discrete units stalled at 0.34 (0.51 with
    # 100 units, 5000 steps); 50 leaky units (alpha 0.2) at 0.50 after 8000 steps. 100
    # leaky units reach the criterion: with these settings in 4950 steps (seed 0, 0.994 on
    # fresh trials) and 4550 (seed 1, 1.000); at alpha 0.5 in 3250 steps (0.947).
    "sine_generator": {"network": {"n_rec": 100, "alpha": 0.2},
                       "train": {"batch_size": 64, "n_steps": 8000, "patience": 3}},
}

_DEFAULT_NETWORK = {"n_rec": 50, "init": "orthogonal", "gain": 1.0, "activation": "tanh"}


def _task_name(task) -> str:
    from . import tasks as _tasks

    if isinstance(task, str):
        check_choice("task", task, _tasks.TASKS)
        return task
    name = getattr(task, "name", None)
    if not isinstance(name, str):
        fail("task", "a task name or a purernn.tasks.Task", type(task).__name__)
    return name


def _defaults(task) -> dict:
    from . import tasks as _tasks

    name = _task_name(task)
    if name in TRAIN_DEFAULTS:
        return TRAIN_DEFAULTS[name]
    cls = _tasks.TASKS.get(name, type(task) if not isinstance(task, str) else None)
    return getattr(cls, "train_defaults", None) or {}


def default_train_config(task, **overrides) -> TrainConfig:
    """The recommended :class:`TrainConfig` of a task, with some fields overridden.

    Parameters
    ----------
    task : str or Task
    **overrides
        TrainConfig fields.

    Examples
    --------
    >>> default_train_config("xor", seed=3).seed
    3
    """
    base = {**DEFAULT_TRAIN, **_defaults(task).get("train", {}), **overrides}
    return TrainConfig.from_dict(base)


def default_network_kwargs(task, **overrides) -> dict:
    """Keywords for :meth:`Network.create` recommended for `task` (``n_rec`` included).

    The network's ``alpha`` defaults to the task's recommended ``alpha``.
    """
    from . import tasks as _tasks

    kw = dict(_DEFAULT_NETWORK)
    obj = _tasks.make(task) if isinstance(task, str) else task
    kw["alpha"] = obj.alpha
    kw.update(_defaults(task).get("network", {}))
    kw.update(overrides)
    return kw


def default_network(task, *, seed=None, **overrides) -> Network:
    """The recommended network for `task`, initialized from the training seed's init stream.

    Parameters
    ----------
    task : str or Task
    seed : int or None
        The *training* seed: the weights are drawn from ``stream_rng(seed, "init")``, so
        the same seed gives the same initial network whatever the other settings.
    **overrides
        :meth:`Network.create` keywords (``n_rec``, ``init``, ``gain``, ...).

    Returns
    -------
    Network
    """
    from . import tasks as _tasks

    obj = _tasks.make(task) if isinstance(task, str) else task
    kw = default_network_kwargs(obj, **overrides)
    n_rec = kw.pop("n_rec")
    rng = None if seed is None else stream_rng(check_int("seed", seed, lo=0), "init")
    return Network.create(obj.n_in, n_rec, obj.n_out, seed=rng, **kw)


# ---------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------


def _target(config: TrainConfig, task) -> float:
    return config.target_accuracy if config.target_accuracy is not None else float(task.criterion)


def resolve_seed(config: TrainConfig) -> TrainConfig:
    """`config` with a seed: its own, or fresh entropy (to be recorded with the run)."""
    if config.seed is not None:
        return config
    return config.replace(seed=int(np.random.SeedSequence().entropy % 2**63))


class _Loop:
    """Mutable state of one training run; everything a checkpoint must hold.

    The per-step random draws are functions of (seed, stream, step), so this state plus
    the configuration determines the rest of the run exactly.
    """

    def __init__(self, net: Network, net_init: Network, task, config: TrainConfig):
        self.task = task
        self.config = config
        self.net = net
        self.net_init = net_init
        self.opt_state = config.optimizer.init(net.params)
        self.step = 0
        total = config.total_steps
        self.loss = np.full(total, np.nan)  # (total_steps,)
        self.grad_norm = np.full(total, np.nan)  # (total_steps,)
        self.eval_step: list[int] = []
        self.val_loss: list[float] = []
        self.val_accuracy: list[float] = []
        self.best_params = net.params
        self.best_step = 0
        self.best_accuracy = -1.0
        self.best_loss = math.inf
        self.n_good = 0
        self.wall_time = 0.0
        self.stop_reason = "max_steps"

    # -- checkpoint arrays ------------------------------------------------------------

    def to_arrays(self) -> dict:
        """The state as a flat dict of arrays (no objects: loadable without pickle)."""
        out = {}
        for prefix, params in (("", self.net.params), ("init_", self.net_init.params),
                               ("best_", self.best_params)):
            for k in PARAM_NAMES:
                out[prefix + k] = np.asarray(params[k])
        if self.net.rec_mask is not None:
            out["rec_mask"] = self.net.rec_mask
        if self.net.out_mask is not None:
            out["out_mask"] = self.net.out_mask
        out.update(self.opt_state.to_arrays())
        out["step"] = np.array(self.step, dtype=np.int64)
        out["loss"] = self.loss[: self.step]
        out["grad_norm"] = self.grad_norm[: self.step]
        out["eval_step"] = np.array(self.eval_step, dtype=np.int64)
        out["val_loss"] = np.array(self.val_loss, dtype=np.float64)
        out["val_accuracy"] = np.array(self.val_accuracy, dtype=np.float64)
        out["best_step"] = np.array(self.best_step, dtype=np.int64)
        out["best_accuracy"] = np.array(self.best_accuracy)
        out["best_loss"] = np.array(self.best_loss)
        out["n_good"] = np.array(self.n_good, dtype=np.int64)
        out["wall_time"] = np.array(self.wall_time)
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping, net_config, task, config: TrainConfig) -> "_Loop":
        """Inverse of :meth:`to_arrays` (raises ValidationError/KeyError on bad content)."""
        masks = {k: arrays[k] for k in ("rec_mask", "out_mask") if k in arrays}
        nets = {}
        for prefix in ("", "init_", "best_"):
            params = {k: arrays[prefix + k] for k in PARAM_NAMES}
            nets[prefix] = Network(net_config, params, **masks)
        loop = cls(nets[""], nets["init_"], task, config)
        loop.best_params = nets["best_"].params
        loop.opt_state = AdamState.from_arrays(arrays, loop.net.params)
        step = check_int("step", int(arrays["step"]), lo=0, hi=config.total_steps)
        loop.step = step
        for name in ("loss", "grad_norm"):
            arr = check_array(name, arrays[name], shape=(step,), dtype=np.float64, finite=False)
            getattr(loop, name)[:step] = arr
        n_eval = np.shape(arrays["eval_step"])
        loop.eval_step = [int(s) for s in check_array("eval_step", arrays["eval_step"], shape=(None,))]
        loop.val_loss = [float(v) for v in check_array("val_loss", arrays["val_loss"], shape=n_eval)]
        loop.val_accuracy = [float(v) for v in check_array("val_accuracy", arrays["val_accuracy"], shape=n_eval)]
        loop.best_step = int(arrays["best_step"])
        loop.best_accuracy = float(arrays["best_accuracy"])
        loop.best_loss = float(arrays["best_loss"])
        loop.n_good = int(arrays["n_good"])
        loop.wall_time = float(arrays["wall_time"])
        return loop

    # -- results ----------------------------------------------------------------------

    def history(self) -> Mapping:
        h = {
            "loss": self.loss[: self.step].copy(),
            "grad_norm": self.grad_norm[: self.step].copy(),
            "eval_step": np.array(self.eval_step, dtype=np.int64),
            "val_loss": np.array(self.val_loss, dtype=np.float64),
            "val_accuracy": np.array(self.val_accuracy, dtype=np.float64),
        }
        for a in h.values():
            a.flags.writeable = False
        return MappingProxyType(h)

    def result(self) -> TrainResult:
        if self.config.keep_best and self.eval_step:
            net = self.net.with_params(self.best_params)
            best_step, acc, loss = self.best_step, self.best_accuracy, self.best_loss
        else:
            net, best_step = self.net, self.step
            if self.eval_step and self.eval_step[-1] == self.step:
                acc, loss = self.val_accuracy[-1], self.val_loss[-1]
            else:
                acc, loss = math.nan, math.nan
        return TrainResult(
            net=net, net_init=self.net_init, history=self.history(), config=self.config,
            task=self.task, n_steps=self.step, best_step=best_step, stop_reason=self.stop_reason,
            wall_time=self.wall_time, val_accuracy=acc, val_loss=loss, optimizer_state=self.opt_state,
        )


class _Data:
    """The batch of each step, the validation set and the noise, from the seed's streams."""

    def __init__(self, task, config: TrainConfig, net: Network):
        self.task = task
        self.config = config
        self.seed = config.seed
        self.noisy = net.config.sigma_rec > 0
        self.valid = task.sample(config.n_valid, stream_rng(self.seed, "valid"))
        self.train_set = None
        if config.regime == "fixed":
            self.train_set = task.sample(config.n_samples, stream_rng(self.seed, "data"))
        self._epoch = -1
        self._order = None

    def batch(self, k: int):
        """The mini-batch of optimizer step `k` (0-based)."""
        cfg = self.config
        if cfg.regime == "fresh":
            return self.task.sample(cfg.batch_size, stream_rng(self.seed, "data", k))
        epoch, j = divmod(k, cfg.steps_per_epoch)
        if epoch != self._epoch:
            self._order = stream_rng(self.seed, "order", epoch).permutation(cfg.n_samples)
            self._epoch = epoch
        return self.train_set.subset(self._order[j * cfg.batch_size : (j + 1) * cfg.batch_size])

    def noise_rng(self, k: int):
        """Recurrent noise of step `k` (None for a noiseless network)."""
        return stream_rng(self.seed, "noise", k) if self.noisy else None

    def validate(self, net: Network) -> tuple[float, float]:
        """(loss, accuracy) on the fixed validation set, with a fixed noise realization."""
        noise = stream_rng(self.seed, "valid", 1) if self.noisy else None
        loss, correct = _batch_metrics(net, self.task, self.valid, noise)
        return loss, float(np.mean(correct))


class _SigintFlag:
    """While active (main thread only): the first Ctrl-C sets `.set` and training stops
    after the current step with a checkpoint; a second Ctrl-C aborts at once."""

    def __init__(self):
        self.set = False
        self.abort = False
        self._old = None

    def _handler(self, signum, frame):
        if self.set:
            self.abort = True
            raise KeyboardInterrupt
        self.set = True
        logger.warning("Ctrl-C: stopping after this step and saving a checkpoint "
                       "(press Ctrl-C again to abort at once)")

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


def _validate_train_args(net, task, config):
    if not isinstance(net, Network):
        fail("net", "a purernn.Network", type(net).__name__)
    if not isinstance(config, TrainConfig):
        fail("config", "a purernn.TrainConfig", type(config).__name__)
    for attr in ("sample", "score", "n_in", "n_out", "criterion"):
        if not hasattr(task, attr):
            fail("task", "a purernn.tasks.Task (from pr.tasks.make)", type(task).__name__)
    if (task.n_in, task.n_out) != (net.n_in, net.n_out):
        fail("net", f"a network with n_in={task.n_in} and n_out={task.n_out} for task "
             f"{getattr(task, 'name', '?')!r}", f"n_in={net.n_in}, n_out={net.n_out}",
             "Build it with pr.Network.create(task.n_in, n_rec, task.n_out, ...).")


def train(net: Network, task, config: TrainConfig | None = None, *, progress: bool = True,
          callbacks=None, run_dir=None, overwrite: bool = False) -> TrainResult:
    """Train `net` on `task` with Adam; optionally into a run directory.

    Parameters
    ----------
    net : Network
        The initial network (e.g. :func:`default_network` or ``pr.Network.create``).
    task : Task
    config : TrainConfig, optional
        Default: ``TrainConfig()``. :func:`default_train_config` gives the recommended
        configuration of a task.
    progress : bool
        Show a tqdm progress bar (loss, validation accuracy, gradient norm, steps/s).
    callbacks : sequence of callables, optional
        Each is called as ``cb(event)`` with a :class:`StepEvent` after every step;
        returning True stops training (stop reason ``"callback"``).
    run_dir : str or path-like, optional
        Save a checkpoint there every ``config.checkpoint_every`` steps (and on Ctrl-C),
        and the run (:func:`purernn.save_run`) at the end.
    overwrite : bool
        Replace an existing run in `run_dir` (otherwise that is an error).

    Returns
    -------
    TrainResult

    Raises
    ------
    ConvergenceError
        The loss or the gradient became non-finite; the message names the step. A run
        directory keeps its last good checkpoint.
    RunFileError
        `run_dir` already holds a run and `overwrite` is False.

    Notes
    -----
    Step k (0-based) uses the batch drawn from ``stream_rng(seed, "data", k)`` (fresh
    regime) or the k-th mini-batch of the epoch's permutation ``stream_rng(seed,
    "order", epoch)`` of the training set drawn from ``stream_rng(seed, "data")`` (fixed
    regime), and the recurrent noise ``stream_rng(seed, "noise", k)``. Every draw is a
    function of (seed, stream, index), which is why :func:`purernn.resume` reproduces an
    uninterrupted run bit for bit. Ctrl-C stops after the current step, saves a
    checkpoint and returns a result with ``stop_reason == "interrupted"``.
    """
    config = TrainConfig() if config is None else config
    _validate_train_args(net, task, config)
    config = resolve_seed(config)
    writer = None
    if run_dir is not None:
        from . import runs  # runs imports this module; the dependency is one-way at import

        writer = runs._RunWriter.create(run_dir, net, task, config, overwrite=overwrite)
    loop = _Loop(net, net, task, config)
    return _run(loop, writer, progress=progress, callbacks=callbacks)


def _run(loop: _Loop, writer, *, progress: bool, callbacks) -> TrainResult:
    """Run `loop` from its current step to the end (shared by train and resume)."""
    from tqdm.auto import tqdm

    cfg, task = loop.config, loop.task
    callbacks = list(callbacks or ())
    for cb in callbacks:
        if not callable(cb):
            fail("callbacks", "a sequence of callables", cb)
    data = _Data(task, cfg, loop.net)
    optimizer = cfg.optimizer
    target = _target(cfg, task)
    total = cfg.total_steps
    if writer is not None and loop.step == 0:
        writer.checkpoint(loop)

    def evaluate_now():
        v_loss, v_acc = data.validate(loop.net)
        loop.eval_step.append(loop.step)
        loop.val_loss.append(v_loss)
        loop.val_accuracy.append(v_acc)
        if (v_acc, -v_loss) > (loop.best_accuracy, -loop.best_loss):
            loop.best_params, loop.best_step = loop.net.params, loop.step
            loop.best_accuracy, loop.best_loss = v_acc, v_loss
        holds = (cfg.stop_at_criterion and v_acc >= target) or (
            cfg.loss_threshold is not None and v_loss <= cfg.loss_threshold)
        loop.n_good = loop.n_good + 1 if holds else 0
        logger.info("%s step %d/%d: val_loss %.4g, val_accuracy %.3f", task.name, loop.step,
                    total, v_loss, v_acc)
        return v_loss, v_acc

    if not loop.eval_step:
        evaluate_now()
    bar = tqdm(total=total, initial=loop.step, disable=not progress, desc=task.name,
               unit="step", dynamic_ncols=True, leave=True)
    session_start = time.perf_counter()
    wall_before = loop.wall_time
    stop = False
    try:
        with _SigintFlag() as sigint:
            try:
                while loop.step < total and not stop:
                    k = loop.step
                    try:
                        res = train_step(loop.net, data.batch(k), optimizer, loop.opt_state,
                                         rng=data.noise_rng(k), l2_weights=cfg.l2_weights,
                                         l2_rates=cfg.l2_rates)
                    except ConvergenceError as err:
                        loop.wall_time = wall_before + time.perf_counter() - session_start
                        raise _diverged(err, loop, writer) from err
                    # commit the step (one place, so a checkpoint always sees a whole step)
                    loop.loss[k], loop.grad_norm[k] = res.loss, res.grad_norm
                    loop.net, loop.opt_state, loop.step = res.net, res.state, k + 1
                    loop.wall_time = wall_before + time.perf_counter() - session_start
                    v_loss = v_acc = None
                    if loop.step % cfg.eval_every == 0 or loop.step == total:
                        v_loss, v_acc = evaluate_now()
                        if loop.n_good >= cfg.patience:
                            stop = True
                            loop.stop_reason = ("criterion" if cfg.stop_at_criterion and v_acc >= target
                                                else "loss_threshold")
                    bar.update(1)
                    if progress and (v_acc is not None or k % 10 == 0):
                        bar.set_postfix(loss=f"{res.loss:.3g}", acc=f"{loop.val_accuracy[-1]:.3f}",
                                        gnorm=f"{res.grad_norm:.3g}", refresh=False)
                    if callbacks:
                        event = StepEvent(step=loop.step, total_steps=total, net=loop.net,
                                          loss=res.loss, grad_norm=res.grad_norm,
                                          val_loss=v_loss, val_accuracy=v_acc)
                        for cb in callbacks:
                            if cb(event) is True and not stop:
                                stop, loop.stop_reason = True, "callback"
                    if writer is not None and loop.step % cfg.checkpoint_every == 0 and loop.step < total:
                        writer.checkpoint(loop)
                    if sigint.set and not stop:
                        raise KeyboardInterrupt
            except KeyboardInterrupt:
                if sigint.abort:
                    raise
                loop.stop_reason = "interrupted"
                logger.warning("%s: interrupted after step %d of %d", task.name, loop.step, total)
    finally:
        bar.close()
    if loop.stop_reason == "interrupted":
        if writer is not None:
            writer.checkpoint(loop, status="interrupted")
        return loop.result()
    if loop.eval_step[-1] != loop.step:
        evaluate_now()
    result = loop.result()
    logger.info("%s: stopped at step %d (%s); validation accuracy %.3f, loss %.4g, %.1f s",
                task.name, loop.step, loop.stop_reason, result.val_accuracy, result.val_loss,
                loop.wall_time)
    if cfg.stop_at_criterion and loop.stop_reason == "max_steps" and result.val_accuracy < target:
        logger.warning("%s: validation accuracy %.3f is below the criterion %g after %d steps. %s",
                       task.name, result.val_accuracy, target, loop.step, _not_learned_hint(loop.net, cfg))
    if writer is not None:
        writer.finish(result)
    return result


def _not_learned_hint(net: Network, cfg: TrainConfig) -> str:
    """What to try when training ran out of steps (measured in docs/studies/dale.md)."""
    if net.n_rec > 50 and cfg.lr >= 1e-3:
        return (f"Adam moves each of the {net.n_rec} inputs of a unit by about lr per step: with "
                f"more than 50 units try lr = {cfg.lr * 50 / net.n_rec:.1g} (lr * 50 / n_rec); "
                "200-unit XOR stays at chance at lr 1e-3 and learns at 3e-4.")
    return "Try more steps, a larger batch, another learning rate, or leaky units (alpha < 1)."


def _diverged(err: ConvergenceError, loop: _Loop, writer) -> ConvergenceError:
    step = loop.step + 1
    where = ""
    if writer is not None:
        last = writer.last_checkpoint_step
        where = (f" The run directory {str(writer.path)!r} keeps its last good checkpoint "
                 f"(step {last}).")
        writer.mark_diverged(f"step {step}: {err}")
    return ConvergenceError(f"Training diverged at step {step} of {loop.config.total_steps} "
                            f"(task {loop.task.name!r}): {err}{where}")
