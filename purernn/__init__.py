"""purernn: train and study small continuous-time rate RNNs with NumPy + Numba.

    import purernn as pr
    net = pr.Network.create(2, 50, 1, init="orthogonal", seed=0)
    traj = pr.simulate(net, x)                       # traj.h, traj.z
    loss, grads = pr.loss_and_grad(net, x, y, mask)
"""

__version__ = "0.1.0"

from . import analysis, io, tasks
from .errors import ConvergenceError, PurernnError, RunFileError, ValidationError
from .losses import loss_and_grad
from .model import Network, NetworkConfig, Trajectory, simulate
from .optim import Adam, AdamState
from .train import StepResult, train_step
from .train import TrainConfig, TrainResult, default_network, default_train_config, evaluate, train
from .runs import load_run, resume, save_run

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
