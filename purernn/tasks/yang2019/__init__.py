"""The twenty cognitive rules of Yang et al. (2019) as one task family.

    task = purernn.tasks.make("yang2019")                       # all 20 rules
    task = purernn.tasks.make("yang2019", rules=("dm1",))       # one rule
    batch = task.sample(64, rng=0)        # each trial draws its rule; padded, mask 0 on the padding
    grid = task.stimulus_grid("fdgo")     # the original's fixed 'test' trials of one rule

One file per group of rules: :mod:`.go`, :mod:`.decision`, :mod:`.delay_decision`,
:mod:`.matching`; what they share (rings, timing, cost mask, ``get_perf``) is in
:mod:`._common`; the task itself in :mod:`.family`.
"""

from ._common import DISPLAY_NAMES, RULES, get_perf, popvec
from .family import Yang2019

__all__ = ["Yang2019", "RULES", "DISPLAY_NAMES", "get_perf", "popvec"]
