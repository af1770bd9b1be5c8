"""Thread-pool settings for the compiled kernels (not model math).

Parallel regions run on Numba's OpenMP threads, which by default spin after each region
waiting for the next one. On a shared machine (two training processes on two cores, or
any other load) the spinning threads take the cores from the threads doing the work: a
seed-size training step measured 328 ms instead of 40 ms with passive waiting.

The setting must be in the environment before the OpenMP runtime loads, which happens
at the first parallel call; :mod:`purernn._fastmath` imports this module before Numba.
An explicit user setting wins.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
