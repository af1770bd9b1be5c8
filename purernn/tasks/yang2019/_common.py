"""What the twenty rules of Yang et al. (2019) share: the rule list, the stimulus rings, the
random epoch durations, one container for a rule's trials, the renderer that turns those
trials into inputs, targets and a cost mask, and the original's performance measure.

Private to :mod:`purernn.tasks.yang2019`; NumPy only. Times inside a trial are in steps
of ``dt`` ms, converted from ms by truncation, ``int(ms / dt)``, as the original does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

__all__ = [
    "RULES",
    "DISPLAY_NAMES",
    "EPOCHS",
    "TWO_PI",
    "steps",
    "Draw",
    "Group",
    "RuleTrials",
    "rule_trials",
    "preferences",
    "ring_bump",
    "popvec",
    "get_perf",
    "render",
]

#: The twenty rules, in the order of the original's rule inputs (``rules_dict['all']``).
RULES = (
    "fdgo", "reactgo", "delaygo", "fdanti", "reactanti", "delayanti",
    "dm1", "dm2", "contextdm1", "contextdm2", "multidm",
    "delaydm1", "delaydm2", "contextdelaydm1", "contextdelaydm2", "multidelaydm",
    "dmsgo", "dmsnogo", "dmcgo", "dmcnogo",
)

#: The names the paper's figures use (the original's ``rule_name``).
DISPLAY_NAMES = {
    "fdgo": "Go", "reactgo": "RT Go", "delaygo": "Dly Go",
    "fdanti": "Anti", "reactanti": "RT Anti", "delayanti": "Dly Anti",
    "dm1": "DM 1", "dm2": "DM 2", "contextdm1": "Ctx DM 1", "contextdm2": "Ctx DM 2",
    "multidm": "MultSen DM", "delaydm1": "Dly DM 1", "delaydm2": "Dly DM 2",
    "contextdelaydm1": "Ctx Dly DM 1", "contextdelaydm2": "Ctx Dly DM 2",
    "multidelaydm": "MultSen Dly DM", "dmsgo": "DMS", "dmsnogo": "DNMS",
    "dmcgo": "DMC", "dmcnogo": "DNMC",
}

#: Epoch names of the original's ``trial.epochs`` (a rule uses some of them).
EPOCHS = ("fix1", "stim1", "delay1", "stim2", "delay2", "go1")

TWO_PI = 2.0 * np.pi

#: Ring-unit tuning width (rad) of the stimulus inputs and the response targets.
TUNING_WIDTH = np.pi / 8
#: Peak of a stimulus bump (times its strength) and of a response bump.
BUMP_PEAK = 0.8
#: Target of the fixation output while fixating, and of every output at rest.
FIX_TARGET, REST_TARGET = 0.8, 0.05
#: Cost-mask weights before the response, during it, and the factor on the fixation output;
#: the first GRACE_START_MS of a trial and the first GRACE_MS of the response are free.
PRE_WEIGHT, POST_WEIGHT, FIX_FACTOR = 1.0, 5.0, 2.0
GRACE_START_MS, GRACE_MS = 100.0, 100.0
#: Largest distance (rad) of a correct response from the target direction.
TOLERANCE = 0.2 * np.pi


def steps(ms, dt: float):
    """Milliseconds -> steps, truncated like the original's ``int(ms / dt)``."""
    if np.ndim(ms) == 0:
        return int(ms / dt)
    return (np.asarray(ms, dtype=np.float64) / dt).astype(np.int64)


class Draw:
    """Random draws for `n` trials of one rule.

    Per-trial quantities (directions, strengths, match) are always drawn per trial. Epoch
    durations and stimulus modalities are drawn per trial too, or once for all `n` trials
    with `shared` (the original draws them once per batch).
    """

    def __init__(self, rng: np.random.Generator, n: int, dt: float, shared: bool = False):
        self.rng, self.n, self.dt, self.shared = rng, n, dt, shared

    def _size(self) -> int:
        return 1 if self.shared else self.n

    def _full(self, a) -> np.ndarray:
        return a if a.shape[0] == self.n else np.repeat(a, self.n)

    def choice_ms(self, values_ms) -> np.ndarray:
        """One of `values_ms` (ms, equally likely), in steps: ``int(choice(values) / dt)``."""
        return self._full(steps(np.asarray(values_ms, dtype=float), self.dt)[self._pick(len(values_ms))])

    def _pick(self, k: int) -> np.ndarray:
        """Indices uniform in 0 .. k-1 (what ``rng.choice`` of k values draws, cheaper)."""
        return self.rng.integers(k, size=self._size())

    def uniform_ms(self, lo_ms: float, hi_ms: float) -> np.ndarray:
        """Uniform in [lo_ms, hi_ms) ms, in steps: ``int(uniform(lo, hi) / dt)``."""
        return self._full(steps(self.rng.uniform(lo_ms, hi_ms, size=self._size()), self.dt))

    def modality(self) -> np.ndarray:
        """Ring 1 or 2, equally likely."""
        return self._full(1 + self._pick(2))

    def uniform(self, lo: float, hi: float) -> np.ndarray:
        return self.rng.uniform(lo, hi, size=self.n)

    def sign(self) -> np.ndarray:
        return 1.0 - 2.0 * self.rng.integers(2, size=self.n)

    def choice(self, values) -> np.ndarray:
        values = np.asarray(values)
        return values[self.rng.integers(values.shape[0], size=self.n)]


class Group(NamedTuple):
    """A file of rules: its rule names, ``sample(rule, draw, easy_task)`` (the original's
    mode ``'random'``), ``grid(rule, dt)`` (its mode ``'test'``) and the ms pieces of each
    rule's longest trial."""

    rules: tuple
    sample: Callable
    grid: Callable
    longest_ms: dict


@dataclass
class RuleTrials:
    """`n` trials of one rule, as event times (steps), directions and strengths.

    Attributes (arrays of shape (n,) unless stated)
    ----------
    length : trial length (the original's ``tdim``)
    fix_in_off : the fixation input is 1 on [0, fix_in_off)
    ring, loc, strength, on, off : (n, 4) stimulus slots: ring 1 or 2 (0: unused), direction
        (rad), strength, shown on [on, off)
    stim_strength : (n, 2, 2) strength of stimulus k (axis 1) in ring m (axis 2), 0 if absent
    stim_loc : (n, 2) direction of stimulus 1 and 2 (nan if absent)
    fix_out_off : the fixation target is 0.8 on [0, fix_out_off), 0.05 after
    go : bool, the trial asks for a response (False: keep fixating)
    target_loc : response direction (the original's ``y_loc`` at the end; -1 when not go)
    resp_on : the ring target is a bump at ``target_loc`` on [resp_on, length) when go
    pre_off, post_on : cost-mask periods (the original's ``pre_offs``, ``post_ons``)
    match : 1 match, 0 non-match, -1 for rules without one
    epochs : name -> (n, 2) [start, end) of each epoch of :data:`EPOCHS` the rule has
    """

    length: np.ndarray
    fix_in_off: np.ndarray
    ring: np.ndarray
    loc: np.ndarray
    strength: np.ndarray
    on: np.ndarray
    off: np.ndarray
    stim_strength: np.ndarray
    stim_loc: np.ndarray
    fix_out_off: np.ndarray
    go: np.ndarray
    target_loc: np.ndarray
    resp_on: np.ndarray
    pre_off: np.ndarray
    post_on: np.ndarray
    match: np.ndarray
    epochs: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.length.shape[0]


def rule_trials(n, *, length, fix_in_off, stims, fix_out_off, go, resp_loc, resp_on, pre_off, post_on,
                epochs, match=None) -> RuleTrials:
    """A :class:`RuleTrials` from scalars or (n,) arrays.

    `stims` is a list of ``(k, ring, loc, strength, on, off)``: stimulus k (1 or 2) in ring
    1 or 2 (scalar or per trial), at most four. `epochs` maps names to ``(start, end)``.
    """
    def full(a, dtype):  # (n,) of `dtype` (np.broadcast_to costs more than the rest here)
        a = np.asarray(a, dtype=dtype)
        return a if a.shape == (n,) else np.full(n, a, dtype=dtype)

    slots = {key: np.zeros((n, 4), dtype=dt) for key, dt in
             (("ring", np.int64), ("loc", float), ("strength", float), ("on", np.int64), ("off", np.int64))}
    stim_strength = np.zeros((n, 2, 2))
    stim_loc = np.full((n, 2), np.nan)
    for s, (k, ring, loc, strength, on, off) in enumerate(stims):
        ring, loc, strength = full(ring, np.int64), full(loc, float), full(strength, float)
        slots["ring"][:, s], slots["loc"][:, s], slots["strength"][:, s] = ring, loc, strength
        slots["on"][:, s], slots["off"][:, s] = full(on, np.int64), full(off, np.int64)
        stim_strength[np.arange(n), k - 1, ring - 1] = strength
        stim_loc[:, k - 1] = loc
    go = full(go, bool)
    length = full(length, np.int64)
    return RuleTrials(
        length=length, fix_in_off=full(fix_in_off, np.int64), **slots, stim_strength=stim_strength,
        stim_loc=stim_loc, fix_out_off=full(fix_out_off, np.int64), go=go,
        target_loc=np.where(go, full(resp_loc, float), -1.0), resp_on=full(resp_on, np.int64),
        pre_off=full(pre_off, np.int64), post_on=full(post_on, np.int64),
        match=full(-1 if match is None else match, np.int64),
        epochs={k: np.stack([full(a, np.int64), full(b, np.int64)], axis=1) for k, (a, b) in epochs.items()},
    )


def preferences(n_eachring: int) -> np.ndarray:
    """Preferred directions of the ring units: ``2 pi k / n_eachring``, k = 0 .. n-1."""
    return np.arange(n_eachring) * (TWO_PI / n_eachring)


def ring_bump(loc, n_eachring: int) -> np.ndarray:
    """``0.8 exp(-d^2 / 2)`` with d the periodic distance from `loc` to each unit's
    preferred direction in units of pi/8: shape ``loc.shape + (n_eachring,)``."""
    d = np.abs(np.asarray(loc, dtype=float)[..., None] - preferences(n_eachring))
    d = np.minimum(d, TWO_PI - d) / TUNING_WIDTH
    return BUMP_PEAK * np.exp(-0.5 * d * d)


def popvec(y: np.ndarray) -> np.ndarray:
    """Population-vector direction in [0, 2 pi) of ring activity `y` (..., n_units).

    ``atan2(sum y sin(pref), sum y cos(pref))`` (the original's ``popvec`` also divides
    both sums by ``sum y``, which leaves the angle unchanged for positive sums and adds pi
    for negative ones; that division is kept). An all-zero ring gives nan.
    """
    pref = preferences(y.shape[-1])
    total = y.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (y * np.cos(pref)).sum(axis=-1) / total
        s = (y * np.sin(pref)).sum(axis=-1) / total
    return np.mod(np.arctan2(s, c), TWO_PI)


def get_perf(y_final: np.ndarray, target_loc: np.ndarray) -> np.ndarray:
    """The original's ``get_perf`` on the outputs of each trial's last step.

    Parameters
    ----------
    y_final : ndarray, shape (n_trials, 1 + n_eachring)
        Sigmoid outputs (fixation first) at the last step of each trial.
    target_loc : ndarray, shape (n_trials,)
        Response direction, negative for a trial that must keep fixating.

    Returns
    -------
    ndarray of bool, shape (n_trials,)
        Fixating (fixation output > 0.5) where fixation is asked for; else not fixating
        and the population vector of the ring outputs within 0.2 pi of the target.
    """
    fixating = y_final[:, 0] > 0.5
    d = np.abs(target_loc - popvec(y_final[:, 1:]))
    with np.errstate(invalid="ignore"):
        near = np.minimum(d, TWO_PI - d) < TOLERANCE  # nan (zero ring) -> False
    should_fix = target_loc < 0
    return np.where(should_fix, fixating, near & ~fixating)


def render(tr: RuleTrials, rule_index: np.ndarray, *, n_eachring: int, n_rules: int, dt: float,
           noise_sd: float, normalize: bool, rng) -> tuple:
    """Inputs, targets and cost mask of trials `tr`, padded to the longest with zeros.

    Parameters
    ----------
    tr : RuleTrials
        All trials of the batch (rules concatenated, in trial order).
    rule_index : ndarray of int, shape (n,)
        Position of each trial's rule in :data:`RULES` (its rule input).
    noise_sd : float
        Standard deviation of the Gaussian input noise on every input and step.
    normalize : bool
        Divide each trial's mask by ``length * n_out / 2`` (see the family's Notes).

    Returns
    -------
    x (n, T, 1 + 2 n_eachring + n_rules), y and mask (n, T, 1 + n_eachring)
    """
    n, T = tr.n, int(tr.length.max())
    n_ring, n_out = n_eachring, 1 + n_eachring
    t = np.arange(T)[None, :]  # (1, T)
    valid = t < tr.length[:, None]  # (n, T)
    x = np.zeros((n, T, 1 + 2 * n_ring + n_rules))
    x[:, :, 0] = t < tr.fix_in_off[:, None]
    # ring inputs: sum over slots s of window_s(t) * strength_s * bump(loc_s) in ring_s
    window = ((t[:, :, None] >= tr.on[:, None, :]) & (t[:, :, None] < tr.off[:, None, :])
              & (tr.ring[:, None, :] > 0)).astype(float)  # (n, T, 4)
    bumps = np.zeros((n, 4, 2 * n_ring))
    bump = ring_bump(tr.loc, n_ring) * tr.strength[:, :, None]  # (n, 4, n_ring)
    for r in (1, 2):
        bumps[:, :, (r - 1) * n_ring:r * n_ring] = bump * (tr.ring == r)[:, :, None]
    x[:, :, 1:1 + 2 * n_ring] = window @ bumps  # (n, T, 4) @ (n, 4, 2 n_ring)
    x[np.arange(n), :, 1 + 2 * n_ring + rule_index] = 1.0
    if noise_sd > 0:
        x += noise_sd * rng.standard_normal(x.shape)
    x[~valid] = 0.0  # the padding

    y = np.full((n, T, n_out), REST_TARGET)
    y[:, :, 0] = np.where(t < tr.fix_out_off[:, None], FIX_TARGET, REST_TARGET)
    respond = (t >= tr.resp_on[:, None]) & tr.go[:, None]  # (n, T)
    target_bump = ring_bump(np.where(tr.go, tr.target_loc, 0.0), n_ring)  # (n, n_ring)
    y[:, :, 1:] += respond[:, :, None] * target_bump[:, None, :]
    y[~valid] = 0.0

    # the original multiplies the error by c before squaring: weights c^2 on squared error
    grace_start = steps(GRACE_START_MS, dt)
    c = np.where(t >= tr.post_on[:, None], POST_WEIGHT, 0.0)
    c = np.where((t >= grace_start) & (t < tr.pre_off[:, None]), PRE_WEIGHT, c) * valid  # (n, T)
    mask = np.repeat((c * c)[:, :, None], n_out, axis=2)
    mask[:, :, 0] *= FIX_FACTOR**2
    if normalize:
        mask *= (2.0 / (tr.length * n_out))[:, None, None]
    return x, y, mask
