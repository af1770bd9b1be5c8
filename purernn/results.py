"""What training produces: the result of a run, the event a callback sees, and the run's
live state (:class:`RunState`), which is also exactly what a checkpoint holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from ._validate import check_array, check_int
from .config import TrainConfig, target_accuracy
from .model import Network
from .optim import AdamState

__all__ = ["StepEvent", "TrainResult", "RunState"]


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
        on the fixed validation set, every ``config.eval_every`` steps; for a task with
        condition labels also ``valid_conditions (n_conditions,)`` and
        ``val_accuracy_by_condition (n_evals, n_conditions)``.
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
        return target_accuracy(self.config, self.task)

    @property
    def reached_criterion(self) -> bool:
        """Whether the validation accuracy of `net` reached `target_accuracy`."""
        return self.val_accuracy >= self.target_accuracy

    # -- what a run directory saves (purernn.runs) -----------------------------------------

    def params_arrays(self) -> dict:
        """Final and initial parameters (``W_rec``, ``init_W_rec``, ...), masks and Adam's
        state as a flat dict of plain arrays (``params.npz``)."""
        out = {}
        for prefix, net in (("", self.net), ("init_", self.net_init)):  # and U, V of a low-rank net
            out.update({prefix + k: np.asarray(v) for k, v in {**net.params, **net.variables}.items()})
        if self.net.rec_mask is not None:
            out["rec_mask"] = self.net.rec_mask
        if self.net.out_mask is not None:
            out["out_mask"] = self.net.out_mask
        out.update(self.optimizer_state.to_arrays())
        return out

    def summary(self) -> dict:
        """The scalars of the result (run.json's entry ``"result"``)."""
        return {"n_steps": self.n_steps, "best_step": self.best_step, "stop_reason": self.stop_reason,
                "wall_time": self.wall_time, "val_accuracy": float(self.val_accuracy),
                "val_loss": float(self.val_loss), "target_accuracy": self.target_accuracy,
                "reached_criterion": bool(self.reached_criterion)}



class RunState:
    """The mutable state of one training run: everything a checkpoint must hold.

    The per-step random draws are functions of (seed, stream, step) (see
    :func:`purernn.config.stream_rng`), so this state plus the configuration determines
    the rest of the run exactly. :meth:`to_arrays` and :meth:`from_arrays` convert it to
    and from a flat dict of plain arrays (saved as ``checkpoint.npz``, no pickling).

    Attributes
    ----------
    net, net_init : Network
        The current and the initial network.
    task : Task
    config : TrainConfig
    opt_state : AdamState
    step : int
        Optimizer steps done.
    loss, grad_norm : ndarray, shape (config.total_steps,)
        Per-step training loss and gradient norm (NaN past `step`).
    eval_step, val_loss, val_accuracy : list
        The validation evaluations so far.
    best_params, best_step, best_accuracy, best_loss
        The best evaluation so far (highest accuracy, ties broken by lower loss).
    n_good : int
        Consecutive evaluations at which a stop rule held.
    wall_time : float
        Seconds of training so far (summed over resumed sessions).
    stop_reason : str
        One of :data:`purernn.config.STOP_REASONS`.
    """

    def __init__(self, net: Network, net_init: Network, task, config: TrainConfig):
        self.task = task
        self.config = config
        self.net = net
        self.net_init = net_init
        self.opt_state = config.optimizer.init(net.variables)
        self.step = 0
        total = config.total_steps
        self.loss = np.full(total, np.nan)  # (total_steps,)
        self.grad_norm = np.full(total, np.nan)  # (total_steps,)
        self.eval_step: list[int] = []
        self.val_loss: list[float] = []
        self.val_accuracy: list[float] = []
        # accuracy of each validation condition per evaluation (labels in valid_conditions)
        self.val_accuracy_by_condition: list[np.ndarray] = []
        self.valid_conditions: np.ndarray | None = None
        self.best_params = net.variables
        self.best_step = 0
        self.best_accuracy = -1.0
        self.best_loss = math.inf
        self.n_good = 0
        self.wall_time = 0.0
        self.stop_reason = "max_steps"

    # -- updates (the training loop's only writes) ---------------------------------------

    def record_step(self, net: Network, opt_state: AdamState, loss: float, grad_norm: float) -> None:
        """Commit one optimizer step (all fields at once, so a checkpoint sees whole steps)."""
        k = self.step
        self.loss[k], self.grad_norm[k] = loss, grad_norm
        self.net, self.opt_state, self.step = net, opt_state, k + 1

    def record_evaluation(self, val_loss: float, val_accuracy: float, holds: bool,
                          by_condition=None) -> None:
        """Append a validation result; `holds` says whether a stop rule held on it;
        `by_condition`: the accuracy of each condition of ``valid_conditions``."""
        if by_condition is not None:
            self.val_accuracy_by_condition.append(np.asarray(by_condition, dtype=np.float64))
        self.eval_step.append(self.step)
        self.val_loss.append(val_loss)
        self.val_accuracy.append(val_accuracy)
        if (val_accuracy, -val_loss) > (self.best_accuracy, -self.best_loss):
            self.best_params, self.best_step = self.net.variables, self.step
            self.best_accuracy, self.best_loss = val_accuracy, val_loss
        self.n_good = self.n_good + 1 if holds else 0

    @property
    def evaluated_now(self) -> bool:
        """Whether the current step has been evaluated."""
        return bool(self.eval_step) and self.eval_step[-1] == self.step

    # -- checkpoint arrays ------------------------------------------------------------

    def to_arrays(self) -> dict:
        """The state as a flat dict of arrays (no objects: loadable without pickle)."""
        out = {}
        for prefix, params in (("", self.net.variables), ("init_", self.net_init.variables),
                               ("best_", self.best_params)):
            for k in self.net.config.variable_names:
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
        out.update(self._by_condition_arrays())
        out["best_step"] = np.array(self.best_step, dtype=np.int64)
        out["best_accuracy"] = np.array(self.best_accuracy)
        out["best_loss"] = np.array(self.best_loss)
        out["n_good"] = np.array(self.n_good, dtype=np.int64)
        out["wall_time"] = np.array(self.wall_time)
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping, net_config, task, config: TrainConfig) -> "RunState":
        """Inverse of :meth:`to_arrays`.

        Raises
        ------
        ValidationError, KeyError
            An array is missing or has the wrong shape or dtype.
        """
        masks = {k: arrays[k] for k in ("rec_mask", "out_mask") if k in arrays}
        nets = {}
        for prefix in ("", "init_", "best_"):
            params = {k: arrays[prefix + k] for k in net_config.variable_names}
            nets[prefix] = Network(net_config, params, **masks)
        state = cls(nets[""], nets["init_"], task, config)
        state.best_params = nets["best_"].variables
        state.opt_state = AdamState.from_arrays(arrays, state.net.variables)
        step = check_int("step", int(arrays["step"]), lo=0, hi=config.total_steps)
        state.step = step
        for name in ("loss", "grad_norm"):
            arr = check_array(name, arrays[name], shape=(step,), dtype=np.float64, finite=False)
            getattr(state, name)[:step] = arr
        n_eval = np.shape(arrays["eval_step"])
        state.eval_step = [int(s) for s in check_array("eval_step", arrays["eval_step"], shape=(None,))]
        state.val_loss = [float(v) for v in check_array("val_loss", arrays["val_loss"], shape=n_eval)]
        state.val_accuracy = [float(v) for v in check_array("val_accuracy", arrays["val_accuracy"],
                                                            shape=n_eval)]
        if "valid_conditions" in arrays:  # checkpoints written before per-condition accuracy lack it
            state.valid_conditions = np.asarray(arrays["valid_conditions"])
            by = check_array("val_accuracy_by_condition", arrays["val_accuracy_by_condition"],
                             shape=(None, state.valid_conditions.size))
            state.val_accuracy_by_condition = list(by)
        state.best_step = int(arrays["best_step"])
        state.best_accuracy = float(arrays["best_accuracy"])
        state.best_loss = float(arrays["best_loss"])
        state.n_good = int(arrays["n_good"])
        state.wall_time = float(arrays["wall_time"])
        return state

    # -- results ----------------------------------------------------------------------

    def _by_condition_arrays(self) -> dict:
        """``valid_conditions (n_conditions,)`` and ``val_accuracy_by_condition (n_evals,
        n_conditions)``, when the validation set has condition labels."""
        if self.valid_conditions is None:
            return {}
        n = self.valid_conditions.size
        by = np.array(self.val_accuracy_by_condition, dtype=np.float64).reshape(-1, n)
        return {"valid_conditions": np.asarray(self.valid_conditions), "val_accuracy_by_condition": by}

    def history(self) -> Mapping:
        """Read-only per-step and per-evaluation arrays (see :class:`TrainResult`)."""
        h = {
            "loss": self.loss[: self.step].copy(),
            "grad_norm": self.grad_norm[: self.step].copy(),
            "eval_step": np.array(self.eval_step, dtype=np.int64),
            "val_loss": np.array(self.val_loss, dtype=np.float64),
            "val_accuracy": np.array(self.val_accuracy, dtype=np.float64),
            **self._by_condition_arrays(),
        }
        for a in h.values():
            a.flags.writeable = False
        return MappingProxyType(h)

    def result(self, *, current: bool = False) -> TrainResult:
        """The :class:`TrainResult` of the run so far.

        With ``config.keep_best`` the network is the best evaluation's, unless `current`:
        then it is where training stands (what :func:`purernn.resume` continues from).
        """
        if self.config.keep_best and self.eval_step and not current:
            net = self.net.with_params(self.best_params)
            best_step, acc, loss = self.best_step, self.best_accuracy, self.best_loss
        else:
            net, best_step = self.net, self.step
            if self.evaluated_now:
                acc, loss = self.val_accuracy[-1], self.val_loss[-1]
            else:
                acc, loss = math.nan, math.nan
        return TrainResult(
            net=net, net_init=self.net_init, history=self.history(), config=self.config,
            task=self.task, n_steps=self.step, best_step=best_step, stop_reason=self.stop_reason,
            wall_time=self.wall_time, val_accuracy=acc, val_loss=loss, optimizer_state=self.opt_state,
        )
