"""purernn: train and study small continuous-time rate RNNs with NumPy + Numba."""

__version__ = "0.1.0"

from . import tasks
from .errors import ConvergenceError, PurernnError, RunFileError, ValidationError
