"""Working-memory tasks: delayed match-to-sample and parametric working memory (Romo)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._validate import check_number, fail
from .base import Batch, Task
from ._common import check_nonneg, check_output, check_prob, check_steps, make_batch, ms_to_steps, window_mean

__all__ = ["DelayedMatchToSample", "Romo"]


class _Epochs:
    """Mixin: fixed periods in ms (field names in ``_periods``) -> steps."""

    _periods: ClassVar[tuple[str, ...]] = ()

    def _check_periods(self) -> None:
        check_nonneg(self, *self._periods)
        for name in self._periods[1:]:  # every period after fixation must last a step
            if ms_to_steps(getattr(self, name), self.dt) < 1:
                fail(name, f"at least one step (dt = {self.dt} ms)", getattr(self, name))

    def epochs(self) -> dict[str, tuple[int, int]]:
        """Each period's [start, stop) in steps."""
        out, t = {}, 0
        for name in self._periods:
            n = ms_to_steps(getattr(self, name), self.dt)
            out[name] = (t, t + n)
            t += n
        return out

    @property
    def n_steps(self) -> int:
        return self.epochs()[self._periods[-1]][1]

    def _decision_score(self, z, batch) -> np.ndarray:
        z = check_output(self, z, batch)
        d0, d1 = self.epochs()["decision"]
        return np.where(window_mean(z[:, :, 0], d0, d1) > 0, 1, -1) == batch.info["choice"]


@dataclass(frozen=True, kw_only=True)
class DelayedMatchToSample(_Epochs, Task):
    """Delayed match-to-sample: does the test direction equal the remembered sample?

    `n_ring` = 4 inputs form a ring of direction-tuned units (preferred directions
    ``2 pi k / n_ring``; response ``0.5 + 0.5 cos(phi_k - theta)``). Each trial draws a
    sample direction uniformly from `n_directions` = 4 equally spaced directions, shown
    during the sample period; after a delay the test direction is shown: equal to the
    sample with probability `p_match` = 0.5, otherwise one of the other directions
    (uniformly). Noise of standard deviation ``sigma / sqrt(dt)`` is added to every input
    on every step. Periods (ms): `fixation` 300, `sample_period` 500, `delay` 1000,
    `test_period` 500, `decision` 900, at `dt` = 20 ms (160 steps). The target is +1 (match) or -1
    (non-match) in the decision period, 0 elsewhere; the loss is masked to the decision
    period.

    A trial is correct when the mean decision-period output has the right sign.

    Parameters
    ----------
    fixation, sample_period, delay, test_period, decision : float
        Period durations (ms).
    n_ring, n_directions : int
        Number of ring inputs and of stimulus directions.
    p_match : float
        Probability of a match trial.
    sigma : float
        Noise scale; per-step standard deviation ``sigma / sqrt(dt)``.

    Notes
    -----
    D. J. Freedman & J. A. Assad (2006), "Experience-dependent representation of visual
    categories in parietal cortex", Nature 443:85 (delayed match-to-sample with motion
    directions). The period durations and the noise scale are those of NeuroGym's
    ``DelayMatchSample`` (github.com/neurogym/neurogym). Measured on NeuroGym 2.3.1 it
    differs in: a non-match test is the opposite direction there (sample + pi), any other
    direction here; the ring has 2 units and 2 directions there by default, 4 here; noise
    only during the sample and test periods there, on every step here; a fixation input
    and fixation / match / non-match outputs there, one signed output here. ``info``:
    ``sample``, ``test`` (direction
    indices), ``match`` (bool), ``choice`` (+1/-1), ``condition`` = 2 * sample + match.
    """

    name: ClassVar[str] = "dms"
    noise_fields: ClassVar[tuple] = ("sigma",)
    summary: ClassVar[str] = "delayed match-to-sample of directions on an input ring (Freedman & Assad)"
    source: ClassVar[str] = (
        "Freedman & Assad (2006), Nature 443:85; timing after NeuroGym DelayMatchSample"
    )
    _periods: ClassVar[tuple[str, ...]] = ("fixation", "sample_period", "delay", "test_period", "decision")

    dt: float = 20.0
    alpha: float = 0.2
    fixation: float = 300.0
    sample_period: float = 500.0
    delay: float = 1000.0
    test_period: float = 500.0
    decision: float = 900.0
    n_ring: int = 4
    n_directions: int = 4
    p_match: float = 0.5
    sigma: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_periods()
        check_steps(self, "n_ring", lo=1)
        check_steps(self, "n_directions", lo=2)
        check_prob(self, "p_match")
        check_nonneg(self, "sigma")

    @property
    def n_in(self) -> int:
        return self.n_ring

    n_out: ClassVar[int] = 1

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        ep = self.epochs()
        sample = rng.integers(self.n_directions, size=n_trials)
        match = rng.random(n_trials) < self.p_match
        other = (sample + 1 + rng.integers(self.n_directions - 1, size=n_trials)) % self.n_directions
        test = np.where(match, sample, other)
        choice = np.where(match, 1, -1)

        phi = 2 * np.pi * np.arange(self.n_ring) / self.n_ring  # (n_ring,)

        def ring(direction):  # (n_trials,) -> (n_trials, n_ring)
            theta = 2 * np.pi * direction / self.n_directions
            return 0.5 + 0.5 * np.cos(phi[None, :] - theta[:, None])

        x = np.zeros((n_trials, self.n_steps, self.n_ring))
        a0, a1 = ep["sample_period"]
        b0, b1 = ep["test_period"]
        x[:, a0:a1, :] = ring(sample)[:, None, :]
        x[:, b0:b1, :] = ring(test)[:, None, :]
        x += (self.sigma / np.sqrt(self.dt)) * rng.standard_normal(x.shape)
        d0, d1 = ep["decision"]
        y = np.zeros((n_trials, self.n_steps, 1))
        y[:, d0:d1, 0] = choice[:, None]
        mask = np.zeros_like(y)
        mask[:, d0:d1, 0] = 1.0
        info = {
            "condition": 2 * sample + match,
            "sample": sample,
            "test": test,
            "match": match,
            "choice": choice,
        }
        return make_batch(x, y, mask, info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Correct when the mean decision-period output is + for match, - for non-match."""
        return self._decision_score(z, batch)

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"sample 90 deg, match"``."""
        sample, match = batch.info["sample"], batch.info["match"]
        return self._labels_from(batch, lambda i: f"sample {360 * int(sample[i]) / self.n_directions:g} deg, "
                                                  + ("match" if match[i] else "non-match"))


_ROMO_PAIRS = ((18.0, 10.0), (22.0, 14.0), (26.0, 18.0), (30.0, 22.0), (34.0, 26.0))


@dataclass(frozen=True, kw_only=True)
class Romo(_Epochs, Task):
    """Parametric working memory: is the first vibration frequency higher than the second?

    Each trial draws a pair from `freq_pairs` = (18, 10), (22, 14), (26, 18), (30, 22),
    (34, 26) Hz and presents it in random order (f1 > f2 or f1 < f2, equally likely). One
    input encodes the frequency as its amplitude, ``f / freq_scale``, during the f1 and
    f2 periods (0 otherwise); noise of standard deviation ``sigma / sqrt(dt)`` on every
    step. Periods (ms): `fixation` 500, `stim1` 500, `delay` 1000, `stim2` 500,
    `decision` 100, at `dt` = 20 ms (130 steps). The target is sign(f1 - f2) during the
    decision period, 0 elsewhere; the loss is masked to the decision period.

    A trial is correct when the mean decision-period output has that sign.

    Parameters
    ----------
    fixation, stim1, delay, stim2, decision : float
        Period durations (ms).
    freq_pairs : tuple of (float, float)
        Frequency pairs (Hz), each presented in both orders.
    freq_scale : float
        Frequency (Hz) coded by an input amplitude of 1.
    sigma : float
        Noise scale; per-step standard deviation ``sigma / sqrt(dt)``.

    Notes
    -----
    R. Romo, C. D. Brody, A. Hernandez & L. Lemus (1999), "Neuronal correlates of
    parametric working memory in the prefrontal cortex", Nature 399:470. The frequency
    pairs, the period durations and the noise scale are those of NeuroGym's
    ``DelayComparison`` (github.com/neurogym/neurogym); the periods fall on the same
    steps at dt = 20 ms. Measured on NeuroGym 2.3.1 it differs in the coding: there a
    frequency is ``(1 + (f - f_min) / (f_max - f_min)) / 2`` (0.5 for 10 Hz, 1 for 34 Hz),
    here ``f / freq_scale`` (0.33 to 1.13); noise only during the two stimuli there (on
    every input, the fixation input included), on every step here; a fixation input
    and fixation + two choice outputs there, one signed output here. ``info``:
    ``f1``, ``f2`` (Hz), ``pair`` (index), ``choice`` = sign(f1 - f2), ``condition`` =
    2 * pair + (f1 > f2).
    """

    name: ClassVar[str] = "romo"
    noise_fields: ClassVar[tuple] = ("sigma",)
    summary: ClassVar[str] = "compare two vibration frequencies across a delay (Romo et al.)"
    source: ClassVar[str] = ("Romo, Brody, Hernandez & Lemus (1999), Nature 399:470; timing after NeuroGym "
                             "DelayComparison")
    _periods: ClassVar[tuple[str, ...]] = ("fixation", "stim1", "delay", "stim2", "decision")

    dt: float = 20.0
    alpha: float = 0.2
    fixation: float = 500.0
    stim1: float = 500.0
    delay: float = 1000.0
    stim2: float = 500.0
    decision: float = 100.0
    freq_pairs: tuple = _ROMO_PAIRS
    freq_scale: float = 30.0
    sigma: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_periods()
        check_nonneg(self, "freq_scale", positive=True)
        check_nonneg(self, "sigma")
        pairs = self.freq_pairs
        if isinstance(pairs, (str, bytes)) or not hasattr(pairs, "__len__") or len(pairs) < 1:
            fail("freq_pairs", "a non-empty sequence of (f_high, f_low) pairs", pairs)
        out = []
        for i, p in enumerate(pairs):
            if not hasattr(p, "__len__") or len(p) != 2:
                fail(f"freq_pairs[{i}]", "a pair of frequencies", p)
            a, b = (check_number(f"freq_pairs[{i}]", v, lo=0.0, lo_open=True) for v in p)
            if a == b:
                fail(f"freq_pairs[{i}]", "two different frequencies", p)
            out.append((a, b))
        self._set("freq_pairs", tuple(out))

    n_in: ClassVar[int] = 1
    n_out: ClassVar[int] = 1

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        ep = self.epochs()
        pair = rng.integers(len(self.freq_pairs), size=n_trials)
        swap = rng.random(n_trials) < 0.5
        fp = np.asarray(self.freq_pairs)[pair]  # (n_trials, 2)
        f1 = np.where(swap, fp[:, 1], fp[:, 0])
        f2 = np.where(swap, fp[:, 0], fp[:, 1])
        choice = np.where(f1 > f2, 1, -1)

        x = np.zeros((n_trials, self.n_steps, 1))
        a0, a1 = ep["stim1"]
        b0, b1 = ep["stim2"]
        x[:, a0:a1, 0] = (f1 / self.freq_scale)[:, None]
        x[:, b0:b1, 0] = (f2 / self.freq_scale)[:, None]
        x += (self.sigma / np.sqrt(self.dt)) * rng.standard_normal(x.shape)
        d0, d1 = ep["decision"]
        y = np.zeros((n_trials, self.n_steps, 1))
        y[:, d0:d1, 0] = choice[:, None]
        mask = np.zeros_like(y)
        mask[:, d0:d1, 0] = 1.0
        info = {"condition": 2 * pair + (f1 > f2), "pair": pair, "f1": f1, "f2": f2, "choice": choice}
        return make_batch(x, y, mask, info)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """Correct when the mean decision-period output has the sign of f1 - f2."""
        return self._decision_score(z, batch)

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """``"f1 18 > f2 10 Hz"``."""
        f1, f2 = batch.info["f1"], batch.info["f2"]
        return self._labels_from(
            batch, lambda i: f"f1 {float(f1[i]):g} {'>' if f1[i] > f2[i] else '<'} f2 {float(f2[i]):g} Hz")
