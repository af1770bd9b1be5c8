"""Plots of tasks, trajectories and analysis results.

Every plot function takes arrays (or results holding arrays) and an optional
``ax=None`` / ``axes=None``, draws on them and returns the axes. No function here calls
``show()`` or ``savefig()``, and nothing changes matplotlib's global style. matplotlib is
imported only inside this module, so the rest of the library never needs it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_trials"]
