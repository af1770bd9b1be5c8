"""Logic-gate tasks: AND, OR, XOR (two inputs) and NOT (one input).

"Decision making inspired by Boolean functions" (C. Jarne & R. Laje, 2019).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import Batch, Task
from ._common import (
    check_le,
    check_nonneg,
    check_output,
    check_real,
    check_steps,
    make_batch,
    window_mean,
)

__all__ = ["GateTask", "And", "Or", "Xor", "Not"]

_JARNE_CITE = (
    "C. Jarne & R. Laje (2019), 'Graceful degradation of recurrent neural networks as a "
    "function of network size, memory length, and connectivity damage', arXiv:1906.01094; "
    "code: github.com/katejarne/RNN_study_with_keras (generate_data_set_*.py)"
)


@dataclass(frozen=True, kw_only=True)
class GateTask(Task):
    """Base of the logic-gate tasks (not registered itself).

    Each trial draws its input bits uniformly. A bit of 1 is a rectangular pulse of
    height `amplitude` on steps [`stim_on`, `stim_on` + `stim_dur`); a bit of 0 is no
    pulse. Gaussian noise of standard deviation `noise_sigma` is added to every input on
    every step. The target is `baseline` until `response_on`, then the gate's output
    (0 or 1) held to the end of the trial. Every step is in the loss (mask 1).

    A trial is correct when the mean output over [`response_on`, `t_total`) is on the
    right side of `threshold`.

    **Preset "jarne"** (``make(name, preset="jarne")``): C. Jarne's generators as shipped
    in ``code_paper_rep/`` of github.com/katejarne/RNN_study_with_keras, next to the
    networks of the paper: the same timing (bits on [30, 50), answer from 70 =
    ``first_in + stim_dur + mem_gap`` with ``mem_gap = 20``), target baseline 0.01 (0
    for AND) and *no input noise*: ``stim_noise = 0.1`` is defined but the line adding it
    is commented out. The AND trial is 210 steps long there (``out_gap = 140``), 200 for
    the other gates. The repository's root-level copies differ: AND has ``out_gap = 130``
    (T = 200), XOR and NOT add the noise. purernn's defaults keep the noise (0.1) on,
    so that a network cannot rely on exact input levels.
    """

    summary: ClassVar[str] = "logic gate"
    source: ClassVar[str] = _JARNE_CITE
    #: the gate's output for each condition; condition index = sum_i bit_i * 2**i
    truth_table: ClassVar[tuple[int, ...]] = ()
    n_bits: ClassVar[int] = 2

    stim_on: int = 30
    stim_dur: int = 20
    response_on: int = 70
    t_total: int = 200
    amplitude: float = 1.0
    baseline: float = 0.01
    noise_sigma: float = 0.1
    threshold: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        check_steps(self, "stim_on", "response_on")
        check_steps(self, "stim_dur", "t_total", lo=1)
        check_nonneg(self, "noise_sigma")
        check_real(self, "amplitude", "baseline", "threshold")
        check_le("t_total", self.t_total, self.stim_on + self.stim_dur, "stim_on + stim_dur")
        check_le("t_total", self.t_total, self.response_on + 1, "response_on + 1")

    @property
    def n_in(self) -> int:
        return self.n_bits

    n_out: ClassVar[int] = 1


    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        n_cond = 2**self.n_bits
        cond = rng.integers(n_cond, size=n_trials)  # (n_trials,)
        bits = (cond[:, None] >> np.arange(self.n_bits)) & 1  # (n_trials, n_bits)
        label = np.asarray(self.truth_table)[cond]  # (n_trials,)

        x = np.zeros((n_trials, self.t_total, self.n_bits))
        x[:, self.stim_on : self.stim_on + self.stim_dur, :] = self.amplitude * bits[:, None, :]
        x += self.noise_sigma * rng.standard_normal(x.shape)

        y = np.full((n_trials, self.t_total, 1), self.baseline)
        y[:, self.response_on :, 0] = label[:, None]
        mask = np.ones_like(y)
        info = {"condition": cond, "bits": bits, "label": label}
        return make_batch(x, y, mask, info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Correct when the mean output over [response_on, t_total) is on the right
        side of `threshold` (bool array of shape (n_trials,))."""
        z = check_output(self, z, batch)
        m = window_mean(z[:, :, 0], self.response_on, self.t_total)
        return (m > self.threshold) == (batch.info["label"] == 1)

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"A=1 B=0"`` (``"A=1"`` for NOT), one per condition present."""
        bits = np.asarray(batch.info["bits"])

        def describe(i):
            return " ".join(f"{'AB'[k]}={int(b)}" for k, b in enumerate(bits[i]))
        return self._labels_from(batch, describe)


@dataclass(frozen=True, kw_only=True)
class And(GateTask):
    """AND gate: output 1 only when both input bits are 1.

    Two inputs; each trial draws (A, B) uniformly from {00, 10, 01, 11}. A bit of 1 is a
    pulse of amplitude 1 on steps [30, 50); noise sigma 0.1 on every input step. Target 0
    until step 70, then A AND B to the end (T = 200 steps of 1 ms). Correct: mean output
    over [70, 200) on the right side of 0.5.

    Parameters
    ----------
    stim_on, stim_dur : int
        Onset and duration (steps) of the input pulses.
    response_on : int
        Step from which the target is the gate's output.
    t_total : int
        Trial length (steps).
    amplitude : float
        Height of a pulse coding a 1.
    baseline : float
        Target before `response_on` (0 for AND, 0.01 for the other gates, as in the
        original code).
    noise_sigma : float
        Standard deviation of the input noise per step.
    threshold : float
        Decision threshold on the mean output.

    Notes
    -----
    C. Jarne & R. Laje (2019), arXiv:1906.01094, and C. Jarne (2021), "What you need to
    know to train recurrent neural networks to make Flip Flops memories and more",
    arXiv:2010.07858. Original code: github.com/katejarne/RNN_study_with_keras,
    ``generate_data_set_and.py`` (``first_in=30, stim_dur=20, mem_gap=20, out_gap=130``).
    ``info``: ``bits`` (n_trials, 2) with A = bits[:, 0]; ``label`` the gate's output;
    ``condition`` = A + 2 B.

    Preset ``"jarne"`` (``code_paper_rep/generate_data_set_and.py``): no input noise
    and T = 210; the defaults here have noise 0.1 and T = 200 (the root-level copy's
    length). See :class:`GateTask`.
    """

    name: ClassVar[str] = "and"
    summary: ClassVar[str] = "AND of two pulsed bits, answer held from step 70 (Jarne)"
    truth_table: ClassVar[tuple[int, ...]] = (0, 0, 0, 1)
    presets: ClassVar[dict] = {"jarne": {"noise_sigma": 0.0, "t_total": 210}}
    baseline: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Or(GateTask):
    """OR gate: output 1 when at least one input bit is 1.

    Same trial as :class:`And` (pulses on [30, 50), answer from step 70, T = 200, noise
    0.1) with target baseline 0.01. Original code: ``generate_data_set_or.py`` in
    github.com/katejarne/RNN_study_with_keras; paper: Jarne & Laje (2019),
    arXiv:1906.01094. See :class:`And` for the parameters. Preset ``"jarne"``: no input
    noise (both copies of her generator have it commented out); the defaults add 0.1.
    """

    name: ClassVar[str] = "or"
    summary: ClassVar[str] = "OR of two pulsed bits, answer held from step 70 (Jarne)"
    truth_table: ClassVar[tuple[int, ...]] = (0, 1, 1, 1)
    presets: ClassVar[dict] = {"jarne": {"noise_sigma": 0.0}}


@dataclass(frozen=True, kw_only=True)
class Xor(GateTask):
    """XOR gate: output 1 when exactly one input bit is 1.

    Same trial as :class:`And` (pulses on [30, 50), answer from step 70, T = 200, noise
    0.1) with target baseline 0.01. Not linearly separable: the classic test that a
    network uses its recurrent nonlinearity. Original code: ``generate_data_set_xor.py``
    in github.com/katejarne/RNN_study_with_keras; paper: Jarne & Laje (2019),
    arXiv:1906.01094. See :class:`And` for the parameters. Preset ``"jarne"``: no input
    noise (``code_paper_rep/``; the root-level copy adds 0.1, as the defaults here do).
    """

    name: ClassVar[str] = "xor"
    summary: ClassVar[str] = "XOR of two pulsed bits, answer held from step 70 (Jarne)"
    truth_table: ClassVar[tuple[int, ...]] = (0, 1, 1, 0)
    presets: ClassVar[dict] = {"jarne": {"noise_sigma": 0.0}}


@dataclass(frozen=True, kw_only=True)
class Not(GateTask):
    """NOT gate: one input; output 1 when there was no pulse, 0 when there was one.

    One input; each trial draws its bit uniformly from {0, 1}. Pulses on [30, 50), answer
    from step 70, T = 200, noise 0.1, target baseline 0.01. Original code:
    ``generate_data_set_not.py`` in github.com/katejarne/RNN_study_with_keras; paper:
    Jarne & Laje (2019), arXiv:1906.01094. See :class:`And` for the parameters. Preset
    ``"jarne"``: no input noise (``code_paper_rep/``; the root-level copy adds 0.1, as
    the defaults here do).
    """

    name: ClassVar[str] = "not"
    summary: ClassVar[str] = "NOT of one pulsed bit, answer held from step 70 (Jarne)"
    truth_table: ClassVar[tuple[int, ...]] = (1, 0)
    presets: ClassVar[dict] = {"jarne": {"noise_sigma": 0.0}}
    n_bits: ClassVar[int] = 1
