"""Argument checks used at the public entry points (never inside kernels).

Every message follows one template: `` `arg` must be <constraint>; got <value>. <hint> ``
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import ValidationError

__all__ = [
    "fail",
    "check_choice",
    "check_number",
    "check_int",
    "check_array",
    "as_generator",
    "check_task",
]


def fail(arg: str, constraint: str, got, hint: str = "") -> None:
    """Raise the standard :class:`ValidationError` for argument `arg`."""
    msg = f"`{arg}` must be {constraint}; got {got!r}."
    if hint:
        msg += " " + hint
    raise ValidationError(msg)


def check_choice(arg: str, value, choices) -> None:
    """`value` must be one of `choices` (a registry's names)."""
    if not isinstance(value, str) or value not in choices:
        fail(arg, "one of " + ", ".join(repr(c) for c in sorted(choices)), value)


def check_number(arg: str, value, *, lo=None, hi=None, lo_open=False, hi_open=False) -> float:
    """A finite real number in the given (optionally open) interval; returns it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        fail(arg, "a finite real number", value)
    value = float(value)
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    interval = f"in {left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"
    if lo is not None and (value < lo or (lo_open and value == lo)):
        fail(arg, interval, value)
    if hi is not None and (value > hi or (hi_open and value == hi)):
        fail(arg, interval, value)
    return value


def check_int(arg: str, value, *, lo=None, hi=None) -> int:
    """An integer (not bool) in [lo, hi]; returns it as int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(arg, "an integer", value)
    value = int(value)
    if lo is not None and value < lo:
        fail(arg, f"an integer >= {lo}", value)
    if hi is not None and value > hi:
        fail(arg, f"an integer <= {hi}", value)
    return value


def _shape_str(shape, names) -> str:
    parts = []
    for i, s in enumerate(shape):
        name = names[i] if names and i < len(names) else None
        if s is None:
            parts.append(name or "any")
        else:
            parts.append(f"{name}={s}" if name else str(s))
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_array(
    arg: str,
    value,
    *,
    shape=None,
    names=None,
    dtype=None,
    finite: bool = True,
    hint: str = "",
) -> np.ndarray:
    """Convert `value` to a C-contiguous array and check it.

    Parameters
    ----------
    shape : tuple of int or None
        Expected shape; ``None`` entries match any size.
    names : tuple of str
        Names of the axes, used in the message (e.g. ``("n_trials", "n_steps", "n_in")``).
    dtype : numpy dtype or None
        Target dtype. Real numeric input is converted to it; complex, object, string or
        boolean input (where a float is wanted) is refused.
    finite : bool
        Refuse NaN and infinity.
    """
    try:
        arr = np.asarray(value)
    except Exception:  # pragma: no cover - exotic inputs
        fail(arg, "an array", type(value).__name__)
    if dtype is not None and np.dtype(dtype).kind == "f":
        if arr.dtype.kind not in "fiu":
            fail(arg, f"a real numeric array (converted to {np.dtype(dtype).name})", f"dtype {arr.dtype}")
    if shape is not None:
        if arr.ndim != len(shape):
            fail(
                arg,
                f"a {len(shape)}-d array of shape {_shape_str(shape, names)}",
                f"{arr.ndim}-d array of shape {arr.shape}",
                hint,
            )
        if any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            fail(arg, f"an array of shape {_shape_str(shape, names)}", arr.shape, hint)
    if dtype is not None:
        arr = np.ascontiguousarray(arr, dtype=dtype)
    else:
        arr = np.ascontiguousarray(arr)
    if finite and arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        fail(arg, "finite (no NaN or inf)", f"an array with {n_bad} non-finite entries")
    return arr


def as_generator(rng) -> np.random.Generator:
    """`rng` may be a Generator, a SeedSequence, an int seed or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    fail("rng", "a numpy.random.Generator, an int seed or None", rng)


#: What every task offers (see :class:`purernn.tasks.Task`).
TASK_ATTRIBUTES = ("sample", "score", "n_in", "n_out", "criterion", "name")


def check_task(task, arg: str = "task", *, net=None):
    """`task` must look like a purernn task; with `net`, match its inputs and outputs.

    Duck-typed, so that a user's own task class works without subclassing.
    """
    missing = [a for a in TASK_ATTRIBUTES if not hasattr(task, a)]
    if missing:
        fail(arg, "a purernn task (from pr.tasks.make), with " + ", ".join(TASK_ATTRIBUTES),
             type(task).__name__, f"It lacks {', '.join(missing)}.")
    if net is not None and (task.n_in, task.n_out) != (net.n_in, net.n_out):
        fail(arg, f"a task with the network's n_in={net.n_in} and n_out={net.n_out}",
             f"task {task.name!r} with n_in={task.n_in}, n_out={task.n_out}",
             "Build the network for the task: pr.Network.create(task.n_in, n_rec, task.n_out, ...).")
    return task
