"""The matching family of Yang et al. (2019): dmsgo, dmsnogo, dmcgo, dmcnogo.

A sample stimulus, a delay, then a test stimulus that stays on; the fixation input is on
all trial. On a Go trial the network responds towards the test stimulus from its onset;
on a No-Go trial it keeps fixating to the end. Each stimulus is in ring 1 or 2 at random
(the two drawn independently). Sample on at {200, 400, 600} ms for {200, 400, 600} ms,
delay {200, 400, 800, 1600} ms.

- dmsgo / dmsnogo (match to sample): match with probability 1/2; a non-match test is
  U(pi / 9, 17 pi / 9) away from the sample, either side. dmsgo responds to a match,
  dmsnogo to a non-match. Response period 500 ms.
- dmcgo / dmcnogo (match to category): sample and test each at one of 0.1 pi, 0.3 pi,
  ..., 1.9 pi; the category is direction < pi, and they match when their categories do
  (probability 1/2). dmcgo responds to a match, dmcnogo to a non-match. Response period
  {200, 400, 600} ms.
"""

from __future__ import annotations

import numpy as np

from ._common import GRACE_MS, TWO_PI, Draw, Group, rule_trials, steps

RULES = ("dmsgo", "dmsnogo", "dmcgo", "dmcnogo")

LONGEST_MS = {"dmsgo": (600, 600, 1600, 500), "dmcgo": (600, 600, 1600, 600)}
LONGEST_MS.update({"dmsnogo": LONGEST_MS["dmsgo"], "dmcnogo": LONGEST_MS["dmcgo"]})

#: The directions of the category rules' stimuli (times pi).
CATEGORY_LOCS = (0.1, 0.3, 0.5, 0.7, 0.9, 1.1, 1.3, 1.5, 1.7, 1.9)


def _trials(rule, dt, loc1, loc2, ring1, ring2, match, on1, off1, on2, length):
    n = loc1.shape[0]
    go = match == (0 if rule.endswith("nogo") else 1)  # the original: matchs[i] != matchnogo
    return rule_trials(n, length=length, fix_in_off=length,
                       stims=[(1, ring1, loc1, 1.0, on1, off1), (2, ring2, loc2, 1.0, on2, length)],
                       fix_out_off=np.where(go, on2, length), go=go, resp_loc=loc2, resp_on=on2, pre_off=on2,
                       post_on=on2 + steps(GRACE_MS, dt), match=match,
                       epochs={"fix1": (0, on1), "stim1": (on1, off1), "delay1": (off1, on2), "go1": (on2, length)})


def _category_match(loc1, loc2) -> np.ndarray:
    return ((loc1 < np.pi) == (loc2 < np.pi)).astype(np.int64)


def sample(rule: str, d: Draw, easy_task: bool = False):
    """Trials of `rule` with the original's random timing (its mode ``'random'``)."""
    ring1, ring2 = d.modality(), d.modality()
    if rule.startswith("dms"):
        match = d.choice([0, 1]).astype(np.int64)
        dist = d.uniform(np.pi / 9, np.pi * 17 / 9) * d.sign()
        loc1 = d.uniform(0.0, TWO_PI)
        loc2 = np.mod(loc1 + dist * (1 - match), TWO_PI)
    else:
        loc1 = d.choice(np.asarray(CATEGORY_LOCS) * np.pi)
        loc2 = d.choice(np.asarray(CATEGORY_LOCS) * np.pi)
        match = _category_match(loc1, loc2)
    on1 = d.choice_ms([200, 400, 600])
    off1 = on1 + d.choice_ms([200, 400, 600])
    on2 = off1 + d.choice_ms([200, 400, 800, 1600])
    length = on2 + (steps(500, d.dt) if rule.startswith("dms") else d.choice_ms([200, 400, 600]))
    return _trials(rule, d.dt, loc1, loc2, ring1, ring2, match, on1, off1, on2, length)


def grid(rule: str, dt: float):
    """The original's mode ``'test'``: 20 sample directions x sample ring x test ring (80
    trials), every trial a Go trial (dmsgo, dmcgo: the test matches; dmsnogo, dmcnogo: it
    is opposite). dms: directions 2 pi k / 20; dmc: 0.1 pi + 0.08 pi k and 1.1 pi + 0.08 pi k,
    k = 0 .. 9. Sample on [500, 1000) ms, test from 2200 ms, T = 2700 ms."""
    i = np.arange(80)
    k, ring1, ring2 = i // 4, (i // 2) % 2 + 1, i % 2 + 1
    shift = np.pi if rule.endswith("nogo") else 0.0  # the original: pi * (1 - matchs)
    if rule.startswith("dms"):
        loc1 = TWO_PI * k / 20
    else:
        half = np.arange(10) / 10
        loc1 = (np.concatenate([0.1 + 0.8 * half, 1.1 + 0.8 * half]) * np.pi)[k]
    loc2 = np.mod(loc1 + shift, TWO_PI)
    match = (np.full(80, 0 if rule.endswith("nogo") else 1) if rule.startswith("dms")
             else _category_match(loc1, loc2))
    full = np.ones(80, dtype=np.int64)
    on1 = steps(500, dt) * full
    off1 = on1 + steps(500, dt)
    on2 = off1 + steps(1200, dt)
    return _trials(rule, dt, loc1, loc2, ring1, ring2, match, on1, off1, on2, on2 + steps(500, dt))


#: What :mod:`.family` needs of this group.
GROUP = Group(RULES, sample, grid, LONGEST_MS)
