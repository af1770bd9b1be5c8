"""A seed-size training step while another process holds a core.

    pytest bench/test_load.py

A busy loop in a subprocess competes for the two cores. The step runs with purernn's
partition (blocks of 32 trials: 2 at 64 trials; threads take the next block as they
become free) and, for comparison, cut into twice as many blocks of 16 trials, which a
thread whose core is busy could leave to the other, and on one thread. Each is timed
without and with the competitor in the same run; the summary gives the times and the
slow-downs. Compilation is excluded (warm-up rounds).

The one-thread step is the yardstick under load: the competitor keeps a core, and the
operating system then gives the step's two threads about one core between them (a pass
of a few milliseconds ends before it would move them), so a slow-down of the two-thread
step near ``one thread's time / the quiet two-thread time`` is what one core allows.
"""

import subprocess
import sys
import time

import numba
import numpy as np
import pytest

import purernn as pr
from purernn import kernels

from .conftest import NOTES
from .test_step import _problem

SIZE = (50, 400, 64)


def _median_ms(fn, rounds=15):
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3


class _BusyCore:
    """A subprocess spinning on one core while the block is open."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.3)  # let it start spinning
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


@pytest.mark.skipif(numba.get_num_threads() < 2, reason="needs two threads")
def test_step_with_a_busy_core(benchmark, monkeypatch):
    n_rec, n_steps, n_trials = SIZE
    net, batch = _problem(n_rec, n_steps, n_trials, "float64")
    opt = pr.Adam(lr=1e-3)
    state = opt.init(net.params)
    step = lambda: pr.train_step(net, batch, opt, state)  # noqa: E731
    reference = step()
    n_threads = numba.get_num_threads()
    n_default = kernels.trial_blocks(n_trials, n_rec)
    rows = {}
    for variant, n_blocks in ((f"{n_default} blocks of {n_trials // n_default} trials", None),
                              (f"{2 * n_default} blocks of {n_trials // (2 * n_default)} trials", 2 * n_default)):
        if n_blocks is not None:
            monkeypatch.setattr(kernels, "trial_blocks", lambda n_trials, n_rec, k=n_blocks: k)
        quiet = _median_ms(step)
        with _BusyCore():
            if n_blocks is None:  # the default partition is the benchmark of record
                result = benchmark.pedantic(step, rounds=15, iterations=1, warmup_rounds=2)
                loaded = benchmark.stats.stats.median * 1e3
                assert np.array_equal(result.net.params["W_rec"], reference.net.params["W_rec"])
            else:
                loaded = _median_ms(step)
        rows[variant] = (quiet, loaded)
    monkeypatch.undo()
    numba.set_num_threads(1)  # the yardstick: all blocks on this thread
    try:
        one = _median_ms(step)
        with _BusyCore():
            one_loaded = _median_ms(step)
            assert np.array_equal(step().net.params["W_rec"], reference.net.params["W_rec"])
    finally:
        numba.set_num_threads(n_threads)
    NOTES.append(f"seed-size float64 step {SIZE} with another process spinning on one core "
                 f"({n_threads} threads):")
    for variant, (quiet, loaded) in rows.items():
        NOTES.append(f"  {variant:<28} {quiet:7.2f} ms quiet, {loaded:7.2f} ms with the busy core: "
                     f"x{loaded / quiet:.2f}")
    (q_own, l_own), (q_alt, l_alt) = rows.values()
    NOTES.append(f"  purernn's partition / the finer one: {q_own / q_alt:.2f} quiet, {l_own / l_alt:.2f} with the "
                 f"busy core")
    label = f"{n_default} blocks on one thread"
    NOTES.append(f"  {label:<28} {one:7.2f} ms quiet, {one_loaded:7.2f} ms with the busy core "
                 f"(one core's worth: x{one / q_own:.2f} of the quiet {n_threads}-thread step; {n_threads} threads "
                 f"with the busy core take {l_own / one_loaded:.2f} of one thread's time)")
    assert all(np.isfinite(v) for pair in rows.values() for v in pair) and np.isfinite(one_loaded)
