"""Training configuration: :class:`TrainConfig` and the random streams of a run.

One seed spawns independent streams (init, data, noise, order, valid), so that changing
one setting (the noise level, the batch size) does not change the draws of the others,
and every draw is a function of (seed, stream, index): a resumed run redraws exactly
what an uninterrupted one would have.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ._validate import check_choice, check_int, check_number, fail
from .optim import Adam
from .outputs import LOSSES

__all__ = ["STREAMS", "REGIMES", "STOP_REASONS", "RENAMED", "TrainConfig", "stream_seed", "stream_rng",
           "resolve_seed", "target_accuracy", "rename_deprecated"]

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
#: Old spellings of TrainConfig fields (the training TOML and the CLI of purernn 0.1) ->
#: the one name used everywhere now; still accepted, with a DeprecationWarning.
RENAMED = {"steps": "n_steps", "epochs": "n_epochs"}


def rename_deprecated(d: Mapping, where: str = "TrainConfig") -> dict:
    """`d` with the old spellings of :data:`RENAMED` replaced by the current names.

    Each old name found gives a ``DeprecationWarning`` naming `where` it was found; an
    old and a new spelling of the same field together are an error.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     rename_deprecated({"steps": 100, "lr": 0.01})
    {'n_steps': 100, 'lr': 0.01}
    >>> str(w[0].message)
    "TrainConfig: 'steps' is deprecated; use 'n_steps' (the same name in Python, TOML files, study files and the CLI)."
    """
    out = {}
    for key, value in d.items():
        new = RENAMED.get(key)
        if new is None:
            out[key] = value
            continue
        if new in d:
            fail(key, f"given once: {key!r} is the old spelling of {new!r}", f"both {key!r} and {new!r}")
        warnings.warn(f"{where}: {key!r} is deprecated; use {new!r} (the same name in Python, TOML "
                      "files, study files and the CLI).", DeprecationWarning, stacklevel=3)
        out[new] = value
    return out


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


#: TrainConfig fields added after the first release -> the value that reproduces what the
#: first release did. to_dict omits a field that holds it (so run files and sweep point ids
#: of configurations that behave as before stay what they were), and run files that lack
#: a field are read with it (:meth:`TrainConfig.from_dict` with ``legacy=True``).
_LATER_FIELDS = {"loss": "mse", "valid_balanced": False, "stop_rule": "mean"}
#: Stop rules: the validation accuracy over all trials, or that of every condition.
STOP_RULES = ("mean", "every_condition")


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
    loss : {"mse", "cross_entropy"}
        The data term (:func:`purernn.loss_and_grad`); cross-entropy needs a network with
        a sigmoid or softmax output.
    clip_norm : float or None
        Rescale the gradient to this global norm when it is larger.
    l2_weights, l2_rates : float
        Regularizer strengths (see :func:`purernn.loss_and_grad`); 0 in the Table 1 regime.
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
    valid_balanced : bool
        Draw the validation set with every condition of the task equally often
        (:func:`purernn.conditions.balanced_sample`) rather than as one plain sample.
    stop_rule : {"mean", "every_condition"}
        The criterion must hold for the accuracy over all validation trials, or for the
        accuracy of every condition (its minimum, as Yang et al. 2019 stop on their worst
        task).
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
    loss: str = "mse"
    clip_norm: float | None = None
    l2_weights: float = 0.0
    l2_rates: float = 0.0
    n_valid: int = 256
    eval_every: int = 25
    stop_at_criterion: bool = True
    target_accuracy: float | None = None
    loss_threshold: float | None = None
    patience: int = 1
    valid_balanced: bool = True
    stop_rule: str = "mean"
    keep_best: bool = True
    checkpoint_every: int = 200
    seed: int | None = None

    def __post_init__(self):
        check_choice("regime", self.regime, REGIMES)
        check_choice("loss", self.loss, LOSSES)
        check_choice("stop_rule", self.stop_rule, STOP_RULES)
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
        for name in ("stop_at_criterion", "keep_best", "valid_balanced"):
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
        """JSON- and TOML-friendly fields.

        Fields added after the first release (:data:`_LATER_FIELDS`) are left out while
        they hold the value that reproduces the first release, so that the run files and
        the sweep point ids (hashes of this dict) of configurations that behave as before
        stay what they were.
        """
        d = dataclasses.asdict(self)
        for name, legacy in _LATER_FIELDS.items():
            if d[name] == legacy:
                del d[name]
        return d

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_dict(cls, d: Mapping, *, legacy: bool = False) -> "TrainConfig":
        """Inverse of :meth:`to_dict` (with ``legacy=True``); unknown keys are an error listing
        the valid ones.

        The old spellings ``steps`` and ``epochs`` (:data:`RENAMED`) are accepted with a
        DeprecationWarning. With `legacy` (reading a run file), a field of
        :data:`_LATER_FIELDS` that is absent takes the value that reproduces the first
        release instead of its default.
        """
        if legacy:
            d = {**_LATER_FIELDS, **d}
        valid = cls.field_names()
        if any(k in RENAMED for k in d):
            d = rename_deprecated(d)
        for key in d:
            if key not in valid:
                fail(key, "a TrainConfig field, one of " + ", ".join(valid), key, "Unknown key.")
        return cls(**d)

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some fields changed (validated; unknown names listed)."""
        return self.from_dict({**dataclasses.asdict(self), **changes})


def target_accuracy(config: TrainConfig, task) -> float:
    """The accuracy that counts as learned: ``config.target_accuracy`` or the task's criterion."""
    return config.target_accuracy if config.target_accuracy is not None else float(task.criterion)


def resolve_seed(config: TrainConfig) -> TrainConfig:
    """`config` with a seed: its own, or one drawn from fresh entropy (to be recorded with
    the run). Drawn seeds are below 2**32: short enough to read and type back."""
    if config.seed is not None:
        return config
    return config.replace(seed=int(np.random.SeedSequence().entropy % 2**32))
