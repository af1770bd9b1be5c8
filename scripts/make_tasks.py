"""Regenerate a picture of every registered task into docs/tasks/NAME.png, and the page
docs/tasks.md that shows them all.

Each picture shows one example trial per condition (inputs; targets with the mask
shaded; at most six conditions), drawn with a fixed seed so reruns give identical trials.

    python scripts/make_tasks.py [--out docs/tasks] [--dpi 90]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from purernn.figures import save_png, trials_figure
from purernn.tasks import TASKS

SEED = 1234
N_TRIALS = 400  # enough that every condition appears


def tasks_page(names) -> str:
    """docs/tasks.md: every task with its numbers, the first paragraph of its docstring
    and its picture."""
    lines = [
        "# Tasks",
        "",
        "Every registered task with its picture (one trial per condition: inputs on top;",
        "targets dashed, with the steps the loss judges shaded). Regenerate the pictures and",
        "this page with `python scripts/make_tasks.py`; `purernn/tasks/README.md` tabulates",
        "the default timing and the success criterion of each task.",
        "",
    ]
    for name in names:
        task = TASKS[name]()
        doc = (type(task).__doc__ or "").strip().split("\n\n")[0]
        doc = " ".join(line.strip() for line in doc.splitlines())
        lines += [
            f"## `{name}`",
            "",
            f"{task.summary}",
            "",
            f"- inputs / outputs: {task.n_in} / {task.n_out}; steps: {task.n_steps} of "
            f"{task.dt:g} ms; recommended alpha: {task.alpha:g}; criterion: {task.criterion:g}",
            f"- source: {task.source}",
            "",
            doc,
            "",
            f"![{name}](tasks/{name}.png)",
            "",
        ]
    return "\n".join(lines)


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
        fig = trials_figure(batch, dt=task.dt, title=f"{name}: {task.summary}", max_conditions=6)
        print(save_png(fig, args.out / f"{name}.png", dpi=args.dpi))
    if not args.names:
        page = args.out.parent / "tasks.md"
        page.write_text(tasks_page(sorted(TASKS)))
        print(page)


if __name__ == "__main__":
    main()
