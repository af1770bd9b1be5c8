"""purernn against PyTorch (eager) and JAX (jit + lax.scan), without pytest-benchmark.

    python -m bench.compare_torch                      # every size, float64 and float32
    python -m bench.compare_torch --sizes 50,400,64 --dtypes float64 --rounds 20

The same peers, checks and table as ``pytest bench/test_peers.py`` (see bench/peers.py):
each peer's first step is checked against purernn's loss and gradient and timed on its
own; then the systems' timed steps alternate, so the ratios hold up better than
pytest-benchmark's one-system-after-the-other rounds when the load changes. A peer whose library is not
installed is left out (PyTorch, JAX and optax are never dependencies of purernn).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from . import peers
from .conftest import blas_peak
from .test_step import SIZES


def _available(system):
    try:
        for module in {"torch": ("torch",), "jax": ("jax", "optax")}.get(system, ()):
            __import__(module)
    except ImportError:
        return False
    return True


def prepare(size, dtype, system):
    """A peer after its first call and its check, and its row of the table."""
    net, batch = peers.problem(size, dtype)
    t0 = time.perf_counter()
    peer = peers.PEER_CLASSES[system](net, batch)
    loss = peer.step()
    row = dict(system=system, dtype=dtype, size=size, first_s=time.perf_counter() - t0, load=os.getloadavg()[0],
               env={"versions": peers.versions()})
    if system != "purernn":
        row["loss_err"], row["grad_err"] = peers.check_against(net, batch, loss, peer.grads())
        row["compile_s"] = getattr(peer, "compile_seconds", None)
    if system == "torch":
        peer.pick_threads()
        row["threads"] = peer.threads
    peer.step()  # warm-up round
    return peer, row


def measure(size, dtype, systems, rounds):
    """Rows of one size and dtype; the systems' timed steps alternate (a, b, c, a, b, c, ...)
    so that a change of load during the measurement affects them alike."""
    prepared = [prepare(size, dtype, system) for system in systems]
    times = [[] for _ in prepared]
    for _ in range(rounds):
        for (peer, _), ts in zip(prepared, times):
            t0 = time.perf_counter()
            peer.step()
            ts.append(time.perf_counter() - t0)
    rows = []
    for (_, row), ts in zip(prepared, times):
        row["ms"] = statistics.median(ts) * 1e3
        rows.append(row)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=[",".join(map(str, s)) for s in SIZES],
                    help="n_rec,n_steps,n_trials (default: those of bench/test_step.py)")
    ap.add_argument("--dtypes", nargs="+", default=["float64", "float32"], help="default: float64 float32")
    ap.add_argument("--rounds", type=int, default=10, help="timed steps per system (default 10; 3 at n_rec >= 1000)")
    args = ap.parse_args(argv)
    systems = [s for s in peers.SYSTEMS if _available(s)]
    missing = sorted(set(peers.SYSTEMS) - set(systems))
    rows = []
    for text in args.sizes:
        size = tuple(int(v) for v in text.split(","))
        for dtype in args.dtypes:
            rows += measure(size, dtype, systems, args.rounds if size[0] < 1000 else min(args.rounds, 3))
    peak = {dtype: blas_peak(dtype) for dtype in args.dtypes}
    notes = [f"not installed, left out: {', '.join(missing)}"] if missing else []
    peers.write_table(print, rows, peak, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
