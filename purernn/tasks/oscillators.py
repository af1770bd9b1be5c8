"""Oscillator tasks: a pulse-triggered finite oscillation, and a sine-wave generator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._validate import check_choice, fail
from .base import Batch, Task
from ._common import (
    check_le,
    check_nonneg,
    check_output,
    check_prob,
    check_real,
    check_steps,
    dominant_period,
    make_batch,
    smoothed_pulse,
)

__all__ = ["Oscillation", "SineGenerator"]


@dataclass(frozen=True, kw_only=True)
class Oscillation(Task):
    """Finite-duration oscillation induced by a pulse.

    With probability `p_pulse` a trial carries a pulse on [`stim_on`, `stim_on` +
    `stim_dur`) = [100, 140) smoothed by a `smooth_len` = 15-point Hann window. In pulse
    trials the target on [`osc_on`, `osc_off`) = [160, 380) is an oscillation of period
    `period` = 35 steps (:meth:`oscillation`); it is `baseline` elsewhere and 0 on that
    window in no-pulse trials. T = 420 steps of 1 ms; input noise sigma 0.1.

    `target` chooses the oscillation: ``"sine"`` (default) is ``amplitude * sin(2 pi (t -
    osc_on) / period)``, amplitude 1.74, starting at phase 0; ``"convolution"`` is
    C. Jarne's target, ``kernel_scale * convolve(box, sin(2 pi n / period), "same")``
    with ``box`` the ones of the window and ``n = 0 .. t_total - 1`` (see Notes).

    A pulse trial is correct when the dominant period of the output over [osc_on,
    osc_off) is within `period_tol` (5%) of `period` and the normalized MSE there,
    ``mean((z - y)**2) / mean(y**2)``, is below `nmse_tol` (0.2). A no-pulse trial is
    correct when the output stays near 0: ``mean(z**2) / mean(y_pulse**2) < nmse_tol``
    over the same window.

    Parameters
    ----------
    stim_on, stim_dur, smooth_len : int
        Pulse onset, duration and Hann window length (steps).
    osc_on, osc_off, t_total : int
        Oscillation window and trial length (steps).
    target : {"sine", "convolution"}
        Shape of the target oscillation.
    period, amplitude : float
        Period (steps) of the oscillation, and the amplitude of the ``"sine"`` target.
    kernel_scale : float
        Factor of the ``"convolution"`` target (0.2 in the original).
    baseline : float
        Target outside the oscillation window (0; 0.002 in the original).
    p_pulse, noise_sigma : float
        Probability of a pulse trial; input noise per step.
    period_tol, nmse_tol : float
        Relative period tolerance and normalized-MSE tolerance of the score.

    Notes
    -----
    C. Jarne & R. Laje (2019), arXiv:1906.01094 ("oscillatory" task); original code
    ``code_paper_rep/generate_data_set_oscilator.py`` in
    github.com/katejarne/RNN_study_with_keras (``mem_gap = 200``).

    Preset ``"jarne"`` follows it exactly, quirks included:

    - the target is ``0.2 * signal.convolve(box, sin(2 pi 12 n / 420), mode="same")``:
      the centred 220 samples of the full convolution of the 220-step box with the
      420-sample sine (``n = 0 .. 419``). For window steps ``i = t - 160`` from 10 to
      210 this is ``1.74 sin(w (i + 99.5))``, w = 2 pi / 35 (period 420 / 12 = 35,
      amplitude ``0.2 |sin(110 w)| / sin(w / 2)``): a sinusoid that lags the default's
      by 0.99 rad (5.5 steps). Over the first 10 and the last 9 steps the sum runs off
      the ends of the kernel and the target ramps from 0 up to the sinusoid and back;
    - the target is 0.01 * 0.2 = 0.002 outside the window in every trial, 0 inside it in
      no-pulse trials (the 0.01 baseline is multiplied with the oscillation);
    - input noise 0.1 on every step.

    The default (``target="sine"``, baseline 0) starts the sinusoid at phase 0, so the
    target is continuous at onset; everything else is as in the preset. The
    repository's root-level copy of the generator is another variant (pulse of 20
    steps, Hann(10), T = 340, factor 0.3). ``info``: ``pulse``, ``condition`` = pulse.
    """

    name: ClassVar[str] = "oscillation"
    summary: ClassVar[str] = "a pulse triggers 220 steps of a period-35 sinusoid (Jarne & Laje)"
    source: ClassVar[str] = (
        "C. Jarne & R. Laje (2019), arXiv:1906.01094; code: github.com/katejarne/"
        "RNN_study_with_keras (generate_data_set_oscilator.py)"
    )
    presets: ClassVar[dict] = {"jarne": {"target": "convolution", "baseline": 0.002}}

    stim_on: int = 100
    stim_dur: int = 40
    smooth_len: int = 15
    osc_on: int = 160
    osc_off: int = 380
    t_total: int = 420
    target: str = "sine"
    period: float = 35.0
    amplitude: float = 1.74
    kernel_scale: float = 0.2
    baseline: float = 0.0
    p_pulse: float = 0.5
    noise_sigma: float = 0.1
    period_tol: float = 0.05
    nmse_tol: float = 0.2

    def __post_init__(self) -> None:
        super().__post_init__()
        check_steps(self, "stim_on", "osc_on", "smooth_len")
        check_steps(self, "stim_dur", "t_total", lo=1)
        check_steps(self, "osc_off", lo=self.osc_on + 2)
        check_le("t_total", self.t_total, self.stim_on + self.stim_dur, "stim_on + stim_dur")
        check_le("t_total", self.t_total, self.osc_off, "osc_off")
        check_nonneg(self, "period", "amplitude", "nmse_tol", positive=True)
        check_nonneg(self, "noise_sigma", "period_tol")
        check_prob(self, "p_pulse")
        check_choice("target", self.target, ("sine", "convolution"))
        check_real(self, "kernel_scale", "baseline")

    n_in: ClassVar[int] = 1
    n_out: ClassVar[int] = 1

    def oscillation(self) -> np.ndarray:
        """The target oscillation on [osc_on, osc_off), shape (osc_off - osc_on,)."""
        n_win = self.osc_off - self.osc_on
        if self.target == "sine":
            return self.amplitude * np.sin(2 * np.pi * np.arange(n_win) / self.period)
        # scipy.signal.convolve(box, kernel, mode="same"): the n_win central samples of
        # the full convolution, starting at (n_win + t_total - 1 - n_win) // 2
        kernel = np.sin(2 * np.pi * np.arange(self.t_total) / self.period)
        full = np.convolve(np.ones(n_win), kernel)
        start = (full.size - n_win) // 2
        return self.kernel_scale * full[start : start + n_win]

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        pulse = rng.random(n_trials) < self.p_pulse  # (n_trials,)
        x = np.zeros((n_trials, self.t_total, 1))
        x[:, self.stim_on : self.stim_on + self.stim_dur, 0] = pulse[:, None] * smoothed_pulse(
            self.stim_dur, self.smooth_len
        )
        x += self.noise_sigma * rng.standard_normal(x.shape)
        y = np.full((n_trials, self.t_total, 1), self.baseline)
        y[:, self.osc_on : self.osc_off, 0] = pulse[:, None] * self.oscillation()
        info = {"condition": pulse.astype(np.int64), "pulse": pulse}
        return make_batch(x, y, np.ones_like(y), info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Right period and shape in pulse trials, near-zero output otherwise."""
        z = check_output(self, z, batch)[:, self.osc_on : self.osc_off, 0]
        target = self.oscillation()
        power = np.mean(target**2)
        pulse = batch.info["pulse"].astype(bool)
        period_ok = np.abs(dominant_period(z) / self.period - 1.0) <= self.period_tol
        nmse_osc = np.mean((z - target) ** 2, axis=1) / power
        nmse_quiet = np.mean(z**2, axis=1) / power
        return np.where(pulse, period_ok & (nmse_osc < self.nmse_tol), nmse_quiet < self.nmse_tol)

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"pulse"`` / ``"no pulse"``."""
        return {int(c): ("pulse" if c else "no pulse") for c in np.unique(batch.info["condition"])}


@dataclass(frozen=True, kw_only=True)
class SineGenerator(Task):
    """Sine-wave generator: a static input level selects the output's frequency.

    Each trial draws one of `n_freqs` frequencies ``omega_j`` evenly spaced in
    [`omega_min`, `omega_max`] rad per step (periods 63 to 10.5 steps by default). The
    input is the static level ``j / n_freqs + input_offset`` (j = 1..n_freqs) on every
    step plus noise of sigma `noise_sigma`; the target is
    ``amplitude * sin(omega_j t)`` for the whole trial of `t_total` = 300 steps.

    A trial is correct when, over [`washout`, T), the output's dominant period is within
    `period_tol` (5%) of the target's and its RMS (about its mean) is at least
    `min_amplitude_ratio` times the target's (so that a vanishing wiggle does not pass).

    Parameters
    ----------
    n_freqs : int
        Number of frequencies.
    omega_min, omega_max : float
        Lowest and highest angular frequency (rad per step).
    input_offset : float
        Added to the input level ``j / n_freqs``.
    t_total, washout : int
        Trial length and the number of initial steps not scored.
    amplitude, noise_sigma : float
        Target amplitude and input noise per step.
    period_tol, min_amplitude_ratio : float
        Score tolerances.

    Notes
    -----
    D. Sussillo & O. Barak (2013), "Opening the black box: low-dimensional dynamics in
    high-dimensional recurrent neural networks", Neural Comput. 25:626 (section 3.3: 51
    frequencies in [0.1, 0.6] rad per unit time, input level j / 51 + 0.25). Here fewer
    frequencies, counted per step, so a discrete network (alpha = 1) can produce them.
    No original code was published with the paper; this follows its text.
    ``info``: ``omega``, ``period``, ``condition`` = frequency index.
    """

    name: ClassVar[str] = "sine_generator"
    summary: ClassVar[str] = "static input level selects the frequency of a sine output (Sussillo & Barak)"
    source: ClassVar[str] = (
        "D. Sussillo & O. Barak (2013), Neural Comput. 25:626 (sine wave generator)"
    )

    n_freqs: int = 6
    omega_min: float = 0.1
    omega_max: float = 0.6
    input_offset: float = 0.25
    t_total: int = 300
    washout: int = 50
    amplitude: float = 1.0
    noise_sigma: float = 0.05
    period_tol: float = 0.05
    min_amplitude_ratio: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        check_steps(self, "n_freqs", "t_total", lo=1)
        check_steps(self, "washout")
        check_le("t_total", self.t_total, self.washout + 2, "washout + 2")
        check_nonneg(self, "omega_min", "amplitude", positive=True)
        check_nonneg(self, "noise_sigma", "period_tol", "min_amplitude_ratio")
        check_real(self, "input_offset")
        check_le("omega_max", self.omega_max, self.omega_min, "omega_min")
        if self.omega_max > np.pi:
            fail("omega_max", "at most pi rad per step (the Nyquist frequency)", self.omega_max)

    n_in: ClassVar[int] = 1
    n_out: ClassVar[int] = 1


    @property
    def omegas(self) -> np.ndarray:
        """The angular frequencies (rad per step), shape (n_freqs,)."""
        return np.linspace(self.omega_min, self.omega_max, self.n_freqs)

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        cond = rng.integers(self.n_freqs, size=n_trials)
        omega = self.omegas[cond]  # (n_trials,)
        level = (cond + 1) / self.n_freqs + self.input_offset
        t = np.arange(self.t_total)
        x = np.broadcast_to(level[:, None, None], (n_trials, self.t_total, 1)).copy()
        x += self.noise_sigma * rng.standard_normal(x.shape)
        y = self.amplitude * np.sin(omega[:, None] * t)[:, :, None]
        info = {"condition": cond, "omega": omega, "period": 2 * np.pi / omega}
        return make_batch(x, y, np.ones_like(y), info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Dominant period within `period_tol` and enough amplitude after the washout."""
        z = check_output(self, z, batch)[:, self.washout :, 0]
        period_ok = np.abs(dominant_period(z) / batch.info["period"] - 1.0) <= self.period_tol
        rms_ok = z.std(axis=1) >= self.min_amplitude_ratio * self.amplitude / np.sqrt(2)
        return period_ok & rms_ok

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"period 12.6 steps"``."""
        period = batch.info["period"]
        return self._labels_from(batch, lambda i: f"period {float(period[i]):.3g} steps")
