"""Timing tasks: reproduce a pulse after a delay, reproduce an interval (Ready-Set-Go)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._validate import fail
from .base import Batch, Task
from ._common import (
    check_le,
    check_nonneg,
    check_output,
    check_prob,
    check_real,
    check_steps,
    check_tuple,
    make_batch,
    smoothed_pulse,
)

__all__ = ["TimeReproduction", "IntervalReproduction"]


@dataclass(frozen=True, kw_only=True)
class TimeReproduction(Task):
    """Reproduce a stimulus pulse after a fixed delay ("time pulse").

    With probability `p_pulse` a trial carries a pulse on one input over steps
    [`stim_on`, `stim_on` + `stim_dur`) = [50, 70), smoothed by a `smooth_len` = 10-point
    Hann window (plateau 1). The target is `baseline` = 0.045 everywhere except on
    [`stim_on` + `stim_dur` + `mem_gap`, ... + `bump_dur`) = [90, 110), where it is a
    bump (a 20-step box convolved with ``bump_scale * gaussian(bump_dur, bump_std)``,
    peak ~0.96 at step 100) in pulse trials and 0 in no-pulse trials. T = 300 steps of
    1 ms. Noise of sigma 0.03 is added to the input and, as in the original, to the
    target (`target_noise_sigma`; set it to 0 for a clean target).

    A trial is correct when, over [`stim_on`, T), the output's maximum exceeds
    `threshold` exactly in pulse trials, and in pulse trials that maximum lies within
    `peak_tol` = 5 steps of the target's peak.

    Parameters
    ----------
    stim_on, stim_dur, smooth_len : int
        Pulse onset, duration and Hann window length (steps).
    mem_gap : int
        Delay between the end of the pulse and the start of the reproduced bump.
    bump_dur : int
        Duration of the reproduced bump (steps).
    bump_std, bump_scale : float
        Width and scale of the Gaussian window that shapes the bump.
    t_total : int
        Trial length (steps).
    baseline : float
        Target outside the bump window.
    p_pulse : float
        Probability that a trial carries a pulse.
    noise_sigma, target_noise_sigma : float
        Noise on the input and on the target (per step).
    peak_tol : int
        Allowed error (steps) of the output's peak time.
    threshold : float
        Output level that counts as a bump.

    Notes
    -----
    C. Jarne & R. Laje (2019), arXiv:1906.01094 ("time pulse" task); original code
    ``generate_data_set_time_pulse.py`` in github.com/katejarne/RNN_study_with_keras
    (``first_in=50, stim_dur=20, mem_gap=20, out_gap=230, stim_noise=0.03``).
    ``info``: ``pulse`` (bool), ``peak_time`` (step of the target's peak, -1 without
    pulse), ``condition`` = pulse.

    Preset ``"jarne"`` is the default: ``code_paper_rep/generate_data_set_time_pulse.py``
    (next to the published network) exactly, quirks included: the bump is the box of
    the response window convolved (``mode="same"``) with ``0.055 *
    signal.gaussian(stim_dur, std=12)``, so its width is tied to the pulse's
    (``bump_dur`` = ``stim_dur`` there); in no-pulse trials the window is 0, below the
    0.045 baseline around it; the target gets noise of the input's sigma (0.03). The
    repository's root-level copy is another variant (pulse at 30, Gaussian-shaped input
    of 0.04, baseline 0.01, T = 100, noise 0.1).
    """

    name: ClassVar[str] = "time_reproduction"
    noise_fields: ClassVar[tuple] = ("noise_sigma", "target_noise_sigma")
    summary: ClassVar[str] = "reproduce a pulse 20 steps after it ended (Jarne & Laje)"
    source: ClassVar[str] = (
        "C. Jarne & R. Laje (2019), arXiv:1906.01094; code: github.com/katejarne/"
        "RNN_study_with_keras (generate_data_set_time_pulse.py)"
    )
    presets: ClassVar[dict] = {"jarne": {}}

    stim_on: int = 50
    stim_dur: int = 20
    smooth_len: int = 10
    mem_gap: int = 20
    bump_dur: int = 20
    bump_std: float = 12.0
    bump_scale: float = 0.055
    t_total: int = 300
    baseline: float = 0.045
    p_pulse: float = 0.5
    noise_sigma: float = 0.03
    target_noise_sigma: float = 0.03
    peak_tol: int = 5
    threshold: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        check_steps(self, "stim_on", "mem_gap", "peak_tol", "smooth_len")
        check_steps(self, "stim_dur", "bump_dur", "t_total", lo=1)
        check_nonneg(self, "bump_std", "bump_scale", positive=True)
        check_nonneg(self, "noise_sigma", "target_noise_sigma")
        check_prob(self, "p_pulse")
        check_real(self, "baseline", "threshold")
        check_le("t_total", self.t_total, self.response_on + self.bump_dur, "stim_on + stim_dur + mem_gap + bump_dur")

    @property
    def response_on(self) -> int:
        """First step of the reproduced bump."""
        return self.stim_on + self.stim_dur + self.mem_gap

    n_in: ClassVar[int] = 1
    n_out: ClassVar[int] = 1


    def bump(self) -> np.ndarray:
        """The noise-free target bump, shape (bump_dur,)."""
        n = self.bump_dur
        g = np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / self.bump_std) ** 2)  # scipy gaussian(n, std)
        full = np.convolve(np.ones(n), self.bump_scale * g)
        start = (full.size - n) // 2
        return full[start : start + n]

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        pulse = rng.random(n_trials) < self.p_pulse  # (n_trials,)
        t0, t1 = self.stim_on, self.stim_on + self.stim_dur
        r0, r1 = self.response_on, self.response_on + self.bump_dur
        bump = self.bump()

        x = np.zeros((n_trials, self.t_total, 1))
        x[:, t0:t1, 0] = pulse[:, None] * smoothed_pulse(self.stim_dur, self.smooth_len)
        y = np.full((n_trials, self.t_total, 1), self.baseline)
        y[:, r0:r1, 0] = pulse[:, None] * bump
        x += self.noise_sigma * rng.standard_normal(x.shape)
        y += self.target_noise_sigma * rng.standard_normal(y.shape)
        peak = np.where(pulse, r0 + int(np.argmax(bump)), -1)
        info = {"condition": pulse.astype(np.int64), "pulse": pulse, "peak_time": peak}
        return make_batch(x, y, np.ones_like(y), info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Bump present exactly in pulse trials, peaking within `peak_tol` of the target."""
        z = check_output(self, z, batch)[:, self.stim_on :, 0]
        present = z.max(axis=1) > self.threshold
        t_peak = self.stim_on + np.argmax(z, axis=1)
        pulse = batch.info["pulse"].astype(bool)
        on_time = np.abs(t_peak - batch.info["peak_time"]) <= self.peak_tol
        return np.where(pulse, present & on_time, ~present)

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"pulse"`` / ``"no pulse"``."""
        return {int(c): ("pulse" if c else "no pulse") for c in np.unique(batch.info["condition"])}


@dataclass(frozen=True, kw_only=True)
class IntervalReproduction(Task):
    """Ready-Set-Go: measure the interval between two pulses and reproduce it.

    One input carries a "ready" pulse at step `ready_on` and a "set" pulse one interval
    later (both of width `pulse_dur` and height `amplitude`); the interval is drawn
    uniformly from `intervals` (steps of `dt` = 10 ms, i.e. 480-800 ms). The target is 0
    except for a "go" response of height 1 on [set + interval, set + interval +
    `response_dur`). Input noise sigma `noise_sigma` on every step; every step is in the
    loss.

    A trial is correct when the output first crosses `threshold` (searching from the
    ready pulse on) within `timing_tol` * interval steps of the go time: an early
    response, a missing one or a late one is wrong.

    Parameters
    ----------
    intervals : tuple of int
        The possible intervals (steps).
    ready_on, pulse_dur, response_dur, t_total : int
        Ready onset, pulse width, response width and trial length (steps).
    amplitude, noise_sigma : float
        Pulse height and input noise per step.
    timing_tol : float
        Allowed relative timing error of the response.
    threshold : float
        Output level that counts as the response.

    Notes
    -----
    M. Jazayeri & M. N. Shadlen (2010), "Temporal context calibrates interval timing",
    Nat. Neurosci. 13:1020; RNN model in J. Wang, D. Narain, E. A. Hosseini & M. Jazayeri
    (2018), Nat. Neurosci. 21:102. The trial structure (ready, set one interval later,
    go one interval after set) is that of NeuroGym's ``ReadySetGo``
    (github.com/neurogym/neurogym); its numbers are not. Measured on NeuroGym 2.3.1 it
    differs in: the interval is drawn uniformly from [800, 1500] ms there, from 5 values
    of 480 to 800 ms here; dt 80 ms there, 10 here; ready and set are 83-ms pulses on two
    channels (plus a fixation input) there, 5-step pulses on one channel here; the go
    target is one step there, `response_dur` steps here; there is no input noise
    there. ``info``: ``interval``, ``go_time``, ``condition`` = index of the interval.
    """

    name: ClassVar[str] = "interval_reproduction"
    summary: ClassVar[str] = "Ready-Set-Go: respond one ready-set interval after set"
    source: ClassVar[str] = (
        "M. Jazayeri & M. N. Shadlen (2010), Nat. Neurosci. 13:1020; Wang et al. (2018), "
        "Nat. Neurosci. 21:102; structure after NeuroGym ReadySetGo"
    )

    dt: float = 10.0
    alpha: float = 0.1
    intervals: tuple = (48, 56, 64, 72, 80)
    ready_on: int = 20
    pulse_dur: int = 5
    response_dur: int = 10
    t_total: int = 220
    amplitude: float = 1.0
    noise_sigma: float = 0.1
    timing_tol: float = 0.1
    threshold: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        check_steps(self, "ready_on")
        check_steps(self, "pulse_dur", "response_dur", "t_total", lo=1)
        check_tuple(self, "intervals", lo=0, lo_open=True, unique=True)
        if any(v != int(v) for v in self.intervals):
            fail("intervals", "a sequence of whole numbers of steps", self.intervals)
        self._set("intervals", tuple(int(v) for v in self.intervals))
        if min(self.intervals) <= self.pulse_dur:
            fail("intervals", f"longer than pulse_dur = {self.pulse_dur} steps", self.intervals)
        check_nonneg(self, "noise_sigma", "timing_tol")
        check_real(self, "amplitude", "threshold")
        need = self.ready_on + 2 * max(self.intervals) + self.response_dur
        check_le("t_total", self.t_total, need, "ready_on + 2 max(intervals) + response_dur")

    n_in: ClassVar[int] = 1
    n_out: ClassVar[int] = 1


    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        cond = rng.integers(len(self.intervals), size=n_trials)
        interval = np.asarray(self.intervals)[cond]  # (n_trials,)
        set_on = self.ready_on + interval
        go = set_on + interval
        t = np.arange(self.t_total)[None, :]  # (1, n_steps)

        ready = (t >= self.ready_on) & (t < self.ready_on + self.pulse_dur)
        setp = (t >= set_on[:, None]) & (t < set_on[:, None] + self.pulse_dur)
        x = (self.amplitude * (ready | setp))[:, :, None].astype(np.float64)
        x += self.noise_sigma * rng.standard_normal(x.shape)
        y = ((t >= go[:, None]) & (t < go[:, None] + self.response_dur))[:, :, None].astype(np.float64)
        info = {"condition": cond, "interval": interval, "go_time": go}
        return make_batch(x, y, np.ones_like(y), info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """First threshold crossing from the ready pulse on is within `timing_tol` of go."""
        z = check_output(self, z, batch)[:, self.ready_on :, 0]
        above = z > self.threshold
        crossed = above.any(axis=1)
        t_cross = self.ready_on + np.argmax(above, axis=1)
        err = np.abs(t_cross - batch.info["go_time"])
        return crossed & (err <= self.timing_tol * batch.info["interval"])

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"interval 480 ms"``."""
        interval = batch.info["interval"]
        return self._labels_from(batch, lambda i: f"interval {float(interval[i]) * self.dt:g} ms")
