"""The delayed decision-making family of Yang et al. (2019): delaydm1, delaydm2,
contextdelaydm1, contextdelaydm2, multidelaydm.

As :mod:`.decision`, but the two stimuli come one after the other: stimulus 1 on at
{200, 400, 600} ms for {200, 400, 600} ms, a delay of {200, 400, 800, 1600} ms, stimulus
2 for {200, 400, 600} ms, then U(100, 300) ms until the fixation input goes off; respond
for 500 ms towards the stronger. Coherences {0.08, 0.16, 0.32} (times 2 with
``easy_task``).
"""

from __future__ import annotations

import numpy as np

from ._common import GRACE_MS, TWO_PI, Draw, Group, rule_trials, steps
from .decision import directions, grid_stimuli, ring_strengths, stimuli_and_choice, strengths

RULES = ("delaydm1", "delaydm2", "contextdelaydm1", "contextdelaydm2", "multidelaydm")

LONGEST_MS = {rule: (600, 600, 1600, 600, 300, 500) for rule in RULES}

COHERENCES = (0.08, 0.16, 0.32)
EASY_FACTOR = 2.0


def _trials(rule, dt, loc1, loc2, strength, on1, off1, on2, off2, fix_off, length):
    n = loc1.shape[0]
    stims, first = stimuli_and_choice(rule, rule in ("delaydm1", "delaydm2"), loc1, loc2, strength, on1, off1, on2,
                                      off2)
    epochs = {"fix1": (0, on1), "stim1": (on1, off1), "delay1": (off1, on2), "stim2": (on2, off2),
              "delay2": (off2, fix_off), "go1": (fix_off, length)}
    return rule_trials(n, length=length, fix_in_off=fix_off, stims=stims, fix_out_off=fix_off, go=True,
                       resp_loc=np.where(first, loc1, loc2), resp_on=fix_off, pre_off=fix_off,
                       post_on=fix_off + steps(GRACE_MS, dt), epochs=epochs)


def sample(rule: str, d: Draw, easy_task: bool = False):
    """Trials of `rule` with the original's random timing (its mode ``'random'``)."""
    coherences = np.asarray(COHERENCES) * (EASY_FACTOR if easy_task else 1.0)
    loc1, loc2 = directions(d)
    if rule in ("delaydm1", "delaydm2"):
        strength = strengths(d, coherences)
    else:
        strength = ring_strengths(rule, d, coherences)
    on1 = d.choice_ms([200, 400, 600])
    off1 = on1 + d.choice_ms([200, 400, 600])
    on2 = off1 + d.choice_ms([200, 400, 800, 1600])
    off2 = on2 + d.choice_ms([200, 400, 600])
    fix_off = off2 + d.uniform_ms(100, 300)
    return _trials(rule, d.dt, loc1, loc2, strength, on1, off1, on2, off2, fix_off, fix_off + steps(500, d.dt))


def grid(rule: str, dt: float):
    """The original's mode ``'test'``: stimulus 1 at 20 directions 2 pi k / 20 on
    [500, 1000) ms, stimulus 2 opposite on [2000, 2500) ms. delaydm: 5 strengths
    s1 = 0.5 + j / 5, s2 = 2 - s1 (100 trials, fixation off at 2700 ms, T = 3000 ms);
    context / multi: 5 x 5 strengths 0.8 + 0.4 j / 5 in rings 1 and 2 (500 trials,
    fixation off at 3000 ms, T = 3500 ms)."""
    one_ring = rule in ("delaydm1", "delaydm2")
    loc1, strength = grid_stimuli(one_ring, base=0.5, span=1.0)
    fix_off, length = (steps(2700, dt), steps(3000, dt)) if one_ring else (steps(3000, dt), steps(3500, dt))
    full = np.ones(loc1.size, dtype=np.int64)
    return _trials(rule, dt, loc1, np.mod(loc1 + np.pi, TWO_PI), strength, steps(500, dt) * full,
                   steps(1000, dt) * full, steps(2000, dt) * full, steps(2500, dt) * full, fix_off * full,
                   length * full)


#: What :mod:`.family` needs of this group.
GROUP = Group(RULES, sample, grid, LONGEST_MS)
