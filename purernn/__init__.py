"""purernn: train and study small continuous-time rate RNNs with NumPy + Numba.

    import purernn as pr
    net = pr.Network.create(2, 50, 1, init="orthogonal", seed=0)
    traj = pr.simulate(net, x)                       # traj.h, traj.z
    loss, grads = pr.loss_and_grad(net, x, y, mask)

The names below are loaded on first use, so that ``import purernn`` (and the command
line's ``purernn --version`` or ``purernn tasks``) does not pay for Numba, SciPy or
matplotlib until they are needed. ``docs/design.md`` describes the modules.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "Adam": "optim",
    "AdamState": "optim",
    "ConvergenceError": "errors",
    "Network": "model",
    "NetworkConfig": "model",
    "PurernnError": "errors",
    "RunFileError": "errors",
    "StepResult": "training",
    "Trajectory": "simulation",
    "ValidationError": "errors",
    "loss_and_grad": "losses",
    "simulate": "simulation",
    "train_step": "training",
    "TrainConfig": "config",
    "TrainResult": "results",
    "default_network": "presets",
    "default_train_config": "presets",
    "evaluate": "evaluation",
    "train": "training",
    "save_run": "runs",
    "load_run": "runs",
    "resume": "training",
}
_SUBPACKAGES = ("tasks", "analysis", "io", "sweep")

__all__ = [
    "Adam",
    "AdamState",
    "ConvergenceError",
    "Network",
    "NetworkConfig",
    "PurernnError",
    "RunFileError",
    "StepResult",
    "Trajectory",
    "ValidationError",
    "loss_and_grad",
    "simulate",
    "tasks",
    "analysis",
    "io",
    "train_step",
    "TrainConfig",
    "TrainResult",
    "default_network",
    "default_train_config",
    "evaluate",
    "train",
    "save_run",
    "load_run",
    "resume",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'purernn' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
