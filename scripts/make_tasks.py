"""Regenerate a picture of every registered task into docs/tasks/NAME.png.

Each picture shows one example trial per condition (inputs; targets with the mask
shaded; at most six conditions), drawn with a fixed seed so reruns give identical trials.

    python scripts/make_tasks.py [--out docs/tasks] [--dpi 90]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from purernn.plots import plot_trials  # noqa: E402
from purernn.tasks import TASKS  # noqa: E402

SEED = 1234
N_TRIALS = 400  # enough that every condition appears


def main(argv=None) -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=root / "docs" / "tasks")
    parser.add_argument("--dpi", type=int, default=80)
    parser.add_argument("names", nargs="*", help="tasks to draw (default: all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or sorted(TASKS):
        task = TASKS[name]()
        batch = task.sample(N_TRIALS, rng=SEED)
        axes = plot_trials(batch, dt=task.dt, n_per_condition=1, max_conditions=6)
        fig = axes[0, 0].figure
        fig.suptitle(f"{name}: {task.summary}", fontsize=8)
        path = args.out / f"{name}.png"
        fig.savefig(path, dpi=args.dpi)
        plt.close(fig)
        print(path)


if __name__ == "__main__":
    main()
