"""Training: one optimizer step (:func:`train_step`), the training loop (:func:`train`)
and its continuation from a run directory (:func:`resume`).

The loop's state is a :class:`~purernn.results.RunState`; a run directory
(:mod:`purernn.runs`) saves it as a checkpoint. Every random draw of step k is a function
of (seed, stream, k) (:func:`purernn.config.stream_rng`), which is why a resumed run
finishes bit for bit like an uninterrupted one.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from dataclasses import dataclass

import numpy as np

from ._validate import check_number, check_task, fail
from .config import TrainConfig, resolve_seed, stream_rng, target_accuracy
from .errors import ConvergenceError, ValidationError
from .evaluation import batch_metrics
from .losses import _loss_and_grad, check_targets
from .model import Network
from .optim import Adam, AdamState
from .conditions import accuracy_by_condition, balanced_sample
from .outputs import check_output_loss
from .results import RunState, StepEvent, TrainResult
from .runs import RunWriter, load_run
from .simulation import check_h0, check_inputs, check_noise

__all__ = ["StepResult", "train_step", "train", "resume"]

logger = logging.getLogger(__name__)


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
               h0=None, l2_weights: float = 0.0, l2_rates: float = 0.0, loss: str = "mse") -> StepResult:
    """One step: forward, BPTT, Adam on the trainable parameters, constraint projection.

    Parameters
    ----------
    net : Network
    batch : Batch
        Anything with ``x (n_trials, n_steps, n_in)``, ``y`` and ``mask``
        ``(n_trials, n_steps, n_out)`` (``mask`` may be None).
    optimizer : Adam
    state : AdamState
        From ``optimizer.init(net.variables)`` or a previous step.
    rng : numpy.random.Generator, int or None
        Draws the recurrent noise when ``net.config.sigma_rec > 0``.
    noise, h0, l2_weights, l2_rates, loss
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
        fail("state", "a purernn.optim.AdamState (from optimizer.init(net.variables))", type(state).__name__)
    x = check_inputs(net, batch.x, "batch.x")
    y, mask = check_targets(net, x, batch.y, getattr(batch, "mask", None))
    n_trials, n_steps, _ = x.shape
    h0 = check_h0(net, h0, n_trials)
    xi = check_noise(net, noise, rng, n_trials, n_steps)
    l2_weights = check_number("l2_weights", l2_weights, lo=0.0)
    l2_rates = check_number("l2_rates", l2_rates, lo=0.0)

    check_output_loss(net.config.output, loss)
    loss, grads = _loss_and_grad(net, x, y, mask, h0, xi, l2_weights, l2_rates, loss)
    names = net.config.trainable
    params = {k: np.array(v) for k, v in net.variables.items()}  # writable copies (U, V of a low-rank net)
    new_state, norm = optimizer.update(params, grads, state, names)
    if not (math.isfinite(loss) and math.isfinite(norm)):
        raise ConvergenceError(
            f"non-finite {'loss' if not math.isfinite(loss) else 'gradient'} "
            f"(loss={loss}, gradient norm={norm}); the network diverged. "
            f"Try a smaller learning rate (lr={optimizer.lr}), gradient clipping or a smaller gain."
        )
    net.project(params)
    return StepResult(net=net._with_trained(params), state=new_state, loss=loss, grad_norm=norm)


class _Data:
    """The batch of each step, the validation set and the noise, from the seed's streams."""

    def __init__(self, task, config: TrainConfig, net: Network):
        self.task = task
        self.config = config
        self.seed = config.seed
        self.noisy = net.config.sigma_rec > 0
        valid_rng = stream_rng(self.seed, "valid")
        self.valid = (balanced_sample(task, config.n_valid, valid_rng) if config.valid_balanced
                      else task.sample(config.n_valid, valid_rng))
        labels = self.valid.info.get("condition")
        self.conditions = None if labels is None else np.unique(labels)
        self.train_set = None
        if config.regime == "fixed":
            self.train_set = task.sample(config.n_samples, stream_rng(self.seed, "data"))
        self._epoch = -1
        self._order = None

    def batch(self, k: int):
        """The mini-batch of optimizer step `k` (0-based)."""
        cfg = self.config
        if cfg.regime == "fresh":
            rng = stream_rng(self.seed, "data", k)
            if hasattr(type(self.task), "training_batch"):  # a method of the task's own class
                return self.task.training_batch(cfg.batch_size, rng)
            return self.task.sample(cfg.batch_size, rng)  # (not a wrapper's forwarded one)
        epoch, j = divmod(k, cfg.steps_per_epoch)
        if epoch != self._epoch:
            self._order = stream_rng(self.seed, "order", epoch).permutation(cfg.n_samples)
            self._epoch = epoch
        return self.train_set.subset(self._order[j * cfg.batch_size : (j + 1) * cfg.batch_size])

    def noise_rng(self, k: int):
        """Recurrent noise of step `k` (None for a noiseless network)."""
        return stream_rng(self.seed, "noise", k) if self.noisy else None

    def draw(self, k: int, net: Network):
        """The batch of step `k` and its recurrent noise realization (None if noiseless)."""
        batch = self.batch(k)
        x = getattr(batch, "x", None)
        if not self.noisy or getattr(x, "ndim", 0) != 3:  # a bad batch: train_step says why
            return batch, None
        return batch, check_noise(net, None, self.noise_rng(k), x.shape[0], x.shape[1])

    def validate(self, net: Network) -> tuple[float, float, np.ndarray | None]:
        """(loss, accuracy) on the fixed validation set, with a fixed noise realization."""
        noise = stream_rng(self.seed, "valid", 1) if self.noisy else None
        loss, correct = batch_metrics(net, self.task, self.valid, noise, self.config.loss)
        by_condition = None
        if self.conditions is not None:
            by_condition = accuracy_by_condition(correct, self.valid)[1]  # (n_conditions,)
        return loss, float(np.mean(correct)), by_condition


#: Draw ahead only if a batch takes at least this fraction of a step to draw. A quick draw
#: has little to hide and its thread competes with the kernels' threads: the seed's
#: flip-flop (draw 2.4 ms, step 31 ms) trained x0.87-1.13 as fast drawing ahead in four
#: runs, yang2019 at 64 units (draw 14 ms, step 10 ms) x1.17-1.30.
WORTH_AHEAD = 0.25
#: Steps whose batches are drawn in the step and timed before the loop decides.
PROBE_STEPS = 3


class _Prefetch:
    """Draws the next step's batch and noise on a second thread while this step runs.

    Drawing trials is Python and NumPy work that the kernels, which release the GIL, leave
    room for: on a task with an involved generator (the 20 rules of ``yang2019``) the draw
    costs as much as the step. Only one draw runs at a time and always in step order, and
    :meth:`wait` ends it before anything else (validation, callbacks, checkpoints) runs, so
    the task is never called from two threads at once and the draws are those of a loop
    without it: results are bitwise the same. The first :data:`PROBE_STEPS` batches are
    drawn in their steps and timed; the loop draws ahead from then on only if a draw
    takes at least :data:`WORTH_AHEAD` of a step (:meth:`record_step` gives the steps).
    """

    def __init__(self, data: _Data):
        self.data = data
        self._pool = None
        self._next = None  # (k, future)
        self._draw_s, self._step_s = [], []  # the probe's timings
        self.drawing_ahead = None  # decided after the probe

    def take(self, k: int, net: Network):
        """The batch and noise of step `k`, drawn ahead if :meth:`ahead` asked for it."""
        if self._next is not None and self._next[0] == k:
            future, self._next = self._next[1], None
            return future.result()
        self.wait()
        t0 = time.perf_counter()
        drawn = self.data.draw(k, net)
        if self.drawing_ahead is None:
            self._draw_s.append(time.perf_counter() - t0)
        return drawn

    def record_step(self, seconds: float) -> None:
        """The time of a step's `train_step`, for the decision to draw ahead."""
        if self.drawing_ahead is None:
            self._step_s.append(seconds)
            if len(self._step_s) >= PROBE_STEPS:
                self.drawing_ahead = min(self._draw_s) >= WORTH_AHEAD * min(self._step_s)

    def ahead(self, k: int, net: Network) -> None:
        """Start drawing step `k` on the second thread (once the probe has found it worth it)."""
        if not self.drawing_ahead:
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="purernn-draw")
        self._next = (k, self._pool.submit(self.data.draw, k, net))

    def wait(self) -> None:
        """Let the draw in flight finish (its result, or error, stays for :meth:`take`)."""
        if self._next is not None:
            self._next[1].exception()

    def close(self) -> None:
        self._next = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


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


def _check_train_args(net, task, config):
    if not isinstance(net, Network):
        fail("net", "a purernn.Network", type(net).__name__)
    if not isinstance(config, TrainConfig):
        fail("config", "a purernn.TrainConfig", type(config).__name__)
    check_task(task, net=net)
    check_output_loss(net.config.output, config.loss)


def _check_state(state, net: Network) -> AdamState:
    """A copy of `state`, checked against the parameters of `net`."""
    if not isinstance(state, AdamState):
        fail("state", "a purernn.AdamState (e.g. result.optimizer_state)", type(state).__name__)
    try:
        return AdamState.from_arrays(state.to_arrays(), net.variables)
    except ValidationError as err:
        raise ValidationError(f"`state` does not fit the network: {err}") from err


def _check_callbacks(callbacks) -> list:
    callbacks = list(callbacks or ())
    for cb in callbacks:
        if not callable(cb):
            fail("callbacks", "a sequence of callables", cb)
    return callbacks


def train(net: Network, task, config: TrainConfig | None = None, *, progress: bool = True,
          callbacks=None, run_dir=None, overwrite: bool = False,
          state: AdamState | None = None) -> TrainResult:
    """Train `net` on `task` with Adam; optionally into a run directory.

    Parameters
    ----------
    net : Network
        The initial network (e.g. :func:`purernn.default_network` or ``pr.Network.create``).
    task : Task
    config : TrainConfig, optional
        Default: ``TrainConfig()``. :func:`purernn.default_train_config` gives the
        recommended configuration of a task.
    progress : bool
        Show a tqdm progress bar (loss, validation accuracy, gradient norm, steps/s).
    callbacks : sequence of callables, optional
        Each is called as ``cb(event)`` with a :class:`~purernn.results.StepEvent` after
        every step; returning True stops training (stop reason ``"callback"``).
    run_dir : str or path-like, optional
        Save a checkpoint there every ``config.checkpoint_every`` steps (and on Ctrl-C),
        and the run (:func:`purernn.save_run`) at the end.
    overwrite : bool
        Replace an existing run in `run_dir` (otherwise that is an error).
    state : AdamState, optional
        Adam's state to continue from (e.g. ``result.optimizer_state`` of an earlier
        call), with its step count and moments; default: a fresh state. Only the
        optimizer continues: the batches of this call are drawn from step 0 of its own
        seed's streams.

    Returns
    -------
    TrainResult

    Raises
    ------
    ConvergenceError
        The loss or the gradient became non-finite; the message names the step. A run
        directory keeps its last good checkpoint.
    RunFileError
        `run_dir` already holds a run and `overwrite` is False, another process is writing
        it (train and resume hold the run directory's lock), or a save failed (a full
        disk, a read-only directory; the message says what is kept).

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
    _check_train_args(net, task, config)
    callbacks = _check_callbacks(callbacks)
    config = resolve_seed(config)
    run_state = RunState(net, net, task, config)
    if state is not None:
        run_state.opt_state = _check_state(state, net)
    if run_dir is None:
        return _Loop(run_state, None, callbacks).run(progress)
    writer = RunWriter.create(run_dir, net, task, config, overwrite=overwrite)  # takes its lock
    try:
        return _Loop(run_state, writer, callbacks).run(progress)
    finally:
        writer.close()


def resume(path, *, progress: bool = True, callbacks=None, task=None) -> TrainResult:
    """Continue an interrupted run from its checkpoint, in place.

    The final parameters are bitwise equal to those of an uninterrupted run with the
    same seed and configuration (every random draw is a function of the seed, the
    stream and the step; the checkpoint holds the parameters and Adam's state).

    Parameters
    ----------
    path : str or path-like
        A run directory with status running, interrupted or diverged (a diverged run
        will diverge again at the same step: change its configuration with
        :func:`purernn.runs.edit_run` first, or retrain).
    progress : bool
    callbacks : sequence of callables, optional
        As in :func:`train`.
    task : Task, optional
        The run's task, for one that ``run.json`` cannot rebuild (see
        :func:`purernn.load_run`).

    Returns
    -------
    TrainResult
        For a run that is already complete, the saved result (nothing is trained).
    """
    callbacks = _check_callbacks(callbacks)
    opened = RunWriter.open(path, task)
    if opened is None:
        logger.info("%s is already complete; nothing to resume", path)
        return load_run(path, task=task)
    state, writer = opened  # the writer holds the run directory's lock
    try:
        logger.info("resuming %s at step %d of %d", path, state.step, state.config.total_steps)
        return _Loop(state, writer, callbacks).run(progress)
    finally:
        writer.close()


class _Loop:
    """Runs a :class:`RunState` from its current step to the end (train and resume)."""

    def __init__(self, state: RunState, writer: RunWriter | None, callbacks: list):
        self.state = state
        self.writer = writer
        self.callbacks = callbacks
        self.config = state.config
        self.data = _Data(state.task, state.config, state.net)
        self.draws = _Prefetch(self.data)
        if state.valid_conditions is None and not state.eval_step:  # not for a checkpoint of
            state.valid_conditions = self.data.conditions  # a version without per-condition accuracy
        self.optimizer = state.config.optimizer
        self.target = target_accuracy(state.config, state.task)
        self.stop = False

    def run(self, progress: bool) -> TrainResult:
        from tqdm.auto import tqdm

        state, cfg, writer = self.state, self.config, self.writer
        total = cfg.total_steps
        if writer is not None and state.step == 0:
            writer.checkpoint(state)
        if not state.eval_step:
            self.evaluate()
        start, wall_before = time.perf_counter(), state.wall_time
        with tqdm(total=total, initial=state.step, disable=not progress, desc=state.task.name,
                  unit="step", dynamic_ncols=True, leave=True) as bar, _SigintFlag() as sigint:
            try:
                while state.step < total and not self.stop and not sigint.set:
                    res = self.step(start, wall_before)
                    bar.update(1)
                    if progress and (state.evaluated_now or state.step % 10 == 1):
                        bar.set_postfix(loss=f"{res.loss:.3g}", acc=f"{state.val_accuracy[-1]:.3f}",
                                        gnorm=f"{res.grad_norm:.3g}", refresh=False)
            except KeyboardInterrupt:  # raised outside our handler (e.g. by a callback)
                if sigint.abort:
                    raise
                sigint.set = True
            finally:
                self.draws.close()
            if sigint.set and not self.stop:
                state.stop_reason = "interrupted"
                logger.warning("%s: interrupted after step %d of %d", state.task.name, state.step, total)
        return self.finish()

    def step(self, start: float, wall_before: float) -> StepResult:
        """One optimizer step, its evaluation, callbacks and checkpoint."""
        state, cfg = self.state, self.config
        k = state.step
        try:
            batch, noise = self.draws.take(k, state.net)
            if k + 1 < cfg.total_steps:
                self.draws.ahead(k + 1, state.net)  # drawn while this step's kernels run
            t0 = time.perf_counter()
            res = train_step(state.net, batch, self.optimizer, state.opt_state, noise=noise,
                             rng=self.data.noise_rng(k) if noise is None else None,  # x not an array yet
                             l2_weights=cfg.l2_weights, l2_rates=cfg.l2_rates, loss=cfg.loss)
            self.draws.record_step(time.perf_counter() - t0)
        except ConvergenceError as err:
            state.wall_time = wall_before + time.perf_counter() - start
            raise self.diverged(err) from err
        finally:
            self.draws.wait()
        state.record_step(res.net, res.state, res.loss, res.grad_norm)
        state.wall_time = wall_before + time.perf_counter() - start
        v_loss = v_acc = None
        if state.step % cfg.eval_every == 0 or state.step == cfg.total_steps:
            v_loss, v_acc = self.evaluate()
            if state.n_good >= cfg.patience:
                self.stop = True
                state.stop_reason = ("criterion" if cfg.stop_at_criterion and v_acc >= self.target
                                     else "loss_threshold")
        if self.callbacks:
            event = StepEvent(step=state.step, total_steps=cfg.total_steps, net=state.net,
                              loss=res.loss, grad_norm=res.grad_norm, val_loss=v_loss,
                              val_accuracy=v_acc)
            for cb in self.callbacks:
                if cb(event) is True and not self.stop:
                    self.stop, state.stop_reason = True, "callback"
        if (self.writer is not None and state.step % cfg.checkpoint_every == 0
                and state.step < cfg.total_steps):
            self.writer.checkpoint(state)
        return res

    def evaluate(self) -> tuple[float, float]:
        """Validate the current network and record it; returns (loss, accuracy)."""
        state, cfg = self.state, self.config
        v_loss, v_acc, by_condition = self.data.validate(state.net)
        judged = v_acc
        if cfg.stop_rule == "every_condition" and by_condition is not None:
            judged = float(np.min(by_condition))  # the worst condition
        holds = (cfg.stop_at_criterion and judged >= self.target) or (
            cfg.loss_threshold is not None and v_loss <= cfg.loss_threshold)
        state.record_evaluation(v_loss, v_acc, holds,
                                by_condition if state.valid_conditions is not None else None)
        logger.info("%s step %d/%d: val_loss %.4g, val_accuracy %.3f", state.task.name, state.step,
                    cfg.total_steps, v_loss, v_acc)
        return v_loss, v_acc

    def finish(self) -> TrainResult:
        state, cfg, writer = self.state, self.config, self.writer
        if state.stop_reason == "interrupted":
            if writer is not None:
                writer.checkpoint(state, status="interrupted")
            return state.result()
        if not state.evaluated_now:
            self.evaluate()
        result = state.result()
        logger.info("%s: stopped at step %d (%s); validation accuracy %.3f, loss %.4g, %.1f s",
                    state.task.name, state.step, state.stop_reason, result.val_accuracy,
                    result.val_loss, state.wall_time)
        if cfg.stop_at_criterion and state.stop_reason == "max_steps" and result.val_accuracy < self.target:
            logger.warning("%s: validation accuracy %.3f is below the criterion %g after %d steps. %s",
                           state.task.name, result.val_accuracy, self.target, state.step,
                           _not_learned_hint(state.net, cfg))
        if writer is not None:
            writer.finish(result)
        return result

    def diverged(self, err: ConvergenceError) -> ConvergenceError:
        """The error to raise when step `state.step + 1` diverged (recorded in the run)."""
        state, writer = self.state, self.writer
        step = state.step + 1
        where = ""
        if writer is not None:
            where = (f" The run directory {str(writer.path)!r} keeps its last good checkpoint "
                     f"(step {writer.last_checkpoint_step}).")
            writer.mark_diverged(f"step {step}: {err}")
        return ConvergenceError(f"Training diverged at step {step} of {self.config.total_steps} "
                                f"(task {state.task.name!r}): {err}{where}")


def _not_learned_hint(net: Network, cfg: TrainConfig) -> str:
    """What to try when training ran out of steps (measured in docs/studies/dale.md)."""
    if net.n_rec > 50 and cfg.lr >= 1e-3:
        return (f"Adam moves each of the {net.n_rec} inputs of a unit by about lr per step: with "
                f"more than 50 units try lr = {cfg.lr * 50 / net.n_rec:.1g} (lr * 50 / n_rec); "
                "200-unit XOR stays at chance at lr 1e-3 and learns at 3e-4.")
    return "Try more steps, a larger batch, another learning rate, or leaky units (alpha < 1)."
