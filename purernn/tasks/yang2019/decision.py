"""The decision-making family of Yang et al. (2019): dm1, dm2, contextdm1, contextdm2, multidm.

Two stimuli at directions 0.5 pi .. 1.5 pi apart (either side), shown together from
U(100, 400) ms for {400, 800, 1600} ms; the fixation input goes off when they end; respond
for 500 ms towards the stronger one. Strengths are ``mean +/- coh`` with mean U(0.8, 1.2),
coh in {0.01, 0.02, 0.04, 0.08} (times 10 with ``easy_task``) and the sign at random.

- dm1 / dm2: both stimuli in ring 1 (dm1) or ring 2 (dm2).
- contextdm1 / contextdm2: both stimuli in both rings, each ring with its own strengths;
  the stronger in ring 1 (ring 2) decides.
- multidm: both rings carry both stimuli; the strengths of stimulus k in the two rings
  are ``s_k (1 +/- u / 2)`` with u in U(0.2, 0.8) and the sign at random, and the summed
  strength over the rings (2 s_k) decides.
"""

from __future__ import annotations

import numpy as np

from ._common import GRACE_MS, TWO_PI, Draw, Group, rule_trials, steps

RULES = ("dm1", "dm2", "contextdm1", "contextdm2", "multidm")

LONGEST_MS = {rule: (400, 1600, 500) for rule in RULES}

#: Coherences of the decision rules (the original's ``stim_coh_range``).
COHERENCES = (0.01, 0.02, 0.04, 0.08)
#: Their factor with ``easy_task``.
EASY_FACTOR = 10.0


def directions(d: Draw) -> tuple[np.ndarray, np.ndarray]:
    """Stimulus 1 uniform; stimulus 2 at U(0.5 pi, 1.5 pi) from it, either side."""
    dist = d.uniform(0.5 * np.pi, 1.5 * np.pi) * d.sign()
    loc1 = d.uniform(0.0, TWO_PI)
    return loc1, np.mod(loc1 + dist, TWO_PI)


def strengths(d: Draw, coherences) -> tuple[np.ndarray, np.ndarray]:
    """``mean +/- coh * sign``: mean U(0.8, 1.2), coh from `coherences`, random sign."""
    mean = d.uniform(0.8, 1.2)
    coh = d.choice(coherences)
    sign = d.sign()
    return mean + coh * sign, mean - coh * sign


def ring_strengths(rule: str, d: Draw, coherences) -> tuple:
    """Strengths (s1 in ring 1, s2 in ring 1, s1 in ring 2, s2 in ring 2) of the context
    and multisensory rules."""
    if rule.endswith(("1", "2")):  # contextdm1/2, contextdelaydm1/2: two independent pairs
        return strengths(d, coherences) + strengths(d, coherences)
    s1, s2 = strengths(d, coherences)
    # the original draws these two factors from numpy's global (unseeded) generator
    diff1 = s1 * d.uniform(0.2, 0.8) * d.sign()
    diff2 = s2 * d.uniform(0.2, 0.8) * d.sign()
    return s1 + diff1 / 2, s2 + diff2 / 2, s1 - diff1 / 2, s2 - diff2 / 2


def decided(rule: str, s1m1, s2m1, s1m2, s2m2) -> np.ndarray:
    """True where stimulus 1 wins: the stronger in the attended ring, or in the sum."""
    if rule.endswith("1"):
        return s1m1 > s2m1
    if rule.endswith("2"):
        return s1m2 > s2m2
    return (s1m1 + s1m2) > (s2m1 + s2m2)


def stimuli_and_choice(rule, one_ring, loc1, loc2, strength, on1, off1, on2, off2):
    """The stimuli ``(stimulus, ring, direction, strength, on, off)`` of a decision trial
    and where stimulus 1 wins: both stimuli in the rule's ring (`one_ring`; `strength` is
    (s1, s2)) or in both rings (s1 and s2 in ring 1, then in ring 2)."""
    if one_ring:
        ring = int(rule[-1])
        s1, s2 = strength
        return [(1, ring, loc1, s1, on1, off1), (2, ring, loc2, s2, on2, off2)], s1 > s2
    s1m1, s2m1, s1m2, s2m2 = strength
    stims = [(1, 1, loc1, s1m1, on1, off1), (2, 1, loc2, s2m1, on2, off2),
             (1, 2, loc1, s1m2, on1, off1), (2, 2, loc2, s2m2, on2, off2)]
    return stims, decided(rule, s1m1, s2m1, s1m2, s2m2)


def _trials(rule, dt, loc1, loc2, strength, stim_on, fix_off, length):
    n = loc1.shape[0]
    stims, first = stimuli_and_choice(rule, rule in ("dm1", "dm2"), loc1, loc2, strength, stim_on, fix_off, stim_on,
                                      fix_off)
    return rule_trials(n, length=length, fix_in_off=fix_off, stims=stims, fix_out_off=fix_off, go=True,
                       resp_loc=np.where(first, loc1, loc2), resp_on=fix_off, pre_off=fix_off,
                       post_on=fix_off + steps(GRACE_MS, dt),
                       epochs={"fix1": (0, stim_on), "stim1": (stim_on, fix_off), "go1": (fix_off, length)})


def sample(rule: str, d: Draw, easy_task: bool = False):
    """Trials of `rule` with the original's random timing (its mode ``'random'``)."""
    coherences = np.asarray(COHERENCES) * (EASY_FACTOR if easy_task else 1.0)
    loc1, loc2 = directions(d)
    if rule in ("dm1", "dm2"):
        strength = strengths(d, coherences)
    else:
        strength = ring_strengths(rule, d, coherences)
    stim_on = d.uniform_ms(100, 400)
    fix_off = stim_on + d.choice_ms([400, 800, 1600])
    return _trials(rule, d.dt, loc1, loc2, strength, stim_on, fix_off, fix_off + steps(500, d.dt))


def grid_stimuli(one_ring: bool, *, base: float, span: float):
    """Directions of stimulus 1 and strengths of the original's ``'test'`` grids: 20
    directions 2 pi k / 20 by 5 strengths s1 = base + span j / 5, s2 = 2 - s1 (one ring,
    100 trials), or by 5 x 5 strengths 0.8 + 0.4 j / 5 in rings 1 and 2 (500 trials)."""
    if one_ring:
        i = np.arange(100)
        s1 = span * (i % 5) / 5 + base
        return TWO_PI * (i // 5) / 20, (s1, 2 - s1)
    i = np.arange(500)
    s1m1 = 0.4 * ((i // 5) % 5) / 5 + 0.8
    s1m2 = 0.4 * (i % 5) / 5 + 0.8
    return TWO_PI * (i // 25) / 20, (s1m1, 2 - s1m1, s1m2, 2 - s1m2)


def grid(rule: str, dt: float):
    """The original's mode ``'test'``: stimulus 1 at 20 directions 2 pi k / 20, stimulus 2
    opposite; dm: 5 strengths s1 = 0.8 + 0.4 j / 5, s2 = 2 - s1 (100 trials, fixation
    off at 2000 ms, T = 2500 ms); context / multi: 5 x 5 strengths in rings 1 and 2 (500
    trials, fixation off at 1500 ms, T = 2000 ms). Stimuli from 500 ms."""
    one_ring = rule in ("dm1", "dm2")
    loc1, strength = grid_stimuli(one_ring, base=0.8, span=0.4)
    fix_off, length = (steps(2000, dt), steps(2500, dt)) if one_ring else (steps(1500, dt), steps(2000, dt))
    full = np.ones(loc1.size, dtype=np.int64)
    return _trials(rule, dt, loc1, np.mod(loc1 + np.pi, TWO_PI), strength, steps(500, dt) * full,
                   fix_off * full, length * full)


#: What :mod:`.family` needs of this group.
GROUP = Group(RULES, sample, grid, LONGEST_MS)
