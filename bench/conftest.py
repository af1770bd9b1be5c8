"""Benchmark helpers: the machine's BLAS throughput and a summary table of ratios.

Run with ``pytest bench`` (pytest-benchmark). Absolute times vary on shared machines;
the table printed at the end gives ratios measured in the same run.
"""

import numpy as np
import pytest

RESULTS = []  # rows added by the benchmarks, printed in the terminal summary
PEERS = []  # rows of bench/test_peers.py, printed last by bench.peers.write_table
PEER_NOTES = []  # lines printed below that table
NOTES = []  # lines of bench/test_load.py and bench/test_bounds.py, printed below the step table
_PEAK = {}
_CLOCK = {"timer": None, "cpu": False}  # the benchmarks' timer, also used for the BLAS peak


def _cpu_jiffies():
    """(steal, total) CPU time of all cores since boot, in clock ticks (``/proc/stat``), or
    None where there is no such file. Steal is time a virtual machine's cores were
    ready to run but the host ran something else: load averages do not show it."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


_START = {}  # load average and CPU ticks when the session started


def pytest_sessionstart(session):
    import os

    _START["load"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    _START["jiffies"] = _cpu_jiffies()


def machine_conditions() -> str:
    """The 1-minute load average at the start and now, and the share of CPU time stolen by
    the host in between (on a virtual machine), as one line."""
    import os

    parts = []
    if _START.get("load") is not None:
        parts.append(f"load average (1 min) {_START['load']:.2f} at the start, {os.getloadavg()[0]:.2f} now")
    now = _cpu_jiffies()
    if now and _START.get("jiffies"):
        steal, total = (b - a for a, b in zip(_START["jiffies"], now))
        if total > 0:
            parts.append(f"CPU time stolen by the host (virtual machine) during the run: {steal / total:.0%}")
    return "; ".join(parts)


def pytest_configure(config):
    """With ``--benchmark-timer time.process_time`` every time is CPU time (all threads)
    and the BLAS peak is GFLOP/s per CPU-second (:func:`blas_peak`): the fractions of peak
    then hold under load, when wall times do not (another process takes cores, not CPU
    time)."""
    import time

    timer = getattr(config.option, "benchmark_timer", None)
    name = str(timer) if timer is not None else ""
    _CLOCK["cpu"] = "process_time" in name
    _CLOCK["timer"] = time.process_time if _CLOCK["cpu"] else time.perf_counter


def blas_peak(dtype, remeasure=False) -> float:
    """Measured matmul throughput (GFLOP/s) of a 2048 x 2048 product, best of 5.

    In wall time, BLAS on all its threads. With CPU timing, GFLOP/s per CPU-second: the
    same product on one BLAS thread, in that thread's CPU time (with all of BLAS's threads
    in the process's CPU time, their spinning while they wait counted against the peak:
    on one machine the float64 peak came out at 27 GFLOP/s per CPU-second, below what one
    thread does in a second of its own, and the steps' fractions of it over 100%); without
    a per-thread BLAS setting, the process's CPU time of all BLAS threads. Measured once
    per run; `remeasure` measures again and keeps the highest (on a shared machine a
    single measurement may fall in a busy moment)."""
    import time

    from purernn import _threads

    key = np.dtype(dtype).name
    if remeasure or key not in _PEAK:
        rng = np.random.default_rng(0)
        a = rng.standard_normal((2048, 2048)).astype(dtype)
        b = rng.standard_normal((2048, 2048)).astype(dtype)
        cpu = _CLOCK["cpu"]
        previous = _threads.serial_blas() if cpu else None
        # without a per-thread BLAS setting (another BLAS), BLAS keeps its threads: count them all
        one_thread = cpu and bool(previous)
        try:
            a @ b  # warm-up
            clock = time.thread_time if one_thread else (_CLOCK["timer"] or time.perf_counter)
            best = np.inf
            for _ in range(5):
                t0 = clock()
                a @ b
                best = min(best, clock() - t0)
        finally:
            if previous is not None:
                _threads.restore_blas(previous)
        _PEAK[key] = max(_PEAK.get(key, 0.0), 2 * 2048**3 / best / 1e9)
    return _PEAK[key]


@pytest.fixture(scope="session")
def peak():
    return blas_peak


def pytest_terminal_summary(terminalreporter):
    _write_results(terminalreporter)
    if PEERS or PEER_NOTES:
        from .peers import write_table

        write_table(terminalreporter.write_line, PEERS, _PEAK, PEER_NOTES)


def _write_results(terminalreporter):
    if not RESULTS and not NOTES:
        return
    tr = terminalreporter
    tr.write_sep("=", "purernn step benchmarks (ratios measured in this run)")
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            tr.write_line(f"BLAS: {info.get('internal_api')} {info.get('version')} "
                          f"{info.get('architecture')} threads={info.get('num_threads')} "
                          f"({info.get('filepath', '').rsplit('/', 1)[-1]})")
    except ImportError:
        pass
    if _CLOCK["cpu"]:
        tr.write_line("times are CPU time of all threads (--benchmark-timer time.process_time): a step's "
                      "ms is about twice its wall time on 2 idle cores; GFLOP/s are per CPU-second, "
                      "the peak's too, so the fraction of peak is the same on a busy machine")
    for key, value in sorted(_PEAK.items()):
        tr.write_line(f"measured BLAS matmul peak ({key}, 2048^2): {value:.1f} GFLOP/s")
    conditions = machine_conditions()
    if conditions:
        tr.write_line(conditions)
    header = f"{'variant':<18}{'dtype':<9}{'n_rec':>6}{'n_steps':>8}{'n_trials':>9}" \
             f"{'ms/step':>10}{'GFLOP/s':>9}{'of peak':>9}{'speed-up':>10}"
    tr.write_line(header)
    for r in RESULTS:
        speedup = f"{r['speedup']:.1f}x" if r.get("speedup") else ""
        tr.write_line(f"{r['variant']:<18}{r['dtype']:<9}{r['n_rec']:>6}{r['n_steps']:>8}{r['n_trials']:>9}"
                      f"{r['ms']:>10.2f}{r['gflops']:>9.1f}{r['frac_peak']:>9.0%}{speedup:>10}")
    for line in NOTES:
        tr.write_line(line)
