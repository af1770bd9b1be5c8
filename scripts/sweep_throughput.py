"""Throughput of `purernn sweep` (runs per minute) with 1 and 2 workers (and optionally a
local Dask cluster) on the fixed workload of studies/throughput.toml: 6 flip-flop
networks of 50 units, 100 training steps each (no early stop).

    python scripts/sweep_throughput.py [--workers 1 2] [--dask]

Each measurement sweeps into a fresh temporary study directory, so nothing is skipped;
worker start-up (spawn + import + loading the compiled kernels) is included, as a user
sees it. The machine's load average is printed with each number: on a shared machine
other processes take cores too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from purernn.sweep import load_study, sweep  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--dask", action="store_true", help="also measure --scheduler local-dask")
    args = p.parse_args(argv)
    study_file = ROOT / "studies" / "throughput.toml"
    n = len(load_study(study_file).points)
    cases = [(w, None) for w in args.workers] + ([(max(args.workers), "local-dask")] if args.dask else [])
    print(f"| backend | workers | points | wall time (s) | runs/min | load average before |")
    print("|---|---|---|---|---|---|")
    for workers, scheduler in cases:
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory() as tmp:
            s = sweep(study_file, Path(tmp) / "study", workers=workers, scheduler=scheduler, progress=False)
        assert s.n_done == n, s
        print(f"| {'process pool' if scheduler is None else scheduler} | {workers} | {n} | "
              f"{s.wall_time:.1f} | {s.runs_per_minute:.2f} | {load:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
