"""The Go family of Yang et al. (2019): fdgo, reactgo, delaygo and their Anti versions.

One stimulus in ring 1 or 2 at a direction drawn uniformly; respond (after the fixation
input goes off, or at stimulus onset for the reaction-time versions) towards it (Go) or
away from it, at direction + pi (Anti). Durations follow the original's ``task.py``:

- fdgo / fdanti: stimulus on at U(300, 700) ms until the end; fixation off U(500, 1500)
  ms after stimulus onset; response 500 ms.
- reactgo / reactanti: fixation input on all trial; stimulus (and response) at
  U(500, 2500) ms; response 500 ms.
- delaygo / delayanti: stimulus on at {300, 500, 700} ms for {200, 400, 600} ms; delay
  {200, 400, 800, 1600} ms; response 500 ms.
"""

from __future__ import annotations

import numpy as np

from ._common import GRACE_MS, TWO_PI, Draw, Group, rule_trials, steps

RULES = ("fdgo", "reactgo", "delaygo", "fdanti", "reactanti", "delayanti")

#: The longest trial of each rule, as the ms pieces that add up to it.
LONGEST_MS = {"fdgo": (700, 1500, 500), "reactgo": (2500, 500), "delaygo": (700, 600, 1600, 500)}
LONGEST_MS.update({"fdanti": LONGEST_MS["fdgo"], "reactanti": LONGEST_MS["reactgo"],
                   "delayanti": LONGEST_MS["delaygo"]})


def _kind(rule: str) -> tuple[str, bool]:
    return rule[:-4] if rule.endswith("anti") else rule[:-2], rule.endswith("anti")


def _trials(kind, anti, dt, loc, ring, stim_on, fix_off=None, stim_off=None, length=None):
    """`length` defaults to the response onset + 500 ms (the mode 'test' gives its own)."""
    n = loc.shape[0]
    resp_loc = np.mod(loc + np.pi, TWO_PI) if anti else loc
    grace = steps(GRACE_MS, dt)
    if kind == "react":  # fixation input never goes off; stimulus onset is the go cue
        length = stim_on + steps(500, dt) if length is None else length
        return rule_trials(n, length=length, fix_in_off=length, stims=[(1, ring, loc, 1.0, stim_on, length)],
                           fix_out_off=stim_on, go=True, resp_loc=resp_loc, resp_on=stim_on, pre_off=stim_on,
                           post_on=stim_on + grace, epochs={"fix1": (0, stim_on), "go1": (stim_on, length)})
    length = fix_off + steps(500, dt) if length is None else length
    if kind == "fd":
        stim_off, epochs = length, {"fix1": (0, stim_on), "stim1": (stim_on, fix_off)}
    else:
        epochs = {"fix1": (0, stim_on), "stim1": (stim_on, stim_off), "delay1": (stim_off, fix_off)}
    epochs["go1"] = (fix_off, length)
    return rule_trials(n, length=length, fix_in_off=fix_off, stims=[(1, ring, loc, 1.0, stim_on, stim_off)],
                       fix_out_off=fix_off, go=True, resp_loc=resp_loc, resp_on=fix_off, pre_off=fix_off,
                       post_on=fix_off + grace, epochs=epochs)


def sample(rule: str, d: Draw, easy_task: bool = False):
    """Trials of `rule` with the original's random timing (its mode ``'random'``)."""
    kind, anti = _kind(rule)
    loc = d.uniform(0.0, TWO_PI)
    ring = d.modality()
    if kind == "fd":
        stim_on = d.uniform_ms(300, 700)
        return _trials(kind, anti, d.dt, loc, ring, stim_on, fix_off=stim_on + d.uniform_ms(500, 1500))
    if kind == "react":
        return _trials(kind, anti, d.dt, loc, ring, d.uniform_ms(500, 2500))
    stim_on = d.choice_ms([300, 500, 700])
    stim_off = stim_on + d.choice_ms([200, 400, 600])
    return _trials(kind, anti, d.dt, loc, ring, stim_on, fix_off=stim_off + d.choice_ms([200, 400, 800, 1600]),
                   stim_off=stim_off)


def grid(rule: str, dt: float):
    """The original's mode ``'test'``: 20 directions 2 pi k / 20 x rings 1, 2 (40 trials,
    direction-major), fixed timing."""
    kind, anti = _kind(rule)
    i = np.arange(40)
    loc, ring = TWO_PI * (i // 2) / 20, i % 2 + 1
    full = np.ones(40, dtype=np.int64)
    if kind == "fd":  # T = 2000 ms
        return _trials(kind, anti, dt, loc, ring, steps(500, dt) * full, fix_off=steps(1500, dt) * full,
                       length=steps(2000, dt) * full)
    if kind == "react":  # T = 2500 ms
        return _trials(kind, anti, dt, loc, ring, steps(2000, dt) * full, length=steps(2500, dt) * full)
    return _trials(kind, anti, dt, loc, ring, steps(500, dt) * full, fix_off=steps(2000, dt) * full,
                   stim_off=steps(1000, dt) * full, length=steps(2500, dt) * full)


#: What :mod:`.family` needs of this group.
GROUP = Group(RULES, sample, grid, LONGEST_MS)
