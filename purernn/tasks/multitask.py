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
    Every step is in the loss.

    A trial is correct when the mean output over [`response_on`, T) is on the right
    side of `threshold` = 0.5.

    Parameters
    ----------
    context_on, context_dur, stim_on, stim_dur, response_on, t_total : int
        Timing (steps).
    include_xor : bool
        Also draw XOR trials (context 0).
    amplitude, baseline, noise_sigma, threshold : float
        Bit pulse height, target before the response, input noise, decision threshold.

    Notes
    -----
    C. Jarne (2021), "Multitasking in RNN: an analysis exploring the combination of
    simple tasks", J. Phys. Complexity 2:015009; original code
    ``generate_data_set_multi_task.py`` in github.com/katejarne/multitasking_RNN (which
    also jitters all onsets by up to 50 steps; here the timing is fixed). ``info``:
    ``gate`` (0 AND, 1 OR, 2 XOR), ``bits`` (n_trials, 2), ``label``, ``condition`` =
    4 * gate + A + 2 B.
    """

    name: ClassVar[str] = "multitask_gates"
    summary: ClassVar[str] = "context pulse selects AND / OR (/ XOR) of two pulsed bits (Jarne)"
    source: ClassVar[str] = (
        "C. Jarne (2021), J. Phys. Complexity 2:015009; code: github.com/katejarne/"
        "multitasking_RNN (generate_data_set_multi_task.py)"
    )

    context_on: int = 20
    context_dur: int = 20
    stim_on: int = 60
    stim_dur: int = 20
    response_on: int = 100
    t_total: int = 240
    include_xor: bool = False
    amplitude: float = 1.0
    baseline: float = 0.0
    noise_sigma: float = 0.1
    threshold: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        check_steps(self, "context_on", "stim_on", "response_on")
        check_steps(self, "context_dur", "stim_dur", "t_total", lo=1)
        if not isinstance(self.include_xor, (bool, np.bool_)):
            fail("include_xor", "a bool", self.include_xor)
        check_nonneg(self, "noise_sigma")
        check_real(self, "amplitude", "baseline", "threshold")
        check_le("t_total", self.t_total, self.context_on + self.context_dur, "context_on + context_dur")
        check_le("t_total", self.t_total, self.stim_on + self.stim_dur, "stim_on + stim_dur")
        check_le("t_total", self.t_total, self.response_on + 1, "response_on + 1")

    @property
    def n_gates(self) -> int:
        return 3 if self.include_xor else 2

    n_in: ClassVar[int] = 3
    n_out: ClassVar[int] = 1


    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        gate = rng.integers(self.n_gates, size=n_trials)
        ab = rng.integers(4, size=n_trials)
        bits = np.stack([ab & 1, ab >> 1], axis=1)  # (n_trials, 2)
        level = np.array([_GATES[g][1] for g in range(3)])[gate]
        table = np.array([_GATES[g][2] for g in range(3)])  # (3, 4)
        label = table[gate, ab]

        x = np.zeros((n_trials, self.t_total, 3))
        x[:, self.stim_on : self.stim_on + self.stim_dur, :2] = self.amplitude * bits[:, None, :]
        x[:, self.context_on : self.context_on + self.context_dur, 2] = level[:, None]
        x += self.noise_sigma * rng.standard_normal(x.shape)
        y = np.full((n_trials, self.t_total, 1), self.baseline)
        y[:, self.response_on :, 0] = label[:, None]
        info = {"condition": 4 * gate + ab, "gate": gate, "bits": bits, "label": label}
        return make_batch(x, y, np.ones_like(y), info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Correct when the mean output over [response_on, T) is on the right side of
        `threshold`."""
        z = check_output(self, z, batch)
        m = window_mean(z[:, :, 0], self.response_on, self.t_total)
        return (m > self.threshold) == (batch.info["label"] == 1)
