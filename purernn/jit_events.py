"""When does Numba compile? A listener on Numba's compile events.

The compiled kernels are cached on disk (``purernn/__pycache__``, or ``NUMBA_CACHE_DIR``):
the first run on a machine compiles them (seconds), later runs load them. Numba sends a
``"numba:compile"`` event only when it really compiles (a cache miss), which is how
:class:`CompileWatch` tells the two apart; the command line uses it to say that it is
compiling, and for how long.
"""

from __future__ import annotations

import time

__all__ = ["CompileWatch"]


class CompileWatch:
    """A context manager that calls `on_start()` when Numba starts its first compile
    inside it, and counts the seconds spent compiling (nested compiles counted once).

    Examples
    --------
    >>> with CompileWatch(lambda: print("compiling ...")) as watch:
    ...     pass
    >>> watch.compiled, watch.seconds
    (False, 0.0)
    """

    def __init__(self, on_start=None):
        self.on_start = on_start
        self.compiled = False
        self.seconds = 0.0
        self._depth = 0
        self._t0 = 0.0
        self._listener = None

    def __enter__(self) -> "CompileWatch":
        from numba.core import event

        watch = self

        class _Listener(event.Listener):
            def on_start(self, ev):
                if watch._depth == 0:
                    if not watch.compiled and watch.on_start is not None:
                        watch.on_start()
                    watch.compiled = True
                    watch._t0 = time.perf_counter()
                watch._depth += 1

            def on_end(self, ev):
                watch._depth -= 1
                if watch._depth == 0:
                    watch.seconds += time.perf_counter() - watch._t0

        self._listener = _Listener()
        event.register("numba:compile", self._listener)
        return self

    def __exit__(self, *exc) -> bool:
        from numba.core import event

        event.unregister("numba:compile", self._listener)
        return False
