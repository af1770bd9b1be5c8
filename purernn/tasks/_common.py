"""Helpers shared by the task families: field checks, pulse shapes, batches, scoring.

Private to the task package; everything here needs only NumPy.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_array, check_int, check_number, fail
from .base import Batch

__all__ = [
    "check_steps",
    "check_nonneg",
    "check_prob",
    "check_real",
    "check_le",
    "check_tuple",
    "ms_to_steps",
    "smoothed_pulse",
    "smooth_rows",
    "make_batch",
    "check_output",
    "window_mean",
    "dominant_period",
]


def check_steps(task, *names: str, lo: int = 0) -> None:
    """Each named field must be an integer number of steps >= `lo`."""
    for name in names:
        task._set(name, check_int(name, getattr(task, name), lo=lo))


def check_nonneg(task, *names: str, positive: bool = False) -> None:
    """Each named field must be a finite real >= 0 (> 0 with `positive`)."""
    for name in names:
        task._set(name, check_number(name, getattr(task, name), lo=0.0, lo_open=positive))


def check_real(task, *names: str) -> None:
    """Each named field must be a finite real number."""
    for name in names:
        task._set(name, check_number(name, getattr(task, name)))


def check_prob(task, *names: str) -> None:
    """Each named field must be a probability in [0, 1]."""
    for name in names:
        task._set(name, check_number(name, getattr(task, name), lo=0.0, hi=1.0))


def check_le(name: str, value, bound, what: str) -> None:
    """`value` (field `name`) must be at least `bound`, described by `what`."""
    if value < bound:
        fail(name, f"at least {what} = {bound}", value)


def check_tuple(task, name: str, *, lo=None, lo_open=False, min_len: int = 1, unique: bool = False) -> None:
    """Field `name` must be a non-empty sequence of finite reals; stored as a tuple of floats."""
    value = getattr(task, name)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) < min_len:
        fail(name, f"a sequence of at least {min_len} numbers", value)
    out = tuple(check_number(f"{name}[{i}]", v, lo=lo, lo_open=lo_open) for i, v in enumerate(value))
    if unique and len(set(out)) != len(out):
        fail(name, "a sequence of distinct numbers", value)
    task._set(name, out)


def ms_to_steps(ms: float, dt: float) -> int:
    """Duration in ms -> whole number of steps of `dt` ms (rounded)."""
    return int(round(ms / dt))


def smoothed_pulse(n: int, win_len: int) -> np.ndarray:
    """A rectangular pulse of `n` steps smoothed by a `win_len`-point Hann window.

    ``convolve(ones(n), hann(win_len), "same") / sum(hann)``: the edges ramp up and down
    and the plateau is 1 (C. Jarne's ``signal.convolve(..., mode='same') / sum(win)``;
    ``np.hanning`` is the symmetric window scipy's ``hann`` returns).
    """
    if win_len <= 2:  # a 1- or 2-point Hann window is all zeros: no smoothing
        return np.ones(n)
    win = np.hanning(win_len)
    full = np.convolve(np.ones(n), win)  # scipy's mode="same" is the centred slice of "full"
    start = (full.size - n) // 2
    return full[start : start + n] / win.sum()


def smooth_rows(a: np.ndarray, win_len: int) -> np.ndarray:
    """Each row of `a` (n_trials, n) convolved with a `win_len`-point Hann window / its sum.

    Same alignment as scipy's ``convolve(row, hann(win_len), mode="same")``, done for all
    rows at once as a product with the (n, n) band matrix of the window.
    """
    n = a.shape[1]
    if win_len <= 2:
        return a.copy()
    win = np.hanning(win_len)
    start = (win_len - 1) // 2
    band = np.zeros((n, n))  # band[i, j] = win[start + i - j]
    for k, w in enumerate(win):
        band += w * np.eye(n, k=start - k)
    return a @ band.T / win.sum()


def make_batch(x, y, mask, info) -> Batch:
    """A :class:`Batch` of float64 C-contiguous arrays; ``info`` values become arrays."""
    return Batch(
        x=np.ascontiguousarray(x, dtype=np.float64),
        y=np.ascontiguousarray(y, dtype=np.float64),
        mask=np.ascontiguousarray(mask, dtype=np.float64),
        info={k: np.asarray(v) for k, v in info.items()},
    )


def check_output(task, z, batch) -> np.ndarray:
    """Network outputs `z` must have shape (n_trials, n_steps, n_out) of `batch`."""
    return check_array(
        "z",
        z,
        shape=(batch.n_trials, batch.n_steps, task.n_out),
        names=("n_trials", "n_steps", "n_out"),
        dtype=np.float64,
        hint="Pass the network output for this batch.",
    )


def window_mean(z: np.ndarray, on, off) -> np.ndarray:
    """Mean of `z` (n_trials, n_steps) over steps [on, off) of each trial.

    `on`, `off` are ints or (n_trials,) arrays (trial-dependent windows).
    """
    t = np.arange(z.shape[1])
    on = np.broadcast_to(np.asarray(on), (z.shape[0],))[:, None]
    off = np.broadcast_to(np.asarray(off), (z.shape[0],))[:, None]
    w = (t >= on) & (t < off)  # (n_trials, n_steps)
    return (z * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1)


def dominant_period(z: np.ndarray, n_fft: int = 8192) -> np.ndarray:
    """Period (in steps) of the strongest oscillation in each row of `z` (n_trials, n_win).

    The mean is removed and a Hann taper applied; the zero-padded spectrum gives a fine
    frequency grid. A row without any oscillation (constant) gets ``inf``.
    """
    n_win = z.shape[1]
    zc = (z - z.mean(axis=1, keepdims=True)) * np.hanning(n_win)
    power = np.abs(np.fft.rfft(zc, n=max(n_fft, 2 * n_win), axis=1)) ** 2  # (n_trials, n_freq)
    power[:, 0] = 0.0
    k = np.argmax(power, axis=1)
    flat = power.max(axis=1) <= 1e-20 * max(1.0, float(n_win))
    with np.errstate(divide="ignore"):
        period = np.where(flat | (k == 0), np.inf, max(n_fft, 2 * n_win) / np.maximum(k, 1))
    return period
