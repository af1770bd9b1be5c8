"""Recommended networks and training settings per task, measured to reach each task's
criterion (``scripts/train_table.py`` writes README's training table from them).
"""

from __future__ import annotations

from . import tasks as _tasks
from ._validate import check_choice, check_int, fail
from .config import RENAMED, TrainConfig, rename_deprecated, stream_rng
from .model import Network

__all__ = ["DEFAULT_TRAIN", "DEFAULT_NETWORK", "TRAIN_DEFAULTS", "default_train_config",
           "default_network_kwargs", "default_network", "describe_task"]


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
    # With lr 1e-3, seeds 0 and 4 of seeds 0-6 ended on a plateau (accuracy 0.01-0.03 after
    # 3000 steps, the gradient norm at 1e4-1e6), and which seeds did depended on the last
    # bits of the arithmetic (seed 0 reached the criterion on another processor); with lr
    # 5e-4 seeds 0-7 reached it in 100-450 steps.
    "flipflop": {"train": {"lr": 5e-4}},
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

#: The network every task starts from (before its TRAIN_DEFAULTS entry).
DEFAULT_NETWORK = {"n_rec": 50, "init": "orthogonal", "gain": 1.0, "activation": "tanh"}


def _task_name(task) -> str:
    if isinstance(task, str):
        check_choice("task", task, _tasks.TASKS)
        return task
    name = getattr(task, "name", None)
    if not isinstance(name, str):
        fail("task", "a task name or a purernn.tasks.Task", type(task).__name__)
    return name


def _defaults(task) -> dict:
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
        TrainConfig fields (the old spellings ``steps`` and ``epochs`` are accepted with a
        DeprecationWarning).

    Examples
    --------
    >>> default_train_config("xor", seed=3).seed
    3
    """
    if any(k in RENAMED for k in overrides):
        overrides = rename_deprecated(overrides, "default_train_config")
    base = {**DEFAULT_TRAIN, **_defaults(task).get("train", {}), **overrides}
    return TrainConfig.from_dict(base)


def default_network_kwargs(task, **overrides) -> dict:
    """Keywords for :meth:`Network.create` recommended for `task` (``n_rec`` included).

    The network's ``alpha`` defaults to the task's recommended ``alpha``.
    """
    kw = dict(DEFAULT_NETWORK)
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
    obj = _tasks.make(task) if isinstance(task, str) else task
    kw = default_network_kwargs(obj, **overrides)
    n_rec = kw.pop("n_rec")
    rng = None if seed is None else stream_rng(check_int("seed", seed, lo=0), "init")
    return Network.create(obj.n_in, n_rec, obj.n_out, seed=rng, **kw)


def describe_task(task) -> str:
    """What `task` is and what to start from: its inputs, outputs and timing, its
    conditions, its fields, and the recommended network and training (``purernn tasks NAME``).

    Parameters
    ----------
    task : str or Task

    Returns
    -------
    str
        A few lines of text.
    """
    import dataclasses

    import numpy as np

    obj = _tasks.make(task) if isinstance(task, str) else task
    lines = [f"{obj.name}: {obj.summary}", f"  source: {type(obj).source}",
             f"  inputs {obj.n_in}, outputs {obj.n_out}; {obj.n_steps} steps of {obj.dt:g} ms; "
             f"criterion: {obj.criterion:g} of the trials correct"]
    batch = obj.sample(400, rng=0)
    if "condition" in batch.info:
        labels = getattr(obj, "condition_labels", None)
        names = labels(batch) if callable(labels) else {}
        values = np.unique(np.asarray(batch.info["condition"]))
        shown = ", ".join(str(names.get(int(c), int(c))) for c in values[:12])
        lines.append(f"  conditions ({values.size}): {shown}{', ...' if values.size > 12 else ''}")
    fields = ", ".join(f"{f.name}={getattr(obj, f.name)!r}" for f in dataclasses.fields(obj))
    lines.append(f"  fields (purernn train --task-field NAME=VALUE, or a [task] table): {fields}")
    net = default_network_kwargs(obj)
    cfg = default_train_config(obj)
    lines.append("  recommended network: " + ", ".join(f"{k}={v}" for k, v in net.items()))
    regime = (f"a fixed set of {cfg.n_samples} trials, {cfg.n_epochs} epochs" if cfg.regime == "fixed"
              else f"fresh trials, up to {cfg.n_steps} steps")
    lines.append(f"  recommended training: {regime}, batch {cfg.batch_size}, lr {cfg.lr:g}, clip_norm "
                 f"{cfg.clip_norm}, validation every {cfg.eval_every} steps, patience {cfg.patience}")
    lines.append(f"  train it: purernn train {obj.name} --out runs/{obj.name}")
    return "\n".join(lines)
