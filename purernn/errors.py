"""Exceptions raised by purernn.

Every error a user can trigger is a :class:`PurernnError`. Bad arguments raise
:class:`ValidationError` (also a ``ValueError``) with one message template that
names the owner, the argument, the constraint and the value given.
"""

__all__ = ["PurernnError", "ValidationError", "ConvergenceError", "RunFileError"]


class PurernnError(Exception):
    """Base class of every purernn error."""


class ValidationError(PurernnError, ValueError):
    """An argument has the wrong type, shape, dtype or value."""


class ConvergenceError(PurernnError, RuntimeError):
    """A non-finite loss or gradient during training, or a solver that failed."""


class RunFileError(PurernnError, OSError):
    """A run directory or one of its files is missing, truncated, corrupt or edited by hand."""
