"""Decision tasks: perceptual (random-dot motion) and context-dependent decisions."""

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
    check_real,
    check_steps,
    check_tuple,
    make_batch,
    ms_to_steps,
    smooth_rows,
    window_mean,
)

__all__ = ["PerceptualDM", "PerceptualDMZero", "ContextDM"]


def _check_durations(task, *names: str, positive=()) -> None:
    check_nonneg(task, *names)
    for name in positive:
        if ms_to_steps(getattr(task, name), task.dt) < 1:
            fail(name, f"at least one step (dt = {task.dt} ms)", getattr(task, name))


def _choice_curve(values, correct_or_choice, keys):
    """Mean of `correct_or_choice` for each distinct value of `values` (sorted)."""
    keys = np.asarray(keys, dtype=float)
    out = np.array([np.mean(correct_or_choice[values == k]) if np.any(values == k) else np.nan for k in keys])
    return keys, out


@dataclass(frozen=True, kw_only=True)
class PerceptualDM(Task):
    """Two-alternative perceptual decision (random-dot motion discrimination).

    Each trial draws a choice (+1 or -1) and a coherence ``c`` (percent) from
    `coherences` = {0, 3.2, 6.4, 12.8, 25.6, 51.2}, uniformly. Two inputs carry noisy
    evidence for the two choices: during the stimulus period their means are
    ``1 + choice * c / 200`` and ``1 - choice * c / 200`` (i.e. 1 +/- coh/2 with coh a
    fraction), 0 otherwise; Gaussian noise of standard deviation ``sigma / sqrt(dt)``
    (dt in ms) is added to both inputs on every step. Periods (ms): `fixation` 100,
    `stimulus` 2000, `delay` 0, `decision` 100, at `dt` = 20 ms (110 steps). The target
    is 0 before the decision period and the choice during it; the loss is masked to the
    decision period. At 0% coherence the choice is a coin flip the input says nothing
    about.

    A trial is correct when the mean output over the decision period has the sign of
    the choice. :meth:`accuracy_by_coherence` and :meth:`psychometric` give the
    psychometric curve. The `criterion` is 0.8, not 0.95: with the default noise an
    ideal integrator of the two inputs is right on about 89% of trials (50% at 0%
    coherence, 83% at 3.2%, 98% at 6.4%, ~100% above).

    Parameters
    ----------
    fixation, stimulus, delay, decision : float
        Period durations (ms).
    coherences : tuple of float
        Unsigned coherences (percent).
    sigma : float
        Input noise scale; per-step standard deviation is ``sigma / sqrt(dt)``.

    Notes
    -----
    K. H. Britten, M. N. Shadlen, W. T. Newsome & J. A. Movshon (1992), J. Neurosci.
    12:4745; J. D. Roitman & M. N. Shadlen (2002), J. Neurosci. 22:9475. The period
    durations and the noise scale ``sigma / sqrt(dt)`` are those of NeuroGym's
    ``PerceptualDecisionMaking`` (github.com/neurogym/neurogym), and at dt = 20 ms the
    periods fall on the same steps (5, 100, 0, 5). It is not that environment; measured
    on NeuroGym 2.3.1 it differs in: stimulus means ``0.5 +/- coh/200`` there, ``1 +/-
    coh/200`` here; noise only during the stimulus there, on every step here;
    coherences {0, 6.4, 12.8, 25.6, 51.2} there (3.2 added here); a fixation input and
    fixation + two choice outputs there, one signed output here; dt 100 ms by default
    there. ``info``: ``choice`` (+1/-1), ``coherence`` (unsigned, percent),
    ``signed_coherence``, ``condition`` = 2 * coherence index + (choice > 0).
    """

    name: ClassVar[str] = "perceptual_dm"
    noise_fields: ClassVar[tuple] = ("sigma",)
    summary: ClassVar[str] = "random-dot motion: sign of the stronger of two noisy inputs"
    source: ClassVar[str] = (
        "Britten et al. (1992), J. Neurosci. 12:4745; Roitman & Shadlen (2002), "
        "J. Neurosci. 22:9475; timing after NeuroGym PerceptualDecisionMaking"
    )

    dt: float = 20.0
    alpha: float = 0.2
    criterion: float = 0.8
    fixation: float = 100.0
    stimulus: float = 2000.0
    delay: float = 0.0
    decision: float = 100.0
    coherences: tuple = (0.0, 3.2, 6.4, 12.8, 25.6, 51.2)
    sigma: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_durations(self, "fixation", "stimulus", "delay", "decision", positive=("stimulus", "decision"))
        check_tuple(self, "coherences", lo=0.0, unique=True)
        check_nonneg(self, "sigma")

    def epochs(self) -> dict[str, tuple[int, int]]:
        """Each period's [start, stop) in steps."""
        out, t = {}, 0
        for name in ("fixation", "stimulus", "delay", "decision"):
            n = ms_to_steps(getattr(self, name), self.dt)
            out[name] = (t, t + n)
            t += n
        return out

    n_in: ClassVar[int] = 2
    n_out: ClassVar[int] = 1

    @property
    def n_steps(self) -> int:
        return self.epochs()["decision"][1]

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        ep = self.epochs()
        coh_idx = rng.integers(len(self.coherences), size=n_trials)
        choice = np.where(rng.random(n_trials) < 0.5, -1, 1)
        coh = np.asarray(self.coherences)[coh_idx]  # (n_trials,) percent

        s0, s1 = ep["stimulus"]
        d0, d1 = ep["decision"]
        x = np.zeros((n_trials, self.n_steps, 2))
        half = choice * coh / 200.0
        x[:, s0:s1, 0] = (1.0 + half)[:, None]
        x[:, s0:s1, 1] = (1.0 - half)[:, None]
        x += (self.sigma / np.sqrt(self.dt)) * rng.standard_normal(x.shape)
        y = np.zeros((n_trials, self.n_steps, 1))
        y[:, d0:d1, 0] = choice[:, None]
        mask = np.zeros_like(y)
        mask[:, d0:d1, 0] = 1.0
        info = {
            "condition": 2 * coh_idx + (choice > 0),
            "choice": choice,
            "coherence": coh,
            "signed_coherence": choice * coh,
        }
        return make_batch(x, y, mask, info)

    def choices(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """The network's choice per trial (+1/-1): sign of the mean decision output."""
        z = check_output(self, z, batch)
        d0, d1 = self.epochs()["decision"]
        return np.where(window_mean(z[:, :, 0], d0, d1) > 0, 1, -1)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Correct when the mean decision-period output has the sign of the choice."""
        return self.choices(z, batch) == batch.info["choice"]

    def accuracy_by_coherence(self, z: np.ndarray, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        """Fraction correct per unsigned coherence.

        Returns
        -------
        coherences : ndarray, shape (n_coh,)
            The task's coherences (percent), sorted.
        accuracy : ndarray, shape (n_coh,)
            Fraction of correct trials at each coherence (NaN where there is none).
        """
        return _choice_curve(batch.info["coherence"], self.score(z, batch), sorted(self.coherences))

    def psychometric(self, z: np.ndarray, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        """Probability of choosing +1 as a function of the signed coherence.

        Returns
        -------
        signed_coherence : ndarray, shape (n_levels,)
            Sorted distinct signed coherences (percent).
        p_plus : ndarray, shape (n_levels,)
            Fraction of trials where the network chose +1.
        """
        sc = batch.info["signed_coherence"]
        return _choice_curve(sc, self.choices(z, batch) > 0, np.unique(sc))

    def psychometric_trials(self, z: np.ndarray, batch: Batch) -> dict:
        """Per trial: the signed coherence (percent), the network's choice (+1/-1) and
        whether it is correct (for :func:`purernn.analysis.psychometric`)."""
        choice = self.choices(z, batch)
        return {"variable": "signed coherence (%)", "stimulus": np.asarray(batch.info["signed_coherence"], float),
                "choice": choice, "correct": choice == batch.info["choice"]}

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"coh +12.8%"``: the signed coherence (the sign is the choice; ``"coh 0%,
        choice +"`` at zero coherence)."""
        sc = batch.info["signed_coherence"]
        ch = batch.info["choice"]

        def describe(i):
            sign = "+" if ch[i] > 0 else "-"
            c = abs(float(sc[i]))
            return f"coh {sign}{c:g}%" if c > 0 else f"coh 0%, choice {sign}"
        return self._labels_from(batch, describe)


@dataclass(frozen=True, kw_only=True)
class PerceptualDMZero(Task):
    """Jarne's zero-coherence perceptual decision: report the sign of integrated noise.

    One input. On [`stim_on`, `stim_on` + `stim_dur`) = [50, 250) it carries zero-mean
    Gaussian noise of standard deviation `noise_sigma` = 1 smoothed by a `smooth_len` =
    10-point Hann window; it is 0 elsewhere. The target is `baseline` = 0.045 until
    `response_on` = 270, then the sign of the stimulus' integral (+1 or -1) to the end,
    T = 480 steps of 1 ms. Every step is in the loss.

    A trial is correct when the mean output over [`response_on`, T) has that sign.

    Parameters
    ----------
    stim_on, stim_dur, smooth_len, response_on, t_total : int
        Timing (steps).
    noise_sigma : float
        Standard deviation of the stimulus noise before smoothing.
    baseline : float
        Target before `response_on`.

    Notes
    -----
    C. Jarne (2023), "Different eigenvalue distributions encode the same temporal tasks
    in recurrent neural networks", Cogn. Neurodyn. 17:257; the code accompanying that
    work, ``Perceptual_DM_Robust/generate_perceptual_dm.py`` in
    github.com/katejarne/RNNs_for_DM_and_time_representation. The original integrates with
    Simpson's rule; here the plain sum of the smoothed stimulus is used (the two can
    disagree in sign only when the integral is close to 0). ``info``: ``evidence`` (the integral), ``choice``,
    ``condition`` = (choice > 0).
    """

    name: ClassVar[str] = "perceptual_dm_zero"
    noise_fields: ClassVar[tuple] = ()  # the noise is the stimulus
    summary: ClassVar[str] = "zero-coherence variant: sign of the integral of a noise stimulus (Jarne)"
    source: ClassVar[str] = (
        "C. Jarne, RNNs for decision making and time representation; code: github.com/"
        "katejarne/RNNs_for_DM_and_time_representation (generate_perceptual_dm.py)"
    )

    stim_on: int = 50
    stim_dur: int = 200
    smooth_len: int = 10
    response_on: int = 270
    t_total: int = 480
    noise_sigma: float = 1.0
    baseline: float = 0.045

    def __post_init__(self) -> None:
        super().__post_init__()
        check_steps(self, "stim_on", "smooth_len", "response_on")
        check_steps(self, "stim_dur", "t_total", lo=1)
        check_nonneg(self, "noise_sigma", positive=True)
        check_real(self, "baseline")
        check_le("t_total", self.t_total, self.stim_on + self.stim_dur, "stim_on + stim_dur")
        check_le("t_total", self.t_total, self.response_on + 1, "response_on + 1")

    n_in: ClassVar[int] = 1
    n_out: ClassVar[int] = 1


    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        n = self.stim_dur
        raw = self.noise_sigma * rng.standard_normal((n_trials, n))  # (n_trials, stim_dur)
        stim = smooth_rows(raw, self.smooth_len)
        evidence = stim.sum(axis=1)
        choice = np.where(evidence > 0, 1, -1)
        x = np.zeros((n_trials, self.t_total, 1))
        x[:, self.stim_on : self.stim_on + n, 0] = stim
        y = np.full((n_trials, self.t_total, 1), self.baseline)
        y[:, self.response_on :, 0] = choice[:, None]
        info = {"condition": (choice > 0).astype(np.int64), "choice": choice, "evidence": evidence}
        return make_batch(x, y, np.ones_like(y), info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Correct when the mean output over [response_on, T) has the sign of the integral."""
        return self.choices(z, batch) == batch.info["choice"]

    def choices(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """The network's choice per trial (+1/-1): sign of the mean output from response_on."""
        z = check_output(self, z, batch)
        return np.where(window_mean(z[:, :, 0], self.response_on, self.t_total) > 0, 1, -1)

    def psychometric_trials(self, z: np.ndarray, batch: Batch) -> dict:
        """Per trial: the integrated stimulus, the network's choice and its correctness."""
        choice = self.choices(z, batch)
        return {"variable": "integrated stimulus (sum over the stimulus steps)",
                "stimulus": np.asarray(batch.info["evidence"], float), "choice": choice,
                "correct": choice == batch.info["choice"]}

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"choice +"`` / ``"choice -"`` (the sign of the integral)."""
        return {int(c): ("choice +" if c else "choice -") for c in np.unique(batch.info["condition"])}


@dataclass(frozen=True, kw_only=True)
class ContextDM(Task):
    """Context-dependent decision (Mante et al. 2013): report the sign of the cued stream.

    Four inputs: motion evidence, colour evidence, and two one-hot context inputs
    (motion context, colour context) that stay on for the whole trial. Each trial draws
    the context and the signed coherences of motion and colour independently and
    uniformly from +/- `coherences` = {5, 15, 50}% . During the stimulus each evidence
    input has mean ``coherence / 100``; noise of standard deviation ``sigma / sqrt(dt)``
    is added to the two evidence inputs on every step. Periods (ms): `fixation` 300,
    `stimulus` 750, a delay drawn from an exponential of mean `delay_mean` = 600
    truncated to [`delay_min`, `delay_max`] = [300, 3000], and `decision` 100, at `dt` =
    20 ms. All trials are padded to the longest possible trial (208 steps); the target
    is the sign of the relevant stream's coherence during the decision period and 0
    elsewhere; the loss is masked to the decision period.

    A trial is correct when the mean output over its decision period has that sign. The
    `criterion` is 0.9: an ideal integrator of the cued stream is right on about 97% of
    trials (91% at 5% coherence).

    Parameters
    ----------
    fixation, stimulus, decision : float
        Period durations (ms).
    delay_mean, delay_min, delay_max : float
        Truncated-exponential delay (ms), as NeuroGym's ``truncated_exponential``.
    coherences : tuple of float
        Unsigned coherences (percent), used with both signs.
    sigma : float
        Noise scale; per-step standard deviation ``sigma / sqrt(dt)``.

    Notes
    -----
    V. Mante, D. Sussillo, K. V. Shenoy & W. T. Newsome (2013), "Context-dependent
    computation by recurrent dynamics in prefrontal cortex", Nature 503:78. The period
    durations, the truncated-exponential delay, the coherences and the noise scale are
    those of NeuroGym's ``ContextDecisionMaking`` (github.com/neurogym/neurogym, with
    ``use_expl_context=True``); the inputs are Mante et al.'s (one signed channel per
    stream). Measured on NeuroGym 2.3.1 it differs in: durations are rounded to the
    nearest step here and floored there (stimulus 750 ms = 38 steps here, 37 there, at
    dt = 20 ms; the delay likewise); noise only during the stimulus there, on every step
    here; each stream is two ring channels with means ``0.5 +/- coh/200`` there, one
    channel of mean ``coh/100`` here; a fixation input and fixation + two choice outputs
    there, one signed output here; trials have their own length there, here all are
    padded to the longest. ``info``: ``context``
    (0 motion, 1 colour), ``motion_coh``, ``colour_coh`` (signed, percent), ``choice``,
    ``delay`` (ms), ``decision_on``, ``decision_off`` (steps), ``condition`` =
    2 * context + (choice > 0).
    """

    name: ClassVar[str] = "context_dm"
    noise_fields: ClassVar[tuple] = ("sigma",)
    summary: ClassVar[str] = "context cue selects which of two noisy streams to report (Mante et al.)"
    source: ClassVar[str] = (
        "Mante, Sussillo, Shenoy & Newsome (2013), Nature 503:78; timing after NeuroGym "
        "ContextDecisionMaking"
    )

    dt: float = 20.0
    alpha: float = 0.2
    criterion: float = 0.9
    fixation: float = 300.0
    stimulus: float = 750.0
    delay_mean: float = 600.0
    delay_min: float = 300.0
    delay_max: float = 3000.0
    decision: float = 100.0
    coherences: tuple = (5.0, 15.0, 50.0)
    sigma: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_durations(self, "fixation", "stimulus", "decision", "delay_min", positive=("stimulus", "decision"))
        check_nonneg(self, "delay_mean", positive=True)
        check_nonneg(self, "delay_max", "sigma")
        check_le("delay_max", self.delay_max, self.delay_min, "delay_min")
        check_tuple(self, "coherences", lo=0.0, lo_open=True, unique=True)

    n_in: ClassVar[int] = 4
    n_out: ClassVar[int] = 1

    @property
    def n_steps(self) -> int:
        return sum(ms_to_steps(v, self.dt) for v in (self.fixation, self.stimulus, self.delay_max, self.decision))

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        T = self.n_steps
        cohs = np.concatenate([-np.asarray(self.coherences), np.asarray(self.coherences)])
        context = rng.integers(2, size=n_trials)
        motion = cohs[rng.integers(cohs.size, size=n_trials)]
        colour = cohs[rng.integers(cohs.size, size=n_trials)]
        # truncated exponential by inverse CDF (same law as NeuroGym's rejection sampling)
        lo, hi = np.exp(-self.delay_min / self.delay_mean), np.exp(-self.delay_max / self.delay_mean)
        u = rng.random(n_trials)
        delay = -self.delay_mean * np.log(lo - u * (lo - hi))  # (n_trials,) ms
        choice = np.where(np.where(context == 0, motion, colour) > 0, 1, -1)

        s0 = ms_to_steps(self.fixation, self.dt)
        s1 = s0 + ms_to_steps(self.stimulus, self.dt)
        d0 = s1 + np.rint(delay / self.dt).astype(np.int64)  # (n_trials,)
        d1 = d0 + ms_to_steps(self.decision, self.dt)
        t = np.arange(T)[None, :]

        x = np.zeros((n_trials, T, 4))
        x[:, s0:s1, 0] = motion[:, None] / 100.0
        x[:, s0:s1, 1] = colour[:, None] / 100.0
        x[:, :, 2] = (context == 0)[:, None]
        x[:, :, 3] = (context == 1)[:, None]
        x[:, :, :2] += (self.sigma / np.sqrt(self.dt)) * rng.standard_normal((n_trials, T, 2))
        dec = (t >= d0[:, None]) & (t < d1[:, None])  # (n_trials, n_steps)
        y = (dec * choice[:, None])[:, :, None].astype(np.float64)
        mask = dec[:, :, None].astype(np.float64)
        info = {
            "condition": 2 * context + (choice > 0),
            "context": context,
            "motion_coh": motion,
            "colour_coh": colour,
            "choice": choice,
            "delay": delay,
            "decision_on": d0,
            "decision_off": d1,
        }
        return make_batch(x, y, mask, info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Correct when the mean decision-period output has the sign of the cued stream."""
        return self.choices(z, batch) == batch.info["choice"]

    def choices(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """The network's choice per trial (+1/-1): sign of the mean decision-period output."""
        z = check_output(self, z, batch)
        m = window_mean(z[:, :, 0], batch.info["decision_on"], batch.info["decision_off"])
        return np.where(m > 0, 1, -1)

    def psychometric_trials(self, z: np.ndarray, batch: Batch) -> dict:
        """Per trial: the cued stream's signed coherence (percent), the choice, its
        correctness, and the context as the group (one curve per context)."""
        ctx = np.asarray(batch.info["context"])
        relevant = np.where(ctx == 0, batch.info["motion_coh"], batch.info["colour_coh"]).astype(float)
        choice = self.choices(z, batch)
        return {"variable": "signed coherence of the cued stream (%)", "stimulus": relevant, "choice": choice,
                "correct": choice == batch.info["choice"], "group": ctx,
                "group_names": {0: "context motion", 1: "context colour"}}

    def resting_input(self) -> np.ndarray:
        """The motion context before the stimulus: ``[0, 0, 1, 0]`` (the context inputs are
        on for the whole trial, so each context has its own resting state)."""
        return np.array([0.0, 0.0, 1.0, 0.0])

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"context motion, choice +"``."""
        ctx, ch = batch.info["context"], batch.info["choice"]
        return self._labels_from(
            batch, lambda i: f"context {('motion', 'colour')[int(ctx[i])]}, choice {'+' if ch[i] > 0 else '-'}")
