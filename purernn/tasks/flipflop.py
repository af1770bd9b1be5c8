"""Flip-flop memory tasks: 1-bit set/reset (Jarne) and n-bit (Sussillo & Barak)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._validate import check_choice, fail
from .base import Batch, Task
from ._common import check_nonneg, check_output, check_prob, check_real, check_steps, check_tuple, make_batch

__all__ = ["FlipFlop", "FlipFlop3"]

_PROTOCOLS = ("auto", "jarne", "sussillo", "three_pulses")


def _bits_labels(task, batch) -> dict:
    bits = np.asarray(batch.info["bits"])
    sym = {1: "+", -1: "-", 0: "0"}
    return task._labels_from(batch, lambda i: "bits " + "".join(sym[int(np.sign(b))] for b in bits[i]))


@dataclass(frozen=True, kw_only=True)
class FlipFlop(Task):
    """Flip-flop: hold the value set by the last input pulse. Scored on the level held:
    right on 99% of the steps, the `settle` = 3 steps from each change of the target
    counting as right.

    Three protocols, chosen by `protocol` (``"auto"``: Jarne's set/reset for
    ``n_bits == 1``, Sussillo & Barak's otherwise).

    **Jarne set/reset (``"jarne"``; 1 bit, 2 inputs: reset, set).** The trial has
    `n_turns` = 8 turns; turn k pulses one random input channel (amplitude 1) on
    [`first_pulse` + k `turn_period`, ... + `pulse_dur`) = [50 + 120 k, 70 + 120 k). The
    target starts at `baseline` = 0.01 and, `response_delay` = 40 steps after each pulse
    onset, becomes the index of the last pulsed channel (0 after reset, 1 after set).
    T = 50 + 8 * 120 = 1010 steps of 1 ms; input noise sigma 0.1. ``info["bits"]``
    (n_trials, n_turns) holds the pulsed channel of each turn; ``condition`` = the final
    state.

    **Sussillo & Barak (``"sussillo"``; n bits, n inputs, n outputs).** On each step each
    input channel receives a pulse of +1 or -1 (equally likely) with probability
    `p_pulse` = 0.05 (with `force_first_pulse`, every bit is also pulsed at t = 0).
    Output i holds the sign of the last pulse on input i, 0 before its first pulse.
    T = `t_total` = 200; input noise sigma `noise_sigma`.

    **Jarne's three pulses (``"three_pulses"``; n bits, n inputs, n outputs).** Each
    channel, independently, gets three pulses of `pulse_dur` = 20 steps: the first at
    an onset drawn uniformly from [`first_pulse`, `first_pulse` + `first_pulse_spread`),
    the next ones `pulse_gaps` = (70, 100) steps after the previous onset plus a delay
    drawn uniformly from 1 .. `gap_jitter` = 50. The first pulse is +1, -1 or absent
    (1/3 each), the others +1 or -1 (1/2 each). Output i is 0 until `response_delay` =
    40 steps after the first pulse's onset, then holds the value of the last pulse from
    40 steps after its onset, and is 0 again on the trial's last step. T = `t_total`.
    Pulses that start too late are cut at the end of the trial, and a pulse later than
    T - 41 never changes the target. ``info``: ``onsets`` (n_trials, n_bits, 3),
    ``pulses`` (their values).

    For the n-bit protocols ``info["bits"]`` (n_trials, n_bits) is the final state (the
    target on the last step where it is defined) and ``condition`` = sum_i [final_i > 0]
    2**i.

    **Score.** A trial is correct when the output is nearest to the right target level
    ({0, 1} for the set/reset protocol, {-1, 0, 1} for the others) on at least
    `step_criterion` (99%) of its steps (every step of every output: mask 1). The
    `settle` = 3 steps that start at each change of an output's target level (the change
    step included; the level before the first step is 0, where a network starts, h_0 = 0)
    are not held against it: they count as right whatever the output. The window only
    excuses, so a larger `settle` never makes the score stricter.

    The score asks which memory the network holds, not how sharply its output jumps: a
    rate network's output moves between levels in a few steps, and a switch from -1 to +1
    crosses the rounding's middle band (|z| < 0.5) on the way. 3 steps is the settling
    time of a first-order response to within 5% (3 tau) at the recommended tau = dt
    (alpha = 1); it is short against every time the task asks the network to hold a
    level (pulses of 20 steps, a 40-step response delay, 20 steps between pulses on
    average in Sussillo & Barak's protocol). An output that switches more than `settle`
    steps late, or early, or holds a wrong level, still counts against the 1%.
    ``settle=0`` judges every step, as purernn did before the field existed (run files
    that lack it are read with 0).

    Parameters
    ----------
    n_bits : int
        Number of bits.
    protocol : {"auto", "jarne", "sussillo", "three_pulses"}
        Trial structure (see above); set/reset (``"jarne"``) needs ``n_bits == 1``.
    n_turns, first_pulse, turn_period, pulse_dur, response_delay : int
        Set/reset timing (steps); `first_pulse`, `pulse_dur` and `response_delay` also
        time the three pulses.
    baseline : float
        Set/reset target before the first response.
    t_total : int
        Trial length (steps) of the n-bit protocols.
    p_pulse : float
        Pulse probability per step and bit (Sussillo & Barak).
    force_first_pulse : bool
        Pulse every bit at t = 0 (Sussillo & Barak).
    first_pulse_spread, gap_jitter : int
        Spread of the first onset and the largest extra delay between pulses (three
        pulses).
    pulse_gaps : tuple of int
        Onset of each later pulse after the previous one, before the extra delay (three
        pulses).
    noise_sigma : float
        Input noise per step.
    step_criterion : float
        Fraction of the steps that must be right for a trial to be correct.
    settle : int
        Steps from each change of a target level that are not judged (see Score).

    Notes
    -----
    C. Jarne (2021), "What you need to know to train recurrent neural networks to make
    Flip Flops memories and more", arXiv:2010.07858; set/reset: ``generate_data_set.py``
    in github.com/katejarne/RNN_study_with_keras (``nturns=8, input_wait=50,
    quiet_gap=100, stim_dur=20, mem_gap=20``); three pulses: ``paper/generate_data_set.py``
    in github.com/katejarne/3-bit-FF-tutorial. D. Sussillo & O. Barak (2013), "Opening the
    black box", Neural Comput. 25:626 (3-bit flip-flop), as in M. Golub's ``FlipFlop``
    (github.com/mattgolub/fixed-point-finder).

    Preset ``"jarne"`` of ``flipflop`` is the default: set/reset exactly as her
    generator, quirks included (the target of the last turn runs past the trial's end
    and is cut, so T = 1010 = ``output_times[-1] + quiet_gap``; noise 0.1 on both
    inputs on every step).
    """

    name: ClassVar[str] = "flipflop"
    summary: ClassVar[str] = "1-bit set/reset flip-flop, 8 pulses over 1010 steps (Jarne)"
    source: ClassVar[str] = (
        "C. Jarne (2021), arXiv:2010.07858; code: github.com/katejarne/RNN_study_with_keras "
        "(generate_data_set.py); Sussillo & Barak (2013), Neural Comput. 25:626"
    )
    presets: ClassVar[dict] = {"jarne": {"protocol": "jarne", "n_bits": 1}}
    later_fields: ClassVar[dict] = {"settle": 0}

    n_bits: int = 1
    protocol: str = "auto"
    n_turns: int = 8
    first_pulse: int = 50
    turn_period: int = 120
    pulse_dur: int = 20
    response_delay: int = 40
    baseline: float = 0.01
    t_total: int = 200
    p_pulse: float = 0.05
    force_first_pulse: bool = False
    first_pulse_spread: int = 90
    pulse_gaps: tuple = (70, 100)
    gap_jitter: int = 50
    noise_sigma: float = 0.1
    step_criterion: float = 0.99
    settle: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        check_steps(self, "n_bits", "n_turns", "turn_period", "pulse_dur", "t_total", lo=1)
        check_steps(self, "first_pulse", "response_delay")
        check_choice("protocol", self.protocol, _PROTOCOLS)
        if self.kind == "jarne" and self.n_bits != 1:
            fail("n_bits", "1 with protocol='jarne' (set/reset of one bit)", self.n_bits, "Use protocol='sussillo'.")
        if self.pulse_dur > self.turn_period:
            fail("pulse_dur", f"at most turn_period = {self.turn_period}", self.pulse_dur)
        if not isinstance(self.force_first_pulse, (bool, np.bool_)):
            fail("force_first_pulse", "a bool", self.force_first_pulse)
        check_real(self, "baseline")
        check_prob(self, "p_pulse", "step_criterion")
        check_nonneg(self, "noise_sigma")
        check_steps(self, "first_pulse_spread", "gap_jitter", lo=1)
        check_tuple(self, "pulse_gaps", lo=0, lo_open=True)
        if any(g != int(g) or g < self.pulse_dur for g in self.pulse_gaps):
            fail("pulse_gaps", f"whole numbers of steps, each at least pulse_dur = {self.pulse_dur}",
                 self.pulse_gaps, "Pulses of one channel must not overlap.")
        self._set("pulse_gaps", tuple(int(g) for g in self.pulse_gaps))
        check_steps(self, "settle")
        if self.settle >= self.n_steps:
            fail("settle", f"fewer steps than the trial's n_steps = {self.n_steps}", self.settle,
                 "No step would be scored.")

    @property
    def kind(self) -> str:
        """The protocol in use: ``"jarne"``, ``"sussillo"`` or ``"three_pulses"``."""
        if self.protocol == "auto":
            return "jarne" if self.n_bits == 1 else "sussillo"
        return self.protocol

    @property
    def n_in(self) -> int:
        return 2 if self.kind == "jarne" else self.n_bits

    @property
    def n_out(self) -> int:
        return 1 if self.kind == "jarne" else self.n_bits

    @property
    def n_steps(self) -> int:
        if self.kind == "jarne":
            return self.first_pulse + self.n_turns * self.turn_period
        return self.t_total

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        if self.kind == "jarne":
            return self._sample_jarne(n_trials, rng)
        if self.kind == "three_pulses":
            return self._sample_three_pulses(n_trials, rng)
        return self._sample_sussillo(n_trials, rng)

    def _sample_jarne(self, n_trials: int, rng: np.random.Generator) -> Batch:
        T = self.n_steps
        channel = rng.integers(2, size=(n_trials, self.n_turns))  # 0 = reset, 1 = set
        onset = self.first_pulse + self.turn_period * np.arange(self.n_turns)  # (n_turns,)
        t = np.arange(T)
        # turn index in force at each step for the inputs (-1 before the first pulse) ...
        turn_in = np.searchsorted(onset, t, side="right") - 1  # (n_steps,)
        pulse_on = (turn_in >= 0) & (t - onset[np.maximum(turn_in, 0)] < self.pulse_dur)
        # ... and for the target, which follows `response_delay` steps later
        turn_out = np.searchsorted(onset + self.response_delay, t, side="right") - 1

        x = np.zeros((n_trials, T, 2))
        trial = np.arange(n_trials)[:, None]
        steps = t[pulse_on][None, :]
        x[trial, steps, channel[:, turn_in[pulse_on]]] = 1.0
        x += self.noise_sigma * rng.standard_normal(x.shape)

        y = np.full((n_trials, T, 1), self.baseline)
        held = turn_out >= 0
        y[:, held, 0] = channel[:, turn_out[held]]
        info = {"condition": channel[:, -1].copy(), "bits": channel}
        return make_batch(x, y, np.ones_like(y), info)

    def _sample_sussillo(self, n_trials: int, rng: np.random.Generator) -> Batch:
        T, n = self.t_total, self.n_bits
        has_pulse = rng.random((n_trials, T, n)) < self.p_pulse
        if self.force_first_pulse:
            has_pulse[:, 0, :] = True
        sign = np.where(rng.random((n_trials, T, n)) < 0.5, -1.0, 1.0)
        pulses = has_pulse * sign  # (n_trials, n_steps, n_bits)

        # forward-fill the last pulse: index of the latest pulsed step, -1 before any
        last = np.where(has_pulse, np.arange(T)[None, :, None], -1)
        last = np.maximum.accumulate(last, axis=1)
        y = np.take_along_axis(pulses, np.maximum(last, 0), axis=1) * (last >= 0)

        x = pulses + self.noise_sigma * rng.standard_normal(pulses.shape)
        final = y[:, -1, :]  # (n_trials, n_bits)
        cond = ((final > 0) * (1 << np.arange(n))).sum(axis=1)
        info = {"condition": cond, "bits": final}
        return make_batch(x, y, np.ones_like(y), info)

    def _sample_three_pulses(self, n_trials: int, rng: np.random.Generator) -> Batch:
        T, n, n_p = self.t_total, self.n_bits, len(self.pulse_gaps) + 1
        # her generator draws, per channel and trial: the first onset, the first value in
        # {+1, -1, 0}, the later values in {+1, -1}, then the delays 1 .. gap_jitter
        first = self.first_pulse + rng.integers(self.first_pulse_spread, size=(n_trials, n))
        values = np.empty((n_trials, n, n_p))
        values[:, :, 0] = np.array([1.0, -1.0, 0.0])[rng.integers(3, size=(n_trials, n))]
        values[:, :, 1:] = np.where(rng.integers(2, size=(n_trials, n, n_p - 1)) == 0, 1.0, -1.0)
        extra = 1 + rng.integers(self.gap_jitter, size=(n_trials, n, n_p - 1))
        steps = np.concatenate([first[:, :, None], np.asarray(self.pulse_gaps) + extra], axis=2)
        onsets = np.cumsum(steps, axis=2)  # (n_trials, n_bits, n_pulses)

        t = np.arange(T)[None, None, None, :]  # (1, 1, 1, n_steps)
        on = onsets[..., None]
        in_pulse = (t >= on) & (t < on + self.pulse_dur)  # (n_trials, n_bits, n_pulses, n_steps)
        x = np.einsum("bnp,bnpt->btn", values, in_pulse.astype(np.float64))
        # the target takes each pulse's value from response_delay after its onset;
        # later pulses overwrite earlier ones; the last step stays 0 (her `[start:-1]`)
        started = t >= on + self.response_delay  # (n_trials, n_bits, n_pulses, n_steps)
        n_started = started.sum(axis=2)  # (n_trials, n_bits, n_steps)
        last = np.take_along_axis(values, np.maximum(n_started - 1, 0), axis=2)  # (n_trials, n_bits, n_steps)
        y = np.where(n_started > 0, last, 0.0).transpose(0, 2, 1).copy()  # (n_trials, n_steps, n_bits)
        y[:, -1, :] = 0.0
        x += self.noise_sigma * rng.standard_normal(x.shape)

        final = y[:, -2, :] if T > 1 else y[:, -1, :]
        cond = ((final > 0) * (1 << np.arange(n))).sum(axis=1)
        info = {"condition": cond, "bits": final.copy(), "onsets": onsets, "pulses": values}
        return make_batch(x, y, np.ones_like(y), info)

    def resting_input(self) -> np.ndarray:
        """No pulse on any channel (the first step may carry one: `force_first_pulse`)."""
        return np.zeros(self.n_in)

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"final 1"`` / ``"final 0"`` (set/reset), ``"bits +-+"`` (n bits)."""
        if self.kind == "jarne":
            return {int(c): f"final {int(c)}" for c in np.unique(batch.info["condition"])}
        return _bits_labels(self, batch)

    def level(self, a: np.ndarray) -> np.ndarray:
        """The target level nearest to each value of `a` (outputs or targets): 0 or 1
        (set/reset, threshold 0.5), -1, 0 or 1 (the n-bit protocols)."""
        a = np.asarray(a)
        if self.kind == "jarne":
            return (a > 0.5).astype(np.int8)
        return np.rint(np.clip(a, -1.0, 1.0)).astype(np.int8)

    def scored_steps(self, batch: Batch) -> np.ndarray:
        """Which steps the score judges, bool (n_trials, n_steps, n_out): mask > 0, except
        the `settle` steps from each change of the target level (see the class docstring;
        a step left out counts as right).

        The window of a change at step c is [c, c + settle); the level before step 0 is 0.
        """
        m = np.asarray(batch.mask) > 0
        if self.settle == 0:
            return m
        lev = self.level(batch.y)  # (n_trials, n_steps, n_out)
        prev = np.concatenate([np.zeros_like(lev[:, :1]), lev[:, :-1]], axis=1)
        changes = np.cumsum(lev != prev, axis=1)  # changes up to and including each step
        window = changes.copy()  # changes in (t - settle, t]
        window[:, self.settle:] -= changes[:, :-self.settle]
        return m & (window == 0)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Right level on at least `step_criterion` of the masked steps of each trial, a
        step in a settle window (not in :meth:`scored_steps`) counting as right."""
        z = check_output(self, z, batch)
        m = batch.mask > 0
        wrong = (self.level(z) != self.level(batch.y)) & self.scored_steps(batch)
        frac = 1.0 - wrong.sum(axis=(1, 2)) / np.maximum(m.sum(axis=(1, 2)), 1)
        return frac >= self.step_criterion


@dataclass(frozen=True, kw_only=True)
class FlipFlop3(FlipFlop):
    """The 3-bit flip-flop: :class:`FlipFlop` with ``n_bits=3``, scored the same way
    (the level on 99% of the steps, the `settle` = 3 steps from each change of a target
    counting as right).

    Three inputs, three outputs. Default (Sussillo & Barak 2013): on each step each bit
    gets a +1/-1 pulse with probability 0.05, every bit is pulsed at t = 0, and its output
    holds the sign of the last pulse; T = 200. See :class:`FlipFlop` for the fields.
    D. Sussillo & O. Barak (2013), Neural Comput. 25:626; code after M. Golub's
    ``FlipFlop`` (github.com/mattgolub/fixed-point-finder).

    Preset ``"jarne"``: C. Jarne's 3-bit flip-flop (C. Jarne (2021), arXiv:2010.07858;
    ``paper/generate_data_set.py`` of github.com/katejarne/3-bit-FF-tutorial, called
    once per channel by ``binary_3bit_ff_RNN_to_loop.py`` and stacked), protocol
    ``"three_pulses"``, T = 340 (``seq_dur = first_in + stim_dur + mem_gap +
    var_delay_length + out_gap`` with ``out_gap = 250 - first_in``, ``mem_gap = 20``),
    noise 0.1 on every input step, and her quirks:

    - each channel has its own first onset, drawn from 10 .. 99 (``randint(10, 100)``
      per trial; the ``move`` drawn once per call cancels out of the length);
    - the first pulse is +1, -1 or absent (``randint(3)`` into ``[1, -1, 0]``), the
      second and third +1 or -1 (``randint(2)``);
    - the second pulse starts 70 + d1 steps after the first (``first_in + 50 +
      stim_dur + var_delay_``), the third 100 + d2 after the second, d1, d2 in 1 .. 50
      (``randint(50) + 1``); a third delay ``var_delay`` is drawn and never used;
    - each target starts ``stim_dur + mem_gap`` = 40 steps after its pulse's onset and
      runs to ``[:-1]``: the last step of every output is 0. That drop is a change of
      the target no network can foresee; it falls in the score's `settle` window, so it
      is not held against the output (with ``settle=0`` it costs every trial up to 3 of
      the 10 wrong steps its 3 x 340 steps allow);
    - the third pulse can start as late as step 369: it is then cut at the trial's end
      (or absent), and from step 299 on it no longer changes the target;
    - the output is 0 until the first response (and after an absent first pulse until
      the second's), so a trial visits three levels;
    - no mask (``sample_weight=None``): every step is in the loss.

    The default keeps Sussillo & Barak's protocol: its 8 memories are the corners of
    the output cube from the first step on.
    """

    name: ClassVar[str] = "flipflop3"
    summary: ClassVar[str] = "3-bit flip-flop, +/-1 pulses with p=0.05 per step (Sussillo & Barak)"
    source: ClassVar[str] = (
        "D. Sussillo & O. Barak (2013), Neural Comput. 25:626; after M. Golub's FlipFlop "
        "(github.com/mattgolub/fixed-point-finder); preset jarne: github.com/katejarne/"
        "3-bit-FF-tutorial (paper/generate_data_set.py)"
    )
    presets: ClassVar[dict] = {
        "jarne": {"protocol": "three_pulses", "t_total": 340, "first_pulse": 10, "first_pulse_spread": 90,
                  "pulse_dur": 20, "pulse_gaps": (70, 100), "gap_jitter": 50, "response_delay": 40,
                  "noise_sigma": 0.1},
    }

    n_bits: int = 3
    #: every bit is pulsed at t = 0, so each output is always +1 or -1: the 2^3 = 8
    #: memories (and 8 stable fixed points) of Sussillo & Barak, not 3^3 with a 0 level
    force_first_pulse: bool = True

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"bits +-+"``: the final state of bits 1, 2, 3."""
        return _bits_labels(self, batch)
