"""Multitasking: a context pulse selects which logic gate to apply to two bits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._validate import fail
from .base import Batch, Task
from ._common import check_le, check_nonneg, check_output, check_real, check_steps, make_batch, window_mean

__all__ = ["MultitaskGates"]

#: gate index -> (context level, truth table indexed by A + 2 B)
_GATES = {0: ("and", 1.0, (0, 0, 0, 1)), 1: ("or", -1.0, (0, 1, 1, 1)), 2: ("xor", 0.0, (0, 1, 1, 0))}


@dataclass(frozen=True, kw_only=True)
class MultitaskGates(Task):
    """Context-cued logic gate: one network performs AND, OR (and optionally XOR).

    Three inputs: bit A, bit B and a context input. Each trial draws the gate uniformly
    (AND, OR, and XOR if `include_xor`) and the bits uniformly from {00, 10, 01, 11}.
    The context input carries a pulse of height +1 (AND), -1 (OR) or 0 (XOR: no pulse)
    on [`context_on`, `context_on` + `context_dur`) = [20, 40); a bit of 1 is a pulse of
    height `amplitude` on [`stim_on`, `stim_on` + `stim_dur`) = [60, 80). Input noise
    sigma `noise_sigma` = 0.1 on every step. The target is `baseline` = 0 until
    `response_on` = 100, then the selected gate's output held to T = 240 steps of 1 ms.
    With `jitter` > 0 each trial shifts all of its onsets (context, bits, response) by
    the same delay drawn uniformly from 1 .. `jitter`. With `zero_last_step` the target
    is 0 on the trial's last step. Every step is in the loss.

    A trial is correct when the mean output over [response onset, T) is on the right
    side of `threshold` = 0.5.

    Parameters
    ----------
    context_on, context_dur, stim_on, stim_dur, response_on, t_total : int
        Timing (steps), before the jitter.
    include_xor : bool
        Also draw XOR trials (context 0).
    jitter : int
        Largest shift of a trial's onsets (0: fixed timing).
    zero_last_step : bool
        Target 0 on the last step (the original's ``y[..., start:-1]``).
    amplitude, baseline, noise_sigma, threshold : float
        Bit pulse height, target before the response, input noise, decision threshold.

    Notes
    -----
    C. Jarne (2021), "Multitasking in RNN: an analysis exploring the combination of
    simple tasks", J. Phys. Complexity 2:015009; original code in
    github.com/katejarne/multitasking_RNN. ``info``: ``gate`` (0 AND, 1 OR, 2 XOR),
    ``bits`` (n_trials, 2), ``label``, ``shift`` (steps), ``response_on`` (per trial),
    ``condition`` = 4 * gate + A + 2 B.

    Preset ``"jarne"``: ``generate_data_set_multi_task_3_tasks.py``, the generator that
    ``binary_multi_task_to_loop.py`` trains the published networks with (the
    repository's ``generate_data_set_multi_task.py`` is a two-gate variant, T = 240, no
    jitter), with its quirks: AND, OR and XOR (context +1, -1, 0; ``randint(3)`` into
    ``[-1, 0, 1]``); every onset shifted by ``randint(50) + 1`` (1 .. 50, never 0), so
    T = 60 + 20 + 20 + 50 + 140 = 290; the target runs to ``[:-1]`` (0 on the last
    step); no input noise (the line adding ``stim_noise = 0.1`` is commented out).
    purernn's defaults (two gates, fixed timing, noise 0.1) make a smaller, noisier task.
    """

    name: ClassVar[str] = "multitask_gates"
    summary: ClassVar[str] = "context pulse selects AND / OR (/ XOR) of two pulsed bits (Jarne)"
    source: ClassVar[str] = (
        "C. Jarne (2021), J. Phys. Complexity 2:015009; code: github.com/katejarne/"
        "multitasking_RNN (generate_data_set_multi_task_3_tasks.py)"
    )
    presets: ClassVar[dict] = {
        "jarne": {"include_xor": True, "jitter": 50, "t_total": 290, "zero_last_step": True, "noise_sigma": 0.0},
    }

    context_on: int = 20
    context_dur: int = 20
    stim_on: int = 60
    stim_dur: int = 20
    response_on: int = 100
    t_total: int = 240
    include_xor: bool = False
    jitter: int = 0
    zero_last_step: bool = False
    amplitude: float = 1.0
    baseline: float = 0.0
    noise_sigma: float = 0.1
    threshold: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        check_steps(self, "context_on", "stim_on", "response_on")
        check_steps(self, "context_dur", "stim_dur", "t_total", lo=1)
        check_steps(self, "jitter")
        for flag in ("include_xor", "zero_last_step"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                fail(flag, "a bool", getattr(self, flag))
        check_nonneg(self, "noise_sigma")
        check_real(self, "amplitude", "baseline", "threshold")
        j = self.jitter
        check_le("t_total", self.t_total, self.context_on + self.context_dur + j, "context_on + context_dur + jitter")
        check_le("t_total", self.t_total, self.stim_on + self.stim_dur + j, "stim_on + stim_dur + jitter")
        check_le("t_total", self.t_total, self.response_on + 2 + j, "response_on + 2 + jitter")

    @property
    def n_gates(self) -> int:
        return 3 if self.include_xor else 2

    n_in: ClassVar[int] = 3
    n_out: ClassVar[int] = 1


    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        gate = rng.integers(self.n_gates, size=n_trials)
        ab = rng.integers(4, size=n_trials)
        shift = 1 + rng.integers(self.jitter, size=n_trials) if self.jitter > 0 else np.zeros(n_trials, dtype=int)
        bits = np.stack([ab & 1, ab >> 1], axis=1)  # (n_trials, 2)
        level = np.array([_GATES[g][1] for g in range(3)])[gate]
        table = np.array([_GATES[g][2] for g in range(3)])  # (3, 4)
        label = table[gate, ab]

        t = np.arange(self.t_total)[None, :] - shift[:, None]  # (n_trials, n_steps): time before the shift
        stim = ((t >= self.stim_on) & (t < self.stim_on + self.stim_dur)).astype(np.float64)
        ctx = ((t >= self.context_on) & (t < self.context_on + self.context_dur)).astype(np.float64)
        x = np.empty((n_trials, self.t_total, 3))
        x[:, :, :2] = self.amplitude * stim[:, :, None] * bits[:, None, :]
        x[:, :, 2] = ctx * level[:, None]
        x += self.noise_sigma * rng.standard_normal(x.shape)
        y = np.where(t >= self.response_on, label[:, None], self.baseline)[:, :, None].astype(np.float64)
        if self.zero_last_step:
            y[:, -1, 0] = 0.0
        info = {"condition": 4 * gate + ab, "gate": gate, "bits": bits, "label": label, "shift": shift,
                "response_on": self.response_on + shift}
        return make_batch(x, y, np.ones_like(y), info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Correct when the mean output over [response onset, T) is on the right side of
        `threshold`."""
        z = check_output(self, z, batch)
        m = window_mean(z[:, :, 0], batch.info["response_on"], self.t_total)
        return (m > self.threshold) == (batch.info["label"] == 1)

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"AND A=1 B=0"``."""
        gate, bits = batch.info["gate"], batch.info["bits"]
        return self._labels_from(
            batch, lambda i: f"{_GATES[int(gate[i])][0].upper()} A={int(bits[i, 0])} B={int(bits[i, 1])}")
