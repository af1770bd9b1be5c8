"""Threads for the compiled kernels (not model math): the pool and the BLAS setting.

The kernels run blocks of trials on a pool of Python threads (:func:`run_parallel`); every
matrix product inside them is one call into the BLAS that Numba links (SciPy's OpenBLAS).
Two settings keep those threads from fighting over the cores:

- BLAS runs single-threaded on each kernel thread (:func:`serial_blas`). A threaded
  OpenBLAS product waits for all of its threads at the end, so when another process holds
  a core it waits for the slowest: a (50 x 25600) x (25600 x 50) product measured 10 ms on
  one thread and 1050 ms on two at a load of 5. The parallelism is purernn's own, over
  blocks of trials that threads take as they become free.
- Numba's OpenMP threads, if anything starts them, wait passively instead of spinning
  (``OMP_WAIT_POLICY``): spinning threads take the cores from the threads doing the work.
  The setting must be in the environment before the OpenMP runtime loads;
  :mod:`purernn._fastmath` imports this module before Numba. A user's setting wins.
"""

from __future__ import annotations

import ctypes
import glob
import itertools
import os
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["bounds", "run_parallel", "serial_blas", "restore_blas"]

_setters: list | None = None


def _local_thread_setters() -> list:
    """``openblas_set_num_threads_local`` of each OpenBLAS loaded by SciPy (OpenBLAS >= 0.3.27
    sets the thread count of the calling thread only); empty if there is none (another BLAS,
    an older OpenBLAS), and then BLAS keeps its own threads inside the kernels: slower
    under load, and the staged gradient products may then round differently with the
    BLAS thread count."""
    import scipy
    import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS that Numba calls)

    paths = set(glob.glob(os.path.join(os.path.dirname(scipy.__file__), os.pardir, "scipy.libs", "*openblas*")))
    try:
        with open("/proc/self/maps") as maps:
            paths.update(line.split()[-1] for line in maps if "openblas" in line.rsplit("/", 1)[-1])
    except OSError:
        pass
    setters = {}  # by the function's address: two paths may name one loaded library
    for path in sorted({os.path.realpath(p) for p in paths}):
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        setters.setdefault(ctypes.cast(fn, ctypes.c_void_p).value, fn)
    return list(setters.values())


def serial_blas(n_threads: int = 1) -> list[int]:
    """Set the calling thread's BLAS thread count to `n_threads`; return the previous counts
    (pass them back with :func:`restore_blas`)."""
    global _setters
    if _setters is None:
        _setters = _local_thread_setters()
    return [fn(n_threads) for fn in _setters]


def restore_blas(previous: list[int]) -> None:
    """Undo :func:`serial_blas` on the calling thread (in reverse order)."""
    for fn, n in reversed(list(zip(_setters or (), previous))):
        fn(n)


def bounds(n: int, n_parts: int) -> list[tuple[int, int]]:
    """The fixed partition of range(n) into n_parts contiguous parts, sizes within one."""
    return [(k * n // n_parts, (k + 1) * n // n_parts) for k in range(n_parts)]


_pools: dict = {}  # number of helper threads -> ThreadPoolExecutor
# A forked child has none of the pool's threads: it starts pools of its own (a pool
# whose threads are gone would take blocks and never run them).
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_pools.clear)


def run_parallel(calls: list) -> None:
    """Run ``kernel(*args)`` for each ``(kernel, args)`` of `calls`.

    Up to ``numba.get_num_threads()`` threads (this one and a pool's) each take the next
    call as soon as they are free: when another process holds a core, the other threads
    run more of the calls instead of waiting for it. Each call is a block of trials or
    rows, writing outputs of its own, and its arithmetic does not depend on the thread
    that runs it: results are bitwise identical for any thread count and any load. BLAS
    runs single-threaded inside (:func:`serial_blas`).
    """
    import numba  # loaded by then: the kernels are Numba functions

    # one block (a single trial, say) runs here without asking for the pool's size
    n_threads = 1 if len(calls) == 1 else min(len(calls), numba.get_num_threads())
    next_call = itertools.count().__next__  # atomic under the GIL

    def work():
        while (k := next_call()) < len(calls):
            kernel, args = calls[k]
            kernel(*args)

    previous = serial_blas()
    try:
        if n_threads <= 1:
            work()
            return
        pool = _pools.get(n_threads - 1)
        if pool is None:
            pool = _pools[n_threads - 1] = ThreadPoolExecutor(n_threads - 1, thread_name_prefix="purernn",
                                                              initializer=serial_blas)
        helpers = [pool.submit(work) for _ in range(n_threads - 1)]
        work()
        for future in helpers:
            future.result()
    finally:
        restore_blas(previous)
