"""Train every seed task at Table 1 size (50 units) with its default configuration and
write the README's training table.

    python scripts/train_table.py                 # print the table
    python scripts/train_table.py --readme        # also replace the table in README.md
    python scripts/train_table.py xor flipflop    # only some tasks

For each task: ``pr.default_network(task, seed=SEED)`` (n_rec = 50) and
``pr.default_train_config(task, seed=SEED)``; wall time of ``pr.train`` (the JIT is warmed
up first, so compile time is excluded), optimizer steps taken, why training stopped, the
validation accuracy, and the accuracy on 1000 fresh trials with its Wilson 95% interval.
The note under the table names the CPU: the steps are the same on every run on one
machine, but another processor may round differently (``tests/test_train_table.py``
checks the first rows here).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

import numba
import numpy as np

import purernn as pr

#: The seed's tasks first, then the other registered tasks that train in about a minute.
SEED_TASKS = list(pr.tasks.SEED_TASKS)
OTHER_TASKS = ["sine_generator", "flipflop3", "perceptual_dm", "context_dm", "dms", "romo",
               "interval_reproduction", "perceptual_dm_zero", "multitask_gates"]
START, END = "<!-- train-table:start -->", "<!-- train-table:end -->"


def cpu_model() -> str:
    """The processor: its model name and widest vector instructions (``/proc/cpuinfo``;
    ``platform.processor()`` elsewhere), e.g. ``"AMD EPYC with AVX2"``. Machines of one
    model name can differ in the vector width, which changes the rounding of the kernels."""
    name, simd = platform.processor() or platform.machine(), ""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return name
    for line in lines:
        if line.startswith("model name"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("flags") and not simd:
            flags = set(line.split(":", 1)[1].split())
            simd = next((label for flag, label in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"))
                         if flag in flags), "SSE")
    return f"{name} with {simd}" if simd else name


def warm_up() -> None:
    """Load the compiled kernels once so that the timings exclude it."""
    task = pr.tasks.make("xor")
    net = pr.default_network(task, seed=0)
    pr.train(net, task, pr.TrainConfig(n_steps=2, n_valid=4, eval_every=1, seed=0), progress=False)


def row(name: str, seed: int) -> tuple[str, bool]:
    task = pr.tasks.make(name)
    config = pr.default_train_config(name, seed=seed)
    net = pr.default_network(task, seed=seed)
    t0 = time.perf_counter()
    result = pr.train(net, task, config, progress=False)
    wall = time.perf_counter() - t0
    ev = pr.evaluate(result.net, task, n_trials=1000, rng=np.random.default_rng(seed + 1000))
    regime = (f"fixed {config.n_samples} x {config.n_epochs} ep" if config.regime == "fixed"
              else f"fresh, max {config.n_steps}")
    ok = result.reached_criterion
    text = (f"| {name} | {net.n_rec} | {net.config.alpha:g} | {regime}, batch {config.batch_size}, lr {config.lr:g} | "
            f"{wall:.1f} | {result.n_steps} | {result.stop_reason} | {task.criterion:g} | "
            f"{result.val_accuracy:.3f} | {ev.accuracy:.3f} [{ev.ci_low:.3f}, {ev.ci_high:.3f}] | "
            f"{'yes' if ok else 'NO'} |")
    return text, ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tasks", nargs="*", help="task names (default: seed tasks + cheap others)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--readme", action="store_true", help="replace the table in README.md")
    args = p.parse_args(argv)
    names = args.tasks or [n for n in SEED_TASKS + OTHER_TASKS if n in pr.tasks.TASKS]
    warm_up()
    header = [
        "| task | n_rec | alpha | regime | wall time (s) | steps | stopped by | criterion | "
        "validation acc. | acc. on 1000 fresh trials [95% CI] | reached |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines = []
    load0 = os.getloadavg()[0]
    for name in names:
        text, _ = row(name, args.seed)
        print(text, flush=True)
        lines.append(text)
    note = (f"Measured with `python scripts/train_table.py` (seed {args.seed}) on {cpu_model()} "
            f"({os.cpu_count()} cores, {platform.machine()}), Python {platform.python_version()}, "
            f"numpy {np.__version__}, numba {numba.__version__}; 1-minute load average {load0:.1f} at "
            f"the start and {os.getloadavg()[0]:.1f} at the end (the script's own two threads count "
            "in it; other jobs on the machine make the wall times higher). The steps are the same "
            "on every run on this machine; another processor (another SIMD width or BLAS kernel) "
            "rounds the sums differently and may stop a run at another evaluation.")
    table = "\n".join(header + lines + ["", note])
    print("\n" + table)
    if args.readme:
        readme = Path(__file__).resolve().parents[1] / "README.md"
        text = readme.read_text()
        if START not in text or END not in text:
            print(f"README.md has no {START} ... {END} markers", file=sys.stderr)
            return 1
        new = re.sub(re.escape(START) + ".*?" + re.escape(END), START + "\n" + table + "\n" + END,
                     text, flags=re.S)
        readme.write_text(new)
        print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
